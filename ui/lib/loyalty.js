// Loyalty helpers shared by the counter, the profile and settings. Pure (no DOM), so
// node tests can import them. The rules themselves live in Rust: nothing here decides
// what a customer may earn or redeem, it only shows and prepares what the back end checks.
import { separators, formatAmountTyping, toMinor, fromMinor } from './format.js';

export const LEDGER_KINDS = ['earn', 'redeem', 'expire', 'refund', 'bonus', 'adjust'];
export const RULE_KEYS = [
  'earn_per',
  'point_value',
  'min_redeem',
  'max_redeem_percent',
  'expiry_months',
  'birthday_bonus',
];
export const MONEY_RULES = ['earn_per', 'point_value'];

/**
 * Progress toward the next tier, measured from zero spend to the next threshold:
 * {next, needed (money string), fraction 0..1}, or null when there is no higher tier.
 */
export function tierProgress(loyalty, exponent) {
  if (!loyalty?.next_tier || loyalty.next_threshold === null || loyalty.next_threshold === undefined) return null;
  const spend = toMinor(loyalty.spend_12m ?? '0', exponent) ?? 0n;
  const goal = toMinor(loyalty.next_threshold, exponent) ?? 0n;
  const needed = loyalty.needed_for_next ?? fromMinor(goal > spend ? goal - spend : 0n, exponent);
  let fraction = 1;
  if (goal > 0n) fraction = Math.min(1, Math.max(0, Number((spend * 1000n) / goal) / 1000));
  return { next: loyalty.next_tier, needed, fraction };
}

/**
 * Reformats a points field while typing: digits grouped like amounts ("1.250"), an
 * optional leading sign when `signed` (adjustments: "+50", "-20"; "−" is accepted too).
 * @returns {{text: string, caret: number, value: number|null}} value null when empty.
 */
export function formatPointsTyping(raw, caret, { locale, signed = false }) {
  let sign = '';
  let body = raw;
  let shift = 0;
  const m = /^\s*([+\-−])/.exec(raw);
  if (signed && m) {
    sign = m[1] === '+' ? '+' : '-';
    body = raw.slice(m[0].length);
    shift = m[0].length;
  }
  const r = formatAmountTyping(body, Math.max(0, caret - shift), { locale, exponent: 0 });
  const digits = r.value;
  const text = sign + r.text;
  const pos = caret < shift ? Math.min(caret, sign.length) : r.caret + sign.length;
  const value = digits === '' ? null : Number(sign === '-' ? `-${digits}` : digits);
  return { text, caret: pos, value: value === 0 ? 0 : value }; // no -0
}

/** A points value for an input ("1250" -> "1.250"), the inverse of formatPointsTyping. */
export function pointsToInput(value, locale) {
  if (value === null || value === undefined || value === '') return '';
  const s = String(value);
  return formatPointsTyping(s, s.length, { locale, signed: true }).text;
}

/** "+1.250" / "−50" / "0" for a signed number of points (a true minus sign). */
export function signedPoints(points, formatNumber) {
  if (!points) return formatNumber(0);
  return points > 0 ? `+${formatNumber(points)}` : `−${formatNumber(-points)}`;
}

/** A bill id for purchase_add's client_id: one per bill, reused on retry. */
export function newClientId(cryptoImpl = globalThis.crypto) {
  if (typeof cryptoImpl?.randomUUID === 'function') return cryptoImpl.randomUUID();
  // randomUUID needs a secure context; getRandomValues does not.
  const b = new Uint8Array(16);
  cryptoImpl.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * After a failed purchase_add: may the bill have been recorded anyway, so that a retry
 * must reuse its client_id? True for storage and transport failures; false when the back
 * end refused the bill (validation), which records nothing.
 */
export function mayHaveRecorded(err) {
  const code = err?.code ?? '';
  return code === 'internal' || code.startsWith('db.') || code === 'purchase.client_id_conflict';
}

/** 'up' | 'down' | null: the direction of a tier change, by the order of the tiers. */
export function tierDirection(tiers, from, to) {
  if (!Array.isArray(tiers) || from === to) return null;
  const rank = (name) => (name === null || name === undefined ? -1 : tiers.findIndex((t) => t.name === name));
  const a = rank(from);
  const b = rank(to);
  if ((from && a < 0) || (to && b < 0)) return null;
  return b > a ? 'up' : 'down';
}

/**
 * A worked example for the settings screen: what a typical bill earns and what those
 * points are worth. Sample bill: 1.000.000 in currencies without minor units, else 100.
 * @returns {{amount, points, value, percent}|null} money as plain decimals.
 */
export function rulesExample(rules, exponent) {
  const earnPer = toMinor(String(rules?.earn_per ?? ''), exponent);
  const pointValue = toMinor(String(rules?.point_value ?? ''), exponent);
  if (!earnPer || earnPer <= 0n || pointValue === null || pointValue < 0n) return null;
  const sample = exponent === 0 ? 1000000n : 100n * 10n ** BigInt(exponent);
  const points = sample / earnPer;
  const value = points * pointValue;
  const percent = Number((value * 10000n) / sample) / 100;
  return { amount: fromMinor(sample, exponent), points: Number(points), value: fromMinor(value, exponent), percent };
}

/** Decimal from the wire ("1.5") for an input in the locale ("1,5" in vi-VN). */
export function decimalToInput(value, locale) {
  if (value === null || value === undefined) return '';
  return String(value).replace('.', separators(locale).decimal);
}

/** What was typed in a decimal field ("1,5", " 2 ") back to the wire form ("1.5", "2"). */
export function decimalFromInput(text) {
  return String(text).trim().replace(/\s/g, '').replace(',', '.');
}
