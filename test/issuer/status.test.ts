import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CredentialService, StatusService, clearAtFor, maxValidityDays, type Issuer } from '@maskid/issuer';
import { BitstringStatusList, TYP_STATUS_MANIFEST, checkStatusManifest, decodeJwt, verifyJwt, type MaskidError } from '@maskid/core';
import { addPlatform, enrollPerson, newHolder, testIssuer } from '../helpers.js';

/** Every set bit in an exported epoch (lists that never changed are absent: all zeros): `${platform}/${purpose}/${globalIndex}`. */
function publishedBits(outDir: string, listSize: number): Set<string> {
  const out = new Set<string>();
  for (const platform of readdirSync(outDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)) {
    for (const file of readdirSync(join(outDir, platform)).filter((f) => /^(revocation|suspension)-\d+$/.test(f))) {
      const [, purpose, n] = /^(\w+)-(\d+)$/.exec(file)!;
      const { payload } = decodeJwt(readFileSync(join(outDir, platform, file), 'utf8'));
      const subject = payload['credentialSubject'] as { encodedList: string; statusPurpose: string };
      assert.equal(subject.statusPurpose, purpose);
      const list = BitstringStatusList.decode(subject.encodedList);
      for (let i = 0; i < list.length; i++) if (list.get(i)) out.add(`${platform}/${purpose}/${Number(n) * listSize + i}`);
    }
  }
  return out;
}

