// The page's entry point, for the app (/) and the embeddable view
// (/embed/{id}) alike: it reads the start-up data and the catalogues the
// server put in the page, opens the live session, and keeps the diagram,
// the panels and the controls in step with the store, redrawing at most
// once per animation frame.

import { Translator, errorText, readJSON } from './i18n.js';
import { Store, Session, savedRoom } from './session.js';
import { Ladder } from './ladder.js';
import { Controls, prefs } from './controls.js';
import { Keyboard } from './keyboard.js';
import { Announcer } from './announce.js';
import { describe, shownEvents } from './describe.js';
import { isnRefs, notationOf, segmentLabels } from './numbers.js';
import { EventList } from './panels/eventlist.js';
import { PlayRange } from './range.js';

const reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');

/** maxQuietMs is the longest real time play waits with nothing on the wire
 * before it skips to the next event. */
const maxQuietMs = 1500;

class App {
  /** SessionType is Session, or room.js's Follower on a page that follows a room. */
  constructor(config, catalogues, SessionType = Session) {
    this.config = config;
    this.mode = config.mode;
    /** custom is the scenario a shared link or a lesson carries whole. */
    this.custom = config.custom ?? null;
    this.shareParam = new URLSearchParams(location.search).get('s') ?? '';
    /** plan is the whole run of the scenario planFor, which the ladder
     * draws at once (the page carries the first; see showPlan). */
    this.plan = config.plan ?? null;
    this.planFor = this.plan ? config.scenario : null;
    this.tr = new Translator(catalogues, config.lang);
    if (SessionType.words) this.tr.add(SessionType.words);
    this.store = new Store();
    const totals = Object.fromEntries(config.scenarios.filter((s) => s.events).map((s) => [s.id, s.events]));
    this.session = new SessionType(this.store, { t: this.tr.t, totals });
    // The run the page carries is the one Step and Play pace by.
    if (this.plan) this.session.setScript?.(config.scenario, this.plan.events);
    this.announcer = new Announcer(document.getElementById('announcer'), this.tr.t);
    this.vt = 0; // the virtual time shown, in ms
    this.base = { vt: 0, real: 0 };
    this.eventsVersion = 0;
    this.drawnVersion = -1;
    this.viewsVersion = 0;
    this.panelsKey = '';
    this.refsCache = null;
    this.raf = 0;
    this.panels = {};
    this.controls = new Controls(this);
    this.keyboard = new Keyboard(this);
    this.controls.restore(config.speed ?? null);
    this.buildViews();
    this.store.on((c) => this.changed(c));
    if (this.mode === 'embed') this.startEmbed();
    document.getElementById('share-open')?.addEventListener('click', () => this.openShare());
    document.getElementById('room-open')?.addEventListener('click', () => this.openRoom());
    // "Open a capture…" (capture.js, loaded on demand): the button, or a
    // file dropped anywhere on the app page.
    document.getElementById('capture-open')?.addEventListener('click', () => this.openCapture());
    if (this.mode === 'app') {
      addEventListener('dragover', (e) => {
        if (e.dataTransfer?.types?.includes('Files')) e.preventDefault();
      });
      addEventListener('drop', (e) => {
        const file = e.dataTransfer?.files?.[0];
        if (!file) return;
        e.preventDefault();
        this.openCapture(file);
      });
    }
    // A presenter's reloaded tab takes its room back.
    const saved = this.mode === 'app' && !this.session.following ? savedRoom() : null;
    this.session.resume = saved;
    this.session.onResumeRefused = () => this.loadScenario(config.scenario, { replaceURL: false });
    // The room's messages wait for room.js (openRoom).
    if (saved) this.session.onOther = (msg) => (this.roomBacklog ??= []).push(msg);
    if (config.onKernel) {
      import('./kernel.js').then(({ startKernel }) => startKernel(this.session, this.tr.t, config.kernelRole));
    } else {
      this.session.connect();
    }
    for (const box of document.querySelectorAll('input[data-peer]')) {
      box.addEventListener('change', async (e) => {
        const { kernelURL } = await import('./kernel.js');
        location.assign(kernelURL(location.href, e.target.checked ? e.target.dataset.peer : ''));
      });
    }
    if (saved) {
      this.openRoom({ share: false });
      // A presenter who came here by a link or a typed address (not a
      // reload, not Back) asked for the scenario the address names: the
      // room takes it, and its viewers follow. A reload shows the room where
      // it was.
      if (navigationType() === 'navigate') this.loadScenario(config.scenario, { replaceURL: false });
    } else if (!this.session.following) this.loadScenario(config.scenario, { replaceURL: false });
  }

