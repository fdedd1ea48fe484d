package main

import (
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/synack/synack/engine/wire"
)

// captureCase is one capture: the calls to make and what to call the files.
type captureCase struct {
	name    string
	filter  string        // tcpdump filter while capturing
	tail    time.Duration // capture time after the last call
	title   text
	summary text
	run     func(e *env) *result
}

// failure carries an error out of a case through panic, so that the cases
// read as the call sequences they are.
type failure struct{ err error }

func check(err error) {
	if err != nil {
		panic(failure{err})
	}
}

func (c captureCase) runCase(e *env) (res *result, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(failure)
			if !ok {
				panic(r)
			}
			err = f.err
		}
	}()
	return c.run(e), nil
}

func expect(res *result, what, got, want string) {
	if got != want {
		res.notes = append(res.notes, fmt.Sprintf("UNEXPECTED %s: got %q, want %q", what, got, want))
	}
}

func eofText(eof bool) string {
	if eof {
		return "EOF"
	}
	return "no EOF"
}

func cases(synAcceptAfter time.Duration) []captureCase {
	return []captureCase{
		{
			name: "handshake-four-way-close", filter: "tcp port 40010", tail: 500 * time.Millisecond,
			title: text{"Linux: handshake, data, four-segment close", "Linux：握手、数据、四段关闭"},
			summary: text{
				"Captured from Linux on loopback. The client sends hello and closes; the server reads the end of stream and closes 300 ms later, after its delayed ACK of the client's FIN has gone out on its own.",
				"在 Linux 回环接口上抓取。客户端发送 hello 后关闭；服务器读到流结束，300 毫秒后才关闭，此前它对客户端 FIN 的延迟确认已单独发出。",
			},
			run: fourWayClose,
		},
		{
			name: "three-way-close", filter: "tcp port 40020", tail: 500 * time.Millisecond,
			title: text{"Linux: three-segment close", "Linux：三段关闭"},
			summary: text{
				"Captured from Linux on loopback. The server is blocked in recv() when the client's FIN arrives and closes at once: the delayed ACK of the FIN rides on the server's FIN.",
				"在 Linux 回环接口上抓取。客户端 FIN 到达时服务器正阻塞在 recv()，随即关闭：对 FIN 的延迟确认与服务器的 FIN 合并在一个报文段里。",
			},
			run: threeWayClose,
		},
		{
			name: "half-close", filter: "tcp port 40030", tail: 500 * time.Millisecond,
			title: text{"Linux: half-close", "Linux：半关闭"},
			summary: text{
				"Captured from Linux on loopback. The client sends its request and shuts down its sending half; the server reads request and end of stream, answers in two parts and closes.",
				"在 Linux 回环接口上抓取。客户端发送请求后关闭发送方向；服务器读到请求和流结束，分两次回答后关闭。",
			},
			run: halfClose,
		},
		{
			name: "closed-port", filter: "tcp port 40040", tail: 500 * time.Millisecond,
			title: text{"Linux: connect to a closed port", "Linux：连接未监听的端口"},
			summary: text{
				"Captured from Linux on loopback. Nothing listens on the port: the SYN is answered with RST+ACK and connect() fails with ECONNREFUSED.",
				"在 Linux 回环接口上抓取。端口上没有监听者：SYN 得到 RST+ACK 回应，connect() 以 ECONNREFUSED 失败。",
			},
			run: closedPort,
		},
		{
			name: "close-unread-data", filter: "tcp port 40050", tail: 500 * time.Millisecond,
			title: text{"Linux: close with unread data sends RST", "Linux：有未读数据时关闭会发送 RST"},
			summary: text{
				"Captured from Linux on loopback. The server sends data the client never reads; the client's close() resets the connection instead of sending FIN (RFC 1122 4.2.2.13).",
				"在 Linux 回环接口上抓取。服务器发送的数据客户端从未读取；客户端 close() 时发送 RST 而不是 FIN（RFC 1122 4.2.2.13）。",
			},
			run: closeUnreadData,
		},
		{
			name: "linger-zero", filter: "tcp port 40060", tail: 500 * time.Millisecond,
			title: text{"Linux: abort with SO_LINGER 0", "Linux：SO_LINGER 为 0 时中止连接"},
			summary: text{
				"Captured from Linux on loopback. The client sets SO_LINGER {on, 0} and closes an established connection: RST, no FIN, no TIME-WAIT.",
				"在 Linux 回环接口上抓取。客户端设置 SO_LINGER {on, 0} 后关闭已建立的连接：发送 RST，没有 FIN，也没有 TIME-WAIT。",
			},
			run: lingerZero,
		},
		{
			name: "syn-retransmit", filter: "tcp port 40070", tail: 500 * time.Millisecond,
			title: text{"Linux: SYN retransmission while the accept queue is full", "Linux：接受队列已满时的 SYN 重传"},
			summary: text{
				"Captured from Linux on loopback. The listener (backlog 0) already holds one completed, unaccepted connection, so it silently drops this client's SYNs; the client retransmits them (linear 1 s timeouts first, then exponential) until the server accepts the queued connection and a retransmitted SYN gets through. The drops are written as faults.",
				"在 Linux 回环接口上抓取。监听套接字（backlog 0）里已有一个完成握手但未被 accept 的连接，于是它悄悄丢弃本客户端的 SYN；客户端不断重传（先是线性的 1 秒超时，然后指数退避），直到服务器 accept 了排队的连接，某个重传的 SYN 才得以通过。这些丢弃写成了 faults。",
			},
			run: func(e *env) *result { return synRetransmit(e, 40070, synAcceptAfter) },
		},
		{
			name: "syn-timeout", filter: "tcp port 40080", tail: 500 * time.Millisecond,
			title: text{"Linux: connect() gives up after its SYN retransmissions", "Linux：SYN 重传用尽后 connect() 放弃"},
			summary: text{
				"Captured from Linux on loopback. As in syn-retransmit the listener's accept queue is full and stays full: the client sends its SYN and 10 retransmissions (tcp_syn_retries 6 plus tcp_syn_linear_timeouts 4), then connect() fails with ETIMEDOUT; nothing is sent when it gives up. The drops are written as faults.",
				"在 Linux 回环接口上抓取。与 syn-retransmit 相同，监听套接字的接受队列已满且一直不被 accept：客户端发送 SYN 及 10 次重传（tcp_syn_retries 6 加 tcp_syn_linear_timeouts 4），随后 connect() 以 ETIMEDOUT 失败；放弃时不发送任何报文段。这些丢弃写成了 faults。",
			},
			run: func(e *env) *result { return synRetransmit(e, 40080, -1) },
		},
		{
			name: "simultaneous-open", filter: "tcp portrange 40100-40199", tail: 500 * time.Millisecond,
			title: text{"Linux: simultaneous open", "Linux：同时打开"},
			summary: text{
				"Captured from Linux on loopback. Two sockets bound to fixed ports connect() to each other at the same instant; their SYNs cross and each answers the other's SYN with a SYN+ACK.",
				"在 Linux 回环接口上抓取。两个绑定了固定端口的套接字在同一时刻互相 connect()；两个 SYN 交叉，双方各自以 SYN+ACK 回应对方的 SYN。",
			},
			run: simultaneousOpen,
		},
		{
			name: "simultaneous-close", filter: "tcp port 40200", tail: 500 * time.Millisecond,
			title: text{"Linux: simultaneous close", "Linux：同时关闭"},
			summary: text{
				"Captured from Linux on loopback. Both sides close() at the same instant: the FINs cross, both go FIN-WAIT-1 -> CLOSING -> TIME-WAIT.",
				"在 Linux 回环接口上抓取。双方在同一时刻 close()：两个 FIN 交叉，双方都经历 FIN-WAIT-1 -> CLOSING -> TIME-WAIT。",
			},
			run: simultaneousClose,
		},
		{
			name: "interactive-delayed-ack", filter: "tcp port 40400", tail: 500 * time.Millisecond,
			title: text{"Linux: quick ACKs first, delayed ACKs once interactive", "Linux：先快速确认，交互之后延迟确认"},
			summary: text{
				"Captured from Linux on loopback. A new connection ACKs data at once (quick-ack mode); once the server has answered a request straight away, it counts as interactive and delays the ACK of the next request by about 40 ms.",
				"在 Linux 回环接口上抓取。新连接对数据立即确认（快速确认模式）；服务器一旦立即回应过一次请求，就被视为交互式连接，对下一个请求的确认延迟约 40 毫秒。",
			},
			run: interactiveDelayedAck,
		},
		{
			name: "nagle-close", filter: "tcp port 40410", tail: 500 * time.Millisecond,
			title: text{"Linux: close() pushes data that Nagle's algorithm holds", "Linux：close() 推出被 Nagle 算法扣住的数据"},
			summary: text{
				"Captured from Linux on loopback. The server is interactive, so it delays its ACKs; the client sends a, then b while a is unacknowledged (Nagle's algorithm holds b), then closes: the kernel sends b at once with the FIN on it (tcp_send_fin).",
				"在 Linux 回环接口上抓取。服务器处于交互模式，延迟确认；客户端发送 a，在 a 未被确认时发送 b（Nagle 算法扣住 b），随即关闭：内核立即发出 b，并把 FIN 带在同一个报文段上（tcp_send_fin）。",
			},
			run: nagleClose,
		},
		{
			name: "blind-data-injection", filter: "tcp port 40420", tail: 500 * time.Millisecond,
			title: text{"Linux: data with an ACK far below SND.UNA gets a challenge ACK", "Linux：ACK 远低于 SND.UNA 的数据得到挑战 ACK"},
			summary: text{
				"Captured from Linux on loopback. A raw socket injects data at the server's RCV.NXT whose ACK lies 100000 below the server's SND.UNA, more than a window: the kernel drops the data and answers with a challenge ACK (RFC 5961 section 5, tcp_ack). Then the client closes, and the server 100 ms later.",
				"在 Linux 回环接口上抓取。用原始套接字注入一段数据，其序号正是服务器的 RCV.NXT，但 ACK 比服务器的 SND.UNA 低 100000，超过一个窗口：内核丢弃这段数据，并回以挑战 ACK（RFC 5961 第 5 节，tcp_ack）。随后客户端关闭，服务器在 100 毫秒后关闭。",
			},
			run: blindDataInjection,
		},
		{
			name: "close-syn-received", filter: "tcp port 40430", tail: 500 * time.Millisecond,
			title: text{"Linux: closing before accept() drops the half-open connection", "Linux：accept() 之前关闭会丢弃半开连接"},
			summary: text{
				"Captured from Linux on loopback. An iptables rule drops the client's handshake ACK, so the server's connection stays in SYN-RECEIVED; the server closes its listening socket, which drops the half-open connection without sending anything. The client's data then finds no socket and gets RST.",
				"在 Linux 回环接口上抓取。一条 iptables 规则丢弃了客户端握手的 ACK，服务器一侧的连接停在 SYN-RECEIVED；服务器关闭监听套接字，半开连接被悄悄丢弃，不发送任何报文段。随后客户端的数据找不到套接字，得到 RST。",
			},
			run: closeSynReceived,
		},
		{
			name: "syn-lost-rtt", filter: "tcp port 40440", tail: 500 * time.Millisecond,
			title: text{"Linux: after a lost SYN, lost data goes again within about 200 ms", "Linux：SYN 丢失之后，丢失的数据约 200 毫秒内重传"},
			summary: text{
				"Captured from Linux on loopback. iptables drops the client's first SYN and, later, its first data segment. The SYN,ACK echoes the retransmitted SYN's timestamp, which gives the kernel an RTT sample (tcp_rtt_tsopt_us), so the RTO is about 200 ms and not RFC 6298's 3 s fallback: the data goes again about 200 ms after it was lost.",
				"在 Linux 回环接口上抓取。iptables 丢弃客户端的第一个 SYN，之后又丢弃它的第一个数据报文段。SYN,ACK 回显了重传 SYN 的时间戳，内核由此得到一个往返时间样本（tcp_rtt_tsopt_us），所以 RTO 约为 200 毫秒，而不是 RFC 6298 的 3 秒后备值：数据在丢失约 200 毫秒后重传。",
			},
			run: synLostRTT,
		},
		{
			name: "time-wait-abort", filter: "tcp port 40450", tail: 500 * time.Millisecond,
			title: text{"Linux: SO_LINGER 0 leaves TIME-WAIT in place; data there is ACKed", "Linux：SO_LINGER 0 不会清除 TIME-WAIT；到达的数据会被确认"},
			summary: text{
				"Captured from Linux on loopback. The client half-closes, the server closes, and the client, in TIME-WAIT, sets SO_LINGER 0 and closes: nothing is sent and TIME-WAIT stays. A raw socket then injects data from the server at the client's RCV.NXT: the timewait socket answers with an ACK (tcp_timewait_state_process).",
				"在 Linux 回环接口上抓取。客户端半关闭，服务器关闭，处于 TIME-WAIT 的客户端设置 SO_LINGER 0 后关闭：不发送任何报文段，TIME-WAIT 依然存在。随后用原始套接字以服务器的身份在客户端的 RCV.NXT 注入数据：timewait 套接字回以一个 ACK（tcp_timewait_state_process）。",
			},
			run: timeWaitAbort,
		},
		{
			name: "fin-wait-2-orphan-rst", filter: "tcp port 40460", tail: 500 * time.Millisecond,
			title: text{"Linux: an inexact RST silently ends FIN-WAIT-2 after close()", "Linux：close() 之后，不精确的 RST 悄然结束 FIN-WAIT-2"},
			summary: text{
				"Captured from Linux on loopback. The client closes; once its FIN is ACKed it waits in FIN-WAIT-2 as a timewait mini-socket. A raw socket injects, from the server, a RST 10 bytes into the window: the kernel drops the connection without a challenge ACK. An ACK injected next finds no socket and gets RST.",
				"在 Linux 回环接口上抓取。客户端关闭；FIN 被确认后，它以 timewait 小套接字的形式在 FIN-WAIT-2 等待。用原始套接字以服务器身份注入一个落在窗口内 10 字节处的 RST：内核不发挑战 ACK，直接删除连接。随后注入的 ACK 找不到套接字，得到 RST。",
			},
			run: finWait2OrphanRST,
		},
		{
			name: "close-wait-rst-fin-seq", filter: "tcp port 40470", tail: 500 * time.Millisecond,
			title: text{"Linux: a RST at the FIN's sequence number resets CLOSE-WAIT", "Linux：序号等于 FIN 的 RST 复位 CLOSE-WAIT"},
			summary: text{
				"Captured from Linux on loopback. The client shuts down its sending half; the server, in CLOSE-WAIT, ACKs the FIN. A raw socket injects, from the client, a RST at the FIN's own sequence number, RCV.NXT-1: the kernel resets the connection (tcp_reset_check), so the server's close() sends nothing.",
				"在 Linux 回环接口上抓取。客户端关闭发送方向；处于 CLOSE-WAIT 的服务器确认了 FIN。用原始套接字以客户端身份注入一个序号等于 FIN 自身序号（RCV.NXT-1）的 RST：内核复位连接（tcp_reset_check），所以服务器的 close() 什么也不发送。",
			},
			run: closeWaitRSTFinSeq,
		},
		{
			name: "time-wait-syn-reopen", filter: "tcp port 40480", tail: 500 * time.Millisecond,
			title: text{"Linux: a new SYN past the old sequence space reopens TIME-WAIT", "Linux：越过旧序号空间的新 SYN 重新打开 TIME-WAIT"},
			summary: text{
				"Captured from Linux on loopback. The server closes first and ends in TIME-WAIT. A raw socket then sends, from the client's address and port, a SYN 100,000 bytes past the server's RCV.NXT: the timewait socket lets it through to the listener (tcp_timewait_state_process, TCP_TW_SYN), which answers with SYN,ACK and an ISN of the old SND.NXT + 65537. The client's kernel, whose socket is closed, answers that with a RST.",
				"在 Linux 回环接口上抓取。服务器先关闭，进入 TIME-WAIT。随后用原始套接字以客户端的地址和端口发送一个序号比服务器的 RCV.NXT 大 100,000 的 SYN：timewait 套接字把它交给监听套接字（tcp_timewait_state_process，TCP_TW_SYN），后者以 SYN,ACK 回应，ISN 为旧 SND.NXT + 65537。客户端的套接字已关闭，其内核以 RST 回应。",
			},
			run: timeWaitSynReopen,
		},
		{
			name: "time-wait", filter: "tcp port 40300", tail: 500 * time.Millisecond,
			title: text{"Linux: the active closer ends in TIME-WAIT", "Linux：主动关闭方进入 TIME-WAIT"},
			summary: text{
				"Captured from Linux on loopback. The client closes first and the server 100 ms later; ss shows the client socket in FIN-WAIT-2 and then TIME-WAIT with its 60 s timer.",
				"在 Linux 回环接口上抓取。客户端先关闭，服务器 100 毫秒后关闭；ss 显示客户端套接字先处于 FIN-WAIT-2，随后进入带 60 秒定时器的 TIME-WAIT。",
			},
			run: timeWait,
		},
	}
}

