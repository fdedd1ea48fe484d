// Layout of the sequence (ladder) diagram: a pure function from the trace
// events to positions, in pixels, of everything ladder.js draws. No DOM, no
// globals, no clock: the same events and options always give the same
// layout, so a diagram can be tested, replayed and compared.
//
// Vertical axis: virtual time, through a piecewise-linear map built from the
// "key times" of the run (every event's time, every segment's arrival,
// the due time of a timer still running). Between two consecutive key times
// t0 < t1 the map is linear, and the interval is given
//
//   h = max(minRow, (t1 - t0) * pxPerMs)              when that is ≤ gapMin,
//   h = gapBase + gapStep * log2((t1 - t0) * pxPerMs / gapMin)   otherwise.
//
// The second case is a compressed gap (compressGaps, on by default): a quiet
// stretch such as 60 s of TIME-WAIT takes a few lines instead of metres,
// grows only with the logarithm of its length (so RTO 1 s, 2 s, 4 s still
// look longer and longer), and is listed in `breaks` so that the drawing
// marks it with a break symbol and its real length. minRow keeps events a
// millisecond apart (a SYN flood) one text line apart. When one endpoint
// sends several segments at the very same time, that time gets extra
// sub-rows (minRow each) so that the arrows do not lie on top of each other.
// Before the first and after the last key time the map continues linearly.
// timeToY is strictly increasing; yToTime is its inverse (and is constant
// over the sub-rows of one time).

import { formatDuration, formatTime } from './format.js';
import { NUMBERINGS, Notation, segmentLabels } from './numbers.js';
import { phaseKey, phases as phasesOf } from './phases.js';

// The numbering modes and the labels are numbers.js's notation, which the
// event list and the panels share.
export { NUMBERINGS, segmentLabels };

// The lists of drawable items, in the order visibleRange reports them.
export const ITEM_LISTS = Object.freeze(['segments', 'states', 'timers', 'calls', 'notes', 'breaks', 'ticks', 'phases']);

// The marks a segment can carry besides its numbers (its `tags`). ladder.js
// shows each as a line style plus a translated word; the lengths here (in
// characters) are the room layout keeps for that word next to the label.
const TAG_CHARS = { retransmit: 14, injected: 8, spoofed: 22, lost: 7, unreachable: 22 };
// The longest a timer's label is in any language ("FIN-WAIT-2 timeout
// 60 s"), in cells, and a compressed gap's ("59.99 s later"): the room
// layout keeps for the words the page writes there.
const TIMER_CHARS = { retransmit: 11, 'time-wait': 14, 'delayed-ack': 18, 'fin-wait-2': 24, persist: 16, 'loss-probe': 19 };
const GAP_CHARS = 16;
const GAP_COST = 90; // of a label over a gap's length: less than crossing an arrow

const DEFAULT_DELAY_MS = 10;
const DEFAULT_WIDTH = 960;
const INDEX_CELL = 512; // px of one bucket of the visibility index
const LABEL_FRACTIONS = [0.5, 0.33, 0.67, 0.2, 0.8, 0.12, 0.88];
const NOTE_CHARS = 30;
const MIN_LOST_FRACTION = 0.1;
// The narrow layout (see fitWidth): characters of a side column, and the
// fewest between the lifelines.
const NARROW_SIDE_CHARS = 11;
const NARROW_INNER_CHARS = 16;
const NARROW_STRETCH = 1.6;
// Fitting a run to a height: the smallest vertical scale, the steps of the
// search for the largest that fits, and the longest run worth the search.
const FIT_MIN_SCALE = 0.2;
const FIT_STEPS = 6;
const FIT_STEP_DOWN = 0.05;
const FIT_MAX_EVENTS = 600;

// metrics derives every size from the font size, so that projector mode
// (bigger type) scales the whole diagram.
function metrics(opts, vScale = 1) {
  const fontPx = opts.fontPx > 0 ? opts.fontPx : 12;
  const u = fontPx / 12;
  const v = vScale;
  const charW = 0.6 * fontPx; // a monospace digit; the diagram text is monospace
  const lineH = Math.round(1.45 * fontPx);
  const m = {
    fontPx,
    charW,
    lineH,
    pxPerMs: (opts.pxPerMs > 0 ? opts.pxPerMs : 3 * u) * v, // 10 ms of flight: a 30 px slant
    minRow: Math.round(Math.max(1.5 * v, 1.1) * fontPx),
    gapMin: 10 * fontPx * v,
    gapBase: Math.max(3.5 * v, 1.25) * fontPx,
    gapStep: fontPx * v,
    phaseGap: 1.6 * lineH,
    padTop: 2.5 * lineH,
    padBottom: 2 * lineH,
    bandHalf: 4 * u,
    timerCol: 9 * u,
    timerCols: 3,
    textGap: 6 * u,
    gutter: 9 * charW,
    outerText: 18 * charW,
    minInner: 36 * charW,
  };
  return m;
}

// fitWidth shares the width out. In order of need: the space between the
// lifelines (room for a label; one with absolute numbers and tags may reach
// over the side columns when the width is tight), the side columns at
// 12 characters ("SYN-RECEIVED"), the time gutter, then side columns up to
// 18 characters; whatever is left widens the middle.
//
// Narrower than that (a phone held upright), the layout is the narrow one,
// designed for it rather than shrunk: no time gutter, one timer column a
// side, side columns of NARROW_SIDE_CHARS in which longer names wrap
// ("SYN-" over "RECEIVED"), and segment labels that wrap onto lines of
// their own above or below the arrow, so that both lifelines and every
// word stay on screen at a readable size. Below even its minimum the layout
// is wider than asked and the page scrolls sideways.
function fitWidth(m, asked) {
  let fixed = m.bandHalf + m.timerCols * m.timerCol + m.textGap;
  let minText = 12 * m.charW;
  let need = m.minInner + 2 * (fixed + minText) + m.charW;
  m.narrow = false;
  if (asked < need) {
    const u = m.fontPx / 12;
    m.narrow = true;
    m.timerCols = 1;
    m.textGap = 3 * u;
    m.gutter = 0;
    m.minInner = NARROW_INNER_CHARS * m.charW;
    fixed = m.bandHalf + m.timerCol + m.textGap;
    minText = NARROW_SIDE_CHARS * m.charW;
    need = m.minInner + 2 * (fixed + minText) + m.charW;
    m.outerText = minText;
    m.side = fixed + minText;
    m.sideChars = NARROW_SIDE_CHARS;
    return Math.max(Math.round(asked), Math.ceil(need));
  }
  let gutter = m.gutter;
  if (asked < need + gutter) gutter = 0;
  const extra = Math.max(0, asked - need - gutter);
  m.gutter = gutter;
  m.outerText = minText + Math.min(m.outerText - minText, extra / 2);
  m.side = fixed + m.outerText;
  m.sideChars = Math.floor(m.outerText / m.charW);
  return Math.max(Math.round(asked), Math.ceil(need + gutter));
}

