/**
 * Crash faults: the real `maskid-issuer` process is killed with SIGKILL in the middle of a `--csv`
 * enrolment, of a revocation, and (as `serve`) of a wallet's batch issuance. After a restart nothing
 * is half-written, no status slot or index is handed out twice, and every revocation the CLI
 * reported is in the database. Runs on SQLite, and on PostgreSQL in that pass.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseSdJwt, verifyJwt } from '@maskid/core';
import { EnrollmentService, Openid4vciService, PRE_AUTHORIZED_GRANT, PlatformService, StatusService, findPerson, type Issuer } from '@maskid/issuer';
import { PersonEntity, StatusBitEntity, StatusChangeEntity, type PersonRow } from '@maskid/issuer/entities';
import { MemoryStorage, WebCryptoKeyStore, Wallet } from '@maskid/holder';
import { REPO_ROOT, addPlatform, enrollPerson, makeNationalId, testIssuer, trustAnchor } from '../helpers.js';
import { freePort } from '../issuer-server.js';

const BIN = join(REPO_ROOT, 'packages', 'issuer', 'bin', 'maskid-issuer.js');

interface Cli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startCli(dir: string, db: string | undefined, args: string[]): Cli {
  const child = spawn(process.execPath, [BIN, '--dev', '--data-dir', dir, ...(db ? ['--db', db] : []), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves when `read()` matches, or rejects when the process exits first. */
async function waitFor(cli: Cli, read: () => string, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void cli.exited.then(() => (done = true));
  while (!pattern.test(read())) {
    if (done) throw new Error(`process exited before ${pattern}: ${cli.stderr().slice(-1000)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}`);
    await sleep(5);
  }
}

const rowsCsv = (n: number) => {
  const lines = ['national_id,family_name,given_name,birth_date,gender,region'];
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const birthDate = new Date(Date.UTC(1950, 0, 1) + (i % 9000) * 86_400_000).toISOString().slice(0, 10);
    const id = makeNationalId(birthDate, '44', 100 + Math.floor(i / 9000));
    ids.push(id);
    lines.push(`${id},Chen,Fault${i},${birthDate},F,44`);
  }
  return { text: lines.join('\n') + '\n', ids };
};

/** Every person opens whole, slots are 0..n-1 exactly once, and the counter agrees. */
async function assertConsistent(issuer: Issuer, platforms: string[]): Promise<PersonRow[]> {
  const people = await issuer.ds.getRepository(PersonEntity).find();
  const enrollment = new EnrollmentService(issuer);
  for (const p of people) {
    if (p.state === 'deleted') continue;
    const data = await enrollment.personData(p); // throws on a half-written or unreadable row
    assert.equal(await enrollment.blindIndex(data.nationalId), p.blindIndex, 'blind index belongs to the sealed data');
  }
  const slots = people.map((p) => p.slot).sort((a, b) => a - b);
  assert.deepEqual(
    slots,
    slots.map((_, i) => i),
    'status slots are 0..n-1, each once: none lost to a rolled-back batch, none given twice',
  );
  assert.equal(Number(await issuer.getMeta('next_slot')), people.length, 'the slot counter matches the persons written');
  const status = new StatusService(issuer);
  for (const id of platforms) {
    const platform = await new PlatformService(issuer).get(id);
    const indexes = new Set<number>();
    for (const p of people) indexes.add((await status.position(platform, p.slot)).index);
    assert.equal(indexes.size, people.length, `no status index on ${id} given twice`);
  }
  return people;
}

