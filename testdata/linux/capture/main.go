// Command capture records what the running Linux kernel puts on the loopback
// wire for the socket call sequences of synack's scenarios, so that the
// engine's "linux" profile can be checked against the real thing.
//
// For each case it starts tcpdump on lo with a filter that only matches the
// case's port, makes the socket calls with raw syscalls (blocking sockets, no
// Go netpoller), stops tcpdump with SIGINT and writes into -out:
//
//	NAME.pcap          the capture, reduced to the case's connection(s)
//	NAME.calls.json    the calls made, as a synack scenario
//	NAME.segments.txt  one normalized line per segment
//
// Run it as root from the module root:
//
//	go run ./testdata/linux/capture -case all -out testdata/linux
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	name := flag.String("case", "", "case to capture, or \"all\"")
	out := flag.String("out", "testdata/linux", "directory for the capture files")
	synAcceptAfter := flag.Duration("syn-accept-after", 17*time.Second,
		"syn-retransmit: how long after the second connect() the server accepts the queued connection")
	flag.Parse()
	raisePriority()
	if err := run(*name, *out, *synAcceptAfter); err != nil {
		fmt.Fprintln(os.Stderr, "capture:", err)
		os.Exit(1)
	}
}

func run(name, out string, synAcceptAfter time.Duration) error {
	all := cases(synAcceptAfter)
	var todo []captureCase
	for _, c := range all {
		if name == "all" || c.name == name {
			todo = append(todo, c)
		}
	}
	if len(todo) == 0 {
		var names []string
		for _, c := range all {
			names = append(names, c.name)
		}
		return fmt.Errorf("unknown case %q; cases: all, %s", name, strings.Join(names, ", "))
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, c := range todo {
		fmt.Printf("== %s\n", c.name)
		if err := capture(c, out); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
	}
	return nil
}

// raisePriority renices every thread of this process (and so the threads and
// the tcpdump it starts later) to -20: on a busy machine the calls would
// otherwise miss their times by tens of milliseconds. Best effort.
func raisePriority() {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, -20); err != nil {
			fmt.Fprintln(os.Stderr, "capture: cannot raise priority:", err)
			return
		}
	}
}

// capture runs one case under tcpdump and writes its files. A run in which
// the machine stalled and a call missed its planned time is done again.
func capture(c captureCase, out string) error {
	tmp, err := os.MkdirTemp("", "synack-capture-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	raw := filepath.Join(tmp, "raw.pcap")

	const attempts = 5
	var e *env
	var res *result
	var stopped time.Time
	for attempt := 1; ; attempt++ {
		dump, err := startTcpdump(raw, c.filter)
		if err != nil {
			return err
		}
		e = &env{rec: &recorder{}, rawPcap: raw}
		var caseErr error
		res, caseErr = c.runCase(e)
		// Let the last segments and any timer they arm reach the wire.
		time.Sleep(c.tail)
		stopped = time.Now()
		stats, stopErr := dump.stop()
		if caseErr != nil {
			return caseErr
		}
		if stopErr != nil {
			return stopErr
		}
		fmt.Printf("tcpdump: %s\n", stats)
		if len(e.rec.late) == 0 {
			break
		}
		if attempt == attempts {
			return fmt.Errorf("calls missed their times in %d runs: %s", attempts, strings.Join(e.rec.late, "; "))
		}
		fmt.Printf("again: %s\n", strings.Join(e.rec.late, "; "))
		// Let the previous run's connections leave TIME-WAIT's way.
		time.Sleep(time.Second)
	}

	final := filepath.Join(out, c.name+".pcap")
	if err := filterPcap(raw, final, res.keepFilter()); err != nil {
		return err
	}
	segs, err := readPcap(final)
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		return errors.New("no segments captured")
	}
	origin := segs[0].at

	roles := resolveRoles(res, segs)
	if res.dropSYNs {
		res.faults = synDrops(segs, res.conns[0], res.handshakeFailed)
	}
	sc := scenario{
		ID:      "linux-" + c.name,
		Title:   c.title,
		Summary: c.summary,
		Seed:    1,
		Profile: "linux",
		Options: map[string]int{"mtu": 65536},
		Network: map[string]int{"one_way_delay_ms": 0},
		Steps:   e.rec.steps(roles),
		Faults:  res.faults,
		UntilMs: roundUp(stopped.Sub(e.rec.origin), 100*time.Millisecond).Milliseconds(),
	}
	if err := writeScenario(filepath.Join(out, c.name+".calls.json"), sc); err != nil {
		return err
	}
	for _, cn := range res.conns {
		lines := transcribe(segs, cn, origin)
		file := filepath.Join(out, c.name+cn.suffix+".segments.txt")
		if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			return err
		}
		fmt.Printf("-- %s%s (ports %d/%d)\n%s\n", c.name, cn.suffix, cn.a, cn.b, strings.Join(lines, "\n"))
	}
	fmt.Printf("first segment %.3f ms after the first call\n", ms(origin.Sub(e.rec.origin)))
	for _, x := range res.extra {
		if err := os.WriteFile(filepath.Join(out, c.name+x.suffix), []byte(x.content), 0o644); err != nil {
			return err
		}
	}
	for _, n := range res.notes {
		fmt.Println("note:", n)
	}
	return nil
}

func roundUp(d, unit time.Duration) time.Duration {
	return (d + unit - 1) / unit * unit
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// tcpdump is a running capture.
type tcpdump struct {
	cmd    *exec.Cmd
	stderr chan string // the lines tcpdump printed after "listening on"
}

// startTcpdump starts tcpdump on lo and returns once it is capturing.
func startTcpdump(file, filter string) (*tcpdump, error) {
	cmd := exec.Command("tcpdump", "-i", "lo", "-n", "-s", "0", "-U", "--immediate-mode",
		"-Z", "root", "-w", file, filter)
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start tcpdump: %w", err)
	}
	ready := make(chan error, 1)
	rest := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errPipe)
		var early []string
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "tcpdump: listening on") {
				ready <- nil
				var tail []string
				for sc.Scan() {
					tail = append(tail, sc.Text())
				}
				rest <- strings.Join(tail, "; ")
				return
			}
			early = append(early, line)
		}
		ready <- fmt.Errorf("tcpdump exited: %s", strings.Join(early, "; "))
		rest <- ""
	}()
	select {
	case err := <-ready:
		if err != nil {
			_ = cmd.Wait()
			return nil, err
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, errors.New("tcpdump did not start listening within 10s")
	}
	// The filter is attached before the banner is printed; a short pause
	// keeps the first segment well clear of start-up anyway.
	time.Sleep(300 * time.Millisecond)
	return &tcpdump{cmd: cmd, stderr: rest}, nil
}

// stop ends the capture with SIGINT, as a user pressing ^C would, so tcpdump
// flushes the file and prints its packet counts.
func (t *tcpdump) stop() (string, error) {
	if err := t.cmd.Process.Signal(syscall.SIGINT); err != nil {
		return "", err
	}
	stats := <-t.stderr
	if err := t.cmd.Wait(); err != nil {
		return stats, fmt.Errorf("tcpdump: %w (%s)", err, stats)
	}
	if !strings.Contains(stats, " 0 packets dropped by kernel") {
		return stats, fmt.Errorf("tcpdump lost packets: %s", stats)
	}
	return stats, nil
}

// filterPcap copies the packets of in that match filter to out.
func filterPcap(in, out, filter string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "tcpdump", "-n", "-Z", "root", "-r", in, "-w", out, filter)
	cmd.Stdout = io.Discard
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("tcpdump -r %s: %w: %s", in, err, stderr.String())
	}
	return nil
}
