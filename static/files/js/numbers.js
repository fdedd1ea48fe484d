// Sequence numbers as the reader chose to see them: absolute, relative to
// each side's ISN, or symbolic (x, y). The formatting itself is format.js's,
// shared with the diagram; this module knows where the ISNs come from.

import { formatSeq } from './format.js';

const symbols = { client: 'x', server: 'y' };

/**
 * isnRefs is {client, server}, each {isn, known, symbol} as formatSeq and
 * formatSegmentLabel take them. An ISN the session's endpoints do not give
 * yet (a live connect chooses it later) is taken from the first control
 * block that has one.
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
    refs[ep] = { ...endpoints?.[ep], isn, known: isn !== 0, symbol: symbols[ep] };
  }
  return refs;
}

/** seqText formats value, a number in endpoint's sequence space. */
export function seqText(value, endpoint, refs, numbering) {
  return formatSeq(value, numbering, refs?.[endpoint]);
}

/** peer is the other endpoint. */
export function peer(endpoint) {
  return endpoint === 'client' ? 'server' : 'client';
}
