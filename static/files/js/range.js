// An embed's step range (?from=N&to=M, event numbers from 1): the view
// opens with the events before N shown, and play stops once event M is
// shown. Both are one "seek" to the server: to N-1 when loaded, and back to
// M when play reaches it (pausing play, and taking back the events of the
// same instant that came with it).

export class PlayRange {
  /**
   * @param from, to  event numbers (1 for the first); 0 for no bound
   * @param session   the live session (seek, pause)
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
    this.then = null;
  }

  /** busy: the range is moving the run (its events are not the reader's). */
  get busy() {
    return this.seeking;
  }

  /**
   * loaded starts a fresh run at the range's start; then is called once
   * the first events are shown. It returns whether it seeks there.
   */
  loaded(then) {
    this.ended = false;
    this.then = null;
    if (this.from <= 1) return false;
    this.then = then;
    this.seek(this.from - 1);
    return true;
  }

  seek(n) {
    this.seeking = true;
    this.session.seek(n);
  }

  /** changed follows the store: the seek ends, or play stops at `to`. */
  changed(what) {
    const s = this.store;
    if (this.seeking) {
      // The seek's answer ends with "rewound"; a run shorter than the
      // range is refused with an error, and shows what it has.
      if (what !== 'rewound' && what !== 'error') return;
      const err = what === 'error' ? s.errorMsg : null;
      if (err?.code === 'seek-past-end' && Number.isInteger(err.args?.events)) {
        this.seek(err.args.events);
        return;
      }
      this.seeking = false;
      const then = this.then;
      this.then = null;
      then?.();
      return;
    }
    if (!this.to || what !== 'event' || s.events.length < this.to || this.ended) return;
    this.ended = true;
    // The seek pauses play and takes back what came past `to`; after it
    // the reader may play on past the range.
    this.seek(this.to);
    this.onEnd?.();
  }
}
