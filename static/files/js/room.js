// Classroom rooms: a presenter shares the live session with a class, and
// viewers follow it on their own devices (README, "Classroom rooms").
//
// Loaded on demand: by a presenter who opens the room panel, and at start
// by a page whose address names a room (/?room=CODE), which then follows
// the room instead of running its own session. The panel is one section
// below the toolbar: the room's code, link and QR code, the viewers, and the
// question put to the room with its answers; for a viewer, a banner and the
// question to answer.

import { errorText } from './i18n.js';
import { Session } from './session.js';

/** textIn picks a {en, zh} text in lang, English when it has none. */
export function textIn(text, lang) {
  if (!text) return '';
  return (lang === 'zh' && text.zh) || text.en || '';
}

/** el makes an element with attributes and children. */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...children.filter((c) => c != null));
  return e;
}

/**
 * saveRoom keeps, in the tab's sessionStorage, the room this tab presents,
 * {room, resume}, so that a reload takes it back (session.js savedRoom);
 * null forgets it.
 */
function saveRoom(v) {
  try {
    if (v) sessionStorage.setItem('synack.room', JSON.stringify({ room: v.room, resume: v.resume }));
    else sessionStorage.removeItem('synack.room');
  } catch {
    // Storage blocked: a reload opens a new room.
  }
}

/** useStylesheet loads room.css, once, beside this module's own files. */
function useStylesheet() {
  if (document.querySelector('link[data-room-css]')) return;
  const link = el('link', { rel: 'stylesheet', href: new URL('../room.css', import.meta.url).href, 'data-room-css': '' });
  document.head.append(link);
}

