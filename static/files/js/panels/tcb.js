// Both endpoints' control blocks (RFC 9293 section 3.3.1) as they are after
// the selected event: each endpoint's most recent snapshot at or before it.
// A value that the event changed is marked, in words for screen readers and
// with a bold weight and a marker for the eye.

import { formatDuration } from '../format.js';
import { seqWriter, peer } from '../numbers.js';

const endpoints = ['client', 'server'];

/** rows: the variable, how to format it, and (for sequence numbers) whose
 * sequence space it is in: the endpoint's own ("self") or its peer's. */
const rows = [
  { key: 'state', name: 'State' },
  { key: 'snd_una', name: 'SND.UNA', space: 'self' },
  { key: 'snd_nxt', name: 'SND.NXT', space: 'self' },
  { key: 'snd_wnd', name: 'SND.WND' },
  { key: 'rcv_nxt', name: 'RCV.NXT', space: 'peer' },
  { key: 'rcv_wnd', name: 'RCV.WND' },
  { key: 'iss', name: 'ISS', space: 'self' },
  { key: 'irs', name: 'IRS', space: 'peer' },
  { key: 'rto_ms', name: 'RTO' },
];

/** owner is whose control block an event carries. */
function owner(ev) {
  return ev.kind === 'segment' ? (ev.injected ? null : ev.from) : ev.endpoint;
}

/** snapshots finds, for each endpoint, its latest control block at or before
 * index and the one before that (to mark what changed). */
export function snapshots(events, index) {
  const out = { client: { now: null, before: null, at: -1 }, server: { now: null, before: null, at: -1 } };
  let missing = 4;
  for (let i = index; i >= 0 && missing > 0; i--) {
    const ev = events[i];
    const who = ev.tcb && owner(ev);
    if (!who || !out[who]) continue;
    const s = out[who];
    if (!s.now) {
      s.now = ev.tcb;
      s.at = i;
      missing--;
    } else if (!s.before) {
      s.before = ev.tcb;
      missing--;
    }
  }
  return out;
}

export class TCBPanel {
  constructor(root, { t }) {
    this.root = root;
    this.t = t;
    this.build();
  }

  build() {
    const { t } = this;
    this.root.replaceChildren();
    const table = document.createElement('table');
    table.className = 'tcb';
    const caption = table.createCaption();
    caption.className = 'visually-hidden';
    caption.textContent = t('tcb.caption');
    const head = table.createTHead().insertRow();
    const corner = document.createElement('th');
    corner.scope = 'col';
    corner.textContent = t('tcb.variable');
    head.append(corner);
    for (const ep of endpoints) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.className = ep;
      th.textContent = t(`ep.${ep}`);
      head.append(th);
    }
    const body = table.createTBody();
    this.cells = {};
    for (const row of rows) {
      const tr = body.insertRow();
      const th = document.createElement('th');
      th.scope = 'row';
      const abbr = document.createElement('abbr');
      abbr.title = t(`tcb.${row.key}`);
      abbr.textContent = row.key === 'state' ? t('tcb.state_name') : row.name;
      th.append(abbr);
      tr.append(th);
      this.cells[row.key] = {};
      for (const ep of endpoints) {
        const td = tr.insertCell();
        td.className = ep;
        this.cells[row.key][ep] = td;
      }
    }
    const legend = document.createElement('details');
    legend.className = 'legend';
    const summary = document.createElement('summary');
    summary.textContent = t('tcb.legend');
    const dl = document.createElement('dl');
    for (const row of rows.slice(1)) {
      const dt = document.createElement('dt');
      dt.textContent = row.name;
      const dd = document.createElement('dd');
      dd.textContent = t(`tcb.${row.key}`);
      dl.append(dt, dd);
    }
    const note = document.createElement('p');
    note.textContent = t('tcb.changed_note');
    legend.append(summary, dl, note);
    this.root.append(table, legend);
  }

  /** render shows the control blocks as of the event at index. */
  render(store, refs) {
    const snap = snapshots(store.events, store.selected);
    const write = seqWriter(store.events, store.selected, refs, store.numbering);
    for (const ep of endpoints) {
      const { now, before, at } = snap[ep];
      // Marked: what the selected event itself changed.
      const fresh = at === store.selected && !!before;
      for (const row of rows) {
        const td = this.cells[row.key][ep];
        const value = now ? this.format(row, now, ep, write) : '—';
        const changed = fresh && now[row.key] !== before[row.key];
        td.classList.toggle('changed', changed);
        td.replaceChildren(value);
        if (changed) {
          const mark = document.createElement('span');
          mark.className = 'visually-hidden';
          mark.textContent = this.t('tcb.changed');
          td.append(mark);
        }
      }
    }
  }

  /** format writes a variable; write(value, endpoint) writes a number of a
   * sequence space (seqWriter). */
  format(row, tcb, ep, write) {
    const v = tcb[row.key];
    if (row.key === 'state') return v;
    if (row.key === 'rto_ms') return v ? formatDuration(v) : '—';
    if (!row.space) return String(v);
    // Zero before the number is chosen (ISS) or learnt (IRS): not known yet.
    const space = row.space === 'self' ? ep : peer(ep);
    const known = row.space === 'self' ? tcb.iss !== 0 : tcb.irs !== 0;
    if (!known) return '—';
    return write(v, space);
  }
}