// establish starts the recorder's clock, listens on port, connects a client
// and accepts the connection. The sockets are made before the clock starts.
func establish(e *env, port uint16) (lfd, cfd, sfd int) {
	lfd, err := boundSocket(port)
	check(err)
	cfd, err = newSocket()
	check(err)
	e.rec.begin()
	check(e.listen("server", lfd, 16))
	check(e.connect("client", cfd, port))
	sfd, err = accept(lfd)
	check(err)
	return lfd, cfd, sfd
}

func fourWayClose(e *env) *result {
	const port = 40010
	res := &result{}
	lfd, cfd, sfd := establish(e, port)
	defer syscall.Close(lfd)
	res.conns = []conn{{a: port, b: localPort(cfd)}}

	e.rec.sleepUntil(100)
	check(e.send("client", cfd, "hello"))
	e.rec.sleepUntil(150)
	got, _, err := e.receive("server", sfd)
	check(err)
	expect(res, "server receive", got, "hello")
	e.rec.sleepUntil(200)
	check(e.close("client", cfd))
	e.rec.sleepUntil(250)
	got, eof, err := e.receive("server", sfd)
	check(err)
	expect(res, "server receive", got+eofText(eof), "EOF")
	e.rec.sleepUntil(500)
	check(e.close("server", sfd))
	return res
}

