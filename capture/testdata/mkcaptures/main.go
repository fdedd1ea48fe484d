// Command mkcaptures makes the Linux captures in capture/testdata: real TCP
// connections between two network namespaces joined by a veth pair
// (Ethernet) and on loopback, over IPv4 and IPv6, captured by tcpdump
// (pcap) and dumpcap (pcapng). Run as root from the module root:
//
//	go run ./capture/testdata/mkcaptures -out capture/testdata
//
// It lives under testdata so that go build ./... never builds it. The
// program runs itself again inside the namespaces (-role) to be the client
// or the server of one exchange.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const (
	nsA   = "synack-cap-a" // the client's namespace
	nsB   = "synack-cap-b" // the server's namespace
	port  = 40500
	ipv4A = "10.99.0.1"
	ipv4B = "10.99.0.2"
	ipv6A = "fd00:99::1"
	ipv6B = "fd00:99::2"
)

func main() {
	role := flag.String("role", "", "internal: client or server")
	addr := flag.String("addr", "", "internal: the address to listen on or connect to")
	out := flag.String("out", "capture/testdata", "directory to write the captures to")
	flag.Parse()
	switch *role {
	case "server":
		server(*addr)
		return
	case "client":
		client(*addr)
		return
	case "refused":
		refused(*addr)
		return
	}
	if err := run(*out); err != nil {
		log.Fatal(err)
	}
}

