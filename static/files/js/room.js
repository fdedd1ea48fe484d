// Classroom rooms: a presenter shares the live session with a class, and
// viewers follow it on their own devices (README, "Classroom rooms").
//
// Loaded on demand: by a presenter who opens the room panel, and at start
// by a page whose address names a room (/?room=CODE), which then follows
// the room instead of running its own session. The panel is one section
// below the toolbar: the room's code, link and QR code, the viewers, and the
// question put to the room with its answers; for a viewer, a banner and the
// question to answer.

import { errorText } from './i18n.js';
import { Session } from './session.js';

/** textIn picks a {en, zh} text in lang, English when it has none. */
export function textIn(text, lang) {
  if (!text) return '';
  return (lang === 'zh' && text.zh) || text.en || '';
}

/** el makes an element with attributes and children. */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...children.filter((c) => c != null));
  return e;
}

/** RoomPanel draws the room: for the presenter or for a viewer. */
export class RoomPanel {
  /**
   * @param t the translator's t
   * @param opts viewer (boolean), send(msg) to the server, lanURL (the
   *   server's LAN address, when the page is on localhost)
   */
  constructor(t, { viewer, send, lanURL = '' }) {
    this.t = t;
    this.viewer = viewer;
    this.send = send;
    this.lanURL = lanURL;
    this.code = '';
    this.url = '';
    this.qr = '';
    this.viewers = 0;
    this.ended = '';
    this.notice = '';
    this.question = null; // the last question message
    this.answers = null; // its answers: counts and total
    this.reveal = null; // its reveal message
    this.mine = null; // the viewer's own answer
    this.composing = false;
    this.root = document.getElementById('room');
    if (!this.root) {
      this.root = el('section', { id: 'room', class: 'room', 'aria-labelledby': 'room-h' });
      const after = document.querySelector('.toolbar') ?? document.querySelector('main');
      after?.after(this.root);
    }
    this.root.hidden = false;
    // render redraws body; the presenter's lesson picker stays put below it,
    // keeping the focus and the choices while answers come in.
    this.body = el('div', { class: 'room-body' });
    this.root.replaceChildren(this.body);
    if (!viewer) {
      this.picker = new LessonPicker(t, (q) => this.ask(q));
      this.root.append(this.picker.root);
    }
    // Redraw in the page's language when it switches.
    new MutationObserver(() => this.render()).observe(document.documentElement, {
      attributes: true, attributeFilter: ['lang'],
    });
  }

  get lang() {
    return document.documentElement.lang;
  }

  /** receive takes a room message; it reports whether it was one. */
  receive(msg) {
    switch (msg.type) {
      case 'shared':
        Object.assign(this, { code: msg.room, url: msg.url, qr: msg.qr, ended: '' });
        break;
      case 'room':
        this.code = msg.room || this.code;
        this.viewers = msg.viewers ?? this.viewers;
        if (msg.state === 'ended') this.ended = msg.reason || 'ended';
        break;
      case 'question':
        this.question = msg;
        this.answers = { counts: msg.options.map(() => 0), total: 0 };
        this.reveal = null;
        this.mine = null;
        this.composing = false;
        break;
      case 'answers':
        if (this.question?.id === msg.id) this.answers = msg;
        break;
      case 'answered':
        if (this.question?.id === msg.id) this.mine = msg.choice;
        break;
      case 'reveal':
        if (this.question?.id === msg.id) {
          this.reveal = msg;
          this.answers = msg;
        }
        break;
      default:
        return false;
    }
    this.render();
    return true;
  }

  /** fail shows why the room cannot be followed (an unknown code). */
  fail(message) {
    this.notice = message;
    this.ended = this.ended || 'unknown';
    this.render();
  }

