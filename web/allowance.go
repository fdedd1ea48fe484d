package web

import (
	"time"

	"github.com/synack/synack/engine"
)

// A live session may make the engine work only so fast: each run is bounded
// by engine.Budget, but a session could start run after run (step back,
// reset and play, again and again) and take a core. Its allowance is a
// bucket of engine work (engine.Sim.Spent's units): it holds a whole run's
// budget and refills at a quarter of it a second, about 12 ms of CPU a
// second. A session that has overdrawn it is refused commands that make the
// engine work (load of a posted scenario, step, play, back, seek, call,
// fault) until it has refilled; a load is charged the run it makes to learn
// the scenario's endpoints.
const (
	allowanceBurst = engine.MaxWork
	allowanceRate  = engine.MaxWork / 4 // a second
)

// workAllowance is one session's bucket of engine work.
type workAllowance struct {
	tokens float64
	last   time.Time
}

func newWorkAllowance(now time.Time) *workAllowance {
	return &workAllowance{tokens: allowanceBurst, last: now}
}

func (a *workAllowance) refill(now time.Time) {
	a.tokens = min(allowanceBurst, a.tokens+now.Sub(a.last).Seconds()*allowanceRate)
	a.last = now
}

// spend takes work units, going into debt if need be: a command's work is
// known only once it is done.
func (a *workAllowance) spend(now time.Time, work int64) {
	a.refill(now)
	a.tokens -= float64(work)
}

// overdrawn reports whether the allowance is in debt now.
func (a *workAllowance) overdrawn(now time.Time) bool {
	a.refill(now)
	return a.tokens < 0
}

// afford refuses a command that makes the engine work while the session's
// allowance is overdrawn.
func (s *session) afford() error {
	if s.allowance == nil || !s.allowance.overdrawn(s.clock.Now()) {
		return nil
	}
	return userErrorf("session-busy", nil,
		"This session has kept the server busy; wait a second, then try again.")
}

// mayWork is afford for a command outside the session's lock (a live
// load, whose run is made before the session takes it).
func (s *session) mayWork() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.afford()
}

// charge takes work done outside the session's Sim (a live load's run of
// a posted scenario) from its allowance.
func (s *session) charge(work int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.allowance != nil && work > 0 {
		s.allowance.spend(s.clock.Now(), work)
	}
}

// account charges the session's allowance with the engine work done since
// the last account.
func (s *session) account() {
	if s.sim == nil {
		s.charged = 0
		return
	}
	work, _ := s.sim.Spent()
	if s.allowance != nil {
		s.allowance.spend(s.clock.Now(), work-s.charged)
	}
	s.charged = work
}
