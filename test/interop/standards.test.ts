/**
 * Third-party software is the judge: every JSON-LD document maskid signs expands with the `jsonld`
 * library in safe mode through an offline loader of the bundled contexts; the verifier's requests are
 * parsed by `@openid4vc/openid4vp` and their DCQL by `dcql`, which also matches a real presentation;
 * everything maskid signs verifies with `jose`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { validate as validateOpenApi31 } from '@hyperjump/json-schema/openapi-3-1';
import { contexts as vcContexts } from '@digitalbazaar/credentials-context';
import { DcqlPresentationResult, DcqlQuery } from 'dcql';
import * as jose from 'jose';
import jsonld from 'jsonld';
import { parseDcqlVpToken, parseOpenid4vpAuthorizationRequest, zClientMetadata } from '@openid4vc/openid4vp';
import { KEY_LIST_PATH, VERIFIABLE_CREDENTIAL_IRI, disclosedClaimsOf, maskidContext, maskidContextDocument, vocabularyFor, type ClaimName } from '@maskid/core';
import { CredentialService, KeyService, PlatformService, StatusService } from '@maskid/issuer';
import { MemoryStorage, Wallet, WebCryptoKeyStore } from '@maskid/holder';
import { OPENAPI, VerifierService, parseConfig } from '@maskid/verifier';
import { startIssuer, type RunningIssuer } from '../issuer-server.js';
import { enrollPerson, newHolder } from '../helpers.js';

/** Offline JSON-LD document loader: the bundled VCDM 2.0 context and the issuer's maskid context, nothing else. */
function offlineLoader(did: string) {
  const maskid = maskidContextDocument(did);
  const maskidUrl = `${new URL(vocabularyFor(did)).origin}/contexts/v2`;
  return async (url: string) => {
    const document = url === maskidUrl ? maskid : vcContexts.get(url);
    if (!document) throw new Error(`offline loader: ${url} is not bundled`);
    return { contextUrl: null, documentUrl: url, document };
  };
}

