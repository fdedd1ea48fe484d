// Links that carry a scenario, and the snippets that embed one. A custom
// scenario travels in the address itself, `/?s=…` or `/embed/custom?s=…`,
// as base64url(deflate-raw(JSON)): no server stores it, and the link works
// for as long as the scenario format does. The server reads the same
// encoding (web/share.go) and bounds it the same way.
//
// Pure functions apart from CompressionStream and DecompressionStream,
// which browsers and Node.js 18+ both have; no DOM.

/** MAX_SHARE_CHARS bounds the s= parameter: links longer than this are cut
 * by some mail clients, chat programs and proxies. web/share.go has the
 * same number. */
export const MAX_SHARE_CHARS = 8000;

/** MAX_SCENARIO_BYTES bounds the unpacked scenario, as POST /api/run does. */
export const MAX_SCENARIO_BYTES = 256 << 10;

/** ShareError says why a link cannot be read: key is its catalogue key,
 * vars the values for its placeholders. */
export class ShareError extends Error {
  constructor(key, vars = {}) {
    super(key);
    this.name = 'ShareError';
    this.key = key;
    this.vars = vars;
  }
}

const B64URL = /^[A-Za-z0-9_-]*$/;

function toBase64url(bytes) {
  let bin = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) bin += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function pipe(bytes, stream) {
  const out = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

// inflate unpacks raw deflate data, reading no more than limit + 1 bytes, so
// that a small link cannot unpack into a huge document.
async function inflate(bytes, limit) {
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const parts = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > limit) {
      await reader.cancel().catch(() => {});
      throw new ShareError('export.link_too_big', { max: Math.round(limit / 1024) });
    }
    parts.push(value);
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** encodeShare packs a scenario object for the s= parameter. */
export async function encodeShare(scenario) {
  const json = new TextEncoder().encode(JSON.stringify(scenario));
  return toBase64url(await pipe(json, new CompressionStream('deflate-raw')));
}

/**
 * decodeShare unpacks an s= parameter into the scenario object it carries.
 * It checks the packing only (length, alphabet, compression, JSON, an
 * object); whether the scenario is valid is the server's to say. Errors are
 * ShareErrors.
 */
export async function decodeShare(s) {
  const v = String(s ?? '').replace(/=+$/, '');
  if (v === '') throw new ShareError('export.link_empty');
  if (v.length > MAX_SHARE_CHARS) throw new ShareError('export.link_too_long', { n: v.length, max: MAX_SHARE_CHARS });
  if (!B64URL.test(v) || v.length % 4 === 1) throw new ShareError('export.link_not_base64');
  let bytes;
  try {
    bytes = await inflate(fromBase64url(v), MAX_SCENARIO_BYTES);
  } catch (err) {
    if (err instanceof ShareError) throw err;
    throw new ShareError('export.link_damaged');
  }
  let sc;
  try {
    sc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ShareError('export.link_not_json');
  }
  if (!sc || typeof sc !== 'object' || Array.isArray(sc)) throw new ShareError('export.link_not_json');
  return sc;
}

/** shareError words an error from decodeShare (or anything else) with t. */
export function shareErrorText(err, t) {
  if (err instanceof ShareError) return t(err.key, err.vars);
  return t('export.link_damaged');
}

/**
 * appLink is the address of the app with a scenario: a built-in's id, or a
 * packed custom scenario (s). base is the server's origin.
 */
export function appLink(base, { id, s, lang }) {
  const u = new URL('/', base);
  if (s) u.searchParams.set('s', s);
  else if (id) u.searchParams.set('scenario', id);
  if (lang) u.searchParams.set('lang', lang);
  return u.href;
}

/**
 * embedLink is the address of the embeddable view: of a built-in (id), a
 * lesson (lesson) or a custom scenario (s), with the view's options:
 * autoplay, speed (a number or "max"), lang, from and to (event numbers,
 * 1 for the first), parent (the course page's origin).
 */
export function embedLink(base, { id, lesson, s, autoplay, speed, lang, from, to, parent }) {
  let path;
  if (s) path = '/embed/custom';
  else if (lesson) path = `/embed/lesson/${encodeURIComponent(lesson)}`;
  else path = `/embed/${encodeURIComponent(id)}`;
  const u = new URL(path, base);
  if (s) u.searchParams.set('s', s);
  if (lang) u.searchParams.set('lang', lang);
  if (autoplay) u.searchParams.set('autoplay', '1');
  if (speed != null && speed !== '') u.searchParams.set('speed', String(speed));
  const f = positive(from);
  const tt = positive(to);
  if (f) u.searchParams.set('from', String(f));
  if (tt && (!f || tt >= f)) u.searchParams.set('to', String(tt));
  if (parent) u.searchParams.set('parent', parent);
  return u.href;
}

function positive(v) {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

function attr(v) {
  return String(v).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * embedSnippet is the HTML a course page pastes: an iframe of src, with a
 * title (for screen readers), a width (a number of pixels or a CSS length
 * such as "100%") and a height in pixels.
 */
export function embedSnippet({ src, title, width, height }) {
  const w = /^\d+$/.test(String(width)) ? String(width) : /^\d+(\.\d+)?%$/.test(String(width)) ? String(width) : '100%';
  const h = /^\d+$/.test(String(height)) ? String(height) : '560';
  return `<iframe src="${attr(src)}" title="${attr(title)}" width="${w}" height="${h}" style="border: 0" loading="lazy"></iframe>`;
}
