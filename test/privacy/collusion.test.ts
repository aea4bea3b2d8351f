/**
 * Privacy under collusion (DESIGN privacy property 1 and 7). 1,000 people sign in to two platforms
 * whose verifiers log everything they receive, with each form of the credential (VCDM and SD-JWT VCLD). The two platforms then pool their logs and look for
 * any value or shape that singles out one person on both sides: masked IDs, holder keys, signatures,
 * salts, digests, status indexes, dates, lengths, key order. They find none. A canary (both platforms
 * also asking for the birth date, which DESIGN says is identifying) proves the search finds links.
 *
 * Then one and then 1,000 people are revoked, and the platforms diff the status lists between
 * epochs: the anonymity set that diff leaves is reported (and written to test/artifacts).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BitstringStatusList, MAX_MANIFEST_CHANGES, decodeIndexes, decodeJwt, parseSdJwt, presentInternetIdCredential, type ClaimName } from '@maskid/core';
import { CredentialService, EnrollmentService, StatusService } from '@maskid/issuer';
import { VerifierService, parseConfig } from '@maskid/verifier';
import { startIssuer, type RunningIssuer } from '../issuer-server.js';
import { REPO_ROOT, makeNationalId, newHolder } from '../helpers.js';

const PEOPLE = 1000;
const ARTIFACTS = join(REPO_ROOT, 'test', 'artifacts');
const REGIONS = ['11', '12', '31', '32', '44', '50', '51', '65'];

interface Platform {
  id: string;
  origin: string;
  claims: ClaimName[];
  service: VerifierService;
}
/** What one verifier received for one login, and what it concluded. */
interface LogEntry {
  person: number;
  vpToken: string;
  maskedId: string;
  claims: Record<string, unknown>;
}

const b64json = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;

/**
 * Every atomic value and shape in one log entry, as `feature → value`. Excluded, because the
 * verifier chose them or they record when the person chose to sign in (behaviour, not the system):
 * the KB-JWT `nonce`, `aud` and `iat`.
 */
function features(entry: LogEntry): Map<string, string> {
  const out = new Map<string, string>();
  const add = (name: string, v: unknown) => out.set(`${name}=${typeof v === 'string' ? v : JSON.stringify(v)}`, name);
  const walk = (prefix: string, v: unknown) => {
    if (v !== null && typeof v === 'object') {
      add(`${prefix}#keys`, Object.keys(v).join(','));
      for (const [k, x] of Object.entries(v)) walk(Array.isArray(v) ? `${prefix}[]` : `${prefix}.${k}`, x);
    } else add(prefix, v);
  };
  const parsed = parseSdJwt(entry.vpToken);
  const [h, p, sig] = parsed.jwtCompact.split('.') as [string, string, string];
  walk('jwt.header', b64json(h));
  walk('jwt.payload', b64json(p));
  add('jwt.signature', sig);
  for (const d of parsed.disclosures) {
    add('disclosure', d);
    const [salt, name, value] = b64json(d) as [string, string, unknown];
    add('disclosure.salt', salt);
    walk(`claim.${name}`, value);
  }
  const [kh, kp, ks] = parsed.kbJwt!.split('.') as [string, string, string];
  walk('kb.header', b64json(kh));
  const kbPayload = b64json(kp) as Record<string, unknown>;
  add('kb.sd_hash', kbPayload['sd_hash']);
  add('kb.payload#keys', Object.keys(kbPayload).join(','));
  add('kb.signature', ks);
  const payload = b64json(p) as Record<string, unknown>;
  add('jwt.validity', `${String(payload['validFrom'])}..${String(payload['validUntil'])}`);
  add('masked', entry.maskedId);
  for (const [k, v] of Object.entries(entry.claims)) add(`result.${k}`, v);
  for (const [name, len] of [
    ['len.total', entry.vpToken.length],
    ['len.jwt', parsed.jwtCompact.length],
    ['len.kb', parsed.kbJwt!.length],
    ['count.disclosures', parsed.disclosures.length],
  ] as const)
    add(name, len);
  for (const d of parsed.disclosures) add('len.disclosure', d.length);
  return out;
}

