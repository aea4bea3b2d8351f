/**
 * The wallet popup: onboarding (paste an `openid-credential-offer://` URI and its PIN, or arrive here
 * from an offer link), then the credentials held per platform, the last and next refresh, and the log
 * of what was shared with whom (kept in the wallet only).
 */
import { call, el } from './dom.js';
import type { WalletStatus } from './messages.js';

const view = document.getElementById('view')!;
const when = (iso: string | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

function onboarding(prefill: string, error?: string): void {
  const offer = el('textarea', { id: 'offer', rows: '4', placeholder: 'openid-credential-offer://?credential_offer_uri=…', spellcheck: 'false' });
  offer.value = prefill;
  const pin = el('input', { id: 'pin', inputmode: 'numeric', autocomplete: 'one-time-code', placeholder: 'PIN from your letter or SMS' });
  const accept = el('button', { class: 'primary', id: 'accept' }, 'Get my Internet ID');
  const message = el('p', { id: 'message', class: error ? 'error' : 'muted' }, error ?? 'The issuer gives you one credential per registered platform, each with its own key.');
  accept.addEventListener('click', () => {
    accept.disabled = true;
    message.className = 'muted';
    message.textContent = 'Fetching your credentials…';
    call<WalletStatus>({ type: 'accept-offer', uri: offer.value.trim(), pin: pin.value.trim() }).then(
      (s) => {
        history.replaceState(null, '', location.pathname);
        show(s);
      },
      (e: Error) => onboarding(offer.value, e.message),
    );
  });
  view.replaceChildren(
    el('h2', {}, 'Add your Internet ID'),
    el('label', { for: 'offer' }, 'Offer'),
    offer,
    el('label', { for: 'pin' }, 'PIN'),
    pin,
    el('div', { class: 'actions' }, accept),
    message,
  );
}

function show(s: WalletStatus): void {
  document.getElementById('issuer')!.textContent = s.issuer ? new URL(s.issuer).host : '';
  const refresh = el('button', { id: 'refresh' }, 'Refresh now');
  const note = el('span', { class: 'muted', id: 'refresh-note' });
  refresh.addEventListener('click', () => {
    refresh.disabled = true;
    call<WalletStatus>({ type: 'refresh' }).then(show, (e: Error) => {
      refresh.disabled = false;
      note.className = 'error';
      note.textContent = e.message;
    });
  });
  const creds = el(
    'table',
    { id: 'credentials' },
    el('tr', {}, el('th', {}, 'Platform'), el('th', {}, 'Your ID there'), el('th', {}, 'Valid until')),
    ...s.credentials.map((c) =>
      el('tr', { 'data-platform': c.platform }, el('td', {}, c.platformName), el('td', {}, el('code', {}, c.maskedId)), el('td', {}, when(c.validUntil))),
    ),
  );
  const log = s.log.length
    ? el(
        'table',
        { id: 'log' },
        el('tr', {}, el('th', {}, 'When'), el('th', {}, 'Site'), el('th', {}, 'Shared')),
        ...s.log.map((e) => el('tr', {}, el('td', {}, when(e.at)), el('td', {}, e.origin), el('td', {}, e.claims.join(', ')))),
      )
    : el('p', { class: 'muted', id: 'log' }, 'Nothing shared yet.');
  view.replaceChildren(
    el('h2', {}, `Credentials (${s.credentials.length})`),
    creds,
    el('p', { class: 'muted' }, `Last refresh ${when(s.lastRefresh)} · next ${when(s.nextRefresh)}`),
    el('div', { class: 'actions' }, refresh, note),
    el('h2', {}, 'Shared with'),
    log,
  );
}

async function start(): Promise<void> {
  const offer = new URLSearchParams(location.hash.slice(1)).get('offer') ?? '';
  const s = await call<WalletStatus>({ type: 'wallet-status' });
  if (!s.onboarded || offer) onboarding(offer);
  else show(s);
}

start().catch((e: Error) => view.replaceChildren(el('p', { class: 'error' }, e.message)));
