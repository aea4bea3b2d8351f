/**
 * Accountability: operators, re-identification with a second operator's approval, and a hash-chained
 * audit log whose head is signed by the issuer. Entries hold no personal data in clear: the network
 * number of a re-identified or changed person is sealed under the KEK.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { algForJwk, decodeJwt, isAllowedAlg, jwkThumbprint, publicJwk, signJwt, verifyJwt, MaskidError, type Jwk, type JwsSigner } from '@maskid/core';
import { AuditEntity, OperatorEntity, PersonEntity, type AuditRow, type OperatorRow } from '../db/entities.js';
import { openMaskedId } from '../crypto/masked-id.js';
import { formatNetworkNumber, serialKey } from '../network-number.js';
import type { Issuer } from '../issuer.js';
import { PlatformService } from './platforms.js';

export const TYP_APPROVAL = 'maskid-approval+jwt';
export const TYP_AUDIT_HEAD = 'maskid-audit-head+jwt';
const GENESIS = '0'.repeat(64);

/** What an audit entry records (before sealing). */
export interface AuditEvent {
  action: string;
  operator?: string;
  approver?: string;
  case?: string;
  platform?: string;
  maskedId?: string;
  approvalJti?: string;
  approval?: string;
  /** A network number: sealed before it is written. */
  subject?: string;
  detail?: Record<string, unknown>;
}

/** Canonical JSON (sorted keys) so the chain hash does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function chainHash(prevHash: string, body: string): string {
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

/** Result of {@link AuditService.verify}. */
export interface AuditVerification {
  ok: boolean;
  entries: number;
  headSeq: number | undefined;
  error?: { code: string; message: string; seq?: number };
}

/**
 * Audit log and re-identification.
 *
 * @example
 * ```ts
 * const audit = new AuditService(issuer)
 * const { networkNumber } = await audit.reidentify({ platformId, maskedId, caseRef, approval, operator: 'alice' })
 * ```
 */
export class AuditService {
  constructor(private readonly issuer: Issuer) {}

  /**
   * The first operators, set at `init`: at least two, so that no re-identification and no later
   * operator change can be done by one person. Only while there is no operator yet.
   */
  async bootstrapOperators(operators: readonly { id: string; jwk: unknown }[]): Promise<OperatorRow[]> {
    if (operators.length < 2) throw new MaskidError('ERR_INPUT_INVALID', 'at least two operators are set at init (--operator ID=PUBLIC_JWK_FILE, twice)');
    const rows = operators.map((o) => operatorRow(o.id, o.jwk));
    if (new Set(rows.map((r) => r.id)).size !== rows.length) throw new MaskidError('ERR_INPUT_INVALID', 'operator ids must differ');
    await this.issuer.write(async (m) => {
      if ((await m.count(OperatorEntity)) > 0) throw new MaskidError('ERR_CONFLICT', "operators are already set; add more with `operator add` and another operator's approval");
      for (const row of rows) {
        await m.insert(OperatorEntity, row as never);
        await this.append(m, { action: 'operator.add', operator: row.id, detail: { jwk: row.publicJwk, bootstrap: true } });
      }
    });
    await this.signHead();
    return rows;
  }

