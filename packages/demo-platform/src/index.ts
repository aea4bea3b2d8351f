/**
 * A demo internet platform: a page with "Sign in with Internet ID" and a backend that talks to the
 * platform's own maskid verifier. The page gets a presentation request from the backend (which got it
 * from `POST /v1/requests`), hands it to `navigator.credentials.get({ digital })` and posts the answer
 * back; the backend sends it to `POST /v1/presentations` with the platform's own origin and shows the
 * result. The platform never talks to the issuer.
 */
import express, { type Express } from 'express';

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

const LABELS: Record<string, string> = { ageOver14: 'over 14', ageOver16: 'over 16', ageOver18: 'over 18', region: 'region', realNameVerified: 'real name verified' };

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

  app.get('/', (_req, res) => {
    res.type('html').send(page(options));
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

function page(o: DemoPlatformOptions): string {
  const labels = JSON.stringify(LABELS);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(o.name)}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}
button{font:inherit;padding:.6rem 1.2rem;border-radius:6px;border:0;background:#0b57d0;color:#fff;cursor:pointer}
#status{margin-top:1.5rem;padding:1rem;border-radius:8px;background:#f1f3f5;min-height:1.5rem}
#status[data-state=signed-in]{background:#e7f4ea}#status[data-state=refused],#status[data-state=cancelled]{background:#fdf3f2}
code{font-size:.9em;word-break:break-all}
</style></head>
<body>
<h1>${escapeHtml(o.name)}</h1>
<p>A demo platform at <code>${escapeHtml(o.origin)}</code>. It asks for: ${o.claims.map((c) => escapeHtml(LABELS[c] ?? c)).join(', ')}.</p>
<button id="signin">Sign in with Internet ID</button>
<div id="status" data-state="idle" aria-live="polite">Not signed in.</div>
<script>
const LABELS = ${labels};
const status = document.getElementById('status');
const set = (state, text) => { status.dataset.state = state; status.textContent = text; };
const fmt = (v) => v === true ? 'yes' : v === false ? 'no' : String(v);
document.getElementById('signin').addEventListener('click', async () => {
  set('waiting', 'Waiting for your wallet…');
  const start = await fetch('/login/start', { method: 'POST' }).then((r) => r.json());
  if (!start.requestId) return set('refused', 'The verifier is unavailable: ' + (start.detail || start.code));
  let credential;
  try {
    credential = await navigator.credentials.get({ digital: { requests: [start.request] } });
  } catch (e) {
    return set('cancelled', 'Sign-in did not happen (' + e.name + ').');
  }
  if (!credential) return set('cancelled', 'Sign-in did not happen (no credential).');
  const r = await fetch('/login/finish', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ requestId: start.requestId, protocol: credential.protocol, data: credential.data }) });
  const body = await r.json();
  if (!r.ok) return set('refused', 'Sign-in refused: ' + body.code + ' — ' + body.detail);
  status.dataset.state = 'signed-in';
  status.replaceChildren('Signed in as ', Object.assign(document.createElement('code'), { id: 'masked-id', textContent: body.maskedId }),
    ...Object.entries(body.claims).map(([k, v]) => ', ' + (LABELS[k] || k) + ': ' + fmt(v)));
});
</script>
</body></html>`;
}
