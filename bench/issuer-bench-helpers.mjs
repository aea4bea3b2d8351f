export { Issuer, initIssuer, loadKek, EnrollmentService, PlatformService, CredentialService, StatusService } from '@maskid/issuer';
import { buildCredentialClaims, jwkFromDidJwk } from '@maskid/core';

/** A profile credential for a bench issuer DID (claims of a fixed adult). */
export function buildClaimsForBench(issuerDid, holderDid) {
  const url = 'http://localhost:8443/status/forum/revocation-0';
  return buildCredentialClaims({
    issuer: issuerDid,
    kid: `${issuerDid}#k`,
    validFrom: '2026-11-22T00:00:00Z',
    validUntil: '2026-12-22T00:00:00Z',
    holder: { id: holderDid, jwk: jwkFromDidJwk(holderDid) },
    maskedId: 'm1' + 'a'.repeat(26),
    platform: 'forum',
    credentialStatus: [
      { id: `${url}#1`, type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: '1', statusListCredential: url },
      {
        id: `${url.replace('revocation', 'suspension')}#1`,
        type: 'BitstringStatusListEntry',
        statusPurpose: 'suspension',
        statusListIndex: '1',
        statusListCredential: url.replace('revocation', 'suspension'),
      },
    ],
    claims: {
      givenName: 'San',
      familyName: 'Zhang',
      birthDate: '1990-01-01',
      ageOver14: true,
      ageOver16: true,
      ageOver18: true,
      gender: 'male',
      region: '11',
      nationality: 'CN',
      realNameVerified: true,
    },
  });
}
