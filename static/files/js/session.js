// The live session: a WebSocket to /ws, on which the server runs one engine
// for this page, and the store that holds what the page shows. Every view
// (ladder, panels, controls) reads the store and listens to its changes; only
// this module talks to the server.

import { errorText } from './i18n.js';

/** paceTickMs is how often play at a pace moves its clock on (the drawing
 * runs at the frame rate and reads the clock in between). */
const paceTickMs = 40;

/** isPace: speed is one of pace.js's paces, which the page plays itself. */
export const isPace = (speed) => speed === 'teaching' || speed === 'fast';

/**
 * Store is the page's state. It dispatches a "change" event whose detail
 * names what changed: loaded, event, rewound, recorded, select, play, done,
 * error, notation, lang, connection, script.
 */
export class Store extends EventTarget {
  constructor() {
    super();
    this.scenarioId = '';
    this.scenario = null;
    this.endpoints = null;
    this.events = [];
    this.selected = -1;
    this.playing = false;
    /** speed is a pace ('teaching', 'fast': pace.js), 'max', or a number
     * of virtual ms per real ms (the server paces those). */
    this.speed = 'teaching';
    /** stepBy is what one Step moves by: 'segment' or 'event'. */
    this.stepBy = 'segment';
    /** hideTimers leaves timer bookkeeping out of the diagram and the
     * event list (?timers=0), for a first lesson. */
    this.hideTimers = false;
    /** clock is the virtual time play at a pace has reached. */
    this.clock = 0;
    /** script is the whole run's events when they are known beforehand (a
     * built-in's or a custom scenario's trace), else null. */
    this.script = null;
    this.done = false;
    /** total is how many events the run will have, when known beforehand. */
    this.total = null;
    /** numbering and flagStyle are the notation (numbers.js); read and
     * set them together as notation. */
    this.numbering = 'relative';
    this.flagStyle = 'names';
    this.connection = 'connecting';
    this.error = '';
    /** errorMsg is the server's last error message, as it came. */
    this.errorMsg = null;
    /** altered is set once the reader has changed the run (a call or a fault). */
    this.altered = false;
    /**
     * live is what the engine recorded of the reader's calls and faults:
     * {live, events}, the scenario's live entry and the number of events
     * before it. A back or seek to that many or fewer undoes it.
     */
    this.live = [];
  }

  /** notation is how segments are written, one setting: {numbering,
   * flags} (numbers.js), which a room's viewers follow. */
  get notation() {
    return { numbering: this.numbering, flags: this.flagStyle };
  }

  /** known is the run's whole event list while it is known beforehand:
   * not once the reader has changed the run. */
  get known() {
    return this.altered || !this.script || this.script.length < this.events.length ? null : this.script;
  }

  emit(what, extra = {}) {
    this.dispatchEvent(new CustomEvent('change', { detail: { what, ...extra } }));
  }

  on(fn) {
    this.addEventListener('change', (e) => fn(e.detail));
  }

  /** latest is the index of the last event, -1 when there is none. */
  get latest() {
    return this.events.length - 1;
  }

  select(index) {
    const i = Math.max(-1, Math.min(index, this.latest));
    if (i === this.selected) return;
    this.selected = i;
    this.emit('select');
  }
}

const backoffMs = [500, 1000, 2000, 5000, 10000];

/** savedRoom is the room this tab presents, {room, resume} (room.js), or null. */
export function savedRoom() {
  try {
    const v = JSON.parse(sessionStorage.getItem('synack.room'));
    return v?.room && v.resume ? v : null;
  } catch {
    return null;
  }
}

/**
 * Session sends the reader's actions to the server and feeds the store with
 * its answers. It speaks the protocol of the contract's "Live sessions"
 * section; when /ws cannot be reached at all, it falls back to replaying the
 * recorded trace of a built-in scenario (replay.js), where socket calls and
 * faults are not available.
 */
export class Session {
  constructor(store, { t, totals = {} }) {
    this.store = store;
    this.t = t;
    this.totals = totals;
    this.transport = null;
    this.queue = [];
    this.everOpened = false;
    this.retries = 0;
    this.lastLoad = null;
    /** resume {room, resume}: a new connection takes that room back. */
    this.resume = null;
    /** pacer is play at a pace: {clock, requested, last, timer}. */
    this.pacer = null;
    /** untilSegment: a Step by segment without a known run steps on until
     * a segment comes. */
    this.untilSegment = false;
    this.loadToken = 0;
  }

