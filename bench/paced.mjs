// Paced open-loop load generator (run pinned to its own core): sends POST /v1/presentations at a
// fixed rate, evenly spaced, over kept-alive connections. Latency is measured from each request's
// scheduled send time, so a stalled server is charged for the requests it delayed (no coordinated
// omission). autocannon's overallRate releases each second's quota in a burst, which measures the
// burst, not the service; this is used for the latency-at-half-load figure.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

const [url, bodiesFile, duration, rate, connections] = process.argv.slice(2);
// Bodies as Buffers, made before the clock starts: off the JS heap, so the generator's own GC stays
// short (with tens of MB of body strings on its heap its pauses were long, and every request
// scheduled during one is charged the pause).
const bodies = JSON.parse(readFileSync(bodiesFile, 'utf8')).map((b) => Buffer.from(b));
globalThis.gc?.();
const target = new URL(url);
const agent = new Agent({ keepAlive: true, maxSockets: Number(connections ?? 32), keepAliveMsecs: 60_000 });
const interval = 1000 / Number(rate);
const total = Math.floor(Number(duration) * Number(rate));
const latencies = new Float64Array(total);
let done = 0;
let errors = 0;
let non2xx = 0;
const start = performance.now() + 50;

await new Promise((resolve) => {
  let sent = 0;
  const fire = () => {
    const now = performance.now();
    while (sent < total && start + sent * interval <= now) {
      const i = sent++;
      const scheduled = start + i * interval;
      const body = bodies[i % bodies.length];
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: '/v1/presentations',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          if (res.statusCode < 200 || res.statusCode >= 300) non2xx++;
          res.resume();
          res.on('end', () => {
            latencies[i] = performance.now() - scheduled;
            if (++done === total) resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        latencies[i] = performance.now() - scheduled;
        if (++done === total) resolve();
      });
      req.end(body);
    }
    if (sent < total) setTimeout(fire, Math.max(0, start + sent * interval - performance.now()));
  };
  fire();
});
const elapsed = (performance.now() - start) / 1000;
const sorted = [...latencies].sort((a, b) => a - b);
const q = (p) => Number(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(2));
agent.destroy();
process.stdout.write(
  JSON.stringify({
    rps: total / elapsed,
    sent: total,
    total,
    p50: q(0.5),
    p99: q(0.99),
    p999: q(0.999),
    errors,
    timeouts: 0,
    non2xx,
    reused: total > bodies.length,
  }) + '\n',
);