func threeWayClose(e *env) *result {
	const port = 40020
	res := &result{}
	lfd, cfd, sfd := establish(e, port)
	defer syscall.Close(lfd)
	res.conns = []conn{{a: port, b: localPort(cfd)}}

	e.rec.sleepUntil(100)
	check(e.send("client", cfd, "hello"))
	server := make(chan error, 1)
	go func() {
		e.rec.sleepUntil(150)
		got, _, err := e.receive("server", sfd)
		if err != nil {
			server <- err
			return
		}
		expect(res, "server receive", got, "hello")
		// Blocks until the client's FIN arrives; close the moment it returns.
		got, eof, err := e.receive("server", sfd)
		if err != nil {
			server <- err
			return
		}
		server <- e.close("server", sfd)
		expect(res, "server receive", got+eofText(eof), "EOF")
	}()
	e.rec.sleepUntil(200)
	check(e.close("client", cfd))
	check(<-server)
	return res
}

func halfClose(e *env) *result {
	const port = 40030
	res := &result{}
	lfd, cfd, sfd := establish(e, port)
	defer syscall.Close(lfd)
	res.conns = []conn{{a: port, b: localPort(cfd)}}

	e.rec.sleepUntil(100)
	check(e.send("client", cfd, "request"))
	e.rec.sleepUntil(150)
	check(e.shutdown("client", cfd))
	e.rec.sleepUntil(250)
	got, eof, err := e.receive("server", sfd)
	check(err)
	expect(res, "server receive", got+" "+eofText(eof), "request EOF")
	e.rec.sleepUntil(300)
	check(e.send("server", sfd, "response part 1"))
	e.rec.sleepUntil(400)
	check(e.send("server", sfd, "response part 2"))
	e.rec.sleepUntil(450)
	check(e.close("server", sfd))
	e.rec.sleepUntil(550)
	got, eof, err = e.receive("client", cfd)
	check(err)
	expect(res, "client receive", got+" "+eofText(eof), "response part 1response part 2 EOF")
	e.rec.sleepUntil(600)
	check(e.close("client", cfd))
	return res
}

