/**
 * Messages between the extension's parts. The page talks only to the main-world script; the
 * main-world script only to the isolated bridge (a MessagePort per request); the bridge and the
 * extension pages to the service worker (chrome.runtime messaging, where the browser attests the
 * sender's origin). A page can send exactly two kinds: a DC API request and "open this offer".
 */
import type { ClaimName, ErrorCode } from '@maskid/core';
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
  | { type: 'refresh' };

/** The consent window's view of one pending request. */
export interface ConsentView {
  origin: string;
  /** 'ask': a registered platform with a valid credential; 'refuse': shown with a reason, can only be closed. */
  mode: 'ask' | 'refuse';
  platformName?: string;
  claims: { name: ClaimName; label: string; value?: string }[];
  reason?: string;
}

/** The popup's view of the wallet. */
export interface WalletStatus {
  onboarded: boolean;
  issuer?: string;
  lastRefresh?: string;
  nextRefresh?: string;
  credentials: { platform: string; platformName: string; maskedId: string; validUntil: string; receivedAt: string }[];
  log: ShareLogEntry[];
}

/** An error as the extension pages show it. */
export interface WalletError {
  error: { code: ErrorCode | 'ERR_INTERNAL'; message: string };
}
