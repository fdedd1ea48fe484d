// One line of text for a trace event: what the event list shows and the
// live region says. The diagram draws the same events; this is its text
// alternative.

import { formatTime } from './format.js';
import { formatSegmentLabel } from './layout.js';

/**
 * View is what describing an event needs: the translator, the notation
 * chosen ({numbering, flags}, numbers.js), both endpoints' ISN references
 * (numbers.js isnRefs) and, optionally, the run's segment labels by event.
 * @typedef {{t: Function, numbering: string, notation?: object, refs: object, labels?: Map}} View
 */

/** endpointName is "Client" or "Server" in the page's language. */
export function endpointName(t, endpoint) {
  return t(`ep.${endpoint}`);
}

/** timeText formats a virtual time, as the diagram does. */
export function timeText(t, ms) {
  return formatTime(ms);
}

/** segmentLabel is "SYN, ACK seq=y ack=x+1", as the diagram labels it:
 * view.labels has the run's labels (numbers.js segmentLabels, whose letters
 * depend on what came before); alone, a segment is written from the ISNs. */
export function segmentLabel(ev, view) {
  return view.labels?.get(ev) ?? formatSegmentLabel(ev, view.notation ?? view.numbering, view.refs);
}

/** isTimerBookkeeping: a timer set, restarted or cancelled, which a first
 * lesson leaves out (?timers=0). A timer that fires stays: it explains the
 * retransmission or the close that follows. */
export function isTimerBookkeeping(ev) {
  return ev?.kind === 'timer' && ev.action !== 'fire';
}

/** shownEvents lists the indices of the events shown when timer
 * bookkeeping is hidden. */
export function shownEvents(events) {
  const shown = [];
  events.forEach((ev, i) => isTimerBookkeeping(ev) || shown.push(i));
  return shown;
}

/** segmentNotes are the words after a segment: lost, retransmission, … */
function segmentNotes(ev, t) {
  const notes = [];
  if (ev.retransmit) notes.push(t('ladder.tag.retransmit'));
  if (ev.injected) notes.push(t('ladder.tag.injected'));
  if (ev.spoofed) notes.push(t('ladder.tag.spoofed'));
  if (ev.fate === 'dropped') notes.push(t(ev.drop_reason === 'unreachable' ? 'ladder.tag.unreachable' : 'ladder.tag.lost'));
  return notes.length ? t('ev.notes', { notes: notes.join(t('ev.notes_sep')) }) : '';
}

function callText(ev, t) {
  const who = endpointName(t, ev.endpoint);
  if (ev.error) return t('ev.call_failed', { endpoint: who, call: ev.call, error: ev.error });
  if (ev.call === 'send') return t('ev.call_send', { endpoint: who, data: ev.data ?? '' });
  if (ev.call === 'receive') {
    if (ev.result === 'eof') return t('ev.call_eof', { endpoint: who });
    if (ev.data) return t('ev.call_received', { endpoint: who, data: ev.data });
  }
  return t('ev.call', { endpoint: who, call: ev.call });
}

function timerText(ev, t) {
  const vars = { endpoint: endpointName(t, ev.endpoint), timer: t(`timer.${ev.timer}`), due: timeText(t, ev.due_ms) };
  return t(`ev.timer_${ev.action}`, vars);
}

/**
 * describe returns {text, spoken} for ev: text for the screen (with arrows),
 * spoken for the live region and button names (in words).
 */
export function describe(ev, view) {
  const { t } = view;
  switch (ev.kind) {
    case 'segment': {
      const label = segmentLabel(ev, view) + segmentNotes(ev, t);
      const from = endpointName(t, ev.from);
      const to = endpointName(t, ev.to);
      return {
        text: t('ev.segment', { id: ev.id, from, to, label }),
        spoken: t('ladder.aria_segment', { from, to, label }),
      };
    }
    case 'state': {
      const endpoint = endpointName(t, ev.endpoint);
      return {
        text: t('ev.state', { endpoint, from: ev.from, to: ev.to }),
        spoken: t('ladder.aria_state', { endpoint, state: ev.to }),
      };
    }
    case 'call': {
      const text = callText(ev, t);
      return { text, spoken: text };
    }
    case 'timer': {
      const text = timerText(ev, t);
      return { text, spoken: text };
    }
    case 'note': {
      const text = t('ev.note', { endpoint: endpointName(t, ev.endpoint), note: t(`reason.${ev.reason}`) });
      return { text, spoken: text };
    }
    case 'drop': {
      const text = t('ev.drop', { id: ev.cause_segment });
      return { text, spoken: text };
    }
    default: {
      const text = t('ev.other', { kind: ev.kind });
      return { text, spoken: text };
    }
  }
}
