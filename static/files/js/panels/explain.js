// A short explanation of the selected event: what happened, which rule of
// TCP made it happen (the engine names the rule in the event's `reason`),
// and where the RFCs say so. The words are in the catalogues (keys why.*,
// explain.*, state.*); this module only picks them and the citations.

import { describe, timeText } from '../describe.js';

/** cites maps an explanation to the sections that specify it. */
const cites = {
  // Segments the engine sends, by reason.
  'why.syn': [[9293, '3.5'], [9293, '3.4.1']],
  'why.syn-ack': [[9293, '3.5'], [9293, '3.10.7.2']],
  'why.ack': [[9293, '3.8.6.3'], [1122, '4.2.3.2']],
  'why.data': [[9293, '3.10.2'], [9293, '3.8.6.2.1']],
  'why.fin': [[9293, '3.10.4'], [9293, '3.6']],
  'why.retransmit': [[6298, '5'], [9293, '3.8.1']],
  'why.abort': [[9293, '3.10.5']],
  'why.close-with-unread-data': [[1122, '4.2.2.13']],
  'why.ack-fin-in-time-wait': [[9293, '3.10.7.4']],
  'why.ack-out-of-window': [[9293, '3.10.7.4']],
  'why.ack-of-unsent': [[9293, '3.10.7.4']],
  'why.challenge-ack': [[5961, '3.2'], [9293, '3.10.7.4']],
  'why.challenge-ack-syn': [[5961, '4.2'], [9293, '3.10.7.4']],
  'why.rst-ack-in-listen': [[9293, '3.10.7.2'], [9293, '3.5.2']],
  'why.rst-bad-ack-in-syn-sent': [[9293, '3.10.7.3'], [9293, '3.5.2']],
  'why.rst-bad-ack-in-syn-received': [[9293, '3.10.7.4'], [9293, '3.5.2']],
  'why.rst-closed-port': [[9293, '3.10.7.1'], [9293, '3.5.2']],
  'why.rst-syn-in-window': [[9293, '3.10.7.4']],
  'why.injected': [[9293, '3.5.3']],
  'why.syn-flood': [[4987, '2']],
  'why.window-update': [[9293, '3.8.6.2.2']],
  // State changes, by reason.
  'why.active-open': [[9293, '3.10.1']],
  'why.passive-open': [[9293, '3.10.7.2']],
  'why.syn-ack-received': [[9293, '3.10.7.3']],
  'why.handshake-complete': [[9293, '3.10.7.4']],
  'why.simultaneous-open': [[9293, '3.5'], [9293, '3.10.7.3']],
  'why.fin-received': [[9293, '3.10.7.4']],
  'why.fin-acked': [[9293, '3.10.7.4']],
  'why.simultaneous-close': [[9293, '3.6']],
  'why.connection-refused': [[9293, '3.10.7.3'], [9293, '3.5.3']],
  'why.connection-reset': [[9293, '3.10.7.4'], [9293, '3.5.3']],
  'why.rst-in-syn-received': [[9293, '3.10.7.4'], [9293, '3.5.3']],
  'why.rst-in-time-wait': [[9293, '3.10.7.4'], [1337, '2']],
  'why.rst-while-closing': [[9293, '3.10.7.4']],
  'why.retries-exhausted': [[9293, '3.8.3'], [1122, '4.2.3.5']],
  'why.time-wait': [[9293, '3.10.8'], [9293, '3.6']],
  'why.fin-wait-2': [['linux', 'tcp_fin_timeout']],
  'why.out-of-window': [[9293, '3.10.7.4']],
  'why.syn-in-window': [[9293, '3.10.7.4']],
  'why.syn-in-syn-received': [[9293, '3.10.7.4']],
  'why.syn-retransmitted': [[9293, '3.10.7.4']],
  'why.fin-retransmitted-in-time-wait': [[9293, '3.10.7.4']],
  'why.delayed-ack': [[9293, '3.8.6.3']],
  'why.loss-probe': [[8985, '7.2'], [8985, '7.3']],
  'why.sws-override': [[9293, '3.8.6.2.1']],
  'why.persist': [[9293, '3.8.6.1']],
  // Notes and the reader's own drops.
  'why.syn-dropped-backlog-full': [[4987, '2'], [4987, '3.2']],
  'why.rst-ignored-rfc1337': [[1337, '3']],
  'why.dropped-in-flight': [[6298, '5']],
  // Timers.
  'explain.timer.retransmit': [[6298, '5'], [9293, '3.8.1']],
  'explain.timer.delayed-ack': [[9293, '3.8.6.3'], [1122, '4.2.3.2']],
  'explain.timer.time-wait': [[9293, '3.10.8'], [9293, '3.4.2']],
  'explain.timer.fin-wait-2': [['linux', 'tcp_fin_timeout']],
  'explain.timer.persist': [[9293, '3.8.6.1'], [9293, '3.8.6.2.1']],
  'explain.timer.loss-probe': [[8985, '7.2']],
  // Calls.
  'explain.call.listen': [[9293, '3.10.1']],
  'explain.call.connect': [[9293, '3.10.1']],
  'explain.call.send': [[9293, '3.10.2']],
  'explain.call.receive': [[9293, '3.10.3']],
  'explain.call.shutdown': [[9293, '3.6.1']],
  'explain.call.close': [[9293, '3.10.4']],
  'explain.call.abort': [[9293, '3.10.5']],
};

