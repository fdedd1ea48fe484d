// The page's strings. Both catalogues come with the page (JSON in
// #synack-i18n), so switching language needs no request; every string a
// reader sees is looked up here, never written in code.

/** Translator holds the catalogues and the current language. */
export class Translator {
  constructor(catalogues, lang) {
    this.catalogues = catalogues;
    // Words fetched on demand (GET /api/strings/{group}), by language: kept
    // apart so that a catalogue fetched later on a language switch does
    // not lose them.
    this.extra = {};
    this.lang = catalogues[lang] ? lang : 'en';
    this.t = this.t.bind(this);
  }

  /** t returns the message for key with {name} placeholders filled from vars. */
  t(key, vars) {
    const msg = this.catalogues[this.lang]?.[key] ?? this.extra[this.lang]?.[key] ?? this.catalogues.en?.[key] ?? this.extra.en?.[key] ?? key;
    if (!vars) return msg;
    return msg.replace(/\{([a-z_]+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  }

  /** has reports whether the catalogue holds key. */
  has(key) {
    return key in (this.catalogues[this.lang] ?? {}) || key in (this.extra[this.lang] ?? {});
  }

  /** add takes words fetched on demand: {lang: {key: text}}. */
  add(strings) {
    for (const [lang, words] of Object.entries(strings ?? {})) this.extra[lang] = { ...this.extra[lang], ...words };
  }

  /**
   * apply relabels the server-rendered markup below root: data-i18n sets
   * the text, data-i18n-label the aria-label, data-i18n-title the title.
   */
  apply(root = document) {
    for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = this.t(el.dataset.i18n);
    for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', this.t(el.dataset.i18nLabel));
    for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = this.t(el.dataset.i18nTitle);
  }

  /** number formats n for the current language. */
  number(n, digits = 0) {
    return n.toLocaleString(this.lang === 'zh' ? 'zh-CN' : 'en', { maximumFractionDigits: digits });
  }
}

/**
 * errorText is the words for a server's error message ({type: "error",
 * message, code, args}, or an HTTP answer's {error, code, args}): the
 * catalogue's error.<code> with args filled in, or the server's English
 * message when the catalogue has no such text. A field error's detail is
 * worded from its rule too (fieldDetail).
 */
export function errorText(msg, t) {
  const fallback = String(msg?.message ?? msg?.error ?? '');
  if (typeof msg?.code !== 'string' || msg.code === '') return fallback;
  const key = `error.${msg.code}`;
  const args = msg.args && typeof msg.args === 'object' ? msg.args : {};
  const vars = { ...args };
  const detail = fieldDetail(args, t);
  if (detail !== undefined) vars.detail = detail;
  const text = t(key, vars);
  return text === key ? fallback : text;
}

/**
 * fieldDetail says what is wrong with a field in the page's language: the
 * engine's rule (args.check, with args.values) as the catalogue's
 * field.<check>, else the server's English detail.
 */
export function fieldDetail(args, t) {
  const english = args?.detail == null ? undefined : String(args.detail);
  if (typeof args?.check !== 'string' || args.check === '') return english;
  const key = `field.${args.check}`;
  const values = args.values && typeof args.values === 'object' ? args.values : {};
  const text = t(key, values);
  return text === key ? english : text;
}

/** readJSON parses the JSON script element id. */
export function readJSON(id) {
  const el = document.getElementById(id);
  return el ? JSON.parse(el.textContent) : null;
}
