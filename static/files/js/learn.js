// The self-paced course: the lesson list (/learn) and a lesson
// (/learn/{id}, also embeddable). A lesson steps its scenario's run over the
// live session (/ws) event by event to each step's anchor: it asks the
// step's question before the event is shown, checks the answer here against
// the lesson's data at once, then shows the event with its narration. A drop
// question pauses with the named segment in flight, lets the student lose
// it, plays on to the outcome, asks what happened, and goes back to the
// lesson's own run. Progress (where the student is, the furthest step, the
// answers, done) is kept in localStorage per lesson.
//
// The pure parts (plan, positions, answer checking, the progress store) are
// exported for the unit tests; the page code needs a
// DOM and loads the diagram and the session only on the lesson page.

import { Translator, readJSON } from './i18n.js';
import { STEP_MODES, segmentStops } from './pace.js';

/** STATES are RFC 9293's eleven state names. */
export const STATES = Object.freeze([
  'CLOSED', 'LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1',
  'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT',
]);

// ---- The stepping plan -------------------------------------------------

/**
 * plan lists, for each step of a lesson view, how many events of the
 * lesson's run are shown while its question is asked (ask: the events
 * before the anchor, null without a question) and once its event is
 * revealed (show: up to and including the anchor).
 */
export function plan(view, events = null, stepBy = 'segment') {
  const stops = view.steps.map((st, i) => ({
    step: i,
    ask: st.question ? st.event : null,
    show: st.event + 1,
    kind: st.question ? st.question.kind : null,
  }));
  if (stepBy === 'event' || !Array.isArray(events) || !events.length) return stops;
  // By segment (pace.js, as on the app's page): a step reveals its event
  // with the rest of the segment's group (the state changes and timers
  // that come with it), but never up to a later question's event, so that
  // no answer shows before its question is asked.
  const groups = segmentStops(events);
  let cap = Infinity;
  for (let i = stops.length - 1; i >= 0; i--) {
    const s = stops[i];
    const up = groups.find((g) => g >= s.show) ?? s.show;
    s.show = Math.max(s.show, Math.min(up, cap));
    if (s.ask != null) cap = s.ask;
  }
  return stops;
}

/** stepModeOf is what one Next moves a lesson by, from ?step=. */
export function stepModeOf(search) {
  const v = new URLSearchParams(search).get('step');
  return STEP_MODES.includes(v) ? v : 'segment';
}

/**
 * A position in a lesson is {step, phase}: step -1 with phase "intro"
 * before the first step, phase "ask" while a step's question waits for its
 * answer, "show" once its event is revealed, and step = steps.length with
 * phase "done" at the end.
 */
export const INTRO = Object.freeze({ step: -1, phase: 'intro' });

/** positionOf is where step i is: asking until its question is answered. */
export function positionOf(stops, i, answers = {}) {
  if (i < 0) return INTRO;
  if (i >= stops.length) return { step: stops.length, phase: 'done' };
  return stops[i].ask != null && !(i in answers) ? { step: i, phase: 'ask' } : { step: i, phase: 'show' };
}

/** eventsAt is how many events of the lesson's run are shown at pos. */
export function eventsAt(stops, pos) {
  if (pos.step < 0 || !stops.length) return 0;
  if (pos.step >= stops.length) return stops[stops.length - 1].show;
  const s = stops[pos.step];
  return pos.phase === 'ask' ? s.ask : s.show;
}

/**
 * nextPosition is where Next goes from pos, or null when it cannot go on
 * (a question not answered yet, or the end).
 */
export function nextPosition(stops, pos, answers = {}) {
  switch (pos.phase) {
    case 'intro':
      return positionOf(stops, 0, answers);
    case 'ask':
      return pos.step in answers ? { step: pos.step, phase: 'show' } : null;
    case 'show':
      return positionOf(stops, pos.step + 1, answers);
    default:
      return null;
  }
}

/** prevPosition is where Back goes from pos: the step before, revealed. */
export function prevPosition(stops, pos) {
  if (pos.phase === 'intro') return null;
  if (pos.phase === 'done') return stops.length ? { step: stops.length - 1, phase: 'show' } : INTRO;
  return pos.step <= 0 ? INTRO : { step: pos.step - 1, phase: 'show' };
}

