/**
 * CLI output: one JSON document with `--json`, short human lines otherwise; errors as one line on
 * stderr (or `{ "error": { code, message } }` with `--json`) and a non-zero exit code.
 */
import { MaskidError } from '@maskid/core';

export interface Output {
  json: boolean;
  /** Prints the command's result. */
  result(value: unknown, human: () => string): void;
  /** A note for people (stderr), suppressed with --json. */
  note(text: string): void;
  /** A warning: always on stderr. */
  warn(text: string): void;
}

export function createOutput(json: boolean, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): Output {
  return {
    json,
    result(value, human) {
      stdout.write(json ? JSON.stringify(value, bigintReplacer, 2) + '\n' : human() + '\n');
    },
    note(text) {
      if (!json) stderr.write(text + '\n');
    },
    warn(text) {
      stderr.write(text + '\n');
    },
  };
}

export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString(16).padStart(16, '0') : value;
}

/** Exit codes: 1 = refused input or state, 2 = usage, 3 = some CSV rows rejected, 70 = internal. */
export const EXIT = { ok: 0, error: 1, usage: 2, partial: 3, internal: 70 } as const;

/** Prints an error in the chosen format and returns the exit code. */
export function reportError(e: unknown, json: boolean, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): number {
  const err = e instanceof MaskidError ? e : new MaskidError('ERR_INTERNAL', (e as Error)?.message ?? String(e));
  if (json) stdout.write(JSON.stringify({ error: err.toJSON() }) + '\n');
  else stderr.write(`maskid-issuer: ${err.code}: ${err.message}\n`);
  return err.code === 'ERR_INTERNAL' ? EXIT.internal : EXIT.error;
}
