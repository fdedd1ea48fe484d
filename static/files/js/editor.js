// The scenario editor (/editor): a form over one scenario object. The
// settings are in the page; the socket calls (a table, one row per call,
// its controls in the client's or the server's column) and the faults are
// drawn here from the object. Every change runs the scenario on the server
// (POST /api/run) after a short pause: the server is the one validator, and
// its error, which names the field ("steps[2].at_ms: …"), is shown beside
// the input that field belongs to. A valid scenario is drawn as a small
// ladder and can be opened in the app or shared as a link (?s=).
//
// Fields the form does not show (a scenario's other options, a flood, an
// inject with absolute numbers) are kept as they are.

import { h } from './dom.js';
import { Translator, errorText, fieldDetail, readJSON } from './i18n.js';
import { Ladder } from './ladder.js';
import { formatTime } from './format.js';
import { MAX_SHARE_CHARS, appLink, decodeShare, encodeShare, shareErrorText } from './share.js';
import { blankScenario, getPath, numberOrText, parsePath, setPath, splitError } from './editmodel.js';

const CALLS = ['listen', 'connect', 'send', 'receive', 'shutdown', 'close', 'abort'];
const FLAGS = ['SYN', 'ACK', 'FIN', 'RST', 'PSH', 'URG', 'ECE', 'CWR'];
const ENDPOINTS = ['client', 'server'];
const PREVIEW_DELAY_MS = 700;

const errId = (field) => `err-${field.replace(/[^a-z0-9]+/gi, '-')}`;

/** fieldLabel is the name a reader sees for a form field: its aria-label,
 * its <label>, or a fieldset's legend (in the page's language). */
function fieldLabel(el) {
  const named = el.getAttribute('aria-label') ?? (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)?.textContent);
  return (named || el.querySelector?.(':scope > legend')?.textContent || '').trim();
}

class Editor {
  constructor(config, catalogues) {
    this.config = config;
    this.tr = new Translator(catalogues, config.lang);
    this.t = this.tr.t;
    this.sc = blankScenario();
    this.seq = 0;
    this.timer = 0;
    this.packed = '';
    this.form = document.getElementById('editor-form');
    this.stepsBody = document.querySelector('#ed-steps tbody');
    this.faultsBox = document.getElementById('ed-faults');
    this.status = document.getElementById('ed-status');
    this.error = document.getElementById('ed-error');
    this.bind();
    this.start();
  }