func closedPort(e *env) *result {
	const port = 40040
	res := &result{conns: []conn{{a: port}}}
	socks, err := tcpSockets()
	check(err)
	for _, s := range socks {
		if s.local == port && s.state == 10 {
			check(fmt.Errorf("something listens on port %d", port))
		}
	}
	fd, err := newSocket()
	check(err)
	defer syscall.Close(fd)
	e.rec.begin()
	err = e.connect("client", fd, port)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		check(fmt.Errorf("connect to a closed port: got %v, want ECONNREFUSED", err))
	}
	res.notes = append(res.notes, "connect: "+err.Error())
	return res
}

func closeUnreadData(e *env) *result {
	const port = 40050
	res := &result{}
	lfd, cfd, sfd := establish(e, port)
	defer syscall.Close(lfd)
	res.conns = []conn{{a: port, b: localPort(cfd)}}

	e.rec.sleepUntil(100)
	check(e.send("server", sfd, "unread"))
	e.rec.sleepUntil(200)
	check(e.close("client", cfd))
	e.rec.sleepUntil(300)
	check(e.close("server", sfd))
	return res
}

func lingerZero(e *env) *result {
	const port = 40060
	res := &result{}
	lfd, cfd, sfd := establish(e, port)
	defer syscall.Close(lfd)
	res.conns = []conn{{a: port, b: localPort(cfd)}}

	e.rec.sleepUntil(100)
	check(e.abort("client", cfd))
	e.rec.sleepUntil(200)
	check(e.close("server", sfd))
	return res
}

