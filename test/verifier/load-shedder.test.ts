/**
 * LoadShedder in a real child process: overload is a loop that stays late *and* busy. A process the
 * OS keeps off the CPU while it is idle (SIGSTOP/SIGCONT, as a browser or another test on the same
 * cores does) is late at every sample, yet sheds nothing; the same process kept busy sheds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../helpers.js';

const CHILD = `
import { LoadShedder } from '@maskid/verifier';
const s = new LoadShedder(20);
s.start();
let late = 0, over = 0, samples = 0, busyFor = 0;
const report = setInterval(() => {
  samples++;
  if (s.delayMs > 20) late++;
  if (s.overloaded) over++;
  if (busyFor > 0) { const until = performance.now() + busyFor; while (performance.now() < until) {} }
}, 10);
process.on('message', (m) => {
  if (m === 'reset') { late = over = samples = 0; process.send({ ready: true }); }
  if (m === 'busy') { busyFor = 40; late = over = samples = 0; }
  if (m === 'report') process.send({ late, over, samples });
  if (m === 'exit') { clearInterval(report); process.exit(0); }
});
process.send({ ready: true });
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LoadShedder: sustained, busy lateness only', () => {
  it('a process kept off the CPU while idle is late but not overloaded; kept busy, it is', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const next = () => new Promise<Record<string, number | boolean>>((resolve) => child.once('message', (m) => resolve(m as Record<string, number | boolean>)));
    try {
      await next();
      await sleep(100);
      child.send('reset');
      await next();
      // 1.5 s of being descheduled for 40 ms out of every 50 ms while the loop has nothing to do.
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        child.kill('SIGSTOP');
        await sleep(40);
        child.kill('SIGCONT');
        await sleep(10);
      }
      child.send('report');
      const idle = await next();
      assert.ok((idle['late'] as number) >= 10, `the child was late at many samples (${JSON.stringify(idle)})`);
      assert.equal(idle['over'], 0, `never overloaded while idle (${JSON.stringify(idle)})`);

      child.send('busy');
      await sleep(1000);
      child.send('report');
      const busy = await next();
      assert.ok((busy['over'] as number) > (busy['samples'] as number) / 2, `overloaded while busy and late (${JSON.stringify(busy)})`);
    } finally {
      child.send('exit');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