// ---- Answers -----------------------------------------------------------

/** normalizeDigits maps full-width digits and signs (as a Chinese input
 * method types them) to ASCII. */
function normalizeDigits(s) {
  return s.replace(/[\uFF10-\uFF19]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xFF10 + 48))
    .replace(/[\uFF0D\u2212]/g, '-').replace(/\uFF0B/g, '+');
}

/**
 * parseAnswer reads what the student gave for question q (the value of a
 * radio, a select or a text field) as the kind of value q.answer is, or
 * null when it is empty or not such a value.
 */
export function parseAnswer(q, raw) {
  const s = normalizeDigits(String(raw ?? '')).trim();
  if (s === '') return null;
  switch (q.kind) {
    case 'choice':
    case 'drop': {
      if (!/^\d+$/.test(s)) return null;
      const i = Number(s);
      return i < (q.options?.length ?? 0) ? i : null;
    }
    case 'state': {
      const v = s.toUpperCase().replace(/[\s_]+/g, '-');
      return STATES.includes(v) ? v : null;
    }
    case 'number': {
      const v = s.replace(/[\s,]/g, '');
      if (!/^[+-]?\d{1,12}$/.test(v)) return null;
      return Number(v);
    }
    default:
      return null;
  }
}

/**
 * checkAnswer checks raw against q: {valid, correct, value}. An answer that
 * is not valid (empty, not a number, …) is neither right nor wrong.
 */
export function checkAnswer(q, raw) {
  const value = parseAnswer(q, raw);
  if (value === null) return { valid: false, correct: false, value: null };
  return { valid: true, correct: value === q.answer, value };
}

/** answerText writes a value of question q as the student reads it. */
export function answerText(q, value) {
  if (q.kind === 'choice' || q.kind === 'drop') return q.options?.[value] ?? '';
  return String(value);
}

// ---- Progress ----------------------------------------------------------

/** emptyProgress is a lesson not started. */
export function emptyProgress() {
  return { at: -1, reached: -1, answers: {}, done: false };
}

/**
 * ProgressStore keeps each lesson's progress in a Storage (localStorage),
 * as JSON under prefix + lesson id. Storage that throws (blocked in private
 * windows, full) or holds something else reads as no progress.
 */
export class ProgressStore {
  constructor(storage, prefix = 'synack.learn.') {
    this.storage = storage;
    this.prefix = prefix;
  }

  load(id) {
    let rec;
    try {
      rec = JSON.parse(this.storage?.getItem(this.prefix + id) ?? 'null');
    } catch {
      rec = null;
    }
    const p = emptyProgress();
    if (!rec || typeof rec !== 'object') return p;
    if (Number.isInteger(rec.at)) p.at = rec.at;
    if (Number.isInteger(rec.reached)) p.reached = rec.reached;
    p.done = rec.done === true;
    if (rec.answers && typeof rec.answers === 'object') {
      for (const [k, a] of Object.entries(rec.answers)) {
        if (/^\d+$/.test(k) && a && typeof a.correct === 'boolean') p.answers[k] = { correct: a.correct, value: a.value };
      }
    }
    return p;
  }

  save(id, rec) {
    try {
      this.storage?.setItem(this.prefix + id, JSON.stringify(rec));
    } catch {
      // Storage blocked or full: progress lasts as long as the page.
    }
  }

  clear(id) {
    try {
      this.storage?.removeItem(this.prefix + id);
    } catch {
      // As in save.
    }
  }
}

/** withAnswer records the first answer to step i's question. */
export function withAnswer(rec, i, correct, value) {
  if (i in rec.answers) return rec;
  return { ...rec, answers: { ...rec.answers, [i]: { correct, value } } };
}

/** withPosition records where the student is; reaching the end is done. */
export function withPosition(rec, pos, steps) {
  const at = Math.max(-1, Math.min(pos.step, steps));
  return { ...rec, at, reached: Math.max(rec.reached, Math.min(at, steps - 1)), done: rec.done || at >= steps };
}

/** restorePosition is where a lesson resumes from its saved progress. */
export function restorePosition(stops, rec) {
  const at = Math.max(-1, Math.min(rec.at, stops.length));
  return positionOf(stops, at, rec.answers);
}

