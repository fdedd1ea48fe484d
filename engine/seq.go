package engine

// Seq is a TCP sequence number. Its comparisons are modulo 2^32 (RFC 9293
// section 3.4), so they stay right across wrap-around.
type Seq uint32

// Add returns s advanced by n.
func (s Seq) Add(n uint32) Seq { return s + Seq(n) }

// Sub returns the distance from t to s.
func (s Seq) Sub(t Seq) int32 { return int32(s - t) }

// LT reports s < t.
func (s Seq) LT(t Seq) bool { return int32(s-t) < 0 }

// LEQ reports s <= t.
func (s Seq) LEQ(t Seq) bool { return int32(s-t) <= 0 }

// GT reports s > t.
func (s Seq) GT(t Seq) bool { return int32(s-t) > 0 }

// GEQ reports s >= t.
func (s Seq) GEQ(t Seq) bool { return int32(s-t) >= 0 }

// InWindow reports first <= s < first+size.
func (s Seq) InWindow(first Seq, size uint32) bool {
	return uint32(s-first) < size
}