describe('revoke, suspend, resume, reissue, delete flip exactly the right bits', () => {
  let t: Awaited<ReturnType<typeof testIssuer>>;
  let issuer: Issuer;
  let status: StatusService;
  let listSize: number;
  const indexOf = new Map<string, number>();
  let a: string;
  let b: string;

  const expectBits = async (expected: string[]) => {
    const r = await status.publish({ outDir: join(t.dir, 'pub') });
    assert.deepEqual([...publishedBits(r.outDir!, listSize)].sort(), expected.sort());
  };
  const bit = (person: string, platform: string, purpose: string) => `${platform}/${purpose}/${indexOf.get(`${person}/${platform}`)}`;

  before(async () => {
    t = await testIssuer();
    issuer = t.issuer;
    status = new StatusService(issuer);
    listSize = (await issuer.settings()).listSize;
    await addPlatform(issuer, 'p1');
    await addPlatform(issuer, 'p2');
    a = await enrollPerson(issuer);
    b = await enrollPerson(issuer);
    const creds = new CredentialService(issuer);
    for (const person of [a, b]) {
      for (const platform of ['p1', 'p2']) {
        const c = await creds.issue({ networkNumber: person, platformId: platform, holder: (await newHolder()).did });
        indexOf.set(`${person}/${platform}`, c.statusIndex);
      }
    }
  });
  after(() => t.cleanup());

  it('starts with no bits set: the first epoch signs no list (never-changed lists are epoch 0, all zeros) and a short-lived signed manifest', async () => {
    const r = await status.publish({ outDir: join(t.dir, 'pub') });
    assert.equal(r.lists, 0);
    assert.equal(publishedBits(r.outDir!, listSize).size, 0);
    assert.equal(existsSync(join(r.outDir!, 'p1', 'revocation-0')), false);
    const { jwk } = await issuer.signer();
    const s = await issuer.settings();
    const manifest = await verifyJwt(readFileSync(join(r.outDir!, 'p1', 'manifest'), 'utf8'), { expectedTyp: TYP_STATUS_MANIFEST, key: jwk });
    const m = checkStatusManifest(manifest.payload, { issuer: s.did, platform: 'p1', issuerUrl: s.url, now: Date.now() });
    assert.equal(m.count, 8);
    assert.equal(m.epoch, r.epoch);
    assert.ok(m.exp - m.iat <= 3 * m.epochSeconds && m.exp - m.iat <= 3600);
    assert.deepEqual([...m.epochs.revocation, ...m.epochs.suspension], new Array(16).fill(0));
    // A list that never changed is still served on demand at its canonical URL (for verifiers without the manifest): signed, all zeros, epoch 0.
    const p1 = (await issuer.ds.query("SELECT number FROM maskid_platform WHERE id = 'p1'"))[0].number as string;
    const zero = await status.listVersion({ id: 'p1', number: BigInt('0x' + p1) } as never, 'revocation', 3);
    const list = await verifyJwt(zero!.jwt, { expectedTyp: 'vc+jwt', key: jwk });
    assert.deepEqual(list.payload['type'], ['VerifiableCredential', 'BitstringStatusListCredential']);
    assert.equal((list.payload['credentialSubject'] as { epoch: number }).epoch, 0);
    assert.equal(BitstringStatusList.decode((list.payload['credentialSubject'] as { encodedList: string }).encodedList).countSet(), 0);
  });

  it('an epoch signs no list: a changed list moves to the epoch, is signed when first asked for and then always answers the same bytes; its manifest carries the change', async () => {
    await status.suspend({ networkNumber: a, platformId: 'p1' });
    const r0 = await status.publish({});
    assert.equal(r0.lists, 1, 'one list moved');
    const unsigned: { epoch: number; jwt: string }[] = await issuer.ds.query('SELECT epoch, jwt FROM maskid_status_list');
    assert.deepEqual(unsigned, [{ epoch: r0.epoch, jwt: '' }], 'moved, not signed');
    const p1 = { id: 'p1', number: BigInt('0x' + ((await issuer.ds.query("SELECT number FROM maskid_platform WHERE id = 'p1'"))[0].number as string)) } as never;
    const idx = indexOf.get(`${a}/p1`)!;
    const listNo = Math.floor(idx / listSize);
    const first = await status.listVersion(p1, 'suspension', listNo);
    assert.equal(first?.epoch, r0.epoch);
    assert.equal((await status.listVersion(p1, 'suspension', listNo, r0.epoch))?.jwt, first!.jwt, 'the same bytes at the immutable URL');
    const subject = decodeJwt(first!.jwt).payload['credentialSubject'] as { encodedList: string; epoch: number };
    assert.equal(subject.epoch, r0.epoch);
    assert.equal(BitstringStatusList.decode(subject.encodedList).get(idx % listSize), true, 'the published bit');
    assert.equal(await status.listVersion(p1, 'suspension', listNo, r0.epoch + 1), undefined, 'no version from the future');
    const { jwk } = await issuer.signer();
    const s = await issuer.settings();
    const manifest = await verifyJwt((await status.manifest(p1))!.jwt, { expectedTyp: TYP_STATUS_MANIFEST, key: jwk });
    const m = checkStatusManifest(manifest.payload, { issuer: s.did, platform: 'p1', issuerUrl: s.url, now: Date.now() });
    assert.deepEqual([...m.changes!.set.suspension], [idx], "the manifest's changes name the entry");
    assert.ok(m.changes!.since < r0.epoch);
    await status.resume({ networkNumber: a, platformId: 'p1' });
    await status.suspend({ networkNumber: a, platformId: 'p1' });
    assert.equal((await status.publish({})).lists, 0, 'a change and its undoing before the epoch publish nothing');
  });

  it('an older version within the change window is rebuilt exactly (a verifier that read the manifest just before an epoch)', async () => {
    const p1 = { id: 'p1', number: BigInt('0x' + ((await issuer.ds.query("SELECT number FROM maskid_platform WHERE id = 'p1'"))[0].number as string)) } as never;
    const idx = indexOf.get(`${a}/p1`)!;
    const listNo = Math.floor(idx / listSize);
    const held = await status.listVersion(p1, 'suspension', listNo);
    await status.resume({ networkNumber: a, platformId: 'p1' });
    const r = await status.publish({});
    assert.equal((await status.listVersion(p1, 'suspension', listNo, held!.epoch))?.jwt, held!.jwt, 'the signed previous version is kept');
    // Nobody asked for the new version: after one more change the version in between is rebuilt from the changes.
    await status.suspend({ networkNumber: a, platformId: 'p1' });
    const r2 = await status.publish({});
    const between = await status.listVersion(p1, 'suspension', listNo, r.epoch);
    const bits = BitstringStatusList.decode((decodeJwt(between!.jwt).payload['credentialSubject'] as { encodedList: string }).encodedList);
    assert.equal(bits.get(idx % listSize), false, 'as it was at that epoch (resumed)');
    assert.equal((await status.listVersion(p1, 'suspension', listNo, r.epoch))?.jwt, between!.jwt, 'then kept');
    assert.equal(await status.listVersion(p1, 'suspension', listNo, held!.epoch), undefined, 'older than the kept previous version: gone (never signed again)');
    const latest = BitstringStatusList.decode(
      (decodeJwt((await status.listVersion(p1, 'suspension', listNo))!.jwt).payload['credentialSubject'] as { encodedList: string }).encodedList,
    );
    assert.equal(latest.get(idx % listSize), true, `and the latest (epoch ${r2.epoch}) is suspended again`);
    await status.resume({ networkNumber: a, platformId: 'p1' });
    await status.publish({});
  });

  it('an epoch moves only the lists whose bits changed; the others keep their epoch and bytes', async () => {
    await status.suspend({ networkNumber: a, platformId: 'p1' });
    const r1 = await status.publish({ outDir: join(t.dir, 'pub') });
    assert.equal(r1.lists, 1, 'one list changed');
    const before = readdirSync(join(r1.outDir!, 'p1')).sort();
    const bytes = readFileSync(join(r1.outDir!, 'p1', before.find((f) => /^suspension-\d+$/.test(f))!), 'utf8');
    const r2 = await status.publish({ outDir: join(t.dir, 'pub') });
    assert.equal(r2.lists, 0, 'nothing changed: no list moved');
    assert.equal(readFileSync(join(r2.outDir!, 'p1', before.find((f) => /^suspension-\d+$/.test(f))!), 'utf8'), bytes, 'same signed bytes');
    assert.ok(r2.epoch > r1.epoch);
    await status.resume({ networkNumber: a, platformId: 'p1' });
  });

  it('suspend on one platform sets one suspension bit', async () => {
    await status.suspend({ networkNumber: a, platformId: 'p1' });
    await expectBits([bit(a, 'p1', 'suspension')]);
  });

  it('resume clears it', async () => {
    await status.resume({ networkNumber: a, platformId: 'p1' });
    await expectBits([]);
  });

  it('suspend everywhere sets one bit per platform, for that person only', async () => {
    await status.suspend({ networkNumber: b });
    await expectBits([bit(b, 'p1', 'suspension'), bit(b, 'p2', 'suspension')]);
    await status.resume({ networkNumber: b });
    await expectBits([]);
  });

  it('revoke on every platform sets the revocation bits and is final', async () => {
    await status.revoke({ networkNumber: a });
    await expectBits([bit(a, 'p1', 'revocation'), bit(a, 'p2', 'revocation')]);
    await assert.rejects(status.resume({ networkNumber: a }), (e: MaskidError) => e.code === 'ERR_STATE_INVALID');
  });

  it('reissue revokes the old generation and moves the person to fresh indexes with the same masked IDs', async () => {
    const creds = new CredentialService(issuer);
    const holder = (await newHolder()).did;
    const before = await creds.issue({ networkNumber: b, platformId: 'p1', holder });
    const r = await status.reissue({ networkNumber: b });
    assert.equal(r.generation, 2);
    const after = await creds.issue({ networkNumber: b, platformId: 'p1', holder });
    assert.equal(after.maskedId, before.maskedId);
    assert.notEqual(`${after.statusListIndex}`, `${before.statusListIndex}`);
    await expectBits([bit(a, 'p1', 'revocation'), bit(a, 'p2', 'revocation'), bit(b, 'p1', 'revocation'), bit(b, 'p2', 'revocation')]);
  });

  it('delete revokes, and a deleted person can no longer be changed or issued for', async () => {
    const c = await enrollPerson(issuer);
    await status.delete({ networkNumber: c });
    await assert.rejects(status.suspend({ networkNumber: c }), (e: MaskidError) => e.code === 'ERR_STATE_INVALID');
    await assert.rejects(
      new CredentialService(issuer).issue({ networkNumber: c, platformId: 'p1', holder: (await newHolder()).did }),
      (e: MaskidError) => e.code === 'ERR_STATE_INVALID',
    );
    const r = await status.publish({ outDir: join(t.dir, 'pub') });
    assert.equal(publishedBits(r.outDir!, listSize).size, 6);
  });

  it('clears the bits of released slots (revoked, reissued, deleted) once no credential carrying them can be valid; a platform revocation and suspensions stay', async () => {
    const creds = new CredentialService(issuer);
    const d = await enrollPerson(issuer);
    const e = await enrollPerson(issuer);
    for (const [person, platform] of [
      [d, 'p1'],
      [e, 'p1'],
      [e, 'p2'],
    ] as const) {
      indexOf.set(`${person}/${platform}`, (await creds.issue({ networkNumber: person, platformId: platform, holder: (await newHolder()).did })).statusIndex);
    }
    await status.revoke({ networkNumber: d, platformId: 'p1' });
    await status.suspend({ networkNumber: e });
    const kept = [bit(d, 'p1', 'revocation'), bit(e, 'p1', 'suspension'), bit(e, 'p2', 'suspension')];
    const validityDays = (await issuer.settings()).credentialValidityDays;
    const out = join(t.dir, 'pub');
    // A day before the last credential issued at a released slot can expire: every revocation stays.
    const early = await status.publish({ outDir: out, now: Date.now() + maxValidityDays(validityDays) * 86_400_000 });
    assert.equal(early.cleared, 0);
    assert.equal(publishedBits(early.outDir!, listSize).size, 6 + kept.length);
    // After it: the three released slots (a revoked, b's old generation, c deleted) are cleared on both platforms.
    const late = await status.publish({ outDir: out, now: clearAtFor(Date.now(), validityDays) + 60_000 });
    assert.equal(late.cleared, 3);
    assert.deepEqual([...publishedBits(late.outDir!, listSize)].sort(), kept.sort());
    assert.ok(late.lists >= 1, 'the lists the cleared bits sat in moved');
    const again = await status.publish({ outDir: out, now: clearAtFor(Date.now(), validityDays) + 120_000 });
    assert.equal(again.cleared, 0, 'each slot is cleared once');
    assert.equal(again.lists, 0);
  });
});