/** Links the pooled logs: values present on both sides that belong to exactly one person on each. */
function link(a: LogEntry[], b: LogEntry[]): { singledOut: Map<number, string[]>; shared: number; smallestSet: { feature: string; size: number } | undefined } {
  const index = (log: LogEntry[]) => {
    const m = new Map<string, { feature: string; people: Set<number> }>();
    for (const e of log)
      for (const [key, feature] of features(e)) {
        const slot = m.get(key) ?? { feature, people: new Set<number>() };
        slot.people.add(e.person);
        m.set(key, slot);
      }
    return m;
  };
  const ia = index(a);
  const ib = index(b);
  const singledOut = new Map<number, string[]>();
  let shared = 0;
  let smallestSet: { feature: string; size: number } | undefined;
  for (const [key, sa] of ia) {
    const sb = ib.get(key);
    if (!sb) continue;
    shared++;
    const both = [...sa.people].filter((p) => sb.people.has(p));
    if (both.length === 0) continue;
    const size = Math.max(sa.people.size, sb.people.size);
    if (!smallestSet || size < smallestSet.size) smallestSet = { feature: sa.feature, size };
    if (sa.people.size === 1 && sb.people.size === 1) singledOut.set(both[0]!, [...(singledOut.get(both[0]!) ?? []), sa.feature]);
  }
  return { singledOut, shared, smallestSet };
}

