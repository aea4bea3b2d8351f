/** The real binaries, run as the operator and the platforms would: the issuer CLI (`--json`) and long-running `serve` daemons. */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from './helpers.js';

export const ISSUER_BIN = join(REPO_ROOT, 'packages', 'issuer', 'bin', 'maskid-issuer.js');
export const VERIFIER_BIN = join(REPO_ROOT, 'packages', 'verifier', 'bin', 'maskid-verifier.js');

/** Runs `maskid-issuer --dev --data-dir <dataDir> --json <args>`; asserts success and returns its JSON. */
export function issuerCli(dataDir: string, args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [ISSUER_BIN, '--dev', '--data-dir', dataDir, '--json', ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/**
 * Starts `bin args` and waits until its stderr matches `ready` (polled every 25 ms, up to a minute: start-up
 * on a loaded machine takes seconds). The child is added to `children` for the caller to stop.
 */
export async function startDaemon(children: ChildProcess[], bin: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  for (let i = 0; i < 2400 && !ready.test(err); i++) await sleep(25);
  assert.match(err, ready);
  return child;
}
