// The real kernel as a peer (the server's -kernel-peer): on a page opened
// with ?peer=kernel the scenario runs on the server with this machine's Linux
// kernel at the server's end, with ?peer=kernel-client at the client's (GET
// /api/kernel/scenarios/{id}/trace, POST /api/kernel/run, ?role=). The page
// asks for the live answer (?format=ndjson: a JSON object a line, flushed as
// the run goes) and draws each event as it arrives, at its own time since the
// run started: the kernel's timers run in real time, so the ladder grows as
// the kernel acts. Pausing, stepping, going back or resetting during the run
// stop following it; play catches up and follows again. Once the run is over
// the page plays it as it plays a recorded run; socket calls and dropping
// segments need the simulator and are refused.

import { Replay } from './replay.js';

export class KernelReplay extends Replay {
  /** running is told when a run against the kernel starts and ends. */
  constructor(deliver, t, running = () => {}, role = 'server') {
    super(deliver, t);
    this.running = running;
    this.role = role;
    // streaming: the run is still going; following: new events are drawn
    // as they arrive (at their t_ms after t0, the run's start here).
    this.streaming = false;
    this.following = false;
    this.t0 = 0;
    this.abort = null;
  }

  async load(scenario) {
    this.stop();
    this.abort?.abort();
    this.abort = null;
    this.streaming = false;
    this.following = false;
    this.events = [];
    this.cursor = 0;
    const custom = typeof scenario !== 'string';
    if (custom && !scenario?.steps?.length) {
      this.deliver({ type: 'loaded', scenario, endpoints: null });
      this.deliver({ type: 'error', message: this.t('kernel.sandbox') });
      return;
    }
    const abort = new AbortController();
    this.abort = abort;
    this.running(true);
    // The load is over (other messages may go) once the run has started;
    // the stream goes on behind it.
    let started;
    const ready = new Promise((resolve) => { started = resolve; });
    const run = this.stream(scenario, custom, abort, started).finally(() => {
      started();
      if (this.abort === abort) {
        this.abort = null;
        this.running(false);
      }
    });
    await Promise.race([ready, run]);
  }

  /** stream reads the live answer line by line until the run is over. */
  async stream(scenario, custom, abort, started) {
    const q = `role=${encodeURIComponent(this.role)}&format=ndjson`;
    try {
      const res = custom
        ? await fetch(`/api/kernel/run?${q}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(scenario), signal: abort.signal })
        : await fetch(`/api/kernel/scenarios/${encodeURIComponent(scenario)}/trace?${q}`, { signal: abort.signal });
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        throw new Error(body.error ?? res.statusText);
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim() && this.line(JSON.parse(line), started)) return;
        }
      }
      throw new Error(this.t('kernel.cut_short'));
    } catch (err) {
      if (abort.signal.aborted) return;
      this.streaming = false;
      this.deliver({ type: 'error', message: String(err.message ?? err) });
    }
  }

  /** line takes one line of the live answer; it reports the end of the run. */
  line(msg, started) {
    switch (msg.type) {
      case 'loaded':
        this.t0 = performance.now();
        this.streaming = true;
        this.following = true;
        this.deliver({ type: 'loaded', scenario: msg.scenario, endpoints: msg.endpoints });
        started();
        return false;
      case 'events':
        this.events.push(...msg.events);
        this.follow();
        return false;
      case 'done':
        this.streaming = false;
        // Drawn to the end: say so now, as a finished replay does.
        if (this.following && !this.timer && this.cursor >= this.events.length) this.next();
        return true;
      case 'error':
        throw new Error(msg.error);
      default:
        return false;
    }
  }

  /** follow draws the next event that has arrived when its time comes. */
  follow() {
    if (!this.following || this.timer || this.cursor >= this.events.length) return;
    const ev = this.events[this.cursor];
    const wait = Math.max(0, this.t0 + ev.t_ms - performance.now());
    this.timer = setTimeout(() => {
      this.timer = 0;
      this.next();
      this.follow();
      if (!this.streaming && this.cursor >= this.events.length) this.next();
    }, wait);
  }

  /** next, while the run goes on, waits at the end for more instead of finishing. */
  next() {
    if (this.streaming && this.cursor >= this.events.length) return false;
    return super.next();
  }

  /** schedule plays as a replay does; caught up with a run still going, it follows it. */
  schedule() {
    if (this.streaming && this.cursor >= this.events.length) {
      this.timer = 0;
      this.following = true;
      this.follow();
      return;
    }
    super.schedule();
    if (this.speed === 'max' && this.streaming) {
      this.following = true;
      this.follow();
    }
  }

  handle(msg) {
    if (msg.type === 'call' || msg.type === 'fault') {
      this.deliver({ type: 'error', message: this.t('kernel.no_actions') });
      return;
    }
    // Any control takes the ladder from the live run; play, once it has
    // caught up, gives it back (schedule).
    this.following = false;
    super.handle(msg);
  }
}

/**
 * startKernel makes session run its scenarios against the kernel, at the
 * end role names ('server' or 'client'), instead of opening /ws, and sends
 * what it had queued.
 */
export function startKernel(session, t, role = 'server') {
  const store = session.store;
  store.kernelRole = role;
  session.transport = new KernelReplay((msg) => session.receive(msg), t, (on) => {
    store.kernelRunning = on;
    store.emit('connection');
  }, role);
  session.setConnection('kernel');
  const queued = session.queue;
  session.queue = [];
  for (const m of queued) session.transport.send(m);
  // A classroom room follows a live session: there is none here.
  const room = document.getElementById('room-open');
  if (room) room.hidden = true;
}

/**
 * kernelURL is this page's address with the kernel off (peer empty) or at
 * the end peer names: 'kernel' (the server) or 'kernel-client'.
 */
export function kernelURL(href, peer) {
  const u = new URL(href);
  if (peer) u.searchParams.set('peer', peer);
  else u.searchParams.delete('peer');
  return u.toString();
}
