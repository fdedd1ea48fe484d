package kernelpeer

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// tunName is the TUN device's name inside its namespace: each namespace has
// its own, so every session can use the same.
const tunName = "synack0"

// maxTUNMTU is the largest MTU a TUN device takes (the kernel's MAX_MTU).
const maxTUNMTU = 65535

// tun is a TUN device in IFF_TUN|IFF_NO_PI mode: each read gives one IPv4
// packet the kernel routed to it, each write hands one to the kernel as if
// it had arrived on the device (as gVisor's fdbased endpoint and
// packetdrill's netdev do).
type tun struct {
	f *os.File
}

// newTUN creates the device inside ns, gives it addr/24 and mtu and brings
// it up, so that the kernel routes every packet for the /24 to it.
func newTUN(ns *netns, addr netip.Addr, mtu int) (*tun, error) {
	var t *tun
	err := ns.do(func() error {
		fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err != nil {
			return fmt.Errorf("%w: opening /dev/net/tun: %w", ErrUnavailable, err)
		}
		ifr, err := unix.NewIfreq(tunName)
		if err != nil {
			unix.Close(fd)
			return err
		}
		ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
		if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
			unix.Close(fd)
			return fmt.Errorf("%w: creating the TUN device: %w", ErrUnavailable, err)
		}
		if err := configure(addr, mtu); err != nil {
			unix.Close(fd)
			return err
		}
		// A non-blocking descriptor gives a File the runtime's poller
		// serves, so reads take deadlines and Close wakes a reader.
		t = &tun{f: os.NewFile(uintptr(fd), tunName)}
		return nil
	})
	return t, err
}

// configure sets the device's address, netmask and MTU and brings it and
// the loopback device up, with the classic SIOCSIF* ioctls on a datagram
// socket of the namespace (no iproute2 needed).
func configure(addr netip.Addr, mtu int) error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("configuring %s: %w", tunName, err)
	}
	defer unix.Close(s)
	set := func(what string, req uint, fill func(*unix.Ifreq) error) error {
		ifr, err := unix.NewIfreq(tunName)
		if err != nil {
			return err
		}
		if err := fill(ifr); err != nil {
			return err
		}
		if err := unix.IoctlIfreq(s, req, ifr); err != nil {
			return fmt.Errorf("configuring %s: %s: %w", tunName, what, err)
		}
		return nil
	}
	if err := set("address", unix.SIOCSIFADDR, func(r *unix.Ifreq) error { return r.SetInet4Addr(addr.AsSlice()) }); err != nil {
		return err
	}
	if err := set("netmask", unix.SIOCSIFNETMASK, func(r *unix.Ifreq) error { return r.SetInet4Addr([]byte{255, 255, 255, 0}) }); err != nil {
		return err
	}
	if err := set("mtu", unix.SIOCSIFMTU, func(r *unix.Ifreq) error { r.SetUint32(uint32(min(mtu, maxTUNMTU))); return nil }); err != nil {
		return err
	}
	up := func(r *unix.Ifreq) error { r.SetUint16(unix.IFF_UP | unix.IFF_RUNNING); return nil }
	return set("up", unix.SIOCSIFFLAGS, up)
}

// packet is one packet the kernel sent, with the time it was read.
type packet struct {
	b  []byte
	at time.Time
}

// readLoop sends every IPv4 TCP packet read from the device to out, until
// the device is closed. Anything else the kernel sends there (IPv6 router
// solicitations, say) is not part of the run and is skipped.
func (t *tun) readLoop(out chan<- packet, done <-chan struct{}) {
	buf := make([]byte, maxTUNMTU)
	for {
		n, err := t.f.Read(buf)
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				select {
				case out <- packet{}:
				case <-done:
				}
			}
			return
		}
		if n < 20 || buf[0]>>4 != 4 || buf[9] != unix.IPPROTO_TCP {
			continue
		}
		p := packet{b: append([]byte(nil), buf[:n]...), at: time.Now()}
		select {
		case out <- p:
		case <-done:
			return
		}
	}
}

func (t *tun) write(b []byte) error {
	_, err := t.f.Write(b)
	return err
}

func (t *tun) close() error { return t.f.Close() }
