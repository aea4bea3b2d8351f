/** The CLI's `enroll`: one person, or a CSV file with a progress bar. */
import type { Command } from 'commander';
import { MaskidError } from '@maskid/core';
import { EnrollmentService } from '../../services/enrollment.js';
import { progressReporter } from '../progress.js';
import { EXIT } from '../output.js';
import { readCsv } from '../files.js';
import type { CliContext } from '../context.js';

/** Registers `enroll`: one person, or a CSV file with a progress bar. */
export function registerEnrollCommands(program: Command, cli: CliContext): void {
  program
    .command('enroll')
    .description('enrol one person (flags) or many (--csv FILE with columns national_id,family_name,given_name,birth_date,gender,region[,nationality])')
    .option('--national-id <id>', '18-character resident ID number')
    .option('--name <name>', '"Family Given" or "Family, Given"')
    .option('--family-name <name>')
    .option('--given-name <name>')
    .option('--birth-date <YYYY-MM-DD>')
    .option('--gender <F|M|X>')
    .option('--region <code>', '2-digit province code (GB/T 2260)')
    .option('--nationality <CC>', 'ISO 3166-1 alpha-2', 'CN')
    .option('--csv <file>', 'enrol every row of a CSV file (header row required)')
    .action((opts) =>
      cli.withIssuer(async (issuer, o) => {
        const service = new EnrollmentService(issuer);
        if (opts.csv) {
          const rows = readCsv(opts.csv);
          const started = performance.now();
          const progress = progressReporter(rows.length, o.json, cli.stderr);
          const { enrolled, errors } = await service.enrollMany(rows, { onProgress: progress.update, firstRowNumber: 2 });
          progress.stop();
          const seconds = (performance.now() - started) / 1000;
          const summary = {
            rows: rows.length,
            enrolled: enrolled.length,
            rejected: errors.length,
            seconds: Number(seconds.toFixed(3)),
            rowsPerSecond: Math.round(enrolled.length / Math.max(seconds, 1e-6)),
            errors,
            networkNumbers: enrolled.map((e) => e.networkNumber),
          };
          o.result(summary, () =>
            [
              `enrolled ${enrolled.length} of ${rows.length} rows in ${seconds.toFixed(2)} s (${summary.rowsPerSecond} rows/s)`,
              ...errors.slice(0, 20).map((e) => `  line ${e.row}: ${e.code}: ${e.message}`),
              ...(errors.length > 20 ? [`  … and ${errors.length - 20} more (use --json for all)`] : []),
            ].join('\n'),
          );
          if (errors.length > 0) cli.setExitCode(EXIT.partial);
          return;
        }
        if (!opts.nationalId) throw new MaskidError('ERR_INPUT_INVALID', 'give --national-id, --name, --birth-date, --gender and --region, or --csv FILE');
        const r = await service.enroll({
          nationalId: opts.nationalId,
          name: opts.name,
          familyName: opts.familyName,
          givenName: opts.givenName,
          birthDate: opts.birthDate ?? '',
          gender: opts.gender ?? '',
          region: opts.region ?? '',
          nationality: opts.nationality,
        });
        o.result({ networkNumber: r.networkNumber }, () => r.networkNumber);
      }),
    );
}
