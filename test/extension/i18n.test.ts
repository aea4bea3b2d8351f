/**
 * The wallet's two languages are complete and in use: both `_locales` files hold the same keys with the
 * same placeholders, every Chinese message is Chinese, every key the code names exists, and every key is
 * used — literally (`t('key')`, `__MSG_key__`) or through the enumerations the code builds keys from
 * (claims, genders, grant states). Province names come from `@maskid/core` (`PROVINCE_NAMES`).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DISCLOSABLE_CLAIMS, GENDERS, GRANT_STATES } from '@maskid/core';
import { REPO_ROOT } from '../helpers.js';

const EXT = join(REPO_ROOT, 'packages', 'extension');
type Messages = Record<string, { message: string; placeholders?: Record<string, { content: string }> }>;
const load = (lang: string) => JSON.parse(readFileSync(join(EXT, 'static', '_locales', lang, 'messages.json'), 'utf8')) as Messages;
const LOCALES = readdirSync(join(EXT, 'static', '_locales')).sort();
const source = [...readdirSync(join(EXT, 'src')).map((f) => readFileSync(join(EXT, 'src', f), 'utf8')), readFileSync(join(EXT, 'build.mjs'), 'utf8')].join('\n');

/** Keys the code builds from a prefix and a value set. */
const DYNAMIC: Record<string, readonly string[]> = {
  claim_: DISCLOSABLE_CLAIMS,
  gender_: GENDERS.map((g) => g.replace(/-/g, '_')),
  state_: GRANT_STATES,
};

describe('wallet languages (_locales)', () => {
  it('Simplified Chinese and English, with the same keys and placeholders; Chinese messages are Chinese', () => {
    assert.deepEqual(LOCALES, ['en', 'zh_CN']);
    const [en, zh] = [load('en'), load('zh_CN')];
    assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
    for (const [key, m] of Object.entries(en)) {
      const names = (text: string) => [...text.matchAll(/\$([A-Za-z0-9_]+)\$/g)].map((x) => x[1]!.toLowerCase()).sort();
      assert.deepEqual(names(zh[key]!.message), names(m.message), `${key}: the same placeholders`);
      assert.deepEqual(zh[key]!.placeholders, m.placeholders, `${key}: numbered the same`);
      for (const name of names(m.message)) assert.ok(m.placeholders?.[name], `${key}: $${name}$ is defined`);
      assert.match(zh[key]!.message, /[\u3000-\u303f\u4e00-\u9fff]/, `${key} is translated`);
    }
  });

  it('every key the code names exists, and every key is used', () => {
    const keys = new Set(Object.keys(load('en')));
    const literal = new Set([...source.matchAll(/\bt\('([A-Za-z0-9_]+)'/g), ...source.matchAll(/__MSG_([A-Za-z0-9_]+)__/g)].map((m) => m[1]!));
    const prefixes = new Set([...source.matchAll(/\bt\(`([A-Za-z0-9_]+_)\$\{/g)].map((m) => m[1]!));
    assert.deepEqual([...prefixes].sort(), Object.keys(DYNAMIC).sort(), 'the dynamic prefixes the code uses are the ones enumerated here');
    const named = new Set([...literal, ...Object.entries(DYNAMIC).flatMap(([p, values]) => values.map((v) => p + v))]);
    assert.deepEqual(
      [...named].filter((k) => !keys.has(k)),
      [],
      'missing keys',
    );
    assert.deepEqual(
      [...keys].filter((k) => !named.has(k)),
      [],
      'unused keys',
    );
    assert.ok(literal.size > 40, `${literal.size} keys named literally`);
  });
});