  /** buildViews makes the diagram and the panels, in the current language. */
  async buildViews() {
    const t = this.tr.t;
    this.ladder?.destroy();
    const root = document.getElementById('diagram');
    root.replaceChildren();
    this.ladder = new Ladder(root, {
      t,
      // The diagram may show fewer events than the store has (timers
      // hidden): its indices are those of view().shown.
      onSelect: (i) => this.store.select(this.view().shown?.[i] ?? i),
      onDrop: (id) => this.session.drop(id),
    });
    this.ladder.setNumbering(this.store.numbering, this.store.flagStyle);
    this.showPlan();
    this.drawnVersion = -1;
    const events = document.getElementById('events');
    if (events) this.panels.events = new EventList(events, { t, onSelect: (i) => this.store.select(i) });
    if (this.mode === 'app') {
      // The side panels are not part of the embed: load them only here.
      const [{ Explain }, { TCBPanel }, { StateDiagrams }, { Inspector }] = await Promise.all([
        import('./panels/explain.js'),
        import('./panels/tcb.js'),
        import('./panels/statediagram.js'),
        import('./panels/inspector.js'),
      ]);
      const has = (k) => this.tr.has(k);
      this.panels.explain = new Explain(document.getElementById('explain'), { t, has, addWords: (w) => this.tr.add(w) });
      this.panels.tcb = new TCBPanel(document.getElementById('tcb'), { t });
      this.panels.states = new StateDiagrams(document.getElementById('states'), { t });
      this.panels.inspector = new Inspector(document.getElementById('inspector'), { t });
    }
    this.viewsVersion++;
    this.schedule();
  }

  startEmbed() {
    if (this.config.from || this.config.to) {
      this.range = new PlayRange(this.config, this.session, this.store, () => this.schedule());
    }
    import('./embed.js').then(({ ParentLink }) => {
      this.parent = new ParentLink(this.config.parentOrigin);
      this.schedule();
    });
  }

  /**
   * showPlan gives the ladder the whole run of the scenario loaded, so that
   * it is drawn at once and playing walks through it: the page carries the
   * first scenario's; another built-in's comes from the API. A page that
   * reveals the run as it plays (?reveal=progressive), or follows a room,
   * has none.
   */
  showPlan() {
    if (!this.ladder) return;
    const id = this.store.scenarioId || this.config.scenario;
    const progressive = this.config.reveal === 'progressive' || this.session.following;
    if (progressive || id === 'sandbox' || (id === 'custom' && this.planFor !== id)) {
      this.ladder.setPlan(null);
      return;
    }
    if (this.planFor === id) {
      this.ladder.setPlan(this.plan && { events: this.planShown(), endpoints: isnRefs(this.plan.endpoints, this.plan.events) });
      return;
    }
    this.ladder.setPlan(null);
    this.planFor = id;
    this.plan = null;
    fetch(`/api/scenarios/${encodeURIComponent(id)}/trace`)
      .then((res) => (res.ok ? res.json() : null))
      .then((tr) => {
        if (!tr || this.planFor !== id) return;
        this.plan = tr.truncated ? null : { events: tr.events, endpoints: tr.endpoints };
        if (this.plan) this.session.setScript?.(id, tr.events);
        this.showPlan();
      })
      .catch(() => {}); // without it, the run is drawn as it plays
  }

  /** planShown is the plan's events the diagram draws: without timer
   * bookkeeping when it is hidden, as the events so far are. */
  planShown() {
    const evs = this.plan.events;
    if (!this.store.hideTimers) return evs;
    if (this.planShownCache?.from !== evs) this.planShownCache = { from: evs, events: shownEvents(evs).map((i) => evs[i]) };
    return this.planShownCache.events;
  }

  /** wholeRun is the plan of the run on the page, while the reader has not
   * changed it: {events, endpoints}, or null. */
  wholeRun() {
    const s = this.store;
    if (!this.plan || this.planFor !== s.scenarioId || s.altered || s.live?.length || s.events.some((e) => e.kind === 'drop')) return null;
    return { events: this.plan.events, endpoints: this.plan.endpoints };
  }

