/**
 * The consent window: the platform's verified name (from the issuer-signed registry, matched by the
 * origin the browser reported), the origin, the exact claims and their values, Share / Don't share.
 * A refused request is shown with its reason and can only be closed.
 */
import { call, el } from './dom.js';
import type { ConsentView } from './messages.js';

const id = location.hash.slice(1);
const view = document.getElementById('view')!;

function answer(allow: boolean): void {
  for (const b of document.querySelectorAll('button')) b.disabled = true;
  void call({ type: 'consent-answer', id, allow }).finally(() => window.close());
}

async function render(): Promise<void> {
  let v: ConsentView;
  try {
    v = await call<ConsentView>({ type: 'consent-view', id });
  } catch (e) {
    view.replaceChildren(el('p', { class: 'error' }, (e as Error).message), el('div', { class: 'actions' }, closeButton()));
    return;
  }
  const claims = el('ul', { class: 'claims', id: 'claims' }, ...v.claims.map((c) => el('li', { 'data-claim': c.name }, el('span', {}, c.label), el('strong', {}, c.value ?? ''))));
  if (v.mode === 'ask') {
    const allow = el('button', { class: 'primary', id: 'allow' }, 'Share');
    const deny = el('button', { id: 'deny' }, "Don't share");
    allow.addEventListener('click', () => answer(true));
    deny.addEventListener('click', () => answer(false));
    view.replaceChildren(
      el('p', { class: 'muted' }, 'Sign in with Internet ID'),
      el('div', { class: 'platform', id: 'platform' }, v.platformName ?? ''),
      el('div', {}, el('span', { class: 'origin', id: 'origin' }, v.origin)),
      el('p', {}, 'will receive only:'),
      claims,
      el('p', { class: 'muted' }, 'and an ID that is different for every platform. Nothing is sent unless you choose Share.'),
      el('div', { class: 'actions' }, allow, deny),
    );
    allow.focus();
  } else {
    view.replaceChildren(
      el('p', { class: 'muted' }, 'Sign in with Internet ID'),
      el('div', {}, el('span', { class: 'origin', id: 'origin' }, v.origin)),
      el('p', { class: 'refuse', id: 'reason' }, `This request cannot be answered: ${v.reason ?? ''}`),
      ...(v.claims.length ? [el('p', {}, 'It asked for:'), claims] : []),
      el('p', { class: 'muted' }, 'Nothing was shared. The site is told only that sign-in did not happen.'),
      el('div', { class: 'actions' }, closeButton()),
    );
  }
}

function closeButton(): HTMLButtonElement {
  const b = el('button', { id: 'close' }, 'Close');
  b.addEventListener('click', () => answer(false));
  return b;
}

void render();