/** Spearman rank correlation of two equally long series. */
function rankCorrelation(x: number[], y: number[]): number {
  const ranks = (v: number[]) => {
    const order = v.map((value, i) => ({ value, i })).sort((p, q) => p.value - q.value);
    const r = new Array<number>(v.length);
    for (const [rank, o] of order.entries()) r[o.i] = rank;
    return r;
  };
  const rx = ranks(x);
  const ry = ranks(y);
  const n = x.length;
  const d2 = rx.reduce((s, r, i) => s + (r - ry[i]!) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

describe(`privacy under collusion: ${PEOPLE} people on two platforms`, { timeout: 600_000 }, () => {
  let server: RunningIssuer;
  const platforms: Platform[] = [];
  const logs = new Map<string, LogEntry[]>();
  const people: string[] = [];
  /** Per platform, per person: the status entry in their credential. */
  const entries = new Map<string, { list: string; index: number }[]>();

  before(async () => {
    server = await startIssuer({
      platforms: [
        { id: 'video', claims: ['ageOver18', 'region', 'birthDate'], origin: 'https://video.example' },
        { id: 'forum', claims: ['ageOver18', 'birthDate'], origin: 'https://forum.example' },
      ],
    });
    // People of all ages, minors included (their age claims change during the credentials' validity).
    const rows = Array.from({ length: PEOPLE }, (_, i) => {
      const birthDate = new Date(Date.UTC(1945, 0, 1) + ((i * 7919) % 27_700) * 86_400_000).toISOString().slice(0, 10);
      return {
        nationalId: makeNationalId(birthDate, '11', 500),
        familyName: 'Zhao',
        givenName: `Person${i}`,
        birthDate,
        gender: (['F', 'M', 'X'] as const)[i % 3]!,
        region: REGIONS[i % REGIONS.length]!,
      };
    });
    const { enrolled, errors } = await new EnrollmentService(server.issuer).enrollMany(rows);
    assert.equal(errors.length, 0, JSON.stringify(errors.slice(0, 3)));
    people.push(...enrolled.map((e) => e.networkNumber));
    await new StatusService(server.issuer).publish({});

    const issue = new CredentialService(server.issuer);
    for (const [id, origin, claims] of [
      ['video', 'https://video.example', ['ageOver18', 'region']],
      ['forum', 'https://forum.example', ['ageOver18']],
    ] as const) {
      const service = await VerifierService.create(
        parseConfig({ platform: id, origins: [origin], trustedIssuers: [server.anchor], allowedClaims: ['ageOver18', 'region', 'birthDate'], dev: true }),
      );
      await service.start();
      platforms.push({ id, origin, claims: [...claims], service });
      logs.set(id, []);
      logs.set(`${id}+birthDate`, []);
      logs.set(`${id}.vcld`, []);
      entries.set(id, []);
    }
    // Each person gets a credential per platform (fresh key each, as the wallet does) and signs in.
    for (const [person, networkNumber] of people.entries()) {
      for (const p of platforms) {
        const holder = await newHolder();
        const c = await issue.issue({ networkNumber, platformId: p.id, holder: holder.did });
        const status = (parseSdJwt(c.sdJwt).jwt.payload['credentialStatus'] as { statusPurpose: string; statusListCredential: string; statusListIndex: string }[]).find(
          (s) => s.statusPurpose === 'revocation',
        )!;
        entries.get(p.id)![person] = { list: status.statusListCredential, index: Number(status.statusListIndex) };
        for (const [log, claims] of [
          [p.id, p.claims],
          [`${p.id}+birthDate`, [...p.claims, 'birthDate']],
        ] as const) {
          const { requestId, request } = await p.service.engine.createRequest(claims);
          const vpToken = await presentInternetIdCredential(c.sdJwt, { claims: [...claims], kbSigner: holder.signer, nonce: request.data.nonce, aud: `origin:${p.origin}` });
          const r = await p.service.verify(vpToken, { requestId, origin: p.origin });
          assert.ok(r.verified, `person ${person} on ${p.id}: ${!r.verified && r.error.code}`);
          logs.get(log)!.push({ person, vpToken, maskedId: r.maskedId, claims: r.claims });
        }
        // The same person's SD-JWT VCLD form for the platform (its own fresh key), asked for by a dc+sd-jwt request.
        const vcldHolder = await newHolder();
        const v = await issue.issue({ networkNumber, platformId: p.id, holder: vcldHolder.did, format: 'dc+sd-jwt' });
        const { requestId, request } = await p.service.engine.createRequest(p.claims, 'dc+sd-jwt');
        const vpToken = await presentInternetIdCredential(v.sdJwt, { claims: p.claims, kbSigner: vcldHolder.signer, nonce: request.data.nonce, aud: `origin:${p.origin}` });
        const r = await p.service.verify(vpToken, { requestId, origin: p.origin });
        assert.ok(r.verified, `person ${person} on ${p.id} (VCLD): ${!r.verified && r.error.code}`);
        logs.get(`${p.id}.vcld`)!.push({ person, vpToken, maskedId: r.maskedId, claims: r.claims });
      }
    }
  });
  after(async () => {
    for (const p of platforms) await p.service.stop();
    await server?.close();
  });

  it("finds no value or shape that singles out one person across the two platforms' logs", (t) => {
    const { singledOut, shared, smallestSet } = link(logs.get('video')!, logs.get('forum')!);
    t.diagnostic(`values seen on both platforms: ${shared}; smallest group one narrows a person to: ${JSON.stringify(smallestSet)}`);
    const examples = [...singledOut.entries()].slice(0, 5).map(([p, f]) => `person ${p}: ${f.join(', ')}`);
    assert.equal(singledOut.size, 0, `linkable people: ${singledOut.size}; e.g. ${examples.join('; ')}`);
    assert.ok(shared > 0, 'the logs do share population values (issuer, types, dates, lengths)');
    // A shared value only narrows a person to the people who have it on each side. The smallest such
    // groups come from lengths that vary with the number of digits of the status index, which is
    // drawn independently on each platform: a match there is chance, not a link (and none is unique).
    assert.ok(smallestSet, 'shared values exist');
  });

  it('the SD-JWT VCLD form links no one either: across the two platforms, and across forms (one platform VCDM, the other VCLD)', (t) => {
    for (const [a, b] of [
      ['video.vcld', 'forum.vcld'],
      ['video', 'forum.vcld'],
      ['video.vcld', 'forum'],
    ] as const) {
      const { singledOut, shared, smallestSet } = link(logs.get(a)!, logs.get(b)!);
      t.diagnostic(`${a} × ${b}: values seen on both: ${shared}; smallest group: ${JSON.stringify(smallestSet)}`);
      const examples = [...singledOut.entries()].slice(0, 5).map(([p, f]) => `person ${p}: ${f.join(', ')}`);
      assert.equal(singledOut.size, 0, `${a} × ${b}: linkable people: ${singledOut.size}; e.g. ${examples.join('; ')}`);
      assert.ok(shared > 0, `${a} × ${b}: population values are shared (issuer, vct, lengths)`);
    }
    // The two forms on one platform carry the same masked ID (one person, one platform), by design.
    const video = logs.get('video')!;
    assert.ok(logs.get('video.vcld')!.every((e) => video.find((x) => x.person === e.person)?.maskedId === e.maskedId));
  });

  it('the search has teeth: with the birth date disclosed to both (identifying, per DESIGN) it links almost everyone', () => {
    const { singledOut } = link(logs.get('video+birthDate')!, logs.get('forum+birthDate')!);
    assert.ok(singledOut.size > PEOPLE * 0.9, `birth date links ${singledOut.size} of ${PEOPLE}`);
    assert.ok(
      [...singledOut.values()].every((f) => f.every((x) => x === 'claim.birthDate' || x === 'result.birthDate')),
      'and only the birth date does',
    );
  });

  it('status indexes on the two platforms are unrelated (rank correlation ≈ 0)', (t) => {
    const global = (e: { list: string; index: number }) => Number(/-(\d+)$/.exec(e.list)![1]) * 1e9 + e.index;
    const a = entries.get('video')!.map(global);
    const b = entries.get('forum')!.map(global);
    const rho = rankCorrelation(a, b);
    t.diagnostic(`Spearman rank correlation of the two platforms' status indexes: ${rho.toFixed(3)}`);
    assert.ok(Math.abs(rho) < 0.12, `Spearman ρ = ${rho.toFixed(3)}`);
    assert.equal(new Set(a).size, PEOPLE);
  });

  it('status-list diffs between epochs: the anonymity set with 1 revocation, at one event rate with 15 s and 300 s epochs, and with hundreds', async (t) => {
    const status = new StatusService(server.issuer);
    const { listSize } = await server.issuer.settings();
    /** What a platform sees: which of its users' revocation bits are set in an epoch. */
    const revokedUsers = (outDir: string, platform: string) => {
      const lists = new Map<string, BitstringStatusList>();
      const set = new Set<number>();
      entries.get(platform)!.forEach((e, person) => {
        let list = lists.get(e.list);
        if (!list) {
          // A list that never changed is not exported: all zeros.
          const file = join(outDir, platform, e.list.slice(e.list.lastIndexOf('/') + 1));
          list = existsSync(file)
            ? BitstringStatusList.decode((decodeJwt(readFileSync(file, 'utf8')).payload['credentialSubject'] as { encodedList: string }).encodedList)
            : BitstringStatusList.create(listSize);
          lists.set(e.list, list);
        }
        if (list.get(e.index)) set.add(person);
      });
      return set;
    };
    const epoch = async (name: string) => (await status.publish({ outDir: join(server.dir, 'epochs', name) })).outDir!;
    const diff = (before: string, after: string, platform: string) => {
      const was = revokedUsers(before, platform);
      return [...revokedUsers(after, platform)].filter((p) => !was.has(p));
    };

    const e0 = await epoch('e0');
    await status.revoke({ networkNumber: people[0]! });
    const e1 = await epoch('e1');

    // The herd-privacy trade-off of the epoch length: events arrive at one rate (one revocation every 5 s)
    // and are published every 15 s (the demo) or every 300 s (the default). Each diff's anonymity set is
    // the number of events in its epoch, so it shrinks with the epoch: measured here, stated in the docs.
    const RATE_SECONDS = 5;
    const byEpochLength: { epochSeconds: number; anonymitySets: number[] }[] = [];
    // The manifest carries the changes of its last 3 epochs: they must name exactly the users the diffs of
    // those epochs reveal (the same herd, no more).
    const recent: number[][] = [diff(e0, e1, 'forum')];
    const namedByManifest = (outDir: string) => {
      const changes = decodeJwt(readFileSync(join(outDir, 'forum', 'manifest'), 'utf8')).payload['changes'] as { revocation: { set: string } };
      const set = new Set(decodeIndexes(changes.revocation.set, MAX_MANIFEST_CHANGES, 2 ** 40));
      const named: number[] = [];
      entries.get('forum')!.forEach((e, person) => {
        if (set.has(Number(/-(\d+)$/.exec(e.list)![1]) * listSize + e.index)) named.push(person);
      });
      return named.sort((x, y) => x - y);
    };
    let next = 1;
    let previous = e1;
    for (const epochSeconds of [15, 300]) {
      const perEpoch = epochSeconds / RATE_SECONDS;
      const sets: number[] = [];
      for (let k = 0; k < 3; k++) {
        for (const networkNumber of people.slice(next, next + perEpoch)) await status.revoke({ networkNumber });
        next += perEpoch;
        const after = await epoch(`rate-${epochSeconds}-${k}`);
        const onA = diff(previous, after, 'video');
        const onB = diff(previous, after, 'forum');
        assert.deepEqual(new Set(onA), new Set(onB));
        recent.push(onB);
        assert.deepEqual(
          namedByManifest(after),
          recent
            .slice(-3)
            .flat()
            .sort((x, y) => x - y),
          "the manifest's changes name the users of its epochs' diffs",
        );
        sets.push(onB.length);
        previous = after;
      }
      byEpochLength.push({ epochSeconds, anonymitySets: sets });
      t.diagnostic(`one revocation every ${RATE_SECONDS} s, epoch ${epochSeconds} s → anonymity sets ${sets.join(', ')}`);
      assert.deepEqual(sets, [perEpoch, perEpoch, perEpoch], 'the anonymity set of a diff is the events of its epoch');
    }
    const e1b = previous;
    for (const networkNumber of people.slice(next)) await status.revoke({ networkNumber });
    const e2 = await epoch('e2');
    const bulk = PEOPLE - next;

    const report = [];
    for (const [label, before, afterDir, revocations] of [
      ['1 revocation', e0, e1, 1],
      [`${bulk} revocations`, e1b, e2, bulk],
    ] as const) {
      const onA = diff(before, afterDir, 'video');
      const onB = diff(before, afterDir, 'forum');
      // Colluders pair each newly revoked user of A with every newly revoked user of B.
      const anonymitySet = onB.length;
      assert.equal(onA.length, revocations, `${label}: platform A sees each of its revoked users`);
      assert.equal(onB.length, revocations);
      assert.deepEqual(new Set(onA), new Set(onB), 'both platforms see the same people (all people use both)');
      report.push({ epochChange: label, revokedUsersSeenByA: onA.length, revokedUsersSeenByB: onB.length, anonymitySet, listSize });
      t.diagnostic(`${label} in the epoch → anonymity set ${anonymitySet} (a revoked account on A is one of ${anonymitySet} revoked accounts on B)`);
    }
    assert.equal(report[0]!.anonymitySet, 1, 'a lone revocation in an epoch links the two accounts (the documented limit)');
    assert.equal(report[1]!.anonymitySet, bulk);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(
      join(ARTIFACTS, 'status-diff-anonymity.json'),
      JSON.stringify({ diffs: report, byEpochLength: { revocationEverySeconds: RATE_SECONDS, epochs: byEpochLength } }, null, 2) + '\n',
    );
  });
});