  render() {
    const { t } = this;
    const parts = [];
    if (this.viewer) parts.push(...this.viewerHead());
    else parts.push(...this.presenterHead());
    if (!this.ended || this.question) parts.push(this.questionView());
    if (!this.viewer && !this.ended) parts.push(this.composer());
    this.body.replaceChildren(...parts.filter(Boolean));
    this.picker?.show(Boolean(this.code && !this.ended));
    this.root.classList.toggle('room--ended', Boolean(this.ended));
    this.root.dataset.roomState = this.ended ? 'ended' : this.code ? 'open' : 'opening';
    this.root.setAttribute('aria-label', t('room.title'));
  }

  endedText() {
    const key = { ended: 'room.ended', left: 'room.left', shutdown: 'room.shutdown' }[this.ended];
    return key ? this.t(key, { code: this.code }) : this.notice;
  }

  viewerHead() {
    const { t } = this;
    if (this.ended) {
      return [el('p', { class: 'room-banner', role: 'status', 'data-room-banner': '' }, this.endedText())];
    }
    return [
      el('p', { class: 'room-banner', role: 'status', 'data-room-banner': '' },
        el('strong', { text: t('room.following', { code: this.code }) }), ' ', t('room.following_hint')),
    ];
  }

  presenterHead() {
    const { t } = this;
    const head = el('h2', { id: 'room-h', text: t('room.title') });
    if (!this.code) return [head, el('p', { text: t('room.opening') })];
    if (this.ended) {
      return [head, el('p', { role: 'status', 'data-room-banner': '' }, this.endedText()),
        el('button', { type: 'button', onclick: () => this.send({ type: 'share' }), text: t('room.reopen') })];
    }
    return [
      head,
      el('div', { class: 'room-share' },
        el('div', { class: 'room-id' },
          el('p', { class: 'room-label', text: t('room.code_label') }),
          el('p', { class: 'room-code', 'data-room-code': this.code, text: this.code }),
          el('p', { class: 'room-link' }, el('a', { href: this.url, text: this.url, 'data-room-link': '' })),
          el('p', { class: 'room-hint', text: t('room.share_hint') }),
          this.lanHint(),
          el('p', { class: 'room-viewers', role: 'status', 'data-room-viewers': String(this.viewers),
            text: t('room.viewers', { n: this.viewers }) }),
          el('button', { type: 'button', 'data-room-end': '', onclick: () => this.send({ type: 'end' }), text: t('room.end') })),
        el('img', { class: 'room-qr', src: this.qr, alt: t('room.qr_alt', { code: this.code }), width: 240, height: 240 })),
    ];
  }

  /**
   * lanHint warns that a link to localhost does not open on students'
   * devices, and links this page at the server's LAN address.
   */
  lanHint() {
    if (!this.lanURL) return null;
    const here = new URL(location.href);
    const there = new URL(here.pathname + here.search, this.lanURL);
    const [before, after] = this.t('room.localhost', { url: '\u0000' }).split('\u0000');
    return el('p', { class: 'room-lan', role: 'note', 'data-room-lan': '' },
      before, el('a', { href: there.href, text: this.lanURL }), after ?? '');
  }

