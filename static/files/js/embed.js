// What an embedded view tells the page around it: its height, so that the
// iframe can fit it, and its progress through the run. Messages go to one
// exact origin: the page's `parent` parameter if given, else the origin of
// the page that framed it (document.referrer); without either, nothing is
// posted, never to "*".
//
//   {type: "synack:height", height: 640}
//   {type: "synack:progress", step: 12, total: 43, done: false}
//   {type: "synack:step", index: 11, total: 43}    the event shown last (0 for the first)
//   {type: "synack:finished"}                       the run, or the embed's ?to= range, ended
//   {type: "synack:question", id: "q1", correct: true}   a lesson's question was answered
//
// The lessons UI reports an answer with reportAnswer(id, correct): it works
// in any page, and reaches the course page only in an embed.

/** QUESTION_EVENT is the DOM event reportAnswer dispatches on the document. */
export const QUESTION_EVENT = 'synack:question';

/** reportAnswer tells the course page (when the view is embedded) that the
 * reader answered the question id, rightly or not. */
export function reportAnswer(id, correct, target = document) {
  target.dispatchEvent(new CustomEvent(QUESTION_EVENT, { detail: { id, correct } }));
}

/** targetOrigin is where messages may go, or "" for nowhere. */
export function targetOrigin(parentOrigin, referrer) {
  if (parentOrigin) return parentOrigin;
  try {
    const u = new URL(referrer);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : '';
  } catch {
    return '';
  }
}

export class ParentLink {
  constructor(parentOrigin) {
    this.origin = window.parent !== window ? targetOrigin(parentOrigin, document.referrer) : '';
    this.lastHeight = -1;
    this.lastProgress = '';
    this.lastStep = -1;
    if (!this.origin) return;
    new ResizeObserver(() => this.height()).observe(document.documentElement);
    this.height();
    document.addEventListener(QUESTION_EVENT, (e) => {
      this.post({ type: 'synack:question', id: String(e.detail?.id ?? ''), correct: e.detail?.correct === true });
    });
  }

  post(msg) {
    if (this.origin) window.parent.postMessage(msg, this.origin);
  }

  height() {
    const h = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (h === this.lastHeight) return;
    this.lastHeight = h;
    this.post({ type: 'synack:height', height: h });
  }

  /** step reports the last event shown, when it changed: shown is how
   * many events are shown, total how many the run has (null if unknown). */
  step(shown, total) {
    if (shown === this.lastStep) return;
    this.lastStep = shown;
    if (shown > 0) this.post({ type: 'synack:step', index: shown - 1, total: total ?? null });
  }

  finished() {
    this.post({ type: 'synack:finished' });
  }

  progress(step, total, done) {
    const key = `${step}/${total}/${done}`;
    if (key === this.lastProgress) return;
    this.lastProgress = key;
    this.post({ type: 'synack:progress', step, total, done });
  }
}