  /**
   * Registers an operator's public key (P-256 or Ed25519 JWK). Needs the signed approval of a
   * *different* existing operator: never `by` (the operator running the command), never the new
   * operator. Each approval works once; the change is in the audit chain.
   */
  async addOperator(id: string, jwk: unknown, authority: { by: string; approval: string; now?: number }): Promise<OperatorRow> {
    const row = operatorRow(id, jwk);
    const now = authority.now ?? Date.now();
    const by = await this.issuer.ds.getRepository(OperatorEntity).findOneBy({ id: authority.by ?? '' });
    if (!by) throw new MaskidError('ERR_APPROVAL_INVALID', `operator ${String(authority.by)} (--by) is not registered`);
    if (by.id === id) throw new MaskidError('ERR_APPROVAL_INVALID', 'an operator cannot add themselves');
    const approval = await this.#verifiedApproval(authority.approval, by.id, now, async (payload) => {
      if (payload['action'] !== 'operator.add' || payload['operator'] !== id || payload['jkt'] !== (await jwkThumbprint(row.publicJwk as Jwk))) {
        throw new MaskidError('ERR_APPROVAL_INVALID', 'approval is for another operator change');
      }
    });
    if (approval.approver === id) throw new MaskidError('ERR_APPROVAL_INVALID', 'the new operator cannot approve their own addition');
    await this.issuer.write(async (m) => {
      if (await m.findOneBy(OperatorEntity, { id })) throw new MaskidError('ERR_CONFLICT', `operator ${id} already exists`);
      await this.#refuseUsed(m, approval.jti);
      await m.insert(OperatorEntity, row as never);
      await this.append(m, {
        action: 'operator.add',
        operator: id,
        approver: approval.approver,
        approvalJti: approval.jti,
        approval: authority.approval.trim(),
        detail: { jwk: row.publicJwk, by: by.id },
      });
    });
    await this.signHead();
    return row;
  }

  async operators(): Promise<OperatorRow[]> {
    return this.issuer.ds.getRepository(OperatorEntity).find({ order: { id: 'ASC' } });
  }

  /**
   * Appends an event inside the caller's transaction. Subjects are sealed; the entry is linked to
   * the previous one by hash.
   */
  async append(m: EntityManager, event: AuditEvent): Promise<AuditRow> {
    const last = await m.getRepository(AuditEntity).createQueryBuilder('a').orderBy('a.seq', 'DESC').limit(1).getOne();
    const seq = (last?.seq ?? 0) + 1;
    const { subject, ...rest } = event;
    const body = canonicalJson({
      seq,
      at: new Date().toISOString(),
      ...rest,
      ...(subject ? { subjectSealed: this.issuer.sealer.seal(Buffer.from(subject, 'utf8'), `audit-subject:${seq}`) } : {}),
    });
    const prevHash = last?.hash ?? GENESIS;
    const row: AuditRow = { seq, body, prevHash, hash: chainHash(prevHash, body) };
    await m.insert(AuditEntity, row);
    return row;
  }

  /** Signs the current chain head (`{ iss, seq, hash, iat }`) and stores it for `GET /audit/head`. */
  async signHead(): Promise<string | undefined> {
    // Under the write lock: with several processes, the stored head is always the newest entry.
    return this.issuer.write(async (m) => {
      const last = await m.getRepository(AuditEntity).createQueryBuilder('a').orderBy('a.seq', 'DESC').limit(1).getOne();
      if (!last) return undefined;
      const { signer, kid } = await this.issuer.signer();
      const settings = await this.issuer.settings();
      const head = await signJwt({ typ: TYP_AUDIT_HEAD, kid }, { iss: settings.did, seq: last.seq, hash: last.hash, iat: Math.floor(Date.now() / 1000) }, signer);
      await this.issuer.setMeta('audit_head', head, m);
      return head;
    });
  }

  /**
   * Re-identifies a masked ID reported by a platform: needs a case reference, a registered requesting
   * operator and an approval JWS by a *different* registered operator naming the same case,
   * platform, masked ID and requester; each approval works once. Audit-logged.
   */
  async reidentify(input: {
    platformId: string;
    maskedId: string;
    caseRef: string;
    approval: string;
    operator: string;
    now?: number;
  }): Promise<{ networkNumber: string; state: string; auditSeq: number }> {
    const now = input.now ?? Date.now();
    const caseRef = (input.caseRef ?? '').trim();
    if (!caseRef || caseRef.length > 200) throw new MaskidError('ERR_INPUT_INVALID', 'a case reference (--case) is required');
    const requester = await this.issuer.ds.getRepository(OperatorEntity).findOneBy({ id: input.operator ?? '' });
    if (!requester) throw new MaskidError('ERR_APPROVAL_INVALID', `requesting operator ${input.operator} is not registered`);
    const approvalJws = String(input.approval ?? '').trim();
    const approval = await this.checkApproval(approvalJws, { caseRef, platformId: input.platformId, maskedId: input.maskedId, requester: requester.id, now });
    const platform = await new PlatformService(this.issuer).get(input.platformId);
    const opened = openMaskedId(await this.issuer.secret('k_mask_v1'), input.maskedId);
    if (opened.version !== 1 || opened.platformNumber !== platform.number) {
      throw new MaskidError('ERR_NOT_FOUND', `masked ID was not issued for platform ${platform.id}`);
    }
    const result = await this.issuer.write(async (m) => {
      await this.#refuseUsed(m, approval.jti);
      const person = await m.findOneBy(PersonEntity, { serial: serialKey(opened.personSerial) });
      if (!person) throw new MaskidError('ERR_NOT_FOUND', 'masked ID does not belong to an enrolled person');
      const networkNumber = formatNetworkNumber(opened.personSerial);
      const row = await this.append(m, {
        action: 'reidentify',
        operator: requester.id,
        approver: approval.approver,
        case: caseRef,
        platform: platform.id,
        maskedId: input.maskedId,
        approvalJti: approval.jti,
        approval: approvalJws,
        subject: networkNumber,
      });
      return { networkNumber, state: person.state, auditSeq: row.seq };
    });
    await this.signHead();
    return result;
  }

  /** Verifies a re-identification approval JWS; returns the approver and the approval's jti. */
  async checkApproval(
    rawJws: string,
    expected: { caseRef: string; platformId: string; maskedId: string; requester: string; now: number },
  ): Promise<{ approver: string; jti: string }> {
    return this.#verifiedApproval(rawJws, expected.requester, expected.now, (payload) => {
      if (payload['case'] !== expected.caseRef || payload['platform'] !== expected.platformId || payload['maskedId'] !== expected.maskedId) {
        throw new MaskidError('ERR_APPROVAL_INVALID', 'approval is for another case, platform, masked ID or requester');
      }
    });
  }

  /**
   * An approval JWS (`typ: maskid-approval+jwt`) by a registered operator other than `requester`,
   * naming that requester, not expired, with a `jti`; `matches` checks what it approves.
   */
  async #verifiedApproval(
    rawJws: string,
    requester: string,
    now: number,
    matches: (payload: Record<string, unknown>) => void | Promise<void>,
  ): Promise<{ approver: string; jti: string }> {
    const jws = String(rawJws ?? '').trim();
    let header: Record<string, unknown>;
    let payload: Record<string, unknown>;
    try {
      ({ header, payload } = decodeJwt(jws));
    } catch (cause) {
      throw new MaskidError('ERR_APPROVAL_INVALID', 'approval is not a JWS', { cause });
    }
    const approver = payload['iss'];
    if (typeof approver !== 'string') throw new MaskidError('ERR_APPROVAL_INVALID', 'approval has no iss (approving operator)');
    if (approver === requester) throw new MaskidError('ERR_APPROVAL_INVALID', 'an operator cannot approve their own request');
    const op = await this.issuer.ds.getRepository(OperatorEntity).findOneBy({ id: approver });
    if (!op) throw new MaskidError('ERR_APPROVAL_INVALID', `approving operator ${approver} is not registered`);
    if (!isAllowedAlg(header['alg'])) throw new MaskidError('ERR_APPROVAL_INVALID', 'approval alg is not allowed');
    try {
      await verifyJwt(jws, { expectedTyp: TYP_APPROVAL, key: op.publicJwk as Jwk });
    } catch (cause) {
      throw new MaskidError('ERR_APPROVAL_INVALID', `approval does not verify: ${(cause as Error).message}`, { cause });
    }
    if (payload['requester'] !== requester) throw new MaskidError('ERR_APPROVAL_INVALID', 'approval is for another case, platform, masked ID or requester');
    await matches(payload);
    const nowSec = Math.floor(now / 1000);
    if (typeof payload['exp'] !== 'number' || payload['exp'] <= nowSec) throw new MaskidError('ERR_APPROVAL_INVALID', 'approval has expired');
    if (typeof payload['iat'] !== 'number' || payload['iat'] > nowSec + 60) throw new MaskidError('ERR_APPROVAL_INVALID', 'approval iat is in the future');
    if (typeof payload['jti'] !== 'string' || payload['jti'].length < 8) throw new MaskidError('ERR_APPROVAL_INVALID', 'approval needs a jti');
    return { approver, jti: payload['jti'] };
  }

  /** Refuses an approval whose jti is already in the audit chain (each approval works once). */
  async #refuseUsed(m: EntityManager, jti: string): Promise<void> {
    const used = await m
      .getRepository(AuditEntity)
      .createQueryBuilder('a')
      .where('a.body LIKE :j', { j: `%"approvalJti":${JSON.stringify(jti)}%` })
      .getCount();
    if (used > 0) throw new MaskidError('ERR_APPROVAL_INVALID', 'this approval was already used');
  }

  /** Walks the chain: sequence, links, hashes, approvals, and the signed head. */
  async verify(): Promise<AuditVerification> {
    const rows = await this.issuer.ds.getRepository(AuditEntity).find({ order: { seq: 'ASC' } });
    const operators = new Map((await this.operators()).map((o) => [o.id, o.publicJwk as Jwk]));
    const broken = (seq: number | undefined, message: string): AuditVerification => ({
      ok: false,
      entries: rows.length,
      headSeq: undefined,
      error: { code: 'ERR_AUDIT_CHAIN_BROKEN', message, ...(seq ? { seq } : {}) },
    });
    let prev = GENESIS;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (r.seq !== i + 1) return broken(r.seq, `entry ${i + 1} is missing`);
      if (r.prevHash !== prev) return broken(r.seq, `entry ${r.seq} does not link to entry ${r.seq - 1}`);
      if (chainHash(prev, r.body) !== r.hash) return broken(r.seq, `entry ${r.seq} was altered (hash mismatch)`);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(r.body);
      } catch {
        return broken(r.seq, `entry ${r.seq} is not JSON`);
      }
      if (body['seq'] !== r.seq) return broken(r.seq, `entry ${r.seq} body has another seq`);
      if (body['action'] === 'reidentify' || (body['action'] === 'operator.add' && body['approval'] !== undefined)) {
        const key = operators.get(String(body['approver']));
        try {
          if (!key) throw new Error('unknown approver');
          await verifyJwt(String(body['approval']), { expectedTyp: TYP_APPROVAL, key });
        } catch {
          return broken(r.seq, `entry ${r.seq} holds an approval that does not verify`);
        }
      }
      prev = r.hash;
    }
    const head = await this.issuer.getMeta('audit_head');
    if (rows.length === 0) return { ok: true, entries: 0, headSeq: undefined };
    if (!head) return broken(undefined, 'no signed head');
    const { jwk } = await this.issuer.signer();
    let headPayload: Record<string, unknown>;
    try {
      headPayload = (await verifyJwt(head, { expectedTyp: TYP_AUDIT_HEAD, key: jwk })).payload;
    } catch {
      return broken(undefined, 'the signed head does not verify');
    }
    const at = rows[Number(headPayload['seq']) - 1];
    if (!at || at.hash !== headPayload['hash']) return broken(Number(headPayload['seq']), 'the signed head does not match the chain');
    if (Number(headPayload['seq']) !== rows.length) return broken(rows.length, `entries after the signed head (seq ${String(headPayload['seq'])}) are not covered by a signature`);
    return { ok: true, entries: rows.length, headSeq: Number(headPayload['seq']) };
  }
}

