// The sequence (ladder) diagram: a thin drawing layer over layout.js. It
// keeps in the DOM only the items whose rows are on screen (plus a margin),
// redraws on scroll and on new data at most once per animation frame, and
// animates segments in flight between setTime calls unless the user prefers
// reduced motion.
//
// DOM hooks (CONTRACT.md, "Pages"): each drawn segment is a <g
// data-kind="segment" data-id data-flags data-from …>, each state label a
// <text data-kind="state" data-endpoint data-state>, each phase of the
// connection a <g data-kind="phase" data-phase data-variant>. Only items
// near the viewport exist at any time.
//
// The whole run at a glance: given the run's plan (setPlan, the events the
// page carries), the diagram draws all of it from the start, laid out to
// fit the box when it can, and the events so far (setEvents) walk through
// it: what is still to come is drawn in grey (.is-future, not focusable),
// the latest segment stands out (.is-current). Once the events leave the
// plan (the reader dropped a segment, made a call), the diagram draws the
// events alone, as it does without a plan.
//
// Line styles, for a legend (LEGEND lists them with their catalogue keys):
// .seg solid; .seg--retransmit dashed; .seg--injected dotted; .seg--spoofed
// dash-dot; .seg--lost and .seg--unreachable end half-way with a ✕;
// .seg--in-flight has a faint path to where it is going. Each mark is also
// written next to the label, so that colour and line style are never the
// only carriers. Strings come from the page's catalogue through t(key, vars);
// the keys used are listed in LADDER_KEYS.

import { STATE_GROUPS, arrowHead, flightAt, layout, visibleRange, wrapText } from './layout.js';
import { formatAddr, formatTime } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const ANIM_MAX_MS = 300;
const LAYOUT_SPACING = 4; // relayout at most every LAYOUT_SPACING × its cost
const HIT = 24; // px: the smallest pointer target

// LEGEND names the segment styles a legend can show: draw
// <svg><g class="{className}"><line class="seg-line" …/></g></svg> inside an
// element with class "ladder" and write t(key) beside it.
export const LEGEND = Object.freeze([
  { className: 'seg seg--retransmit', key: 'ladder.tag.retransmit' },
  { className: 'seg seg--injected', key: 'ladder.tag.injected' },
  { className: 'seg seg--spoofed', key: 'ladder.tag.spoofed' },
  { className: 'seg seg--lost', key: 'ladder.tag.lost' },
  { className: 'seg seg--in-flight', key: 'ladder.legend.in_flight' },
]);

// LADDER_KEYS are the catalogue keys the diagram asks t for, besides
// "timer.<name>" and "reason.<key>", which the catalogue already has.
export const LADDER_KEYS = Object.freeze([
  'ladder.label',
  'ladder.endpoint.client',
  'ladder.endpoint.server',
  'ladder.tag.retransmit',
  'ladder.tag.injected',
  'ladder.tag.spoofed',
  'ladder.tag.lost',
  'ladder.tag.unreachable',
  'ladder.legend.in_flight',
  'ladder.segment.aria',
  'ladder.segment.drop_hint',
  'ladder.timer.retransmit',
  'ladder.timer.time-wait',
  'ladder.timer.delayed-ack',
  'ladder.timer.fin-wait-2',
  'ladder.gap',
  'ladder.phase.handshake.three-way',
  'ladder.phase.handshake.simultaneous',
  'ladder.phase.transfer',
  'ladder.phase.teardown.four-way',
  'ladder.phase.teardown.three-way',
  'ladder.phase.teardown.simultaneous',
  'ladder.phase.teardown.reset',
  'ladder.future',
]);

// samePlace reports whether a (an event as it came) is b (the plan's
// event at the same position): the plan keeps only some of the fields.
function samePlace(a, b) {
  return Boolean(a && b) && a.kind === b.kind && a.t_ms === b.t_ms && a.id === b.id && a.to === b.to && a.action === b.action;
}

const f1 = (n) => (Math.round(n * 10) / 10).toString();

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  if (attrs) for (const k in attrs) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
  if (text != null) e.textContent = text;
  return e;
}

function setAttrs(e, attrs) {
  for (const k in attrs) {
    if (attrs[k] == null) e.removeAttribute(k);
    else if (e.getAttribute(k) !== String(attrs[k])) e.setAttribute(k, attrs[k]);
  }
}

function replaceChildren(e, kids) {
  e.replaceChildren(...kids.filter(Boolean));
}


function endpointsKey(eps) {
  if (!eps) return '';
  return ['client', 'server'].map((e) => `${formatAddr(eps[e])}/${eps[e]?.isn}`).join(' ');
}

// hitBox is an invisible target of at least HIT px around a text label
// anchored at (x, y) ('start' or 'end'), w wide.
function hitBox(x, y, anchor, w) {
  const width = Math.max(w + 8, HIT);
  const left = anchor === 'end' ? x - width + 4 : anchor === 'start' ? x - 4 : x - width / 2;
  return el('rect', { class: 'hit', x: f1(left), y: f1(y - HIT / 2), width: f1(width), height: HIT });
}

