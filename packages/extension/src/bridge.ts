/**
 * Isolated-world content script: relays a page's DC API request (posted by the main-world script
 * with a MessagePort) to the service worker, and the answer back on that port. The service worker
 * learns the requesting origin from the browser (`sender.origin`), never from the page. Also opens
 * `openid-credential-offer://` links in the wallet's onboarding view.
 */
import { PAGE_CHANNEL, type ContentMessage, type PageAnswer } from './messages.js';

window.addEventListener('message', (event: MessageEvent) => {
  if (event.source !== window || (event.data as { channel?: unknown } | null)?.channel !== PAGE_CHANNEL) return;
  const port = event.ports[0];
  if (!port) return;
  const message: ContentMessage = { type: 'dc-request', request: (event.data as { request: unknown }).request };
  chrome.runtime.sendMessage(message).then(
    (answer: PageAnswer | undefined) => port.postMessage(answer?.ok ? answer : { ok: false }),
    () => port.postMessage({ ok: false } satisfies PageAnswer),
  );
});

document.addEventListener(
  'click',
  (event) => {
    const link = (event.target as Element | null)?.closest?.('a[href^="openid-credential-offer:"]') as HTMLAnchorElement | null;
    if (!link || !event.isTrusted) return;
    event.preventDefault();
    void chrome.runtime.sendMessage({ type: 'open-offer', uri: link.getAttribute('href') ?? '' } satisfies ContentMessage);
  },
  true,
);
