// The TCP state machine of RFC 9293 section 3.3.2 (Figure 5), drawn once per
// endpoint, laid out as the RFC draws it: CLOSED at the top and again at the
// bottom right, the opening states above ESTABLISHED, the closing ones below.
// The endpoint's current state has a bold, thick outline and the transition
// that led to it a thick line with a large arrowhead, so neither depends on
// colour; the caption under each diagram says the same in words.

const svgNS = 'http://www.w3.org/2000/svg';
const W = 140;
const H = 30;

/** Box centres. CLOSED2 is the figure's second CLOSED box, bottom right. */
const boxes = {
  CLOSED: [230, 22],
  LISTEN: [230, 84],
  'SYN-RECEIVED': [72, 152],
  'SYN-SENT': [388, 152],
  ESTABLISHED: [230, 220],
  'FIN-WAIT-1': [72, 288],
  'CLOSE-WAIT': [388, 288],
  'FIN-WAIT-2': [72, 350],
  CLOSING: [230, 350],
  'LAST-ACK': [388, 350],
  'TIME-WAIT': [230, 412],
  CLOSED2: [388, 412],
};

/** The figure's transitions, as polylines from box edge to box edge. */
const edges = [
  ['CLOSED', 'LISTEN', [[220, 37], [220, 69]]],
  ['LISTEN', 'CLOSED', [[240, 69], [240, 37]]],
  ['CLOSED', 'SYN-SENT', [[300, 28], [410, 28], [410, 137]]],
  ['SYN-SENT', 'CLOSED', [[440, 137], [440, 16], [300, 16]]],
  ['LISTEN', 'SYN-SENT', [[300, 84], [370, 84], [370, 137]]],
  ['LISTEN', 'SYN-RECEIVED', [[160, 90], [100, 90], [100, 137]]],
  ['SYN-RECEIVED', 'LISTEN', [[40, 137], [40, 78], [160, 78]]],
  ['SYN-SENT', 'SYN-RECEIVED', [[318, 152], [142, 152]]],
  ['SYN-RECEIVED', 'ESTABLISHED', [[100, 167], [100, 214], [160, 214]]],
  ['SYN-SENT', 'ESTABLISHED', [[370, 167], [370, 214], [300, 214]]],
  ['SYN-RECEIVED', 'FIN-WAIT-1', [[30, 167], [30, 273]]],
  ['ESTABLISHED', 'FIN-WAIT-1', [[160, 226], [80, 226], [80, 273]]],
  ['ESTABLISHED', 'CLOSE-WAIT', [[300, 226], [380, 226], [380, 273]]],
  ['FIN-WAIT-1', 'FIN-WAIT-2', [[72, 303], [72, 335]]],
  ['FIN-WAIT-1', 'CLOSING', [[142, 288], [230, 288], [230, 335]]],
  ['CLOSE-WAIT', 'LAST-ACK', [[388, 303], [388, 335]]],
  ['FIN-WAIT-2', 'TIME-WAIT', [[72, 365], [72, 412], [160, 412]]],
  ['CLOSING', 'TIME-WAIT', [[230, 365], [230, 397]]],
  ['LAST-ACK', 'CLOSED2', [[388, 365], [388, 397]]],
  ['TIME-WAIT', 'CLOSED2', [[300, 412], [318, 412]]],
];

/** boxOf is the box a state is drawn in: CLOSED is the top box, except
 * when a connection has ended, which the figure draws bottom right. */
function boxOf(state, from) {
  if (state !== 'CLOSED') return state;
  return from && from !== 'LISTEN' && from !== 'SYN-SENT' && from !== 'CLOSED' ? 'CLOSED2' : 'CLOSED';
}

