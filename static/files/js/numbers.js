// Notation: how a segment's flags and numbers are written, the same in the
// diagram, the event list and the panels: numbers absolute, relative to the
// ISN (Wireshark) or symbolic (the textbook's letters); flags by name in
// Wireshark's order ("FIN, ACK") or as bits ("FIN=1, ACK=1"). The symbolic
// rule (README, "Pace and notation"): a side's space is written from the
// latest letter set at or below the number: x and y at each side's SYN, u at
// the close's first FIN, v at the other side's first segment acknowledging
// it (not a FIN), w at the other side's FIN; a SYN's or FIN's one is kept
// apart from data (x+1+5). A new ISN primes the letters (x′); injected
// segments set no letter, spoofed ones stay absolute.

import { relativeSeq } from './format.js';

/** NUMBERINGS are the numbering modes, as ?numbering= takes them. */
export const NUMBERINGS = Object.freeze(['absolute', 'relative', 'symbolic']);

/** FLAG_STYLES are the ways of writing flags, as ?flags= takes them. */
export const FLAG_STYLES = Object.freeze(['names', 'bits']);

/** WIRESHARK_FLAG_ORDER is the order Wireshark lists flags in: by bit,
 * lowest first ("FIN, PSH, ACK"). */
export const WIRESHARK_FLAG_ORDER = Object.freeze(['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR']);

const LETTERS = { client: 'x', server: 'y' };
const PRIME = '′';

const has = (flags, f) => Array.isArray(flags) && flags.includes(f);
const side = (e) => (e === 'server' ? 'server' : 'client');
const other = (e) => (e === 'server' ? 'client' : 'server');
const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** notationOf reads a notation, {numbering, flags}, falling back to the
 * defaults (relative numbers, flag names) for anything unknown. */
export function notationOf(n) {
  const numbering = typeof n === 'string' ? n : n?.numbering;
  const flags = typeof n === 'string' ? undefined : n?.flags;
  return {
    numbering: NUMBERINGS.includes(numbering) ? numbering : 'relative',
    flags: FLAG_STYLES.includes(flags) ? flags : 'names',
  };
}

/**
 * flagsText writes a segment's flags in Wireshark's order: "FIN, ACK", or
 * in the textbooks' bit style, "FIN=1, ACK=1". Flags Wireshark does not
 * know keep their place after the others; no flags at all is "<None>", as
 * Wireshark writes it.
 */
export function flagsText(flags, style = 'names') {
  const list = Array.isArray(flags) ? flags.map(String) : [];
  const ordered = [...WIRESHARK_FLAG_ORDER.filter((f) => list.includes(f)), ...list.filter((f) => !WIRESHARK_FLAG_ORDER.includes(f))];
  if (ordered.length === 0) return '<None>';
  return style === 'bits' ? ordered.map((f) => `${f}=1`).join(', ') : ordered.join(', ');
}

/** symbolText writes off, a distance from the base, as the textbook does:
 * "x", "x+1", "x+1+5" (a SYN's or FIN's one, then data), "v+3", "x-2". */
function symbolText(base, off) {
  if (off === 0) return base.letter;
  if (off < 0) return `${base.letter}-${-off}`;
  if (base.control && off > 1) return `${base.letter}+1+${off - 1}`;
  return `${base.letter}+${off}`;
}

/** A Space is one side's sequence space: its ISN and its bases. */
class Space {
  constructor(isn, known, letter) {
    this.isn = isn >>> 0;
    this.known = known;
    this.gen = 0;
    this.letter = letter;
    this.reset();
  }

  reset() {
    const p = PRIME.repeat(this.gen);
    this.bases = this.known ? [{ value: this.isn, letter: this.letter + p, control: true }] : [];
  }

  /** newISN starts a new connection in this space. */
  newISN(isn) {
    if (this.known) this.gen++;
    this.isn = isn >>> 0;
    this.known = true;
    this.reset();
  }

  addBase(value, letter, control) {
    this.bases.push({ value: value >>> 0, letter, control });
  }

  has(letter) {
    return this.bases.some((b) => b.letter === letter);
  }

  /** symbolic writes value from the latest base at or below it. */
  symbolic(value) {
    if (!this.bases.length) return String(value >>> 0);
    let best = null;
    for (const b of this.bases) if (relativeSeq(value, b.value) >= 0) best = b;
    best ??= this.bases[0];
    return symbolText(best, relativeSeq(value, best.value));
  }

  write(value, numbering) {
    if (numbering === 'absolute' || !this.known) return String(value >>> 0);
    if (numbering === 'relative') return String(relativeSeq(value, this.isn));
    return this.symbolic(value);
  }
}

/**
 * Notation writes the segments of one run, in order: label(ev) must see
 * every segment event of the run, first to last, since a SYN or a FIN
 * changes how later numbers read. endpoints is the trace's {client, server}
 * with their isn (0 or absent: not known yet; a SYN makes it known).
 */
export class Notation {
  constructor(notation, endpoints) {
    const { numbering, flags } = notationOf(notation);
    this.numbering = numbering;
    this.flags = flags;
    const eps = endpoints || {};
    const space = (e) => {
      const isn = num(eps[e]?.isn);
      return new Space(isn, eps[e]?.known ?? isn !== 0, LETTERS[e]);
    };
    this.spaces = { client: space('client'), server: space('server') };
    /** closer is the side whose FIN came first in this connection. */
    this.closer = null;
  }

