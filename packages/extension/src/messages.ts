/**
 * Messages between the extension's parts. The page talks only to the main-world script; the
 * main-world script only to the isolated bridge (a MessagePort per request); the bridge and the
 * extension pages to the service worker (chrome.runtime messaging, where the browser attests the
 * sender's origin). A page can send exactly two kinds: a DC API request and "open this offer".
 */
import type { ClaimName, ErrorCode, GrantState } from '@maskid/core';
import type { DcApiResponse, ShareLogEntry } from '@maskid/holder';

/** window.postMessage marker from the main-world script to the bridge. */
export const PAGE_CHANNEL = 'maskid-dc-request/v1';

/** What the bridge sends back on the request's MessagePort. */
export type PageAnswer = { ok: true; credential: DcApiResponse } | { ok: false };

/** Messages a content script (a web page) may send. */
export type ContentMessage = { type: 'dc-request'; request: unknown } | { type: 'open-offer'; uri: string };

/** Messages only the extension's own pages may send. */
export type ExtensionMessage =
  | { type: 'consent-view'; id: string }
  | { type: 'consent-answer'; id: string; allow: boolean }
  | { type: 'wallet-status' }
  | { type: 'accept-offer'; uri: string; pin: string }
  | { type: 'refresh' }
  | { type: 'reset' };

/** Why something failed, as codes the pages put in words (`i18n.ts`): never a sentence from a protocol. */
export interface ErrorReport {
  code: ErrorCode | 'ERR_INTERNAL';
  /** English, for logs and developers; the pages show `errorText(report)` instead. */
  message: string;
  details?: { reason?: string; attemptsLeft?: number; since?: string };
}

/** The consent window's view of one pending request. */
export interface ConsentView {
  origin: string;
  /** 'ask': a registered platform with a valid credential; 'refuse': shown with its reason, can only be closed. */
  mode: 'ask' | 'refuse';
  platformName?: string;
  /** The host of the issuer this wallet trusts and holds credentials from. */
  issuer?: string;
  /** The claims asked for and, when asking, the values that would be shared. */
  claims: { name: ClaimName; value?: unknown }[];
  /** Why a request is refused (not `error`: that member marks a failed call). */
  refusal?: ErrorReport;
}

/** The popup's view of the wallet. */
export interface WalletStatus {
  onboarded: boolean;
  issuer?: string;
  lastRefresh?: string;
  nextRefresh?: string;
  credentials: { platform: string; platformName: string; maskedId: string; validUntil: string; receivedAt: string }[];
  log: ShareLogEntry[];
  /** What the issuer last said about this wallet's grant (revoked, replaced, spent, suspended). */
  grantState?: GrantState;
  /** After "Refresh now": how many credentials that wake-up received (0: nothing was due). */
  renewed?: number;
}

/** An error answer to an extension page. */
export interface WalletError {
  error: ErrorReport;
}
