// Phases of a connection, read from its trace: the handshake that opens it,
// the data it carries, the close. A pure function of the events, like
// layout.js, which marks each phase along the ladder (data-kind="phase").
//
// Each segment that is not forged (injected, spoofed, unreachable) and
// does not merely acknowledge may start a phase:
//   - a SYN from an endpoint in SYN-SENT or SYN-RECEIVED (one opening a
//     connection, not an old duplicate) starts a handshake;
//   - a FIN, or a RST once the handshake completed, starts the teardown
//     (a RST that refuses a SYN belongs to the failed handshake);
//   - data starts the transfer, unless the teardown has begun (data after
//     one side's FIN is the half-close, part of the close).
// Every other segment belongs to the phase it falls in. A new handshake
// after a teardown (the listener serving the next connection) starts over.
//
// A phase's variant names its shape, for its label:
//   handshake: 'three-way', or 'simultaneous' when both sides sent a SYN;
//   teardown:  'four-way'; 'three-way' when the second FIN also acknowledged
//              the first and nothing came between them (delayed ACK: the
//              three-segment close); 'simultaneous' when the second FIN left
//              before the first arrived; 'reset' when a RST began it;
//   transfer:  'data'.

/** PHASES are the values of data-phase (CONTRACT.md, "Pages"). */
export const PHASES = Object.freeze(['handshake', 'transfer', 'teardown']);

const has = (ev, f) => Array.isArray(ev.flags) && ev.flags.includes(f);
const side = (e) => (e === 'server' ? 'server' : 'client');
const num = (v, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
const OPENING = new Set(['SYN-SENT', 'SYN-RECEIVED']);

/**
 * phases lists the phases of events, in order: {phase, variant, first,
 * last, segments}, where first and last are the event indices of its first
 * and last segment and segments the indices of all of its segments.
 */
export function phases(events) {
  const evs = Array.isArray(events) ? events : [];
  const out = [];
  const state = { client: 'CLOSED', server: 'CLOSED' };
  let cur = null;
  for (let i = 0; i < evs.length; i++) {
    const ev = evs[i];
    if (!ev) continue;
    if (ev.kind === 'state') {
      state[side(ev.endpoint)] = String(ev.to ?? '');
      if (cur && cur.phase === 'handshake' && state.client === 'ESTABLISHED' && state.server === 'ESTABLISHED') cur.open = true;
      continue;
    }
    if (ev.kind !== 'segment') continue;
    const forged = Boolean(ev.injected || ev.spoofed) || ev.drop_reason === 'unreachable';
    let want = null;
    if (!forged) {
      if (has(ev, 'SYN')) {
        if (!cur || OPENING.has(state[side(ev.from)])) want = 'handshake';
      } else if (has(ev, 'FIN') || has(ev, 'RST')) {
        if (!cur || cur.phase !== 'handshake' || cur.open || has(ev, 'FIN')) want = 'teardown';
      } else if (num(ev.len) > 0) {
        want = cur && cur.phase === 'teardown' ? 'teardown' : 'transfer';
      }
    }
    if (want && (!cur || cur.phase !== want)) {
      cur = { phase: want, first: i, last: i, segments: [], open: false };
      out.push(cur);
    }
    if (!cur) continue;
    cur.last = i;
    cur.segments.push(i);
  }
  return out.map((p) => ({ phase: p.phase, variant: variantOf(p, evs), first: p.first, last: p.last, segments: p.segments }));
}

function variantOf(p, evs) {
  const segs = p.segments.map((i) => evs[i]);
  const real = segs.filter((ev) => !(ev.injected || ev.spoofed));
  if (p.phase === 'transfer') return 'data';
  if (p.phase === 'handshake') {
    const synners = new Set(real.filter((ev) => has(ev, 'SYN') && !has(ev, 'ACK')).map((ev) => side(ev.from)));
    return synners.size === 2 ? 'simultaneous' : 'three-way';
  }
  const first = real[0];
  if (!first || (has(first, 'RST') && !has(first, 'FIN'))) return 'reset';
  const a = side(first.from);
  const at = real.indexOf(first);
  const finB = real.findIndex((ev, k) => k > at && side(ev.from) !== a && has(ev, 'FIN'));
  if (finB < 0) return 'four-way';
  const second = real[finB];
  // When the first FIN (or its first copy that got through) arrived.
  const arrivals = real.filter((ev) => side(ev.from) === a && has(ev, 'FIN') && ev.fate !== 'dropped' && Number.isFinite(ev.arrive_ms));
  const firstArrives = Math.min(Infinity, ...arrivals.map((ev) => ev.arrive_ms));
  if (num(second.t_ms) < firstArrives) return 'simultaneous';
  const between = real.slice(at + 1, finB).some((ev) => side(ev.from) !== a && !ev.retransmit);
  return !between && has(second, 'ACK') ? 'three-way' : 'four-way';
}

/** phaseKey is the catalogue key of a phase's label. */
export function phaseKey(p) {
  return p.phase === 'transfer' ? 'ladder.phase.transfer' : `ladder.phase.${p.phase}.${p.variant}`;
}