/** Signs an approval (`typ: maskid-approval+jwt`): approver, requester, what is approved, a lifetime and a single-use `jti`. */
async function signApproval(
  signer: JwsSigner,
  input: { approver: string; requester: string; ttlSeconds?: number; now?: number },
  approves: Record<string, unknown>,
): Promise<string> {
  const iat = Math.floor((input.now ?? Date.now()) / 1000);
  return signJwt({ typ: TYP_APPROVAL }, { iss: input.approver, requester: input.requester, ...approves, iat, exp: iat + (input.ttlSeconds ?? 86_400), jti: randomUUID() }, signer);
}

/**
 * Creates an approval JWS for a re-identification request (run by the approving operator with their
 * own private key; the issuer never holds operators' private keys).
 */
export async function createApproval(
  signer: JwsSigner,
  input: { approver: string; requester: string; caseRef: string; platformId: string; maskedId: string; ttlSeconds?: number; now?: number },
): Promise<string> {
  return signApproval(signer, input, { case: input.caseRef, platform: input.platformId, maskedId: input.maskedId });
}

/**
 * Creates an approval for adding an operator (run by an existing operator other than the one who
 * runs `operator add`, with their own private key).
 */
export async function createOperatorApproval(
  signer: JwsSigner,
  input: { approver: string; requester: string; operatorId: string; jwk: Jwk; ttlSeconds?: number; now?: number },
): Promise<string> {
  return signApproval(signer, input, { action: 'operator.add', operator: input.operatorId, jkt: await jwkThumbprint(publicJwk(input.jwk)) });
}

/** A validated operator row. */
function operatorRow(id: string, jwk: unknown): OperatorRow {
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/i.test(id ?? '')) throw new MaskidError('ERR_INPUT_INVALID', 'operator id must be 1-63 characters of letters, digits, . _ -');
  if (!jwk || typeof jwk !== 'object' || 'd' in jwk) throw new MaskidError('ERR_INPUT_INVALID', 'operator key must be a public JWK (no "d")');
  let pub: Jwk;
  try {
    pub = publicJwk(jwk as Jwk);
    algForJwk(pub);
  } catch (cause) {
    throw new MaskidError('ERR_INPUT_INVALID', 'operator key must be an EC P-256 or OKP Ed25519 JWK', { cause });
  }
  return { id, publicJwk: pub, addedAt: new Date().toISOString() };
}
