#!/usr/bin/env node
// Runs every compiled test file (test/dist/**/*.test.js) with Node's test runner.
// Extra arguments are passed to `node --test` (e.g. --test-name-pattern=masked).
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'test', 'dist');

function find(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...find(p));
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filter = process.env.MASKID_TEST_FILTER;
const files = find(dist)
  .filter((f) => !filter || f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no compiled tests found under test/dist (did `tsc -b` run?)');
  process.exit(1);
}
console.error(`run-tests: ${files.length} test files: ${files.map((f) => relative(dist, f)).join(', ')}`);
const run = (list, env) =>
  spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...process.argv.slice(2), ...list], { stdio: 'inherit', cwd: root, env: { ...process.env, ...env } }).status ?? 1;
// Timing-sensitive suites (test/dist/soak) pin processes to cores and measure the machine's peak:
// they run alone, after everything else, so no other test file competes for those cores.
const alone = files.filter((f) => relative(dist, f).startsWith('soak'));
const together = files.filter((f) => !alone.includes(f));
// (`node --test` with no files would discover every test in the tree: never call it empty.)
let status = together.length > 0 ? run(together, {}) : 0;
if (alone.length > 0) {
  console.error(`run-tests: timing-sensitive pass, alone: ${alone.map((f) => relative(dist, f)).join(', ')}`);
  status = run(alone, {}) || status;
}

// The issuer suite again on PostgreSQL (every test issuer in a fresh schema), when a server is given.
const postgres = process.env.MASKID_POSTGRES_URL;
const issuerFiles = files.filter((f) => relative(dist, f).startsWith('issuer'));
if (!postgres) {
  console.error('run-tests: PostgreSQL pass SKIPPED: MASKID_POSTGRES_URL is not set (CI sets postgres://postgres@127.0.0.1:5432/test); the issuer suite ran on SQLite only');
} else if (issuerFiles.length > 0) {
  console.error(`run-tests: PostgreSQL pass: ${issuerFiles.length} issuer test files against ${postgres.replace(/\/\/[^@/]*@/, '//***@')}`);
  status = run(issuerFiles, { MASKID_TEST_POSTGRES_URL: postgres }) || status;
}
if (!process.env.MASKID_REDIS_URL) console.error('run-tests: Redis replica suite SKIPPED: MASKID_REDIS_URL is not set (CI sets redis://127.0.0.1:6379)');
process.exit(status);
