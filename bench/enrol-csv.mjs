// Enrolment as an operator runs it: the real `maskid-issuer enroll --csv FILE --json` process on SQLite,
// a fresh file of distinct valid rows per run. Reports the CLI's own rows/s (enrolment, after the file
// is read) and rows per second of the whole process (start-up, agent, CSV parsing, enrolment, exit).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nationalId, stats } from './fixture.mjs';

const BIN = fileURLToPath(new URL('../packages/issuer/bin/maskid-issuer.js', import.meta.url));

/** `runs` measured runs (after one warm-up) of `rows` rows each. */
export function csvEnrolment({ runs, rows }) {
  const dir = mkdtempSync(join(tmpdir(), 'maskid-bench-csv-'));
  try {
    const kek = join(dir, 'kek.txt');
    writeFileSync(kek, 'a long operator passphrase for the bench', { mode: 0o600 });
    const cli = (...args) => {
      const r = spawnSync(process.execPath, [BIN, '--data-dir', join(dir, 'data'), ...args], {
        encoding: 'utf8',
        env: { ...process.env, MASKID_KEK_FILE: kek },
        maxBuffer: 1 << 28,
      });
      if (r.status !== 0) throw new Error(`maskid-issuer ${args[0]} exited ${r.status}: ${r.stderr.slice(-500)}`);
      return r.stdout;
    };
    const rootKey = join(dir, 'root.jwk');
    cli('root-key', 'create', '--out', rootKey);
    cli('init', '--url', 'https://id.example.gov', '--root-key', rootKey);
    const cliRates = [];
    const processRates = [];
    for (let run = 0; run <= runs; run++) {
      const lines = ['national_id,family_name,given_name,birth_date,gender,region'];
      for (let i = 0; i < rows; i++) {
        const { nationalId: id, birthDate } = nationalId();
        lines.push(`${id},Zhang,San,${birthDate},F,${id.slice(0, 2)}`);
      }
      const file = join(dir, `people-${run}.csv`);
      writeFileSync(file, lines.join('\n') + '\n');
      const t = performance.now();
      const summary = JSON.parse(cli('enroll', '--csv', file, '--json'));
      const seconds = (performance.now() - t) / 1000;
      if (summary.enrolled !== rows) throw new Error(`enrolled ${summary.enrolled} of ${rows} rows: ${JSON.stringify(summary.errors?.slice(0, 3))}`);
      if (run === 0) continue;
      cliRates.push(summary.rowsPerSecond);
      processRates.push(rows / seconds);
    }
    return { rows, cliRowsPerSecond: stats(cliRates), processRowsPerSecond: stats(processRates) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
