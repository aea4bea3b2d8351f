/**
 * `GET /.well-known/jwt-vc-issuer`: JWT VC Issuer Metadata (SD-JWT VC §5), how software that knows the
 * SD-JWT VCLD form only by its https `iss` finds the keys: every key of the issuer's DID document, its
 * `kid` the key's fragment there (the `kid` of a `dc+sd-jwt` header). A maskid verifier never reads it:
 * it takes the same keys from the signed key list under its trust anchor.
 */
import type { Router } from 'express';
import { JWT_VC_ISSUER_METADATA_PATH } from '@maskid/core';
import type { IssuerHttpContext } from '../context.js';
import { KeyService } from '../../services/keys.js';
import { conditional } from './static-files.js';

export function jwtVcIssuerMetadataRoute(router: Router, ctx: IssuerHttpContext): void {
  const keyService = new KeyService(ctx.issuer);
  router.get(JWT_VC_ISSUER_METADATA_PATH, async (req, res) => {
    const { url, did } = await ctx.issuer.settings();
    const doc = (await keyService.didDocument()) as { verificationMethod: { id: string; publicKeyJwk: Record<string, unknown> }[] };
    const keys = doc.verificationMethod.map((m) => ({ ...m.publicKeyJwk, kid: m.id.startsWith(`${did}#`) ? m.id.slice(did.length + 1) : m.id }));
    conditional(req, res, JSON.stringify({ issuer: url, jwks: { keys } }), 'application/json', 'public, max-age=300');
  });
}
