// The event list: every event delivered so far, as text, in an ordered list
// whose items are buttons that select the event. It is the diagram's text
// alternative. Long runs have thousands of events, so only the rows in view
// are in the document; each keeps its place in the whole list
// (aria-posinset, aria-setsize, and the list's start number).
//
// Keys inside the list: ↑/↓ previous/next event, Home/End first/last,
// PageUp/PageDown ten at a time. One button is in the tab order: the
// selected event's.

import { describe, timeText } from '../describe.js';

const overscan = 8;

export class EventList {
  constructor(root, { t, onSelect }) {
    this.root = root;
    this.t = t;
    this.onSelect = onSelect;
    this.rowHeight = 0;
    this.lastSelected = -2;
    this.view = null;
    this.store = null;
    this.build();
  }

  build() {
    const { t } = this;
    this.count = document.createElement('p');
    this.count.className = 'ev-count';
    this.scroller = document.createElement('div');
    this.scroller.className = 'ev-scroll';
    this.spacer = document.createElement('div');
    this.spacer.className = 'ev-spacer';
    this.list = document.createElement('ol');
    this.list.className = 'ev-list';
    this.list.setAttribute('aria-label', t('panel.events'));
    this.spacer.append(this.list);
    // A hidden row of the same make, to measure the row height before any
    // real row exists (and after the type size changed).
    this.probe = document.createElement('ol');
    this.probe.className = 'ev-list ev-probe';
    this.probe.setAttribute('aria-hidden', 'true');
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.className = 'ev';
    b.tabIndex = -1;
    b.textContent = '0';
    li.append(b);
    this.probe.append(li);
    this.scroller.append(this.spacer, this.probe);
    this.root.replaceChildren(this.count, this.scroller);
    this.scroller.addEventListener('scroll', () => this.draw());
    this.list.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-index]');
      if (b) this.onSelect(+b.dataset.index);
    });
    this.list.addEventListener('keydown', (e) => this.key(e));
    const resized = new ResizeObserver(() => {
      this.rowHeight = 0;
      this.redraw = true;
      if (this.store?.selected >= 0) this.reveal(this.store.selected);
      this.draw();
    });
    resized.observe(this.scroller);
    resized.observe(this.probe);
  }

  // The rows are the events shown (view.shown: their indices, when timer
  // bookkeeping is hidden), else every event. A row's position and its
  // event's index then differ: size() and at() count rows, posOf() finds
  // the row of an event (or of the last shown before it).
  size() {
    return this.rows ? this.rows.length : (this.store?.events.length ?? 0);
  }

  at(pos) {
    return this.rows ? this.rows[pos] : pos;
  }

  posOf(index) {
    if (!this.rows) return index;
    let lo = 0;
    let hi = this.rows.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.rows[mid] <= index) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  key(e) {
    const s = this.store;
    if (!s || !e.target.closest('button[data-index]')) return;
    const i = this.posOf(+e.target.dataset.index);
    const last = this.size() - 1;
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / (this.rowHeight || 32)) - 1);
    const moves = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: last, PageDown: i + page, PageUp: i - page };
    if (!(e.key in moves)) return;
    e.preventDefault();
    e.stopPropagation();
    const to = this.at(Math.max(0, Math.min(last, moves[e.key])));
    this.onSelect(to);
    this.focusAfterDraw = to;
  }

  /** focus puts the keyboard focus on the selected event. */
  focus() {
    const s = this.store;
    if (!s || s.latest < 0) {
      this.scroller.focus();
      return;
    }
    this.focusAfterDraw = s.selected >= 0 ? s.selected : s.latest;
    if (this.rows) this.focusAfterDraw = this.at(Math.max(0, this.posOf(this.focusAfterDraw)));
    this.reveal(this.focusAfterDraw);
    this.draw();
  }

  render(store, view) {
    this.store = store;
    this.view = view;
    this.rows = view?.shown ?? null;
    const n = this.size();
    this.count.textContent = this.t('events.count', { n });
    // The spacer's height first: revealing the last row needs room to scroll.
    this.spacer.style.height = `${n * this.measure()}px`;
    if (store.selected !== this.lastSelected) {
      this.lastSelected = store.selected;
      if (store.selected >= 0) this.reveal(store.selected);
    }
    this.redraw = true;
    this.draw();
  }

  /** invalidate redraws every row, e.g. after the numbering changed. */
  invalidate() {
    this.redraw = true;
    this.drawn = null;
  }

  measure() {
    if (!this.rowHeight) this.rowHeight = this.probe.firstElementChild.getBoundingClientRect().height;
    return this.rowHeight || 32;
  }

  reveal(index) {
    const h = this.measure();
    const top = Math.max(0, this.posOf(index)) * h;
    const view = this.scroller.clientHeight;
    if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (top + h > this.scroller.scrollTop + view) this.scroller.scrollTop = top + h - view;
  }

  draw() {
    const s = this.store;
    if (!s) return;
    const n = this.size();
    const h = this.measure();
    this.spacer.style.height = `${n * h}px`;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / h) - overscan);
    const last = Math.min(n, Math.ceil((this.scroller.scrollTop + this.scroller.clientHeight) / h) + overscan);
    const key = `${first}:${last}:${s.selected}:${n}`;
    if (!this.redraw && key === this.drawn) return this.afterDraw();
    this.redraw = false;
    this.drawn = key;
    this.list.start = first + 1;
    this.list.style.top = `${first * h}px`;
    const tabIndex = this.at(Math.max(0, this.posOf(s.selected >= 0 ? s.selected : s.latest)));
    const items = [];
    for (let p = first; p < last; p++) items.push(this.row(s.events[this.at(p)], this.at(p), p, n, tabIndex));
    this.list.replaceChildren(...items);
    this.afterDraw();
  }

  afterDraw() {
    if (this.focusAfterDraw === undefined) return;
    const b = this.list.querySelector(`button[data-index="${this.focusAfterDraw}"]`);
    this.focusAfterDraw = undefined;
    b?.focus({ preventScroll: false });
  }

  row(ev, i, pos, n, tabIndex) {
    const { t } = this;
    const li = document.createElement('li');
    li.setAttribute('aria-posinset', pos + 1);
    li.setAttribute('aria-setsize', n);
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.index = i;
    b.className = `ev ev-${ev.kind}`;
    if (ev.kind === 'segment' && ev.fate === 'dropped') b.classList.add('lost');
    b.tabIndex = i === tabIndex ? 0 : -1;
    if (i === this.store.selected) b.setAttribute('aria-current', 'true');
    const d = describe(ev, this.view);
    const time = timeText(t, ev.t_ms);
    const num = document.createElement('span');
    num.className = 'n';
    num.textContent = i + 1;
    num.setAttribute('aria-hidden', 'true');
    const tm = document.createElement('span');
    tm.className = 't';
    tm.textContent = time;
    const text = document.createElement('span');
    text.className = 'd';
    text.textContent = d.text;
    // The button's name is its text (time and event, spaced apart; the
    // row number is aria-posinset): a name of other words would break
    // WCAG 2.5.3 (label in name) for readers who speak to their computer.
    // The live region says the event in words (d.spoken).
    b.append(num, ' ', tm, ' ', text);
    b.title = d.text;
    li.append(b);
    return li;
  }
}
