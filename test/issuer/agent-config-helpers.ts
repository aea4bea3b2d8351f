export { createFromConfig, readAgentConfig, defaultAgentConfigPath, Issuer, loadKek } from '@maskid/issuer';
import { MaskidError, type ErrorCode } from '@maskid/core';

/** An assert.throws/rejects validator for a MaskidError code. */
export const MaskidErrorCheck = (code: ErrorCode) => (e: unknown) => {
  if (e instanceof MaskidError && e.code === code) return true;
  throw new Error(`expected ${code}, got ${(e as MaskidError)?.code ?? e}`);
};
