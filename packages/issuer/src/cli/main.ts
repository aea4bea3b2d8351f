/**
 * `maskid-issuer`: the issuer operator's CLI (the entry point: the only place that reads the
 * environment). All state lives in one data directory; the KEK comes from `--kek-file` /
 * `MASKID_KEK_FILE` (or the development KEK with `--dev`). Each command lives in `commands/`.
 */
import { Command, CommanderError } from 'commander';
import { Issuer } from '../issuer.js';
import { loadKek } from '../crypto/sealer.js';
import { createOutput, reportError, EXIT, type Output } from './output.js';
import type { CliContext } from './context.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerCredentialsCommands } from './commands/credentials.js';
import { registerEnrollCommands } from './commands/enroll.js';
import { registerInitCommands } from './commands/init.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerOperatorsCommands } from './commands/operators.js';
import { registerPersonStatusCommands } from './commands/person-status.js';
import { registerPlatformCommands } from './commands/platform.js';
import { registerServeCommands } from './commands/serve.js';
import { registerStatusCommands } from './commands/status.js';

export { readCsv } from './files.js';

interface GlobalOptions {
  dataDir: string;
  kekFile?: string;
  dev?: boolean;
  json?: boolean;
  db?: string;
  agentConfig?: string;
}

/**
 * Runs the CLI with `argv` (as `process.argv`); returns the exit code.
 *
 * @example
 * ```ts
 * const code = await main(['node', 'maskid-issuer', '--dev', 'init', '--url', 'http://localhost:8443'])
 * ```
 */
export async function main(argv: string[], io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  let exitCode: number = EXIT.ok;
  let jsonMode = argv.includes('--json');
  const program = new Command('maskid-issuer')
    .description('Operate a maskid issuer: enrol people, register platforms, issue and revoke Internet ID credentials, publish status lists.')
    .option('--data-dir <dir>', 'data directory (database, published lists)', process.env['MASKID_DATA_DIR'] ?? './maskid-data')
    .option('--kek-file <file>', 'key-encryption key file (passphrase or random key); env MASKID_KEK_FILE', process.env['MASKID_KEK_FILE'])
    .option('--dev', 'development mode: the well-known development KEK and http://localhost URLs are allowed')
    .option('--db <url-or-file>', 'database: a SQLite file or a postgres:// URL (default: <data-dir>/issuer.sqlite)', process.env['MASKID_DB'])
    .option('--agent-config <file>', 'Veramo agent config (default: the bundled agent.yml)', process.env['MASKID_AGENT_CONFIG'])
    .option('--json', 'print one JSON document instead of text')
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const out = (): Output => createOutput(Boolean(globals().json), stdout, stderr);

  /** Opens the issuer for one command and closes it afterwards. */
  const withIssuer = async <T>(fn: (issuer: Issuer, o: Output) => Promise<T>, create = false): Promise<T> => {
    const g = globals();
    const o = out();
    const kek = loadKek({ kekFile: g.kekFile, dev: g.dev });
    if (kek.origin === 'dev') o.warn('maskid-issuer: WARNING: --dev uses the well-known DEVELOPMENT key-encryption key. Never use this data directory for real people.');
    const issuer = await Issuer.open(
      { dataDir: g.dataDir, kek, dev: Boolean(g.dev), env: process.env, ...(g.db ? { db: g.db } : {}), ...(g.agentConfig ? { agentConfig: g.agentConfig } : {}) },
      create,
    );
    try {
      return await fn(issuer, o);
    } finally {
      await issuer.close();
    }
  };

  const cli: CliContext = {
    withIssuer,
    out,
    stderr,
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  registerKeysCommands(program, cli);
  registerInitCommands(program, cli);
  registerEnrollCommands(program, cli);
  registerPlatformCommands(program, cli);
  registerCredentialsCommands(program, cli);
  registerPersonStatusCommands(program, cli);
  registerOperatorsCommands(program, cli);
  registerServeCommands(program, cli);
  registerStatusCommands(program, cli);
  registerAuditCommands(program, cli);

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    jsonMode = Boolean(program.opts<GlobalOptions>().json) || jsonMode;
    return reportError(e, jsonMode, stdout, stderr);
  }
  return exitCode;
}