/**
 * progressStatus summarizes a lesson's progress for the list: status is
 * "new", "progress" (at step n of m) or "done"; right and answered count
 * the questions.
 */
export function progressStatus(rec, steps, questions) {
  const answers = Object.values(rec.answers);
  const right = answers.filter((a) => a.correct).length;
  const base = { steps, questions, right, answered: answers.length, n: Math.min(rec.reached + 1, steps) };
  if (rec.done) return { status: 'done', ...base, n: steps };
  if (rec.reached < 0 && answers.length === 0) return { status: 'new', ...base, n: 0 };
  return { status: 'progress', ...base, n: Math.max(1, base.n) };
}

// ---- Commands --------------------------------------------------------------

/**
 * Runner brings the live session to a number of events shown, and keeps it
 * there across reconnections: one "seek" to jump there, or one "step" at a
 * time, pace ms apart, to walk there. One command is in flight at a time;
 * its answer ("rewound" for a seek, the event or "done" for a step) sends
 * the next.
 */
class Runner {
  constructor(session, store) {
    this.session = session;
    this.store = store;
    this.want = 0;
    this.pending = null; // 'seek' or 'step': the command not answered yet
    this.loading = true; // until "loaded": the initial load, or a reset
    this.altered = false; // a segment was dropped: not the lesson's run
    this.pace = 0;
    this.hold = false;
    this.timer = 0;
    this.waiters = [];
    this.dropping = null;
  }

  get have() {
    return this.store.events.length;
  }

  /** goTo shows n events, stepping pace ms apart (0: at once). */
  goTo(n, pace = 0) {
    this.want = n;
    this.pace = pace;
    const done = new Promise((resolve) => this.waiters.push(resolve));
    this.pump();
    return done;
  }

  /** restart goes back to the lesson's own run (time 0), then to n events. */
  restart(n) {
    this.loading = true;
    this.altered = false;
    this.pending = null;
    this.session.send({ type: 'reset' });
    return this.goTo(n);
  }

  /** drop loses segment id in flight; it settles when the drop is made. */
  drop(id) {
    this.altered = true;
    this.session.send({ type: 'fault', drop: { segment: id } });
    return new Promise((resolve, reject) => {
      this.dropping = { resolve, reject };
    });
  }

  pump() {
    clearTimeout(this.timer);
    this.timer = 0;
    if (this.loading || this.dropping || this.pending) return;
    // (After a drop, going back would undo it: an altered run only goes on.)
    const behind = this.have < this.want;
    if (behind && this.pace) {
      if (!this.hold) {
        this.pending = 'step';
        this.session.send({ type: 'step' });
      }
    } else if (behind || (this.have > this.want && !this.altered)) {
      this.pending = 'seek';
      this.session.seek(this.want);
    }
    this.settle();
  }

  settle() {
    if (this.loading || this.pending || this.have < this.want) return;
    if (this.have > this.want && !this.altered) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** changed follows the store: the session's answers. */
  changed(c) {
    switch (c.what) {
      case 'loaded':
        // A fresh run: the first, a reset, or the same again after the
        // connection was lost.
        this.loading = false;
        this.altered = false;
        this.pending = null;
        break;
      case 'event':
        if (this.pending === 'step') this.pending = null;
        if (this.dropping && c.event.kind === 'drop') {
          const d = this.dropping;
          this.dropping = null;
          this.want = this.have;
          d.resolve();
        }
        if (this.pace && this.have < this.want) {
          this.hold = true;
          setTimeout(() => {
            this.hold = false;
            this.pump();
          }, this.pace);
        }
        break;
      case 'done':
        // Nothing more will come: settle for what there is.
        this.pending = null;
        this.want = Math.min(this.want, this.have);
        break;
      case 'rewound':
        if (this.pending === 'seek') this.pending = null;
        // The recorded replay answers a reset with "rewound" to 0.
        if (this.loading && this.have === 0 && this.store.connection === 'replay') this.loading = false;
        break;
      case 'error': {
        if (this.dropping) {
          const d = this.dropping;
          this.dropping = null;
          d.reject(new Error(this.store.error));
        }
        // A refused command is answered by this error and nothing else. A
        // run shorter than asked for is shown whole.
        this.pending = null;
        const err = this.store.errorMsg;
        if (err?.code === 'seek-past-end' && Number.isInteger(err.args?.events)) this.want = err.args.events;
        break;
      }
      default:
        return;
    }
    this.pump();
  }
}

// ---- Pages -----------------------------------------------------------------

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

const reducedMotion = () => typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;

/** paceMs is the time between events when the run plays on after a drop. */
const paceMs = 350;

const themes = ['auto', 'light', 'dark'];

/**
 * Preferences binds the display preferences both course pages offer
 * (theme and projector mode, kept as the app keeps them).
 */
class Preferences {
  constructor(t, store) {
    this.t = t;
    this.store = store;
    this.theme = document.getElementById('theme');
    this.projector = document.getElementById('projector');
    this.theme?.addEventListener('click', () => this.cycleTheme());
    this.projector?.addEventListener('click', () => this.toggleProjector());
    this.show();
  }

