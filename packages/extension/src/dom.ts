/** Tiny DOM helpers for the extension pages (text only: nothing from a page or issuer is parsed as HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** Sends a message to the service worker and unwraps a `{ error }` answer into a thrown Error. */
export async function call<T>(message: unknown): Promise<T> {
  const answer = (await chrome.runtime.sendMessage(message)) as T | { error: { code: string; message: string } };
  if (answer && typeof answer === 'object' && 'error' in answer) throw Object.assign(new Error(answer.error.message), { code: answer.error.code });
  return answer as T;
}
