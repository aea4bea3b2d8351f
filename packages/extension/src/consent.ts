/**
 * The consent window: the platform's verified name (from the issuer-signed registry, matched by the
 * origin the browser reported), the origin, the exact claims and their values in words, Share / Don't
 * share (focus on Don't share: Enter never shares). A refused request is shown with its reason and can
 * only be closed. The window sizes itself to what it shows.
 */
import { call, el, reportOf } from './dom.js';
import { claimLabel, claimValue, errorText, loadLanguage, markDocument, t } from './i18n.js';
import type { ConsentView } from './messages.js';

const id = location.hash.slice(1);
const view = document.getElementById('view')!;

function answer(allow: boolean): void {
  for (const b of document.querySelectorAll('button')) b.disabled = true;
  void call({ type: 'consent-answer', id, allow }).finally(() => window.close());
}

/** Fits the window to the content (the browser adds its frame around the page). */
async function fit(): Promise<void> {
  const win = await chrome.windows.getCurrent();
  if (win.id === undefined) return;
  const frame = (win.height ?? window.outerHeight) - window.innerHeight;
  const height = Math.min(Math.ceil(document.documentElement.scrollHeight) + frame + 8, screen.availHeight);
  await chrome.windows.update(win.id, { height });
}

async function render(): Promise<void> {
  await loadLanguage();
  markDocument(t('consentTitle'));
  let v: ConsentView;
  try {
    v = await call<ConsentView>({ type: 'consent-view', id });
  } catch (e) {
    view.replaceChildren(el('p', { class: 'error', id: 'reason' }, errorText(reportOf(e))), el('div', { class: 'actions' }, closeButton()));
    return;
  }
  const claims = el(
    'ul',
    { class: 'claims', id: 'claims' },
    ...v.claims.map((c) => el('li', { 'data-claim': c.name }, el('span', {}, claimLabel(c.name)), el('strong', {}, claimValue(c.name, c.value)))),
  );
  if (v.mode === 'ask') {
    const allow = el('button', { class: 'primary', id: 'allow' }, t('share'));
    const deny = el('button', { id: 'deny' }, t('dontShare'));
    allow.addEventListener('click', () => answer(true));
    deny.addEventListener('click', () => answer(false));
    view.replaceChildren(
      el('p', { class: 'muted' }, t('consentHeading')),
      el('h1', { class: 'platform', id: 'platform' }, v.platformName ?? ''),
      el('div', {}, el('span', { class: 'origin', id: 'origin' }, v.origin)),
      el('p', {}, t('consentWillReceive')),
      claims,
      el('p', { class: 'muted' }, t('consentFooter')),
      ...(v.issuer ? [el('p', { class: 'muted small', id: 'issuer' }, t('consentIssuer', v.issuer))] : []),
      el('div', { class: 'actions' }, deny, allow),
    );
    deny.focus();
  } else {
    view.replaceChildren(
      el('p', { class: 'muted' }, t('consentHeading')),
      el('div', {}, el('span', { class: 'origin', id: 'origin' }, v.origin)),
      el('p', { class: 'refuse', id: 'reason' }, t('consentRefused', errorText(v.refusal ?? { code: 'ERR_INTERNAL', message: '' }))),
      ...(v.claims.length ? [el('p', {}, t('consentAskedFor')), claims] : []),
      el('p', { class: 'muted' }, t('consentNothingShared')),
      el('div', { class: 'actions' }, closeButton()),
    );
    document.getElementById('close')!.focus();
  }
  await fit().catch(() => undefined);
}

function closeButton(): HTMLButtonElement {
  const b = el('button', { id: 'close' }, t('close'));
  b.addEventListener('click', () => answer(false));
  return b;
}

void render();
