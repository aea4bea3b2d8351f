/**
 * A demo internet platform: a page with "Sign in with Internet ID" and a backend that talks to the
 * platform's own maskid verifier. The page gets a presentation request from the backend (which got it
 * from `POST /v1/requests`), hands it to `navigator.credentials.get({ digital })` and posts the answer
 * back; the backend sends it to `POST /v1/presentations` with the platform's own origin and shows the
 * result. The platform never talks to the issuer.
 */
import express, { type Express } from 'express';
import { PROVINCE_NAMES } from '@maskid/core';

export interface DemoPlatformOptions {
  /** Shown on the page. */
  name: string;
  /** This site's public origin (scheme://host:port), as registered with the issuer. */
  origin: string;
  /** Base URL of this platform's maskid verifier. */
  verifierUrl: string;
  /** Claims to ask for at sign-in. */
  claims: string[];
  fetch?: typeof fetch;
}

/** The page's words, in the two languages the wallet speaks (chosen by `?lang=` or the browser's Accept-Language). */
const WORDS = {
  en: {
    lang: 'en',
    intro: 'A demo platform at {origin}. It asks for: {claims}.',
    signin: 'Sign in with Internet ID',
    idle: 'Not signed in.',
    waiting: 'Waiting for your wallet…',
    noWallet: 'No Internet ID wallet answered yet — is the extension installed?',
    unavailable: 'Sign-in is not available right now. Try again later.',
    cancelled: 'Sign-in did not happen.',
    signedIn: 'Signed in as',
    yes: 'yes',
    no: 'no',
    refused: {
      ERR_STATUS_REVOKED: 'This Internet ID was revoked: sign-in refused.',
      ERR_STATUS_SUSPENDED: 'This Internet ID is suspended: sign-in refused.',
      ERR_CREDENTIAL_EXPIRED: 'Your credential has expired: refresh your wallet and try again.',
      ERR_STATUS_UNAVAILABLE: 'Sign-in cannot be checked right now. Try again in a few minutes.',
      other: 'Sign-in refused. Try again.',
    } as Record<string, string>,
    claims: { ageOver14: 'over 14', ageOver16: 'over 16', ageOver18: 'over 18', region: 'region', realNameVerified: 'real name verified' } as Record<string, string>,
    switchTo: '中文',
  },
  zh: {
    lang: 'zh-CN',
    intro: '演示平台，地址 {origin}。它请求：{claims}。',
    signin: '使用网络身份证登录',
    idle: '未登录。',
    waiting: '正在等待您的钱包…',
    noWallet: '还没有网络身份证钱包响应——是否已安装扩展程序？',
    unavailable: '暂时无法登录，请稍后再试。',
    cancelled: '登录没有完成。',
    signedIn: '已登录，编号',
    yes: '是',
    no: '否',
    refused: {
      ERR_STATUS_REVOKED: '该网络身份证已被吊销，登录被拒绝。',
      ERR_STATUS_SUSPENDED: '该网络身份证已被暂停，登录被拒绝。',
      ERR_CREDENTIAL_EXPIRED: '凭证已过期：请更新钱包后重试。',
      ERR_STATUS_UNAVAILABLE: '暂时无法核验登录，请几分钟后重试。',
      other: '登录被拒绝，请重试。',
    } as Record<string, string>,
    claims: { ageOver14: '年满14周岁', ageOver16: '年满16周岁', ageOver18: '年满18周岁', region: '地区', realNameVerified: '已实名认证' } as Record<string, string>,
    switchTo: 'English',
  },
};
type Words = (typeof WORDS)['en'];

/** How long the page waits before saying that no wallet answered (the request stays open). */
export const NO_WALLET_AFTER_MS = 8000;