// lineText is a <text> of one or more lines, x-aligned, the first line's
// baseline at y (middle: the lines centred on y, with dy 0.35em).
function lineText(attrs, lines, lineH, middle) {
  const { x, y } = attrs;
  if (lines.length <= 1) return el('text', attrs, lines[0] ?? '');
  const top = middle ? Number(y) - ((lines.length - 1) * lineH) / 2 : Number(y);
  const t = el('text', { ...attrs, y: f1(top) });
  // A space ends each line but the last, so that the text reads (and is
  // named) as the one string it was.
  lines.forEach((line, i) => t.append(el('tspan', { x, dy: i === 0 ? null : f1(lineH) }, i < lines.length - 1 ? `${line} ` : line)));
  return t;
}

function cross(x, y, r) {
  return `M${f1(x - r)} ${f1(y - r)}L${f1(x + r)} ${f1(y + r)}M${f1(x - r)} ${f1(y + r)}L${f1(x + r)} ${f1(y - r)}`;
}

export class Ladder {
  // root: the element to draw in (the diagram fills it and scrolls inside
  // it; give it a height). t(key, vars) returns a translated string;
  // onSelect(eventIndex) is called when an item is clicked or activated;
  // onDrop(segmentId) when a segment still in flight is.
  constructor(root, { t, onSelect, onDrop } = {}) {
    this.root = root;
    this.tr = typeof t === 'function' ? (k, v) => t(k, v) : (k) => k;
    this.onSelect = typeof onSelect === 'function' ? onSelect : () => {};
    this.onDrop = typeof onDrop === 'function' ? onDrop : () => {};
    this.events = [];
    this.endpoints = null;
    this.plan = null; // {events, endpoints}: the whole run, when known
    this.drawn = null; // the list laid out: the plan or the events
    this.shown = null; // how many of the plan's events have happened
    this.numbering = 'relative';
    this.lay = null;
    this.dirty = true;
    this.urgent = true; // the next layout may not wait (see frame)
    this.explicitNow = null; // the time setTime asked for
    this.shownNow = null; // the time drawn, on its way to explicitNow
    this.anim = null;
    this.lastSetTime = 0;
    this.selected = null;
    this.pendingScroll = null;
    this.follow = true;
    this.moved = false;
    this.nodes = new Map(); // "list:position" → {el, sig}: what is in the DOM
    this.raf = 0;
    this.fontPx = 0;
    this.width = 0;
    this.height = 0;
    this.layoutAt = 0;
    this.layoutCost = 0;
    this.build();
  }

  t(key, vars) {
    const s = this.tr(key, vars);
    return s == null ? key : String(s);
  }

  build() {
    const wrap = document.createElement('div');
    wrap.className = 'ladder';
    const scroller = document.createElement('div');
    scroller.className = 'ladder-scroll';
    const head = document.createElement('div');
    head.className = 'ladder-head';
    const headSvg = el('svg', { class: 'ladder-head-svg', 'aria-hidden': 'true' });
    head.append(headSvg);
    const svg = el('svg', { class: 'ladder-svg', role: 'group' });
    const layer = (name) => {
      const g = el('g', { class: `ladder-${name}` });
      svg.append(g);
      return g;
    };
    this.layers = {
      phases: layer('phases'),
      now: layer('now'),
      lifelines: layer('lifelines'),
      states: layer('states'),
      timers: layer('timers'),
      breaks: layer('breaks'),
      ticks: layer('ticks'),
      calls: layer('calls'),
      notes: layer('notes'),
      segments: layer('segments'),
    };
    this.lifelines = {
      client: el('line', { class: 'lifeline lifeline--client' }),
      server: el('line', { class: 'lifeline lifeline--server' }),
    };
    this.layers.lifelines.append(this.lifelines.client, this.lifelines.server);
    this.layers.ticks.setAttribute('aria-hidden', 'true');
    this.layers.breaks.setAttribute('aria-hidden', 'true');
    this.nowLine = el('line', { class: 'now-line', 'aria-hidden': 'true' });
    scroller.append(head, svg);
    wrap.append(scroller);
    this.root.append(wrap);
    Object.assign(this, { wrap, scroller, head, headSvg, svg });

    this.handlers = {
      scroll: () => {
        this.follow = this.nowInView();
        this.schedule();
      },
      click: (e) => this.activate(e.target),
      keydown: (e) => this.keydown(e),
    };
    scroller.addEventListener('scroll', this.handlers.scroll, { passive: true });
    svg.addEventListener('click', this.handlers.click);
    svg.addEventListener('keydown', this.handlers.keydown);
    if (typeof ResizeObserver === 'function') {
      // frame() compares the width and font size with the last layout's.
      this.resizeObs = new ResizeObserver(() => this.schedule());
      this.resizeObs.observe(scroller);
    }
    // Projector mode changes the type size: a class on <html>.
    if (typeof MutationObserver === 'function') {
      this.classObs = new MutationObserver(() => this.schedule());
      this.classObs.observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
    }
    this.motion = typeof matchMedia === 'function' ? matchMedia('(prefers-reduced-motion: reduce)') : null;
    this.schedule();
  }

