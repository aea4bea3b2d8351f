/** Builds the extension into a loadable folder and returns its path (see build.mjs). */
export function buildExtension(options: {
  out?: string;
  trustedIssuers: string[];
  refreshEveryMs?: number;
  refreshJitterMs?: number;
}): Promise<string>;
