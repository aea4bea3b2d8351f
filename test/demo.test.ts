/** `npm run demo` keeps working: it exits 0 only when every step of the story behaves. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { REPO_ROOT } from './helpers.js';

it('npm run demo tells the whole story, builds the extension and (with --once) exits 0', () => {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'demo.mjs'), '--once'], { encoding: 'utf8', cwd: REPO_ROOT, timeout: 120_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /the platforms cannot tell/);
  assert.match(r.stdout, /forum now says\s+ERR_STATUS_REVOKED/);
  assert.match(r.stdout, /issuer requests\s+0 during the sign-ins/);
  assert.match(r.stdout, /offer \(by reference\)\s+openid-credential-offer:\/\/\?credential_offer_uri=http/, 'prints the full offer of step 3');
  // --once prints nothing that points at what it removes on exit (the browser offer, the data directory).
  assert.doesNotMatch(r.stdout, /maskid-demo-|--data-dir|PIN\s+\d{6}\n\s+Then open/);
  assert.match(r.stdout, /--once: the issuer, the sites and the data directory stop here/);
  assert.ok(existsSync(join(REPO_ROOT, 'packages', 'extension', 'build', 'manifest.json')), 'builds the extension');
});