  set(key, value) {
    try {
      if (value == null) this.store?.removeItem(`synack.${key}`);
      else this.store?.setItem(`synack.${key}`, value);
    } catch {
      // Blocked: the choice lasts for this page.
    }
  }

  cycleTheme() {
    const html = document.documentElement;
    const now = html.dataset.theme || 'auto';
    const next = themes[(themes.indexOf(now) + 1) % themes.length];
    if (next === 'auto') delete html.dataset.theme;
    else html.dataset.theme = next;
    this.set('theme', next === 'auto' ? null : next);
    this.show();
  }

  toggleProjector() {
    const on = document.documentElement.classList.toggle('projector');
    this.set('projector', on ? '1' : null);
    this.show();
  }

  show() {
    const now = document.documentElement.dataset.theme || 'auto';
    if (this.theme) this.theme.textContent = this.t('pref.theme', { theme: this.t(`pref.theme_${now}`) });
    this.projector?.setAttribute('aria-pressed', String(document.documentElement.classList.contains('projector')));
  }
}

/** LessonIndex writes each lesson's progress into the list. */
class LessonIndex {
  constructor(t) {
    const store = new ProgressStore(storage());
    for (const el of document.querySelectorAll('[data-progress]')) {
      const st = progressStatus(store.load(el.dataset.lesson), Number(el.dataset.steps), Number(el.dataset.questions));
      el.dataset.status = st.status;
      el.querySelector('.mark').textContent = { new: '○', progress: '◐', done: '●' }[st.status];
      el.querySelector('.text').textContent =
        st.status === 'new' ? t('learn.status_new')
          : st.status === 'done' ? t('learn.status_done', { right: st.right, questions: st.questions })
            : t('learn.status_progress', { n: st.n, m: st.steps });
    }
  }
}

/** typing reports whether a key belongs to the focused form control. */
function typing(el) {
  return el instanceof Element && el.closest('input, select, textarea, [contenteditable=""], [contenteditable="true"]') !== null;
}

/** LessonPage runs one lesson. */
class LessonPage {
  constructor(config, tr) {
    this.config = config;
    this.view = config.lesson;
    this.tr = tr;
    this.t = tr.t;
    this.stops = plan(this.view);
    this.progress = new ProgressStore(storage());
    this.rec = this.progress.load(this.view.id);
    this.pos = INTRO;
    this.busy = true;
    this.drop = null; // the drop question's stage: null, "watching", "watched"
    this.highlight = null;
    this.raf = 0;
    this.$ = (id) => document.getElementById(id);
    this.main = this.$('main');
    this.bind();
    // Questions answered before (the progress kept) show their answers.
    for (const [i, a] of Object.entries(this.rec.answers)) {
      const q = this.view.steps[i]?.question;
      if (q) this.showAnswer(this.section(i), q, a);
    }
    this.boot().catch((err) => this.fail(err));
  }

