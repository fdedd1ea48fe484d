package web

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// Batched writes: a live session's writer writes each message as its own
// WebSocket frame, and each frame was a system call of its own; playing the
// largest run at max took half its CPU in them. Under the WebSocket lies a
// batchConn: while the writer has more frames queued it holds their bytes
// (up to batchMax) and writes them in one call when the queue is empty. The
// frames, and what the user receives, are the same.
const batchMax = 64 << 10

// batchConn is a hijacked connection whose writes may be held for a batch.
type batchConn struct {
	net.Conn

	mu       sync.Mutex
	batching bool
	buf      []byte
}

// Write writes p, or holds it while the writer is in a batch.
func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.batching && len(p) <= batchMax {
		if len(b.buf)+len(p) > batchMax {
			if err := b.flushLocked(); err != nil {
				return 0, err
			}
		}
		b.buf = append(b.buf, p...)
		return len(p), nil
	}
	if err := b.flushLocked(); err != nil {
		return 0, err
	}
	return b.Conn.Write(p)
}

func (b *batchConn) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.Conn.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

// batch starts a batch when more frames are queued, or ends it: what is
// held is written, and the buffer is let go, so an idle session holds none.
func (b *batchConn) batch(more bool) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batching = more
	if more {
		return nil
	}
	err := b.flushLocked()
	b.buf = nil
	return err
}

// batchingWriter hands the WebSocket upgrader a batchConn when it hijacks
// the connection.
type batchingWriter struct{ http.ResponseWriter }

func (w batchingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	return &batchConn{Conn: conn}, brw, nil
}

func (w batchingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
