// Replay answers the live-session protocol from a recorded trace
// (GET /api/scenarios/{id}/trace, or POST /api/run for a custom scenario),
// for when /ws cannot be reached. It plays a scenario exactly as the server
// would; socket calls and faults need the live engine and are answered with
// an error.

/** maxWaitMs bounds the real time between two events: long timers are skipped. */
const maxWaitMs = 1500;

export class Replay {
  constructor(deliver, t) {
    this.deliver = deliver;
    this.t = t;
    this.events = [];
    this.cursor = 0;
    this.timer = 0;
    this.speed = 1;
    this.loading = null;
  }

  send(msg) {
    if (msg.type === 'load') {
      this.loading = this.load(msg.scenario);
      return;
    }
    // Everything else waits for the trace.
    Promise.resolve(this.loading).then(() => this.handle(msg));
  }

  async load(scenario) {
    this.stop();
    this.events = [];
    this.cursor = 0;
    const custom = typeof scenario !== 'string';
    if (custom && !scenario?.steps?.length) {
      // The sandbox: nothing recorded to replay.
      this.deliver({ type: 'loaded', scenario, endpoints: null });
      this.deliver({ type: 'error', message: this.t('status.offline_action') });
      return;
    }
    try {
      // A custom scenario (a shared link's, a lesson's) is run whole.
      const res = custom
        ? await fetch('/api/run', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(scenario) })
        : await fetch(`/api/scenarios/${encodeURIComponent(scenario)}/trace`);
      const body = await res.json();
      if (!res.ok) throw new Error(body.error ?? res.statusText);
      this.events = body.events;
      this.deliver({ type: 'loaded', scenario: body.scenario, endpoints: body.endpoints });
    } catch (err) {
      this.deliver({ type: 'error', message: String(err.message ?? err) });
    }
  }

  handle(msg) {
    switch (msg.type) {
      case 'step':
        this.stop();
        this.next();
        break;
      case 'play':
        this.speed = msg.speed;
        this.stop();
        this.schedule();
        break;
      case 'pause':
        this.stop();
        break;
      case 'back':
        this.stop();
        if (this.cursor > 0) this.deliver({ type: 'rewound', cursor: --this.cursor });
        break;
      case 'seek': {
        this.stop();
        const n = Math.max(0, msg.cursor | 0);
        if (n > this.events.length) {
          this.deliver({ type: 'error', code: 'seek-past-end', args: { cursor: n, events: this.events.length }, message: `This run has ${this.events.length} events.` });
          break;
        }
        while (this.cursor < n) this.next();
        this.cursor = n;
        this.deliver({ type: 'rewound', cursor: n });
        break;
      }
      case 'reset':
        this.stop();
        this.cursor = 0;
        this.deliver({ type: 'rewound', cursor: 0 });
        break;
      case 'call':
      case 'fault':
        this.deliver({ type: 'error', message: this.t('status.offline_action') });
        break;
    }
  }

  /** next delivers one event, or done; it reports whether more remain. */
  next() {
    if (this.cursor >= this.events.length) {
      this.deliver({ type: 'done' });
      return false;
    }
    this.deliver({ type: 'event', event: this.events[this.cursor++] });
    return true;
  }

  schedule() {
    if (this.speed === 'max') {
      while (this.next());
      return;
    }
    const prev = this.events[this.cursor - 1];
    const ev = this.events[this.cursor];
    const gap = ev && prev ? ev.t_ms - prev.t_ms : 0;
    const wait = Math.min(maxWaitMs, Math.max(0, gap / this.speed));
    this.timer = setTimeout(() => {
      if (this.next()) this.schedule();
    }, wait);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = 0;
  }
}
