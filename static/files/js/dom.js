// dom.js: the one small helper the dialogs use to build elements.

/** h makes an element: attrs set attributes (true sets an empty one, null or
 * false none; "text" sets the text), kids are appended (null ones skipped). */
export function h(name, attrs = {}, ...kids) {
  const e = document.createElement(name);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, v);
  }
  e.append(...kids.filter((k) => k != null));
  return e;
}
