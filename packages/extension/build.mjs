#!/usr/bin/env node
/**
 * Builds the extension into a loadable folder (default packages/extension/build):
 * one classic-script bundle per entry point (content scripts and extension service workers cannot
 * load modules or use import()), the static pages, manifest.json and config.json.
 *
 *   node packages/extension/build.mjs --trusted-issuer https://id.example.gov --root-thumbprint <thumbprint> [--out DIR]
 *
 * Each trusted issuer comes with the thumbprint of its offline root key (`maskid-issuer key anchor`):
 * the wallet takes issuer keys only from the key list that root signed. Host permissions are exactly
 * the trusted issuers' origins (the wallet talks to nobody else).
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { ICON_SIZES, iconPng } from './icons.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ENTRIES = ['background', 'page-api', 'bridge', 'popup', 'consent'];

/**
 * @param {{ out?: string, trustedIssuers: { url: string, rootThumbprint: string }[], refreshEveryMs?: number, refreshJitterMs?: number }} options
 * @returns {Promise<string>} the folder to load
 */
export async function buildExtension(options) {
  const out = resolve(options.out ?? join(HERE, 'build'));
  if (!options.trustedIssuers?.length) throw new Error('at least one --trusted-issuer URL is needed');
  const issuers = options.trustedIssuers.map((t) => {
    const url = new URL(t.url);
    const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
    if (url.protocol !== 'https:' && !(local && url.protocol === 'http:')) throw new Error(`trusted issuer ${t.url} must be https (http only on localhost)`);
    if (typeof t.rootThumbprint !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(t.rootThumbprint))
      throw new Error(`trusted issuer ${t.url} needs --root-thumbprint (43 base64url characters; \`maskid-issuer key anchor\` prints it)`);
    return { url: t.url.replace(/\/+$/, ''), rootThumbprint: t.rootThumbprint };
  });
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: Object.fromEntries(ENTRIES.map((e) => [e, join(HERE, 'src', `${e}.ts`)])),
    outdir: out,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    logLevel: 'warning',
    legalComments: 'none',
  });
  cpSync(join(HERE, 'static'), out, { recursive: true });
  mkdirSync(join(out, 'icons'));
  const icons = {};
  for (const size of ICON_SIZES) {
    writeFileSync(join(out, 'icons', `${size}.png`), iconPng(size));
    icons[size] = `icons/${size}.png`;
  }
  const manifest = {
    manifest_version: 3,
    // Names in the person's language (static/_locales, Chrome's format; the pages use the same files).
    name: '__MSG_extName__',
    short_name: '__MSG_extShortName__',
    default_locale: 'en',
    version: '0.1.0',
    description: '__MSG_extDescription__',
    minimum_chrome_version: '120',
    background: { service_worker: 'background.js' },
    icons,
    action: { default_title: '__MSG_extShortName__', default_popup: 'popup.html', default_icon: icons },
    permissions: ['storage', 'alarms'],
    host_permissions: [...new Set(issuers.map((t) => `${new URL(t.url).origin}/*`))],
    content_scripts: [
      { matches: ['<all_urls>'], js: ['page-api.js'], world: 'MAIN', run_at: 'document_start', all_frames: true },
      { matches: ['<all_urls>'], js: ['bridge.js'], run_at: 'document_start', all_frames: true },
    ],
    content_security_policy: { extension_pages: "script-src 'self'; object-src 'none'; base-uri 'none'" },
  };
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const config = {
    trustedIssuers: issuers,
    ...(options.refreshEveryMs ? { refreshEveryMs: options.refreshEveryMs } : {}),
    ...(options.refreshJitterMs !== undefined ? { refreshJitterMs: options.refreshJitterMs } : {}),
  };
  writeFileSync(join(out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { values } = parseArgs({
      options: {
        'trusted-issuer': { type: 'string', multiple: true },
        'root-thumbprint': { type: 'string', multiple: true },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(
        'Usage: node packages/extension/build.mjs --trusted-issuer URL --root-thumbprint T [--trusted-issuer URL --root-thumbprint T …] [--out DIR]\nBuilds the Manifest V3 wallet into a folder to load with chrome://extensions → "Load unpacked".\nThe root thumbprint of an issuer is printed by `maskid-issuer key anchor` on the issuer.',
      );
    } else {
      const urls = values['trusted-issuer'] ?? [];
      const thumbs = values['root-thumbprint'] ?? [];
      if (urls.length !== thumbs.length) throw new Error('give one --root-thumbprint per --trusted-issuer, in the same order');
      const out = await buildExtension({ trustedIssuers: urls.map((url, i) => ({ url, rootThumbprint: thumbs[i] })), ...(values.out ? { out: values.out } : {}) });
      console.log(`extension built: ${out}`);
    }
  } catch (e) {
    console.error(`build: ${e.message}`);
    process.exitCode = 1;
  }
}
