/**
 * The wallet popup, in the person's language (i18n.ts): onboarding (paste an `openid-credential-offer://`
 * link and its PIN, or arrive here from an offer link), then the credentials held per platform, what the
 * issuer said about this Internet ID (revoked, replaced, suspended), the last and next scheduled refresh,
 * the log of what was shared with whom (kept in the wallet only), "Add an Internet ID" and "Remove this
 * wallet". Every failure is a sentence to act on, never a protocol error.
 */
import { call, el, reportOf } from './dom.js';
import { LANGUAGES, LANGUAGE_NAMES, chooseLanguage, claimLabel, errorText, formatDate, loadLanguage, markDocument, t, type Language } from './i18n.js';
import type { WalletStatus } from './messages.js';

const view = document.getElementById('view')!;

function onboarding(prefill: string, options: { error?: string; cancel?: WalletStatus } = {}): void {
  const offer = el('textarea', { id: 'offer', rows: '3', placeholder: 'openid-credential-offer://…', spellcheck: 'false' });
  offer.value = prefill;
  const pin = el('input', { id: 'pin', inputmode: 'numeric', autocomplete: 'one-time-code', placeholder: t('pinPlaceholder') });
  const accept = el('button', { class: 'primary', id: 'accept' }, t('acceptButton'));
  const message = el('p', { id: 'message', class: options.error ? 'error' : 'muted', role: options.error ? 'alert' : 'status' }, options.error ?? t('acceptHint'));
  accept.addEventListener('click', () => {
    accept.disabled = true;
    message.className = 'muted';
    message.textContent = t('fetching');
    call<WalletStatus>({ type: 'accept-offer', uri: offer.value.trim(), pin: pin.value.trim() }).then(
      (s) => {
        history.replaceState(null, '', location.pathname);
        show(s);
      },
      (e: unknown) => onboarding(offer.value, { ...options, error: errorText(reportOf(e)) }),
    );
  });
  const actions = el('div', { class: 'actions' }, accept);
  if (options.cancel) {
    const cancel = el('button', { id: 'cancel' }, t('cancel'));
    const back = options.cancel;
    cancel.addEventListener('click', () => show(back));
    actions.append(cancel);
  }
  view.replaceChildren(
    el('h2', {}, t('addTitle')),
    el('label', { for: 'offer' }, t('offerLabel')),
    offer,
    el('label', { for: 'pin' }, t('pinLabel')),
    pin,
    actions,
    message,
    el('p', { class: 'muted small', id: 'new-offer-hint' }, t('newOfferHint')),
  );
  (prefill ? pin : offer).focus();
}

/** What the issuer said about this Internet ID, as a sentence (or nothing while all is well). */
function grantBanner(s: WalletStatus): HTMLElement[] {
  const g = s.grantState;
  if (!g) return [];
  return [el('p', { class: 'error banner', id: 'grant-state', role: 'alert', 'data-state': g.state }, t(`state_${g.state}`, formatDate(g.since)))];
}

/** The wallet after "Refresh now": what the wake-up did, in words (renewal follows its own schedule, so often nothing). */
function refreshed(s: WalletStatus): void {
  show(s);
  const n = document.getElementById('refresh-note');
  if (!n) return;
  n.dataset['result'] = s.renewed ? 'renewed' : 'none';
  n.textContent = s.renewed ? t('refreshedSome', s.renewed) : t('refreshedNone');
}

