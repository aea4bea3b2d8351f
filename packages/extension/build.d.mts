/** Builds the extension into a loadable folder and returns its path (see build.mjs). */
export function buildExtension(options: {
  out?: string;
  trustedIssuers: { url: string; rootThumbprint: string }[];
  refreshEveryMs?: number;
  refreshJitterMs?: number;
}): Promise<string>;
