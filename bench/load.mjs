// The load generator (run pinned to its own core): POSTs distinct presentation bodies from a file.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const [url, bodiesFile, duration, rate, connections] = process.argv.slice(2);
const bodies = JSON.parse(readFileSync(bodiesFile, 'utf8'));
let i = 0;
const result = await autocannon({
  url,
  duration: Number(duration),
  connections: Number(connections ?? 32),
  pipelining: 1,
  ...(Number(rate) > 0 ? { overallRate: Number(rate) } : {}),
  requests: [
    {
      method: 'POST',
      path: '/v1/presentations',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }),
    },
  ],
});
process.stdout.write(
  JSON.stringify({
    rps: result.requests.average,
    sent: i,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    p999: result.latency.p99_9 ?? null,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    reused: i > bodies.length,
  }) + '\n',
);