// innerCharsOf is how many characters fit between the lifelines.
function innerCharsOf(clientX, serverX, m) {
  return Math.floor((serverX - clientX - 2 * (m.bandHalf + m.charW)) / m.charW);
}

// textWidth is how many monospace cells text takes: a CJK character two.
export function textWidth(text) {
  let n = 0;
  for (const ch of String(text)) n += ch.codePointAt(0) >= 0x2e80 ? 2 : 1;
  return n;
}

// wrapText breaks text into lines of at most max cells: at spaces, else
// after a hyphen or a comma, else anywhere. One line when it fits.
export function wrapText(text, max) {
  const str = String(text);
  if (!(max > 0) || textWidth(str) <= max) return [str];
  const lines = [];
  let line = '';
  const push = () => {
    if (line) lines.push(line);
    line = '';
  };
  // A number keeps its unit ("60 s").
  const words = [];
  for (const w of str.split(' ')) {
    if (words.length && /^(ms|s|min|h)$/.test(w) && /\d$/.test(words[words.length - 1])) words[words.length - 1] += ` ${w}`;
    else words.push(w);
  }
  for (const word of words) {
    const joined = line ? `${line} ${word}` : word;
    if (textWidth(joined) <= max) {
      line = joined;
      continue;
    }
    push();
    let rest = word;
    while (textWidth(rest) > max) {
      let cut = -1;
      let w = 0;
      const chars = [...rest];
      for (let i = 0; i < chars.length; i++) {
        w += textWidth(chars[i]);
        if (w > max) break;
        if (chars[i] === '-' || chars[i] === ',' || chars[i] === '(') cut = i + 1;
      }
      if (cut <= 0) {
        cut = 0;
        let cw = 0;
        while (cut < chars.length && cw + textWidth(chars[cut]) <= max) cw += textWidth(chars[cut++]);
        cut = Math.max(1, cut);
      }
      lines.push(chars.slice(0, cut).join(''));
      rest = chars.slice(cut).join('');
    }
    line = rest;
  }
  push();
  return lines;
}