  async boot() {
    const [{ Store, Session }, { Ladder }, { isnRefs, notationOf, segmentLabels }, { describe }, embed] = await Promise.all([
      import('./session.js'),
      import('./ladder.js'),
      import('./numbers.js'),
      import('./describe.js'),
      import('./embed.js'),
    ]);
    this.isnRefs = isnRefs;
    this.segmentLabels = segmentLabels;
    // ?numbering= and ?flags= choose the notation, as on the app's page.
    const q = new URLSearchParams(location.search);
    this.notation = notationOf({ numbering: q.get('numbering'), flags: q.get('flags') });
    this.describe = describe;
    this.embed = embed;
    // Embedded, the frame tells the course page around it its height and
    // each answer (embed.js).
    if (this.config.mode === 'embed') this.link = new embed.ParentLink(this.config.parentOrigin);
    this.store = new Store();
    this.session = new Session(this.store, { t: this.t });
    this.runner = new Runner(this.session, this.store);
    this.store.on((c) => {
      this.runner.changed(c);
      if (c.what === 'connection' || c.what === 'error' || c.what === 'event') this.showStatus();
      this.schedule();
    });
    // Segments in flight can be lost only when a drop question asks for
    // it: elsewhere the diagram does not offer it.
    const t = (key, vars) => (key === 'ladder.segment.drop_hint' && !this.dropAsked() ? '' : this.t(key, vars));
    this.ladder = new Ladder(this.$('diagram'), {
      t,
      onSelect: (i) => {
        this.highlight = i;
        this.schedule();
      },
      onDrop: (id) => this.dropSegment(id),
    });
    this.ladder.setNumbering(this.notation.numbering, this.notation.flags);
    this.session.connect();
    const v = this.view;
    this.session.load(v.scenario_id || v.id, v.scenario_id ? undefined : v.scenario);
    // By segment, the plan groups each step's event with its segment's
    // (pace.js): it needs the whole run beforehand, which only this code
    // sees (the page reveals it step by step).
    this.stepBy = stepModeOf(location.search);
    if (this.stepBy === 'segment') this.stops = plan(v, await this.trace(v), 'segment');
    this.busy = false;
    await this.go(restorePosition(this.stops, this.rec), { focus: false });
  }

  /** trace is the lesson's run (GET /api/scenarios/{id}/trace, or POST
   * /api/run for its own scenario), or null when it cannot be had: then
   * the lesson steps by event. */
  async trace(v) {
    try {
      const r = v.scenario_id
        ? await fetch(`/api/scenarios/${encodeURIComponent(v.scenario_id)}/trace`)
        : await fetch('/api/run', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(v.scenario) });
      if (!r.ok) return null;
      return (await r.json()).events ?? null;
    } catch {
      return null;
    }
  }

  fail(err) {
    const el = this.$('status');
    el.textContent = String(err?.message ?? err);
    el.classList.add('error');
    el.hidden = false;
  }

