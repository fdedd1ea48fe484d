// Keyboard shortcuts and the help dialog that lists them (the dialog's
// table is in the page, from the same list). Shortcuts are ignored while the
// focus is in a text field, a drop-down or a radio group, where the keys
// already mean something; Space and Enter keep activating the focused
// button. Single-key shortcuts can be turned off in the help dialog
// (WCAG 2.1.4), and the choice is kept.

import { prefs } from './controls.js';

/** typing reports whether the key belongs to the focused control. */
function typing(target) {
  if (!(target instanceof Element)) return false;
  if (target.closest('input[type="text"], input:not([type]), textarea, select, [contenteditable=""], [contenteditable="true"]')) return true;
  return false;
}

export class Keyboard {
  constructor(app) {
    this.app = app;
    this.enabled = prefs.get('shortcuts') !== 'off';
    this.dialog = document.getElementById('help');
    const box = document.getElementById('shortcuts-on');
    if (box) {
      box.checked = this.enabled;
      box.addEventListener('change', () => {
        this.enabled = box.checked;
        prefs.set('shortcuts', this.enabled ? null : 'off');
      });
    }
    document.getElementById('help-open')?.addEventListener('click', () => this.help());
    document.addEventListener('keydown', (e) => this.key(e));
  }

  help() {
    if (!this.dialog || this.dialog.open) return;
    this.dialog.showModal();
  }

  key(e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (this.dialog?.open) return; // the dialog handles Esc itself
    if (typing(e.target)) return;
    const onButton = e.target instanceof Element && e.target.closest('button, a, summary, input');
    const inRadio = e.target instanceof Element && e.target.closest('input[type="radio"]');
    const { app } = this;
    const { session, controls } = app;
    const k = e.key;
    // Keys that work even with single-key shortcuts off: they are not
    // printable characters (WCAG 2.1.4 is about those).
    const named = {
      ArrowRight: () => session.step(),
      ArrowLeft: () => session.back(),
      Home: () => session.reset(),
      End: () => session.play('max'),
    };
    if (k in named && !inRadio) {
      e.preventDefault();
      named[k]();
      return;
    }
    if (k === ' ' && !onButton) {
      e.preventDefault();
      session.toggle();
      return;
    }
    if (!this.enabled) return;
    const letters = {
      k: () => session.toggle(),
      j: () => session.step(),
      h: () => session.back(),
      r: () => session.reset(),
      '-': () => controls.changeSpeed(-1),
      '+': () => controls.changeSpeed(1),
      '=': () => controls.changeSpeed(1),
      x: () => controls.dropFirst(),
      n: () => controls.cycleNumbering(),
      e: () => app.focusEvents(),
      d: () => app.focusDiagram(),
      l: () => app.setLanguage(app.tr.lang === 'zh' ? 'en' : 'zh'),
      t: () => controls.cycleTheme(),
      p: () => controls.toggleProjector(),
      '?': () => this.help(),
    };
    const f = letters[k.length === 1 ? k.toLowerCase() : ''];
    if (f) {
      e.preventDefault();
      f();
    }
  }
}
