// Package kernelpeer puts the Linux kernel of this machine on one side of a
// synack run. The engine (engine.External) plays one endpoint; the kernel
// plays the other with a real socket inside a network namespace of its own,
// whose only interface is a TUN device. The engine's segments are written to
// the TUN as IPv4 packets; what the kernel sends back is read from it, fed to
// the engine and recorded in the trace like any segment. The kernel makes
// the scenario's socket calls for its endpoint at the scenario's times, in
// real time; its states are read with sock_diag.
//
// It needs Linux, /dev/net/tun and CAP_NET_ADMIN with CAP_SYS_ADMIN (to
// create a namespace): root. Available says whether this machine can.
package kernelpeer

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// ErrUnavailable is wrapped by the error of Available and of Run where the
// machine cannot give the kernel a namespace and a TUN device.
var ErrUnavailable = errors.New("the kernel peer is unavailable")

// netns is a network namespace of its own, held open by a file descriptor.
// The namespace disappears when this descriptor and every socket and device
// in it are closed.
type netns struct {
	fd int
}

// inThread runs f on an OS thread of its own that, when nsfd >= 0, has
// joined the namespace nsfd. No other goroutine ever runs in a namespace it
// did not ask for: afterwards the thread goes back to the namespace it came
// from and only then is handed back to the Go scheduler; where it cannot go
// back, it ends with f's goroutine (runtime.LockOSThread without Unlock).
//
// Going back matters even so: a locked goroutine that ends on the process's
// main thread does not end the thread (Go parks the main thread for good),
// and a thread parked in a namespace keeps the namespace alive as long as
// the process (TestKernelPeerAbruptClose counts threads away from home).
func inThread(nsfd int, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("%w: opening this thread's network namespace: %w", ErrUnavailable, err)
			return
		}
		defer func() {
			if unix.Setns(home, unix.CLONE_NEWNET) == nil {
				runtime.UnlockOSThread()
			}
			unix.Close(home)
		}()
		if nsfd >= 0 {
			if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
				errc <- fmt.Errorf("%w: joining the network namespace: %w", ErrUnavailable, err)
				return
			}
		}
		errc <- f()
	}()
	return <-errc
}

// newNetns creates a network namespace.
func newNetns() (*netns, error) {
	n := &netns{fd: -1}
	err := inThread(-1, func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("%w: creating a network namespace: %w (it needs root)", ErrUnavailable, err)
		}
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("%w: opening the new network namespace: %w", ErrUnavailable, err)
		}
		n.fd = fd
		return nil
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// do runs f inside the namespace. Sockets and devices created in f belong
// to the namespace for good, whatever thread uses them later.
func (n *netns) do(f func() error) error { return inThread(n.fd, f) }

// sysctl writes a value under /proc/sys/net/ipv4 of this namespace: the
// TCP settings there are per namespace.
func (n *netns) sysctl(name, value string) error {
	return n.do(func() error {
		path := "/proc/sys/net/ipv4/" + name
		if err := os.WriteFile(path, []byte(value), 0); err != nil {
			return fmt.Errorf("setting %s: %w", path, err)
		}
		return nil
	})
}

func (n *netns) close() error {
	if n.fd < 0 {
		return nil
	}
	err := unix.Close(n.fd)
	n.fd = -1
	return err
}

// Available reports whether this machine can run the kernel as a peer: a
// network namespace and a TUN device can be made (Linux, /dev/net/tun,
// root). The error says what is missing.
func Available() error {
	ns, err := newNetns()
	if err != nil {
		return err
	}
	defer ns.close()
	t, err := newTUN(ns, netip.AddrFrom4([4]byte{10, 0, 0, 2}), 1500)
	if err != nil {
		return err
	}
	return t.close()
}
