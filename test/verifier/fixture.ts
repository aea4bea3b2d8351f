/** A running issuer with one platform, credentials for fresh holders, and verifier services for that platform. */
import { CredentialService, StatusService } from '@maskid/issuer';
import { presentInternetIdCredential, verifyInternetIdPresentation, type ClaimName, type CredentialFormat, type Jwk } from '@maskid/core';
import { VerifierService, parseConfig, type VerifierServiceOptions } from '@maskid/verifier';
import { startIssuer, type RunningIssuer } from '../issuer-server.js';
import { enrollPerson, newHolder, type Holder } from '../helpers.js';

export interface VerifierFixture {
  server: RunningIssuer;
  origin: string;
  /** Issues a fresh credential for a new (or given) person to a new holder key. */
  issue(networkNumber?: string, format?: CredentialFormat): Promise<{ sdJwt: string; holder: Holder; networkNumber: string; maskedId: string }>;
  present(c: { sdJwt: string; holder: Holder }, nonce: string, claims?: ClaimName[], over?: { aud?: string; iat?: number }): Promise<string>;
  /** A started verifier for platform forum; `config` is raw config input (validated by parseConfig). */
  service(config?: Record<string, unknown>, options?: VerifierServiceOptions): Promise<VerifierService>;
  publish(): Promise<void>;
  close(): Promise<void>;
}

export async function verifierFixture(): Promise<VerifierFixture> {
  const server = await startIssuer({
    platforms: [
      { id: 'forum', claims: ['ageOver18', 'region'] },
      { id: 'video', claims: ['ageOver18'] },
    ],
  });
  const origin = (JSON.parse((await server.issuer.ds.query("SELECT origins FROM maskid_platform WHERE id = 'forum'"))[0].origins) as string[])[0]!;
  const services: VerifierService[] = [];
  return {
    server,
    origin,
    async issue(networkNumber, format) {
      const nn = networkNumber ?? (await enrollPerson(server.issuer));
      const holder = await newHolder();
      const c = await new CredentialService(server.issuer).issue({ networkNumber: nn, platformId: 'forum', holder: holder.did, ...(format ? { format } : {}) });
      return { sdJwt: c.sdJwt, holder, networkNumber: nn, maskedId: c.maskedId };
    },
    present(c, nonce, claims = ['ageOver18'], over = {}) {
      return presentInternetIdCredential(c.sdJwt, { claims, kbSigner: c.holder.signer, nonce, aud: over.aud ?? `origin:${origin}`, ...(over.iat ? { iat: over.iat } : {}) });
    },
    async service(config = {}, options = {}) {
      const s = await VerifierService.create(
        parseConfig({
          platform: 'forum',
          origins: [origin],
          trustedIssuers: [server.anchor],
          allowedClaims: ['ageOver18', 'region'],
          dev: true,
          ...config,
        }),
        options,
      );
      await s.start();
      services.push(s);
      return s;
    },
    async publish() {
      await new StatusService(server.issuer).publish({});
    },
    async close() {
      for (const s of services) await s.stop();
      await server.close();
    },
  };
}

/**
 * core's WebCrypto reference verifier on the fixture's platform, with the service's status lists and its
 * key trust rule (an untrusted issuer or unknown key fails there as in the engine), and the issuer's key.
 */
export async function referenceVerify(f: VerifierFixture, svc: VerifierService, presentation: string, nonce: string, requested: ClaimName[] = ['ageOver18']) {
  const { jwk } = await f.server.issuer.signer();
  return verifyInternetIdPresentation(presentation, {
    issuerKey: (iss, kid) => {
      svc.keys.get(iss, kid);
      return jwk as Jwk;
    },
    nonce,
    audiences: [`origin:${f.origin}`],
    platform: 'forum',
    requestedClaims: requested,
    allowedClaims: ['ageOver18', 'region'],
    status: (e, iss) => svc.status.lookup(e, iss),
  });
}

/** A verification's outcome as one word: `ok` or the error code. */
export const codeOf = (r: { verified: boolean; error?: { code: string } }) => (r.verified ? 'ok' : r.error!.code);