  /**
   * view is what describing events needs: the translator, the notation, the
   * ISN references, each segment's label as the diagram writes it (labels,
   * by event) and, when timer bookkeeping is hidden, the indices of the
   * events shown (shown; else null).
   */
  view() {
    const s = this.store;
    const key = `${this.eventsVersion}:${s.numbering}:${s.flagStyle}:${s.hideTimers}`;
    if (!this.refsCache || this.refsCache.key !== key) {
      const refs = isnRefs(s.endpoints, s.events);
      const all = segmentLabels(s.events, s.notation, refs);
      const labels = new Map();
      s.events.forEach((ev, i) => all[i] !== null && labels.set(ev, all[i]));
      this.refsCache = { key, refs, labels, shown: s.hideTimers ? shownEvents(s.events) : null };
    }
    const { refs, labels, shown } = this.refsCache;
    return { t: this.tr.t, numbering: s.numbering, notation: s.notation, refs, labels, shown };
  }

  changed(c) {
    const s = this.store;
    const now = performance.now();
    switch (c.what) {
      case 'loaded':
        this.eventsVersion++;
        this.showPlan();
        this.vt = 0;
        this.announcer.clear();
        this.announcer.say(this.tr.t('announce.loaded', { title: this.titleOf(s.scenarioId) }));
        if (this.session.following) this.showScenario();
        if (!this.range?.loaded(() => this.autoplay()) && this.autoplayPending) this.autoplay();
        break;
      case 'event':
        this.eventsVersion++;
        if (this.session.pacing) {
          // Play at a pace: its clock says the time.
        } else if (this.animating()) {
          if (c.event.t_ms > this.vt) this.base = { vt: c.event.t_ms, real: now };
        } else {
          this.vt = c.event.t_ms;
        }
        this.announcer.event(describe(c.event, this.view()).spoken);
        break;
      case 'rewound':
        this.eventsVersion++;
        this.vt = s.events.length ? s.events[s.latest].t_ms : 0;
        this.announcer.clear();
        this.announcer.say(this.tr.t('announce.rewound', { n: s.events.length }));
        break;
      case 'done':
        this.vt = this.endTime();
        this.announcer.event(this.tr.t('announce.done'));
        break;
      case 'play':
        this.base = { vt: this.vt, real: now };
        break;
      case 'error':
        this.announcer.say(s.error);
        break;
      case 'sheet':
        // A viewer's question sheet on a phone resized the ladder's box:
        // once laid out, show the current segment in what is left of it.
        requestAnimationFrame(() => requestAnimationFrame(() => this.ladder?.showCurrent()));
        break;
      case 'view':
        // A viewer follows the presenter's notation and selection, without
        // touching the notation it saved for itself.
        this.setNotation({ numbering: c.numbering, flags: s.flagStyle }, { save: false });
        s.select(c.selected);
        break;
    }
    if (c.what === 'event' || c.what === 'play' || c.what === 'loaded') this.watchQuiet();
    this.range?.changed(c.what);
    // One message per event shown (the frame would merge those of one instant).
    if ((c.what === 'event' || c.what === 'rewound') && this.parent && !this.range?.busy) this.parent.step(s.events.length, s.total);
    this.schedule();
  }

  autoplay() {
    if (!this.autoplayPending) return;
    this.autoplayPending = false;
    this.session.play(this.store.speed);
  }

  /**
   * watchQuiet skips a long quiet stretch while playing at a speed: when
   * nothing has happened for maxQuietMs and no segment is in flight (whose
   * arrival is worth watching), the next event comes at once.
   */
  watchQuiet() {
    clearTimeout(this.quietTimer);
    const s = this.store;
    if (!s.playing || s.speed === 'max' || this.session.pacing) return;
    this.quietTimer = setTimeout(() => {
      if (!s.playing || s.done) return;
      if (this.inFlight().length) {
        this.watchQuiet();
        return;
      }
      this.session.skipGap();
      this.watchQuiet();
    }, maxQuietMs);
  }

  /** animating: virtual time runs smoothly between events (the server
   * plays at a speed); at a pace, the page's own clock runs it. */
  animating() {
    const s = this.store;
    if (this.session.pacing) return true;
    return s.playing && s.speed !== 'max' && !reducedMotion.matches;
  }

