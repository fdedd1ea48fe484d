// Unit tests of share links (share.js): a scenario packed into the s=
// parameter and back, the errors a damaged link gives, and the addresses
// and iframe snippet the share dialog writes. testdata/share.json holds a
// link packed by share.js; web/share_test.go unpacks the same one in Go.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { MAX_SHARE_CHARS, ShareError, appLink, decodeShare, embedLink, embedSnippet, encodeShare, shareErrorText } from '../files/js/share.js';

const fixture = (name) => JSON.parse(readFileSync(new URL(`testdata/${name}.json`, import.meta.url), 'utf8'));
const catalogue = JSON.parse(readFileSync(new URL('../../i18n/en.json', import.meta.url), 'utf8'));
const t = (key, vars) => (catalogue[key] ?? key).replace(/\{([a-z_]+)\}/g, (m, n) => (vars && n in vars ? String(vars[n]) : m));

async function rawDeflate(text) {
  const out = new Blob([new TextEncoder().encode(text)]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  const bytes = new Uint8Array(await new Response(out).arrayBuffer());
  return Buffer.from(bytes).toString('base64url');
}

async function rejectsWith(s, key) {
  await assert.rejects(decodeShare(s), (err) => {
    assert.ok(err instanceof ShareError, String(err));
    assert.equal(err.key, key);
    assert.ok(!shareErrorText(err, t).startsWith('export.'), 'a message in words');
    return true;
  });
}

describe('share links', () => {
  for (const name of ['client-closes-first', 'syn-flood-backlog', 'old-duplicate-syn']) {
    test(`${name}: the scenario survives packing, in base64url`, async () => {
      const sc = fixture(name).scenario;
      const s = await encodeShare(sc);
      assert.match(s, /^[A-Za-z0-9_-]+$/);
      assert.deepEqual(await decodeShare(s), sc);
      // Padding, which some tools add, is accepted.
      assert.deepEqual(await decodeShare(s + '='.repeat((4 - (s.length % 4)) % 4)), sc);
    });
  }

  test('a link packed earlier still opens (the same link web/share_test.go reads)', async () => {
    const { s, scenario } = fixture('share');
    assert.deepEqual(await decodeShare(s), scenario);
  });

  test('damaged links are errors in words', async () => {
    await rejectsWith('', 'export.link_empty');
    await rejectsWith('A'.repeat(MAX_SHARE_CHARS + 1), 'export.link_too_long');
    await rejectsWith('not base64!', 'export.link_not_base64');
    await rejectsWith('abcde', 'export.link_not_base64');
    await rejectsWith('SGVsbG8gd29ybGQ', 'export.link_damaged');
    const { s } = fixture('share');
    await rejectsWith(s.slice(0, (s.length >> 3) << 2), 'export.link_damaged');
    await rejectsWith(await rawDeflate('hello'), 'export.link_not_json');
    await rejectsWith(await rawDeflate('[1, 2]'), 'export.link_not_json');
    await rejectsWith(await rawDeflate('null'), 'export.link_not_json');
  });

  test('the length error says how long and the limit', async () => {
    await assert.rejects(decodeShare('A'.repeat(9000)), (err) => {
      assert.equal(shareErrorText(err, t), t('export.link_too_long', { n: 9000, max: MAX_SHARE_CHARS }));
      return true;
    });
  });

  test('a small link that unpacks into a huge document is refused', async () => {
    const bomb = await rawDeflate(JSON.stringify({ title: { en: 'x'.repeat(1 << 20) } }));
    assert.ok(bomb.length <= MAX_SHARE_CHARS, `the bomb is ${bomb.length} characters`);
    await rejectsWith(bomb, 'export.link_too_big');
  });
});

describe('addresses and snippets', () => {
  const base = 'https://synack.example.org';

  test('app links', () => {
    assert.equal(appLink(base, { id: 'syn-lost', lang: 'zh' }), 'https://synack.example.org/?scenario=syn-lost&lang=zh');
    assert.equal(appLink(base, { s: 'abc_-', lang: 'en' }), 'https://synack.example.org/?s=abc_-&lang=en');
  });

  test('embed links carry the options, and a range only when it makes sense', () => {
    assert.equal(
      embedLink(base, { id: 'fin-lost', autoplay: true, speed: 'max', lang: 'en', from: 3, to: 9, parent: 'https://course.example.edu' }),
      'https://synack.example.org/embed/fin-lost?lang=en&autoplay=1&speed=max&from=3&to=9&parent=https%3A%2F%2Fcourse.example.edu',
    );
    assert.equal(embedLink(base, { s: 'xyz', from: 5, to: 2 }), 'https://synack.example.org/embed/custom?s=xyz&from=5');
    assert.equal(embedLink(base, { lesson: 'time-wait', from: 'x', to: -1 }), 'https://synack.example.org/embed/lesson/time-wait');
    assert.equal(embedLink(base, { id: 'a b' }), 'https://synack.example.org/embed/a%20b');
  });

  test('the iframe snippet escapes what it quotes and keeps sizes sane', () => {
    const html = embedSnippet({ src: 'https://synack.example.org/embed/x?a=1&b=2', title: 'A "quoted" <title>', width: '100%', height: '600' });
    assert.equal(html, '<iframe src="https://synack.example.org/embed/x?a=1&amp;b=2" title="A &quot;quoted&quot; &lt;title&gt;" width="100%" height="600" style="border: 0" loading="lazy"></iframe>');
    const odd = embedSnippet({ src: 'x', title: 't', width: '" onload="alert(1)', height: 'tall' });
    assert.match(odd, /width="100%" height="560"/);
    assert.match(embedSnippet({ src: 'x', title: 't', width: '720', height: '480' }), /width="720" height="480"/);
  });
});
