package engine

import "fmt"

// State is a connection state of RFC 9293 section 3.3.2.
type State int

// The eleven states.
const (
	Closed State = iota
	Listen
	SynSent
	SynReceived
	Established
	FinWait1
	FinWait2
	CloseWait
	Closing
	LastAck
	TimeWait
)

var stateNames = [...]string{
	Closed:      "CLOSED",
	Listen:      "LISTEN",
	SynSent:     "SYN-SENT",
	SynReceived: "SYN-RECEIVED",
	Established: "ESTABLISHED",
	FinWait1:    "FIN-WAIT-1",
	FinWait2:    "FIN-WAIT-2",
	CloseWait:   "CLOSE-WAIT",
	Closing:     "CLOSING",
	LastAck:     "LAST-ACK",
	TimeWait:    "TIME-WAIT",
}

// String returns the RFC spelling, such as "SYN-SENT".
func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "INVALID"
	}
	return stateNames[s]
}

// synchronized reports whether the state is past the handshake (RFC 9293
// calls these the synchronized states).
func (s State) synchronized() bool { return s >= Established }

// MarshalText writes the RFC spelling.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the RFC spelling.
func (s *State) UnmarshalText(b []byte) error {
	for i, name := range stateNames {
		if name == string(b) {
			*s = State(i)
			return nil
		}
	}
	return fmt.Errorf("unknown TCP state %q", b)
}