function show(s: WalletStatus): void {
  document.getElementById('issuer')!.textContent = s.issuer ? new URL(s.issuer).host : '';
  if (!s.onboarded) {
    onboarding('');
    return;
  }
  const refresh = el('button', { id: 'refresh' }, t('refreshNow'));
  const note = el('span', { class: 'muted', id: 'refresh-note', role: 'status' });
  refresh.addEventListener('click', () => {
    refresh.disabled = true;
    call<WalletStatus>({ type: 'refresh' }).then(refreshed, (e: unknown) => {
      // The state the refresh learned (e.g. revoked) is shown with the error.
      void call<WalletStatus>({ type: 'wallet-status' }).then((latest) => {
        show(latest);
        const r = reportOf(e);
        // The banner already says it when the refresh learned the grant's state.
        if (latest.grantState && r.details?.reason === latest.grantState.state) return;
        const n = document.getElementById('refresh-note')!;
        n.className = 'error';
        n.textContent = errorText(r);
      });
    });
  });
  const creds = el(
    'table',
    { id: 'credentials' },
    el('tr', {}, el('th', { scope: 'col' }, t('colPlatform')), el('th', { scope: 'col' }, t('colYourId')), el('th', { scope: 'col' }, t('colValidUntil'))),
    ...s.credentials.map((c) =>
      el('tr', { 'data-platform': c.platform }, el('td', {}, c.platformName), el('td', {}, el('code', {}, c.maskedId)), el('td', {}, formatDate(c.validUntil))),
    ),
  );
  const log = s.log.length
    ? el(
        'table',
        { id: 'log' },
        el('tr', {}, el('th', { scope: 'col' }, t('colWhen')), el('th', { scope: 'col' }, t('colSite')), el('th', { scope: 'col' }, t('colShared'))),
        ...s.log.map((e) => el('tr', {}, el('td', {}, formatDate(e.at, true)), el('td', {}, e.origin), el('td', {}, e.claims.map(claimLabel).join(t('listSeparator'))))),
      )
    : el('p', { class: 'muted', id: 'log' }, t('nothingShared'));
  const add = el('button', { id: 'add' }, t('addTitle'));
  add.addEventListener('click', () => onboarding('', { cancel: s }));
  const remove = el('button', { id: 'remove', class: 'danger' }, t('removeWallet'));
  remove.addEventListener('click', () => confirmRemove(s));
  view.replaceChildren(
    ...grantBanner(s),
    el('h2', {}, t('credentialsTitle', s.credentials.length)),
    creds,
    el('p', { class: 'muted', id: 'refresh-info' }, t('refreshInfo', formatDate(s.lastRefresh, true), formatDate(s.nextRefresh, true))),
    el('div', { class: 'actions' }, refresh, note),
    el('p', { class: 'muted small' }, t('refreshHint')),
    el('h2', {}, t('sharedTitle')),
    log,
    el('div', { class: 'actions footer' }, add, remove),
  );
}

function confirmRemove(s: WalletStatus): void {
  const yes = el('button', { id: 'remove-confirm', class: 'danger' }, t('removeConfirm'));
  const no = el('button', { id: 'remove-cancel' }, t('cancel'));
  yes.addEventListener('click', () => {
    yes.disabled = true;
    call<WalletStatus>({ type: 'reset' }).then(
      () => onboarding(''),
      (e: unknown) => onboarding('', { error: errorText(reportOf(e)) }),
    );
  });
  no.addEventListener('click', () => show(s));
  view.replaceChildren(el('h2', {}, t('removeWallet')), el('p', { id: 'remove-text' }, t('removeConfirmText')), el('div', { class: 'actions' }, no, yes));
  no.focus();
}

/** The language switch in the header: the choice is kept and the popup drawn again in it. */
function languageSwitch(current: Language): HTMLElement {
  const select = el('select', { id: 'language', 'aria-label': t('language') }, ...LANGUAGES.map((l) => el('option', { value: l }, LANGUAGE_NAMES[l])));
  select.value = current;
  select.addEventListener('change', () => void chooseLanguage(select.value as Language).then(start));
  return select;
}

/**
 * Draws the popup in the person's language. Everything is fetched first and drawn in one synchronous step:
 * after a switch of language no frame shows the new title over the old language's table.
 */
async function start(): Promise<void> {
  const offer = new URLSearchParams(location.hash.slice(1)).get('offer') ?? '';
  const [language, status] = await Promise.all([
    loadLanguage(),
    call<WalletStatus>({ type: 'wallet-status' }).then(
      (s) => ({ s }),
      (e: unknown) => ({ e }),
    ),
  ]);
  markDocument(t('popupTitle'));
  document.getElementById('title')!.textContent = t('popupTitle');
  document.getElementById('language-slot')!.replaceChildren(languageSwitch(language));
  if (!('s' in status)) throw status.e;
  const s = status.s;
  if (!s.onboarded || offer) onboarding(offer, s.onboarded ? { cancel: s } : {});
  else show(s);
}

start().catch((e: unknown) => view.replaceChildren(el('p', { class: 'error' }, errorText(reportOf(e)))));
