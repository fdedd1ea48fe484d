// The page's controls: scenario picker, playback toolbar, speed, notation,
// timers shown or not, the sandbox's socket calls, dropping a segment in
// flight, and the display preferences (language, theme, projector mode).
// Preferences are kept in localStorage; the language is kept in the address
// (?lang=), which the server reads first. The address also sets the
// notation (?numbering=absolute|relative|symbolic, ?flags=names|bits), what
// one Step moves by (?step=segment|event) and ?timers=0; an address wins
// over a saved preference.

import { FLAG_STYLES, NUMBERINGS } from './numbers.js';
import { isPace } from './session.js';

/** stepModes are what one Step moves by (pace.js STEP_MODES). */
const stepModes = ['segment', 'event'];

const store = {
  get(key) {
    try {
      return localStorage.getItem(`synack.${key}`);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      if (value == null) localStorage.removeItem(`synack.${key}`);
      else localStorage.setItem(`synack.${key}`, value);
    } catch {
      // Storage blocked: the choice lasts for this page only.
    }
  },
};

export const prefs = store;

const themes = ['auto', 'light', 'dark'];

/** parseSpeed reads a speed option value: a pace ("teaching", "fast"),
 * "max" or a number. */
export function parseSpeed(v) {
  if (v === 'max' || isPace(v)) return v;
  const n = Number(v);
  return v != null && v !== '' && n > 0 ? n : null;
}

/**
 * pageOptions reads the options the address gives ({numbering, flags,
 * stepBy, timers}), each undefined when absent or not one of its values.
 */
export function pageOptions(search = location.search) {
  const q = new URLSearchParams(search);
  const pick = (name, values) => (values.includes(q.get(name)) ? q.get(name) : undefined);
  const timers = q.get('timers');
  return {
    numbering: pick('numbering', NUMBERINGS),
    flags: pick('flags', FLAG_STYLES),
    stepBy: pick('step', stepModes),
    timers: timers === '0' ? false : timers === '1' ? true : undefined,
  };
}

/** speedValue is the option value of a speed. */
function speedValue(speed) {
  return String(speed);
}

export class Controls {
  /**
   * @param app the page: app.session, app.store, app.tr (translator), and
   * app.setLanguage(lang), app.loadScenario(id), app.inFlight(), app.setNumbering(n)
   * and app.relayout()
   */
  constructor(app) {
    this.app = app;
    this.$ = (id) => document.getElementById(id);
    this.bind();
  }

