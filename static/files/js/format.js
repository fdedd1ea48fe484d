// Number formatting shared by the diagram and the side panels, so that a
// time, a duration or a sequence number reads the same everywhere on the
// page. Pure functions; no DOM, no locale state. Units (ms, s) are SI
// symbols, the same in every language the page speaks.

// formatDuration writes a span of virtual time: "0 ms", "40 ms", "0.5 ms",
// "1 s", "1.5 s", "60.61 s". Below one second it counts milliseconds (one
// decimal at most), from one second on it counts seconds (three decimals at
// most, trailing zeros dropped).
export function formatDuration(ms) {
  if (!Number.isFinite(ms)) return '';
  const sign = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 1000) return `${sign}${trim(a, 1)} ms`;
  return `${sign}${trim(a / 1000, 3)} s`;
}

// formatTime writes a point in virtual time (milliseconds since the run
// started) the way formatDuration writes a span.
export function formatTime(ms) {
  return formatDuration(ms);
}

function trim(n, decimals) {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(decimals)));
}

// relativeSeq counts a 32-bit sequence number from isn, signed, so that a
// number just before the ISN (an old duplicate) reads as a small negative
// number, as Wireshark and the Mermaid export do.
export function relativeSeq(value, isn) {
  return ((value >>> 0) - (isn >>> 0)) | 0;
}

// formatSeq writes a sequence or acknowledgment number in a numbering mode:
//   'absolute'  the value on the wire: "3001401511"
//   'relative'  counted from the ISN: "1"
//   'symbolic'  the ISN as a letter, as textbooks write it: "x+1", "y", "x-5"
// ref is {isn, symbol, known}: the ISN of the endpoint the number belongs to
// (the sender's for seq, the receiver's for ack), the letter for it, and
// whether that ISN is known at all. Without a known ISN (a spoofed address,
// a host that never opened a connection) the number stays absolute.
export function formatSeq(value, numbering, ref) {
  const abs = String(value >>> 0);
  if (numbering !== 'relative' && numbering !== 'symbolic') return abs;
  if (!ref || !ref.known) return abs;
  const off = relativeSeq(value, ref.isn);
  if (numbering === 'relative') return String(off);
  const sym = ref.symbol || 'x';
  if (off === 0) return sym;
  return off > 0 ? `${sym}+${off}` : `${sym}-${-off}`;
}

// formatAddr writes an endpoint's address and port: "10.0.0.1:49152".
export function formatAddr(info) {
  if (!info || info.addr == null) return '';
  return info.port == null ? String(info.addr) : `${info.addr}:${info.port}`;
}
