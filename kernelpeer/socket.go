package kernelpeer

import (
	"errors"
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/synack/synack/engine"
)

// app is the kernel endpoint's application: it makes the scenario's socket
// calls with real sockets of the namespace. Like the engine's host it has
// one socket its calls act on: the listening socket until a connection is
// accepted, then that connection; once the connection is closed, the
// listener again. Descriptors are non-blocking: a call never waits, as a
// call in the engine never does.
type app struct {
	ns      *netns
	local   netip.AddrPort // the kernel endpoint's address and port
	remote  netip.AddrPort // the engine endpoint's
	backlog int
	// listener and conn are descriptors, -1 when there is none.
	listener int
	conn     int
}

func newApp(ns *netns, local, remote netip.AddrPort, backlog int) *app {
	return &app{ns: ns, local: local, remote: remote, backlog: backlog, listener: -1, conn: -1}
}

// call makes one socket call; it returns "ok", "eof" or the kernel's error
// text (strerror), and the bytes a receive read.
func (a *app) call(st engine.Step) (result, data string) {
	var err error
	switch st.Call {
	case engine.CallListen:
		err = a.listen()
	case engine.CallConnect:
		err = a.connect()
	default:
		a.accept()
		fd := a.sock()
		if fd < 0 {
			return errText(unix.EBADF), ""
		}
		switch st.Call {
		case engine.CallSend:
			_, err = unix.Write(fd, []byte(st.Data))
		case engine.CallReceive:
			return a.receive(fd)
		case engine.CallShutdown:
			err = unix.Shutdown(fd, unix.SHUT_WR)
		case engine.CallClose:
			err = a.closeSock(fd, false)
		case engine.CallAbort:
			err = a.closeSock(fd, true)
		}
	}
	if err != nil {
		return errText(err), ""
	}
	return "ok", ""
}

// errText words a failed call as the engine does, "error: " and the text,
// here the kernel's own (strerror).
func errText(err error) string {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return "error: " + errno.Error()
	}
	return "error: " + err.Error()
}

// sock is the descriptor calls act on, or -1.
func (a *app) sock() int {
	if a.conn >= 0 {
		return a.conn
	}
	return a.listener
}

func (a *app) newSocket() (int, error) {
	var fd int
	err := a.ns.do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return -1, err
	}
	// Each run reuses its ports at once, TIME-WAIT or not.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.Bind(fd, sockaddr(a.local)); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func (a *app) listen() error {
	if a.sock() >= 0 {
		return unix.EISCONN
	}
	fd, err := a.newSocket()
	if err != nil {
		return err
	}
	if err := unix.Listen(fd, a.backlog); err != nil {
		unix.Close(fd)
		return err
	}
	a.listener = fd
	return nil
}

// connect starts an active open; as with a non-blocking socket, the call
// returns at once and the handshake goes on in the kernel.
func (a *app) connect() error {
	if a.conn >= 0 {
		return unix.EISCONN
	}
	fd, err := a.newSocket()
	if err != nil {
		return err
	}
	if err := unix.Connect(fd, sockaddr(a.remote)); err != nil && err != unix.EINPROGRESS {
		unix.Close(fd)
		return err
	}
	a.conn = fd
	return nil
}

// accept takes an established connection from the listener, as a server
// blocked in accept() would as soon as there is one.
func (a *app) accept() {
	if a.listener < 0 || a.conn >= 0 {
		return
	}
	fd, _, err := unix.Accept4(a.listener, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	if err == nil {
		a.conn = fd
	}
}

// receive reads everything available; an end of stream with nothing before
// it is "eof", as in the engine.
func (a *app) receive(fd int) (string, string) {
	var got []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fd, buf)
		switch {
		case err == unix.EAGAIN:
			return "ok", string(got)
		case err != nil:
			if len(got) > 0 {
				return "ok", string(got)
			}
			return errText(err), ""
		case n == 0:
			if len(got) > 0 {
				return "ok", string(got)
			}
			return "eof", ""
		}
		got = append(got, buf[:n]...)
	}
}

// closeSock closes the socket calls act on; abort first sets SO_LINGER to
// zero, so that close() resets the connection.
func (a *app) closeSock(fd int, abort bool) error {
	if abort {
		if err := unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}); err != nil {
			return err
		}
	}
	if fd == a.conn {
		a.conn = -1
	} else {
		a.listener = -1
	}
	return unix.Close(fd)
}

// close closes whatever is left open at the end of a run.
func (a *app) close() {
	for _, fd := range []*int{&a.conn, &a.listener} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
}

func sockaddr(ap netip.AddrPort) *unix.SockaddrInet4 {
	return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
}
