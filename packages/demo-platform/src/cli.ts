/** `maskid-demo-platform --port 3001 --name "Video Site" --origin http://localhost:3001 --verifier http://127.0.0.1:8081 --claims ageOver18,region` */
import { parseArgs } from 'node:util';
import { createDemoPlatform } from './index.js';

const USAGE = 'Usage: maskid-demo-platform --port N --name NAME --origin ORIGIN --verifier URL [--claims ageOver18,region] [--host 127.0.0.1]';

export async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv.slice(2),
      options: {
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        name: { type: 'string' },
        origin: { type: 'string' },
        verifier: { type: 'string' },
        claims: { type: 'string', default: 'ageOver18' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`maskid-demo-platform: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values['help']) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const port = Number(values['port']);
  if (!Number.isInteger(port) || port <= 0 || !values['name'] || !values['origin'] || !values['verifier']) {
    process.stderr.write(`maskid-demo-platform: --port, --name, --origin and --verifier are required\n${USAGE}\n`);
    return 2;
  }
  const app = createDemoPlatform({
    name: String(values['name']),
    origin: String(values['origin']),
    verifierUrl: String(values['verifier']),
    claims: String(values['claims']).split(','),
  });
  const server = app.listen(port, String(values['host']));
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  process.stderr.write(`maskid-demo-platform: ${values['name']} on ${values['origin']}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  return 0;
}
