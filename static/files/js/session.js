// The live session: a WebSocket to /ws, on which the server runs one engine
// for this page, and the store that holds what the page shows. Every view
// (ladder, panels, controls) reads the store and listens to its changes; only
// this module talks to the server.

import { errorText } from './i18n.js';

/**
 * Store is the page's state. It dispatches a "change" event whose detail
 * names what changed: loaded, event, rewound, recorded, select, play, done, error,
 * numbering, lang, connection.
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
    this.speed = 0.1;
    this.done = false;
    /** total is how many events the run will have, when known beforehand. */
    this.total = null;
    this.numbering = 'relative';
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
    this.send(this.lastLoad);
  }

  step() {
    if (this.store.playing) this.pause();
    this.send({ type: 'step' });
  }

  play(speed = this.store.speed) {
    const s = this.store;
    if (s.done && !s.altered && s.scenarioId !== 'sandbox') this.reset();
    s.speed = speed;
    s.playing = true;
    s.emit('play');
    this.send({ type: 'play', speed });
  }

  pause() {
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
    if (!this.store.playing) return;
    this.send({ type: 'step' });
    this.send({ type: 'play', speed: this.store.speed });
  }

  /** setSpeed changes the speed, at once when playing. */
  setSpeed(speed) {
    this.store.speed = speed;
    if (this.store.playing) this.send({ type: 'play', speed });
    this.store.emit('play');
  }

  back() {
    if (this.store.playing) this.pause();
    if (this.store.events.length > 0) this.send({ type: 'back' });
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
    const msg = { type: 'call', endpoint, call };
    if (call === 'send') msg.data = data;
    this.store.altered = true;
    this.store.done = false;
    this.send(msg);
  }

  /** drop loses a segment that is in flight. */
  drop(segmentId) {
    this.store.altered = true;
    this.store.total = null;
    this.send({ type: 'fault', drop: { segment: segmentId } });
  }
}
