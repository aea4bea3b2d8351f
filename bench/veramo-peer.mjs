// Veramo 7 on equivalent work: a JWT VC (same issuer key) inside a JWT VP (same holder keys, challenge
// and domain), verified with verifyPresentation and — since that does not check the credentials inside
// a presentation — verifyCredential on the inner VC. did:jwk so resolution stays local.
import { createAgent } from '@veramo/core';
import { KeyManager, MemoryKeyStore, MemoryPrivateKeyStore } from '@veramo/key-manager';
import { KeyManagementSystem } from '@veramo/kms-local';
import { DIDManager, MemoryDIDStore } from '@veramo/did-manager';
import { JwkDIDProvider, getDidJwkResolver } from '@veramo/did-provider-jwk';
import { DIDResolverPlugin } from '@veramo/did-resolver';
import { Resolver } from 'did-resolver';
import { CredentialPlugin } from '@veramo/credential-w3c';
import { CredentialProviderJWT } from '@veramo/credential-jwt';
import { createECDH } from 'node:crypto';

const hexOfD = (jwk) => Buffer.from(jwk.d, 'base64url').toString('hex');
const compressed = (privHex) => {
  const e = createECDH('prime256v1');
  e.setPrivateKey(Buffer.from(privHex, 'hex'));
  return e.getPublicKey('hex', 'compressed');
};

export async function veramoPeer({ issuerPrivateHex, holders, nonces }) {
  const agent = createAgent({
    plugins: [
      new KeyManager({ store: new MemoryKeyStore(), kms: { local: new KeyManagementSystem(new MemoryPrivateKeyStore()) } }),
      new DIDManager({ store: new MemoryDIDStore(), defaultProvider: 'did:jwk', providers: { 'did:jwk': new JwkDIDProvider({ defaultKms: 'local' }) } }),
      new DIDResolverPlugin({ resolver: new Resolver({ ...getDidJwkResolver() }) }),
      new CredentialPlugin([new CredentialProviderJWT()]),
    ],
  });
  const importKey = async (privateKeyHex) => agent.didManagerCreate({ provider: 'did:jwk', kms: 'local', options: { keyType: 'Secp256r1', privateKeyHex } });
  const issuer = await importKey(issuerPrivateHex);
  const cases = [];
  for (let i = 0; i < holders.length; i++) {
    const d = await crypto.subtle.exportKey('jwk', holders[i].kp.privateKey);
    const holder = await importKey(hexOfD(d));
    const vc = await agent.createVerifiableCredential({
      credential: { issuer: { id: issuer.did }, credentialSubject: { id: holder.did, ageOver18: true }, type: ['VerifiableCredential', 'InternetIdCredential'] },
      proofFormat: 'jwt',
    });
    const vp = await agent.createVerifiablePresentation({
      presentation: { holder: holder.did, verifiableCredential: [vc.proof.jwt] },
      proofFormat: 'jwt',
      challenge: nonces[i],
      domain: 'origin:https://forum.example',
    });
    cases.push({ vp: vp.proof.jwt, vc: vc.proof.jwt, challenge: nonces[i] });
  }
  void compressed;
  return {
    async rate() {
      const t0 = performance.now();
      let ok = 0;
      for (const c of cases) {
        const p = await agent.verifyPresentation({ presentation: c.vp, challenge: c.challenge, domain: 'origin:https://forum.example' });
        const v = await agent.verifyCredential({ credential: c.vc, policies: { credentialStatus: false } });
        if (p.verified && v.verified) ok++;
      }
      if (ok !== cases.length) throw new Error(`veramo verified ${ok} of ${cases.length}`);
      return ok / ((performance.now() - t0) / 1000);
    },
  };
}