  // setEvents takes the whole event list so far (it grows by one on step and
  // shrinks on back) and the trace's endpoints. When the list shrinks, a
  // time given by setTime is forgotten until the next setTime: until then
  // "now" is the time of the last event.
  setEvents(events, endpoints) {
    const list = Array.isArray(events) ? events : [];
    const before = this.events.length;
    if (list.length < before) {
      this.explicitNow = null;
      this.shownNow = null;
      this.anim = null;
    }
    const grew = before > 0 && list.length > before;
    this.moved ||= grew;
    this.events = list;
    if (endpoints) this.endpoints = endpoints;
    // Walking through the plan changes what is grey, not the layout.
    if (this.plan && this.drawn === this.plan.events && this.onPlan()) {
      this.shown = list.length;
      this.schedule();
      return;
    }
    // Only a list growing while it streams may wait for its layout; a new
    // run, a step back or new endpoints show at once.
    if (!grew || (endpoints && endpointsKey(endpoints) !== endpointsKey(this.endpoints))) this.urgent = true;
    this.dirty = true;
    this.schedule();
  }

  // setPlan gives the whole run ({events, endpoints} as a trace has them),
  // or null: then only the events so far are drawn.
  setPlan(plan) {
    const p = plan && Array.isArray(plan.events) ? { events: plan.events, endpoints: plan.endpoints || null } : null;
    if (p === this.plan || (p && this.plan && p.events === this.plan.events)) return;
    this.plan = p;
    this.dirty = true;
    this.urgent = true;
    this.schedule();
  }

  // onPlan reports whether the events so far are the plan's beginning.
  onPlan() {
    const plan = this.plan?.events;
    const evs = this.events;
    if (!plan || evs.length > plan.length) return false;
    const n = evs.length;
    // The first and the last few say it: a run that left the plan differs
    // from then on, and each event is checked as it comes.
    for (let i = Math.max(0, n - 3); i < n; i++) if (!samePlace(evs[i], plan[i])) return false;
    return n === 0 || samePlace(evs[0], plan[0]);
  }

  // setTime moves the diagram's clock (virtual ms). Segments still in
  // flight at that time are drawn up to where they are; between two calls
  // they glide, unless the user prefers reduced motion. Without setTime the
  // clock is the time of the last event, which is right while stepping; when
  // the run is done, call setTime(Infinity) (or its until_ms), so that a
  // segment whose arrival changed nothing (a last ACK) is drawn arrived.
  setTime(virtualMs) {
    const v = Number(virtualMs);
    if (Number.isNaN(v) || v === this.explicitNow) return;
    if (!Number.isFinite(v)) {
      this.shownNow = this.explicitNow = v;
      this.anim = null;
      this.schedule();
      return;
    }
    const now = performance.now();
    const from = this.shownNow ?? this.explicitNow;
    if (this.reducedMotion() || from == null || !Number.isFinite(from) || v < from) {
      this.shownNow = v;
      this.anim = null;
    } else {
      const dur = Math.min(Math.max(now - this.lastSetTime, 16), ANIM_MAX_MS);
      this.anim = { from, to: v, start: now, dur };
    }
    this.explicitNow = v;
    this.lastSetTime = now;
    this.moved = true;
    this.schedule();
  }

  // setNumbering chooses the notation of segment labels (numbers.js):
  // numbering mode and flag style ('names' or 'bits').
  setNumbering(mode, flags = 'names') {
    if (mode === this.numbering && flags === this.flags) return;
    this.numbering = mode;
    this.flags = flags;
    this.dirty = true;
    this.urgent = true;
    this.schedule();
  }

  // select highlights the item drawn for an event (for a timer's cancel or
  // expiry, its bracket; for a drop, the segment) and scrolls it into view.
  // Calling it again with the same index does nothing, so that a page may
  // call it on every frame without pinning the scroll position.
  select(eventIndex) {
    const i = eventIndex == null ? NaN : Number(eventIndex);
    const v = Number.isInteger(i) && i >= 0 ? i : null;
    if (v === this.selected) return;
    this.selected = v;
    this.pendingScroll = v;
    this.schedule();
  }

  destroy() {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.resizeObs?.disconnect();
    this.classObs?.disconnect();
    this.scroller.removeEventListener('scroll', this.handlers.scroll);
    this.svg.removeEventListener('click', this.handlers.click);
    this.svg.removeEventListener('keydown', this.handlers.keydown);
    this.wrap.remove();
    this.nodes.clear();
    this.destroyed = true;
  }

  reducedMotion() {
    return Boolean(this.motion && this.motion.matches);
  }

