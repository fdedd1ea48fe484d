// Pace: what one Step moves by, and how fast Play goes at a teaching pace.
// Pure functions of the events and a clock that is told the real time, so
// that both are tested without a browser (jstest/pace.test.js); session.js
// drives them and talks to the server.
//
// Step by segment. One Step shows the next segment with the events that
// belong to it: the ones that lead up to it (the call, the state change and
// the timer that made it be sent) and the ones it causes when it arrives
// (the receiver's state change, a cancelled timer). So a step ends just
// before the next segment is sent, or at the first event after this
// segment's arrival, whichever comes first; what happens later on its own
// (a timer expiring after a quiet stretch) comes with the segment it leads
// to, or, after the last segment, as one last step.
//
// Teaching pace. A segment's flight takes about 1.5 s on screen (fast:
// 0.4 s), measured on the run's own one-way delay, and the clock waits
// 0.7 s at each state change so that the reader sees it; a quiet stretch
// with nothing on the wire (a retransmission timeout, TIME-WAIT) is skipped
// to a short wait.

import { oneWayDelay } from './layout.js';

/** PACES are the paces the page plays at by itself, by name. */
export const PACES = Object.freeze({
  teaching: Object.freeze({ flightMs: 1500, statePauseMs: 700, quietMs: 900 }),
  fast: Object.freeze({ flightMs: 400, statePauseMs: 0, quietMs: 300 }),
});

/** STEP_MODES are what one Step moves by, as ?step= takes them. */
export const STEP_MODES = Object.freeze(['segment', 'event']);

const num = (v, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? v : d);

/** oneWayDelay is the flight time most delivered segments take (layout.js). */
export { oneWayDelay };

/** arrival is when segment ev arrives, or would have arrived when lost. */
function arrival(ev, delay) {
  return ev.fate === 'delivered' && Number.isFinite(ev.arrive_ms) ? ev.arrive_ms : num(ev.t_ms) + delay;
}

/**
 * segmentStops lists the cursors (numbers of events shown) at which a
 * Step by segment stops, in increasing order; the last is events.length.
 */
export function segmentStops(events) {
  const evs = Array.isArray(events) ? events : [];
  const delay = oneWayDelay(evs);
  const segs = [];
  evs.forEach((ev, i) => ev?.kind === 'segment' && segs.push(i));
  const stops = [];
  segs.forEach((at, k) => {
    const next = k + 1 < segs.length ? segs[k + 1] : evs.length;
    const arrives = arrival(evs[at], delay);
    let end = at + 1;
    while (end < next && num(evs[end].t_ms) <= arrives) end++;
    stops.push(end);
  });
  if (!stops.length || stops.at(-1) < evs.length) stops.push(evs.length);
  return stops;
}

/** nextStop is where a Step by segment from cursor goes: the first stop
 * after it, or cursor itself at the end. */
export function nextStop(events, cursor) {
  return segmentStops(events).find((s) => s > cursor) ?? cursor;
}

/** prevStop is where a Back by segment from cursor goes: the last stop
 * before it, or 0. */
export function prevStop(events, cursor) {
  return segmentStops(events).filter((s) => s < cursor).at(-1) ?? 0;
}

/**
 * PaceClock is the virtual clock of play at a pace, over a run whose events
 * are all known (script). advance(realMs) moves it on by that much real
 * time and returns {vt, cursor, done}: the virtual time to show, and how
 * many events should be shown by then.
 */
export class PaceClock {
  constructor(script, pace, { vt = 0, cursor = 0 } = {}) {
    this.script = script;
    const p = PACES[pace] ?? PACES.teaching;
    this.delay = oneWayDelay(script);
    /** rate is virtual ms per real ms. */
    this.rate = this.delay / p.flightMs;
    this.statePauseMs = p.statePauseMs;
    this.quietMs = p.quietMs;
    this.vt = vt;
    this.cursor = Math.min(cursor, script.length);
    this.hold = 0;
    this.pausedAt = null;
    this.end = 0;
    for (const ev of script) this.end = Math.max(this.end, num(ev.t_ms), ev.kind === 'segment' ? arrival(ev, this.delay) : 0);
    // What the cursor already shows is not paused on again.
    if (this.cursor > 0) this.pausedAt = num(script[this.cursor - 1].t_ms);
  }

  /** inFlight: a segment shown is on the wire at virtual time t. */
  inFlight(t) {
    for (let i = 0; i < this.cursor; i++) {
      const ev = this.script[i];
      if (ev.kind === 'segment' && num(ev.t_ms) <= t && t < arrival(ev, this.delay)) return true;
    }
    return false;
  }

  /** nextTime is when the next thing worth watching happens: the next
   * event, or the last arrival once every event is shown. */
  nextTime() {
    return this.cursor < this.script.length ? num(this.script[this.cursor].t_ms) : this.end;
  }

  get done() {
    return this.cursor >= this.script.length && this.vt >= this.end;
  }

  advance(realMs) {
    let left = Math.max(0, realMs);
    for (let guard = 0; guard < 100000 && !this.done; guard++) {
      if (this.hold > 0) {
        const h = Math.min(this.hold, left);
        this.hold -= h;
        left -= h;
        if (this.hold > 0) break;
        continue;
      }
      if (this.cursor < this.script.length && num(this.script[this.cursor].t_ms) <= this.vt) {
        const ev = this.script[this.cursor++];
        if (ev.kind === 'state' && this.statePauseMs > 0 && this.pausedAt !== num(ev.t_ms)) {
          this.pausedAt = num(ev.t_ms);
          this.hold = this.statePauseMs;
          // The state change is shown before the pause is spent: what is
          // left of this call's time goes into the pause, and no further.
          this.hold -= Math.min(this.hold, left);
          break;
        }
        continue;
      }
      const target = this.nextTime();
      let need = (target - this.vt) / this.rate;
      if (need > this.quietMs && !this.inFlight(this.vt)) {
        // Nothing on the wire: skip the quiet stretch to a short wait.
        this.vt = target - this.quietMs * this.rate;
        need = this.quietMs;
      }
      if (left <= 0) break;
      if (need <= left) {
        this.vt = target;
        left -= need;
      } else {
        this.vt += left * this.rate;
        left = 0;
      }
    }
    return { vt: this.vt, cursor: this.cursor, done: this.done };
  }
}
