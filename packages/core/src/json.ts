/**
 * Strict JSON: RFC 8259 leaves duplicate member names to the parser ("the names within an object
 * SHOULD be unique"); `JSON.parse` keeps the last one. Two parsers that pick different duplicates
 * see two different documents under one signature, so everything maskid parses outside the login
 * hot path refuses them.
 */
import { MaskidError } from './errors.js';

/**
 * The first member name that occurs twice in one object of a JSON text, or `undefined`. The text
 * must already be valid JSON (this only scans; {@link parseJsonStrict} parses first). Escaped names
 * are compared after decoding (`"a"` and `"\u0061"` are the same name).
 *
 * @example
 * ```ts
 * duplicateMemberName('{"a":1,"b":{"a":2}}') // undefined
 * duplicateMemberName('{"a":1,"\\u0061":2}')  // 'a'
 * ```
 */
export function duplicateMemberName(text: string): string | undefined {
  // One flat list of the names seen in the open objects, and per open object or array where its names
  // start (-1 for an array): no allocation per object, objects of a profile document are small.
  const names: string[] = [];
  const frames: number[] = [];
  let expectName = false;
  let backslash = text.indexOf('\\');
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // The closing quote: the next '"' not preceded by an odd run of backslashes (indexOf is native).
      let j = text.indexOf('"', i + 1);
      while (j > 0 && escapedAt(text, j)) j = text.indexOf('"', j + 1);
      if (j < 0) return undefined;
      if (backslash >= 0 && backslash < i) backslash = text.indexOf('\\', i);
      if (expectName) {
        const name = backslash >= 0 && backslash < j ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        for (let k = frames[frames.length - 1]!; k < names.length; k++) if (names[k] === name) return name;
        names.push(name);
        expectName = false;
      }
      i = j;
    } else if (c === 0x7b) {
      frames.push(names.length);
      expectName = true;
    } else if (c === 0x5b) {
      frames.push(-1);
      expectName = false;
    } else if (c === 0x7d || c === 0x5d) {
      const from = frames.pop();
      if (from !== undefined && from >= 0) names.length = from;
      expectName = false;
    } else if (c === 0x2c) {
      expectName = (frames[frames.length - 1] ?? -1) >= 0;
    }
  }
  return undefined;
}

/** True when the character at `at` is preceded by an odd number of backslashes. */
function escapedAt(text: string, at: number): boolean {
  let n = 0;
  for (let k = at - 1; k >= 0 && text.charCodeAt(k) === 0x5c; k--) n++;
  return n % 2 === 1;
}

/**
 * `JSON.parse` that refuses duplicate member names (`ERR_INPUT_INVALID`, or `code`).
 *
 * @example
 * ```ts
 * parseJsonStrict('{"version":2,"version":1}') // throws MaskidError ERR_INPUT_INVALID
 * ```
 */
export function parseJsonStrict(text: string, what = 'JSON', code: 'ERR_INPUT_INVALID' | 'ERR_JWT_MALFORMED' = 'ERR_INPUT_INVALID'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new MaskidError(code, `${what} is not JSON`, { cause });
  }
  if (typeof value === 'object' && value !== null) {
    const dup = duplicateMemberName(text);
    if (dup !== undefined) throw new MaskidError(code, `${what} has the member ${JSON.stringify(dup.slice(0, 40))} twice`);
  }
  return value;
}
