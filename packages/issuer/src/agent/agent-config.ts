/**
 * Builds the Veramo agent from `agent.yml` (the Veramo CLI cannot be installed here, so this is a
 * small loader of our own). It understands Veramo's config directives:
 * - `$require: 'module#Export'` (with `?t=function|object|class` and `&p=/path`), only for modules
 *   on an allow-list: a config file is data, not a way to load arbitrary code;
 * - `$args: [...]` constructor or function arguments;
 * - `$ref: /json/pointer` into the config, or into `/runtime/...` objects the issuer provides at
 *   start (the database connection, the KEK-sealed private key store);
 * - `$env: NAME` a variable of the environment the caller passes in (the CLI passes `process.env`;
 *   a library never reads the process environment itself).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { MaskidError } from '@maskid/core';

/** Modules `$require` may load. */
const MODULES: Record<string, () => Promise<Record<string, unknown>>> = {
  '@veramo/core': () => import('@veramo/core'),
  '@veramo/key-manager': () => import('@veramo/key-manager'),
  '@veramo/kms-local': () => import('@veramo/kms-local'),
  '@veramo/did-manager': () => import('@veramo/did-manager'),
  '@veramo/did-provider-web': () => import('@veramo/did-provider-web'),
  '@veramo/did-provider-key': () => import('@veramo/did-provider-key'),
  '@veramo/did-provider-jwk': () => import('@veramo/did-provider-jwk'),
  '@veramo/did-resolver': () => import('@veramo/did-resolver'),
  '@veramo/credential-w3c': () => import('@veramo/credential-w3c'),
  '@veramo/credential-jwt': () => import('@veramo/credential-jwt'),
  '@veramo/data-store': () => import('@veramo/data-store'),
  'did-resolver': () => import('did-resolver'),
  'web-did-resolver': () => import('web-did-resolver'),
  // The issuer's own plugins, by module (not the package face, which imports this loader).
  '@maskid/issuer': () => import('./plugins.js'),
};

type Json = unknown;

/** Loads and parses a YAML config file; `ERR_CONFIG_INVALID` with the file name on any problem. */
export function readAgentConfig(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new MaskidError('ERR_CONFIG_INVALID', `cannot read agent config ${file}`, { cause });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    throw new MaskidError('ERR_CONFIG_INVALID', `agent config ${file} is not valid YAML: ${(cause as Error).message}`, { cause });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new MaskidError('ERR_CONFIG_INVALID', `agent config ${file} must be a mapping`);
  return doc as Record<string, unknown>;
}

/**
 * Resolves the value at `pointer` (e.g. `/agent`) of a config, instantiating what it describes.
 *
 * @example
 * ```ts
 * const agent = await createFromConfig(readAgentConfig('agent.yml'), '/agent', { dbConnection }, process.env)
 * ```
 */
export async function createFromConfig<T>(
  config: Record<string, unknown>,
  pointer: string,
  runtime: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<T> {
  const root = { ...config, runtime };
  const cache = new Map<string, Promise<unknown>>();
  const resolving = new Set<string>();

  const at = (ptr: string): Json => {
    if (!ptr.startsWith('/')) throw new MaskidError('ERR_CONFIG_INVALID', `$ref must be a JSON pointer: ${ptr}`);
    let node: unknown = root;
    for (const raw of ptr.split('/').slice(1)) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      if (node === null || typeof node !== 'object' || !(key in (node as object))) throw new MaskidError('ERR_CONFIG_INVALID', `$ref ${ptr} points nowhere`);
      node = (node as Record<string, unknown>)[key];
    }
    return node;
  };

  const ref = (ptr: string): Promise<unknown> => {
    if (ptr.startsWith('/runtime/')) return Promise.resolve(at(ptr));
    let p = cache.get(ptr);
    if (!p) {
      if (resolving.has(ptr)) throw new MaskidError('ERR_CONFIG_INVALID', `$ref cycle at ${ptr}`);
      resolving.add(ptr);
      p = build(at(ptr));
      cache.set(ptr, p);
    }
    return p;
  };

  const build = async (node: Json): Promise<unknown> => {
    if (Array.isArray(node)) return Promise.all(node.map(build));
    if (node === null || typeof node !== 'object') return node;
    const obj = node as Record<string, unknown>;
    if ('$ref' in obj) return ref(String(obj['$ref']));
    if ('$env' in obj) return env[String(obj['$env'])];
    if ('$require' in obj) return instantiate(String(obj['$require']), obj['$args']);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = await build(v);
    return out;
  };

  const instantiate = async (spec: string, rawArgs: unknown): Promise<unknown> => {
    const [modPart, exportName = 'default'] = spec.split('#') as [string, string?];
    const [modName, query = ''] = modPart.split('?') as [string, string?];
    const params = new URLSearchParams(query);
    const loader = MODULES[modName];
    if (!loader) throw new MaskidError('ERR_CONFIG_INVALID', `$require of ${modName} is not allowed (allowed: ${Object.keys(MODULES).join(', ')})`);
    const mod = await loader();
    const exported = (mod as Record<string, unknown>)[exportName];
    if (exported === undefined) throw new MaskidError('ERR_CONFIG_INVALID', `${modName} has no export ${exportName}`);
    const args = rawArgs === undefined ? [] : await build(rawArgs);
    if (!Array.isArray(args)) throw new MaskidError('ERR_CONFIG_INVALID', `$args of ${spec} must be a list`);
    const kind = params.get('t') ?? 'class';
    let value: unknown;
    if (kind === 'object') value = exported;
    else if (kind === 'function') value = (exported as (...a: unknown[]) => unknown)(...args);
    else if (kind === 'class') value = new (exported as new (...a: unknown[]) => unknown)(...args);
    else throw new MaskidError('ERR_CONFIG_INVALID', `unknown $require type t=${kind}`);
    const path = params.get('p');
    if (path) {
      for (const key of path.split('/').filter(Boolean)) value = (value as Record<string, unknown>)?.[key];
      if (value === undefined) throw new MaskidError('ERR_CONFIG_INVALID', `${spec}: path ${path} is undefined`);
    }
    return value;
  };

  return (await ref(pointer)) as T;
}