function el(name, attrs = {}) {
  const e = document.createElementNS(svgNS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/** clip is where the segment from a box's centre towards (x, y) leaves it. */
function clip([cx, cy], [x, y]) {
  const dx = x - cx;
  const dy = y - cy;
  const s = Math.min(dx ? W / 2 / Math.abs(dx) : Infinity, dy ? H / 2 / Math.abs(dy) : Infinity);
  return [cx + dx * s, cy + dy * s];
}

/** lastTransition is endpoint's last state event at or before index. */
export function lastTransition(events, index, endpoint) {
  for (let i = index; i >= 0; i--) {
    const ev = events[i];
    if (ev.kind === 'state' && ev.endpoint === endpoint) return ev;
  }
  return null;
}

class Diagram {
  constructor(endpoint, t) {
    this.endpoint = endpoint;
    this.t = t;
    this.figure = document.createElement('figure');
    this.figure.className = `state-diagram ${endpoint}`;
    const svg = el('svg', { viewBox: '0 0 460 434', 'aria-hidden': 'true', focusable: 'false' });
    const defs = el('defs');
    for (const [id, size] of [['a', 6], ['hot', 11]]) {
      const m = el('marker', {
        id: `sd-${endpoint}-${id}`, viewBox: '0 0 10 10', refX: '9', refY: '5',
        markerWidth: size, markerHeight: size, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse',
      });
      m.append(el('path', { d: 'M0,0 L10,5 L0,10 z', class: `marker-${id}` }));
      defs.append(m);
    }
    svg.append(defs);
    this.edges = new Map();
    for (const [from, to, pts] of edges) {
      const line = el('polyline', {
        points: pts.map((p) => p.join(',')).join(' '), class: 'edge',
        'marker-end': `url(#sd-${endpoint}-a)`,
      });
      svg.append(line);
      this.edges.set(`${from}>${to}`, line);
    }
    this.extra = el('line', { class: 'edge extra hot', 'marker-end': `url(#sd-${endpoint}-hot)` });
    this.extra.style.display = 'none';
    svg.append(this.extra);
    this.boxes = new Map();
    for (const [name, [x, y]] of Object.entries(boxes)) {
      const g = el('g', { class: 'state', 'data-state': name === 'CLOSED2' ? 'CLOSED' : name });
      g.append(el('rect', { x: x - W / 2, y: y - H / 2, width: W, height: H, rx: 4 }));
      const text = el('text', { x, y: y + 1, 'text-anchor': 'middle', 'dominant-baseline': 'middle' });
      text.textContent = name === 'CLOSED2' ? 'CLOSED' : name;
      g.append(text);
      svg.append(g);
      this.boxes.set(name, g);
    }
    this.caption = document.createElement('figcaption');
    this.figure.append(svg, this.caption);
  }

  render(events, index) {
    const { t, endpoint } = this;
    const ev = lastTransition(events, index, endpoint);
    const state = ev ? ev.to : 'CLOSED';
    const current = boxOf(state, ev?.from);
    for (const [name, g] of this.boxes) {
      g.classList.toggle('current', name === current);
      g.classList.toggle('previous', !!ev && name === boxOf(ev.from));
    }
    for (const line of this.edges.values()) {
      line.classList.remove('hot');
      line.setAttribute('marker-end', `url(#sd-${endpoint}-a)`);
    }
    this.extra.style.display = 'none';
    const who = t(`ep.${endpoint}`);
    let caption = t('sd.state', { endpoint: who, state });
    if (ev) {
      const from = boxOf(ev.from);
      const edge = this.edges.get(`${from}>${current}`);
      const label = t('sd.transition', { from: ev.from, to: ev.to });
      if (edge) {
        edge.classList.add('hot');
        edge.setAttribute('marker-end', `url(#sd-${endpoint}-hot)`);
        // Draw the highlighted edge last, above the others.
        edge.parentNode.insertBefore(edge, this.extra);
        const key = `trans.${ev.from}>${ev.to}`;
        caption += ' ' + t('sd.last', { transition: label, rule: t(key) });
      } else {
        const a = clip(boxes[from], boxes[current]);
        const b = clip(boxes[current], boxes[from]);
        Object.entries({ x1: a[0], y1: a[1], x2: b[0], y2: b[1] }).forEach(([k, v]) => this.extra.setAttribute(k, v));
        this.extra.style.display = '';
        caption += ' ' + t('sd.last_extra', { transition: label });
      }
    }
    this.caption.textContent = caption;
  }
}

export class StateDiagrams {
  constructor(root, { t }) {
    this.root = root;
    this.t = t;
    this.build();
  }

  build() {
    this.diagrams = ['client', 'server'].map((ep) => new Diagram(ep, this.t));
    this.root.replaceChildren(...this.diagrams.map((d) => d.figure));
  }

  render(store) {
    for (const d of this.diagrams) d.render(store.events, store.selected);
  }
}
