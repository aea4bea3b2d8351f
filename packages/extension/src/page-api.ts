/**
 * Main-world content script (runs in the page's own JavaScript world, at document_start). Wraps
 * `navigator.credentials.get` so that a DC API request for an Internet ID reaches this wallet; every
 * other call keeps the browser's own behaviour. The answer comes back on a MessagePort that only this
 * call holds; on deny, on "no credential" and on any refusal the page gets the same `NotAllowedError`
 * the browser itself gives, so it cannot tell which one happened.
 *
 * Bundled into one classic script (content scripts cannot be modules).
 */
import { isInternetIdRequest } from '@maskid/core';
import { PAGE_CHANNEL, type PageAnswer } from './messages.js';

type DigitalGetOptions = CredentialRequestOptions & { digital?: { requests?: unknown[] } };

const container = navigator.credentials as CredentialsContainer | undefined;
const browserGet = container?.get?.bind(container);

/** The first request entry addressed to an Internet ID wallet, if any. */
function ourRequest(options: DigitalGetOptions | undefined): unknown {
  const requests = options?.digital?.requests;
  return Array.isArray(requests) ? requests.find(isInternetIdRequest) : undefined;
}

const notAllowed = () => new DOMException('The request is not allowed by the user agent or the platform in the current context.', 'NotAllowedError');

/** The browser's DigitalCredential shape when it has one ({protocol, data} either way). */
function asCredential(answer: Extract<PageAnswer, { ok: true }>['credential']): unknown {
  const fields = { protocol: { value: answer.protocol, enumerable: true }, data: { value: answer.data, enumerable: true }, type: { value: 'digital', enumerable: true } };
  const proto = (globalThis as { DigitalCredential?: { prototype: object } }).DigitalCredential?.prototype ?? Object.prototype;
  return Object.create(proto, fields) as unknown;
}

function walletGet(request: unknown, signal: AbortSignal | undefined): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new DOMException('aborted', 'AbortError'));
    const { port1, port2 } = new MessageChannel();
    const finish = () => {
      port1.close();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      finish();
      reject(signal?.reason ?? new DOMException('aborted', 'AbortError'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    port1.onmessage = (event: MessageEvent<PageAnswer>) => {
      finish();
      if (event.data?.ok) resolve(asCredential(event.data.credential));
      else reject(notAllowed());
    };
    window.postMessage({ channel: PAGE_CHANNEL, request }, '*', [port2]);
  });
}

if (container && browserGet) {
  const get = function get(this: CredentialsContainer, options?: DigitalGetOptions): Promise<Credential | null> {
    const request = ourRequest(options);
    if (request === undefined) return browserGet(options);
    return walletGet(request, options?.signal) as Promise<Credential | null>;
  };
  Object.defineProperty(container, 'get', { value: get, writable: true, configurable: true, enumerable: false });
}