/** The express app of one demo platform. */
export function createDemoPlatform(options: DemoPlatformOptions): Express {
  const f = options.fetch ?? fetch;
  const verifier = options.verifierUrl.replace(/\/+$/, '');
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    next();
  });

  app.get('/', (req, res) => {
    const asked = typeof req.query['lang'] === 'string' ? req.query['lang'] : undefined;
    const zh = asked ? asked.toLowerCase().startsWith('zh') : req.acceptsLanguages('zh-CN', 'zh', 'en') !== 'en' && req.acceptsLanguages('zh-CN', 'zh', 'en') !== false;
    res
      .set('Vary', 'Accept-Language')
      .type('html')
      .send(page(options, zh ? WORDS.zh : WORDS.en));
  });

  app.post('/login/start', async (_req, res) => {
    try {
      const r = await f(`${verifier}/v1/requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ claims: options.claims }) });
      const body = (await r.json()) as { requestId?: string; request?: unknown; code?: string; detail?: string };
      if (!r.ok) return void res.status(502).json({ code: body.code ?? 'ERR_VERIFIER', detail: body.detail ?? 'the verifier refused to create a request' });
      res.json({ requestId: body.requestId, request: body.request });
    } catch {
      res.status(502).json({ code: 'ERR_VERIFIER_UNREACHABLE', detail: 'the verifier is not reachable' });
    }
  });

  app.post('/login/finish', express.json({ limit: '64kb' }), async (req, res) => {
    const { requestId, data } = (req.body ?? {}) as { requestId?: unknown; data?: { vp_token?: unknown } };
    if (typeof requestId !== 'string' || !data || typeof data !== 'object')
      return void res.status(400).json({ code: 'ERR_INPUT_INVALID', detail: 'requestId and data are required' });
    try {
      const r = await f(`${verifier}/v1/presentations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ requestId, origin: options.origin, vp_token: data.vp_token }),
      });
      const body = (await r.json()) as Record<string, unknown>;
      if (!r.ok) return void res.status(401).json({ code: body['code'] ?? 'ERR_VERIFIER', detail: body['detail'] ?? 'sign-in refused' });
      res.json({ maskedId: body['maskedId'], claims: body['claims'] });
    } catch {
      res.status(502).json({ code: 'ERR_VERIFIER_UNREACHABLE', detail: 'the verifier is not reachable' });
    }
  });
  return app;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(o: DemoPlatformOptions, w: Words): string {
  const claims = o.claims.map((c) => escapeHtml(w.claims[c] ?? c)).join(w.lang === 'en' ? ', ' : '、');
  const provinces = JSON.stringify(Object.fromEntries(Object.entries(PROVINCE_NAMES).map(([code, n]) => [code, w.lang === 'en' ? n.en : n.zh])));
  return `<!doctype html>
<html lang="${w.lang}"><head><meta charset="utf-8"><title>${escapeHtml(o.name)}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}
button{font:inherit;padding:.6rem 1.2rem;border-radius:6px;border:0;background:#0b57d0;color:#fff;cursor:pointer}
button:disabled{opacity:.6;cursor:default}
#status{margin-top:1.5rem;padding:1rem;border-radius:8px;background:#f1f3f5;min-height:1.5rem}
#status[data-state=signed-in]{background:#e7f4ea}#status[data-state=refused],#status[data-state=cancelled]{background:#fdf3f2}
code{font-size:.9em;word-break:break-all}
nav{float:right;font-size:.9em}
</style></head>
<body>
<nav><a href="?lang=${w.lang === 'en' ? 'zh-CN' : 'en'}" id="switch-language">${w.switchTo}</a></nav>
<h1>${escapeHtml(o.name)}</h1>
<p>${escapeHtml(w.intro)
    .replace('{origin}', `<code>${escapeHtml(o.origin)}</code>`)
    .replace('{claims}', claims)}</p>
<button id="signin">${escapeHtml(w.signin)}</button>
<div id="status" data-state="idle" aria-live="polite">${escapeHtml(w.idle)}</div>
<script>
const W = ${JSON.stringify(w)};
const PROVINCES = ${provinces};
const status = document.getElementById('status');
const button = document.getElementById('signin');
const set = (state, text, code) => { status.dataset.state = state; status.textContent = text; if (code) status.dataset.code = code; else delete status.dataset.code; };
const fmt = (k, v) => v === true ? W.yes : v === false ? W.no : k === 'region' && PROVINCES[v] ? PROVINCES[v] : String(v);
button.addEventListener('click', async () => {
  // One request at a time: a second click does nothing while the wallet is asked.
  button.disabled = true;
  set('waiting', W.waiting);
  // Said after a while, without cancelling: a consent window may still be open.
  const hint = setTimeout(() => { if (status.dataset.state === 'waiting') status.textContent = W.noWallet; }, ${NO_WALLET_AFTER_MS});
  try {
    const start = await fetch('/login/start', { method: 'POST' }).then((r) => r.json()).catch(() => ({}));
    if (!start.requestId) return set('refused', W.unavailable, start.code || 'ERR_VERIFIER_UNREACHABLE');
    let credential;
    try {
      credential = await navigator.credentials.get({ digital: { requests: [start.request] } });
    } catch (e) {
      return set('cancelled', W.cancelled, e.name);
    }
    if (!credential) return set('cancelled', W.cancelled, 'no-credential');
    const r = await fetch('/login/finish', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ requestId: start.requestId, protocol: credential.protocol, data: credential.data }) });
    const body = await r.json();
    if (!r.ok) return set('refused', W.refused[body.code] || W.refused.other, body.code);
    set('signed-in', '');
    status.replaceChildren(W.signedIn + ' ', Object.assign(document.createElement('code'), { id: 'masked-id', textContent: body.maskedId }),
      ...Object.entries(body.claims).map(([k, v]) => (W.lang === 'en' ? ', ' : '，') + (W.claims[k] || k) + (W.lang === 'en' ? ': ' : '：') + fmt(k, v)));
  } finally {
    clearTimeout(hint);
    button.disabled = false;
  }
});
</script>
</body></html>`;
}
