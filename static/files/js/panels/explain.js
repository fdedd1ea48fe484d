// A short explanation of the selected event: what happened, which rule of
// TCP made it happen (the engine names the rule in the event's `reason`),
// and where the RFCs or Linux say so. The words are in the catalogues (keys why.*,
// explain.*, state.*; the why.* words are fetched with the first explanation),
// the citations in the engine's vocabulary (loadCites).

import { describe, timeText } from '../describe.js';

let citesOnce;
let wordsOnce;

/** loadWords fetches the reasons' words (GET /api/strings/explain) once:
 * {lang: {key: text}}, or {} when they cannot be had. */
function loadWords() {
  wordsOnce ??= fetch('/api/strings/explain')
    .then((res) => (res.ok ? res.json() : {}))
    .catch(() => ({}));
  return wordsOnce;
}

/**
 * loadCites fetches the engine's vocabulary (GET /api/vocabulary) once and
 * maps each catalogue key that words a value (why.*, explain.timer.*,
 * explain.call.*, ...) to the RFC sections or Linux functions that specify
 * it. Without it the panel explains without citations.
 */
export function loadCites() {
  citesOnce ??= fetch('/api/vocabulary')
    .then((res) => (res.ok ? res.json() : []))
    .catch(() => [])
    .then((terms) => {
      const cites = new Map();
      for (const term of Array.isArray(terms) ? terms : []) {
        for (const key of term.words ?? []) {
          if (!cites.has(key)) cites.set(key, term.cites ?? []);
        }
      }
      return cites;
    });
  return citesOnce;
}

/** Every state's description cites the state machine overview. */
const stateCite = [{ rfc: 9293, section: '3.3.2' }];

const sameCite = (a, b) => a.rfc === b.rfc && a.section === b.section && a.kernel === b.kernel && a.sysctl === b.sysctl;

function citeLink(t, { rfc, section, kernel, sysctl }) {
  const a = document.createElement('a');
  if (sysctl) {
    a.href = 'https://docs.kernel.org/networking/ip-sysctl.html';
    a.textContent = t('explain.cite_linux', { name: sysctl });
  } else if (kernel) {
    a.href = `https://elixir.bootlin.com/linux/v6.18/A/ident/${encodeURIComponent(kernel)}`;
    a.textContent = t('explain.cite_kernel', { name: kernel });
  } else {
    a.href = `https://www.rfc-editor.org/rfc/rfc${rfc}#section-${section}`;
    a.textContent = t('explain.cite', { rfc, section });
  }
  a.rel = 'noopener';
  a.target = '_blank';
  return a;
}

export class Explain {
  constructor(root, { t, has, cites, addWords }) {
    this.root = root;
    this.t = t;
    this.has = has;
    this.addWords = addWords;
    // The citations load with the first explanation, not with the page.
    this.cites = cites ?? null;
  }

  render(store, view) {
    const { t } = this;
    const ev = store.events[store.selected];
    if (!ev) {
      const p = document.createElement('p');
      p.className = 'hint';
      p.textContent = t(store.scenarioId === 'sandbox' ? 'explain.sandbox' : 'explain.empty');
      this.root.replaceChildren(p);
      return;
    }
    this.shown = [store, view];
    if (!this.cites) {
      // The first explanation waits for its words (fetched, not inline) and
      // citations: a moment of nothing rather than of catalogue keys.
      this.cites = new Map();
      this.waiting = true;
      Promise.all([loadCites(), this.addWords ? loadWords() : {}]).then(([cites, words]) => {
        this.cites = cites;
        this.addWords?.(words);
        this.waiting = false;
        this.render(...this.shown);
      });
    }
    if (this.waiting) return;
    const head = document.createElement('p');
    head.className = 'what';
    const step = document.createElement('span');
    step.className = 'step';
    step.textContent = t('explain.step', { n: store.selected + 1, time: timeText(t, ev.t_ms) });
    const what = document.createElement('strong');
    what.textContent = describe(ev, view).text;
    head.append(step, what);
    const parts = [head];
    const keys = this.keysFor(ev);
    const cited = [];
    for (const { key, vars } of keys) {
      if (!this.has(key)) continue;
      const p = document.createElement('p');
      p.textContent = t(key, vars);
      parts.push(p);
      for (const c of this.cites.get(key) ?? (key.startsWith('state.') ? stateCite : [])) {
        if (!cited.some((d) => sameCite(c, d))) cited.push(c);
      }
    }
    if (keys.every(({ key }) => !this.has(key))) {
      const p = document.createElement('p');
      p.className = 'hint';
      p.textContent = t('explain.none');
      parts.push(p);
    }
    if (cited.length) {
      const p = document.createElement('p');
      p.className = 'cite';
      p.append(t('explain.see'), ' ');
      cited.forEach((c, i) => {
        if (i) p.append(t('explain.cite_sep'));
        p.append(citeLink(t, c));
      });
      parts.push(p);
    }
    this.root.replaceChildren(...parts);
  }

  /** keysFor lists the catalogue keys that explain ev, most specific first. */
  keysFor(ev) {
    const keys = [];
    const add = (key, vars) => keys.push({ key, vars });
    switch (ev.kind) {
      case 'segment':
        if (ev.reason) add(`why.${ev.reason}`);
        if (ev.fate === 'dropped') add(ev.drop_reason === 'unreachable' ? 'explain.unreachable' : 'explain.lost');
        break;
      case 'state':
        if (ev.reason) add(`why.${ev.reason}`);
        add(`explain.trans.${ev.from}>${ev.to}`);
        add(`state.${ev.to}`, { state: ev.to });
        break;
      case 'call':
        add(`explain.call.${ev.call}`);
        if (ev.error) add('explain.call_error', { call: ev.call, error: ev.error });
        break;
      case 'timer':
        add(`explain.timer.${ev.timer}`);
        add(`explain.timer_${ev.action}`, { timer: this.t(`timer.${ev.timer}`), due: timeText(this.t, ev.due_ms) });
        break;
      case 'note':
      case 'drop':
        add(`why.${ev.reason}`);
        break;
    }
    return keys;
  }
}
