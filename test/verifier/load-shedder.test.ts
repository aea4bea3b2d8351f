/**
 * LoadShedder in a real child process: overload is a loop made late by verification work. A process
 * that the OS keeps off the CPU (SIGSTOP/SIGCONT, as a browser or another test on the same cores does)
 * or that is busy with other code is late at every sample, yet sheds nothing; the same process made
 * late by verification work sheds, and stops shedding once it is on time again.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../helpers.js';

// mode 'idle': nothing to do; 'other': 40 ms of non-verification work every 10 ms; 'little': the same
// with 2 ms of it verification; 'verify': all 40 ms counted as verification work (what the engine
// reports through workMs).
const CHILD = `
import { LoadShedder } from '@maskid/verifier';
let workMs = 0, mode = 'idle', late = 0, over = 0, samples = 0;
const s = new LoadShedder(20, () => workMs);
s.start();
setInterval(() => {
  samples++;
  if (s.delayMs > 20) late++;
  if (s.overloaded) over++;
  if (mode !== 'idle') {
    const t0 = performance.now();
    while (performance.now() - t0 < 40) {}
    if (mode === 'verify') workMs += performance.now() - t0;
    if (mode === 'little') workMs += 2;
  }
}, 10);
process.on('message', (m) => {
  if (m.mode) { mode = m.mode; late = over = samples = 0; process.send({ ok: true }); }
  if (m.report) process.send({ late, over, samples, overloadedNow: s.overloaded });
  if (m.exit) process.exit(0);
});
process.send({ ok: true });
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LoadShedder: only lateness caused by verification work', () => {
  it('kept off the CPU or busy with other code: late, never overloaded; late from verification: overloaded, then recovers', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    type Report = { late: number; over: number; samples: number; overloadedNow: boolean };
    const ask = (m: object) =>
      new Promise<Report>((resolve) => {
        child.once('message', (r) => resolve(r as Report));
        if (Object.keys(m).length) child.send(m);
      });
    try {
      await ask({});
      await sleep(100);
      await ask({ mode: 'idle' });
      // 1.5 s of being descheduled for 40 ms out of every 50 ms while the loop has nothing to do.
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        child.kill('SIGSTOP');
        await sleep(40);
        child.kill('SIGCONT');
        await sleep(10);
      }
      const idle = await ask({ report: true });
      assert.ok(idle.late >= 10, `the child was late at many samples (${JSON.stringify(idle)})`);
      assert.equal(idle.over, 0, `never overloaded while kept off the CPU (${JSON.stringify(idle)})`);

      await ask({ mode: 'other' });
      await sleep(1000);
      const other = await ask({ report: true });
      assert.ok(other.late >= 10, `late while busy with other code (${JSON.stringify(other)})`);
      assert.equal(other.over, 0, `never overloaded by work that is not verification (${JSON.stringify(other)})`);

      await ask({ mode: 'little' });
      await sleep(1000);
      const little = await ask({ report: true });
      assert.ok(little.late >= 10 && little.over === 0, `a little verification in a loop late for other reasons is not overload (${JSON.stringify(little)})`);

      await ask({ mode: 'verify' });
      await sleep(1000);
      const busy = await ask({ report: true });
      assert.ok(busy.over > busy.samples / 2, `overloaded while late from verification (${JSON.stringify(busy)})`);

      await ask({ mode: 'idle' });
      await sleep(100);
      const after = await ask({ report: true });
      assert.equal(after.overloadedNow, false, 'not overloaded once on time again');
    } finally {
      child.send({ exit: true });
      await new Promise((r) => child.once('exit', r));
    }
  });
});
