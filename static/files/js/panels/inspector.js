// The packet inspector: the selected segment's IPv4 and TCP headers, field
// by field, decoded from the bytes the engine put on the wire (the event's
// `bytes`, in hex), and the bytes themselves with offsets, as Wireshark
// shows them. Pointing at a field marks its bytes, and the other way round;
// the byte range is also written in the table, for readers who do not point.

import { seqText, seqWriter } from '../numbers.js';
import { endpointName, timeText } from '../describe.js';

const tcpFlags = ['CWR', 'ECE', 'URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN'];

function hexBytes(hex) {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

const u16 = (b, i) => (b[i] << 8) | b[i + 1];
const u32 = (b, i) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
const hex = (n, width) => '0x' + n.toString(16).padStart(width, '0');
const ip = (b, i) => `${b[i]}.${b[i + 1]}.${b[i + 2]}.${b[i + 3]}`;

/**
 * decode splits an IPv4 packet carrying TCP into fields: {layer, key,
 * vars, start, end} with start and end byte offsets (end exclusive). It
 * stops at the first field the bytes are too short for.
 */
export function decode(b) {
  const fields = [];
  const add = (layer, key, start, end, vars = {}) => fields.push({ layer, key, start, end, vars });
  if (b.length < 20) return fields;
  const ihl = (b[0] & 15) * 4;
  add('ip', 'version', 0, 1, { v: b[0] >> 4 });
  add('ip', 'ihl', 0, 1, { v: ihl });
  add('ip', 'dsfield', 1, 2, { v: hex(b[1], 2), dscp: b[1] >> 2, ecn: b[1] & 3 });
  add('ip', 'total_length', 2, 4, { v: u16(b, 2) });
  add('ip', 'id', 4, 6, { v: hex(u16(b, 4), 4), n: u16(b, 4) });
  const frag = u16(b, 6);
  add('ip', 'flags', 6, 7, { v: hex(frag >> 13, 1), df: (frag >> 14) & 1, mf: (frag >> 13) & 1 });
  add('ip', 'frag_offset', 6, 8, { v: frag & 0x1fff });
  add('ip', 'ttl', 8, 9, { v: b[8] });
  add('ip', 'protocol', 9, 10, { v: b[9] });
  add('ip', 'checksum', 10, 12, { v: hex(u16(b, 10), 4) });
  add('ip', 'src', 12, 16, { v: ip(b, 12) });
  add('ip', 'dst', 16, 20, { v: ip(b, 16) });
  if (b[9] !== 6) return fields;
  return decodeTCP(b, ihl, fields, add);
}

/** decodeTCP splits the TCP header and payload that start at offset o,
 * adding them to fields with add(layer, key, start, end, vars). */
export function decodeTCP(b, o, fields, add) {
  if (b.length < o + 20) return fields;
  add('tcp', 'src_port', o, o + 2, { v: u16(b, o) });
  add('tcp', 'dst_port', o + 2, o + 4, { v: u16(b, o + 2) });
  add('tcp', 'seq', o + 4, o + 8, { v: u32(b, o + 4) });
  add('tcp', 'ack', o + 8, o + 12, { v: u32(b, o + 8) });
  const doff = (b[o + 12] >> 4) * 4;
  add('tcp', 'doff', o + 12, o + 13, { v: doff });
  const set = tcpFlags.filter((_, i) => b[o + 13] & (0x80 >> i));
  add('tcp', 'flags', o + 12, o + 14, {
    v: hex(((b[o + 12] & 15) << 8) | b[o + 13], 3),
    set: set.join(', '),
    bits: tcpFlags.map((f, i) => `${f}=${b[o + 13] & (0x80 >> i) ? 1 : 0}`).join(' '),
  });
  add('tcp', 'window', o + 14, o + 16, { v: u16(b, o + 14) });
  add('tcp', 'checksum', o + 16, o + 18, { v: hex(u16(b, o + 16), 4) });
  add('tcp', 'urgent', o + 18, o + 20, { v: u16(b, o + 18) });
  let i = o + 20;
  const end = Math.min(o + doff, b.length);
  while (i < end) {
    const kind = b[i];
    if (kind === 0) {
      add('opt', 'eol', i, end);
      break;
    }
    if (kind === 1) {
      add('opt', 'nop', i, i + 1);
      i++;
      continue;
    }
    const len = b[i + 1];
    if (!len || len < 2 || i + len > end) {
      add('opt', 'bad', i, end, { kind });
      break;
    }
    if (kind === 2 && len === 4) add('opt', 'mss', i, i + len, { v: u16(b, i + 2) });
    else if (kind === 3 && len === 3) add('opt', 'ws', i, i + len, { v: b[i + 2], factor: 2 ** b[i + 2] });
    else if (kind === 4 && len === 2) add('opt', 'sack_perm', i, i + len);
    else if (kind === 8 && len === 10) add('opt', 'ts', i, i + len, { val: u32(b, i + 2), ecr: u32(b, i + 6) });
    else if (kind === 5) {
      const blocks = [];
      for (let j = i + 2; j + 8 <= i + len; j += 8) blocks.push(`${u32(b, j)}–${u32(b, j + 4)}`);
      add('opt', 'sack', i, i + len, { blocks: blocks.join(', ') });
    } else add('opt', 'other', i, i + len, { kind, len });
    i += len;
  }
  if (o + doff < b.length) {
    const payload = b.subarray(o + doff);
    add('data', 'payload', o + doff, b.length, { len: payload.length, text: printable(payload) });
  }
  return fields;
}

function printable(bytes) {
  return Array.from(bytes, (c) => (c >= 32 && c < 127 ? String.fromCharCode(c) : '.')).join('');
}

export class Inspector {
  /** decoder splits a segment's bytes into fields (decode by default; the
   * capture view's also reads IPv6). */
  constructor(root, { t, decoder = decode }) {
    this.root = root;
    this.t = t;
    this.decode = decoder;
    this.shown = null;
  }

  /** segmentFor is the segment the inspector shows for the event at index:
   * that segment, the one that caused it, or the latest one before it. */
  segmentFor(events, index) {
    const ev = events[index];
    if (!ev) return null;
    if (ev.kind === 'segment') return ev;
    const id = ev.cause_segment;
    for (let i = index; i >= 0; i--) {
      const e = events[i];
      if (e.kind === 'segment' && (!id || e.id === id)) return e;
    }
    return null;
  }

  render(store, refs) {
    const seg = this.segmentFor(store.events, store.selected);
    const key = seg ? `${seg.id}:${store.numbering}:${store.events.length}` : '';
    if (key === this.shown) return;
    this.shown = key;
    if (!seg || !seg.bytes) {
      const p = document.createElement('p');
      p.className = 'hint';
      p.textContent = this.t('insp.empty');
      this.root.replaceChildren(p);
      return;
    }
    this.root.replaceChildren(this.heading(seg, store), ...this.body(seg, store, refs));
  }

  heading(seg, store) {
    const { t } = this;
    const p = document.createElement('p');
    p.className = 'insp-head';
    const from = endpointName(t, seg.from);
    const to = endpointName(t, seg.to);
    let text = t('insp.heading', { id: seg.id, from, to, sent: timeText(t, seg.t_ms) });
    const dropped = seg.fate === 'dropped' || store.events.some((e) => e.kind === 'drop' && e.cause_segment === seg.id);
    if (dropped) text += ' ' + t('insp.lost');
    else if (seg.arrive_ms != null) text += ' ' + t('insp.arrives', { at: timeText(t, seg.arrive_ms) });
    p.textContent = text;
    return p;
  }

  body(seg, store, refs) {
    const { t } = this;
    const bytes = hexBytes(seg.bytes);
    const fields = this.decode(bytes);
    const table = document.createElement('table');
    table.className = 'fields';
    const caption = table.createCaption();
    caption.className = 'visually-hidden';
    caption.textContent = t('insp.caption', { id: seg.id });
    const head = table.createTHead().insertRow();
    for (const k of ['insp.field', 'insp.value', 'insp.bytes']) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = t(k);
      head.append(th);
    }
    let tbody = null;
    let layer = '';
    const rows = [];
    for (const f of fields) {
      if (f.layer !== layer) {
        layer = f.layer;
        tbody = table.createTBody();
        const tr = tbody.insertRow();
        const th = document.createElement('th');
        th.colSpan = 3;
        th.scope = 'colgroup';
        th.className = 'layer';
        th.textContent = t(`insp.layer_${layer}`);
        tr.append(th);
      }
      const tr = tbody.insertRow();
      const name = document.createElement('th');
      name.scope = 'row';
      name.textContent = t(`insp.${f.layer}.${f.key}`);
      tr.append(name);
      tr.insertCell().textContent = this.value(f, seg, refs, store.numbering, store.events);
      tr.insertCell().textContent = f.end - f.start > 1 ? `${f.start}–${f.end - 1}` : String(f.start);
      tr.dataset.start = f.start;
      tr.dataset.end = f.end;
      rows.push(tr);
    }
    const dump = this.hexDump(bytes);
    const mark = (start, end) => {
      for (const s of dump.querySelectorAll('.on')) s.classList.remove('on');
      for (const r of rows) r.classList.toggle('on', +r.dataset.start === start && +r.dataset.end === end);
      for (let i = start; i < end; i++) dump.querySelectorAll(`[data-i="${i}"]`).forEach((s) => s.classList.add('on'));
    };
    table.addEventListener('pointerover', (e) => {
      const tr = e.target.closest('tr[data-start]');
      if (tr) mark(+tr.dataset.start, +tr.dataset.end);
    });
    dump.addEventListener('pointerover', (e) => {
      const i = e.target.dataset?.i;
      if (i === undefined) return;
      // The innermost field holding the byte: options and payload come last.
      const f = fields.findLast((f) => f.start <= +i && +i < f.end);
      if (f) mark(f.start, f.end);
    });
    const dumpHead = document.createElement('h3');
    dumpHead.textContent = t('insp.hex', { n: bytes.length });
    return [table, dumpHead, dump];
  }

  /** value writes field f of seg; a symbolic seq or ack reads as seg's
   * label does, with the letters the run gave up to seg (events). */
  value(f, seg, refs, numbering, events = []) {
    const { t } = this;
    const v = { ...f.vars };
    if (f.layer === 'tcp' && (f.key === 'seq' || f.key === 'ack')) {
      const space = f.key === 'seq' ? seg.from : seg.to;
      const shownAs = numbering === 'absolute' ? 'relative' : numbering;
      const at = events.indexOf(seg);
      const shown = seg.spoofed || at < 0 ? seqText(v.v, space, seg.spoofed ? null : refs, shownAs) : seqWriter(events, at, refs, shownAs)(v.v, space);
      v.shown = shown;
      if (f.key === 'ack' && !seg.flags.includes('ACK')) return t('insp.ack_unused', v);
      return t(numbering === 'symbolic' ? 'insp.seq_symbolic' : 'insp.seq_relative', v);
    }
    if (f.layer === 'tcp' && f.key === 'flags') return t('insp.tcp.flags_value', { ...v, set: v.set || t('insp.none') });
    return t(`insp.${f.layer}.${f.key}_value`, v);
  }

  hexDump(bytes) {
    const pre = document.createElement('pre');
    pre.className = 'hexdump';
    pre.setAttribute('aria-label', this.t('insp.hex', { n: bytes.length }));
    // It scrolls sideways when the type is large (projector mode): the
    // keyboard must be able to reach it to scroll it (WCAG 2.1.1).
    pre.tabIndex = 0;
    for (let line = 0; line < bytes.length; line += 16) {
      const row = document.createElement('span');
      row.className = 'row';
      const off = document.createElement('span');
      off.className = 'off';
      off.textContent = line.toString(16).padStart(4, '0');
      row.append(off, '  ');
      const ascii = [];
      for (let i = line; i < line + 16; i++) {
        if (i === line + 8) row.append(' ');
        if (i >= bytes.length) {
          row.append('   ');
          continue;
        }
        const s = document.createElement('span');
        s.dataset.i = i;
        s.textContent = bytes[i].toString(16).padStart(2, '0');
        row.append(s, ' ');
        const a = document.createElement('span');
        a.dataset.i = i;
        a.textContent = printable([bytes[i]]);
        ascii.push(a);
      }
      row.append(' ', ...ascii, '\n');
      pre.append(row);
    }
    return pre;
  }
}
