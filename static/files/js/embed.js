// What an embedded view tells the page around it: its height, so that the
// iframe can fit it, and its progress through the run. Messages go to one
// exact origin: the page's `parent` parameter if given, else the origin of
// the page that framed it (document.referrer); without either, nothing is
// posted, never to "*".
//
//   {type: "synack:height", height: 640}
//   {type: "synack:progress", step: 12, total: 43, done: false}

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
    if (!this.origin) return;
    new ResizeObserver(() => this.height()).observe(document.documentElement);
    this.height();
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

  progress(step, total, done) {
    const key = `${step}/${total}/${done}`;
    if (key === this.lastProgress) return;
    this.lastProgress = key;
    this.post({ type: 'synack:progress', step, total, done });
  }
}
