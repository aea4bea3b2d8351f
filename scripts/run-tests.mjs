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
const files = find(dist).filter((f) => !filter || f.includes(filter)).sort();
if (files.length === 0) {
  console.error('run-tests: no compiled tests found under test/dist (did `tsc -b` run?)');
  process.exit(1);
}
console.error(`run-tests: ${files.length} test files: ${files.map((f) => relative(dist, f)).join(', ')}`);
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...process.argv.slice(2), ...files], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