/** csvCell quotes a value for CSV (RFC 4180). */
function csvCell(v) {
  const s = String(v ?? '');
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * resultsCSV is the room's questions with their answers, one row per
 * option: question number, question, option, answers, whether it is the
 * right one, total answers. A number question has one row per value given
 * (the most given first), and one for the right value when nobody gave it.
 * texts are picked in lang.
 */
export function resultsCSV(results, lang) {
  const rows = [['question', 'prompt', 'option', 'answers', 'correct', 'total']];
  const mark = (right, known) => (right ? 'yes' : known ? 'no' : '');
  for (const r of results) {
    const prompt = textIn(r.prompt, lang);
    if (r.kind === 'number') {
      const values = [...(r.values ?? [])];
      if (r.value != null && !values.some((v) => v.value === r.value)) values.push({ value: r.value, count: 0 });
      if (!values.length) rows.push([r.id, prompt, '', 0, '', r.total]);
      for (const v of values) rows.push([r.id, prompt, v.value, v.count, mark(v.value === r.value, r.value != null), r.total]);
      continue;
    }
    r.options.forEach((o, i) => {
      rows.push([r.id, prompt, textIn(o, lang), r.counts[i] ?? 0, mark(r.answer === i, r.answer != null), r.total]);
    });
  }
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** roomWords are the room's words in every language (GET /api/strings/room):
 * a page carries only its room button's and join form's, so this module
 * brings the rest as it loads ({} when they cannot be had: keys show). */
export const roomWords = await fetch('/api/strings/room')
  .then((res) => (res.ok ? res.json() : {}))
  .catch(() => ({}));

const resultsKey = 'synack.room.results';

/** RoomPanel draws the room: for the presenter or for a viewer. */
export class RoomPanel {
  /**
   * @param t the translator's t
   * @param opts viewer (boolean), send(msg) to the server, lanURL (the
   *   server's LAN address, when the page is on localhost), onSheet() when
   *   a viewer's question sheet on a phone has moved the ladder's box
   */
  constructor(t, { viewer, send, lanURL = '', onSheet = () => {} }) {
    this.t = t;
    this.viewer = viewer;
    this.send = send;
    this.lanURL = lanURL;
    this.onSheet = onSheet;
    // A viewer on a phone (room.css's breakpoint) gets the question as a
    // bottom sheet, which its handle collapses to a bar.
    this.phone = viewer && typeof matchMedia === 'function' ? matchMedia('(max-width: 40rem)') : null;
    this.phone?.addEventListener?.('change', () => this.render());
    this.sheetOpen = true;
    this.sheetKey = '';
    this.code = '';
    this.url = '';
    this.qr = '';
    this.viewers = 0;
    this.ended = '';
    this.notice = '';
    this.away = false; // the presenter's connection dropped; the room waits
    this.resuming = false; // the presenter's own page is reconnecting
    this.collapsed = false; // the presenter's panel shows only the code
    this.peek = false; // the presenter sees the bars before the reveal
    /** results are the questions asked in this room, for the CSV. */
    this.results = [];
    this.question = null; // the last question message
    this.answers = null; // its answers: counts and total
    this.reveal = null; // its reveal message
    this.mine = null; // the viewer's own answer
    this.composing = false;
    this.root = document.getElementById('room');
    if (!this.root) {
      this.root = el('section', { id: 'room', class: 'room', 'aria-labelledby': 'room-h' });
      const after = document.querySelector('.toolbar') ?? document.querySelector('main');
      after?.after(this.root);
    }
    this.root.hidden = false;
    useStylesheet();
    if (!viewer) {
      this.root.classList.add('room--sheet');
      keepBelowControls(this.root);
    }
    // render redraws body; the presenter's lesson picker stays put below it,
    // keeping the focus and the choices while answers come in.
    this.body = el('div', { class: 'room-body' });
    this.root.replaceChildren(this.body);
    if (!viewer) {
      this.picker = new LessonPicker(t, (q) => this.ask(q));
      this.root.append(this.picker.root);
    }
    // Redraw in the page's language when it switches.
    new MutationObserver(() => this.render()).observe(document.documentElement, {
      attributes: true, attributeFilter: ['lang'],
    });
  }

  get lang() {
    return document.documentElement.lang;
  }

  /** receive takes a room message; it reports whether it was one. */
  receive(msg) {
    switch (msg.type) {
      case 'shared':
        if (msg.room !== this.code) this.results = this.viewer ? [] : this.loadResults(msg.room);
        Object.assign(this, { code: msg.room, url: msg.url, qr: msg.qr, ended: '', resuming: false });
        break;
      case 'room':
        this.code = msg.room || this.code;
        this.viewers = msg.viewers ?? this.viewers;
        if (msg.state === 'ended') this.ended = msg.reason || 'ended';
        if (msg.state === 'presenter-away') this.away = true;
        if (msg.state === 'presenter-back' || msg.state === 'ended') this.away = false;
        break;
      case 'question':
        this.question = msg;
        this.answers = { counts: msg.options.map(() => 0), values: [], total: 0 };
        this.reveal = null;
        this.mine = null;
        this.draft = '';
        this.valueError = '';
        this.composing = false;
        this.peek = false;
        this.record(msg.id, { prompt: msg.prompt, options: msg.options, kind: msg.kind ?? 'choice' });
        break;
      case 'answers':
        if (this.question?.id === msg.id) this.answers = msg;
        this.record(msg.id, { counts: msg.counts, values: msg.values ?? [], total: msg.total });
        break;
      case 'answered':
        if (this.question?.id === msg.id) this.mine = msg.value ?? msg.choice;
        break;
      case 'reveal':
        if (this.question?.id === msg.id) {
          this.reveal = msg;
          this.answers = msg;
        }
        this.record(msg.id, { counts: msg.counts, values: msg.values ?? [], total: msg.total, answer: msg.answer, value: msg.value ?? null });
        break;
      default:
        return false;
    }
    this.render();
    return true;
  }

  /** record keeps what the presenter learns of question id, for the CSV. */
  record(id, fields) {
    if (this.viewer) return;
    let r = this.results.find((x) => x.id === id);
    if (!r) {
      if (!fields.prompt) return;
      r = { id, prompt: null, options: [], counts: [], total: 0, answer: null };
      this.results.push(r);
    }
    Object.assign(r, fields);
    try {
      window.sessionStorage.setItem(resultsKey, JSON.stringify({ room: this.code, results: this.results }));
    } catch {
      // Storage blocked: the results last as long as the page.
    }
  }

  loadResults(code) {
    try {
      const v = JSON.parse(window.sessionStorage.getItem(resultsKey) ?? 'null');
      return v?.room === code && Array.isArray(v.results) ? v.results : [];
    } catch {
      return [];
    }
  }

  /** downloadResults saves the room's questions and answers as CSV. */
  downloadResults() {
    const blob = new Blob([resultsCSV(this.results, this.lang)], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: `room-${this.code}-results.csv`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  /** showQR shows the room's QR code and code full screen. */
  showQR() {
    const { t } = this;
    const close = el('button', { type: 'button', 'data-room-qr-close': '', text: t('room.qr_close') });
    const dialog = el('dialog', { class: 'room-qr-full', 'data-room-qr-full': '', 'aria-label': t('room.qr_alt', { code: this.code }) },
      el('img', { src: this.qr, alt: t('room.qr_alt', { code: this.code }) }),
      el('p', { class: 'room-code', text: this.code }),
      el('p', { class: 'room-link', text: this.url }),
      close);
    close.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      this.root.querySelector('[data-room-qr-open]')?.focus();
    });
    document.body.append(dialog);
    dialog.showModal();
    close.focus();
  }

  toggleCollapsed() {
    this.collapsed = !this.collapsed;
    this.render();
    this.root.querySelector('[data-room-collapse]')?.focus();
  }

  /** fail shows why the room cannot be followed (an unknown code). */
  fail(message) {
    this.notice = message;
    this.ended = this.ended || 'unknown';
    this.render();
  }

  render() {
    const { t } = this;
    this.root.classList.toggle('room--collapsed', this.collapsed);
    if (this.picker) this.picker.root.hidden = this.collapsed;
    if (this.collapsed) {
      this.body.replaceChildren(el('div', { class: 'room-bar-head' },
        el('span', { class: 'room-mini', 'data-room-mini': '', text: this.code }),
        el('button', { type: 'button', 'data-room-collapse': '', 'aria-expanded': 'false',
          onclick: () => this.toggleCollapsed(), text: t('room.expand') })));
      this.root.dataset.roomState = this.ended ? 'ended' : this.code ? 'open' : 'opening';
      return;
    }
    const parts = [];
    if (this.viewer) parts.push(...this.viewerHead());
    else parts.push(...this.presenterHead());
    if (!this.ended || this.question) parts.push(this.questionView());
    if (!this.viewer && !this.ended) parts.push(this.composer());
    this.body.replaceChildren(...parts.filter(Boolean));
    this.picker?.show(Boolean(this.code && !this.ended));
    this.root.classList.toggle('room--ended', Boolean(this.ended));
    this.root.dataset.roomState = this.ended ? 'ended' : this.code ? 'open' : 'opening';
    this.root.setAttribute('aria-label', t('room.title'));
    this.placeSheet();
  }

  /** toggleSheet collapses the phone's question sheet to its bar, or opens it. */
  toggleSheet() {
    this.sheetOpen = !this.sheetOpen;
    this.render();
    this.body.querySelector('[data-room-sheet-toggle]')?.focus();
  }

  /**
   * placeSheet fits the ladder's box into the part of a phone's screen
   * above the question sheet (html.room-sheet, --room-sheet-h and
   * --room-bar-h for room.css), scrolls the page to put the box under the
   * sticky toolbar and has the ladder show its current segment: when a
   * question comes, and when the sheet opens or collapses.
   */
  placeSheet() {
    if (!this.viewer) return;
    const html = document.documentElement;
    const box = this.body.querySelector('.room-question');
    const on = Boolean(box && this.phone?.matches);
    html.classList.toggle('room-sheet', on);
    const key = on ? `${box.dataset.question}:${this.sheetOpen}` : '';
    if (!on) {
      html.style.removeProperty('--room-sheet-h');
      html.style.removeProperty('--room-bar-h');
      this.sheetKey = '';
      return;
    }
    const bar = document.querySelector('.toolbar');
    html.style.setProperty('--room-sheet-h', `${Math.ceil(box.getBoundingClientRect().height)}px`);
    html.style.setProperty('--room-bar-h', `${Math.ceil(bar?.getBoundingClientRect().height ?? 0)}px`);
    if (key === this.sheetKey) return;
    this.sheetKey = key;
    const host = document.querySelector('.ladder-host');
    if (host) {
      // Where the sticky toolbar stays once the page has scrolled.
      const under = bar ? (parseFloat(getComputedStyle(bar).top) || 0) + bar.getBoundingClientRect().height : 0;
      window.scrollTo({ top: window.scrollY + host.getBoundingClientRect().top - under, behavior: 'instant' });
    }
    this.onSheet();
  }

  endedText() {
    const key = { ended: 'room.ended', left: 'room.left', shutdown: 'room.shutdown' }[this.ended];
    return key ? this.t(key, { code: this.code }) : this.notice;
  }

  viewerHead() {
    const { t } = this;
    if (this.ended) {
      return [el('p', { class: 'room-banner', role: 'status', 'data-room-banner': '' }, this.endedText())];
    }
    if (this.away) {
      return [el('p', { class: 'room-banner room-banner--away', role: 'status', 'data-room-banner': '', 'data-room-away': '' },
        el('strong', { text: t('room.away', { code: this.code }) }))];
    }
    return [
      el('p', { class: 'room-banner', role: 'status', 'data-room-banner': '' },
        el('strong', { text: t('room.following', { code: this.code }) }), ' ', t('room.following_hint')),
    ];
  }

  presenterHead() {
    const { t } = this;
    const head = el('div', { class: 'room-bar-head' },
      el('h2', { id: 'room-h', text: t('room.title') }),
      el('button', { type: 'button', 'data-room-collapse': '', 'aria-expanded': 'true',
        onclick: () => this.toggleCollapsed(), text: t('room.collapse') }));
    if (!this.code) return [head, el('p', { text: t('room.opening') })];
    if (this.resuming) return [head, el('p', { role: 'status', 'data-room-banner': '', text: t('room.resuming', { code: this.code }) })];
    if (this.ended) {
      return [head, el('p', { role: 'status', 'data-room-banner': '' }, this.endedText()),
        el('button', { type: 'button', onclick: () => this.send({ type: 'share' }), text: t('room.reopen') })];
    }
    return [
      head,
      el('div', { class: 'room-share' },
        el('div', { class: 'room-id' },
          el('p', { class: 'room-label', text: t('room.code_label') }),
          el('p', { class: 'room-code', 'data-room-code': this.code, text: this.code }),
          el('p', { class: 'room-link' }, el('a', { href: this.url, text: this.url, 'data-room-link': '' })),
          el('p', { class: 'room-hint', text: t('room.share_hint') }),
          this.lanHint(),
          el('p', { class: 'room-viewers', role: 'status', 'data-room-viewers': String(this.viewers),
            text: t('room.viewers', { n: this.viewers }) }),
          el('div', { class: 'room-tools' },
            el('button', { type: 'button', 'data-room-qr-open': '', onclick: () => this.showQR(), text: t('room.qr_full') }),
            this.results.length ? el('button', { type: 'button', 'data-room-results': '', onclick: () => this.downloadResults(), text: t('room.results') }) : null,
            el('button', { type: 'button', 'data-room-end': '', onclick: () => this.send({ type: 'end' }), text: t('room.end') }))),
        el('img', { class: 'room-qr', src: this.qr, alt: t('room.qr_alt', { code: this.code }), width: 240, height: 240 })),
    ];
  }

  /**
   * lanHint warns that a link to localhost does not open on students'
   * devices, and links this page at the server's LAN address.
   */
  lanHint() {
    if (!this.lanURL) return null;
    const here = new URL(location.href);
    const there = new URL(here.pathname + here.search, this.lanURL);
    const [before, after] = this.t('room.localhost', { url: '\u0000' }).split('\u0000');
    return el('p', { class: 'room-lan', role: 'note', 'data-room-lan': '' },
      before, el('a', { href: there.href, text: this.lanURL }), after ?? '');
  }

  /** questionView is the last question: to answer, or with its answers. */
  questionView() {
    const q = this.question;
    if (!q) return this.viewer ? el('p', { class: 'hint', text: this.t('room.no_question') }) : null;
    if (q.kind === 'number') return this.numberView();
    const { t } = this;
    const lang = this.lang;
    const total = this.answers?.total ?? 0;
    const counts = this.answers?.counts ?? [];
    const answer = this.reveal?.answer;
    // Bars stay off the projected screen until the reveal; the presenter
    // peeks at them on demand.
    const showCounts = Boolean(this.reveal) || (!this.viewer && this.peek);
    const items = q.options.map((o, i) => {
      const label = textIn(o, lang);
      const marks = [];
      if (this.reveal && answer === i) marks.push(el('strong', { class: 'room-correct', text: ` ✓ ${t('room.is_correct')}` }));
      if (this.mine === i) marks.push(el('em', { class: 'room-mine', text: ` (${t('room.mine')})` }));
      let body;
      if (this.viewer && this.mine == null && !this.reveal && !this.ended) {
        body = el('button', { type: 'button', class: 'room-choice', 'data-choice': i,
          onclick: () => this.send({ type: 'answer', choice: i }) }, label);
      } else {
        body = el('span', { class: 'room-option' }, label);
      }
      const row = el('li', { class: answer === i ? 'is-correct' : null, 'data-option': i }, body, ...marks);
      if (showCounts) {
        const n = counts[i] ?? 0;
        const pct = total ? Math.round((100 * n) / total) : 0;
        // Through the CSSOM: the page's CSP allows no style attributes.
        const fill = el('span');
        fill.style.width = `${pct}%`;
        row.append(
          el('span', { class: 'room-count', text: t('room.count', { n, total }) }),
          el('span', { class: 'room-bar', 'aria-hidden': 'true' }, fill),
        );
      }
      return row;
    });
    // On a phone the heading is the sheet's handle.
    const sheet = this.viewer && this.phone?.matches;
    const heading = sheet
      ? el('h3', {}, el('button', { type: 'button', class: 'room-sheet-toggle', 'data-room-sheet-toggle': '',
        'aria-expanded': String(this.sheetOpen), onclick: () => this.toggleSheet() }, t('room.question_label')))
      : el('h3', { text: t('room.question_label') });
    const box = el('div', { class: sheet && !this.sheetOpen ? 'room-question room-question--collapsed' : 'room-question', 'data-question': q.id },
      heading,
      el('p', { class: 'room-prompt', text: textIn(q.prompt, lang) }),
      el('ol', { class: 'room-options' }, ...items));
    this.questionFooter(box, total);
    return box;
  }

  /** questionFooter adds the presenter's total, peek and reveal, a viewer's thanks, the explanation. */
  questionFooter(box, total) {
    const { t } = this;
    if (!this.viewer) {
      box.append(el('p', { class: 'room-total', 'data-room-total': String(total), text: t('room.answers', { total }) }));
      if (!this.reveal) {
        box.append(el('button', { type: 'button', 'data-room-peek': '', 'aria-pressed': String(this.peek),
          onclick: () => { this.peek = !this.peek; this.render(); }, text: this.peek ? t('room.hide_bars') : t('room.peek_bars') }));
      }
      if (!this.reveal && !this.ended) {
        box.append(el('button', { type: 'button', 'data-room-reveal': '', onclick: () => this.send({ type: 'reveal' }),
          text: t('room.reveal') }));
      }
    } else if (this.mine != null && !this.reveal) {
      box.append(el('p', { role: 'status', text: t('room.answered') }));
    }
    if (this.reveal?.explanation) box.append(el('p', { class: 'room-explain', text: textIn(this.reveal.explanation, this.lang) }));
  }

  /**
   * numberView is a number question: for a viewer, a numeric input until
   * it has answered; then (and for the presenter) the values given with
   * their counts, the most given first, and after the reveal the right one.
   */
  numberView() {
    const { t } = this;
    const q = this.question;
    const total = this.answers?.total ?? 0;
    const values = this.answers?.values ?? [];
    const right = this.reveal?.value;
    const showCounts = Boolean(this.reveal) || (!this.viewer && this.peek);
    const box = el('div', { class: 'room-question', 'data-question': q.id, 'data-kind': 'number' },
      el('h3', { text: t('room.question_label') }),
      el('p', { class: 'room-prompt', text: textIn(q.prompt, this.lang) }));
    if (this.viewer && this.mine == null && !this.reveal && !this.ended) box.append(this.valueForm());
    if (this.mine != null) {
      box.append(el('p', { class: 'room-mine', 'data-room-mine': String(this.mine) }, el('em', { text: `${t('room.mine')}: ${this.mine}` })));
    }
    if (this.reveal && right != null) {
      box.append(el('p', { class: 'room-right', 'data-room-right': String(right) },
        el('strong', { text: `✓ ${t('room.right_value', { value: right })}` })));
    }
    if (showCounts) {
      if (!values.length) box.append(el('p', { class: 'hint', text: t('room.values_none') }));
      const rows = values.map(({ value, count: n }) => {
        const pct = total ? Math.round((100 * n) / total) : 0;
        const fill = el('span'); // its width through the CSSOM: the CSP allows no style attributes
        fill.style.width = `${pct}%`;
        return el('li', { class: right === value ? 'is-correct' : null, 'data-value': String(value), 'data-count': String(n) },
          el('span', { class: 'room-option' }, String(value)),
          right === value ? el('strong', { class: 'room-correct', text: ` ✓ ${t('room.is_correct')}` }) : null,
          this.mine === value ? el('em', { class: 'room-mine', text: ` (${t('room.mine')})` }) : null,
          el('span', { class: 'room-count', text: t('room.count', { n, total }) }),
          el('span', { class: 'room-bar', 'aria-hidden': 'true' }, fill));
      });
      if (rows.length) box.append(el('ul', { class: 'room-options room-values', 'aria-label': t('room.answers', { total }) }, ...rows));
    }
    this.questionFooter(box, total);
    return box;
  }

  /** valueForm is the viewer's numeric input for a number question. */
  valueForm() {
    const { t } = this;
    const input = el('input', { type: 'number', id: 'room-value', name: 'value', step: 1, min: minValue, max: maxValue,
      inputmode: 'numeric', required: true, 'data-room-value': '', 'aria-describedby': this.valueError ? 'room-value-error' : null });
    input.value = this.draft ?? '';
    input.addEventListener('input', () => { this.draft = input.value; });
    const form = el('form', { class: 'room-value', novalidate: true },
      el('label', { for: 'room-value', text: t('room.value_label') }), ' ', input, ' ',
      el('button', { type: 'submit', 'data-room-value-send': '', text: t('room.value_send') }),
      this.valueError ? el('p', { id: 'room-value-error', class: 'room-error', role: 'alert', 'data-room-value-error': '', text: this.valueError }) : null);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = checkValue(input.value, input.validity?.badInput);
      this.valueError = v.error ? t(v.error, { min: minValue, max: maxValue }) : '';
      if (!v.error) this.send({ type: 'answer', value: v.value });
      this.render();
      if (v.error) this.root.querySelector('[data-room-value]')?.focus();
    });
    return form;
  }

  /** composer is the presenter's form to write a question. */
  composer() {
    const { t } = this;
    if (!this.code) return null;
    if (!this.composing) {
      return el('button', { type: 'button', 'data-room-compose': '', onclick: () => { this.composing = true; this.render(); },
        text: t('room.compose') });
    }
    const options = [0, 1, 2, 3].map((i) => el('li', {},
      el('input', { type: 'radio', name: 'room-correct', value: i, id: `room-correct-${i}`, checked: i === 0 }),
      el('label', { for: `room-correct-${i}`, class: 'visually-hidden', text: t('room.correct') }),
      el('input', { type: 'text', name: `option${i}`, maxlength: 200, 'aria-label': t('room.option', { n: i + 1 }),
        placeholder: t('room.option', { n: i + 1 }) })));
    const choices = el('div', { 'data-room-choices': '' },
      el('p', { class: 'hint', text: t('room.options_hint') }),
      el('ol', {}, ...options));
    const numberAnswer = el('p', { 'data-room-number-answer': '', hidden: true },
      el('label', { for: 'room-number-answer', text: t('room.number_answer') }), ' ',
      el('input', { type: 'number', id: 'room-number-answer', name: 'value', step: 1, min: minValue, max: maxValue, inputmode: 'numeric' }));
    const isNumber = el('input', { type: 'checkbox', id: 'room-kind-number', name: 'number', 'data-room-kind-number': '' });
    isNumber.addEventListener('change', () => {
      choices.hidden = isNumber.checked;
      numberAnswer.hidden = !isNumber.checked;
    });
    const form = el('form', { class: 'room-compose' },
      el('label', { for: 'room-prompt', text: t('room.prompt') }),
      el('textarea', { id: 'room-prompt', name: 'prompt', maxlength: 500, rows: 2, required: true }),
      el('p', {}, isNumber, ' ', el('label', { for: 'room-kind-number', text: t('room.kind_number') })),
      choices,
      numberAnswer,
      el('button', { type: 'submit', text: t('room.ask') }));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const data = new FormData(form);
      const prompt = String(data.get('prompt') ?? '').trim();
      if (isNumber.checked) {
        if (!prompt) return;
        const raw = String(data.get('value') ?? '').trim();
        const question = { kind: 'number', prompt: { en: prompt, zh: prompt } };
        if (raw !== '') question.answer = Number(raw); // the server says what is wrong with it
        this.ask(question);
        return;
      }
      const opts = [];
      let answer = null;
      for (const i of [0, 1, 2, 3]) {
        const v = String(data.get(`option${i}`) ?? '').trim();
        if (!v) continue;
        if (String(data.get('room-correct')) === String(i)) answer = opts.length;
        opts.push({ en: v, zh: v });
      }
      if (!prompt || opts.length < 2) return;
      this.ask({ prompt: { en: prompt, zh: prompt }, options: opts, answer });
    });
    return form;
  }

  /**
   * ask puts a question to the room: {prompt, options, answer, explanation}
   * with texts in en and zh, or a lesson's, {lesson, step}.
   */
  ask(question) {
    this.send({ type: 'ask', question });
  }
}

