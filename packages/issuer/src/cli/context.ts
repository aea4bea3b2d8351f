/** What every command of the CLI gets from the entry point. */
import type { Issuer } from '../issuer.js';
import type { Output } from './output.js';

export interface CliContext {
  /** Opens the issuer (creating its database when `create`) for one command and closes it afterwards. */
  withIssuer<T>(fn: (issuer: Issuer, o: Output) => Promise<T>, create?: boolean): Promise<T>;
  /** Output in the chosen format (`--json` or text). */
  out(): Output;
  /** Where progress and notes go. */
  stderr: NodeJS.WritableStream;
  /** The process's exit code when the command returns normally (partial success, a broken audit chain). */
  setExitCode(code: number): void;
}
