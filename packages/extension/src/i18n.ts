/**
 * The wallet's words, in the person's language: messages from the extension platform's `_locales`
 * (Chrome's `messages.json` format), chosen by the browser's UI language (`chrome.i18n`) unless the
 * person picked one in the popup (kept in `chrome.storage.local`). The pages turn codes from the service
 * worker (claim names, error codes and reasons, dates) into sentences here; nothing raw reaches a person.
 * docs/wallet.md says how a language is added.
 */
import { provinceName, type ClaimName } from '@maskid/core';
import type { ErrorReport } from './messages.js';

/** The languages the wallet speaks (folder names under `_locales`). */
export const LANGUAGES = ['zh_CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
/** Each language's own name, for the switch. */
export const LANGUAGE_NAMES: Record<Language, string> = { zh_CN: '简体中文', en: 'English' };

interface Message {
  message: string;
  placeholders?: Record<string, { content: string }>;
}

let language: Language = 'en';
let messages: Record<string, Message> = {};

/** The language of the browser's UI, or English. */
export function browserLanguage(): Language {
  const ui = (chrome.i18n?.getUILanguage?.() ?? navigator.language).toLowerCase();
  return ui.startsWith('zh') ? 'zh_CN' : 'en';
}

/**
 * Loads the person's language (their choice, else the browser's) for `t`. The page marks the document with
 * it (`markDocument`) in the same step as it draws its words, so no frame shows one language's marks over the
 * other's text.
 */
export async function loadLanguage(): Promise<Language> {
  const chosen = String((await chrome.storage.local.get('language'))['language']);
  const next = (LANGUAGES as readonly string[]).includes(chosen) ? (chosen as Language) : browserLanguage();
  const res = await fetch(chrome.runtime.getURL(`_locales/${next}/messages.json`));
  messages = (await res.json()) as Record<string, Message>;
  language = next;
  return language;
}

/** Marks the document with the loaded language (`lang`) and gives it its title (in that language). */
export function markDocument(title: string): void {
  document.documentElement.lang = language.replace('_', '-');
  document.title = title;
}

/** Remembers the person's choice of language. */
export async function chooseLanguage(next: Language): Promise<void> {
  await chrome.storage.local.set({ language: next });
}

/** A message with its `$NAME$` placeholders filled from `args` (in the order the English text names them). */
export function t(key: string, ...args: (string | number)[]): string {
  const m = messages[key];
  if (!m) return key;
  return m.message.replace(/\$([A-Za-z0-9_]+)\$/g, (whole, name: string) => {
    const content = m.placeholders?.[name.toLowerCase()]?.content;
    const index = content ? Number(/^\$(\d)$/.exec(content)?.[1]) : Number.NaN;
    return Number.isInteger(index) && args[index - 1] !== undefined ? String(args[index - 1]) : whole;
  });
}

/** A date (and, with `time`, the time) in the person's language; '—' for none. */
export function formatDate(iso: string | undefined, time = false): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return '—';
  const locale = language.replace('_', '-');
  return new Intl.DateTimeFormat(locale, time ? { dateStyle: 'medium', timeStyle: 'short' } : { dateStyle: 'medium' }).format(new Date(iso));
}

/** A claim's name in words (年满18周岁 / Over 18). */
export function claimLabel(name: ClaimName): string {
  return t(`claim_${name}`);
}

/**
 * A claim's value in words: yes/no, gender, a province's name (from `@maskid/core`: Chinese in Chinese,
 * English otherwise), a date; other values as they are.
 */
export function claimValue(name: ClaimName, value: unknown): string {
  if (value === true) return t('value_yes');
  if (value === false) return t('value_no');
  if (value === undefined || value === null) return '';
  const text = String(value);
  if (name === 'gender') return t(`gender_${text.replace(/-/g, '_')}`);
  if (name === 'region') return provinceName(text, language === 'zh_CN' ? 'zh' : 'en') ?? text;
  if (name === 'birthDate') return formatDate(text);
  return text;
}

/** A sentence a person can act on, for any error the wallet reports (never a protocol string). */
export function errorText(e: Pick<ErrorReport, 'code' | 'details'>): string {
  const d = e.details ?? {};
  switch (d.reason) {
    case 'pin-wrong':
      return t('error_pin_wrong', d.attemptsLeft ?? '?');
    case 'pin-format':
      return t('error_pin_format');
    case 'offer-void':
      return t('error_offer_void');
    case 'spent':
      return t('error_offer_spent');
    case 'revoked':
      return t('state_revoked', formatDate(d.since));
    case 'replaced':
      return t('state_replaced', formatDate(d.since));
    case 'suspended':
      return t('state_suspended', formatDate(d.since));
    case 'rate-limited':
      return t('error_busy');
    case 'key-distrusted':
      return t('error_key_distrusted');
    case 'offer-invalid':
      return t('error_offer_invalid');
    case 'not-onboarded':
      return t('error_not_onboarded');
    case 'request-gone':
      return t('error_request_gone');
  }
  switch (e.code) {
    case 'ERR_ISSUER_UNTRUSTED':
      return t('error_issuer_untrusted');
    case 'ERR_PLATFORM_MISMATCH':
      return t('error_platform_unknown');
    case 'ERR_CLAIM_NOT_ALLOWED':
      return t('error_claim_not_allowed');
    case 'ERR_NOT_FOUND':
      return t('error_no_credential');
    case 'ERR_CREDENTIAL_EXPIRED':
      return t('error_expired');
    case 'ERR_DCQL_INVALID':
      return t('error_request_invalid');
    default:
      return t('error_generic');
  }
}