  bind() {
    const { app, $ } = this;
    const { session } = app;
    $('play')?.addEventListener('click', () => session.toggle());
    $('step')?.addEventListener('click', () => session.step());
    $('back')?.addEventListener('click', () => session.back());
    $('reset')?.addEventListener('click', () => session.reset());
    $('speed')?.addEventListener('change', (e) => {
      const speed = parseSpeed(e.target.value);
      if (speed == null) return;
      session.setSpeed(speed);
      if (app.mode === 'app') prefs.set('speed', speedValue(speed));
    });
    $('scenario')?.addEventListener('change', (e) => app.loadScenario(e.target.value));
    for (const radio of document.querySelectorAll('input[name="numbering"]')) {
      radio.addEventListener('change', (e) => app.setNumbering(e.target.value));
    }
    $('flag-bits')?.addEventListener('change', (e) => app.setNotation({ numbering: app.store.numbering, flags: e.target.checked ? 'bits' : 'names' }));
    $('show-timers')?.addEventListener('change', (e) => app.setTimersShown(e.target.checked));
    $('drop')?.addEventListener('click', () => this.dropFirst());
    $('theme')?.addEventListener('click', () => this.cycleTheme());
    $('projector')?.addEventListener('click', () => this.toggleProjector());
    for (const a of document.querySelectorAll('nav.lang a[hreflang]')) {
      a.addEventListener('click', (e) => {
        e.preventDefault();
        app.setLanguage(a.hreflang);
      });
    }
    document.getElementById('sandbox')?.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-call]');
      if (!b) return;
      session.call(b.dataset.endpoint, b.dataset.call, $('send-data').value);
      // Show what the call does right away.
      if (!app.store.playing) session.play();
    });
    // On a phone the secondary options sit behind a "⋯" button; Escape or
    // a tap elsewhere closes them.
    const more = $('settings-toggle');
    if (more) {
      const box = $(more.getAttribute('aria-controls'));
      const show = (open) => more.setAttribute('aria-expanded', String(open));
      more.addEventListener('click', () => show(more.getAttribute('aria-expanded') !== 'true'));
      document.addEventListener('keydown', (e) => {
        if (e.key !== 'Escape' || more.getAttribute('aria-expanded') !== 'true') return;
        show(false);
        if (box?.contains(document.activeElement)) more.focus();
      });
      document.addEventListener('pointerdown', (e) => {
        if (!more.contains(e.target) && !box?.contains(e.target)) show(false);
      });
    }
    const toggle = $('events-toggle');
    toggle?.addEventListener('click', () => {
      const panel = document.getElementById(toggle.getAttribute('aria-controls'));
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      panel.hidden = !open;
      if (open) app.panels.events?.render(app.store, app.view());
    });
    this.showTheme();
    this.showProjector();
  }

  /** restore applies the address's options, then the saved notation and
   * speed (the app's only: an embed is as its address says). */
  restore(speedFromPage) {
    const { app, $ } = this;
    const given = pageOptions();
    const saved = app.mode === 'app';
    app.setNotation({
      numbering: given.numbering ?? (saved ? prefs.get('numbering') : null),
      flags: given.flags ?? (saved ? prefs.get('flags') : null),
    }, { save: false });
    app.store.stepBy = given.stepBy ?? 'segment';
    app.setTimersShown(given.timers ?? true);
    const speed = speedFromPage ?? (saved ? parseSpeed(prefs.get('speed')) : null);
    if (speed != null) {
      const sel = $('speed');
      if (sel && ![...sel.options].some((o) => o.value === speedValue(speed))) {
        sel.add(new Option(`${speed}×`, speedValue(speed)));
      }
      if (sel) sel.value = speedValue(speed);
      app.store.speed = speed;
    } else {
      app.store.speed = parseSpeed($('speed')?.value) ?? 'teaching';
    }
  }

  dropFirst() {
    const seg = this.app.inFlight()[0];
    if (seg) this.app.session.drop(seg.id);
  }

  /** changeSpeed moves the speed one option up or down. */
  changeSpeed(dir) {
    const sel = this.$('speed');
    if (!sel) return;
    const i = Math.max(0, Math.min(sel.options.length - 1, sel.selectedIndex + dir));
    if (i === sel.selectedIndex) return;
    sel.selectedIndex = i;
    sel.dispatchEvent(new Event('change'));
  }

  cycleNumbering() {
    const radios = [...document.querySelectorAll('input[name="numbering"]')];
    if (!radios.length) return;
    const i = radios.findIndex((r) => r.checked);
    const next = radios[(i + 1) % radios.length];
    next.checked = true;
    this.app.setNumbering(next.value);
  }

  cycleTheme() {
    const now = document.documentElement.dataset.theme || 'auto';
    const next = themes[(themes.indexOf(now) + 1) % themes.length];
    if (next === 'auto') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = next;
    prefs.set('theme', next === 'auto' ? null : next);
    this.showTheme();
    this.app.relayout();
  }

  showTheme() {
    const button = this.$('theme');
    if (!button) return;
    const t = this.app.tr.t;
    const now = document.documentElement.dataset.theme || 'auto';
    button.textContent = t('pref.theme', { theme: t(`pref.theme_${now}`) });
  }

  toggleProjector() {
    const on = document.documentElement.classList.toggle('projector');
    prefs.set('projector', on ? '1' : null);
    this.showProjector();
    this.app.relayout();
  }

  showProjector() {
    this.$('projector')?.setAttribute('aria-pressed', String(document.documentElement.classList.contains('projector')));
  }

  /** render shows the playback state on the controls. */
  render(s) {
    const { $, app } = this;
    const t = app.tr.t;
    const play = $('play');
    if (play) {
      play.classList.toggle('playing', s.playing);
      const label = play.querySelector('.label');
      label.dataset.i18n = s.playing ? 'ctl.pause' : 'ctl.play';
      label.textContent = t(label.dataset.i18n);
    }
    // aria-disabled, not disabled: a button that keeps the focus while it
    // has nothing to do (Back at the first event) does not throw the
    // keyboard user back to the top of the page.
    const none = s.events.length === 0;
    $('back')?.setAttribute('aria-disabled', String(none));
    $('reset')?.setAttribute('aria-disabled', String(none && !s.playing));
    $('step')?.setAttribute('aria-disabled', String(s.done));
    const sel = $('speed');
    if (sel && s.speed != null && sel.value !== speedValue(s.speed)) sel.value = speedValue(s.speed);
    const drop = $('drop');
    if (drop) drop.hidden = app.inFlight().length === 0;
    const progress = $('progress');
    if (progress) {
      const n = s.events.length;
      const step = s.total ? t('progress.of', { n, total: s.total }) : t('progress.n', { n });
      progress.textContent = s.done ? `${step} · ${t('progress.done')}` : step;
      // The phone's toolbar shows the short form ("3/11", "3/11 ✓").
      progress.dataset.short = (s.total ? `${n}/${s.total}` : `${n}`) + (s.done ? ' ✓' : '');
    }
  }
}