  /** pacing: the page plays at a pace by itself. */
  get pacing() {
    return this.pacer !== null;
  }

  /** path is the WebSocket's address on this server (room.js follows a room). */
  path() {
    if (!this.resume) return '/ws';
    return `/ws?${new URLSearchParams({ room: this.resume.room, resume: this.resume.resume })}`;
  }

  connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws;
    try {
      ws = new WebSocket(`${proto}//${location.host}${this.path()}`);
    } catch {
      this.fallBack();
      return;
    }
    this.setConnection('connecting');
    ws.onopen = () => {
      this.everOpened = true;
      this.retries = 0;
      this.transport = { send: (m) => ws.send(JSON.stringify(m)), close: () => ws.close() };
      this.setConnection('open');
      const queued = this.queue;
      this.queue = [];
      for (const m of queued) this.transport.send(m);
    };
    ws.onmessage = (e) => {
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      this.receive(msg);
    };
    ws.onclose = () => {
      this.transport = null;
      if (!this.everOpened) {
        this.fallBack();
        return;
      }
      // The server's engine went with the connection: start again from
      // the scenario's beginning once a new one is open.
      this.setConnection('reconnecting');
      this.stopPacer();
      this.store.playing = false;
      this.store.emit('play');
      const wait = backoffMs[Math.min(this.retries++, backoffMs.length - 1)];
      setTimeout(() => {
        if (this.lastLoad && !this.resume) this.queue = [this.lastLoad];
        this.connect();
      }, wait);
    };
  }

  async fallBack() {
    const { Replay } = await import('./replay.js');
    this.transport = new Replay((msg) => this.receive(msg), this.t);
    this.setConnection('replay');
    const queued = this.queue;
    this.queue = [];
    for (const m of queued) this.transport.send(m);
  }

  setConnection(state) {
    this.store.connection = state;
    this.store.emit('connection');
  }

  send(msg) {
    if (this.transport) this.transport.send(msg);
    else this.queue.push(msg);
  }

  receive(msg) {
    const s = this.store;
    switch (msg.type) {
      case 'loaded':
        if (this.resume && !this.lastLoad) s.scenarioId = msg.scenario?.id ?? '';
        this.stopPacer();
        this.untilSegment = false;
        s.scenario = msg.scenario;
        s.endpoints = msg.endpoints;
        s.events = [];
        s.live = [];
        s.selected = -1;
        s.done = false;
        s.error = '';
        s.emit('loaded');
        break;
      case 'event':
        s.events.push(msg.event);
        s.selected = s.latest;
        s.error = ''; // the run went on: an earlier refusal is old news
        s.emit('event', { event: msg.event, index: s.latest });
        if (this.untilSegment) {
          if (msg.event.kind === 'segment') this.untilSegment = false;
          else this.send({ type: 'step' });
        }
        break;
      case 'rewound': {
        const n = Math.max(0, Math.min(msg.cursor | 0, s.events.length));
        s.events.length = n;
        s.live = s.live.filter((r) => r.events < n);
        s.selected = n - 1;
        s.done = false;
        s.error = '';
        s.emit('rewound');
        break;
      }
      case 'recorded':
        s.live.push({ live: msg.live, events: msg.events });
        s.emit('recorded');
        break;
      case 'done':
        this.untilSegment = false;
        this.stopPacer();
        s.done = true;
        s.playing = false;
        if (s.total === null || s.altered) s.total = s.events.length;
        s.emit('done');
        break;
      case 'error':
        if (msg.code === 'resume-refused' && this.resume) {
          this.resume = null;
          this.onResumeRefused?.();
        }
        this.untilSegment = false;
        s.errorMsg = msg; // kept to say it again in another language
        s.error = errorText(msg, this.t);
        s.emit('error');
        break;
      default:
        // The messages of classroom rooms (room.js), once it listens.
        this.onOther?.(msg);
    }
  }

  /** load starts a fresh run of a built-in id or of a scenario object. */
  load(id, scenario) {
    const s = this.store;
    s.scenarioId = id;
    s.total = this.totals[id] ?? null;
    s.altered = false;
    s.playing = false;
    s.emit('play');
    this.lastLoad = { type: 'load', scenario: scenario ?? id };
    this.stopPacer();
    this.send(this.lastLoad);
    this.store.script = null;
    this.scriptFor = { token: ++this.loadToken, id, scenario, fetched: null };
  }

  /**
   * ready loads what Step by segment and play at a pace need, the first
   * time they do (so that the first load of the page carries neither):
   * pace.js, and the whole run beforehand (fetchScript).
   */
  async ready() {
    this.paceModule ??= import('./pace.js');
    const f = this.scriptFor;
    if (f) f.fetched ??= this.fetchScript(f.token, f.id, f.scenario);
    const [pace] = await Promise.all([this.paceModule, f?.fetched]);
    this.pace = pace;
    return pace;
  }

  /**
   * fetchScript gets the whole run beforehand, for Step by segment and play
   * at a pace to know what comes next: a built-in's recorded trace (or the
   * one the page carries), a custom scenario's run. The sandbox has none:
   * what happens there is what the reader does.
   */
  async fetchScript(token, id, scenario) {
    const s = this.store;
    if (id === 'sandbox' || (scenario && !scenario.steps?.length)) return;
    let events = this.scripts?.get(id) ?? null;
    if (!events) {
      try {
        const res = scenario
          ? await fetch('/api/run', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(scenario) })
          : await fetch(`/api/scenarios/${encodeURIComponent(id)}/trace`);
        if (!res.ok) return;
        events = (await res.json()).events;
      } catch {
        return; // offline: steps go one event at a time until a segment
      }
      if (!Array.isArray(events)) return;
      if (!scenario) (this.scripts ??= new Map()).set(id, events);
    }
    if (token !== this.loadToken) return;
    s.script = events;
    s.emit('script');
  }

  /** setScript gives the run of built-in id, when the page carries it. */
  setScript(id, events) {
    if (Array.isArray(events)) (this.scripts ??= new Map()).set(id, events);
  }

  /** goTo moves the run to just after its first cursor events (seek). */
  goTo(cursor) {
    this.send({ type: 'seek', cursor });
  }

  /** step moves on by one segment (with what belongs to it: pace.js) or,
   * with stepBy 'event', by one event. */
  async step() {
    const s = this.store;
    if (s.playing) this.pause();
    if (s.stepBy !== 'event') {
      const { nextStop } = await this.ready();
      const known = s.known;
      const target = known ? nextStop(known, s.events.length) : s.events.length;
      if (target > s.events.length) {
        this.goTo(target);
        return;
      }
      // Not known beforehand: on until a segment comes.
      if (!known) this.untilSegment = true;
    }
    this.send({ type: 'step' });
  }

  async play(speed = this.store.speed) {
    const s = this.store;
    if (s.done && !s.altered && s.scenarioId !== 'sandbox') this.reset();
    this.stopPacer();
    this.untilSegment = false;
    s.speed = speed;
    s.playing = true;
    s.emit('play');
    if (!isPace(speed)) {
      this.send({ type: 'play', speed });
      return;
    }
    const token = this.loadToken;
    await this.ready();
    // Paused, or another scenario, meanwhile.
    if (!s.playing || s.speed !== speed || token !== this.loadToken || this.pacing) return;
    const known = s.known;
    if (known) {
      this.startPacer(known, speed);
      return;
    }
    // A run not known beforehand: the server plays it at the same flight
    // time, without the pauses.
    this.send({ type: 'play', speed: this.paceRate(speed) });
  }

  /** paceRate is a pace as a speed the server plays at (once pace.js is
   * loaded, as it is whenever the page plays at a pace). */
  paceRate(pace) {
    const s = this.store;
    const p = this.pace;
    return p ? p.oneWayDelay(s.script ?? s.events) / p.PACES[pace].flightMs : 10 / 1500;
  }

  /** startPacer plays the known run at a pace: the page's clock says how
   * many events to show, and seek brings them. */
  startPacer(script, pace) {
    const s = this.store;
    const cursor = s.events.length;
    const vt = cursor ? s.events[cursor - 1].t_ms : 0;
    const p = { clock: new this.pace.PaceClock(script, pace, { vt, cursor }), requested: cursor, last: performance.now(), timer: 0 };
    this.pacer = p;
    s.clock = vt;
    const tick = () => {
      if (this.pacer !== p) return;
      const now = performance.now();
      // A tick the browser held back (a busy machine, a hidden tab) slows
      // the clock down rather than skipping what it should have shown.
      const r = p.clock.advance(Math.min(now - p.last, 4 * paceTickMs));
      p.last = now;
      s.clock = r.vt;
      // Only ever forward: events the store already has (the server's,
      // played before the run was known) are not taken back.
      if (r.cursor > Math.max(p.requested, s.events.length)) {
        p.requested = r.cursor;
        this.goTo(r.cursor);
      }
      // The run's end, once the last seek has brought every event (a
      // command before its answer would stop it short): the server says
      // done.
      if (r.done && s.events.length >= script.length) {
        this.stopPacer();
        this.send({ type: 'step' });
        return;
      }
      p.timer = setTimeout(tick, paceTickMs);
    };
    tick();
  }

  stopPacer() {
    if (!this.pacer) return;
    clearTimeout(this.pacer.timer);
    this.pacer = null;
  }

  pause() {
    this.stopPacer();
    this.untilSegment = false;
    this.store.playing = false;
    this.store.emit('play');
    this.send({ type: 'pause' });
  }

  toggle() {
    if (this.store.playing) this.pause();
    else this.play();
  }

  /**
   * skipGap jumps over a quiet stretch while playing: the next event comes
   * now, and play goes on from it at the same speed. (The server paces play
   * by virtual time, so without this 60 s of TIME-WAIT at 0.1× would take
   * ten minutes.)
   */
  skipGap() {
    const s = this.store;
    if (!s.playing || this.pacing) return;
    this.send({ type: 'step' });
    this.send({ type: 'play', speed: isPace(s.speed) ? this.paceRate(s.speed) : s.speed });
  }

  /** setSpeed changes the speed, at once when playing. */
  setSpeed(speed) {
    this.store.speed = speed;
    if (this.store.playing) this.play(speed);
    else this.store.emit('play');
  }

  /** back goes back over one segment (with what belongs to it) or, with
   * stepBy 'event', over one event. */
  async back() {
    const s = this.store;
    if (s.playing) this.pause();
    if (s.events.length === 0) return;
    if (s.stepBy === 'event') {
      this.send({ type: 'back' });
      return;
    }
    const { prevStop } = await this.ready();
    this.goTo(prevStop(s.events, s.events.length));
  }

  /**
   * seek moves the run to just after its first n events, back or forward;
   * the server pauses play and answers with the events in between (when
   * forward) and "rewound" to n.
   */
  seek(n) {
    if (this.store.playing) {
      this.store.playing = false;
      this.store.emit('play');
    }
    this.send({ type: 'seek', cursor: Math.max(0, n | 0) });
  }

  reset() {
    const s = this.store;
    this.stopPacer();
    if (s.playing) this.pause();
    this.send({ type: 'reset' });
    s.events.length = 0;
    s.live = [];
    s.selected = -1;
    s.done = false;
    s.error = '';
    if (s.altered) s.total = this.totals[s.scenarioId] ?? null;
    s.altered = false;
    s.emit('rewound');
  }

  /** call makes a socket call now (interactive mode). */
  call(endpoint, call, data) {
    const pace = this.pacing ? this.store.speed : null;
    this.stopPacer();
    if (pace) this.send({ type: 'play', speed: this.paceRate(pace) });
    const msg = { type: 'call', endpoint, call };
    if (call === 'send') msg.data = data;
    this.store.altered = true;
    this.store.done = false;
    this.send(msg);
  }

  /** drop loses a segment that is in flight. */
  drop(segmentId) {
    const s = this.store;
    const pace = this.pacing ? s.speed : null;
    this.stopPacer();
    s.altered = true;
    s.total = null;
    this.send({ type: 'fault', drop: { segment: segmentId } });
    // The run is no longer the one known beforehand: the server plays on.
    if (pace) this.send({ type: 'play', speed: this.paceRate(pace) });
  }
}
