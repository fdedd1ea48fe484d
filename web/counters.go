package web

// Counters are the server's running figures for its operators: what is
// open now and what was refused since it started. cmd/server publishes
// them in expvar as "synack".
type Counters struct {
	// Sessions is the number of live sessions (/ws connections) open,
	// viewers of rooms included.
	Sessions int `json:"sessions"`
	// Rooms and Viewers are the classroom rooms open and their viewers.
	Rooms   int `json:"rooms"`
	Viewers int `json:"viewers"`
	// RefusedRuns counts POST /api/run requests answered 503 because no
	// run slot came free in time.
	RefusedRuns int64 `json:"refused_runs"`
	// RefusedSessions counts /ws requests answered 503: the session limit
	// was reached or the server was stopping.
	RefusedSessions int64 `json:"refused_sessions"`
	// RefusedJoins counts joins of rooms refused: an unknown or ended
	// room, a full room, or an address past its failed joins (429).
	RefusedJoins int64 `json:"refused_joins"`
}

// Counters reads the server's counters.
func (s *Server) Counters() Counters {
	rooms := s.RoomStats()
	return Counters{
		Sessions:        s.live.count(),
		Rooms:           rooms.Rooms,
		Viewers:         rooms.Viewers,
		RefusedRuns:     s.runs.refused.Load(),
		RefusedSessions: s.live.refused.Load(),
		RefusedJoins:    s.live.rooms.refusedJoins.Load(),
	}
}
