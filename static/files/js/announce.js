// The live region: each delivered event is announced politely. While events
// come faster than a person can listen, they are gathered and announced
// together at most once per interval ("5 more events; the last: …"), so
// that a fast run does not drown the screen reader.

const intervalMs = 1500;

export class Announcer {
  constructor(region, t) {
    this.region = region;
    this.t = t;
    this.pending = [];
    this.timer = 0;
    this.last = 0;
  }

  /** event queues the spoken text of one delivered event. */
  event(text) {
    this.pending.push(text);
    this.schedule();
  }

  /** say announces a message of its own (an error, a pause) now. */
  say(text) {
    this.pending = [];
    this.write(text);
  }

  schedule() {
    if (this.timer) return;
    const wait = Math.max(0, this.last + intervalMs - performance.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  flush() {
    this.timer = 0;
    const n = this.pending.length;
    if (!n) return;
    const last = this.pending[n - 1];
    this.pending = [];
    this.write(n === 1 ? last : this.t('announce.many', { n, last }));
  }

  write(text) {
    this.last = performance.now();
    // Replacing the text (not appending) keeps the region to one message.
    this.region.textContent = text;
  }

  /** clear drops what has not been said yet (a reset or a new scenario). */
  clear() {
    clearTimeout(this.timer);
    this.timer = 0;
    this.pending = [];
  }
}