  /** endTime is when the last thing in the run happens, arrivals included. */
  endTime() {
    let end = 0;
    for (const ev of this.store.events) end = Math.max(end, ev.t_ms, ev.arrive_ms ?? 0);
    return end;
  }

  /** inFlight lists the segments on the wire at the time shown. */
  inFlight() {
    const s = this.store;
    if (s.done) return [];
    const dropped = new Set(s.events.filter((e) => e.kind === 'drop').map((e) => e.cause_segment));
    return s.events.filter((e) => e.kind === 'segment' && e.fate === 'delivered' && e.t_ms <= this.vt &&
      this.vt < e.arrive_ms && !dropped.has(e.id));
  }

  schedule() {
    if (!this.raf) this.raf = requestAnimationFrame(() => this.frame());
  }

  frame() {
    this.raf = 0;
    const s = this.store;
    if (this.session.pacing) {
      // Without motion, the time shown moves from event to event.
      this.vt = reducedMotion.matches ? (s.events.at(-1)?.t_ms ?? 0) : s.clock;
    } else if (this.animating()) {
      const speed = typeof s.speed === 'number' ? s.speed : this.session.paceRate(s.speed);
      const run = this.base.vt + (performance.now() - this.base.real) * speed;
      this.vt = Math.max(this.vt, run);
    }
    const view = this.view();
    if (this.ladder) {
      const key = `${this.eventsVersion}:${s.hideTimers}`;
      if (this.drawnVersion !== key) {
        this.ladder.setEvents(view.shown ? view.shown.map((i) => s.events[i]) : s.events, view.refs);
        this.drawnVersion = key;
      }
      this.ladder.setTime(this.vt);
      this.ladder.select(view.shown ? shownPosition(view.shown, s.selected) : s.selected);
    }
    // The panels show the selected event: redraw them when it, the events,
    // the numbering or the views change, not on every animation frame.
    const key = `${this.eventsVersion}:${s.selected}:${s.numbering}:${s.flagStyle}:${s.hideTimers}:${this.viewsVersion}`;
    if (key !== this.panelsKey) {
      this.panelsKey = key;
      const p = this.panels;
      if (p.events && !p.events.root.closest('[hidden]')) p.events.render(s, view);
      p.explain?.render(s, view);
      p.tcb?.render(s, view.refs);
      p.states?.render(s);
      p.inspector?.render(s, view.refs);
    }
    this.controls.render(s);
    this.showStatus();
    if (this.parent) this.reportToParent();
    if (this.animating()) this.schedule();
  }

  /** reportToParent tells an embed's course page where the run is. */
  reportToParent() {
    const s = this.store;
    this.parent.progress(s.events.length, s.total, s.done);
    if (this.range?.busy) return;
    this.parent.step(s.events.length, s.total);
    const finished = s.done || Boolean(this.range?.ended);
    if (finished && !this.finishedPosted) this.parent.finished();
    this.finishedPosted = finished;
  }

  /** openRoom shares the session with a class (room.js); with share false
   * it only shows the panel of the room the session takes back. */
  async openRoom({ share = true } = {}) {
    if (!this.classroom) {
      const { Classroom } = await import('./room.js');
      this.classroom ??= new Classroom(this);
    }
    if (share) this.classroom.share();
  }

  /** openShare shows the dialog of downloads, links and embedding. */
  async openShare() {
    if (!this.shareDialog) {
      const { ShareDialog } = await import('./sharedialog.js');
      this.shareDialog ??= new ShareDialog(this);
    }
    this.shareDialog.open();
  }

  showStatus() {
    const el = document.getElementById('status');
    if (!el) return;
    const s = this.store;
    const t = this.tr.t;
    const parts = [];
    if (s.connection === 'connecting') parts.push(t('status.connecting'));
    if (s.connection === 'reconnecting') parts.push(t('status.reconnecting'));
    if (s.connection === 'replay') parts.push(t('status.replay'));
    if (s.connection === 'kernel') parts.push(t(s.kernelRunning ? 'kernel.running' : s.kernelRole === 'client' ? 'kernel.status_client' : 'kernel.status'));
    if (s.error) parts.push(s.error);
    el.textContent = parts.join(' ');
    el.classList.toggle('error', !!s.error);
    el.hidden = parts.length === 0;
  }

