import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { AuditService, CredentialService, createApproval, createOperatorApproval, type Issuer } from '@maskid/issuer';
import { MaskidError, publicJwk, type Jwk, type JwsSigner } from '@maskid/core';
import { AuditEntityForTests } from './audit-helpers.js';
import { addPlatform, enrollPerson, newHolder, testIssuer } from '../helpers.js';

function operatorKey(): { jwk: Jwk; signer: JwsSigner } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    jwk: publicJwk(privateKey.export({ format: 'jwk' }) as Jwk),
    signer: { alg: 'ES256', sign: async (d) => nodeSign('sha256', d, { key: privateKey, dsaEncoding: 'ieee-p1363' }) },
  };
}

describe('re-identification and the audit log', () => {
  let t: Awaited<ReturnType<typeof testIssuer>>;
  let issuer: Issuer;
  let audit: AuditService;
  let maskedId: string;
  let networkNumber: string;
  const alice = operatorKey();
  const bob = operatorKey();
  const mallory = operatorKey();
  const approve = (by: JwsSigner, over: Partial<Parameters<typeof createApproval>[1]> = {}) =>
    createApproval(by, { approver: 'bob', requester: 'alice', caseRef: 'CASE-2026-001', platformId: 'shop', maskedId, ...over });
  const request = (approval: string, over: Partial<Parameters<AuditService['reidentify']>[0]> = {}) =>
    audit.reidentify({ platformId: 'shop', maskedId, caseRef: 'CASE-2026-001', approval, operator: 'alice', ...over });
  const refused = (e: unknown) => e instanceof MaskidError && e.code === 'ERR_APPROVAL_INVALID';

  before(async () => {
    t = await testIssuer();
    issuer = t.issuer;
    audit = new AuditService(issuer);
    await addPlatform(issuer, 'shop');
    await addPlatform(issuer, 'other');
    networkNumber = await enrollPerson(issuer);
    maskedId = (await new CredentialService(issuer).issue({ networkNumber, platformId: 'shop', holder: (await newHolder()).did })).maskedId;
    await audit.bootstrapOperators([
      { id: 'alice', jwk: alice.jwk },
      { id: 'bob', jwk: bob.jwk },
    ]);
  });
  after(() => t.cleanup());

  it("returns the network number with a second operator's approval, and logs it without the number in clear", async () => {
    const r = await request(await approve(bob.signer));
    assert.equal(r.networkNumber, networkNumber);
    const row = await issuer.ds.getRepository(AuditEntityForTests).findOneByOrFail({ seq: r.auditSeq });
    assert.ok(!row.body.includes(networkNumber));
    assert.match(row.body, /"action":"reidentify"/);
    assert.match(row.body, /"subjectSealed":/);
    assert.deepEqual((await audit.verify()).ok, true);
  });

  it('refuses without a valid second-operator approval', async () => {
    await assert.rejects(request('not-a-jws'), refused);
    await assert.rejects(request(await approve(alice.signer, { approver: 'alice' })), refused, 'self-approval');
    await assert.rejects(request(await approve(mallory.signer)), refused, 'signed by an unregistered key');
    await assert.rejects(request(await approve(bob.signer, { approver: 'mallory' })), refused, 'unregistered approver');
    await assert.rejects(request(await approve(bob.signer, { caseRef: 'OTHER' })), refused, 'other case');
    await assert.rejects(request(await approve(bob.signer, { requester: 'bob' })), refused, 'other requester');
    await assert.rejects(request(await approve(bob.signer, { ttlSeconds: -10 })), refused, 'expired');
    await assert.rejects(request(await approve(bob.signer), { operator: 'nobody' }), refused, 'unregistered requester');
    const once = await approve(bob.signer);
    await request(once);
    await assert.rejects(request(once), refused, 'replayed approval');
    await assert.rejects(
      request(await approve(bob.signer, { platformId: 'other' }), { platformId: 'other' }),
      (e: MaskidError) => e.code === 'ERR_NOT_FOUND',
      'masked ID of another platform',
    );
    await assert.rejects(request(await approve(bob.signer), { caseRef: '' }), (e: MaskidError) => e.code === 'ERR_INPUT_INVALID');
  });

  it("adding an operator needs a different operator's approval: no self-approval, not through a second identity", async () => {
    const alice2 = operatorKey();
    const addAlice2 = (approval: string, by = 'alice') => audit.addOperator('alice2', alice2.jwk, { by, approval });
    const approveAdd = (signer: JwsSigner, approver: string, requester = 'alice', jwk = alice2.jwk) =>
      createOperatorApproval(signer, { approver, requester, operatorId: 'alice2', jwk });
    await assert.rejects(addAlice2(await approveAdd(alice.signer, 'alice')), refused, 'alice approves her own change');
    await assert.rejects(addAlice2(await approveAdd(alice2.signer, 'alice2')), refused, 'the new identity approves itself');
    await assert.rejects(addAlice2(await approveAdd(alice.signer, 'bob')), refused, "alice signs an approval in bob's name");
    await assert.rejects(addAlice2(await approveAdd(bob.signer, 'bob', 'alice', mallory.jwk)), refused, 'an approval for another key');
    await assert.rejects(addAlice2(await approveAdd(bob.signer, 'bob'), 'nobody'), refused, 'an unregistered requester');
    await assert.rejects(
      audit.addOperator('alice2', alice2.jwk, { by: 'alice2', approval: await approveAdd(bob.signer, 'bob', 'alice2') }),
      refused,
      'the new operator adds themselves',
    );
    const ok = await approveAdd(bob.signer, 'bob');
    await addAlice2(ok);
    await assert.rejects(audit.addOperator('alice3', alice2.jwk, { by: 'alice', approval: ok }), refused, 'an approval works once (and names one operator)');
    // A second identity of alice still cannot approve alice's re-identification request alone: it needs
    // its own approver (bob) to have been added, and the chain records who approved the addition.
    const entries = await issuer.ds.getRepository(AuditEntityForTests).find();
    assert.ok(entries.some((e) => /"action":"operator.add"/.test(e.body) && /"approver":"bob"/.test(e.body) && /"operator":"alice2"/.test(e.body)));
    assert.equal((await audit.verify()).ok, true);
    await assert.rejects(
      audit.bootstrapOperators([
        { id: 'x', jwk: alice2.jwk },
        { id: 'y', jwk: bob.jwk },
      ]),
      (e: MaskidError) => e.code === 'ERR_CONFLICT',
      'bootstrap only while there are none',
    );
  });

  it('detects a tampered, removed or re-ordered audit entry', async () => {
    assert.equal((await audit.verify()).ok, true);
    const repo = issuer.ds.getRepository(AuditEntityForTests);
    const entry = await repo.findOneByOrFail({ seq: 2 });
    await repo.update({ seq: 2 }, { body: entry.body.replace('"operator.add"', '"operator.remove"') });
    const broken = await audit.verify();
    assert.equal(broken.ok, false);
    assert.equal(broken.error?.code, 'ERR_AUDIT_CHAIN_BROKEN');
    assert.equal(broken.error?.seq, 2);
    await repo.update({ seq: 2 }, { body: entry.body });
    assert.equal((await audit.verify()).ok, true);
    // Rewriting the entry together with its hash still breaks the link to the next entry.
    const { chainHash } = await import('@maskid/issuer');
    const forged = entry.body.replace('"operator.add"', '"operator.remove"');
    await repo.update({ seq: 2 }, { body: forged, hash: chainHash(entry.prevHash, forged) });
    const relinked = await audit.verify();
    assert.equal(relinked.ok, false);
    assert.equal(relinked.error?.seq, 3);
    await repo.update({ seq: 2 }, { body: entry.body, hash: entry.hash });
    // Dropping the newest entry is caught by the signed head.
    const last = await repo.createQueryBuilder('a').orderBy('a.seq', 'DESC').getOneOrFail();
    await repo.delete({ seq: last.seq });
    assert.equal((await audit.verify()).ok, false);
  });
});
