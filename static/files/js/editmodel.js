// The scenario editor's model (editor.js): a scenario object edited in
// place through the field paths the server's errors use ("steps[2].at_ms",
// "faults[0].drop.flags"), and the reading of those errors. Pure functions,
// tested in static/jstest/editmodel.test.js.

const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;
const FIELD_PATH = /^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*): (.+)$/s;

/** blank is the scenario a new one starts from: a connection opened and closed. */
export function blankScenario() {
  return {
    title: { en: '', zh: '' },
    seed: 1,
    profile: 'linux',
    network: { one_way_delay_ms: 10 },
    steps: [
      { at_ms: 0, endpoint: 'server', call: 'listen' },
      { at_ms: 0, endpoint: 'client', call: 'connect' },
      { at_ms: 200, endpoint: 'client', call: 'close' },
      { at_ms: 400, endpoint: 'server', call: 'close' },
    ],
    faults: [],
  };
}

/** parsePath splits "steps[2].at_ms" into ["steps", 2, "at_ms"]. */
export function parsePath(path) {
  const keys = [];
  for (const part of String(path).split('.')) {
    const m = /^([a-z_]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) return null;
    keys.push(m[1]);
    for (const [, i] of m[2].matchAll(/\[(\d+)\]/g)) keys.push(Number(i));
  }
  return keys;
}

/** setPath sets obj at path to value; undefined deletes it, and an object
 * left empty by that goes too. */
export function setPath(obj, path, value) {
  const keys = parsePath(path);
  if (!keys) return;
  const chain = [obj];
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (o[k] == null || typeof o[k] !== 'object') {
      if (value === undefined) return;
      o[k] = {};
    }
    o = o[k];
    chain.push(o);
  }
  const last = keys.at(-1);
  if (value === undefined) delete o[last];
  else o[last] = value;
  for (let i = chain.length - 1; i > 0; i--) {
    const parent = chain[i - 1];
    const k = keys[i - 1];
    if (value === undefined && !Array.isArray(chain[i]) && Object.keys(chain[i]).length === 0) delete parent[k];
  }
}

/** getPath reads obj at path (undefined when it is not there). */
export function getPath(obj, path) {
  let o = obj;
  for (const k of parsePath(path) ?? []) {
    if (o == null) return undefined;
    o = o[k];
  }
  return o;
}

/** numberOrText reads a number field: blank is nothing, a number is a
 * number, anything else goes to the server as typed, which says why it is
 * wrong. */
export function numberOrText(v) {
  const s = String(v).trim();
  if (s === '') return undefined;
  return NUMBER.test(s) ? Number(s) : s;
}

/** splitError reads the server's error: {field, message} when it names a
 * field ("steps[2].at_ms: must be …"), else {field: "", message}. */
export function splitError(msg) {
  const m = FIELD_PATH.exec(String(msg));
  return m ? { field: m[1], message: String(msg) } : { field: '', message: String(msg) };
}