// synRetransmit fills a backlog-0 listener's accept queue with one connection
// ("queued", not recorded as calls: a scenario has one client), then
// connects the client whose SYNs the listener drops until the queued
// connection is accepted acceptAfter after the connect, or, when acceptAfter
// is negative, until the client gives up.
func synRetransmit(e *env, port uint16, acceptAfter time.Duration) *result {
	res := &result{}
	quiet := &env{rec: &recorder{}}
	quiet.rec.begin()
	before := netstat()

	lfd, err := boundSocket(port)
	check(err)
	defer syscall.Close(lfd)
	q, err := newSocket()
	check(err)
	cfd, err := newSocket()
	check(err)
	e.rec.begin()
	check(e.listen("server", lfd, 0))
	check(quiet.connect("queued", q, port))
	qport := localPort(q)

	connected := make(chan error, 1)
	go func() {
		e.rec.sleepUntil(100)
		connected <- e.connect("client", cfd, port)
	}()
	e.rec.sleepUntil(100)
	var cport uint16
	for cport == 0 {
		time.Sleep(time.Millisecond)
		cport = localPort(cfd)
	}
	res.conns = []conn{{a: port, b: cport}, {suffix: ".queued", a: port, b: qport}}
	res.notes = append(res.notes, fmt.Sprintf("queued connection: client port %d; SYN-retransmitting client: port %d", qport, cport))

	qs := -1
	var connErr error
	var acceptTimer <-chan time.Time
	if acceptAfter >= 0 {
		acceptTimer = time.After(time.Until(e.rec.origin.Add(100*time.Millisecond + acceptAfter)))
	}
	select {
	case connErr = <-connected:
		if acceptAfter >= 0 {
			check(fmt.Errorf("second connect returned before the queued connection was accepted: %v", connErr))
		}
	case <-acceptTimer:
		qs, err = accept(lfd)
		check(err)
		res.notes = append(res.notes, fmt.Sprintf("accepted the queued connection at %.3f ms", ms(time.Since(e.rec.origin))))
		connErr = <-connected
	}
	done := time.Since(e.rec.origin)
	if connErr != nil {
		res.notes = append(res.notes, fmt.Sprintf("second connect failed at %.3f ms: %v", ms(done), connErr))
		syscall.Close(cfd)
		qs, err = accept(lfd)
		check(err)
	} else {
		res.notes = append(res.notes, fmt.Sprintf("second connect returned at %.3f ms", ms(done)))
		sfd, err := accept(lfd)
		check(err)
		base := int(done/(100*time.Millisecond))*100 + 200
		e.rec.sleepUntil(base)
		check(e.close("client", cfd))
		e.rec.sleepUntil(base + 100)
		check(e.close("server", sfd))
	}
	time.Sleep(100 * time.Millisecond)
	check(quiet.close("queued", q))
	time.Sleep(100 * time.Millisecond)
	check(quiet.close("server", qs))

	after := netstat()
	var diff []string
	for k, v := range after {
		if d := v - before[k]; d != 0 && (strings.Contains(k, "Listen") || strings.Contains(k, "ookie") ||
			strings.Contains(k, "Syn") || strings.Contains(k, "ReqQ")) {
			diff = append(diff, fmt.Sprintf("%s +%d", k, d))
		}
	}
	sort.Strings(diff)
	res.extra = append(res.extra, extraFile{".netstat.txt",
		"# /proc/net/netstat counters that changed during the capture (system-wide)\n" + strings.Join(diff, "\n") + "\n"})
	res.dropSYNs = true
	res.handshakeFailed = connErr != nil
	return res
}

// simultaneousOpen binds two sockets to fixed ports and has them connect()
// to each other at the same instant, retrying with fresh ports until the
// SYNs cross (otherwise one SYN finds a closed port and is refused).
func simultaneousOpen(e *env) *result {
	for a := uint16(40100); a < 40200; a += 2 {
		b := a + 1
		if !portsFree(a, b) {
			continue
		}
		fa, err := newSocket()
		check(err)
		fb, err := newSocket()
		check(err)
		check(bindPort(fa, a))
		check(bindPort(fb, b))
		for _, fd := range []int{fa, fb} {
			check(syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &syscall.Timeval{Sec: 3}))
		}
		var errA, errB error
		// Start the clock a little ahead so that both threads are spinning
		// when it is time to call.
		e.rec.beginAt(time.Now().Add(10 * time.Millisecond))
		e.rec.together(e.rec.origin,
			func() { errA = e.connect("a", fa, b) },
			func() { errB = e.connect("b", fb, a) },
		)
		if errA != nil || errB != nil {
			syscall.Close(fa)
			syscall.Close(fb)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		res := &result{
			conns: []conn{{a: a, b: b}},
			roles: map[string]uint16{"a": a, "b": b},
			notes: []string{fmt.Sprintf("the SYNs crossed on attempt %d (ports %d and %d)", (a-40100)/2+1, a, b)},
		}
		// Let the client, the side whose SYN went out first, close first.
		time.Sleep(20 * time.Millisecond)
		first, second, firstName, secondName := fa, fb, "a", "b"
		if firstSYN(e.rawPcap, a, b) == b {
			first, second, firstName, secondName = fb, fa, "b", "a"
		}
		e.rec.sleepUntil(100)
		check(e.close(firstName, first))
		e.rec.sleepUntil(200)
		check(e.close(secondName, second))
		return res
	}
	check(errors.New("the SYNs never crossed in 50 attempts"))
	return nil
}

