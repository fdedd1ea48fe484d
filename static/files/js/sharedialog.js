// The app's "Share / embed" dialog: the diagram as SVG or PNG, the trace as
// JSON, a capture (pcap) or Mermaid text, a link that opens the same run,
// and an iframe snippet for a course page. Loaded when first opened.
//
// What the server can reproduce is a scenario. A built-in scenario played
// as it is has its own addresses (GET /api/scenarios/{id}/…). A custom
// scenario, the sandbox or a run the reader changed (socket calls, segments
// lost in flight) is sent whole: POST /api/run for the downloads, packed
// into the address (?s=) for links. For a changed run that scenario is the
// one the server's engine recorded (its live list, export.js liveScenario),
// and the dialog runs it once to confirm that it reproduces what the reader
// sees.

import { h } from './dom.js';
import { compareRuns, diagramSVG, fileStem, liveScenario, pngScale, svgToPNG } from './export.js';
import { MAX_SHARE_CHARS, appLink, embedLink, embedSnippet, encodeShare } from './share.js';

const SPEEDS = ['0.01', '0.1', '0.25', '1', '10', 'max'];
const DEFAULT_SPEED = '0.1';


/** download saves a Blob under name. */
function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export class ShareDialog {
  constructor(app) {
    this.app = app;
    this.t = app.tr.t;
    this.build();
  }

  build() {
    const t = this.t;
    const field = (id, key, input, hint) =>
      h('div', { class: 'field' }, h('label', { for: id, text: t(key) }), input, hint ? h('p', { class: 'hint', id: `${id}-hint`, text: t(hint) }) : null);
    const button = (attrs, key) => h('button', { type: 'button', ...attrs, text: t(key) });
    const numberInput = (id, value, attrs = {}) => h('input', { id, type: 'text', inputmode: 'numeric', value, autocomplete: 'off', size: 6, ...attrs });

    this.note = h('p', { class: 'share-note', id: 'share-note', hidden: true });
    this.scope = h('fieldset', { class: 'share-scope', hidden: true },
      h('legend', { text: t('export.scope') }),
      h('label', {}, h('input', { type: 'radio', name: 'share-scope', value: 'whole', checked: true }), ' ', t('export.scope_whole')),
      h('label', {}, h('input', { type: 'radio', name: 'share-scope', value: 'shown' }), ' ', h('span', { id: 'share-scope-shown' })));
    this.white = h('input', { type: 'checkbox', id: 'share-white', checked: true });
    this.scale = h('select', { id: 'share-scale' }, h('option', { value: '2', text: '2×' }), h('option', { value: '3', text: '3×' }));
    const diagram = h('section', { 'aria-labelledby': 'share-diagram-h' },
      h('h3', { id: 'share-diagram-h', text: t('export.diagram') }),
      this.scope,
      h('p', {}, h('label', {}, this.white, ' ', t('export.white'))),
      field('share-scale', 'export.scale', this.scale, 'export.scale_hint'),
      h('div', { class: 'row-actions' }, button({ 'data-export': 'svg' }, 'export.svg'), button({ 'data-export': 'png' }, 'export.png')));

    this.traceLinks = h('ul', { class: 'share-files' });
    const trace = h('section', { 'aria-labelledby': 'share-trace-h' },
      h('h3', { id: 'share-trace-h', text: t('export.trace') }),
      this.traceLinks);

    this.link = h('input', { id: 'share-link', type: 'text', readonly: true });
    this.linkCopy = button({ 'data-copy': 'share-link' }, 'export.copy');
    this.linkNote = h('p', { class: 'hint', id: 'share-link-note', hidden: true });
    const link = h('section', { 'aria-labelledby': 'share-link-h' },
      h('h3', { id: 'share-link-h', text: t('export.link') }),
      h('div', { class: 'copy-row' }, h('label', { for: 'share-link', class: 'visually-hidden', text: t('export.link') }), this.link, this.linkCopy),
      this.linkNote);

    this.opts = {
      autoplay: h('input', { type: 'checkbox', id: 'share-autoplay' }),
      speed: h('select', { id: 'share-speed' }, ...SPEEDS.map((s) => h('option', { value: s, selected: s === DEFAULT_SPEED, text: s === 'max' ? t('ctl.speed_max') : `${s}×` }))),
      lang: h('select', { id: 'share-lang' },
        h('option', { value: '', text: t('export.lang_reader') }),
        h('option', { value: 'en', text: t('lang.en') }),
        h('option', { value: 'zh', text: t('lang.zh') })),
      from: numberInput('share-from', ''),
      to: numberInput('share-to', ''),
      width: numberInput('share-width', '100%', { inputmode: 'text' }),
      height: numberInput('share-height', '560'),
      parent: h('input', { id: 'share-parent', type: 'text', placeholder: 'https://course.example.edu', autocomplete: 'off', spellcheck: 'false' }),
    };
    this.opts.lang.value = this.app.tr.lang;
    this.snippet = h('textarea', { id: 'share-snippet', readonly: true, rows: 4, spellcheck: 'false' });
    this.embedOpen = h('a', { target: '_blank', rel: 'noopener', text: t('export.embed_preview') });
    this.rangeError = h('p', { class: 'field-error', id: 'share-range-err', hidden: true });
    const o = this.opts;
    this.embed = h('section', { 'aria-labelledby': 'share-embed-h' },
      h('h3', { id: 'share-embed-h', text: t('export.embed') }),
      h('div', { class: 'share-grid' },
        h('p', {}, h('label', {}, o.autoplay, ' ', t('export.autoplay'))),
        field('share-speed', 'ctl.speed', o.speed),
        field('share-lang', 'export.lang', o.lang),
        field('share-from', 'export.from', o.from),
        field('share-to', 'export.to', o.to),
        field('share-width', 'export.width', o.width),
        field('share-height', 'export.height', o.height)),
      h('div', { class: 'share-parent' }, field('share-parent', 'export.parent', o.parent, 'export.parent_hint')),
      h('p', { class: 'hint', id: 'share-range-hint', text: t('export.range_hint') }),
      this.rangeError,
      h('label', { for: 'share-snippet', text: t('export.snippet') }),
      this.snippet,
      h('div', { class: 'row-actions' }, button({ 'data-copy': 'share-snippet' }, 'export.copy'), this.embedOpen),
      h('p', { class: 'hint', text: t('export.messages_hint') }));
    o.from.setAttribute('aria-describedby', 'share-range-hint share-range-err');
    o.to.setAttribute('aria-describedby', 'share-range-hint share-range-err');

    this.status = h('p', { class: 'status', id: 'share-status', role: 'status', 'aria-live': 'polite' });
    this.dialog = h('dialog', { id: 'share', class: 'share-dialog', 'aria-labelledby': 'share-h' },
      h('h2', { id: 'share-h', text: t('export.title') }),
      this.note, diagram, trace, link, this.embed, this.status,
      h('form', { method: 'dialog' }, h('button', { type: 'submit', text: t('help.close') })));
    document.body.append(this.dialog);

    // The app's single-key shortcuts stay outside: here keys are typing.
    this.dialog.addEventListener('keydown', (e) => e.stopPropagation());
    this.dialog.addEventListener('close', () => document.getElementById('share-open')?.focus());
    this.dialog.addEventListener('click', (e) => this.click(e));
    for (const el of Object.values(o)) el.addEventListener(el.tagName === 'SELECT' || el.type === 'checkbox' ? 'change' : 'input', () => this.showEmbed());
  }

  /** open works out what the run is and shows the dialog. */
  async open() {
    this.status.textContent = '';
    this.source = this.describeRun();
    this.showNote();
    const s = this.app.store;
    this.scope.hidden = s.done || s.events.length === 0;
    this.dialog.querySelector('#share-scope-shown').textContent = this.t('export.scope_shown', { n: s.events.length });
    this.showTraceLinks();
    if (!this.dialog.open) this.dialog.showModal();
    await this.showLinks();
    if (this.source.rebuilt) this.check(this.source);
  }

  /**
   * describeRun is what the server can reproduce of the run on the page:
   * {id, builtin, scenario, rebuilt, calls, drops, title}. scenario is null
   * for a built-in played as it is, and for a sandbox with nothing done.
   */
  describeRun() {
    const { app } = this;
    const s = app.store;
    const id = s.scenarioId;
    const title = app.titleOf(id);
    const base = { id, builtin: false, scenario: null, rebuilt: false, calls: 0, drops: 0, title };
    const plain = id === 'sandbox' ? base : id === 'custom' ? { ...base, scenario: app.custom } : { ...base, builtin: true };
    if (s.live.length === 0) return plain;
    const loaded = s.scenario ?? (id === 'sandbox' ? app.sandboxScenario() : app.custom);
    const suffix = app.bilingual('export.changed_suffix');
    const eff = liveScenario(loaded, s.live.map((r) => r.live), { suffix });
    // Actions stepped back over are gone: then the run is the scenario's.
    if (eff.calls === 0 && eff.drops === 0) return plain;
    const t = eff.scenario.title?.[app.tr.lang] || eff.scenario.title?.en || title;
    return { ...base, scenario: eff.scenario, rebuilt: true, calls: eff.calls, drops: eff.drops, title: t };
  }

  get stem() {
    const src = this.source;
    return fileStem(src.builtin ? src.id : src.scenario?.id || src.title);
  }

  showNote(extra) {
    const src = this.source;
    const parts = [];
    if (src.rebuilt) parts.push(this.t('export.rebuilt', { calls: src.calls, drops: src.drops }));
    if (extra) parts.push(extra);
    this.note.textContent = parts.join(' ');
    this.note.hidden = parts.length === 0;
  }

  /** check runs the rebuilt scenario and says whether it is the run shown. */
  async check(src) {
    this.showNote(this.t('export.checking'));
    try {
      const tr = await this.run(src.scenario, '');
      const live = this.app.store.events;
      const cmp = compareRuns(live, (await tr.json()).events);
      if (this.source !== src) return;
      this.showNote(cmp.same ? this.t('export.check_same') : this.t('export.check_differs', { n: cmp.at }));
    } catch (err) {
      if (this.source === src) this.showNote(String(err.message));
    }
  }

  /** run posts a scenario to /api/run; an error answer throws its words. */
  async run(scenario, format) {
    const q = format ? `?format=${format}${format === 'mermaid' || format === 'pcapng' ? `&lang=${this.app.tr.lang}` : ''}${format === 'mermaid' ? `&numbering=${this.app.store.numbering}` : ''}` : '';
    const res = await fetch(`/api/run${q}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(scenario) });
    if (!res.ok) {
      let msg = res.statusText;
      try {
        msg = (await res.json()).error ?? msg;
      } catch {
        // not JSON: the status says enough
      }
      throw new Error(this.t('export.server_error', { error: msg }));
    }
    return res;
  }

  showTraceLinks() {
    const t = this.t;
    const src = this.source;
    const lang = this.app.tr.lang;
    const items = [
      { kind: 'trace', key: 'index.trace_json', format: '', ext: 'trace.json' },
      { kind: 'pcap', key: 'index.trace_pcap', format: 'pcap', ext: 'pcap' },
      { kind: 'pcapng', key: 'index.trace_pcapng', format: 'pcapng', ext: 'pcapng' },
      { kind: 'mermaid', key: 'index.trace_mermaid', format: 'mermaid', ext: 'mmd' },
      { kind: 'scenario', key: 'index.scenario_json', ext: 'json' },
    ];
    const lis = [];
    if (src.builtin) {
      const api = `/api/scenarios/${encodeURIComponent(src.id)}`;
      const href = { trace: `${api}/trace`, pcap: `${api}/trace?format=pcap`, pcapng: `${api}/trace?format=pcapng&lang=${lang}`, mermaid: `${api}/trace?format=mermaid&lang=${lang}&numbering=${this.app.store.numbering}`, scenario: api };
      for (const it of items) lis.push(h('li', {}, h('a', { href: href[it.kind], download: `${src.id}.${it.ext}`, 'data-file': it.kind, text: t(it.key) })));
      lis.push(h('li', {}, h('a', { href: `/editor?scenario=${encodeURIComponent(src.id)}&lang=${lang}`, text: t('export.edit') })));
    } else if (src.scenario) {
      for (const it of items) lis.push(h('li', {}, h('button', { type: 'button', 'data-file': it.kind, 'data-format': it.format ?? null, 'data-ext': it.ext, text: t(it.key) })));
      this.editLink = h('a', { href: `/editor?lang=${lang}`, text: t('export.edit') });
      lis.push(h('li', {}, this.editLink));
    } else {
      lis.push(h('li', { class: 'hint', text: t('export.nothing_yet') }));
    }
    this.traceLinks.replaceChildren(...lis);
  }

  /** showLinks fills the link and the snippet in. */
  async showLinks() {
    const src = this.source;
    const base = this.app.config.publicURL || location.origin;
    const lang = this.app.tr.lang;
    this.packed = '';
    this.linkNote.hidden = true;
    if (src.builtin || !src.scenario) {
      this.link.value = appLink(base, { id: src.id, lang });
    } else {
      this.packed = this.app.shareParam && src.scenario === this.app.custom ? this.app.shareParam : await encodeShare(src.scenario);
      if (this.packed.length > MAX_SHARE_CHARS) {
        this.linkNote.textContent = this.t('export.too_big_for_link', { n: this.packed.length, max: MAX_SHARE_CHARS });
        this.linkNote.hidden = false;
        this.packed = '';
        this.link.value = '';
      } else {
        this.link.value = appLink(base, { s: this.packed, lang });
      }
      if (this.editLink && this.packed) this.editLink.href = `/editor?${new URLSearchParams({ s: this.packed, lang })}`;
    }
    this.linkCopy.setAttribute('aria-disabled', String(!this.link.value));
    this.showEmbed();
  }

  /** showEmbed writes the iframe snippet for the options chosen. */
  showEmbed() {
    const src = this.source;
    if (!src) return;
    const o = this.opts;
    const canEmbed = src.builtin || Boolean(this.packed);
    this.embed.hidden = !canEmbed;
    if (!canEmbed) return;
    const from = o.from.value.trim();
    const to = o.to.value.trim();
    const bad = [from, to].some((v) => v !== '' && !/^[1-9]\d*$/.test(v)) || (from && to && Number(to) < Number(from));
    this.rangeError.hidden = !bad;
    this.rangeError.textContent = bad ? this.t('export.range_error') : '';
    for (const el of [o.from, o.to]) el.setAttribute('aria-invalid', String(Boolean(bad)));
    const parent = o.parent.value.trim();
    const src2 = embedLink(this.app.config.publicURL || location.origin, {
      id: src.builtin ? src.id : undefined,
      s: src.builtin ? undefined : this.packed,
      autoplay: o.autoplay.checked,
      speed: o.speed.value === DEFAULT_SPEED ? '' : o.speed.value,
      lang: o.lang.value,
      from: bad ? 0 : from,
      to: bad ? 0 : to,
      parent: /^https?:\/\/[^/\s]+$/.test(parent) ? parent : '',
    });
    this.snippet.value = embedSnippet({ src: src2, title: `${src.title} · synack`, width: o.width.value.trim(), height: o.height.value.trim() });
    this.embedOpen.href = src2;
  }

  async click(e) {
    const b = e.target.closest('button[data-export], button[data-file], button[data-copy]');
    if (!b || b.getAttribute('aria-disabled') === 'true') return;
    try {
      if (b.dataset.export) await this.exportDiagram(b.dataset.export);
      else if (b.dataset.file) await this.downloadFile(b.dataset.file, b.dataset.format, b.dataset.ext);
      else if (b.dataset.copy) await this.copy(document.getElementById(b.dataset.copy));
    } catch (err) {
      this.status.textContent = String(err.message ?? err);
    }
  }

  async downloadFile(kind, format, ext) {
    const src = this.source;
    const name = `${this.stem}.${ext}`;
    if (kind === 'scenario') {
      download(new Blob([JSON.stringify(src.scenario, null, 2)], { type: 'application/json' }), name);
      return;
    }
    this.status.textContent = this.t('export.working');
    const res = await this.run(src.scenario, format);
    download(await res.blob(), name);
    this.status.textContent = this.t('export.saved', { name });
  }

  /** events are what the diagram export draws: the run so far, or whole. */
  async diagramEvents() {
    const s = this.app.store;
    const whole = this.dialog.querySelector('input[name="share-scope"]:checked')?.value === 'whole';
    if (s.done || !whole) return { events: s.events, endpoints: s.endpoints };
    // The ladder's plan is the whole run already (right after opening, too).
    const plan = this.app.wholeRun();
    if (plan) return plan;
    const src = this.source;
    let res;
    if (src.builtin) {
      res = await fetch(`/api/scenarios/${encodeURIComponent(src.id)}/trace`);
      if (!res.ok) throw new Error(this.t('export.server_error', { error: res.statusText }));
    } else if (src.scenario) {
      res = await this.run(src.scenario, '');
    } else {
      return { events: s.events, endpoints: s.endpoints };
    }
    const tr = await res.json();
    return { events: tr.events, endpoints: tr.endpoints };
  }

  async exportDiagram(kind) {
    this.status.textContent = this.t('export.working');
    const { events, endpoints } = await this.diagramEvents();
    const app = this.app;
    const out = diagramSVG(events, {
      t: app.tr.t,
      title: this.source.title,
      endpoints,
      numbering: app.store.numbering,
      flags: app.store.flagStyle,
      white: this.white.checked,
      theme: this.theme(),
      lang: app.tr.lang,
    });
    if (kind === 'svg') {
      const name = `${this.stem}.svg`;
      download(new Blob([out.svg], { type: 'image/svg+xml' }), name);
      this.status.textContent = this.t('export.saved', { name });
      return;
    }
    const asked = Number(this.scale.value);
    const scale = pngScale(out.width, out.height, asked);
    const name = `${this.stem}@${scale}x.png`;
    download(await svgToPNG(out, scale), name);
    const saved = this.t('export.saved', { name });
    this.status.textContent = scale < asked ? `${saved} ${this.t('export.scaled_down', { scale })}` : saved;
  }

  /** theme is the page's colour scheme: the reader's choice, else the system's. */
  theme() {
    const chosen = document.documentElement.dataset.theme;
    if (chosen === 'light' || chosen === 'dark') return chosen;
    return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }

  async copy(el) {
    if (!el?.value) return;
    try {
      await navigator.clipboard.writeText(el.value);
      this.status.textContent = this.t('export.copied');
    } catch {
      // No clipboard here (an insecure origin, a denied permission): the
      // text is selected for the reader to copy.
      el.focus();
      el.select();
      this.status.textContent = this.t('export.copy_manually');
    }
  }
}