  bind() {
    this.form.addEventListener('input', (e) => this.edited(e.target));
    this.form.addEventListener('change', (e) => this.edited(e.target, true));
    this.form.addEventListener('submit', (e) => e.preventDefault());
    this.form.addEventListener('click', (e) => this.click(e));
    document.getElementById('ed-run').addEventListener('click', () => this.run({ focus: true }));
    document.getElementById('ed-load').addEventListener('click', () => this.loadBuiltin(document.getElementById('ed-start').value));
    document.getElementById('ed-download').addEventListener('click', () => this.download());
    document.getElementById('ed-copy').addEventListener('click', () => this.copyLink());
    document.getElementById('ed-open').addEventListener('click', (e) => {
      if (e.currentTarget.getAttribute('aria-disabled') === 'true') e.preventDefault();
    });
    this.error.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-goto]');
      if (b) this.focusField(b.dataset.goto);
    });
    for (const a of document.querySelectorAll('nav.lang a[hreflang]')) {
      a.addEventListener('click', (e) => {
        e.preventDefault();
        this.setLanguage(a.hreflang);
      });
    }
  }

  async start() {
    const s = new URLSearchParams(location.search).get('s');
    if (s) {
      try {
        this.show(await decodeShare(s));
      } catch (err) {
        this.show(blankScenario());
        this.generalError(shareErrorText(err, this.t));
        return;
      }
    } else if (this.config.start) {
      await this.loadBuiltin(this.config.start);
      return;
    } else {
      this.show(blankScenario());
    }
    this.run({});
  }

  async loadBuiltin(id) {
    if (!id) {
      this.show(blankScenario());
      this.run({});
      return;
    }
    try {
      const res = await fetch(`/api/scenarios/${encodeURIComponent(id)}`);
      const body = await res.json();
      if (!res.ok) throw new Error(body.error ?? res.statusText);
      this.show(body);
      this.run({});
    } catch (err) {
      this.generalError(this.t('editor.load_failed', { error: err.message }));
    }
  }

  /** show puts a scenario in the form. */
  show(sc) {
    this.sc = sc && typeof sc === 'object' ? sc : blankScenario();
    if (!Array.isArray(this.sc.steps)) this.sc.steps = [];
    if (!Array.isArray(this.sc.faults)) this.sc.faults = [];
    for (const el of this.form.querySelectorAll('.meta [data-field]')) {
      const v = getPath(this.sc, el.dataset.field);
      if (el.tagName === 'SELECT') el.value = v ?? el.options[0].value;
      else el.value = v ?? '';
    }
    this.showKeptOptions();
    this.renderSteps();
    this.renderFaults();
    this.clearErrors();
  }

  showKeptOptions() {
    const shown = new Set([...this.form.querySelectorAll('.options [data-field]')].map((el) => el.dataset.field.replace('options.', '')));
    const kept = Object.keys(this.sc.options ?? {}).filter((k) => !shown.has(k));
    const el = document.getElementById('ed-options-kept');
    el.hidden = kept.length === 0;
    el.textContent = kept.length ? this.t('editor.options_kept', { options: kept.map((k) => `${k}: ${JSON.stringify(this.sc.options[k])}`).join(', ') }) : '';
  }

  // ---- Rows -----------------------------------------------------------

  control(kind, field, label, value, { options = [], ...extra } = {}) {
    const id = `ed-${field.replace(/[^a-z0-9]+/gi, '-')}`;
    let el;
    if (kind === 'select') {
      // A value the form does not know (from a shared link) stays, for the
      // server to name.
      const known = options.some(([v]) => v === value);
      const all = known ? options : options.concat([[value ?? '', String(value ?? '')]]);
      el = h('select', { id, 'data-field': field, 'aria-label': label, 'aria-describedby': errId(field), ...extra },
        ...all.map(([v, text]) => h('option', { value: v, selected: v === (value ?? ''), text })));
    } else {
      el = h('input', { id, type: 'text', 'data-field': field, 'aria-label': label, 'aria-describedby': errId(field), value: value ?? '', autocomplete: 'off', spellcheck: 'false', ...extra });
    }
    return [el, h('p', { class: 'field-error', id: errId(field), hidden: true })];
  }

  renderSteps() {
    const t = this.t;
    const rows = this.sc.steps.map((st, i) => {
      const f = `steps[${i}]`;
      const n = i + 1;
      // The call's controls stand in its endpoint's column (the client's
      // for an endpoint the form does not know).
      const home = st.endpoint === 'server' ? 'server' : 'client';
      const lane = (ep) => {
        if (ep !== home) return h('td', { class: `lane ${ep}` });
        return h('td', { class: `lane ${ep}` },
          h('div', { class: 'cell' },
            ...this.control('select', `${f}.endpoint`, t('editor.step_endpoint', { n }), st.endpoint, { options: ENDPOINTS.map((e) => [e, t(`ep.${e}`)]) }),
            ...this.control('select', `${f}.call`, t('editor.step_call', { n }), st.call, { options: CALLS.map((c) => [c, `${c}()`]) }),
            ...(st.call === 'send' ? this.control('input', `${f}.data`, t('editor.step_data', { n }), st.data, { class: 'data', placeholder: t('editor.data_placeholder') }) : [])));
      };
      return h('tr', { class: `step step--${home}`, 'data-field': f },
        h('th', { scope: 'row' }, String(n), h('p', { class: 'field-error', id: errId(f), hidden: true })),
        h('td', { class: 'time' }, ...this.control('input', `${f}.at_ms`, t('editor.step_time', { n }), st.at_ms, { inputmode: 'numeric', size: 8 })),
        lane('client'),
        lane('server'),
        h('td', { class: 'order' }, this.orderButtons('step', i, this.sc.steps.length, n)));
    });
    this.stepsBody.replaceChildren(...rows);
    if (rows.length === 0) this.stepsBody.append(h('tr', {}, h('td', { colspan: 5, class: 'hint', text: t('editor.no_steps') })));
  }

  orderButtons(kind, i, count, n) {
    const t = this.t;
    const b = (act, key, disabled) =>
      h('button', { type: 'button', class: `icon-btn ${act}`, 'data-act': act, 'data-kind': kind, 'data-i': i, 'aria-label': t(key, { n }), title: t(key, { n }), 'aria-disabled': disabled ? 'true' : null, text: { up: '↑', down: '↓', remove: '✕' }[act] });
    return h('span', { class: 'order-buttons' }, b('up', `editor.${kind}_up`, i === 0), b('down', `editor.${kind}_down`, i === count - 1), b('remove', `editor.${kind}_remove`, false));
  }

  renderFaults() {
    const t = this.t;
    const boxes = this.sc.faults.map((ft, i) => {
      const f = `faults[${i}]`;
      const n = i + 1;
      const kind = ft && typeof ft === 'object' ? Object.keys(ft)[0] : '';
      const body = ft?.[kind] ?? {};
      const editable = (kind === 'drop' && body.segment == null) || (kind === 'inject' && body.seq == null && body.ack == null);
      const kids = [];
      if (!editable) {
        kids.push(h('p', { class: 'hint', text: t('editor.fault_kept') }), h('pre', { class: 'kept' }, h('code', { text: JSON.stringify(ft) })));
      } else {
        const p = `${f}.${kind}`;
        const fromField = (field) => this.labelled(t('editor.fault_from'),
          this.control('select', field, t('editor.fault_from'), body.from, { options: ENDPOINTS.map((e) => [e, t(`ep.${e}`)]) }));
        if (kind === 'inject') kids.push(this.labelled(t('editor.col_time'), this.control('input', `${p}.at_ms`, t('editor.col_time'), body.at_ms, { inputmode: 'numeric', size: 8 })));
        kids.push(fromField(`${p}.from`));
        kids.push(this.flagBoxes(`${p}.flags`, body.flags));
        if (kind === 'drop') {
          kids.push(this.labelled(t('editor.fault_nth'), this.control('input', `${p}.nth`, t('editor.fault_nth'), body.nth, { inputmode: 'numeric', size: 4 })));
        } else {
          kids.push(this.labelled(t('editor.fault_rel_seq'), this.control('input', `${p}.rel_seq`, t('editor.fault_rel_seq'), body.rel_seq, { inputmode: 'numeric', size: 8 })));
          kids.push(this.labelled(t('editor.fault_rel_ack'), this.control('input', `${p}.rel_ack`, t('editor.fault_rel_ack'), body.rel_ack, { inputmode: 'numeric', size: 8 })));
          kids.push(this.labelled(t('editor.fault_data'), this.control('input', `${p}.data`, t('editor.fault_data'), body.data, { class: 'data' })));
        }
      }
      const legend = t(kind === 'drop' || kind === 'inject' ? `editor.fault_${kind}` : 'editor.fault_other', { n, kind });
      return h('fieldset', { class: `fault fault--${kind}`, 'data-field': f, 'aria-describedby': errId(f) },
        h('legend', { text: legend }),
        h('div', { class: 'fault-fields' }, ...kids),
        this.orderButtons('fault', i, this.sc.faults.length, n),
        h('p', { class: 'field-error', id: errId(f), hidden: true }));
    });
    this.faultsBox.replaceChildren(...boxes);
    if (boxes.length === 0) this.faultsBox.append(h('p', { class: 'hint', text: t('editor.no_faults') }));
  }

  /** labelled gives a control a visible label (controls from control()). */
  labelled(text, [el, err]) {
    el.removeAttribute('aria-label');
    return h('div', { class: 'field' }, h('label', { for: el.id, text }), el, err);
  }

  flagBoxes(field, flags) {
    const t = this.t;
    const set = new Set(Array.isArray(flags) ? flags : []);
    return h('fieldset', { class: 'flags', 'data-field': field, 'aria-describedby': errId(field) },
      h('legend', { text: t('editor.fault_flags') }),
      ...FLAGS.map((fl) => h('label', {}, h('input', { type: 'checkbox', 'data-flag': fl, checked: set.has(fl) }), ` ${fl}`)),
      h('p', { class: 'field-error', id: errId(field), hidden: true }));
  }

  // ---- Changes --------------------------------------------------------

  edited(el, committed = false) {
    const box = el.closest('[data-field]');
    if (!box) return;
    const field = el.dataset.field ?? box.dataset.field;
    if (el.dataset.flag) {
      setPath(this.sc, box.dataset.field, [...box.querySelectorAll('input[data-flag]:checked')].map((x) => x.dataset.flag));
    } else if (/\.inject\.data$/.test(field)) {
      setPath(this.sc, field, el.value === '' ? undefined : el.value);
    } else if (/^title\.|^profile$|\.(data|endpoint|call|from)$/.test(field)) {
      setPath(this.sc, field, el.value);
    } else {
      setPath(this.sc, field, numberOrText(el.value));
    }
    if (committed && /^steps\[\d+\]\.(endpoint|call)$/.test(field)) {
      const i = parsePath(field)[1];
      const st = this.sc.steps[i];
      if (st.call === 'send') st.data ??= 'hello';
      else delete st.data;
      this.renderSteps();
      document.querySelector(`[data-field="${CSS.escape(field)}"]`)?.focus();
    }
    this.schedule();
  }

  click(e) {
    const add = e.target.closest('button[data-add-step], button[data-add-fault], #ed-sort');
    if (add) {
      if (add.id === 'ed-sort') this.sortSteps();
      else if (add.dataset.addStep) this.addStep(add.dataset.addStep);
      else this.addFault(add.dataset.addFault);
      return;
    }
    const b = e.target.closest('button[data-act]');
    if (!b || b.getAttribute('aria-disabled') === 'true') return;
    const kind = b.dataset.kind;
    const list = kind === 'step' ? this.sc.steps : this.sc.faults;
    const i = Number(b.dataset.i);
    const act = b.dataset.act;
    const button = (a, k) => document.querySelector(`button[data-kind="${kind}"][data-i="${k}"][data-act="${a}"]`);
    let target;
    if (act === 'remove') {
      list.splice(i, 1);
      this.rerender(kind);
      target = list.length ? button('remove', Math.min(i, list.length - 1)) : document.querySelector(kind === 'step' ? '[data-add-step]' : '[data-add-fault]');
      this.status.textContent = this.t('editor.removed', { n: i + 1 });
    } else {
      const j = act === 'up' ? i - 1 : i + 1;
      [list[i], list[j]] = [list[j], list[i]];
      this.rerender(kind);
      // At an end of the list the button is disabled: the other one then.
      target = button(act, j);
      if (target?.getAttribute('aria-disabled') === 'true') target = button(act === 'up' ? 'down' : 'up', j);
      this.status.textContent = this.t('editor.moved', { n: j + 1 });
    }
    target?.focus();
    this.schedule();
  }

  rerender(kind) {
    if (kind === 'step') this.renderSteps();
    else this.renderFaults();
  }

  addStep(endpoint) {
    const steps = this.sc.steps;
    const last = steps.at(-1)?.at_ms;
    const at = Number.isFinite(last) ? last + 100 : 0;
    steps.push({ at_ms: at, endpoint, call: steps.length === 0 ? (endpoint === 'server' ? 'listen' : 'connect') : 'close' });
    this.renderSteps();
    document.querySelector(`[data-field="steps[${steps.length - 1}].at_ms"]`)?.focus();
    this.schedule();
  }

  addFault(kind) {
    const f = kind === 'drop'
      ? { drop: { from: 'client', flags: ['SYN'], nth: 1 } }
      : { inject: { at_ms: 300, from: 'client', flags: ['RST'], rel_seq: 1 } };
    this.sc.faults.push(f);
    this.renderFaults();
    document.querySelector(`[data-field="faults[${this.sc.faults.length - 1}].${kind}.from"]`)?.focus();
    this.schedule();
  }

  /** sortSteps orders the calls by time; calls at one time keep their order. */
  sortSteps() {
    const keyed = this.sc.steps.map((st, i) => ({ st, i, at: Number(st.at_ms) }));
    keyed.sort((a, b) => (Number.isFinite(a.at) && Number.isFinite(b.at) ? a.at - b.at : 0) || a.i - b.i);
    this.sc.steps = keyed.map((k) => k.st);
    this.renderSteps();
    this.status.textContent = this.t('editor.sorted');
    this.schedule();
  }

  // ---- Server ---------------------------------------------------------

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run({}), PREVIEW_DELAY_MS);
  }

  /** run checks and runs the scenario on the server and shows the result;
   * focus: move the focus to the field in error (an explicit run). */
  async run({ focus = false }) {
    clearTimeout(this.timer);
    const seq = ++this.seq;
    this.abort?.abort();
    this.abort = new AbortController();
    this.status.textContent = this.t('editor.running');
    let res;
    let body;
    try {
      res = await fetch('/api/run', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(this.sc),
        signal: this.abort.signal,
      });
      body = await res.json();
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (seq === this.seq) this.generalError(this.t('editor.offline'));
      return;
    }
    if (seq !== this.seq) return;
    this.clearErrors();
    if (!res.ok) {
      this.failed(res.status, body ?? { error: res.statusText }, focus);
      return;
    }
    this.preview(body);
    await this.showLink();
  }

  /** failed shows the server's answer to an invalid scenario, {error, code,
   * args}, in the page's language: beside the field it names, by that
   * field's own label. */
  failed(status, body, focus) {
    this.status.textContent = this.t('editor.invalid');
    this.setLink('');
    // The preview is of the last valid scenario.
    document.getElementById('ed-preview').classList.add('stale');
    const msg = String(body?.error ?? '');
    const field = status !== 400 ? '' : body?.args?.field ?? splitError(msg).field;
    const el = field ? this.fieldElement(field) : null;
    if (!el) {
      this.generalError(errorText(body, this.t));
      return;
    }
    const label = fieldLabel(el) || field;
    const detail = fieldDetail(body?.args, this.t) ?? msg;
    const err = document.getElementById(errId(el.dataset.field)) ?? document.getElementById(el.getAttribute('aria-describedby')?.split(' ').at(-1) ?? '');
    if (err) {
      err.textContent = this.t('editor.field_error', { field: label, detail });
      err.hidden = false;
    }
    el.setAttribute('aria-invalid', 'true');
    this.generalError(this.t('editor.invalid_field', { field: label }), el.dataset.field, label);
    if (focus) this.focusField(el.dataset.field);
  }

  /** focusField focuses the input of a field path, or the first input in
   * a row or a group of check boxes it names. */
  focusField(field) {
    const el = document.querySelector(`[data-field="${CSS.escape(field)}"]`);
    if (!el) return;
    (el.matches('input, select, textarea') ? el : el.querySelector('input, select, textarea'))?.focus();
  }

  /** fieldElement is the input the server's field path names, or the
   * nearest one above it ("faults[0].drop.flags[1]" → the flags). */
  fieldElement(field) {
    let f = field;
    for (;;) {
      const el = document.querySelector(`[data-field="${CSS.escape(f)}"]`);
      if (el) return el;
      const cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
      if (cut <= 0) return null;
      f = f.slice(0, cut);
    }
  }

  generalError(msg, field, label = field) {
    this.error.replaceChildren(h('p', { text: msg }));
    if (field) this.error.append(h('button', { type: 'button', 'data-goto': field, text: this.t('editor.goto', { field: label }) }));
    this.error.hidden = false;
  }

  clearErrors() {
    for (const el of document.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
    for (const el of document.querySelectorAll('.field-error')) {
      if (el === this.error) continue;
      el.hidden = true;
      el.textContent = '';
    }
    this.error.hidden = true;
    this.error.replaceChildren();
  }

  preview(trace) {
    const events = trace.events ?? [];
    const segments = events.filter((e) => e.kind === 'segment').length;
    const end = events.reduce((m, e) => Math.max(m, e.t_ms ?? 0, e.arrive_ms ?? 0), 0);
    this.status.textContent = this.t('editor.preview_ok', { events: events.length, segments, end: formatTime(end) });
    document.getElementById('ed-preview').classList.remove('stale');
    if (!this.ladder) this.ladder = new Ladder(document.getElementById('ed-preview'), { t: this.t });
    this.ladder.setEvents(events, trace.endpoints);
    this.ladder.setTime(Infinity);
  }

  async showLink() {
    const packed = await encodeShare(this.sc);
    if (packed.length > MAX_SHARE_CHARS) {
      this.setLink('');
      this.status.textContent += ` ${this.t('export.too_big_for_link', { n: packed.length, max: MAX_SHARE_CHARS })}`;
      return;
    }
    this.setLink(packed);
    const u = new URL(location.href);
    u.search = new URLSearchParams({ s: packed, lang: this.tr.lang }).toString();
    history.replaceState(null, '', u);
  }

  setLink(packed) {
    this.packed = packed;
    const open = document.getElementById('ed-open');
    const copy = document.getElementById('ed-copy');
    const input = document.getElementById('ed-link');
    if (packed) {
      open.href = appLink(this.config.publicURL || location.origin, { s: packed, lang: this.tr.lang });
      input.value = open.href;
      open.removeAttribute('aria-disabled');
      copy.removeAttribute('aria-disabled');
      input.closest('label').hidden = false;
    } else {
      open.removeAttribute('href');
      open.setAttribute('aria-disabled', 'true');
      copy.setAttribute('aria-disabled', 'true');
      input.closest('label').hidden = true;
    }
  }

  async copyLink() {
    const input = document.getElementById('ed-link');
    if (!this.packed) return;
    try {
      await navigator.clipboard.writeText(input.value);
      this.status.textContent = this.t('export.copied');
    } catch {
      input.focus();
      input.select();
      this.status.textContent = this.t('export.copy_manually');
    }
  }

  download() {
    const name = `${String(this.sc.id || 'scenario').replace(/[^a-z0-9-]/g, '') || 'scenario'}.json`;
    const url = URL.createObjectURL(new Blob([JSON.stringify(this.sc, null, 2)], { type: 'application/json' }));
    const a = h('a', { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  setLanguage(lang) {
    if (!this.tr.catalogues[lang] || lang === this.tr.lang) return;
    this.tr.lang = lang;
    document.documentElement.lang = lang;
    document.title = this.t('editor.page_title');
    this.tr.apply();
    for (const a of document.querySelectorAll('nav.lang a[hreflang]')) {
      if (a.hreflang === lang) a.setAttribute('aria-current', 'true');
      else a.removeAttribute('aria-current');
    }
    for (const a of document.querySelectorAll('a[data-lang-link]')) a.href = `/?lang=${lang}`;
    const u = new URL(location.href);
    u.searchParams.set('lang', lang);
    history.replaceState(null, '', u);
    this.renderSteps();
    this.renderFaults();
    this.showKeptOptions();
    this.ladder?.destroy();
    this.ladder = null;
    this.run({});
  }
}

const config = readJSON('synack-editor');
const catalogues = readJSON('synack-i18n');
if (config && catalogues) new Editor(config, catalogues);