/** Every state's description cites the state machine overview. */
const stateCite = [[9293, '3.3.2']];

function citeLink(t, [rfc, section]) {
  const a = document.createElement('a');
  if (rfc === 'linux') {
    a.href = `https://docs.kernel.org/networking/ip-sysctl.html`;
    a.textContent = t('explain.cite_linux', { name: section });
  } else {
    a.href = `https://www.rfc-editor.org/rfc/rfc${rfc}#section-${section}`;
    a.textContent = t('explain.cite', { rfc, section });
  }
  a.rel = 'noopener';
  a.target = '_blank';
  return a;
}

export class Explain {
  constructor(root, { t, has }) {
    this.root = root;
    this.t = t;
    this.has = has;
  }

  render(store, view) {
    const { t } = this;
    const ev = store.events[store.selected];
    if (!ev) {
      const p = document.createElement('p');
      p.className = 'hint';
      p.textContent = t(store.scenarioId === 'sandbox' ? 'explain.sandbox' : 'explain.empty');
      this.root.replaceChildren(p);
      return;
    }
    const head = document.createElement('p');
    head.className = 'what';
    const step = document.createElement('span');
    step.className = 'step';
    step.textContent = t('explain.step', { n: store.selected + 1, time: timeText(t, ev.t_ms) });
    const what = document.createElement('strong');
    what.textContent = describe(ev, view).text;
    head.append(step, what);
    const parts = [head];
    const keys = this.keysFor(ev);
    const cited = [];
    for (const { key, vars } of keys) {
      if (!this.has(key)) continue;
      const p = document.createElement('p');
      p.textContent = t(key, vars);
      parts.push(p);
      for (const c of cites[key] ?? (key.startsWith('state.') ? stateCite : [])) {
        if (!cited.some((d) => d[0] === c[0] && d[1] === c[1])) cited.push(c);
      }
    }
    if (keys.every(({ key }) => !this.has(key))) {
      const p = document.createElement('p');
      p.className = 'hint';
      p.textContent = t('explain.none');
      parts.push(p);
    }
    if (cited.length) {
      const p = document.createElement('p');
      p.className = 'cite';
      p.append(t('explain.see'), ' ');
      cited.forEach((c, i) => {
        if (i) p.append(t('explain.cite_sep'));
        p.append(citeLink(t, c));
      });
      parts.push(p);
    }
    this.root.replaceChildren(...parts);
  }

  /** keysFor lists the catalogue keys that explain ev, most specific first. */
  keysFor(ev) {
    const keys = [];
    const add = (key, vars) => keys.push({ key, vars });
    switch (ev.kind) {
      case 'segment':
        if (ev.reason) add(`why.${ev.reason}`);
        if (ev.fate === 'dropped') add(ev.drop_reason === 'unreachable' ? 'explain.unreachable' : 'explain.lost');
        break;
      case 'state':
        if (ev.reason) add(`why.${ev.reason}`);
        add(`explain.trans.${ev.from}>${ev.to}`);
        add(`state.${ev.to}`, { state: ev.to });
        break;
      case 'call':
        add(`explain.call.${ev.call}`);
        if (ev.error) add('explain.call_error', { call: ev.call, error: ev.error });
        break;
      case 'timer':
        add(`explain.timer.${ev.timer}`);
        add(`explain.timer_${ev.action}`, { timer: this.t(`timer.${ev.timer}`), due: timeText(this.t, ev.due_ms) });
        break;
      case 'note':
      case 'drop':
        add(`why.${ev.reason}`);
        break;
    }
    return keys;
  }
}