const num = (v, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
const otherSide = (e) => (e === 'server' ? 'client' : 'server');
const side = (e) => (e === 'server' ? 'server' : 'client');

// formatSegmentLabel writes one segment alone, numbered from endpoints'
// ISNs (numbers.js Notation; a whole run is segmentLabels').
export function formatSegmentLabel(ev, notation, endpoints) {
  return new Notation(notation, endpoints).label(ev);
}

// callText writes a socket call as code: "connect()", "send("hello")",
// "receive() → EOF", "close() ✕" when it failed.
function callText(ev) {
  const name = ev.call || '?';
  const result = ev.result || 'ok';
  if (ev.error || result.startsWith('error')) return `${name}() ✕`;
  if (result === 'eof') return `${name}() → EOF`;
  if (ev.data) {
    const d = [...ev.data];
    return `${name}("${d.length > 8 ? d.slice(0, 8).join('') + '…' : ev.data}")`;
  }
  return `${name}()`;
}

// oneWayDelay is the flight time most delivered segments took: where a lost
// segment would have arrived (pace.js paces flights by it too).
export function oneWayDelay(events) {
  const count = new Map();
  for (const ev of events) {
    if (ev && ev.kind === 'segment' && Number.isFinite(ev.arrive_ms)) {
      const d = ev.arrive_ms - num(ev.t_ms);
      if (d > 0) count.set(d, (count.get(d) || 0) + 1);
    }
  }
  let best = DEFAULT_DELAY_MS;
  let n = 0;
  for (const [d, c] of count) if (c > n || (c === n && d < best)) [best, n] = [d, c];
  return best;
}

// TimeMap is the piecewise-linear time → y map described at the top.
function buildTimeMap(slots, m, compress, headers) {
  const times = [...slots.keys()].sort((a, b) => a - b);
  if (times.length === 0) times.push(0);
  const T = [];
  const Y = [];
  const E = []; // y after the sub-rows of T[i]
  const breaks = [];
  for (let i = 0; i < times.length; i++) {
    let y = m.padTop;
    if (i > 0) {
      const dt = times[i] - times[i - 1];
      const lin = dt * m.pxPerMs;
      let h;
      if (compress && lin > m.gapMin) {
        h = m.gapBase + m.gapStep * Math.log2(lin / m.gapMin);
        breaks.push({ t1: times[i - 1], t2: times[i], y1: E[i - 1], y2: E[i - 1] + h, dt, label: formatDuration(dt) });
      } else {
        h = Math.max(lin, m.minRow);
      }
      // Room for the name of a phase that starts here (see phases.js).
      y = E[i - 1] + h + (headers.has(times[i]) ? m.phaseGap : 0);
    }
    T.push(times[i]);
    Y.push(y);
    E.push(y + (slots.get(times[i]) || 0) * m.minRow);
  }
  const last = T.length - 1;
  // floor finds the last i with T[i] <= t (or -1).
  const floor = (t) => {
    let lo = 0;
    let hi = T.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (T[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  };
  const timeToY = (t) => {
    const v = Number(t);
    if (!Number.isFinite(v)) return NaN;
    const i = floor(v);
    if (i < 0) return Y[0] - (T[0] - v) * m.pxPerMs;
    if (v === T[i]) return Y[i];
    if (i === last) return E[i] + (v - T[i]) * m.pxPerMs;
    return E[i] + ((v - T[i]) / (T[i + 1] - T[i])) * (Y[i + 1] - E[i]);
  };
  const rowY = (t, slot) => timeToY(t) + (slot || 0) * m.minRow;
  const yToTime = (y) => {
    const v = Number(y);
    if (!Number.isFinite(v)) return NaN;
    if (v < Y[0]) return T[0] - (Y[0] - v) / m.pxPerMs;
    let lo = 0;
    let hi = T.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (Y[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    const i = lo - 1;
    if (v <= E[i]) return T[i];
    if (i === last) return T[i] + (v - E[i]) / m.pxPerMs;
    return T[i] + ((v - E[i]) / (Y[i + 1] - E[i])) * (T[i + 1] - T[i]);
  };
  return { T, Y, E, breaks, timeToY, yToTime, rowY, end: E[last] };
}

// Intervals is a set of disjoint vertical ranges taken by labels of one
// side column.
class Intervals {
  constructor() {
    this.a = [];
  }
  at(top) {
    const a = this.a;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid][1] <= top) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  free(top, bottom) {
    const i = this.at(top);
    return i === this.a.length || this.a[i][0] >= bottom;
  }
  add(top, bottom) {
    this.a.splice(this.at(top), 0, [top, bottom]);
  }
}

// Grid holds label boxes [x1, y1, x2, y2], bucketed by y, for collision tests.
class Grid {
  constructor(cell) {
    this.cell = cell;
    this.rows = new Map();
    this.stamp = 0;
  }
  hits(b) {
    for (let r = Math.floor(b[1] / this.cell); r <= Math.floor(b[3] / this.cell); r++) {
      for (const o of this.rows.get(r) || []) {
        if (b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3]) return true;
      }
    }
    return false;
  }
  add(b) {
    for (let r = Math.floor(b[1] / this.cell); r <= Math.floor(b[3] / this.cell); r++) {
      if (!this.rows.has(r)) this.rows.set(r, []);
      this.rows.get(r).push(b);
    }
  }
}

// crossings counts the arrows (other than own) that pass through box.
function crossings(lines, box, own) {
  const [bx1, by1, bx2, by2] = box;
  const stamp = ++lines.stamp; // marks the lines seen by this call
  let n = 0;
  for (let r = Math.floor(by1 / lines.cell); r <= Math.floor(by2 / lines.cell); r++) {
    for (const l of lines.rows.get(r) || []) {
      const s = l[4];
      if (s === own || l[5] === stamp) continue;
      l[5] = stamp;
      const lo = Math.max(bx1, l[0]);
      const hi = Math.min(bx2, l[2]);
      if (lo > hi) continue;
      const k = s.x2 === s.x1 ? 0 : (s.y2 - s.y1) / (s.x2 - s.x1);
      const ya = s.y1 + (lo - s.x1) * k;
      const yb = s.y1 + (hi - s.x1) * k;
      if (Math.max(ya, yb) >= by1 && Math.min(ya, yb) <= by2) n++;
    }
  }
  return n;
}

// nearerArrow reports whether, at x, another arrow from the same side
// passes at least as close to a label centred at y as own (at ownY) does:
// then the label could be read as that arrow's. (Labels take their sender's
// colour, which tells the two sides' arrows apart.)
function nearerArrow(lines, x, y, ownY, own) {
  const d = Math.abs(y - ownY);
  for (let r = Math.floor((y - d) / lines.cell); r <= Math.floor((y + d) / lines.cell); r++) {
    for (const l of lines.rows.get(r) || []) {
      const s = l[4];
      if (s === own || s.from !== own.from || x < l[0] || x > l[2]) continue;
      const k = s.x2 === s.x1 ? 0 : (s.y2 - s.y1) / (s.x2 - s.x1);
      if (Math.abs(y - (s.y1 + (x - s.x1) * k)) <= d) return true;
    }
  }
  return false;
}

// placeColumn gives each side-column label (state names, calls, timers) a
// y near the one it wants, without overlapping another: items is
// [{want, steps, lo, hi, put(y|null)}], placed in order.
function placeColumn(items, m) {
  const taken = new Intervals();
  for (const it of items) {
    const half = ((it.lines || 1) * m.lineH) / 2;
    let placed = null;
    for (const k of it.steps) {
      const y = it.want + k * m.lineH;
      if (y < it.lo || y > it.hi) continue;
      if (taken.free(y - half, y + half)) {
        placed = y;
        break;
      }
    }
    if (placed !== null) taken.add(placed - half, placed + half);
    it.put(placed);
  }
}

const STATE_STEPS = [0, 0.5, 1, 1.5, 2, -0.5, -1];
const CALL_STEPS = [-1, -1.5, -2, 1, 1.5, 2, -2.5, 2.5];
const TIMER_STEPS = [0, 0.5, -0.5, 1, -1, 1.5, -1.5, 2, -2, 2.5, -2.5, 3, -3];

// layout computes the diagram of events. opts:
//   numbering   'absolute' | 'relative' | 'symbolic' (default 'relative')
//   flags       'names' ("FIN, ACK", the default) | 'bits' ("FIN=1, ACK=1")
//   endpoints   {client: {isn, addr, port}, server: {…}} as the trace gives them
//   pxPerMs     pixels per virtual millisecond outside compressed gaps
//   width       the width to fill (the layout may be wider: it never squeezes
//               the space between the lifelines below what a label needs)
//   compressGaps  compress long quiet stretches (default true)
//   fontPx      the font size the diagram is drawn with (default 12)
//   fitHeight   the height to fit in, when the run can: the vertical
//               distances (flight times, gaps, rows) shrink, down to
//               FIT_MIN_SCALE of their size, and never so far that a
//               segment's label has no place of its own; a run that does
//               not fit keeps its natural size (and the page scrolls)
//   phases      mark the phases of the connection (default true)
// The result is plain data (JSON-serialisable) plus two non-enumerable
// functions, timeToY and yToTime. Its vScale says how far the vertical
// distances were shrunk to fit (1: not at all).
export function layout(events, opts = {}) {
  const o = opts || {};
  const natural = layoutAt(events, o, 1);
  const fit = Number(o.fitHeight);
  if (!(fit > 0) || natural.height <= fit || natural.rows.length > FIT_MAX_EVENTS) return natural;
  const crowded = (L) => L.segments.reduce((n, s) => n + (s.crowded ? 1 : 0), 0);
  const limit = crowded(natural);
  const good = (L) => crowded(L) <= limit;
  // The least squeezing that fits: the largest scale whose height fits,
  // then, where labels would lose their own places there, the next ones
  // down that keep them.
  if (layoutAt(events, o, FIT_MIN_SCALE).height > fit) return natural;
  let lo = FIT_MIN_SCALE;
  let hi = 1;
  for (let k = 0; k < FIT_STEPS; k++) {
    const mid = (lo + hi) / 2;
    if (layoutAt(events, o, mid).height <= fit) lo = mid;
    else hi = mid;
  }
  for (let v = lo; v >= FIT_MIN_SCALE - 1e-9; v -= FIT_STEP_DOWN) {
    const L = layoutAt(events, o, v);
    if (L.height <= fit && good(L)) return L;
  }
  return natural;
}

// layoutAt is the layout with the vertical distances scaled by vScale.
function layoutAt(events, o, vScale) {
  const evs = Array.isArray(events) ? events : [];
  const m = metrics(o, vScale);
  const notation = new Notation({ numbering: o.numbering, flags: o.flags }, o.endpoints);
  const compress = o.compressGaps !== false;
  const eps = o.endpoints || {};

  // Horizontal geometry: time gutter, client column, the space between the
  // lifelines, server column.
  const width = fitWidth(m, o.width > 0 ? o.width : DEFAULT_WIDTH);
  // Labels of two lines need taller flights between the arrows.
  if (m.narrow) m.pxPerMs *= NARROW_STRETCH;
  const clientX = m.gutter + m.side;
  const serverX = width - m.side - m.charW;
  const lanes = { client: clientX, server: serverX };
  const laneX = (e) => lanes[side(e)];
  const outward = (e) => (side(e) === 'server' ? 1 : -1);

  // Pass 1: key times, sub-rows, segment numbering, pairing of timers and
  // drops with what they act on.
  const delay = oneWayDelay(evs);
  const slots = new Map(); // time → extra sub-rows it needs
  const key = (t, slot = 0) => {
    if (!Number.isFinite(t)) return;
    if ((slots.get(t) ?? -1) < slot) slots.set(t, slot);
  };
  const sentAt = new Map(); // "from time" → segments sent so far
  const segRaw = []; // {ev, index, slot, label}
  const segAt = new Map(); // segment id → position in segRaw
  const dropOf = new Map(); // segment id → {index, t}
  const timerRaw = [];
  const openTimer = new Map();
  const rowsRaw = [];
  for (let index = 0; index < evs.length; index++) {
    const ev = evs[index] || {};
    const t = num(ev.t_ms);
    key(t);
    const row = { index, kind: String(ev.kind ?? ''), t, list: null, at: -1 };
    rowsRaw.push(row);
    switch (ev.kind) {
      case 'segment': {
        const sk = `${side(ev.from)} ${t}`;
        const slot = sentAt.get(sk) || 0;
        sentAt.set(sk, slot + 1);
        key(t, slot);
        const arrive = ev.fate === 'dropped' || !Number.isFinite(ev.arrive_ms) ? t + delay : ev.arrive_ms;
        key(arrive, slot);
        row.list = 'segments';
        row.at = segRaw.length;
        if (!segAt.has(ev.id)) segAt.set(ev.id, segRaw.length);
        segRaw.push({ ev, index, slot, arrive, label: notation.label(ev) });
        break;
      }
      case 'drop':
        if (!dropOf.has(ev.cause_segment)) dropOf.set(ev.cause_segment, { index, t });
        if (segAt.has(ev.cause_segment)) {
          row.list = 'segments';
          row.at = segAt.get(ev.cause_segment);
        }
        break;
      case 'timer': {
        const tk = `${side(ev.endpoint)} ${ev.timer}`;
        const open = openTimer.get(tk);
        if (ev.action === 'set') {
          if (open) {
            Object.assign(open, { end: t, endIndex: index, replaced: true });
          }
          const tm = { pos: timerRaw.length, index, endpoint: side(ev.endpoint), timer: String(ev.timer ?? ''), t, due: num(ev.due_ms, t), end: null, endIndex: null, fired: false, cancelled: false, replaced: false };
          openTimer.set(tk, tm);
          row.list = 'timers';
          row.at = timerRaw.length;
          timerRaw.push(tm);
        } else if (open && (ev.action === 'cancel' || ev.action === 'fire')) {
          Object.assign(open, { end: t, endIndex: index, fired: ev.action === 'fire', cancelled: ev.action === 'cancel' });
          openTimer.delete(tk);
          row.list = 'timers';
          row.at = open.pos;
        }
        break;
      }
      default:
        break;
    }
  }
  // A timer still running does not stretch the axis to when it is due
  // (a paused run would otherwise end in a long empty stretch): its bracket
  // reaches a little past the last event, open-ended.

  const phaseList = o.phases === false ? [] : phasesOf(evs);
  const headers = new Set(phaseList.map((p) => num(evs[p.first].t_ms)));
  const map = buildTimeMap(slots, m, compress, headers);
  const { timeToY, yToTime, rowY } = map;
  const contentEnd = map.end;

  // Segments.
  const segments = segRaw.map(({ ev, index, slot, arrive, label }) => {
    const from = side(ev.from);
    const to = ev.to ? side(ev.to) : otherSide(from);
    const t = num(ev.t_ms);
    const x1 = laneX(from);
    const y1 = rowY(t, slot);
    const xa = laneX(to);
    const ya = rowY(arrive, slot);
    const unreachable = ev.drop_reason === 'unreachable';
    const fateLost = ev.fate === 'dropped';
    const drop = dropOf.get(ev.id);
    let lostAt = null;
    let lostT = null;
    if (fateLost) {
      lostAt = { x: (x1 + xa) / 2, y: (y1 + ya) / 2 };
      lostT = yToTime(lostAt.y);
    } else if (drop) {
      lostT = Math.min(Math.max(drop.t, t), arrive);
      // At least a tenth of the way: a segment dropped the moment it left
      // (stepping stops there) keeps its ✕ clear of the lifeline.
      const y = Math.min(Math.max(timeToY(lostT), y1), ya);
      const f = Math.max(MIN_LOST_FRACTION, ya === y1 ? 0.5 : (y - y1) / (ya - y1));
      lostAt = { x: x1 + f * (xa - x1), y: y1 + f * (ya - y1) };
    }
    const lost = lostAt !== null;
    const tags = [];
    if (ev.retransmit) tags.push('retransmit');
    if (ev.injected) tags.push('injected');
    if (ev.spoofed) tags.push('spoofed');
    if (unreachable) tags.push('unreachable');
    else if (lost) tags.push('lost');
    return {
      index,
      id: ev.id,
      from,
      to,
      flags: Array.isArray(ev.flags) ? ev.flags.join(',') : '',
      label,
      tags,
      x1,
      y1,
      x2: lost ? lostAt.x : xa,
      y2: lost ? lostAt.y : ya,
      xa,
      ya,
      lost,
      lostAt,
      lostT,
      dropIndex: drop ? drop.index : null,
      droppable: !fateLost && !drop && Number.isFinite(ev.arrive_ms),
      retransmit: Boolean(ev.retransmit),
      injected: Boolean(ev.injected),
      spoofed: Boolean(ev.spoofed),
      unreachable,
      t,
      arriveT: Number.isFinite(ev.arrive_ms) ? ev.arrive_ms : null,
      endT: lost ? lostT : arrive,
      slot,
      labelX: 0,
      labelY: 0,
      crowded: false,
      top: 0,
      bottom: 0,
    };
  });

  // States: one band per change, until the endpoint's next change.
  const states = [];
  const lastState = { client: -1, server: -1 };
  const calls = [];
  const notes = [];
  for (const row of rowsRaw) {
    const ev = evs[row.index] || {};
    if (ev.kind === 'state') {
      const e = side(ev.endpoint);
      const y = timeToY(row.t);
      if (lastState[e] >= 0) states[lastState[e]].yEnd = y;
      lastState[e] = states.length;
      row.list = 'states';
      row.at = states.length;
      states.push({ index: row.index, endpoint: e, state: String(ev.to ?? ''), from: String(ev.from ?? ''), t: row.t, y, yEnd: contentEnd, x: lanes[e], labelX: 0, labelY: y, anchor: '', top: 0, bottom: 0 });
    } else if (ev.kind === 'call') {
      const e = side(ev.endpoint);
      row.list = 'calls';
      row.at = calls.length;
      const failed = Boolean(ev.error) || String(ev.result ?? '').startsWith('error');
      calls.push({ index: row.index, endpoint: e, call: String(ev.call ?? ''), result: String(ev.result ?? ''), error: String(ev.error ?? ''), failed, text: callText(ev), t: row.t, y: timeToY(row.t), x: lanes[e], labelX: 0, labelY: null, anchor: '', top: 0, bottom: 0 });
    } else if (ev.kind === 'note') {
      const e = side(ev.endpoint);
      row.list = 'notes';
      row.at = notes.length;
      notes.push({ index: row.index, endpoint: e, reason: String(ev.reason ?? ''), causeSegment: ev.cause_segment ?? null, t: row.t, y: timeToY(row.t), x: lanes[e], labelX: 0, labelY: null, anchor: '', top: 0, bottom: 0 });
    }
  }

  // Timers: brackets beside the lifeline, in columns so that timers running
  // at once stand side by side.
  const colEnd = { client: [], server: [] };
  const timers = timerRaw.map((tm) => {
    const y1 = timeToY(tm.t);
    const pending = tm.end === null;
    const y2 = pending ? Math.max(y1 + m.lineH, Math.min(timeToY(tm.due), contentEnd + m.lineH)) : timeToY(tm.end);
    const ends = colEnd[tm.endpoint];
    let col = ends.findIndex((yEnd) => yEnd <= y1);
    if (col < 0) col = ends.length;
    ends[col] = y2;
    const c = Math.min(col, m.timerCols - 1);
    const x = lanes[tm.endpoint] + outward(tm.endpoint) * (m.bandHalf + (c + 0.5) * m.timerCol);
    return {
      index: tm.index,
      endIndex: tm.endIndex,
      endpoint: tm.endpoint,
      timer: tm.timer,
      t1: tm.t,
      t2: pending ? tm.due : tm.end,
      due: tm.due,
      duration: tm.due - tm.t,
      y1,
      y2,
      fired: tm.fired,
      cancelled: tm.cancelled,
      replaced: tm.replaced,
      pending,
      label: formatDuration(tm.due - tm.t),
      col,
      x,
      labelX: 0,
      labelY: null,
      anchor: '',
      top: 0,
      bottom: 0,
    };
  });

  // Side columns: state names pinned at their change, calls just above,
  // timer labels beside their bracket.
  const textX = (e) => lanes[e] + outward(e) * (m.bandHalf + m.timerCols * m.timerCol + m.textGap);
  const anchorOf = (e) => (side(e) === 'server' ? 'start' : 'end');
  for (const e of ['client', 'server']) {
    const items = [];
    // A name longer than the column wraps (the narrow layout's only).
    for (const s of states) {
      if (s.endpoint !== e) continue;
      s.labelX = textX(e);
      s.anchor = anchorOf(e);
      s.lines = wrapText(s.state, m.sideChars);
      items.push({ want: s.y, steps: STATE_STEPS, lo: -Infinity, hi: Infinity, lines: s.lines.length, put: (y) => (s.labelY = y ?? s.y) });
    }
    for (const c of calls) {
      if (c.endpoint !== e) continue;
      c.labelX = textX(e);
      c.anchor = anchorOf(e);
      c.lines = wrapText(c.text, m.sideChars);
      items.push({ want: c.y, steps: CALL_STEPS, lo: c.y - 2.5 * m.lineH, hi: c.y + 2.5 * m.lineH, lines: c.lines.length, put: (y) => (c.labelY = y) });
    }
    for (const tm of timers) {
      if (tm.endpoint !== e) continue;
      tm.labelX = textX(e);
      tm.anchor = anchorOf(e);
      // Beside its bracket or nowhere: a label far from what it names
      // misleads more than a missing one (the bracket keeps a tooltip).
      const tall = tm.y2 - tm.y1 >= 2 * m.lineH;
      const want = tall ? (tm.y1 + tm.y2) / 2 : tm.y1 + m.lineH / 2;
      const lo = tall ? tm.y1 + m.lineH / 2 : tm.y1 - m.lineH / 2;
      const hi = tall ? tm.y2 - m.lineH / 2 : tm.y2 + m.lineH / 2;
      // Its words are the page's (ladder.js): in the narrow layout they
      // may take two lines.
      items.push({ want, steps: TIMER_STEPS, lo, hi, lines: (TIMER_CHARS[tm.timer] ?? 20) > m.sideChars ? 2 : 1, put: (y) => (tm.labelY = y) });
    }
    placeColumn(items, m);
  }

  // Labels between the lifelines: segment labels and note texts. A label
  // may not overlap another; among the places left it takes the one that
  // crosses the fewest other arrows and has no other arrow nearer to it than
  // its own, the middle of its own arrow first.
  const grid = new Grid(4 * m.lineH);
  const lines = new Grid(4 * m.lineH);

  // Phases: a name above the first segment of each, between the
  // lifelines (in the room buildTimeMap left for it), and a band to the
  // end of its last segment. The name's box is taken before the segments'
  // labels look for places.
  const segOf = new Map(segments.map((s) => [s.index, s]));
  const phases = phaseList.map((p) => {
    const segs = p.segments.map((i) => segOf.get(i)).filter(Boolean);
    const top = Math.min(...segs.map((s) => s.y1));
    const end = Math.max(...segs.map((s) => Math.max(s.y1, s.y2, s.ya)));
    const labelY = top - 0.55 * m.lineH;
    const key = phaseKey(p);
    const item = { phase: p.phase, variant: p.variant, key, index: p.first, last: p.last, x1: clientX, x2: serverX, y1: top - m.phaseGap * 0.9, y2: end, labelX: (clientX + serverX) / 2, labelY, top: 0, bottom: 0 };
    item.top = item.y1;
    item.bottom = item.y2;
    return item;
  });
  for (const p of phases) grid.add([p.x1, p.labelY - 0.8 * m.fontPx, p.x2, p.labelY + 0.3 * m.fontPx]);
  // The real lengths written in compressed gaps are avoided too, but not at
  // any price: where a run is squeezed to fit, a label may lie over one.
  const gaps = new Grid(4 * m.lineH);
  const gapX = (clientX + serverX) / 2;
  for (const b of map.breaks) {
    const ym = (b.y1 + b.y2) / 2;
    const half = (Math.min(GAP_CHARS, innerCharsOf(clientX, serverX, m)) * m.charW) / 2;
    gaps.add([gapX - half, ym - 0.6 * m.fontPx, gapX + half, ym + 0.6 * m.fontPx]);
  }
  for (const s of segments) lines.add([Math.min(s.x1, s.x2), Math.min(s.y1, s.y2), Math.max(s.x1, s.x2), Math.max(s.y1, s.y2), s]);
  const innerLo = clientX + m.bandHalf + m.charW;
  const innerHi = serverX - m.bandHalf - m.charW;
  const innerChars = Math.floor((innerHi - innerLo) / m.charW);
  for (const s of segments) {
    // One line; in the narrow layout, as many as the label needs, the tags
    // on a line of their own when they do not fit on its last.
    const tagChars = s.tags.reduce((n, tag) => n + TAG_CHARS[tag] + 2, 0);
    s.lines = m.narrow ? wrapText(s.label, innerChars) : [s.label];
    const lastChars = textWidth(s.lines[s.lines.length - 1]);
    s.tagLine = m.narrow && tagChars > 0 && lastChars + tagChars > innerChars;
    const chars = Math.max(...s.lines.map(textWidth), s.tagLine ? tagChars : 0, m.narrow && !s.tagLine ? lastChars + tagChars : 0) + (m.narrow ? 0 : tagChars);
    const w = chars * m.charW;
    const extra = (s.lines.length - 1 + (s.tagLine ? 1 : 0)) * m.lineH; // the lines after the first
    const dx = s.x2 - s.x1;
    const dy = s.y2 - s.y1;
    const k = dx === 0 ? 0 : dy / dx;
    let best = null;
    let order = 0;
    for (const below of [false, true]) {
      for (const f of LABEL_FRACTIONS) {
        let cx = s.x1 + f * dx;
        if (w < innerHi - innerLo) cx = Math.min(Math.max(cx, innerLo + w / 2), innerHi - w / 2);
        // Clear of the arrow where the label is over it; a label wider than
        // the arrow only needs to clear the arrow's own extent.
        const ly = s.y1 + (cx - s.x1) * k;
        const xa = Math.max(cx - w / 2, Math.min(s.x1, s.x2));
        const xb = Math.min(cx + w / 2, Math.max(s.x1, s.x2));
        const ya = xa <= xb ? s.y1 + (xa - s.x1) * k : ly;
        const yb = xa <= xb ? s.y1 + (xb - s.x1) * k : ly;
        const base = below ? Math.max(ya, yb) + 3 + 0.8 * m.fontPx : Math.min(ya, yb) - 4;
        const box = below ? [cx - w / 2, base - 0.8 * m.fontPx, cx + w / 2, base + 0.25 * m.fontPx + extra] : [cx - w / 2, base - 0.8 * m.fontPx - extra, cx + w / 2, base + 0.25 * m.fontPx];
        order++;
        // Too far from its arrow, a label reads as someone else's.
        if (Math.abs(base - ly) > 1.5 * m.lineH + 0.8 * m.fontPx + Math.abs(yb - ya) / 2) continue;
        if (grid.hits(box)) continue;
        let cost = crossings(lines, box, s) * 100 + order + (gaps.hits(box) ? GAP_COST : 0);
        if (best && cost >= best.cost) continue;
        if (nearerArrow(lines, cx, (box[1] + box[3]) / 2, ly, s)) cost += 100;
        if (!best || cost < best.cost) best = { cx, base: below ? base : base - extra, box, cost };
        if (cost < 100) break;
      }
      if (best && best.cost < 100) break;
    }
    // Over two or more other arrows (a flood's fan) the text would be a
    // smudge: the label is drawn only on hover, focus or selection.
    // On a phone there is no hover: the label stays, over the arrows (its
    // halo keeps it readable), as long as it is clear of every other text.
    if (best && best.cost >= 200 && !m.narrow) best = null;
    // On a phone, where every place next to the arrow is taken, the label
    // stacks a line or more further above or below it rather than hide.
    for (let step = 1; !best && m.narrow && step <= 4; step++) {
      for (const below of [false, true]) {
        for (const f of LABEL_FRACTIONS) {
          let cx = s.x1 + f * dx;
          if (w < innerHi - innerLo) cx = Math.min(Math.max(cx, innerLo + w / 2), innerHi - w / 2);
          const ly = s.y1 + (cx - s.x1) * k;
          const reach = Math.abs(k) * w / 2 + step * m.lineH;
          const base = below ? ly + 3 + 0.8 * m.fontPx + reach : ly - 4 - reach;
          const box = below ? [cx - w / 2, base - 0.8 * m.fontPx, cx + w / 2, base + 0.25 * m.fontPx + extra] : [cx - w / 2, base - 0.8 * m.fontPx - extra, cx + w / 2, base + 0.25 * m.fontPx];
          if (grid.hits(box)) continue;
          best = { cx, base: below ? base : base - extra, box };
          break;
        }
        if (best) break;
      }
    }
    if (!best) {
      const cx = s.x1 + 0.5 * dx;
      const base = s.y1 + 0.5 * dy - (Math.abs(k) * w) / 2 - 4;
      best = { cx, base: base - extra, box: [cx - w / 2, base - 0.8 * m.fontPx - extra, cx + w / 2, base + 0.25 * m.fontPx] };
      s.crowded = true;
    } else {
      grid.add(best.box);
    }
    s.labelX = best.cx;
    s.labelY = best.base;
    s.labelBox = best.box;
    s.top = Math.min(s.y1, s.ya, best.box[1]);
    s.bottom = Math.max(s.y1, s.ya, best.box[3]);
  }
  for (const n of notes) {
    const dir = -outward(n.endpoint);
    const x = lanes[n.endpoint] + dir * (m.bandHalf + 2 * m.charW);
    const w = Math.min(NOTE_CHARS, innerChars - 2) * m.charW;
    n.chars = Math.floor(w / m.charW);
    n.labelX = x;
    n.anchor = dir > 0 ? 'start' : 'end';
    for (const k of [0.6, 1.5, -0.6]) {
      const y = n.y + k * m.lineH;
      const box = dir > 0 ? [x, y - m.lineH / 2, x + w, y + m.lineH / 2] : [x - w, y - m.lineH / 2, x, y + m.lineH / 2];
      if (!grid.hits(box) && crossings(lines, box, null) < 2) {
        grid.add(box);
        n.labelY = y;
        break;
      }
    }
  }

  // Time gutter: the time of each key time, where there is room.
  const ticks = [];
  let lastTick = -Infinity;
  for (let i = 0; m.gutter > 0 && i < map.T.length; i++) {
    if (map.Y[i] - lastTick < m.lineH) continue;
    lastTick = map.Y[i];
    ticks.push({ t: map.T[i], y: map.Y[i], label: formatTime(map.T[i]), top: 0, bottom: 0 });
  }

  // Vertical extents, for the visibility index.
  const lh = m.lineH;
  for (const s of states) {
    const half = (s.lines.length * lh) / 2;
    s.top = Math.min(s.y, s.labelY - half);
    s.bottom = Math.max(s.yEnd, s.labelY + half);
  }
  for (const tm of timers) {
    const ly = tm.labelY ?? tm.y1;
    tm.top = Math.min(tm.y1, ly - lh / 2);
    tm.bottom = Math.max(tm.y2, ly + lh / 2);
  }
  for (const c of calls) {
    const ly = c.labelY ?? c.y;
    c.top = Math.min(c.y, ly) - (c.lines.length * lh) / 2;
    c.bottom = Math.max(c.y, ly) + (c.lines.length * lh) / 2;
  }
  for (const n of notes) {
    const ly = n.labelY ?? n.y;
    n.top = Math.min(n.y, ly) - lh / 2;
    n.bottom = Math.max(n.y, ly) + lh / 2;
  }
  // A gap's length gives way to a segment's label that had to lie over it
  // (the break's marks stay, and the time gutter says the times).
  const breaks = map.breaks.map((b) => {
    const ym = (b.y1 + b.y2) / 2;
    const half = (Math.min(GAP_CHARS, innerCharsOf(clientX, serverX, m)) * m.charW) / 2;
    const box = [gapX - half, ym - 0.6 * m.fontPx, gapX + half, ym + 0.6 * m.fontPx];
    const covered = segments.some((s) => !s.crowded && s.labelBox && s.labelBox[0] < box[2] && box[0] < s.labelBox[2] && s.labelBox[1] < box[3] && box[1] < s.labelBox[3]);
    return { ...b, labelHidden: covered, top: b.y1, bottom: b.y2 };
  });
  for (const tk of ticks) {
    tk.top = tk.y - lh / 2;
    tk.bottom = tk.y + lh / 2;
  }

  const lists = { segments, states, timers, calls, notes, breaks, ticks, phases };
  let maxBottom = contentEnd;
  for (const name of ITEM_LISTS) for (const it of lists[name]) if (it.bottom > maxBottom) maxBottom = it.bottom;
  const height = Math.ceil(maxBottom + m.padBottom);

  const rows = rowsRaw.map((r) => ({ index: r.index, kind: r.kind, t: r.t, y: timeToY(r.t), list: r.list, at: r.at }));

  const out = {
    width,
    height,
    numbering: notation.numbering,
    lanes,
    metrics: m,
    delayMs: delay,
    rows,
    segments,
    states,
    timers,
    calls,
    notes,
    breaks,
    ticks,
    phases,
    vScale,
    index: buildIndex(lists, height),
  };
  Object.defineProperty(out, 'timeToY', { value: timeToY });
  Object.defineProperty(out, 'yToTime', { value: yToTime });
  return out;
}

// buildIndex buckets every item by the INDEX_CELL-high slices of the
// diagram it touches, so that visibleRange finds what is on screen without
// looking at the rest. An item is coded as position * 8 + list number.
function buildIndex(lists, height) {
  const buckets = Array.from({ length: Math.max(1, Math.ceil(height / INDEX_CELL)) }, () => []);
  ITEM_LISTS.forEach((name, li) => {
    lists[name].forEach((it, i) => {
      const a = Math.max(0, Math.floor(it.top / INDEX_CELL));
      const b = Math.min(buckets.length - 1, Math.floor(it.bottom / INDEX_CELL));
      for (let k = a; k <= b; k++) buckets[k].push(i * 8 + li);
    });
  });
  return { cell: INDEX_CELL, buckets };
}

// visibleRange lists, per item list, the positions of the items whose
// vertical extent meets [scrollTop - margin, scrollTop + viewportHeight +
// margin], in ascending order. The work and the answer are bounded by what
// is on screen, not by the length of the run.
export function visibleRange(lay, scrollTop, viewportHeight, margin) {
  const vh = Math.max(0, num(viewportHeight));
  const mg = margin ?? Math.max(200, vh / 2);
  const top = num(scrollTop) - mg;
  const bottom = num(scrollTop) + vh + mg;
  const out = {};
  for (const name of ITEM_LISTS) out[name] = [];
  const { cell, buckets } = lay.index;
  const a = Math.max(0, Math.floor(top / cell));
  const b = Math.min(buckets.length - 1, Math.floor(bottom / cell));
  const seen = new Set();
  for (let k = a; k <= b; k++) {
    for (const code of buckets[k]) {
      if (seen.has(code)) continue;
      seen.add(code);
      const name = ITEM_LISTS[code % 8];
      const i = Math.floor(code / 8);
      const it = lay[name][i];
      if (it.bottom >= top && it.top <= bottom) out[name].push(i);
    }
  }
  for (const name of ITEM_LISTS) out[name].sort((x, y) => x - y);
  return out;
}

// flightAt says where a segment is at virtual time now: the tip of the
// arrow, whether it is still on the wire, and whether the user may still
// drop it (only a segment in flight that the network was going to deliver).
// now null or undefined means "the end of the run".
export function flightAt(lay, seg, now) {
  const end = { x: seg.x2, y: seg.y2 };
  if (now == null || !(now < seg.endT)) {
    return { tip: end, inFlight: false, droppable: false, progress: 1, lostShown: seg.lost };
  }
  if (now <= seg.t) {
    return { tip: { x: seg.x1, y: seg.y1 }, inFlight: true, droppable: seg.droppable, progress: 0, lostShown: false };
  }
  const y = Math.min(Math.max(lay.timeToY(now) + seg.slot * lay.metrics.minRow, seg.y1), seg.ya);
  const f = seg.ya === seg.y1 ? (now - seg.t) / (seg.endT - seg.t) : (y - seg.y1) / (seg.ya - seg.y1);
  return {
    tip: { x: seg.x1 + f * (seg.xa - seg.x1), y: seg.y1 + f * (seg.ya - seg.y1) },
    inFlight: true,
    droppable: seg.droppable,
    progress: f,
    lostShown: false,
  };
}

/** STATE_GROUPS sorts the RFC states into the bands a diagram draws along a
 * lifeline: opening, established, closing, TIME-WAIT. */
export const STATE_GROUPS = {
  CLOSED: 'closed',
  LISTEN: 'listen',
  'SYN-SENT': 'opening',
  'SYN-RECEIVED': 'opening',
  ESTABLISHED: 'established',
  'FIN-WAIT-1': 'closing',
  'FIN-WAIT-2': 'closing',
  'CLOSE-WAIT': 'closing',
  CLOSING: 'closing',
  'LAST-ACK': 'closing',
  'TIME-WAIT': 'time-wait',
};

const tenth = (n) => (Math.round(n * 10) / 10).toString();

/** arrowHead is the SVG path of a triangle with its point at (x, y),
 * pointing from (fx, fy): the diagram and its export draw the same. */
export function arrowHead(fx, fy, x, y, size) {
  const dx = x - fx;
  const dy = y - fy;
  const len = Math.hypot(dx, dy) || 1;
  const ux = dx / len;
  const uy = dy / len;
  const bx = x - ux * size;
  const by = y - uy * size;
  const w = size * 0.45;
  return `M${tenth(x)} ${tenth(y)}L${tenth(bx - uy * w)} ${tenth(by + ux * w)}L${tenth(bx + uy * w)} ${tenth(by - ux * w)}Z`;
}