  titleOf(id) {
    if (id === 'sandbox') return this.tr.t('sandbox.title');
    const sc = this.config.scenarios.find((x) => x.id === id);
    return sc ? sc.title[this.tr.lang] || sc.title.en : id;
  }

  summaryOf(id) {
    if (id === 'sandbox') return this.tr.t('sandbox.summary');
    const sc = this.config.scenarios.find((x) => x.id === id);
    return sc ? sc.summary[this.tr.lang] || sc.summary.en : '';
  }

  /** sandboxScenario is the blank scenario of interactive mode. */
  sandboxScenario() {
    const text = (key) => this.bilingual(key);
    return {
      id: 'sandbox', title: text('sandbox.title'), summary: text('sandbox.summary'),
      // As the built-in scenarios: Linux, 10 ms each way.
      profile: 'linux', network: { one_way_delay_ms: 10 }, steps: [], until_ms: 3600000,
    };
  }

  loadScenario(id, { replaceURL = true } = {}) {
    const sandbox = id === 'sandbox';
    if (this.mode === 'embed' && this.config.autoplay && !this.autoplayed) {
      this.autoplayed = true;
      this.autoplayPending = true;
    }
    this.session.load(id, sandbox ? this.sandboxScenario() : id === 'custom' ? this.custom : undefined);
    const box = document.getElementById('sandbox');
    if (box) box.hidden = !sandbox;
    if (replaceURL) {
      const u = new URL(location.href);
      if (id === 'custom') {
        u.searchParams.delete('scenario');
        u.searchParams.set('s', this.shareParam);
      } else {
        u.searchParams.set('scenario', id);
        u.searchParams.delete('s');
      }
      history.replaceState(null, '', u);
    }
    this.showScenario();
  }

  /** showScenario writes the current scenario's title, summary and links. */
  showScenario() {
    const id = this.store.scenarioId;
    const title = this.titleOf(id);
    for (const el of document.querySelectorAll('[data-scenario-title]')) el.textContent = title;
    for (const el of document.querySelectorAll('[data-scenario-summary]')) el.textContent = this.summaryOf(id);
    document.title = this.mode === 'app' ? `${title} · ${this.tr.t('app.name')}` : title;
    const picker = document.getElementById('scenario');
    if (picker) {
      picker.value = id;
      for (const o of picker.options) if (o.value !== 'sandbox') o.textContent = this.titleOf(o.value);
    }
    const downloads = document.getElementById('downloads');
    if (downloads) {
      downloads.hidden = id === 'sandbox' || id === 'custom';
      const api = `/api/scenarios/${encodeURIComponent(id)}`;
      const links = {
        json: api,
        trace: `${api}/trace`,
        pcap: `${api}/trace?format=pcap`,
        pcapng: `${api}/trace?format=pcapng&lang=${this.tr.lang}`,
        mermaid: `${api}/trace?format=mermaid&lang=${this.tr.lang}&numbering=${this.store.numbering}`,
        embed: `/embed/${encodeURIComponent(id)}?lang=${this.tr.lang}`,
      };
      for (const a of downloads.querySelectorAll('a[data-download]')) a.href = links[a.dataset.download];
    }
    const open = document.querySelector('[data-open-app]');
    if (open) {
      const u = new URL(this.config.openURL || `/?scenario=${encodeURIComponent(id)}`, location.href);
      u.searchParams.set('lang', this.tr.lang);
      open.href = u.pathname + u.search;
    }
    for (const a of document.querySelectorAll('a[data-lang-link]')) {
      const u = new URL(a.href);
      u.searchParams.set('lang', this.tr.lang);
      a.href = u.pathname + u.search;
    }
  }

  setNumbering(n) {
    this.setNotation({ numbering: n, flags: this.store.flagStyle });
  }

