// The floor of I3b, for bench/issuer-http.mjs: a bare node:http server that does only the cryptography
// of a standard credential request and nothing of an issuer. Per POST it reads the body, parses the JSON
// and both JWSs, verifies the DPoP proof (its key imported once per wallet, as a server may cache it) and
// the key proof (its key imported every time: each credential comes with a fresh holder key), signs one
// credential-sized input and answers JSON. No database, no token, nonce or replay check, no routing,
// no credential built: what any issuer serving this request over Node's HTTP must spend at least.
//   node bench/http-floor-server.mjs <port>    prints "serving" when it listens
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const credentialInput = Buffer.alloc(2823, 0x41);
const dpopKeys = new Map();

const parse = (jws) => {
  const [h, p, s] = jws.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  return { header, input: Buffer.from(`${h}.${p}`), signature: Buffer.from(s, 'base64url') };
};
const check = (jws, key) => {
  if (!verify('sha256', jws.input, { key, dsaEncoding: 'ieee-p1363' }, jws.signature)) throw new Error('bad signature');
};

createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const dpop = parse(req.headers['dpop']);
      let key = dpopKeys.get(dpop.header.jwk.x);
      if (!key) {
        key = createPublicKey({ key: dpop.header.jwk, format: 'jwk' });
        dpopKeys.set(dpop.header.jwk.x, key);
      }
      check(dpop, key);
      const proof = parse(body.proofs.jwt[0]);
      check(proof, createPublicKey({ key: proof.header.jwk, format: 'jwk' }));
      const credential = sign('sha256', credentialInput, { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ credentials: [{ credential }] }));
    } catch (e) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: e.message }));
    }
  });
}).listen(port, '127.0.0.1', () => process.stdout.write('serving\n'));