// firstSYN returns the port of the first SYN between ports a and b in the
// capture so far.
func firstSYN(pcap string, a, b uint16) uint16 {
	segs, err := readPcap(pcap)
	if err != nil {
		return 0
	}
	c := conn{a: a, b: b}
	for _, s := range segs {
		if c.has(s) && s.flags&flagSYN != 0 && s.flags&flagACK == 0 {
			return s.src
		}
	}
	return 0
}

// simultaneousClose closes both ends of a connection at the same instant,
// retrying until both ends are in TIME-WAIT (the FINs crossed).
func simultaneousClose(e *env) *result {
	const port = 40200
	for attempt := 1; attempt <= 100; attempt++ {
		e.rec.begin()
		lfd, cfd, sfd := establish(e, port)
		cport := localPort(cfd)
		var errC, errS error
		e.rec.together(e.rec.origin.Add(100*time.Millisecond),
			func() { errC = e.close("client", cfd) },
			func() { errS = e.close("server", sfd) },
		)
		syscall.Close(lfd)
		check(errC)
		check(errS)
		time.Sleep(50 * time.Millisecond)
		socks, err := tcpSockets()
		check(err)
		tw := 0
		for _, s := range socks {
			if s.state == 6 && ((s.local == cport && s.remote == port) || (s.local == port && s.remote == cport)) {
				tw++
			}
		}
		if tw == 2 {
			return &result{
				conns: []conn{{a: port, b: cport}},
				notes: []string{fmt.Sprintf("both ends in TIME-WAIT on attempt %d (client port %d)", attempt, cport)},
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	check(errors.New("the FINs never crossed in 100 attempts"))
	return nil
}

// interactiveDelayedAck has the server answer a request the moment it reads
// it, which puts the server in Linux's interactive ("pingpong") mode, then
// sends a second request that the server only reads later.
func interactiveDelayedAck(e *env) *result {
	const port = 40400
	res := &result{}
	lfd, cfd, sfd := establish(e, port)
	defer syscall.Close(lfd)
	res.conns = []conn{{a: port, b: localPort(cfd)}}

	server := make(chan error, 1)
	go func() {
		// Blocks until the request arrives, answers at once.
		got, _, err := e.receive("server", sfd)
		if err != nil {
			server <- err
			return
		}
		expect(res, "server receive", got, "ping")
		server <- e.send("server", sfd, "pong")
	}()
	e.rec.sleepUntil(100)
	check(e.send("client", cfd, "ping"))
	check(<-server)
	e.rec.sleepUntil(200)
	got, _, err := e.receive("client", cfd)
	check(err)
	expect(res, "client receive", got, "pong")
	e.rec.sleepUntil(300)
	check(e.send("client", cfd, "second"))
	e.rec.sleepUntil(400)
	got, _, err = e.receive("server", sfd)
	check(err)
	expect(res, "server receive", got, "second")
	e.rec.sleepUntil(500)
	check(e.close("client", cfd))
	e.rec.sleepUntil(600)
	got, eof, err := e.receive("server", sfd)
	check(err)
	expect(res, "server receive", got+eofText(eof), "EOF")
	check(e.close("server", sfd))
	return res
}

// timeWait shows with ss the client's FIN-WAIT-2 and TIME-WAIT states.
func timeWait(e *env) *result {
	const port = 40300
	res := &result{}
	lfd, cfd, sfd := establish(e, port)
	defer syscall.Close(lfd)
	cport := localPort(cfd)
	res.conns = []conn{{a: port, b: cport}}
	var ss strings.Builder
	snapshot := func(label string) {
		out, err := exec.Command("ss", "-tan", "-o", "state", "all",
			fmt.Sprintf("( sport = :%d or dport = :%d )", cport, cport)).CombinedOutput()
		check(err)
		fmt.Fprintf(&ss, "# +%.0f ms: %s\n$ ss -tano state all '( sport = :%d or dport = :%d )'\n%s\n",
			ms(time.Since(e.rec.origin)), label, cport, cport, out)
	}
	e.rec.sleepUntil(50)
	snapshot("established")
	e.rec.sleepUntil(100)
	check(e.close("client", cfd))
	e.rec.sleepUntil(150)
	snapshot("after the client's close (client FIN-WAIT-2, server CLOSE-WAIT)")
	e.rec.sleepUntil(200)
	check(e.close("server", sfd))
	e.rec.sleepUntil(250)
	snapshot("after the server's close (client TIME-WAIT, server gone)")
	res.extra = append(res.extra, extraFile{".ss.txt", ss.String()})
	return res
}

// nagleClose makes the server interactive (it answers a request at once), so
// that it delays the ACK of the client's next data; the client sends a
// second small write while the first is unacknowledged and closes at once.
func nagleClose(e *env) *result {
	const port = 40410
	res := &result{}
	lfd, cfd, sfd := establish(e, port)
	defer syscall.Close(lfd)
	res.conns = []conn{{a: port, b: localPort(cfd)}}

	server := make(chan error, 1)
	go func() {
		got, _, err := e.receive("server", sfd)
		if err != nil {
			server <- err
			return
		}
		expect(res, "server receive", got, "ping")
		server <- e.send("server", sfd, "pong")
	}()
	e.rec.sleepUntil(100)
	check(e.send("client", cfd, "ping"))
	check(<-server)
	e.rec.sleepUntil(200)
	got, _, err := e.receive("client", cfd)
	check(err)
	expect(res, "client receive", got, "pong")
	e.rec.sleepUntil(300)
	check(e.send("client", cfd, "a"))
	e.rec.sleepUntil(301)
	check(e.send("client", cfd, "b"))
	e.rec.sleepUntil(302)
	check(e.close("client", cfd))
	e.rec.sleepUntil(400)
	got, eof, err := e.receive("server", sfd)
	check(err)
	expect(res, "server receive", got+" "+eofText(eof), "ab EOF")
	e.rec.sleepUntil(500)
	check(e.close("server", sfd))
	return res
}

// blindDataInjection injects, from the client's address and port, data at
// the server's RCV.NXT with an ACK 100000 below the server's SND.UNA.
func blindDataInjection(e *env) *result {
	const port = 40420
	res := &result{}
	lfd, cfd, sfd := establish(e, port)
	defer syscall.Close(lfd)
	cport := localPort(cfd)
	res.conns = []conn{{a: port, b: cport}}

	e.rec.sleepUntil(100)
	isns := handshakeISNs(e, cport, port)
	// rel_ack 1-100000: 100000 below the server's SND.UNA, ISN+1.
	const below = 100000
	e.injectNow(res, injectFault{From: "client", Flags: []string{"PSH", "ACK"}, RelSeq: 1, RelAck: 1 - below, Window: 64, Data: "evil"}, isns)

	e.rec.sleepUntil(200)
	check(e.close("client", cfd))
	e.rec.sleepUntil(300)
	check(e.close("server", sfd))
	return res
}

// closeSynReceived drops the client's handshake ACK with iptables (the
// server side stays in SYN-RECEIVED), closes the listener, and has the
// client send data.
func closeSynReceived(e *env) *result {
	const port = 40430
	res := &result{}
	lfd, err := boundSocket(port)
	check(err)
	cfd, err := newSocket()
	check(err)
	defer syscall.Close(cfd)
	// The rule drops pure ACKs to the port: while it is in place, the only
	// one is the handshake's.
	rule := []string{"INPUT", "-p", "tcp", "--dport", fmt.Sprint(port), "--tcp-flags", "ALL", "ACK", "-j", "DROP"}
	check(iptables(append([]string{"-I"}, rule...)...))
	defer func() { _ = iptables(append([]string{"-D"}, rule...)...) }()
	e.rec.begin()
	check(e.listen("server", lfd, 16))
	check(e.connect("client", cfd, port))
	check(iptables(append([]string{"-D"}, rule...)...))
	res.conns = []conn{{a: port, b: localPort(cfd)}}
	res.faults = append(res.faults, fault{Drop: &dropFault{From: "client", Flags: []string{"ACK"}, Nth: 1}})

	e.rec.sleepUntil(100)
	check(e.close("server", lfd))
	e.rec.sleepUntil(200)
	check(e.send("client", cfd, "hello"))
	return res
}

// iptables runs iptables with args.
func iptables(args ...string) error {
	out, err := exec.Command("iptables", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("iptables %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// synLostRTT drops the client's first SYN and its first data segment with
// iptables rules, each removed once the segment has gone.
func synLostRTT(e *env) *result {
	const port = 40440
	res := &result{}
	lfd, err := boundSocket(port)
	check(err)
	defer syscall.Close(lfd)
	cfd, err := newSocket()
	check(err)
	synRule := []string{"INPUT", "-p", "tcp", "--dport", fmt.Sprint(port), "--tcp-flags", "ALL", "SYN", "-j", "DROP"}
	dataRule := []string{"INPUT", "-p", "tcp", "--dport", fmt.Sprint(port), "--tcp-flags", "ALL", "PSH,ACK", "-j", "DROP"}
	check(iptables(append([]string{"-I"}, synRule...)...))
	defer func() { _ = iptables(append([]string{"-D"}, synRule...)...) }()
	e.rec.begin()
	check(e.listen("server", lfd, 16))
	connected := make(chan error, 1)
	go func() { connected <- e.connect("client", cfd, port) }()
	e.rec.sleepUntil(500)
	check(iptables(append([]string{"-D"}, synRule...)...))
	check(<-connected)
	sfd, err := accept(lfd)
	check(err)
	res.conns = []conn{{a: port, b: localPort(cfd)}}

	check(iptables(append([]string{"-I"}, dataRule...)...))
	defer func() { _ = iptables(append([]string{"-D"}, dataRule...)...) }()
	e.rec.sleepUntil(1100)
	check(e.send("client", cfd, "lost"))
	e.rec.sleepUntil(1150)
	check(iptables(append([]string{"-D"}, dataRule...)...))
	e.rec.sleepUntil(1600)
	check(e.close("client", cfd))
	e.rec.sleepUntil(1700)
	check(e.close("server", sfd))
	res.faults = []fault{
		{Drop: &dropFault{From: "client", Flags: []string{"SYN"}, Nth: 1}},
		{Drop: &dropFault{From: "client", Flags: []string{"PSH", "ACK"}, Nth: 1}},
	}
	return res
}

// timeWaitAbort aborts a client in TIME-WAIT, then injects data from the
// server at the client's RCV.NXT.
func timeWaitAbort(e *env) *result {
	const port = 40450
	res := &result{}
	lfd, cfd, sfd := establish(e, port)
	defer syscall.Close(lfd)
	cport := localPort(cfd)
	res.conns = []conn{{a: port, b: cport}}

	e.rec.sleepUntil(100)
	check(e.shutdown("client", cfd))
	e.rec.sleepUntil(200)
	check(e.close("server", sfd))
	e.rec.sleepUntil(300)
	check(e.abort("client", cfd))
	e.rec.sleepUntil(400)
	e.injectNow(res, injectFault{From: "server", Flags: []string{"PSH", "ACK"}, RelSeq: 2, RelAck: 2, Window: 64, Data: "late"}, handshakeISNs(e, cport, port))
	return res
}

// timeWaitSynReopen closes the server first (TIME-WAIT at the server),
// then the client, and injects from the client's port a SYN past the
// server's RCV.NXT.
func timeWaitSynReopen(e *env) *result {
	const port = 40480
	res := &result{}
	lfd, cfd, sfd := establish(e, port)
	defer syscall.Close(lfd)
	cport := localPort(cfd)
	res.conns = []conn{{a: port, b: cport}}

	e.rec.sleepUntil(100)
	check(e.close("server", sfd))
	e.rec.sleepUntil(200)
	check(e.close("client", cfd))
	e.rec.sleepUntil(300)
	e.injectNow(res, injectFault{From: "client", Flags: []string{"SYN"}, RelSeq: 100002, RelAck: 0, Window: 64240}, handshakeISNs(e, cport, port))
	return res
}

// finWait2OrphanRST closes the client (FIN-WAIT-2, orphaned), injects an
// inexact in-window RST from the server, then a bare ACK.
func finWait2OrphanRST(e *env) *result {
	const port = 40460
	res := &result{}
	lfd, cfd, sfd := establish(e, port)
	defer syscall.Close(lfd)
	defer syscall.Close(sfd)
	cport := localPort(cfd)
	res.conns = []conn{{a: port, b: cport}}

	e.rec.sleepUntil(100)
	check(e.close("client", cfd))
	e.rec.sleepUntil(200)
	isns := handshakeISNs(e, cport, port)
	e.injectNow(res, injectFault{From: "server", Flags: []string{"RST"}, RelSeq: 11, RelAck: 0, Window: 0}, isns)
	e.rec.sleepUntil(300)
	e.injectNow(res, injectFault{From: "server", Flags: []string{"ACK"}, RelSeq: 1, RelAck: 2, Window: 64}, isns)
	return res
}

// closeWaitRSTFinSeq puts the server in CLOSE-WAIT, injects a RST at the
// client's FIN's sequence number, and closes the server.
func closeWaitRSTFinSeq(e *env) *result {
	const port = 40470
	res := &result{}
	lfd, cfd, sfd := establish(e, port)
	defer syscall.Close(lfd)
	defer syscall.Close(cfd)
	cport := localPort(cfd)
	res.conns = []conn{{a: port, b: cport}}

	e.rec.sleepUntil(100)
	check(e.shutdown("client", cfd))
	e.rec.sleepUntil(200)
	e.injectNow(res, injectFault{From: "client", Flags: []string{"RST"}, RelSeq: 1, RelAck: 0, Window: 0}, handshakeISNs(e, cport, port))
	e.rec.sleepUntil(300)
	check(e.close("server", sfd))
	return res
}

// isnPair is a connection's two initial sequence numbers, and the ports
// they were sent from.
type isnPair struct {
	clientPort, serverPort uint16
	client, server         uint32
}

// handshakeISNs reads the capture so far for the ISNs of the SYNs the
// client (from cport) and the server (from port) sent.
func handshakeISNs(e *env, cport, port uint16) isnPair {
	segs, err := readPcap(e.rawPcap)
	check(err)
	p := isnPair{clientPort: cport, serverPort: port}
	var haveC, haveS bool
	for _, sg := range segs {
		if sg.flags&flagSYN == 0 {
			continue
		}
		if sg.src == cport && sg.dst == port && !haveC {
			p.client, haveC = sg.seq, true
		}
		if sg.src == port && sg.dst == cport && !haveS {
			p.server, haveS = sg.seq, true
		}
	}
	if !haveC || !haveS {
		check(fmt.Errorf("the handshake of port %d is not in the capture yet", cport))
	}
	return p
}

// injectNow puts in on the wire now from its end (in.From) with a raw
// socket, its sequence number counted from the sender's ISN and its
// acknowledgment (when it carries ACK) from the receiver's, and records it
// as the scenario's inject fault at this time.
func (e *env) injectNow(res *result, in injectFault, isns isnPair) {
	flags, err := wire.ParseFlags(in.Flags)
	check(err)
	src, dst, sendISN, recvISN := isns.clientPort, isns.serverPort, isns.client, isns.server
	if in.From == "server" {
		src, dst, sendISN, recvISN = dst, src, recvISN, sendISN
	}
	var ack uint32
	if flags&wire.ACK != 0 {
		ack = recvISN + uint32(in.RelAck)
	}
	in.AtMs = time.Since(e.rec.origin).Round(time.Millisecond).Milliseconds()
	check(injectRaw(src, dst, flags, sendISN+uint32(in.RelSeq), ack, in.Window, []byte(in.Data)))
	res.faults = append(res.faults, fault{Inject: &in})
}