  /** questionView is the last question: to answer, or with its answers. */
  questionView() {
    const q = this.question;
    if (!q) return this.viewer ? el('p', { class: 'hint', text: this.t('room.no_question') }) : null;
    const { t } = this;
    const lang = this.lang;
    const total = this.answers?.total ?? 0;
    const counts = this.answers?.counts ?? [];
    const answer = this.reveal?.answer;
    const showCounts = !this.viewer || this.reveal;
    const items = q.options.map((o, i) => {
      const label = textIn(o, lang);
      const marks = [];
      if (this.reveal && answer === i) marks.push(el('strong', { class: 'room-correct', text: ` ✓ ${t('room.is_correct')}` }));
      if (this.mine === i) marks.push(el('em', { class: 'room-mine', text: ` (${t('room.mine')})` }));
      let body;
      if (this.viewer && this.mine == null && !this.reveal && !this.ended) {
        body = el('button', { type: 'button', class: 'room-choice', 'data-choice': i,
          onclick: () => this.send({ type: 'answer', choice: i }) }, label);
      } else {
        body = el('span', { class: 'room-option' }, label);
      }
      const row = el('li', { class: answer === i ? 'is-correct' : null, 'data-option': i }, body, ...marks);
      if (showCounts) {
        const n = counts[i] ?? 0;
        const pct = total ? Math.round((100 * n) / total) : 0;
        // Through the CSSOM: the page's CSP allows no style attributes.
        const fill = el('span');
        fill.style.width = `${pct}%`;
        row.append(
          el('span', { class: 'room-count', text: t('room.count', { n, total }) }),
          el('span', { class: 'room-bar', 'aria-hidden': 'true' }, fill),
        );
      }
      return row;
    });
    const box = el('div', { class: 'room-question', 'data-question': q.id },
      el('h3', { text: t('room.question_label') }),
      el('p', { class: 'room-prompt', text: textIn(q.prompt, lang) }),
      el('ol', { class: 'room-options' }, ...items));
    if (!this.viewer) {
      box.append(el('p', { class: 'room-total', 'data-room-total': String(total), text: t('room.answers', { total }) }));
      if (!this.reveal && !this.ended) {
        box.append(el('button', { type: 'button', 'data-room-reveal': '', onclick: () => this.send({ type: 'reveal' }),
          text: t('room.reveal') }));
      }
    } else if (this.mine != null && !this.reveal) {
      box.append(el('p', { role: 'status', text: t('room.answered') }));
    }
    if (this.reveal?.explanation) box.append(el('p', { class: 'room-explain', text: textIn(this.reveal.explanation, lang) }));
    return box;
  }

  /** composer is the presenter's form to write a question. */
  composer() {
    const { t } = this;
    if (!this.code) return null;
    if (!this.composing) {
      return el('button', { type: 'button', 'data-room-compose': '', onclick: () => { this.composing = true; this.render(); },
        text: t('room.compose') });
    }
    const options = [0, 1, 2, 3].map((i) => el('li', {},
      el('input', { type: 'radio', name: 'room-correct', value: i, id: `room-correct-${i}`, checked: i === 0 }),
      el('label', { for: `room-correct-${i}`, class: 'visually-hidden', text: t('room.correct') }),
      el('input', { type: 'text', name: `option${i}`, maxlength: 200, 'aria-label': t('room.option', { n: i + 1 }),
        placeholder: t('room.option', { n: i + 1 }) })));
    const form = el('form', { class: 'room-compose' },
      el('label', { for: 'room-prompt', text: t('room.prompt') }),
      el('textarea', { id: 'room-prompt', name: 'prompt', maxlength: 500, rows: 2, required: true }),
      el('p', { class: 'hint', text: t('room.options_hint') }),
      el('ol', {}, ...options),
      el('button', { type: 'submit', text: t('room.ask') }));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const data = new FormData(form);
      const prompt = String(data.get('prompt') ?? '').trim();
      const opts = [];
      let answer = null;
      for (const i of [0, 1, 2, 3]) {
        const v = String(data.get(`option${i}`) ?? '').trim();
        if (!v) continue;
        if (String(data.get('room-correct')) === String(i)) answer = opts.length;
        opts.push({ en: v, zh: v });
      }
      if (!prompt || opts.length < 2) return;
      this.ask({ prompt: { en: prompt, zh: prompt }, options: opts, answer });
    });
    return form;
  }

  /**
   * ask puts a question to the room: {prompt, options, answer, explanation}
   * with texts in en and zh, or a lesson's, {lesson, step}.
   */
  ask(question) {
    this.send({ type: 'ask', question });
  }
}

/** askable are the kinds of lesson question a room can answer: the server
 * refuses a number question, whose answer is no choice (web/room.go). */
const askable = new Set(['choice', 'state', 'drop']);

