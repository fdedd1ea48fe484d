package engine

import "unsafe"

// arena hands out pointers to values allocated in chunks: a run makes many
// small event parts that live exactly as long as its trace, and allocating
// them one by one costs more than the protocol work.
type arena[T any] struct {
	chunk []T
	bytes int64 // allocated in all chunks, for Sim.HeldBytes
}

// Chunks start small, for short runs, and double up to a bound.
const (
	arenaFirst = 8
	arenaMax   = 256
)

// reserve makes the next chunk hold at least n values: a caller that can
// estimate a run's size spares the small first chunks.
func (a *arena[T]) reserve(n int) {
	if cap(a.chunk)-len(a.chunk) < n {
		a.grow(n)
	}
}

func (a *arena[T]) grow(n int) {
	var zero T
	a.chunk = make([]T, 0, n)
	a.bytes += int64(n) * int64(unsafe.Sizeof(zero))
}

func (a *arena[T]) new() *T {
	if len(a.chunk) == cap(a.chunk) {
		a.grow(min(max(2*cap(a.chunk), arenaFirst), arenaMax))
	}
	a.chunk = a.chunk[:len(a.chunk)+1]
	return &a.chunk[len(a.chunk)-1]
}

// bytes hands out byte slices from shared chunks.
type byteArena struct {
	chunk []byte
	bytes int64
}

// alloc returns an empty slice with room for n bytes.
func (a *byteArena) alloc(n int) []byte {
	if cap(a.chunk)-len(a.chunk) < n {
		a.chunk = make([]byte, 0, max(n, min(2*cap(a.chunk), 16<<10), 512))
		a.bytes += int64(cap(a.chunk))
	}
	start := len(a.chunk)
	a.chunk = a.chunk[:start+n]
	return a.chunk[start : start : start+n]
}

// sliceArena hands out small slices from shared chunks.
type sliceArena[T any] struct {
	chunk []T
	bytes int64
}

// reserve makes the next chunk hold at least n values.
func (a *sliceArena[T]) reserve(n int) {
	if cap(a.chunk)-len(a.chunk) < n {
		a.grow(n)
	}
}

func (a *sliceArena[T]) grow(n int) {
	var zero T
	a.chunk = make([]T, 0, n)
	a.bytes += int64(n) * int64(unsafe.Sizeof(zero))
}

// make returns a slice of length 0 and capacity n.
func (a *sliceArena[T]) make(n int) []T {
	if cap(a.chunk)-len(a.chunk) < n {
		a.grow(max(n, min(2*cap(a.chunk), arenaMax), 4*arenaFirst))
	}
	start := len(a.chunk)
	a.chunk = a.chunk[:start+n]
	return a.chunk[start : start : start+n]
}