const expand = (doc: Record<string, unknown>, did: string) => jsonld.expand(doc, { documentLoader: offlineLoader(did), safe: true });
const payloadOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe('standards: JSON-LD, OpenID4VP 1.0, DCQL and JOSE libraries accept what maskid produces', () => {
  let server: RunningIssuer;
  let did: string;
  let sdJwt: string;
  let origin: string;

  before(async () => {
    server = await startIssuer({ platforms: [{ id: 'forum', claims: ['ageOver18', 'region'] }] });
    did = (await server.issuer.settings()).did;
    origin = (await new PlatformService(server.issuer).get('forum')).origins[0]!;
    const nn = await enrollPerson(server.issuer);
    sdJwt = (await new CredentialService(server.issuer).issue({ networkNumber: nn, platformId: 'forum', holder: (await newHolder()).did })).sdJwt;
    await new StatusService(server.issuer).revoke({ networkNumber: await enrollPerson(server.issuer), platformId: 'forum' });
    await new StatusService(server.issuer).publish({});
  });
  after(() => server.close());

  it('a credential (all disclosures applied) expands in safe mode; its types expand to the IRIs the DCQL query names', async () => {
    const vc = await disclosedClaimsOf(sdJwt);
    const [node] = (await expand(vc, did)) as Record<string, unknown>[];
    assert.deepEqual(new Set(node!['@type'] as string[]), new Set([VERIFIABLE_CREDENTIAL_IRI, `${vocabularyFor(did)}InternetIdCredential`]));
    const subject = (node!['https://www.w3.org/2018/credentials#credentialSubject'] as Record<string, unknown>[])[0]!;
    assert.ok(subject[`${vocabularyFor(did)}maskedId`], 'maskedId is a term of the maskid vocabulary');
    assert.ok(subject[`${vocabularyFor(did)}ageOver18`]);
  });

  it('the status list credential and the platform registry expand in safe mode too', async () => {
    const listUrl = JSON.parse(Buffer.from(sdJwt.split('.')[1]!, 'base64url').toString()).credentialStatus[0].statusListCredential as string;
    for (const url of [listUrl, `${server.url}/platforms`]) {
      const jwt = await (await fetch(url)).text();
      const expanded = (await expand(payloadOf(jwt), did)) as Record<string, unknown>[];
      assert.equal(expanded.length, 1, url);
    }
  });

  it('a context that redefines a protected VCDM 2.0 term (as v1 did with cnf) is refused by the processor: the check has teeth', async () => {
    const vc = await disclosedClaimsOf(sdJwt);
    const bad = { '@context': { '@protected': true, cnf: { '@id': 'https://example.org/cnf', '@type': '@json' } } };
    const loader = offlineLoader(did);
    await assert.rejects(
      jsonld.expand(
        { ...vc, '@context': [vc['@context'] as string[]].flat().slice(0, 1).concat(['https://example.org/bad']) },
        {
          safe: true,
          documentLoader: async (url: string) => (url === 'https://example.org/bad' ? { contextUrl: null, documentUrl: url, document: bad } : loader(url)),
        },
      ),
      /protected term|redefine/i,
    );
  });

  it('credentials name the context by the digest of exactly the bytes the issuer serves, immutable', async () => {
    const res = await fetch(`${server.url}/contexts/v2`);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const body = Buffer.from(await res.arrayBuffer());
    const digest = `sha384-${createHash('sha384').update(body).digest('base64')}`;
    const related = (payloadOf(sdJwt.split('~')[0]!)['relatedResource'] as { id: string; digestSRI: string }[])[0]!;
    assert.equal(related.digestSRI, digest);
    assert.equal(related.id, (await maskidContext(did)).url);
  });

  it('every verifier request parses with @openid4vc/openid4vp, its DCQL with dcql, and a real vp_token matches the query', async () => {
    const service = await VerifierService.create(
      parseConfig({ platform: 'forum', origins: [origin], trustedIssuers: [server.anchor], allowedClaims: ['ageOver18', 'region'], dev: true }),
    );
    await service.start();
    try {
      for (const claims of [['ageOver18'], ['ageOver18', 'region']] as ClaimName[][]) {
        const { request, requestId } = await service.engine.createRequest(claims);
        const parsed = parseOpenid4vpAuthorizationRequest({ authorizationRequest: request.data as unknown as Record<string, unknown> });
        assert.equal(parsed.type, 'openid4vp_dc_api');
        const metadata = zClientMetadata.parse(request.data.client_metadata);
        assert.deepEqual(Object.keys(metadata.vp_formats_supported ?? {}), ['vc+sd-jwt']);
        const query = DcqlQuery.parse(request.data.dcql_query as never);
        DcqlQuery.validate(query);
        const typeValues = (request.data.dcql_query.credentials[0].meta as { type_values: string[][] }).type_values;
        assert.deepEqual(typeValues[0], [VERIFIABLE_CREDENTIAL_IRI, `${vocabularyFor(did)}InternetIdCredential`], 'the expanded IRIs first');
        assert.deepEqual(typeValues.at(-1), ['VerifiableCredential', 'InternetIdCredential'], 'the compact terms as an alternative');

        // The wallet answers; the vp_token parses and matches the query with the credential's expanded types.
        const storage = new MemoryStorage();
        const wallet = new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [server.anchor] });
        const offer = await server.offer(await enrollPerson(server.issuer));
        await wallet.acceptOffer(offer.uri, { pin: offer.txCode });
        const response = await wallet.present(request, { origin });
        const vpToken = parseDcqlVpToken(response.data.vp_token);
        const presentation = vpToken['internet_id']![0] as string;
        const disclosed = await disclosedClaimsOf(presentation.slice(0, presentation.lastIndexOf('~') + 1));
        const [node] = (await expand(disclosed, did)) as Record<string, unknown>[];
        const result = DcqlPresentationResult.fromDcqlPresentation(
          { internet_id: [{ credential_format: 'vc+sd-jwt', type: node!['@type'] as string[], claims: disclosed as never, cryptographic_holder_binding: true }] },
          { dcqlQuery: query },
        );
        assert.equal(result.can_be_satisfied, true, JSON.stringify(result.credential_matches));
        assert.equal((await service.engine.verify(presentation, { requestId, origin })).verified, true);
      }
      // The SD-JWT VCLD form's request: the same parsers accept it, with dc+sd-jwt, vct_values and ld claim paths.
      const { request } = await service.engine.createRequest(['ageOver18'], 'dc+sd-jwt');
      assert.equal(parseOpenid4vpAuthorizationRequest({ authorizationRequest: request.data as unknown as Record<string, unknown> }).type, 'openid4vp_dc_api');
      assert.deepEqual(Object.keys(zClientMetadata.parse(request.data.client_metadata).vp_formats_supported ?? {}), ['dc+sd-jwt']);
      const vcldQuery = DcqlQuery.parse(request.data.dcql_query as never);
      DcqlQuery.validate(vcldQuery);
      assert.equal(vcldQuery.credentials[0]!.format, 'dc+sd-jwt');
    } finally {
      await service.stop();
    }
  });

  it("the verifier's OpenAPI document validates against the OpenAPI 3.1 schema (with its schema dialect)", async () => {
    // @hyperjump/json-schema implements the OpenAPI 3.1 dialect's $dynamicRef (Ajv 8 does not, and refuses valid documents).
    const base = 'https://spec.openapis.org/oas/3.1/schema-base';
    const result = await validateOpenApi31(base, JSON.parse(JSON.stringify(OPENAPI)));
    assert.equal(result.valid, true, JSON.stringify(result));
    assert.equal((await validateOpenApi31(base, { openapi: '3.1.0', info: {} })).valid, false, 'the schema refuses a broken document');
  });

  it('everything maskid signs verifies with jose under the key the key list names', async () => {
    const keyList = await (await fetch(`${server.url}${KEY_LIST_PATH}`)).text();
    const rootJwk = JSON.parse(Buffer.from(keyList.split('.')[0]!, 'base64url').toString()).jwk as jose.JWK;
    const list = await jose.compactVerify(keyList, await jose.importJWK(rootJwk, 'ES256'));
    assert.equal(await jose.calculateJwkThumbprint(rootJwk), await new KeyService(server.issuer).rootThumbprint());
    const keys = (JSON.parse(new TextDecoder().decode(list.payload)) as { keys: { kid: string; jwk: jose.JWK }[] }).keys;
    const keyFor = async (header: jose.ProtectedHeaderParameters) => jose.importJWK(keys.find((k) => k.kid === header.kid)!.jwk, 'ES256');
    const listUrl = JSON.parse(Buffer.from(sdJwt.split('.')[1]!, 'base64url').toString()).credentialStatus[0].statusListCredential as string;
    const documents = {
      credential: sdJwt.split('~')[0]!,
      'status list': await (await fetch(listUrl)).text(),
      manifest: await (await fetch(`${server.url}/status/forum/manifest`)).text(),
      registry: await (await fetch(`${server.url}/platforms`)).text(),
    };
    for (const [what, jws] of Object.entries(documents)) {
      const { protectedHeader } = await jose.compactVerify(jws, keyFor);
      assert.ok(['vc+sd-jwt', 'vc+jwt', 'maskid-status-manifest+jwt'].includes(protectedHeader.typ!), what);
    }
  });
});
