package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"time"
)

// isnGenerator chooses initial sequence numbers as RFC 9293 section 3.4.1
// says: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
// where M is a clock that ticks every tick and F a keyed hash. Linux uses the
// same construction with SipHash and a 64 ns clock. Both the key and the
// clock's starting point come from the scenario's seed, so a run is
// reproducible and yet its numbers look like a real machine's.
type isnGenerator struct {
	key  [16]byte
	boot time.Duration // the clock's reading at virtual time 0
	tick time.Duration
}

func newISNGenerator(key [16]byte, boot, tick time.Duration) isnGenerator {
	return isnGenerator{key: key, boot: boot, tick: tick}
}

// isn returns the ISN for a connection opened at virtual time now, and the
// offset of its timestamp clock, which Linux also draws from a keyed hash of
// the connection's identity (secure_tcp_ts_off).
func (g *isnGenerator) isn(now time.Duration, local, remote netip.AddrPort) (Seq, uint32) {
	m := uint32((g.boot + now) / g.tick)
	sum := g.sum(local, remote)
	return Seq(m + binary.BigEndian.Uint32(sum[:4])), binary.BigEndian.Uint32(sum[4:8])
}

// hash is F: a keyed hash of the connection's identity. SHA-256 stands in for
// the MD5 RFC 9293 suggests and the SipHash Linux uses; any keyed PRF will do.
func (g *isnGenerator) sum(local, remote netip.AddrPort) [sha256.Size]byte {
	var buf [16 + 4 + 2 + 4 + 2]byte
	copy(buf[:16], g.key[:])
	l4, r4 := local.Addr().As4(), remote.Addr().As4()
	copy(buf[16:20], l4[:])
	binary.BigEndian.PutUint16(buf[20:22], local.Port())
	copy(buf[22:26], r4[:])
	binary.BigEndian.PutUint16(buf[26:28], remote.Port())
	return sha256.Sum256(buf[:])
}
