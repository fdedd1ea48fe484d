package web

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// countingConn counts the writes that reach a real connection.
type countingConn struct {
	net.Conn
	writes int
}

func (c *countingConn) Write(p []byte) (int, error) { c.writes++; return c.Conn.Write(p) }

// TestBatchConn: writes made while more frames are queued reach the
// connection as one, in order; others go through at once.
func TestBatchConn(t *testing.T) {
	big := bytes.Repeat([]byte("x"), batchMax+1)
	for _, tc := range []struct {
		name   string
		writes [][]byte
		more   []bool // batch(more) before each write
		calls  int    // writes that reach the connection
	}{
		{"unbatched", [][]byte{[]byte("a"), []byte("b")}, []bool{false, false}, 2},
		{"a batch of three", [][]byte{[]byte("a"), []byte("b"), []byte("c")}, []bool{true, true, false}, 2},
		{"a frame larger than a batch", [][]byte{[]byte("a"), big, []byte("c")}, []bool{true, true, false}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			got := make(chan []byte, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					got <- nil
					return
				}
				b, _ := io.ReadAll(c)
				got <- b
			}()
			raw, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			cc := &countingConn{Conn: raw}
			b := &batchConn{Conn: cc}
			var want []byte
			for i, p := range tc.writes {
				if err := b.batch(tc.more[i]); err != nil {
					t.Fatal(err)
				}
				if _, err := b.Write(p); err != nil {
					t.Fatal(err)
				}
				want = append(want, p...)
			}
			if err := b.batch(false); err != nil {
				t.Fatal(err)
			}
			raw.Close()
			if cc.writes != tc.calls {
				t.Errorf("%d writes reached the connection, want %d", cc.writes, tc.calls)
			}
			if b := <-got; !bytes.Equal(b, want) {
				t.Errorf("received %d bytes, want the %d written in order", len(b), len(want))
			}
			if b.buf != nil {
				t.Errorf("the buffer is held after the batch: %d bytes", cap(b.buf))
			}
		})
	}
}