  /** see moves the bases on for segment ev (call once per segment, in order). */
  see(ev) {
    if (!ev || ev.kind !== 'segment' || ev.injected || ev.spoofed || ev.drop_reason === 'unreachable') return;
    const from = side(ev.from);
    const mine = this.spaces[from];
    const seq = num(ev.seq) >>> 0;
    if (has(ev.flags, 'SYN') && (!mine.known || mine.isn !== seq)) {
      mine.newISN(seq);
      // A new connection: the close's letters start again.
      this.closer = null;
      const peer = this.spaces[other(from)];
      if (peer.bases.length > 1) peer.reset();
    }
    if (!mine.known) return;
    const p = PRIME.repeat(Math.max(this.spaces.client.gen, this.spaces.server.gen));
    if (has(ev.flags, 'FIN')) {
      if (this.closer == null) {
        this.closer = from;
        mine.addBase(seq, `u${p}`, true);
      } else if (this.closer !== from && !mine.has(`w${p}`)) {
        mine.addBase(seq, `w${p}`, true);
      }
      return;
    }
    if (this.closer && this.closer !== from && !mine.has(`v${p}`) && !mine.has(`w${p}`) && has(ev.flags, 'ACK')) {
      const fin = this.spaces[this.closer].bases.at(-1);
      if (relativeSeq(num(ev.ack), fin.value) >= 1) mine.addBase(seq, `v${p}`, false);
    }
  }

  /** seq writes value, a number in endpoint's sequence space, as things stand. */
  seq(value, endpoint) {
    return this.spaces[side(endpoint)].write(num(value), this.numbering);
  }

  /**
   * label writes segment ev, after seeing it: its flags, then seq, then ack
   * (only with the ACK flag: without it the field means nothing), then len
   * (only when the segment carries data). "SYN, ACK seq=y ack=x+1",
   * "PSH, ACK seq=x+1 ack=y+1 len=5"; in bit style "SYN=1, ACK=1, seq=y,
   * ack=x+1".
   */
  label(ev) {
    this.see(ev);
    const spoofed = Boolean(ev.spoofed) || ev.drop_reason === 'unreachable';
    const write = (value, endpoint) => (spoofed ? String(num(value) >>> 0) : this.seq(value, endpoint));
    const parts = [flagsText(ev.flags, this.flags), `seq=${write(ev.seq, ev.from)}`];
    if (has(ev.flags, 'ACK')) parts.push(`ack=${write(ev.ack, ev.to)}`);
    if (num(ev.len) !== 0) parts.push(`len=${num(ev.len)}`);
    if (this.flags === 'bits') return parts.join(', ');
    return `${parts[0]} ${parts.slice(1).join(' ')}`;
  }
}

/**
 * segmentLabels gives, for each event, the label the diagram writes on it,
 * or null for an event that is not a segment, so that the event list and
 * the panels read exactly as the diagram does.
 */
export function segmentLabels(events, notation, endpoints) {
  const n = new Notation(notation, endpoints);
  return (Array.isArray(events) ? events : []).map((ev) => (ev && ev.kind === 'segment' ? n.label(ev) : null));
}

/**
 * isnRefs is {client, server}, each {isn, known, symbol} as the panels
 * number a control block's variables with. An ISN the session's endpoints
 * do not give yet (a live connect chooses it later) is taken from the first
 * control block that has one.
 */
export function isnRefs(endpoints, events) {
  const refs = {};
  for (const ep of ['client', 'server']) {
    let isn = endpoints?.[ep]?.isn || 0;
    if (!isn) {
      for (const ev of events) {
        const owner = ev.kind === 'segment' ? ev.from : ev.endpoint;
        if (owner === ep && !ev.injected && ev.tcb?.iss) {
          isn = ev.tcb.iss;
          break;
        }
      }
    }
    refs[ep] = { ...endpoints?.[ep], isn, known: isn !== 0, symbol: LETTERS[ep] };
  }
  return refs;
}

/** seqText formats value, a number in endpoint's sequence space, from the
 * ISN alone (the panels' control-block variables). */
export function seqText(value, endpoint, refs, numbering) {
  const ref = refs?.[endpoint];
  const space = new Space(num(ref?.isn), Boolean(ref?.known), ref?.symbol || LETTERS[side(endpoint)]);
  return space.write(num(value), numbering);
}

/**
 * seqWriter is how the panels write a number of endpoint's sequence space
 * as of the event at index of events, as the diagram would: symbolic
 * numbering writes it from the letters the run's segments up to there have
 * given (the close's u, v and w as well as x and y); the others from the
 * ISN alone (seqText).
 */
export function seqWriter(events, index, refs, numbering) {
  if (numbering !== 'symbolic') return (value, endpoint) => seqText(value, endpoint, refs, numbering);
  const n = new Notation({ numbering }, refs);
  const evs = Array.isArray(events) ? events : [];
  for (let i = 0; i <= index && i < evs.length; i++) n.see(evs[i]);
  return (value, endpoint) => n.seq(value, endpoint);
}

/** peer is the other endpoint. */
export function peer(endpoint) {
  return other(endpoint);
}
