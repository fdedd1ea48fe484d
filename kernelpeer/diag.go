package kernelpeer

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/synack/synack/engine"
)

// This file reads the states of the namespace's TCP sockets with sock_diag
// (NETLINK_SOCK_DIAG, inet_diag), as ss(8) does. Unlike TCP_INFO on a
// descriptor it also sees sockets the application has closed: an orphan in
// FIN-WAIT-2, a TIME-WAIT mini-socket, a request socket in SYN-RECEIVED.

// sockState is one socket the kernel reported.
type sockState struct {
	local, remote netip.AddrPort
	state         engine.State
}

// Linux's TCP states (include/net/tcp_states.h) by number.
var linuxStates = map[uint8]engine.State{
	1:  engine.Established,
	2:  engine.SynSent,
	3:  engine.SynReceived,
	4:  engine.FinWait1,
	5:  engine.FinWait2,
	6:  engine.TimeWait,
	7:  engine.Closed,
	8:  engine.CloseWait,
	9:  engine.LastAck,
	10: engine.Listen,
	11: engine.Closing,
	12: engine.SynReceived, // TCP_NEW_SYN_RECV: a request socket
}

const (
	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
	inetDiagReqLen   = 56 // struct inet_diag_req_v2
	inetDiagMsgLen   = 72 // struct inet_diag_msg
)

// diag is a sock_diag socket of one namespace.
type diag struct {
	fd  int
	seq uint32
	buf []byte
}

func newDiag(ns *netns) (*diag, error) {
	d := &diag{fd: -1, buf: make([]byte, 1<<16)}
	err := ns.do(func() error {
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
		if err != nil {
			return fmt.Errorf("opening a sock_diag socket: %w", err)
		}
		d.fd = fd
		return nil
	})
	return d, err
}

// request is a dump of every IPv4 TCP socket in every state.
func (d *diag) request() []byte {
	d.seq++
	b := make([]byte, unix.NLMSG_HDRLEN+inetDiagReqLen)
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], sockDiagByFamily)
	binary.NativeEndian.PutUint16(b[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(b[8:], d.seq)
	r := b[unix.NLMSG_HDRLEN:]
	r[0] = unix.AF_INET
	r[1] = unix.IPPROTO_TCP
	binary.NativeEndian.PutUint32(r[4:], 0xffffffff) // idiag_states: all
	return b
}

// sockets lists the namespace's TCP sockets.
func (d *diag) sockets() ([]sockState, error) {
	if err := unix.Sendto(d.fd, d.request(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("sock_diag request: %w", err)
	}
	var out []sockState
	for {
		n, _, err := unix.Recvfrom(d.fd, d.buf, 0)
		if err != nil {
			return nil, fmt.Errorf("sock_diag answer: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(d.buf[:n])
		if err != nil {
			return nil, fmt.Errorf("sock_diag answer: %w", err)
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				if len(m.Data) >= 4 {
					if e := int32(binary.NativeEndian.Uint32(m.Data)); e != 0 {
						return nil, fmt.Errorf("sock_diag: %w", unix.Errno(-e))
					}
				}
				return out, nil
			}
			if s, ok := parseDiagMsg(m.Data); ok {
				out = append(out, s)
			}
		}
	}
}

// parseDiagMsg reads a struct inet_diag_msg: family, state, and the socket
// id whose ports and addresses are in network order.
func parseDiagMsg(b []byte) (sockState, bool) {
	if len(b) < inetDiagMsgLen || b[0] != unix.AF_INET {
		return sockState{}, false
	}
	st, ok := linuxStates[b[1]]
	if !ok {
		return sockState{}, false
	}
	id := b[4:]
	sport := binary.BigEndian.Uint16(id[0:])
	dport := binary.BigEndian.Uint16(id[2:])
	src := netip.AddrFrom4([4]byte(id[4:8]))
	dst := netip.AddrFrom4([4]byte(id[20:24]))
	return sockState{
		local:  netip.AddrPortFrom(src, sport),
		remote: netip.AddrPortFrom(dst, dport),
		state:  st,
	}, true
}

func (d *diag) close() error {
	if d.fd < 0 {
		return nil
	}
	err := unix.Close(d.fd)
	d.fd = -1
	return err
}