/** getJSON fetches url's JSON, throwing when the answer is not a 200. */
async function getJSON(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

/**
 * LessonPicker is the presenter's form to put a lesson's question to the
 * room: a lesson (GET /api/lessons), then one of its questions a room can
 * answer (GET /api/lessons/{id}, in both languages, so that a switch of the
 * page's language needs no new request), asked as {lesson, step}. It is
 * built once and updated in place: its selects keep the focus and the
 * choices while the panel redraws around it.
 */
export class LessonPicker {
  constructor(t, ask) {
    this.t = t;
    this.ask = ask;
    this.lessons = null; // the lesson list, once loaded
    this.views = new Map(); // lesson id → its views by language
    this.started = false;
    this.loading = false;
    this.statusKey = '';
    this.version = 0; // bumped when what the form shows changes
    this.drawn = ''; // the language and version drawn
    this.heading = el('h3', { id: 'room-lesson-h' });
    this.lessonLabel = el('label', { for: 'room-lesson' });
    this.lesson = el('select', { id: 'room-lesson', name: 'lesson', 'data-room-lesson': '',
      onchange: () => this.chooseLesson(), onfocus: () => { if (!this.lessons) this.loadLessons(); } });
    this.stepLabel = el('label', { for: 'room-lesson-step' });
    this.step = el('select', { id: 'room-lesson-step', name: 'step', 'data-room-lesson-step': '', disabled: true });
    this.status = el('p', { class: 'hint', role: 'status' });
    this.button = el('button', { type: 'submit', 'data-room-lesson-ask': '' });
    this.root = el('form', { class: 'room-lesson', 'aria-labelledby': 'room-lesson-h', hidden: true },
      this.heading,
      el('p', {}, this.lessonLabel, ' ', this.lesson),
      el('p', {}, this.stepLabel, ' ', this.step),
      this.status,
      this.button);
    this.root.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
  }

  /** show shows the form (while the room is open), loading the lessons the first time. */
  show(on) {
    this.root.hidden = !on;
    if (on && !this.started) {
      this.started = true;
      this.loadLessons();
    }
    this.draw();
  }

  setStatus(key) {
    this.statusKey = key;
    this.version++;
    this.draw();
  }

  async loadLessons() {
    if (this.loading) return;
    this.loading = true;
    this.setStatus('room.lesson_loading');
    try {
      this.lessons = await getJSON('/api/lessons');
      this.setStatus('');
    } catch {
      this.setStatus('room.lesson_failed'); // focusing the select tries again
    } finally {
      this.loading = false;
    }
  }

  async chooseLesson() {
    const id = this.lesson.value;
    this.step.replaceChildren();
    this.step.disabled = true;
    if (id && !this.views.has(id)) {
      this.setStatus('room.lesson_loading');
      try {
        this.views.set(id, await getJSON(`/api/lessons/${encodeURIComponent(id)}`));
      } catch {
        if (this.lesson.value === id) {
          this.lesson.value = ''; // so that choosing it again tries again
          this.setStatus('room.lesson_failed');
        }
        return;
      }
      if (this.lesson.value !== id) return; // another lesson was chosen meanwhile
    }
    this.setStatus(!id || this.questions(id).length ? '' : 'room.lesson_none');
  }

  /** questions lists the steps of lesson id a room can be asked, with their questions in the page's language. */
  questions(id) {
    const byLang = this.views.get(id);
    const view = byLang?.[document.documentElement.lang] ?? byLang?.en;
    return (view?.steps ?? []).flatMap((s, i) => (s.question && askable.has(s.question.kind) ? [[i, s.question]] : []));
  }

  /** draw updates the texts and the options in place, when the language or the data changed. */
  draw() {
    const lang = document.documentElement.lang;
    if (this.drawn === `${lang} ${this.version}`) return;
    this.drawn = `${lang} ${this.version}`;
    const { t } = this;
    this.heading.textContent = t('room.lesson_heading');
    this.lessonLabel.textContent = t('room.lesson');
    this.stepLabel.textContent = t('room.lesson_question');
    this.button.textContent = t('room.lesson_ask');
    this.status.textContent = this.statusKey ? t(this.statusKey) : '';
    const id = this.lesson.value;
    this.lesson.replaceChildren(el('option', { value: '', text: t('room.lesson_choose') }),
      ...(this.lessons ?? []).map((l) => el('option', { value: l.id, text: textIn(l.title, lang) })));
    this.lesson.value = id;
    const step = this.step.value;
    const questions = id ? this.questions(id) : [];
    this.step.replaceChildren(...questions.map(([i, q]) => el('option', { value: i,
      text: t('room.lesson_step', { n: i + 1, prompt: q.prompt }) })));
    if (questions.some(([i]) => String(i) === step)) this.step.value = step;
    this.step.disabled = questions.length === 0;
  }

  submit() {
    const lesson = this.lesson.value;
    const step = parseInt(this.step.value, 10);
    if (!lesson || Number.isNaN(step)) {
      this.setStatus('room.lesson_pick');
      return;
    }
    this.setStatus('');
    this.ask({ lesson, step });
  }
}

/**
 * Classroom is the presenter's side: it shares the app's session and shows
 * the room panel, fed with the room messages of the session.
 */
export class Classroom {
  constructor(app) {
    this.app = app;
    this.panel = new RoomPanel(app.tr.t, { viewer: false, send: (m) => app.session.send(m), lanURL: app.config.lanURL });
    app.session.onOther = (msg) => this.panel.receive(msg);
    // The room ends with the presenter's connection; the session that
    // reconnects is a new one, unshared.
    app.store.on((c) => {
      if (c.what === 'connection' && app.store.connection === 'reconnecting' && this.panel.code && !this.panel.ended) {
        this.panel.ended = 'left';
        this.panel.render();
      }
    });
    this.panel.render();
  }

  /** share opens the room, or shows the open one again. */
  share() {
    this.panel.root.hidden = false;
    this.app.session.send({ type: 'share' });
    this.panel.root.scrollIntoView?.({ block: 'nearest' });
  }
}

/** Commands a viewer's page would send for the controls: all ignored. */
const driving = ['load', 'step', 'play', 'pause', 'toggle', 'skipGap', 'back', 'reset', 'call', 'drop'];

/**
 * Follower is the session of a page that follows a room (/?room=CODE): it
 * connects to /ws?room=CODE, shows what the presenter does, and sends
 * nothing but answers. After the room ends it does not reconnect.
 */
export class Follower extends Session {
  constructor(store, opts) {
    super(store, opts);
    this.code = (new URLSearchParams(location.search).get('room') ?? '').trim().toUpperCase();
    this.following = this.code;
    this.ended = false;
    this.joined = false;
    this.panel = new RoomPanel(opts.t, { viewer: true, send: (m) => this.send(m) });
    this.panel.code = this.code;
    this.panel.render();
    document.documentElement.classList.add('following');
    for (const name of driving) this[name] = () => {};
  }

  path() {
    return `/ws?room=${encodeURIComponent(this.code)}`;
  }

  connect() {
    if (!this.ended) super.connect();
  }

  /** fallBack: a room cannot be replayed from a recording. */
  fallBack() {
    this.setConnection('reconnecting');
  }

  setConnection(state) {
    super.setConnection(this.ended ? 'ended' : state);
  }

  /** setSpeed only changes what the page shows between events. */
  setSpeed(speed) {
    this.store.speed = speed;
  }

  receive(msg) {
    const s = this.store;
    switch (msg.type) {
      case 'room':
        if (msg.state === 'joined') this.joined = true;
        if (msg.state === 'ended') {
          this.ended = true;
          s.playing = false;
        }
        this.panel.receive(msg);
        this.setConnection(s.connection);
        return;
      case 'error':
        if (!this.joined) {
          // An unknown room: the server closes the connection next.
          this.ended = true;
          this.panel.fail(errorText(msg, this.t));
          return;
        }
        break;
      case 'loaded':
        s.scenarioId = msg.scenario?.id ?? '';
        s.total = null;
        break;
      default:
        if (this.panel.receive(msg)) return;
    }
    super.receive(msg);
  }
}