  schedule() {
    if (this.raf || this.destroyed) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.frame();
    });
  }

  // currentNow is the time drawn: setTime's (animated), else the last event's.
  currentNow() {
    if (this.shownNow != null) return this.shownNow;
    const n = this.events.length;
    return n ? Number(this.events[n - 1].t_ms) || 0 : null;
  }

  // nowInView reports whether the time line is on screen: then the diagram
  // keeps it there as time goes on.
  nowInView() {
    const now = this.currentNow();
    if (!this.lay || !Number.isFinite(now)) return true;
    const y = this.lay.timeToY(now);
    const top = this.scroller.scrollTop;
    return y >= top && y <= top + this.viewHeight();
  }

  headHeight() {
    return this.head.offsetHeight || 0;
  }

  viewHeight() {
    return Math.max(0, this.scroller.clientHeight - this.headHeight());
  }

  frame() {
    if (this.destroyed) return;
    if (this.anim) {
      const p = Math.min(1, (performance.now() - this.anim.start) / this.anim.dur);
      this.shownNow = this.anim.from + (this.anim.to - this.anim.from) * p;
      if (p >= 1) this.anim = null;
    }
    const fontPx = parseFloat(getComputedStyle(this.wrap).fontSize) || 12;
    const width = this.scroller.clientWidth || this.root.clientWidth || 0;
    // The part of the box in the window: a run that fits is seen whole
    // without scrolling the page either.
    const top = Math.max(0, this.scroller.getBoundingClientRect().top);
    const height = Math.round(Math.min(this.scroller.clientHeight || 0, Math.max(0, innerHeight - top)));
    const resized = fontPx !== this.fontPx || width !== this.width || (height !== this.height && this.drawn === this.plan?.events);
    if (this.dirty || resized) {
      // A long run (the engine allows 20,000 events) takes a while to lay
      // out; while events stream in, lay out at most every few times that
      // long, so that scrolling and animation keep most of the frames.
      const wait = this.layoutCost * LAYOUT_SPACING - (performance.now() - this.layoutAt);
      if (!resized && !this.urgent && this.lay && wait > 0) {
        this.schedule();
      } else {
        this.fontPx = fontPx;
        this.width = width;
        this.height = height;
        const t0 = performance.now();
        this.relayout();
        this.urgent = false;
        this.layoutAt = performance.now();
        this.layoutCost = this.layoutAt - t0;
      }
    }
    this.scrollAsNeeded();
    this.render();
    if (this.anim) this.schedule();
  }

  relayout() {
    this.dirty = false;
    const planned = this.plan && this.onPlan();
    this.drawn = planned ? this.plan.events : this.events;
    this.shown = planned ? this.events.length : null;
    // The whole run fits the box when it can; a run drawn as it comes is
    // not squeezed again with every event.
    const lineH = Math.round(1.45 * this.fontPx);
    const L = layout(this.drawn, {
      numbering: this.numbering,
      flags: this.flags,
      endpoints: (planned ? this.plan.endpoints : this.endpoints) || undefined,
      width: this.width,
      fontPx: this.fontPx,
      fitHeight: planned ? this.height - Math.round(2.6 * lineH) - 2 : 0,
    });
    this.lay = L;
    const m = L.metrics;
    setAttrs(this.svg, { width: L.width, height: L.height, viewBox: `0 0 ${L.width} ${L.height}`, 'aria-label': this.t('ladder.label') });
    for (const e of ['client', 'server']) {
      setAttrs(this.lifelines[e], { x1: f1(L.lanes[e]), x2: f1(L.lanes[e]), y1: f1(m.lineH * 0.5), y2: L.height });
    }
    // The sticky header: who each lifeline is.
    const headH = Math.round(2.6 * m.lineH);
    setAttrs(this.headSvg, { width: L.width, height: headH, viewBox: `0 0 ${L.width} ${headH}` });
    const kids = [];
    for (const e of ['client', 'server']) {
      const x = f1(L.lanes[e]);
      kids.push(el('text', { class: `head-name head-name--${e}`, x, y: f1(m.lineH * 1.05), 'text-anchor': 'middle' }, this.t(`ladder.endpoint.${e}`)));
      const addr = formatAddr(this.endpoints?.[e]);
      if (addr) kids.push(el('text', { class: 'head-addr', x, y: f1(m.lineH * 2.1), 'text-anchor': 'middle' }, addr));
    }
    replaceChildren(this.headSvg, kids);
  }

  scrollAsNeeded() {
    const L = this.lay;
    if (!L) return;
    const vh = this.viewHeight();
    if (this.pendingScroll != null) {
      const item = this.itemOf(this.pendingScroll);
      // An event the layout does not have yet (it waits while events
      // stream in): scroll to it once it has.
      if (!item && this.dirty) return;
      this.pendingScroll = null;
      if (item) {
        const top = this.scroller.scrollTop;
        if (item.top < top || item.bottom > top + vh) {
          this.scroller.scrollTop = Math.max(0, Math.min(item.top - L.metrics.lineH * 2, (item.top + item.bottom) / 2 - vh / 3));
        }
        this.follow = this.nowInView();
      }
      this.moved = false;
      return;
    }
    const now = this.currentNow();
    if (this.moved && this.follow && Number.isFinite(now) && vh > 0) {
      const y = L.timeToY(now);
      const top = this.scroller.scrollTop;
      const lh = L.metrics.lineH;
      if (y < top + lh || y > top + vh - lh) this.scroller.scrollTop = Math.max(0, y - vh * 0.6);
    }
    this.moved = false;
  }

  // itemOf is the drawn item of an event: {list, at, top, bottom}.
  itemOf(eventIndex) {
    const row = this.lay?.rows[eventIndex];
    if (!row || !row.list) return null;
    const it = this.lay[row.list][row.at];
    return it ? { list: row.list, at: row.at, top: it.top, bottom: it.bottom } : null;
  }

  render() {
    const L = this.lay;
    if (!L) return;
    const vis = visibleRange(L, this.scroller.scrollTop, this.viewHeight() || 600);
    const now = this.currentNow();
    const sel = this.selected != null ? this.itemOf(this.selected) : null;
    const selKey = sel ? `${sel.list}:${sel.at}` : '';
    this.current = this.currentSegment();
    // Before the first step the whole run is in its colours, as a
    // textbook's figure; from then on, what is still to come is grey.
    this.wrap.classList.toggle('ladder--walking', this.shown != null && this.shown > 0);
    // While no segment takes the focus (none has happened yet), the box
    // itself does, so that it can be scrolled from the keyboard.
    if (this.current < 0 && this.shown != null) this.scroller.setAttribute('tabindex', '0');
    else this.scroller.removeAttribute('tabindex');
    const want = new Set();
    const focused = this.svg.contains(document.activeElement) ? document.activeElement : null;
    for (const list of Object.keys(vis)) {
      for (const i of vis[list]) {
        const key = `${list}:${i}`;
        want.add(key);
        this.draw(list, i, key, now, key === selKey);
      }
    }
    // The focused segment stays even when scrolled away, so that the
    // keyboard does not lose its place.
    for (const [key, n] of this.nodes) {
      if (want.has(key)) continue;
      if (focused && n.el.contains(focused)) {
        const [list, i] = key.split(':');
        if (this.lay[list]?.[Number(i)]) {
          this.draw(list, Number(i), key, now, key === selKey);
          continue;
        }
      }
      n.el.remove();
      this.nodes.delete(key);
    }
    this.drawNow(now);
  }

  drawNow(now) {
    const L = this.lay;
    if (now == null || !Number.isFinite(now) || !this.events.length) {
      this.nowLine.remove();
      return;
    }
    const y = f1(L.timeToY(now));
    setAttrs(this.nowLine, { x1: f1(L.metrics.gutter), x2: f1(L.width), y1: y, y2: y });
    if (!this.nowLine.parentNode) this.layers.now.append(this.nowLine);
  }

  // isFuture reports whether the event at index has not happened yet (it is
  // in the plan only).
  isFuture(index) {
    return this.shown != null && index >= this.shown;
  }

  // currentSegment is the position of the latest segment that happened,
  // or -1.
  currentSegment() {
    const segs = this.lay?.segments ?? [];
    const n = this.shown ?? this.events.length;
    let lo = 0;
    let hi = segs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (segs[mid].index < n) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  draw(list, i, key, now, selected) {
    const item = this.lay[list][i];
    const spec = this[`spec_${list}`](item, now, selected, this.isFuture(item.index), i);
    const n = this.nodes.get(key);
    if (n && n.sig === spec.sig) return;
    let g = n?.el;
    if (!g) {
      g = el('g');
      this.layers[list].append(g);
      this.nodes.set(key, { el: g, sig: '' });
    }
    setAttrs(g, spec.attrs);
    replaceChildren(g, spec.kids());
    this.nodes.get(key).sig = spec.sig;
  }

  spec_segments(s, now, selected, future, at) {
    const L = this.lay;
    const m = L.metrics;
    // What is still to come is drawn whole; it has not left yet.
    const fl = future ? flightAt(L, s, null) : flightAt(L, s, now);
    if (future) fl.droppable = false;
    const cls = ['seg', `seg--from-${s.from}`];
    if (future) cls.push('is-future');
    else if (at === this.current) cls.push('is-current');
    for (const tag of s.tags) cls.push(`seg--${tag}`);
    if (fl.inFlight) cls.push('seg--in-flight');
    if (fl.droppable) cls.push('seg--droppable');
    if (s.crowded) cls.push('seg--crowded');
    if (selected) cls.push('is-selected');
    for (const f of s.flags.split(',')) if (f) cls.push(`seg--${f.toLowerCase()}`);
    const tags = s.tags.map((tag) => this.t(`ladder.tag.${tag}`));
    const aria = [
      this.t('ladder.segment.aria', {
        label: s.label,
        from: this.t(`ladder.endpoint.${s.from}`),
        to: this.t(`ladder.endpoint.${s.to}`),
        time: formatTime(s.t),
      }),
      ...tags,
    ];
    if (fl.droppable) aria.push(this.t('ladder.segment.drop_hint'));
    if (future) aria.push(this.t('ladder.future'));
    const tip = fl.tip;
    const sig = [cls.join(' '), (s.lines ?? [s.label]).join('\n'), s.tagLine, tags.join(), f1(s.x1), f1(s.y1), f1(s.xa), f1(s.ya), f1(tip.x), f1(tip.y), fl.lostShown, f1(s.labelX), f1(s.labelY)].join('|');
    // The hit area covers where the segment is going while it flies, so
    // that it can be caught (and dropped) from the moment it leaves.
    // Its end is the nominal arrival, not the loss, which is not yet known.
    const hitEnd = fl.inFlight ? { x: s.xa, y: s.ya } : { x: s.x2, y: s.y2 };
    return {
      sig,
      attrs: {
        class: cls.join(' '),
        'data-kind': 'segment',
        'data-id': s.id,
        'data-flags': s.flags,
        'data-from': s.from,
        'data-to': s.to,
        'data-index': s.index,
        // A segment still to come cannot be selected or dropped yet.
        tabindex: future ? null : '0',
        role: 'button',
        'aria-disabled': future ? 'true' : null,
        'aria-label': aria.join(', '),
      },
      kids: () => {
        const seg = { x1: f1(s.x1), y1: f1(s.y1) };
        const moving = fl.inFlight && (tip.x !== s.x1 || tip.y !== s.y1);
        const drawn = !fl.inFlight || moving;
        const k = [
          el('line', { class: 'seg-ring', ...seg, x2: f1(hitEnd.x), y2: f1(hitEnd.y) }),
          el('line', { class: 'seg-ring-in', ...seg, x2: f1(hitEnd.x), y2: f1(hitEnd.y) }),
          el('line', { class: 'seg-hit', ...seg, x2: f1(hitEnd.x), y2: f1(hitEnd.y) }),
          fl.inFlight ? el('line', { class: 'seg-ghost', x1: f1(tip.x), y1: f1(tip.y), x2: f1(s.xa), y2: f1(s.ya) }) : null,
          drawn ? el('line', { class: 'seg-line', ...seg, x2: f1(tip.x), y2: f1(tip.y) }) : null,
          drawn && !fl.lostShown ? el('path', { class: 'seg-head', d: arrowHead(s.x1, s.y1, tip.x, tip.y, m.fontPx * 0.8) }) : null,
          fl.lostShown ? el('path', { class: 'seg-x', d: cross(s.lostAt.x, s.lostAt.y, m.fontPx * 0.45) }) : null,
        ];
        const lines = s.lines ?? [s.label];
        const text = lineText({ class: 'seg-label', x: f1(s.labelX), y: f1(s.labelY), 'text-anchor': 'middle' }, lines, m.lineH, false);
        if (tags.length && lines.length > 1 && !s.tagLine) text.lastChild.append(el('tspan', { class: 'seg-tag' }, ` (${tags.join(', ')})`));
        else if (tags.length && s.tagLine) text.append(el('tspan', { class: 'seg-tag', x: f1(s.labelX), dy: f1(m.lineH) }, `(${tags.join(', ')})`));
        else if (tags.length) text.append(el('tspan', { class: 'seg-tag' }, ` (${tags.join(', ')})`));
        k.push(text);
        return k;
      },
    };
  }

  spec_states(s, now, selected, future) {
    const m = this.lay.metrics;
    const group = STATE_GROUPS[s.state] || 'other';
    const cls = `state state--${group} state--of-${s.endpoint}${selected ? ' is-selected' : ''}${future ? ' is-future' : ''}`;
    const sig = [cls, s.state, f1(s.y), f1(s.yEnd), f1(s.labelY), f1(s.labelX), f1(s.x)].join('|');
    return {
      sig,
      attrs: { class: cls, 'data-index': s.index },
      kids: () => [
        hitBox(s.labelX, s.labelY, s.anchor, s.state.length * m.charW),
        group === 'closed' ? null : el('line', { class: 'band', x1: f1(s.x), x2: f1(s.x), y1: f1(s.y), y2: f1(s.yEnd), 'stroke-width': f1(m.bandHalf * 2) }),
        el('line', { class: 'state-tick', x1: f1(s.x - m.bandHalf - 3), x2: f1(s.x + m.bandHalf + 3), y1: f1(s.y), y2: f1(s.y) }),
        lineText({ class: 'state-label', 'data-kind': 'state', 'data-endpoint': s.endpoint, 'data-state': s.state, x: f1(s.labelX), y: f1(s.labelY), dy: '0.35em', 'text-anchor': s.anchor }, s.lines ?? [s.state], m.lineH, true),
      ],
    };
  }

  spec_timers(tm, now, selected, future) {
    const L = this.lay;
    const m = L.metrics;
    // A timer of the plan whose end is still to come is running now.
    const running = tm.pending || (!future && tm.endIndex != null && this.isFuture(tm.endIndex));
    const cls = ['timer', `timer--${tm.timer}`];
    if (future) cls.push('is-future');
    if (tm.fired && !running) cls.push('timer--fired');
    if ((tm.cancelled || tm.replaced) && !running) cls.push('timer--cancelled');
    if (running) cls.push('timer--pending');
    if (selected) cls.push('is-selected');
    const yNow = Number.isFinite(now) ? Math.min(Math.max(L.timeToY(now), tm.y1), tm.y2) : null;
    const label = this.t(`ladder.timer.${tm.timer}`, { duration: tm.label });
    const sig = [cls.join(' '), label, f1(tm.x), f1(tm.y1), f1(tm.y2), tm.labelY == null ? '' : f1(tm.labelY), running && yNow != null ? f1(yNow) : ''].join('|');
    const dir = tm.endpoint === 'server' ? -1 : 1; // toward the lifeline
    const tick = m.timerCol * 0.45;
    const x = tm.x;
    return {
      sig,
      attrs: { class: cls.join(' '), 'data-kind': 'timer', 'data-endpoint': tm.endpoint, 'data-timer': tm.timer, 'data-index': tm.index },
      kids: () => {
        const run = running && yNow != null ? yNow : tm.y2;
        const k = [
          el('title', null, `${this.t(`timer.${tm.timer}`)}: ${tm.label} (${formatTime(tm.t1)} → ${formatTime(tm.t2)})`),
          el('rect', { class: 'timer-hit', x: f1(x - HIT / 2), y: f1(tm.y1), width: HIT, height: f1(Math.max(tm.y2 - tm.y1, HIT)) }),
          tm.labelY == null ? null : hitBox(tm.labelX, tm.labelY, tm.anchor, label.length * m.charW),
          tm.timer === 'time-wait' ? el('line', { class: 'timer-bar', x1: f1(x), x2: f1(x), y1: f1(tm.y1), y2: f1(tm.y2) }) : null,
          el('path', { class: 'timer-bracket', d: `M${f1(x + dir * tick)} ${f1(tm.y1)}H${f1(x)}V${f1(run)}${run === tm.y2 ? `H${f1(x + dir * tick)}` : ''}` }),
          run < tm.y2 ? el('line', { class: 'timer-rest', x1: f1(x), x2: f1(x), y1: f1(run), y2: f1(tm.y2) }) : null,
          tm.fired && !running ? el('circle', { class: 'timer-fire', cx: f1(x), cy: f1(tm.y2), r: f1(m.fontPx * 0.25) }) : null,
          (tm.cancelled || tm.replaced) && !running ? el('path', { class: 'timer-cancel', d: `M${f1(x - tick)} ${f1(tm.y2)}H${f1(x + tick)}` }) : null,
          tm.labelY == null ? null : lineText({ class: 'timer-label', x: f1(tm.labelX), y: f1(tm.labelY), dy: '0.35em', 'text-anchor': tm.anchor }, wrapText(label, m.sideChars), m.lineH, true),
        ];
        return k;
      },
    };
  }

  spec_calls(c, now, selected, future) {
    const m = this.lay.metrics;
    const cls = `call${c.failed ? ' call--failed' : ''}${selected ? ' is-selected' : ''}${future ? ' is-future' : ''}`;
    const sig = [cls, c.text, f1(c.y), c.labelY == null ? '' : f1(c.labelY), f1(c.labelX)].join('|');
    return {
      sig,
      attrs: { class: cls, 'data-kind': 'call', 'data-endpoint': c.endpoint, 'data-call': c.call, 'data-index': c.index },
      kids: () => [
        el('title', null, c.failed && c.error ? `${c.text} ${c.error}` : c.text),
        el('circle', { class: 'hit', cx: f1(c.x), cy: f1(c.y), r: HIT / 2 }),
        c.labelY == null ? null : hitBox(c.labelX, c.labelY, c.anchor, c.text.length * m.charW),
        el('circle', { class: 'call-dot', cx: f1(c.x), cy: f1(c.y), r: f1(m.fontPx * 0.25) }),
        c.labelY == null ? null : lineText({ class: 'call-label', x: f1(c.labelX), y: f1(c.labelY), dy: '0.35em', 'text-anchor': c.anchor }, c.lines ?? [c.text], m.lineH, true),
      ],
    };
  }

  spec_notes(n, now, selected, future) {
    const m = this.lay.metrics;
    const text = this.t(`reason.${n.reason}`);
    const cls = `note${selected ? ' is-selected' : ''}${future ? ' is-future' : ''}`;
    const sig = [cls, text, f1(n.y), n.labelY == null ? '' : f1(n.labelY), f1(n.labelX)].join('|');
    const r = m.fontPx * 0.4;
    return {
      sig,
      attrs: { class: cls, 'data-kind': 'note', 'data-endpoint': n.endpoint, 'data-reason': n.reason, 'data-index': n.index },
      kids: () => [
        el('title', null, text),
        el('circle', { class: 'hit', cx: f1(n.x), cy: f1(n.y), r: HIT / 2 }),
        el('path', { class: 'note-mark', d: `M${f1(n.x)} ${f1(n.y - r)}L${f1(n.x + r)} ${f1(n.y)}L${f1(n.x)} ${f1(n.y + r)}L${f1(n.x - r)} ${f1(n.y)}Z` }),
        n.labelY == null ? null : lineText({ class: 'note-label', x: f1(n.labelX), y: f1(n.labelY), dy: '0.35em', 'text-anchor': n.anchor }, wrapText(text, m.narrow ? n.chars : 0), m.lineH, false),
      ],
    };
  }

  spec_phases(p, now, selected, future) {
    const m = this.lay.metrics;
    const label = this.t(p.key);
    const cls = `phase phase--${p.phase}${future ? ' is-future' : ''}`;
    // The label's width: CJK characters take a whole em, others about 0.6.
    const w = [...label].reduce((n, ch) => n + (ch.codePointAt(0) >= 0x2e80 ? m.fontPx : m.charW), 0);
    const ruleY = p.labelY - 0.3 * m.fontPx;
    const gap = w / 2 + m.charW;
    const sig = [cls, label, f1(p.x1), f1(p.x2), f1(p.y1), f1(p.y2), f1(p.labelY)].join('|');
    return {
      sig,
      attrs: { class: cls, 'data-kind': 'phase', 'data-phase': p.phase, 'data-variant': p.variant, 'data-index': p.index },
      kids: () => [
        el('rect', { class: 'phase-band', x: f1(p.x1), y: f1(p.y1), width: f1(p.x2 - p.x1), height: f1(Math.max(0, p.y2 - p.y1)) }),
        p.labelX - gap > p.x1 + m.charW ? el('line', { class: 'phase-rule', x1: f1(p.x1 + m.charW), x2: f1(p.labelX - gap), y1: f1(ruleY), y2: f1(ruleY) }) : null,
        p.labelX + gap < p.x2 - m.charW ? el('line', { class: 'phase-rule', x1: f1(p.labelX + gap), x2: f1(p.x2 - m.charW), y1: f1(ruleY), y2: f1(ruleY) }) : null,
        el('text', { class: 'phase-label', x: f1(p.labelX), y: f1(p.labelY), 'text-anchor': 'middle' }, label),
      ],
    };
  }

  spec_breaks(b) {
    const L = this.lay;
    const m = L.metrics;
    const label = this.t('ladder.gap', { duration: b.label });
    const ym = (b.y1 + b.y2) / 2;
    const sig = [label, f1(b.y1), f1(b.y2), f1(L.width), b.labelHidden].join('|');
    const reach = m.bandHalf + m.timerCols * m.timerCol + 2;
    return {
      sig,
      attrs: { class: 'gap' },
      kids: () => {
        const k = [];
        for (const e of ['client', 'server']) {
          const x = L.lanes[e];
          // Two parallel slashes across the lifeline, the lifeline and
          // whatever runs beside it erased between them.
          const x0 = f1(x - reach);
          const w = f1(2 * reach);
          k.push(el('path', { class: 'gap-mask', d: `M${x0} ${f1(ym - 1)}l${w} -6v7l-${w} 6Z` }));
          k.push(el('path', { class: 'gap-mark', d: `M${x0} ${f1(ym - 1)}l${w} -6M${x0} ${f1(ym + 6)}l${w} -6` }));
        }
        if (!b.labelHidden) k.push(el('text', { class: 'gap-label', x: f1((L.lanes.client + L.lanes.server) / 2), y: f1(ym), dy: '0.35em', 'text-anchor': 'middle' }, label));
        return k;
      },
    };
  }

  spec_ticks(tk) {
    const m = this.lay.metrics;
    const sig = [tk.label, f1(tk.y)].join('|');
    return {
      sig,
      attrs: { class: 'tick' },
      kids: () => [el('text', { class: 'tick-label', x: f1(m.gutter - m.charW), y: f1(tk.y), dy: '0.35em', 'text-anchor': 'end' }, tk.label)],
    };
  }

  // activate handles a click on, or Enter/Space in, the diagram: select the
  // item, and lose the segment if it is still in flight.
  activate(target) {
    const g = target && target.closest ? target.closest('[data-index]') : null;
    if (!g || !this.svg.contains(g) || g.classList.contains('is-future') || g.dataset.kind === 'phase') return;
    this.onSelect(Number(g.getAttribute('data-index')));
    if (g.getAttribute('data-kind') === 'segment' && g.classList.contains('seg--droppable')) {
      this.onDrop(Number(g.getAttribute('data-id')));
    }
  }

  keydown(e) {
    const g = e.target.closest ? e.target.closest('[data-kind="segment"]') : null;
    if (!g) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.activate(g);
      return;
    }
    const moves = { ArrowDown: 1, ArrowUp: -1, Home: -Infinity, End: Infinity };
    if (!(e.key in moves)) return;
    e.preventDefault();
    const at = this.lay.rows[Number(g.getAttribute('data-index'))]?.at ?? 0;
    // Only the segments that happened take the focus.
    const last = this.shown == null ? this.lay.segments.length - 1 : this.currentSegment();
    const next = Math.min(Math.max(at + moves[e.key], 0), last);
    if (!Number.isFinite(next) || next === at) return;
    this.focusSegment(next);
  }

  // showCurrent scrolls the latest segment that happened into the box's
  // view (after the box shrank: a question sheet over it on a phone).
  showCurrent() {
    const at = this.lay ? this.currentSegment() : -1;
    const s = at >= 0 ? this.lay.segments[at] : null;
    if (!s) return;
    const vh = this.viewHeight();
    const top = this.scroller.scrollTop;
    if (s.top < top || s.bottom > top + vh) this.scroller.scrollTop = Math.max(0, Math.min(s.top - this.lay.metrics.lineH, s.bottom - vh * 0.75));
    this.render();
  }

  // focusSegment scrolls a segment into view, draws it now and focuses it.
  focusSegment(at) {
    const s = this.lay.segments[at];
    const vh = this.viewHeight();
    const top = this.scroller.scrollTop;
    if (s.top < top || s.bottom > top + vh) this.scroller.scrollTop = Math.max(0, s.top - vh / 3);
    this.render();
    this.nodes.get(`segments:${at}`)?.el.focus();
  }
}
