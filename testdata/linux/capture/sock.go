package main

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/synack/synack/engine/wire"
)

// env is what a case works with: the recorder and socket calls that record
// themselves. Sockets are plain blocking file descriptors.
type env struct {
	rec     *recorder
	rawPcap string // the capture file tcpdump is writing
}

var loopbackAddr = [4]byte{127, 0, 0, 1}

func newSocket() (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		syscall.Close(fd)
		return -1, fmt.Errorf("SO_REUSEADDR: %w", err)
	}
	return fd, nil
}

func bindPort(fd int, port uint16) error {
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: int(port), Addr: loopbackAddr}); err != nil {
		return fmt.Errorf("bind %d: %w", port, err)
	}
	return nil
}

func localPort(fd int) uint16 {
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return 0
	}
	if in, ok := sa.(*syscall.SockaddrInet4); ok {
		return uint16(in.Port)
	}
	return 0
}

// boundSocket makes a socket bound to 127.0.0.1:port.
func boundSocket(port uint16) (int, error) {
	fd, err := newSocket()
	if err != nil {
		return -1, err
	}
	if err := bindPort(fd, port); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// listen calls listen(2) on a bound socket and records it.
func (e *env) listen(endpoint string, fd, backlog int) error {
	at := time.Now()
	if err := syscall.Listen(fd, backlog); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	e.rec.add(at, endpoint, "listen", "")
	return nil
}

// connect calls connect(2) on fd and records it; it blocks until the
// handshake ends. EINTR is retried: a later connect(2) on the same socket
// waits for the handshake already under way.
func (e *env) connect(endpoint string, fd int, port uint16) error {
	at := time.Now()
	e.rec.add(at, endpoint, "connect", "")
	sa := &syscall.SockaddrInet4{Port: int(port), Addr: loopbackAddr}
	for {
		err := syscall.Connect(fd, sa)
		switch {
		case err == nil, errors.Is(err, syscall.EISCONN):
			return nil
		case errors.Is(err, syscall.EINTR), errors.Is(err, syscall.EALREADY):
			time.Sleep(time.Millisecond)
			continue
		default:
			return fmt.Errorf("connect: %w", err)
		}
	}
}

// accept takes the next connection off the listener. It is not recorded: in
// a synack scenario the server's accept is implicit.
func accept(lfd int) (int, error) {
	for {
		fd, _, err := syscall.Accept4(lfd, syscall.SOCK_CLOEXEC)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return -1, fmt.Errorf("accept: %w", err)
		}
		return fd, nil
	}
}

func (e *env) send(endpoint string, fd int, data string) error {
	at := time.Now()
	n, err := syscall.Write(fd, []byte(data))
	if err != nil {
		return fmt.Errorf("%s send: %w", endpoint, err)
	}
	if n != len(data) {
		return fmt.Errorf("%s send: short write %d/%d", endpoint, n, len(data))
	}
	e.rec.add(at, endpoint, "send", data)
	return nil
}

// receive reads everything available: one blocking read, then non-blocking
// reads until nothing is left or the stream ends. The call is recorded at the
// time the blocking read returned, the moment the data (or EOF) was there.
func (e *env) receive(endpoint string, fd int) (data string, eof bool, err error) {
	buf := make([]byte, 1<<16)
	var n int
	for {
		n, err = syscall.Read(fd, buf)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	at := time.Now()
	if err != nil {
		e.rec.add(at, endpoint, "receive", "")
		return "", false, fmt.Errorf("%s receive: %w", endpoint, err)
	}
	var b strings.Builder
	b.Write(buf[:n])
	eof = n == 0
	for !eof {
		n, _, err = syscall.Recvfrom(fd, buf, syscall.MSG_DONTWAIT)
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
			break
		}
		if err != nil {
			e.rec.add(at, endpoint, "receive", "")
			return b.String(), false, fmt.Errorf("%s receive: %w", endpoint, err)
		}
		if n == 0 {
			eof = true
			break
		}
		b.Write(buf[:n])
	}
	e.rec.add(at, endpoint, "receive", "")
	return b.String(), eof, nil
}

func (e *env) shutdown(endpoint string, fd int) error {
	at := time.Now()
	if err := syscall.Shutdown(fd, syscall.SHUT_WR); err != nil {
		return fmt.Errorf("%s shutdown: %w", endpoint, err)
	}
	e.rec.add(at, endpoint, "shutdown", "")
	return nil
}