describe('SIGKILL faults on the issuer', () => {
  let t: Awaited<ReturnType<typeof testIssuer>>;
  before(async () => {
    t = await testIssuer();
    await addPlatform(t.issuer, 'fa');
    await addPlatform(t.issuer, 'fb');
  });
  after(async () => t.cleanup());

  it('a --csv enrolment killed mid-run twice leaves whole batches only, and a rerun completes it exactly once', { timeout: 300_000 }, async () => {
    const { text, ids } = rowsCsv(20_000);
    const csv = join(t.dir, 'people.csv');
    writeFileSync(csv, text);
    const people = t.issuer.ds.getRepository(PersonEntity);

    // Kill 1: a few milliseconds after the first progress line (10 %), inside a later batch.
    for (const [round, line] of [
      [1, /\(10%\)/],
      [2, /\(40%\)/],
    ] as const) {
      const before = await people.count();
      const cli = startCli(t.dir, t.db, ['enroll', '--csv', csv]);
      await waitFor(cli, cli.stderr, line);
      await sleep(Math.floor(Math.random() * 30));
      cli.child.kill('SIGKILL');
      assert.equal(await cli.exited, null, 'killed, not finished');
      assert.equal(cli.stdout(), '', 'the killed run reported nothing');
      const after = await people.count();
      assert.ok(after > before && after < ids.length, `round ${round}: some rows written (${before} → ${after})`);
      if (round === 1) assert.equal(after % 500, 0, `only whole 500-row transactions are written (${after})`);
      await assertConsistent(t.issuer, ['fa']);
    }

    // The rerun enrols the rest; rows already there are reported as duplicates, none enrolled twice.
    const cli = startCli(t.dir, t.db, ['enroll', '--csv', csv, '--json']);
    assert.equal(await cli.exited, 3, `partial success (duplicates listed): ${cli.stderr().slice(-500)}`);
    const summary = JSON.parse(cli.stdout()) as { enrolled: number; rejected: number; errors: { code: string }[] };
    assert.equal(summary.enrolled + summary.rejected, ids.length);
    assert.ok(summary.errors.every((e) => e.code === 'ERR_PERSON_DUPLICATE'));
    const all = await assertConsistent(t.issuer, ['fa', 'fb']);
    assert.equal(all.length, ids.length, 'every row enrolled exactly once');
    const enrollment = new EnrollmentService(t.issuer);
    const blind = new Set(all.map((p) => p.blindIndex));
    for (const id of ids) assert.ok(blind.has(await enrollment.blindIndex(id)));
  });

  it('a revoke killed at any moment is all-or-nothing, and a reported revocation is in the database', { timeout: 120_000 }, async () => {
    const status = new StatusService(t.issuer);
    const platforms = await new PlatformService(t.issuer).list();
    // Published bits and the changes staged for the next epoch.
    const revocationBits = async () =>
      new Set(
        [
          ...(await t.issuer.ds.getRepository(StatusBitEntity).findBy({ purpose: 'revocation' })),
          ...(await t.issuer.ds.getRepository(StatusChangeEntity).findBy({ purpose: 'revocation', epoch: 0, value: 1 })),
        ].map((b) => `${b.platformNumber}:${b.idx}`),
      );
    const outcomes = { reported: 0, notReported: 0 };
    // How long a whole `revoke` takes on this machine now (start-up dominates, and varies 1–6 s with load):
    // measured in this run, then kills are spread over that time, from start-up to after the exit.
    const started = performance.now();
    const timed = startCli(t.dir, t.db, ['revoke', '--network-number', await enrollPerson(t.issuer), '--json']);
    await timed.exited;
    const whole = performance.now() - started;
    const delays = [0.05, 0.2, 0.4, 0.6, 0.75, 0.85, 0.92, 0.97, 1.5].map((f) => f * whole);
    // If the machine's speed moved so much that every kill fell on one side of the commit, a few more
    // kills at the far ends (bounded) still land on both sides.
    for (let extra = 0; extra < 8 && delays.length < 20; extra++) delays.push(extra % 2 === 0 ? 3 * whole : 0.02 * whole);
    for (const [i, delay] of delays.entries()) {
      if (i >= 9 && outcomes.reported > 0 && outcomes.notReported > 0) break;
      const networkNumber = await enrollPerson(t.issuer);
      const cli = startCli(t.dir, t.db, ['revoke', '--network-number', networkNumber, '--json']);
      await Promise.race([sleep(delay), cli.exited]);
      cli.child.kill('SIGKILL');
      await cli.exited;
      const reported = /"state":\s*"revoked"/.test(cli.stdout());
      const person = await findPerson(t.issuer, networkNumber);
      const bits = await revocationBits();
      const set = [];
      for (const p of platforms) set.push(bits.has(`${p.number.toString(16).padStart(16, '0')}:${(await status.position(p, person.slot)).index}`));
      if (reported) {
        outcomes.reported++;
        assert.equal(person.state, 'revoked', 'a reported revocation is durable');
      }
      if (person.state === 'revoked') assert.ok(set.every(Boolean), 'revoked: the bit is set on every platform');
      else {
        outcomes.notReported++;
        assert.ok(!reported);
        assert.ok(
          set.every((b) => !b),
          'not revoked: no bit set on any platform (no partial revocation)',
        );
      }
    }
    assert.ok(outcomes.reported > 0 && outcomes.notReported > 0, `kills landed both before and after the commit: ${JSON.stringify(outcomes)}`);
  });

  it('spending a code or refresh token and storing the new tokens is one transaction: a failure in between leaves the grant usable', async () => {
    // A trigger makes the token insert fail, as a crash between the two writes would.
    const postgres = t.issuer.ds.options.type === 'postgres';
    const inject = async () => {
      if (postgres) {
        await t.issuer.ds.query(`CREATE OR REPLACE FUNCTION maskid_fail_tokens() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$ LANGUAGE plpgsql`);
        await t.issuer.ds.query(`CREATE TRIGGER maskid_fail_tokens BEFORE INSERT ON maskid_grant FOR EACH ROW WHEN (NEW.kind = 'access') EXECUTE FUNCTION maskid_fail_tokens()`);
      } else {
        await t.issuer.ds.query(`CREATE TRIGGER maskid_fail_tokens BEFORE INSERT ON maskid_grant WHEN NEW.kind = 'access' BEGIN SELECT RAISE(ABORT, 'injected'); END`);
      }
    };
    const heal = () => t.issuer.ds.query(`DROP TRIGGER maskid_fail_tokens${postgres ? ' ON maskid_grant' : ''}`);
    const oid4vci = new Openid4vciService(t.issuer);
    const dpop = { jkt: 'test-thumbprint', jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } };
    const offer = await oid4vci.createOffer(await enrollPerson(t.issuer));
    const code = (offer.offer['grants'] as Record<string, { 'pre-authorized_code': string }>)[PRE_AUTHORIZED_GRANT]!['pre-authorized_code'];
    const preAuth = { grant_type: PRE_AUTHORIZED_GRANT, 'pre-authorized_code': code, tx_code: offer.txCode };

    await inject();
    await assert.rejects(oid4vci.token(preAuth, dpop), /injected/);
    await heal();
    const first = await oid4vci.token(preAuth, dpop);
    await assert.rejects(oid4vci.token(preAuth, dpop), (e: Error & { error?: string }) => e.error === 'invalid_grant', 'then the code is spent');

    const refresh = { grant_type: 'refresh_token', refresh_token: String(first['refresh_token']) };
    await inject();
    await assert.rejects(oid4vci.token(refresh, dpop), /injected/);
    await heal();
    const second = await oid4vci.token(refresh, dpop);
    assert.equal(typeof second['access_token'], 'string');
    // A retry of the spent token within its grace window replaces `second` (whose answer the wallet may not
    // have received); once the newest refresh token is used, the spent one is refused: rotation holds.
    const third = await oid4vci.token(refresh, dpop);
    await assert.rejects(
      oid4vci.token({ grant_type: 'refresh_token', refresh_token: String(second['refresh_token']) }, dpop),
      (e: Error & { error?: string }) => e.error === 'invalid_grant',
      'the replaced answer is withdrawn',
    );
    await oid4vci.token({ grant_type: 'refresh_token', refresh_token: String(third['refresh_token']) }, dpop);
    await assert.rejects(oid4vci.token(refresh, dpop), (e: Error & { error?: string }) => e.error === 'invalid_grant', 'rotation still single-use');
  });

  it("`serve` killed during a wallet's batch issuance: after restart the wallet completes, each credential at its own index", { timeout: 120_000 }, async () => {
    // A separate issuer whose URL is the port `serve` listens on.
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const s = await testIssuer({ url });
    try {
      const ids = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'];
      for (const id of ids) await addPlatform(s.issuer, id);
      await new StatusService(s.issuer).publish({});
      const a = await enrollPerson(s.issuer);
      const b = await enrollPerson(s.issuer);
      const oid4vci = new Openid4vciService(s.issuer);
      const { jwk: issuerJwk } = await s.issuer.signer();

      const serve = () => {
        const cli = startCli(s.dir, s.db, ['serve']);
        return waitFor(cli, cli.stderr, /serving/).then(() => cli);
      };
      let server = await serve();
      // Wallet a speaks standard OpenID4VCI only (the batch extension is hidden from it) and the issuer dies
      // during its 4th credential request; wallet c uses the batch extension and the issuer dies during the
      // batch. Neither is left with anything that blocks the retry.
      let credentialRequests = 0;
      let batchKilled = false;
      const killingFetch =
        (mode: 'standard' | 'batch'): typeof fetch =>
        async (input, init) => {
          const path = String(input);
          if (mode === 'standard' && path.endsWith('/.well-known/openid-credential-issuer')) {
            const res = await fetch(input, init);
            const { maskid_batch_credential_endpoint: _hidden, ...metadata } = (await res.json()) as Record<string, unknown>;
            return new Response(JSON.stringify(metadata), { status: res.status, headers: { 'content-type': 'application/json' } });
          }
          if ((mode === 'standard' && path.endsWith('/credential') && ++credentialRequests === 4) || (mode === 'batch' && path.endsWith('/batch-credential') && !batchKilled)) {
            batchKilled ||= mode === 'batch';
            const pending = fetch(input, init);
            await sleep(Math.floor(Math.random() * 20));
            server.child.kill('SIGKILL');
            return pending;
          }
          return fetch(input, init);
        };
      const storage = new MemoryStorage();
      const wallet = new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [await trustAnchor(s.issuer)], fetch: killingFetch('standard') });
      const offer = await oid4vci.createOffer(a);
      await assert.rejects(wallet.acceptOffer(offer.uri, { pin: offer.txCode }));
      if (credentialRequests < 4) server.child.kill('SIGKILL'); // failed before the planned kill: do not wait for it
      assert.ok(credentialRequests >= 4, `the wallet failed before the issuer was killed (${credentialRequests} credential requests)`);
      await server.exited;
      const held = await wallet.credentials();
      assert.ok(held.length >= 3 && held.length < ids.length, `the standard requests stopped part-way (${held.length} held)`);

      server = await serve();
      const storageC = new MemoryStorage();
      const walletC = new Wallet({ storage: storageC, keys: new WebCryptoKeyStore(storageC), trustedIssuers: [await trustAnchor(s.issuer)], fetch: killingFetch('batch') });
      const offerC = await oid4vci.createOffer(await enrollPerson(s.issuer));
      // The kill may land before or after the batch's answer: either way all or nothing.
      const accepted = await walletC.acceptOffer(offerC.uri, { pin: offerC.txCode }).then(
        () => true,
        () => false,
      );
      if (!batchKilled) server.child.kill('SIGKILL');
      assert.ok(batchKilled, 'the wallet sent its batch before anything failed');
      await server.exited;
      const heldC = (await walletC.credentials()).length;
      assert.equal(heldC, accepted ? ids.length : 0, `a batch is all or nothing (accepted: ${accepted}, held: ${heldC})`);
      assert.equal((await storageC.keys('key:')).length, 1 + heldC, 'no credential key is left behind without its credential');

      server = await serve();
      try {
        await wallet.refresh();
        const all = await wallet.credentials();
        assert.equal(all.length, ids.length, 'after restart the wallet has one credential per platform');
        await walletC.refresh();
        assert.equal((await walletC.credentials()).length, ids.length, 'and the batch wallet holds its whole batch after its next wake-up');
        const storage2 = new MemoryStorage();
        const walletB = new Wallet({ storage: storage2, keys: new WebCryptoKeyStore(storage2), trustedIssuers: [await trustAnchor(s.issuer)] });
        const offerB = await oid4vci.createOffer(b);
        const allB = await walletB.acceptOffer(offerB.uri, { pin: offerB.txCode });

        const status = new StatusService(s.issuer);
        for (const [networkNumber, creds] of [
          [a, all],
          [b, allB],
        ] as const) {
          const person = await findPerson(s.issuer, networkNumber);
          for (const c of creds) {
            const { jwt } = parseSdJwt(c.sdJwt);
            await verifyJwt(parseSdJwt(c.sdJwt).jwtCompact, { expectedTyp: 'vc+sd-jwt', key: issuerJwk });
            const platform = await new PlatformService(s.issuer).get(c.platform);
            const pos = await status.position(platform, person.slot);
            const entries = jwt.payload['credentialStatus'] as { statusListIndex: string; statusListCredential: string }[];
            assert.equal(entries[0]!.statusListIndex, String(pos.offset), `${c.platform}: the index is the person's own`);
          }
        }
        for (const id of ids) {
          const ia = (parseSdJwt(all.find((c) => c.platform === id)!.sdJwt).jwt.payload['credentialStatus'] as { id: string }[])[0]!.id;
          const ib = (parseSdJwt(allB.find((c) => c.platform === id)!.sdJwt).jwt.payload['credentialStatus'] as { id: string }[])[0]!.id;
          assert.notEqual(ia, ib, `${id}: two persons never share a status entry`);
        }
        await assertConsistent(s.issuer, ids);
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    } finally {
      await s.cleanup();
    }
  });
});
