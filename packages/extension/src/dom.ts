/** Tiny DOM helpers for the extension pages (text only: nothing from a page or issuer is parsed as HTML). */
import type { ErrorReport } from './messages.js';

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** An error answer of the service worker, thrown with its report (code and details) for the page to put in words. */
export class WalletFailure extends Error {
  constructor(readonly report: ErrorReport) {
    super(report.message);
  }
}

/** Sends a message to the service worker and unwraps a `{ error }` answer into a thrown {@link WalletFailure}. */
export async function call<T>(message: unknown): Promise<T> {
  const answer = (await chrome.runtime.sendMessage(message)) as T | { error: ErrorReport };
  if (answer && typeof answer === 'object' && 'error' in answer) throw new WalletFailure(answer.error);
  return answer as T;
}

/** The report of anything a `call` threw (a failure to reach the service worker is an internal error). */
export function reportOf(e: unknown): ErrorReport {
  return e instanceof WalletFailure ? e.report : { code: 'ERR_INTERNAL', message: String(e) };
}