// server accepts one connection, reads the request to its end (the client
// half-closes), answers and closes.
func server(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("listening")
	c, err := ln.Accept()
	if err != nil {
		log.Fatal(err)
	}
	req, err := io.ReadAll(c)
	if err != nil {
		log.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	fmt.Fprintf(c, "you said %q", req)
	time.Sleep(100 * time.Millisecond)
	c.Close()
	ln.Close()
}

// client connects, sends a request, shuts its sending half, reads the
// answer to its end and closes.
func client(addr string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := io.WriteString(c, "hello, synack"); err != nil {
		log.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		log.Fatal(err)
	}
	if _, err := io.ReadAll(c); err != nil {
		log.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	c.Close()
}

// refused connects to a port nobody listens on.
func refused(addr string) {
	if _, err := net.Dial("tcp", addr); err == nil {
		log.Fatal("connected to a closed port")
	}
}

func sh(args ...string) error {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	return nil
}

func setup() error {
	_ = teardown()
	for _, args := range [][]string{
		{"ip", "netns", "add", nsA},
		{"ip", "netns", "add", nsB},
		{"ip", "link", "add", "veth-syna", "netns", nsA, "type", "veth", "peer", "name", "veth-synb", "netns", nsB},
		{"ip", "-n", nsA, "addr", "add", ipv4A + "/24", "dev", "veth-syna"},
		{"ip", "-n", nsB, "addr", "add", ipv4B + "/24", "dev", "veth-synb"},
		{"ip", "-n", nsA, "addr", "add", ipv6A + "/64", "dev", "veth-syna", "nodad"},
		{"ip", "-n", nsB, "addr", "add", ipv6B + "/64", "dev", "veth-synb", "nodad"},
		{"ip", "-n", nsA, "link", "set", "veth-syna", "up"},
		{"ip", "-n", nsB, "link", "set", "veth-synb", "up"},
		{"ip", "-n", nsA, "link", "set", "lo", "up"},
		{"ip", "-n", nsB, "link", "set", "lo", "up"},
	} {
		if err := sh(args...); err != nil {
			return err
		}
	}
	time.Sleep(500 * time.Millisecond) // the link comes up
	return nil
}

func teardown() error {
	err1 := exec.Command("ip", "netns", "del", nsA).Run()
	err2 := exec.Command("ip", "netns", "del", nsB).Run()
	if err1 != nil {
		return err1
	}
	return err2
}

// capture is one capture to make: a capturing program in a namespace on an
// interface, and the exchanges to make while it runs.
type capture struct {
	file    string
	ns      string // where the capturer runs
	iface   string
	pcapng  bool     // dumpcap (pcapng) rather than tcpdump (pcap)
	extra   []string // more capturer arguments
	exchs   []exchange
	comment string
}

type exchange struct {
	clientNS, serverNS string
	addr               string // host:port
	refused            bool
}

func run(out string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := setup(); err != nil {
		return err
	}
	defer teardown()
	hp := func(host string, p int) string { return net.JoinHostPort(host, fmt.Sprint(p)) }
	captures := []capture{
		{file: "ethernet-ipv4.pcap", ns: nsB, iface: "veth-synb", exchs: []exchange{
			{clientNS: nsA, serverNS: nsB, addr: hp(ipv4B, port)},
			{clientNS: nsA, addr: hp(ipv4B, port+1), refused: true},
		}},
		{file: "ethernet-ipv6.pcapng", ns: nsB, iface: "veth-synb", pcapng: true, exchs: []exchange{
			{clientNS: nsA, serverNS: nsB, addr: hp(ipv6B, port+2)},
		}},
		{file: "loopback-ipv6.pcap", ns: nsA, iface: "lo", exchs: []exchange{
			{clientNS: nsA, serverNS: nsA, addr: hp("::1", port+3)},
		}},
		{file: "loopback-ipv4.pcapng", ns: nsA, iface: "lo", pcapng: true, exchs: []exchange{
			{clientNS: nsA, serverNS: nsA, addr: hp("127.0.0.1", port+4)},
		}},
		{file: "any-sll.pcap", ns: nsA, iface: "any", extra: []string{"-y", "LINUX_SLL"}, exchs: []exchange{
			{clientNS: nsA, serverNS: nsB, addr: hp(ipv4B, port+5)},
		}},
		{file: "any-sll2.pcap", ns: nsA, iface: "any", extra: []string{"-y", "LINUX_SLL2"}, exchs: []exchange{
			{clientNS: nsA, serverNS: nsA, addr: hp("::1", port+6)},
		}},
	}
	for _, c := range captures {
		if err := make1(self, out, c); err != nil {
			return fmt.Errorf("%s: %w", c.file, err)
		}
		log.Printf("wrote %s", filepath.Join(out, c.file))
	}
	return nil
}

func make1(self, out string, c capture) error {
	path := filepath.Join(out, c.file)
	var args []string
	if c.pcapng {
		args = []string{"ip", "netns", "exec", c.ns, "dumpcap", "-q", "-i", c.iface, "-w", path, "-f", "tcp portrange 40500-40510"}
	} else {
		args = []string{"ip", "netns", "exec", c.ns, "tcpdump", "-i", c.iface, "-n", "-s", "0", "-U", "--immediate-mode", "-w", path}
		args = append(args, c.extra...)
		args = append(args, "tcp portrange 40500-40510")
	}
	capt := exec.Command(args[0], args[1:]...)
	capt.Stderr = os.Stderr
	if err := capt.Start(); err != nil {
		return err
	}
	time.Sleep(1500 * time.Millisecond) // the capturer is listening
	for _, x := range c.exchs {
		if x.refused {
			if err := sh("ip", "netns", "exec", x.clientNS, self, "-role", "refused", "-addr", x.addr); err != nil {
				return err
			}
			continue
		}
		srv := exec.Command("ip", "netns", "exec", x.serverNS, self, "-role", "server", "-addr", x.addr)
		srv.Stderr = os.Stderr
		stdout, _ := srv.StdoutPipe()
		if err := srv.Start(); err != nil {
			return err
		}
		buf := make([]byte, 16)
		if _, err := stdout.Read(buf); err != nil { // "listening"
			return err
		}
		if err := sh("ip", "netns", "exec", x.clientNS, self, "-role", "client", "-addr", x.addr); err != nil {
			return err
		}
		if err := srv.Wait(); err != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	_ = capt.Process.Signal(os.Interrupt)
	return capt.Wait()
}
