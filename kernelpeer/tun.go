package kernelpeer

import (
	"fmt"
	"net/netip"
	"time"
	"unsafe"

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
	fd  int
	buf []byte
}

// newTUN creates the device inside ns, gives it addr/24 and mtu, brings it
// up and makes it the default route: the kernel sends every packet to it,
// its answers to a SYN flood's made-up addresses too.
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
		// Non-blocking: the run reads what is there and waits with
		// ppoll, on its own thread, without the runtime's poller between
		// the kernel and the run.
		t = &tun{fd: fd, buf: make([]byte, maxTUNMTU)}
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
	if err := set("up", unix.SIOCSIFFLAGS, up); err != nil {
		return err
	}
	return addDefaultRoute(s)
}

// rtentry is the kernel's struct rtentry (include/uapi/linux/route.h), laid
// out as C lays it out: unsigned long is uintptr.
type rtentry struct {
	pad1    uintptr
	dst     unix.RawSockaddrInet4
	gateway unix.RawSockaddrInet4
	genmask unix.RawSockaddrInet4
	flags   uint16
	pad2    int16
	pad3    uintptr
	pad4    uintptr
	metric  int16
	dev     *byte
	mtu     uintptr
	window  uintptr
	irtt    uint16
}

// addDefaultRoute routes 0.0.0.0/0 to the device (SIOCADDRT, as route(8)
// does).
func addDefaultRoute(s int) error {
	dev := append([]byte(tunName), 0)
	rt := rtentry{
		dst:     unix.RawSockaddrInet4{Family: unix.AF_INET},
		genmask: unix.RawSockaddrInet4{Family: unix.AF_INET},
		flags:   unix.RTF_UP,
		dev:     &dev[0],
	}
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(s), unix.SIOCADDRT, uintptr(unsafe.Pointer(&rt))); errno != 0 {
		return fmt.Errorf("configuring %s: default route: %w", tunName, errno)
	}
	return nil
}

// read returns the next IPv4 TCP packet the kernel has sent to the device,
// or nil when there is none now. Anything else the kernel sends there (IPv6
// router solicitations, say) is not part of the run and is skipped.
func (t *tun) read() ([]byte, error) {
	for {
		n, err := unix.Read(t.fd, t.buf)
		switch {
		case err == unix.EAGAIN:
			return nil, nil
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, fmt.Errorf("reading from %s: %w", tunName, err)
		}
		if n >= 20 && t.buf[0]>>4 == 4 && t.buf[9] == unix.IPPROTO_TCP {
			return append([]byte(nil), t.buf[:n]...), nil
		}
	}
}

// wait returns when the kernel has sent something to the device (true) or
// after d (false).
func (t *tun) wait(d time.Duration) (bool, error) {
	ts := unix.NsecToTimespec(max(d, 0).Nanoseconds())
	fds := []unix.PollFd{{Fd: int32(t.fd), Events: unix.POLLIN}}
	n, err := unix.Ppoll(fds, &ts, nil)
	if err != nil && err != unix.EINTR {
		return false, fmt.Errorf("waiting for %s: %w", tunName, err)
	}
	return n > 0, nil
}

func (t *tun) write(b []byte) error {
	_, err := unix.Write(t.fd, b)
	return err
}

func (t *tun) close() error {
	if t.fd < 0 {
		return nil
	}
	err := unix.Close(t.fd)
	t.fd = -1
	return err
}

// readyWithin bounds how long a new device may take to carry packets.
const readyWithin = 5 * time.Second

// waitReady returns once the kernel sends packets out through the device.
// A new device takes a while (its queueing discipline is activated by the
// kernel's link watcher, which runs at most once a second for the whole
// machine when many devices come up at once), and a SYN,ACK sent before
// then would leave late. It sends UDP datagrams from inside ns to dst until
// one comes out of the device; they go nowhere else.
func (t *tun) waitReady(ns *netns, dst netip.Addr) error {
	var fd int
	err := ns.do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return fmt.Errorf("probing %s: %w", tunName, err)
	}
	defer unix.Close(fd)
	to := &unix.SockaddrInet4{Port: 9, Addr: dst.As4()} // discard
	deadline := time.Now().Add(readyWithin)
	for time.Now().Before(deadline) {
		// EAGAIN or ENOBUFS while the device is not ready: try again.
		_ = unix.Sendto(fd, []byte("synack probe"), 0, to)
		if _, err := t.wait(10 * time.Millisecond); err != nil {
			return err
		}
		for {
			n, err := unix.Read(t.fd, t.buf)
			if err != nil {
				break
			}
			if n >= 20 && t.buf[0]>>4 == 4 && t.buf[9] == unix.IPPROTO_UDP {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %s carried no packet within %v", ErrUnavailable, tunName, readyWithin)
}
