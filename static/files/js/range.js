// An embed's step range (?from=N&to=M, event numbers from 1): the view
// opens with the events before N shown, and play stops once event M is
// shown. The session has no "go to event N" command, so the range steps
// there, in batches that stay within the server's command rate (50 a second
// in bursts of up to 100); play that runs past M (events of one instant
// arrive together) is stepped back to it.

const FIRST_BATCH = 80;
const BATCH = 40;
const BATCH_GAP_MS = 1000;
const SETTLE_MS = 1000;

export class PlayRange {
  /**
   * @param from, to  event numbers (1 for the first); 0 for no bound
   * @param session   the live session (step, pause, back)
   * @param store     the session's store
   * @param onEnd     called when play reached `to`
   */
  constructor({ from = 0, to = 0 }, session, store, onEnd) {
    this.from = from > 1 ? from : 0;
    this.to = to > 0 ? to : 0;
    this.session = session;
    this.store = store;
    this.onEnd = onEnd;
    this.seeking = false;
    this.ended = false;
    this.asked = 0; // events the steps sent so far will have brought
    this.batches = 0;
    this.timer = 0;
    this.then = null;
    this.settling = false;
    this.backs = 0;
  }

  /** busy: the range is moving the run (its events are not the reader's). */
  get busy() {
    return this.seeking || this.trimming;
  }

  get trimming() {
    return this.settling && this.store.events.length > this.to;
  }

  /**
   * loaded starts a fresh run at the range's start; then is called once
   * the first events are shown. It returns whether it has to step there.
   */
  loaded(then) {
    clearTimeout(this.timer);
    this.ended = false;
    this.settling = false;
    this.backs = 0;
    this.batches = 0;
    this.then = then;
    if (this.from <= 1) return false;
    this.seeking = true;
    this.asked = 0;
    this.pump();
    return true;
  }

  pump() {
    const s = this.store;
    const target = this.from - 1;
    if (s.events.length >= target || s.done) {
      this.seeking = false;
      const then = this.then;
      this.then = null;
      then?.();
      return;
    }
    if (this.asked > s.events.length) return; // a batch is on its way
    const n = Math.min(target - s.events.length, this.batches === 0 ? FIRST_BATCH : BATCH);
    this.batches++;
    this.asked = s.events.length + n;
    for (let i = 0; i < n; i++) this.session.send({ type: 'step' });
  }

  /** changed follows the store: the seek goes on, or play stops at `to`. */
  changed(what) {
    const s = this.store;
    if (this.seeking) {
      if (what === 'done' || s.events.length >= this.from - 1) this.pump();
      else if (s.events.length >= this.asked) {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.pump(), BATCH_GAP_MS);
      }
      return;
    }
    if (what === 'rewound') this.backs = Math.max(0, this.backs - 1);
    if (!this.to || what !== 'event' || s.events.length < this.to) return;
    if (!this.ended) {
      this.ended = true;
      this.settling = true;
      this.backs = 0;
      this.session.pause();
      // What the server sent before it read the pause comes at once;
      // after that the reader may play on past the range.
      clearTimeout(this.timer);
      this.timer = setTimeout(() => (this.settling = false), SETTLE_MS);
      this.onEnd?.();
    }
    if (!this.settling) return;
    // Events of the same instant came with the last one: step back to it.
    const extra = s.events.length - this.to - this.backs;
    for (let i = 0; i < extra; i++) this.session.send({ type: 'back' });
    this.backs += Math.max(0, extra);
  }
}
