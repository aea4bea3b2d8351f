// R1: the revocation-freshness test (test/security/revocation-freshness.test.ts: real issuer and verifier
// processes behind a caching proxy) run once; its measured figures are the result.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'maskid-bench-freshness-'));
const file = join(dir, 'freshness.json');
const r = spawnSync(process.execPath, ['--test', join(ROOT, 'test/dist/security/revocation-freshness.test.js')], {
  cwd: ROOT,
  env: { ...process.env, MASKID_FRESHNESS_OUT: file },
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
if (r.status !== 0) {
  process.stderr.write(r.stdout);
  throw new Error(`the freshness test failed (${r.status})`);
}
const out = JSON.parse(readFileSync(file, 'utf8'));
rmSync(dir, { recursive: true, force: true });
process.stderr.write(`bench: R1 revoke ${Math.round(out.revokeMs)} ms, bound ${Math.round(out.boundMs)} ms\n`);
process.stdout.write(JSON.stringify(out) + '\n');