  /**
   * setNotation chooses how segments are written, {numbering, flags}
   * (numbers.js): the one setting a room's viewers follow. The store says
   * "notation" when it changes.
   */
  setNotation(notation, { save = this.mode === 'app' } = {}) {
    const { numbering, flags } = notationOf(notation);
    const s = this.store;
    if (numbering === s.numbering && flags === s.flagStyle) return;
    s.numbering = numbering;
    s.flagStyle = flags;
    for (const r of document.querySelectorAll('input[name="numbering"]')) r.checked = r.value === numbering;
    const bits = document.getElementById('flag-bits');
    if (bits) bits.checked = flags === 'bits';
    if (save) {
      prefs.set('numbering', numbering);
      prefs.set('flags', flags === 'bits' ? 'bits' : null);
    }
    this.ladder?.setNumbering(numbering, flags);
    // Download Mermaid writes the numbers as the page does.
    const mmd = document.querySelector('#downloads a[data-download="mermaid"]');
    if (mmd?.href) {
      const u = new URL(mmd.href);
      u.searchParams.set('numbering', numbering);
      mmd.href = u.pathname + u.search;
    }
    this.panels.events?.invalidate();
    s.emit('notation');
    this.schedule();
  }

  /** setTimersShown shows or hides timer bookkeeping (?timers=0). */
  setTimersShown(on) {
    const s = this.store;
    if (s.hideTimers === !on) return;
    s.hideTimers = !on;
    const box = document.getElementById('show-timers');
    if (box) box.checked = on;
    this.showPlan();
    this.panels.events?.invalidate();
    this.schedule();
  }

  /** openCapture shows capture.js's view of a capture: file, or one the reader picks. */
  async openCapture(file) {
    const { CaptureView } = await import('./capture.js');
    this.captureView ??= await (this.capturePending ??= CaptureView.create(this));
    if (file) this.captureView.open(file);
    else this.captureView.pick();
  }

  /** bilingual is a message in every language: {en, zh}. */
  bilingual(key) {
    const both = this.config.bilingual?.[key];
    return both ?? { en: this.tr.t(key), zh: this.tr.t(key) };
  }

  /**
   * setLanguage switches the page's language without a reload. The page
   * carries its own language's catalogue; another is fetched the first
   * time the reader switches to it.
   */
  async setLanguage(lang) {
    if (lang === this.tr.lang || !['en', 'zh'].includes(lang)) return;
    if (!this.tr.catalogues[lang]) {
      try {
        const res = await fetch(`/i18n/${lang}.json`);
        if (!res.ok) throw new Error(res.statusText);
        this.tr.catalogues[lang] = await res.json();
      } catch {
        this.announcer.say(this.tr.t('status.lang_failed'));
        return;
      }
      if (lang === this.tr.lang) return;
    }
    this.tr.lang = lang;
    document.documentElement.lang = lang;
    this.tr.apply();
    for (const a of document.querySelectorAll('nav.lang a[hreflang]')) {
      if (a.hreflang === lang) a.setAttribute('aria-current', 'true');
      else a.removeAttribute('aria-current');
    }
    const u = new URL(location.href);
    u.searchParams.set('lang', lang);
    history.replaceState(null, '', u);
    this.controls.showTheme();
    this.showScenario();
    const s = this.store;
    if (s.error && s.errorMsg) s.error = errorText(s.errorMsg, this.tr.t);
    this.showStatus();
    this.relayout();
    this.captureView?.relabel();
  }

  /** relayout rebuilds the views, after the language or the type size changed. */
  relayout() {
    this.panels = {};
    this.buildViews();
  }

  focusEvents() {
    if (this.mode === 'embed') {
      const toggle = document.getElementById('events-toggle');
      if (toggle?.getAttribute('aria-expanded') !== 'true') toggle?.click();
    }
    this.panels.events?.focus();
  }

  focusDiagram() {
    const root = document.getElementById('diagram');
    const inner = root.querySelector('[tabindex="0"]');
    (inner || root).focus();
  }
}

/** shownPosition is the position in shown (indices of the events shown) of
 * event index, or of the last event shown before it; -1 when none. */
function shownPosition(shown, index) {
  if (index < 0) return -1;
  let pos = -1;
  for (let i = 0; i < shown.length && shown[i] <= index; i++) pos = i;
  return pos;
}

const config = readJSON('synack-config');
const catalogues = readJSON('synack-i18n');
// A page whose address names a classroom room follows it (room.js).
const following = config?.mode === 'app' && new URLSearchParams(location.search).has('room');
if (config && catalogues && following) import('./room.js').then(({ Follower }) => new App(config, catalogues, Follower));
else if (config && catalogues) new App(config, catalogues);

/** navigationType is how this page was reached: navigate, reload or back_forward. */
function navigationType() {
  return performance.getEntriesByType?.('navigation')?.[0]?.type ?? 'navigate';
}