/** askable are the kinds of lesson question a room can answer (web/questions.go). */
const askable = new Set(['choice', 'state', 'drop', 'number']);

/** The values a number question's answer may take (web/questions.go). */
const minValue = -2147483648;
const maxValue = 4294967295;

/**
 * checkValue reads a viewer's number answer as the input gives it: {value}
 * or {error}, the catalogue key of what is wrong. badInput is the input's
 * validity.badInput (text the browser could not read as a number).
 */
export function checkValue(text, badInput = false) {
  const s = String(text ?? '').trim();
  if (badInput || !/^-?\d+$/.test(s)) return { error: 'room.value_bad' };
  const value = Number(s);
  if (value < minValue || value > maxValue) return { error: 'room.value_range' };
  return { value };
}

/** getJSON fetches url's JSON, throwing when the answer is not a 200. */
async function getJSON(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

/**
 * LessonPicker is the presenter's form to put a lesson's question to the
 * room: a lesson (GET /api/lessons), then one of its questions a room can
 * answer (GET /api/lessons/{id}, in both languages, so that a switch of the
 * page's language needs no new request), asked as {lesson, step}. It is
 * built once and updated in place: its selects keep the focus and the
 * choices while the panel redraws around it.
 */
export class LessonPicker {
  constructor(t, ask) {
    this.t = t;
    this.ask = ask;
    this.lessons = null; // the lesson list, once loaded
    this.views = new Map(); // lesson id → its views by language
    this.started = false;
    this.loading = false;
    this.statusKey = '';
    this.version = 0; // bumped when what the form shows changes
    this.drawn = ''; // the language and version drawn
    this.heading = el('h3', { id: 'room-lesson-h' });
    this.lessonLabel = el('label', { for: 'room-lesson' });
    this.lesson = el('select', { id: 'room-lesson', name: 'lesson', 'data-room-lesson': '',
      onchange: () => this.chooseLesson(), onfocus: () => { if (!this.lessons) this.loadLessons(); } });
    this.stepLabel = el('label', { for: 'room-lesson-step' });
    this.step = el('select', { id: 'room-lesson-step', name: 'step', 'data-room-lesson-step': '', disabled: true });
    this.status = el('p', { class: 'hint', role: 'status' });
    this.button = el('button', { type: 'submit', 'data-room-lesson-ask': '' });
    this.root = el('form', { class: 'room-lesson', 'aria-labelledby': 'room-lesson-h', hidden: true },
      this.heading,
      el('p', {}, this.lessonLabel, ' ', this.lesson),
      el('p', {}, this.stepLabel, ' ', this.step),
      this.status,
      this.button);
    this.root.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
  }

  /** show shows the form (while the room is open), loading the lessons the first time. */
  show(on) {
    this.root.hidden = !on;
    if (on && !this.started) {
      this.started = true;
      this.loadLessons();
    }
    this.draw();
  }

  setStatus(key) {
    this.statusKey = key;
    this.version++;
    this.draw();
  }

  async loadLessons() {
    if (this.loading) return;
    this.loading = true;
    this.setStatus('room.lesson_loading');
    try {
      this.lessons = await getJSON('/api/lessons');
      this.setStatus('');
    } catch {
      this.setStatus('room.lesson_failed'); // focusing the select tries again
    } finally {
      this.loading = false;
    }
  }

  async chooseLesson() {
    const id = this.lesson.value;
    this.step.replaceChildren();
    this.step.disabled = true;
    if (id && !this.views.has(id)) {
      this.setStatus('room.lesson_loading');
      try {
        this.views.set(id, await getJSON(`/api/lessons/${encodeURIComponent(id)}`));
      } catch {
        if (this.lesson.value === id) {
          this.lesson.value = ''; // so that choosing it again tries again
          this.setStatus('room.lesson_failed');
        }
        return;
      }
      if (this.lesson.value !== id) return; // another lesson was chosen meanwhile
    }
    this.setStatus(!id || this.questions(id).length ? '' : 'room.lesson_none');
  }

  /** questions lists the steps of lesson id a room can be asked, with their questions in the page's language. */
  questions(id) {
    const byLang = this.views.get(id);
    const view = byLang?.[document.documentElement.lang] ?? byLang?.en;
    return (view?.steps ?? []).flatMap((s, i) => (s.question && askable.has(s.question.kind) ? [[i, s.question]] : []));
  }

  /** draw updates the texts and the options in place, when the language or the data changed. */
  draw() {
    const lang = document.documentElement.lang;
    if (this.drawn === `${lang} ${this.version}`) return;
    this.drawn = `${lang} ${this.version}`;
    const { t } = this;
    this.heading.textContent = t('room.lesson_heading');
    this.lessonLabel.textContent = t('room.lesson');
    this.stepLabel.textContent = t('room.lesson_question');
    this.button.textContent = t('room.lesson_ask');
    this.status.textContent = this.statusKey ? t(this.statusKey) : '';
    const id = this.lesson.value;
    this.lesson.replaceChildren(el('option', { value: '', text: t('room.lesson_choose') }),
      ...(this.lessons ?? []).map((l) => el('option', { value: l.id, text: textIn(l.title, lang) })));
    this.lesson.value = id;
    const step = this.step.value;
    const questions = id ? this.questions(id) : [];
    this.step.replaceChildren(...questions.map(([i, q]) => el('option', { value: i,
      text: t('room.lesson_step', { n: i + 1, prompt: q.prompt }) })));
    if (questions.some(([i]) => String(i) === step)) this.step.value = step;
    this.step.disabled = questions.length === 0;
  }

  submit() {
    const lesson = this.lesson.value;
    const step = parseInt(this.step.value, 10);
    if (!lesson || Number.isNaN(step)) {
      this.setStatus('room.lesson_pick');
      return;
    }
    this.setStatus('');
    this.ask({ lesson, step });
  }
}

/**
 * Classroom is the presenter's side: it shares the app's session and shows
 * the room panel, fed with the room messages of the session.
 */
export class Classroom {
  constructor(app) {
    this.app = app;
    app.tr.add(roomWords);
    this.panel = new RoomPanel(app.tr.t, { viewer: false, send: (m) => app.session.send(m), lanURL: app.config.lanURL });
    app.session.onOther = (msg) => this.receive(msg);
    // A dropped connection takes the room back when it reconnects (the
    // resume token); a room that has ended is forgotten.
    app.store.on((c) => {
      if (c.what === 'connection' && app.store.connection === 'reconnecting' && this.panel.code && !this.panel.ended) {
        this.panel.resuming = Boolean(app.session.resume);
        if (!app.session.resume) this.panel.ended = 'left';
        this.panel.render();
      }
    });
    if (app.session.resume) {
      this.panel.code = app.session.resume.room;
      this.panel.resuming = true;
    }
    for (const msg of app.roomBacklog ?? []) this.receive(msg);
    app.roomBacklog = null;
    // The viewers follow the presenter's numbering and selected event. A
    // new event selects itself without a 'select' change: the room's view
    // (which a late joiner gets after the events) must move with it.
    this.viewTimer = 0;
    const moves = new Set(['select', 'numbering', 'notation', 'event', 'rewound']);
    app.store.on((c) => {
      if (moves.has(c.what)) this.sendView();
    });
    this.panel.render();
  }

  /** sendView tells the room how this page shows the run, soon. */
  sendView() {
    clearTimeout(this.viewTimer);
    this.viewTimer = setTimeout(() => {
      const { panel, app } = this;
      if (!panel.code || panel.ended || panel.resuming) return;
      app.session.send({ type: 'view', numbering: app.store.numbering, selected: app.store.selected });
    }, 150);
  }

  /** receive takes the room messages of the session. */
  receive(msg) {
    const session = this.app.session;
    if (msg.type === 'shared' && msg.resume) {
      session.resume = { room: msg.room, resume: msg.resume };
      saveRoom(session.resume);
      this.sendView();
    }
    if (msg.type === 'room' && msg.state === 'ended') {
      session.resume = null;
      saveRoom(null);
    }
    if (msg.type === 'error' && msg.code === 'resume-refused') {
      saveRoom(null);
      this.panel.resuming = false;
      this.panel.ended = 'left';
      this.panel.render();
    }
    this.panel.receive(msg);
  }

  /** share opens the room, or shows the open one again. */
  share() {
    this.panel.root.hidden = false;
    this.app.session.send({ type: 'share' });
    this.panel.root.scrollIntoView?.({ block: 'nearest' });
  }
}

/**
 * viewerID is the ID the server gave this device in room code, kept in
 * localStorage so that a viewer who reconnects (or reloads) is the same
 * viewer, with one vote per question.
 */
function viewerID(code) {
  try {
    return window.localStorage.getItem(`synack.viewer.${code}`) ?? '';
  } catch {
    return '';
  }
}

function keepViewerID(code, id) {
  try {
    window.localStorage.setItem(`synack.viewer.${code}`, id);
  } catch {
    // Storage blocked: a reconnect joins as a new viewer.
  }
}

/** Commands a viewer's page would send for the controls: all ignored. */
const driving = ['load', 'step', 'play', 'pause', 'toggle', 'skipGap', 'back', 'reset', 'call', 'drop'];

/**
 * Follower is the session of a page that follows a room (/?room=CODE): it
 * connects to /ws?room=CODE, shows what the presenter does, and sends
 * nothing but answers. After the room ends it does not reconnect.
 */
export class Follower extends Session {
  /** words go into the page's translator before the follower is made (App). */
  static words = roomWords;

  constructor(store, opts) {
    super(store, opts);
    this.code = (new URLSearchParams(location.search).get('room') ?? '').trim().toUpperCase();
    this.following = this.code;
    this.ended = false;
    this.joined = false;
    this.panel = new RoomPanel(opts.t, { viewer: true, send: (m) => this.send(m), onSheet: () => store.emit('sheet') });
    this.panel.code = this.code;
    this.panel.render();
    document.documentElement.classList.add('following');
    for (const name of driving) this[name] = () => {};
  }

  path() {
    const q = new URLSearchParams({ room: this.code });
    const id = viewerID(this.code);
    if (id) q.set('viewer', id);
    return `/ws?${q}`;
  }

  connect() {
    if (!this.ended) super.connect();
  }

  /** fallBack: a room cannot be replayed from a recording. */
  fallBack() {
    this.setConnection('reconnecting');
  }

  setConnection(state) {
    super.setConnection(this.ended ? 'ended' : state);
  }

  /** setSpeed only changes what the page shows between events. */
  setSpeed(speed) {
    this.store.speed = speed;
  }

  receive(msg) {
    const s = this.store;
    switch (msg.type) {
      case 'room':
        if (msg.state === 'joined') {
          this.joined = true;
          if (msg.viewer) keepViewerID(this.code, msg.viewer);
        }
        if (msg.state === 'ended') {
          this.ended = true;
          s.playing = false;
        }
        this.panel.receive(msg);
        this.setConnection(s.connection);
        return;
      case 'error':
        if (!this.joined) {
          // An unknown room: the server closes the connection next.
          this.ended = true;
          this.panel.fail(errorText(msg, this.t));
          return;
        }
        break;
      case 'loaded':
        s.scenarioId = msg.scenario?.id ?? '';
        s.total = null;
        break;
      case 'view':
        s.emit('view', { numbering: msg.numbering, selected: msg.selected });
        return;
      default:
        if (this.panel.receive(msg)) return;
    }
    super.receive(msg);
  }
}

/**
 * keepBelowControls starts the presenter's side sheet under the page's
 * header and its playback controls, however many rows they take (the
 * language, theme and projector buttons and the notation stay within reach
 * while a room is open).
 */
function keepBelowControls(sheet) {
  const bars = [...document.querySelectorAll('header.top, .toolbar')];
  if (bars.length === 0 || typeof ResizeObserver === 'undefined') return;
  const place = () => {
    const bottom = Math.max(...bars.map((b) => b.getBoundingClientRect().bottom));
    sheet.style.setProperty('--room-sheet-top', `${Math.ceil(bottom) + 8}px`);
  };
  const watch = new ResizeObserver(place);
  for (const b of bars) watch.observe(b);
  addEventListener('scroll', place, { passive: true });
  place();
}