  bind() {
    this.$('learn-next').addEventListener('click', () => this.next());
    this.$('learn-back').addEventListener('click', () => this.back());
    this.$('learn-restart').addEventListener('click', () => this.restart());
    for (const form of document.querySelectorAll('[data-answer-form]')) {
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        this.answer(Number(form.closest('[data-step]').dataset.step), form);
      });
    }
    for (const b of document.querySelectorAll('[data-drop]')) {
      b.addEventListener('click', () => this.dropSegment(this.question()?.segment));
    }
    const events = this.$('learn-events');
    events?.addEventListener('toggle', () => {
      if (events.open) this.openEvents();
    });
    document.addEventListener('keydown', (e) => this.key(e));
  }

  key(e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    const onControl = e.target instanceof Element && e.target.closest('button, a, summary, [role="button"]');
    if (e.key === 'ArrowRight' || (e.key === ' ' && !onControl)) {
      e.preventDefault();
      this.next();
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault();
      this.back();
    }
  }

  /** dropAsked reports whether a drop question waits for its drop. */
  dropAsked() {
    const q = this.question();
    return this.pos.phase === 'ask' && q?.kind === 'drop' && !this.drop && !(this.pos.step in this.rec.answers);
  }

  /** question is the current step's question, if it has one. */
  question() {
    return this.view.steps[this.pos.step]?.question ?? null;
  }

  section(i) {
    return this.$(`step-${i}`)?.querySelector('[data-kind="question"]') ?? null;
  }

  /** go moves to pos: the run to its events, then the page to its step. */
  async go(pos, { focus = true } = {}) {
    if (this.busy) return;
    this.busy = true;
    this.main.dataset.learnState = 'busy';
    this.pos = pos;
    this.drop = null;
    document.body.classList.toggle('dropping', this.dropAsked());
    this.renderNav();
    const n = eventsAt(this.stops, pos);
    await (this.runner.altered ? this.runner.restart(n) : this.runner.goTo(n));
    this.busy = false;
    this.rec = withPosition(this.rec, pos, this.stops.length);
    this.progress.save(this.view.id, this.rec);
    this.render(focus);
    this.main.dataset.learnState = 'ready';
    this.report(pos);
  }

  /** report tells the course page around an embedded lesson which lesson
   * step the student reached ({type: "synack:step", index, total}, counting
   * the lesson's steps) and when the lesson is finished. */
  report(pos) {
    if (!this.link) return;
    if (pos.phase === 'done') {
      if (!this.finishedSent) this.link.finished();
      this.finishedSent = true;
      return;
    }
    if (pos.step >= 0) this.link.step(pos.step + 1, this.stops.length);
  }

  next() {
    if (this.busy) return;
    const to = nextPosition(this.stops, this.pos, this.rec.answers);
    if (to) {
      this.go(to);
      return;
    }
    if (this.pos.phase === 'ask') {
      // Not answered yet: back to the question, with a word why.
      const s = this.section(this.pos.step);
      this.say(s, this.t('learn.answer_first'));
      s?.focus();
    }
  }

  back() {
    if (this.busy) return;
    const to = prevPosition(this.stops, this.pos);
    if (to) this.go(to);
  }

  restart() {
    if (this.busy) return;
    this.progress.clear(this.view.id);
    this.rec = emptyProgress();
    for (const s of document.querySelectorAll('[data-kind="question"]')) this.clearQuestion(s);
    this.runner.altered = true; // start the run again from time 0
    this.go(INTRO);
  }

  /** answer checks the form's answer to step i's question. */
  async answer(i, form) {
    if (this.busy || this.pos.step !== i || this.pos.phase !== 'ask' || i in this.rec.answers) return;
    const q = this.view.steps[i].question;
    const raw = new FormData(form).get('answer');
    const res = checkAnswer(q, raw);
    const s = this.section(i);
    if (!res.valid) {
      this.say(s, this.t(q.kind === 'number' && raw ? 'learn.number_invalid' : 'learn.choose_first'));
      return;
    }
    this.rec = withAnswer(this.rec, i, res.correct, res.value);
    this.progress.save(this.view.id, this.rec);
    this.showAnswer(s, q, this.rec.answers[i]);
    s.focus();
    this.tell(`${this.view.id}:${i}`, res.correct);
    if (q.kind === 'drop') {
      // The run shows the drop's outcome; Next goes back to the lesson's.
      this.renderNav();
      return;
    }
    await this.go({ step: i, phase: 'show' }, { focus: false });
  }

  /** tell reports an answer: to scripts on the page as a DOM event, and to
   * the course page when embedded ({type: "synack:question", id, correct}). */
  tell(id, correct) {
    if (typeof this.embed?.reportAnswer === 'function') this.embed.reportAnswer(id, correct);
    else this.link?.post({ type: 'synack:question', id, correct });
  }

  /** say writes a short word in the question's result area (a live region). */
  say(s, text) {
    const v = s?.querySelector('[data-verdict]');
    if (!v || s.dataset.answered) return;
    v.replaceChildren(text);
    v.className = 'verdict notice';
    v.hidden = false;
  }

  /** dropSegment loses the drop question's segment and plays on. */
  async dropSegment(id) {
    const q = this.question();
    const i = this.pos.step;
    if (this.busy || !q || q.kind !== 'drop' || this.pos.phase !== 'ask' || this.drop || i in this.rec.answers) return;
    const s = this.section(i);
    if (id !== q.segment) {
      this.say(s, this.t('learn.drop_wrong', { segment: this.segmentName(q.segment) }));
      return;
    }
    this.drop = 'watching';
    document.body.classList.remove('dropping');
    this.busy = true;
    this.main.dataset.learnState = 'busy';
    s.querySelector('[data-drop-stage]').hidden = true;
    const watch = s.querySelector('[data-watching]');
    watch.hidden = false;
    try {
      await this.runner.drop(id);
      await this.runner.goTo(q.expect + 1, reducedMotion() ? 0 : paceMs);
      watch.textContent = this.t('learn.watched');
    } catch {
      watch.textContent = this.t('learn.offline_drop');
    }
    this.busy = false;
    this.drop = 'watched';
    this.highlight = null;
    const form = s.querySelector('[data-answer-form]');
    form.hidden = false;
    this.renderNav();
    this.schedule();
    this.main.dataset.learnState = 'ready';
    form.querySelector('input')?.focus();
  }

  /** segmentName is "SYN,ACK (Server → Client)" for segment id. */
  segmentName(id) {
    const ev = this.store?.events.find((e) => e.kind === 'segment' && e.id === id);
    if (!ev) return String(id);
    return this.t('learn.segment', { flags: ev.flags.join(','), from: this.t(`ep.${ev.from}`), to: this.t(`ep.${ev.to}`) });
  }

  /** render shows the current position. */
  render(focus) {
    const { pos, stops } = this;
    this.$('learn-intro').hidden = pos.phase !== 'intro';
    this.$('learn-done').hidden = pos.phase !== 'done';
    for (const li of document.querySelectorAll('li[data-step]')) li.hidden = Number(li.dataset.step) !== pos.step;
    this.highlight = null;
    let target = this.$(pos.phase === 'intro' ? 'learn-intro' : 'learn-done');
    if (pos.step >= 0 && pos.step < stops.length) {
      const i = pos.step;
      const li = this.$(`step-${i}`);
      const q = this.view.steps[i].question;
      const s = this.section(i);
      const narration = li.querySelector('[data-narration]');
      if (q) {
        const a = this.rec.answers[i];
        if (a) this.showAnswer(s, q, a);
        else this.clearQuestion(s);
      }
      if (pos.phase === 'ask') {
        narration.hidden = true;
        target = s;
        if (q.kind === 'drop') {
          s.querySelector('[data-drop]').textContent = this.t('learn.drop_button', { segment: this.segmentName(q.segment) });
          this.highlight = this.store.events.findIndex((e) => e.kind === 'segment' && e.id === q.segment);
        }
      } else {
        const ev = this.store.events[this.view.steps[i].event];
        narration.querySelector('[data-what]').textContent = ev ? this.describe(ev, this.describeView()).text : '';
        narration.hidden = false;
        this.highlight = this.view.steps[i].event;
        target = narration;
      }
    }
    if (pos.phase === 'done') this.showScore();
    this.renderNav();
    this.schedule();
    if (focus) target?.focus();
  }

  showScore() {
    const questions = this.stops.filter((s) => s.ask != null).length;
    const right = Object.values(this.rec.answers).filter((a) => a.correct).length;
    this.$('learn-score').textContent = this.t('learn.done_score', { right, questions });
  }

  renderNav() {
    const { pos, t } = this;
    const next = this.$('learn-next');
    const canNext = !this.busy && nextPosition(this.stops, pos, this.rec.answers) !== null;
    next.setAttribute('aria-disabled', String(!canNext));
    const label = pos.phase === 'intro' ? 'learn.start'
      : pos.phase === 'show' && pos.step === this.stops.length - 1 ? 'learn.finish' : 'learn.next';
    next.querySelector('.label').textContent = t(label);
    this.$('learn-back').setAttribute('aria-disabled', String(this.busy || pos.phase === 'intro'));
    this.$('progress').textContent = pos.phase === 'intro' ? t('learn.intro_h')
      : pos.phase === 'done' ? t('learn.done_h')
        : t('learn.step', { n: pos.step + 1, m: this.stops.length });
  }

  /** showAnswer shows an answered question: the verdict, the explanation,
   * the student's answer and the right one marked, the controls locked. */
  showAnswer(s, q, a) {
    const { t } = this;
    s.dataset.answered = a.correct ? 'right' : 'wrong';
    const form = s.querySelector('[data-answer-form]');
    form.hidden = false;
    const stage = s.querySelector('[data-drop-stage]');
    if (stage) stage.hidden = true;
    const watch = s.querySelector('[data-watching]');
    if (watch) watch.hidden = true;
    for (const c of form.querySelectorAll('input, select, button')) c.disabled = true;
    for (const r of form.querySelectorAll('input[type="radio"]')) {
      const label = r.closest('label');
      const v = Number(r.value);
      r.checked = v === a.value;
      label.classList.toggle('is-answer', v === q.answer);
      label.classList.toggle('is-wrong', v === a.value && !a.correct);
      label.querySelector('.tag')?.remove();
      if (v === q.answer || v === a.value) {
        const tag = document.createElement('span');
        tag.className = 'tag';
        tag.textContent = v === q.answer ? t('learn.tag_right') : t('learn.tag_yours');
        label.append(tag);
      }
    }
    const field = form.querySelector('select, input:not([type="radio"])');
    if (field) field.value = String(a.value);
    const v = s.querySelector('[data-verdict]');
    const mark = document.createElement('span');
    mark.className = 'mark';
    mark.setAttribute('aria-hidden', 'true');
    mark.textContent = a.correct ? '✓' : '✗';
    const word = document.createElement('strong');
    word.textContent = t(a.correct ? 'learn.right' : 'learn.wrong');
    const parts = [mark, ' ', word];
    if (!a.correct) parts.push(' ', t('learn.answer_was', { answer: answerText(q, q.answer), yours: answerText(q, a.value) }));
    v.replaceChildren(...parts);
    v.className = `verdict ${a.correct ? 'right' : 'wrong'}`;
    v.hidden = false;
    s.querySelector('[data-explanation]').hidden = false;
  }

  /** clearQuestion puts a question back as it was before any answer. */
  clearQuestion(s) {
    delete s.dataset.answered;
    const form = s.querySelector('[data-answer-form]');
    form.reset();
    for (const c of form.querySelectorAll('input, select, button')) c.disabled = false;
    for (const l of form.querySelectorAll('label')) {
      l.classList.remove('is-answer', 'is-wrong');
      l.querySelector('.tag')?.remove();
    }
    const drop = s.dataset.questionKind === 'drop';
    form.hidden = drop;
    const stage = s.querySelector('[data-drop-stage]');
    if (stage) stage.hidden = false;
    const watch = s.querySelector('[data-watching]');
    if (watch) {
      watch.hidden = true;
      watch.textContent = this.t('learn.dropped');
    }
    const v = s.querySelector('[data-verdict]');
    v.hidden = true;
    v.replaceChildren();
    s.querySelector('[data-explanation]').hidden = true;
  }

  describeView() {
    const s = this.store;
    const refs = this.isnRefs(s.endpoints, s.events);
    const all = this.segmentLabels(s.events, this.notation, refs);
    const labels = new Map();
    s.events.forEach((ev, i) => all[i] !== null && labels.set(ev, all[i]));
    return { t: this.t, numbering: this.notation.numbering, notation: this.notation, refs, labels };
  }

  async openEvents() {
    if (!this.eventList) {
      const { EventList } = await import('./panels/eventlist.js');
      this.eventList = new EventList(this.$('events'), {
        t: this.t,
        onSelect: (i) => {
          this.highlight = i;
          this.schedule();
        },
      });
    }
    this.schedule();
  }

  showStatus() {
    const el = this.$('status');
    const s = this.store;
    const parts = [];
    if (s.connection === 'connecting') parts.push(this.t('status.connecting'));
    if (s.connection === 'reconnecting') parts.push(this.t('status.reconnecting'));
    if (s.connection === 'replay') parts.push(this.t('status.replay'));
    if (s.error) parts.push(s.error);
    el.textContent = parts.join(' ');
    el.classList.toggle('error', Boolean(s.error));
    el.hidden = parts.length === 0;
  }

  schedule() {
    if (!this.raf) this.raf = requestAnimationFrame(() => this.frame());
  }

  frame() {
    this.raf = 0;
    const s = this.store;
    if (!s) return;
    const view = this.describeView();
    this.ladder.setEvents(s.events, view.refs);
    this.ladder.select(this.highlight != null && this.highlight >= 0 && this.highlight < s.events.length ? this.highlight : null);
    if (this.eventList && this.$('learn-events').open) {
      this.eventList.render({ events: s.events, selected: this.highlight ?? -1, latest: s.events.length - 1 }, view);
    }
  }
}

function start() {
  const config = readJSON('synack-learn');
  const catalogues = readJSON('synack-i18n');
  if (!config || !catalogues) return;
  const tr = new Translator(catalogues, config.lang);
  new Preferences(tr.t, storage());
  if (config.mode === 'index') new LessonIndex(tr.t);
  else if (config.lesson) new LessonPage(config, tr);
}

if (typeof document !== 'undefined') start();