func (e *env) close(endpoint string, fd int) error {
	at := time.Now()
	if err := syscall.Close(fd); err != nil {
		return fmt.Errorf("%s close: %w", endpoint, err)
	}
	e.rec.add(at, endpoint, "close", "")
	return nil
}

// abort resets the connection: SO_LINGER {on, 0 s}, then close.
func (e *env) abort(endpoint string, fd int) error {
	at := time.Now()
	if err := syscall.SetsockoptLinger(fd, syscall.SOL_SOCKET, syscall.SO_LINGER,
		&syscall.Linger{Onoff: 1, Linger: 0}); err != nil {
		return fmt.Errorf("%s SO_LINGER: %w", endpoint, err)
	}
	if err := syscall.Close(fd); err != nil {
		return fmt.Errorf("%s close: %w", endpoint, err)
	}
	e.rec.add(at, endpoint, "abort", "")
	return nil
}

// together runs fns at the instant at on separate OS threads: each sleeps
// until shortly before, then spins until all have arrived and the time has
// come. Spinning only briefly keeps the scheduler from preempting a spinner.
// A start more than a millisecond late is noted as late.
func (r *recorder) together(at time.Time, fns ...func()) {
	var arrived atomic.Int32
	n := int32(len(fns))
	var wg sync.WaitGroup
	for _, f := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			time.Sleep(time.Until(at) - 2*time.Millisecond)
			arrived.Add(1)
			for arrived.Load() < n || time.Now().Before(at) {
			}
			if over := time.Since(at); over > time.Millisecond {
				r.mu.Lock()
				r.late = append(r.late, fmt.Sprintf("simultaneous calls started %.1f ms late", float64(over)/1e6))
				r.mu.Unlock()
			}
			f()
		}()
	}
	wg.Wait()
}

// tcpSocket is one line of /proc/net/tcp.
type tcpSocket struct {
	local, remote uint16
	state         int // 1 ESTABLISHED ... 6 TIME_WAIT, 10 LISTEN, 11 CLOSING
}

func tcpSockets() ([]tcpSocket, error) {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []tcpSocket
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		port := func(addr string) uint16 {
			_, p, _ := strings.Cut(addr, ":")
			v, _ := strconv.ParseUint(p, 16, 16)
			return uint16(v)
		}
		st, _ := strconv.ParseInt(fields[3], 16, 32)
		out = append(out, tcpSocket{port(fields[1]), port(fields[2]), int(st)})
	}
	return out, sc.Err()
}

// portsFree reports whether no TCP socket (in any state, TIME-WAIT included)
// uses any of ports.
func portsFree(ports ...uint16) bool {
	socks, err := tcpSockets()
	if err != nil {
		return false
	}
	for _, s := range socks {
		for _, p := range ports {
			if s.local == p || s.remote == p {
				return false
			}
		}
	}
	return true
}

// netstat reads the TcpExt counters of /proc/net/netstat.
func netstat() map[string]int64 {
	b, err := os.ReadFile("/proc/net/netstat")
	if err != nil {
		return nil
	}
	lines := strings.Split(string(b), "\n")
	out := map[string]int64{}
	for i := 0; i+1 < len(lines); i += 2 {
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) == 0 || len(names) != len(values) {
			continue
		}
		prefix := strings.TrimSuffix(names[0], ":")
		for j := 1; j < len(names); j++ {
			v, _ := strconv.ParseInt(values[j], 10, 64)
			out[prefix+names[j]] = v
		}
	}
	return out
}

// injectRaw sends a TCP segment from 127.0.0.1:src to 127.0.0.1:dst through
// a raw socket, as if the socket on src had sent it.
func injectRaw(src, dst uint16, flags wire.Flags, seq, ack uint32, window uint16, data []byte) error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_RAW)
	if err != nil {
		return fmt.Errorf("raw socket: %w", err)
	}
	defer syscall.Close(fd)
	lo := netip.AddrFrom4(loopbackAddr)
	pkt := wire.Packet{Src: lo, Dst: lo, TCP: wire.Segment{
		SrcPort: src, DstPort: dst, Seq: seq, Ack: ack,
		Flags: flags, Window: window, Payload: data,
	}}
	b, err := pkt.Marshal()
	if err != nil {
		return err
	}
	if err := syscall.Sendto(fd, b, 0, &syscall.SockaddrInet4{Addr: loopbackAddr}); err != nil {
		return fmt.Errorf("raw send: %w", err)
	}
	return nil
}
