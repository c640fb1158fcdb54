// Locale-aware formatting and parsing of money, numbers and dates.
// Pure functions (no DOM) so node tests can import them.

/** Interface language -> Intl locale. English uses en-GB so dates stay day-first
 * like the Vietnamese ones a shop is used to. */
export function localeFor(language) {
  return language === 'en' ? 'en-GB' : 'vi-VN';
}

const separatorCache = new Map();
/** Group and decimal separators of a locale, e.g. vi-VN -> {group: '.', decimal: ','}. */
export function separators(locale) {
  let s = separatorCache.get(locale);
  if (!s) {
    const parts = new Intl.NumberFormat(locale).formatToParts(12345.6);
    s = {
      group: parts.find((p) => p.type === 'group')?.value ?? ',',
      decimal: parts.find((p) => p.type === 'decimal')?.value ?? '.',
    };
    separatorCache.set(locale, s);
  }
  return s;
}

function groupDigits(digits, group) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, group);
}

// Longest integer part accepted while typing: beyond 15 digits a JS number loses
// precision and no shop takes such an amount; the back end has its own limit.
const MAX_INT_DIGITS = 15;

/**
 * Reformats what the cashier typed in an amount field, keeping the caret in place.
 * Only digits and (when the currency has minor units) one decimal separator survive;
 * the integer part gets the locale's thousands separators.
 * @returns {{text: string, caret: number, value: string}} value is the plain decimal
 *   for the back end ("250000", "12.5"), '' when empty.
 */
export function formatAmountTyping(raw, caret, { locale, exponent }) {
  const { group, decimal } = separators(locale);
  let intDigits = '';
  let frac = null; // null: no decimal separator typed yet
  let before = 0; // significant characters (digits, decimal separator) left of the caret
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    let kept = false;
    if (ch >= '0' && ch <= '9') {
      if (frac === null) {
        if (intDigits.length < MAX_INT_DIGITS) {
          intDigits += ch;
          kept = true;
        }
      } else if (frac.length < exponent) {
        frac += ch;
        kept = true;
      }
    } else if (exponent > 0 && frac === null && (ch === decimal || (ch !== group && (ch === '.' || ch === ',')))) {
      frac = '';
      kept = true;
    }
    if (kept && i < caret) before++;
  }
  // Drop leading zeros ("007" -> "7") but keep one before a decimal part ("0,5").
  const stripped = intDigits.replace(/^0+(?=\d)/, '');
  before = Math.max(0, before - (intDigits.length - stripped.length));
  intDigits = stripped;
  if (frac !== null && intDigits === '') {
    intDigits = '0';
    before++;
  }

  const text = groupDigits(intDigits, group) + (frac === null ? '' : decimal + frac);
  let pos = 0;
  for (let seen = 0; pos < text.length && seen < before; pos++) {
    if (text[pos] !== group) seen++;
  }
  const value = intDigits === '' ? '' : intDigits + (frac ? '.' + frac : '');
  return { text, caret: pos, value };
}

/** Shows a plain decimal ("250000") the way formatAmountTyping would (for prefilling inputs). */
export function amountToInput(value, { locale, exponent }) {
  if (value === null || value === undefined || value === '') return '';
  const { decimal } = separators(locale);
  const s = String(value).replace('.', decimal);
  return formatAmountTyping(s, s.length, { locale, exponent }).text;
}

/** Plain decimal string -> integer minor units as BigInt (exact), or null if malformed. */
export function toMinor(value, exponent) {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(String(value).trim());
  if (!m || (m[2] === '' && !m[3])) return null;
  const frac = (m[3] ?? '').padEnd(exponent, '0');
  if (frac.length > exponent) return null;
  const n = BigInt((m[2] || '0') + frac);
  return m[1] ? -n : n;
}

/** Integer minor units -> plain decimal string ("1250", "12.50"). */
export function fromMinor(minor, exponent) {
  const neg = minor < 0n;
  const digits = (neg ? -minor : minor).toString().padStart(exponent + 1, '0');
  const int = digits.slice(0, digits.length - exponent);
  const frac = exponent > 0 ? '.' + digits.slice(-exponent) : '';
  return (neg ? '-' : '') + int + frac;
}

/**
 * Sum of line items (quantity × unit price) as a plain decimal string, or null if any
 * line is incomplete. Used for the live "items must match the amount" hint.
 */
export function itemsTotal(items, exponent) {
  let sum = 0n;
  for (const it of items) {
    const unit = toMinor(it.unit_price, exponent);
    const qty = Number(it.quantity);
    if (unit === null || !Number.isFinite(qty) || qty <= 0) return null;
    sum += Number.isInteger(qty) ? unit * BigInt(qty) : BigInt(Math.round(Number(unit) * qty));
  }
  return fromMinor(sum, exponent);
}

/** Money for display: "1.250.000 ₫" in vi-VN. `value` is a plain decimal string or number. */
export function formatMoney(value, { locale, currency, exponent }) {
  if (value === null || value === undefined || value === '') return '—';
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  try {
    return new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    }).format(n);
  } catch {
    // An unknown ISO code (free entry in settings): show the number and the code.
    return `${formatNumber(n, { locale, maximumFractionDigits: exponent })} ${currency}`;
  }
}

export function formatNumber(value, { locale, maximumFractionDigits = 0 }) {
  if (value === null || value === undefined) return '—';
  return new Intl.NumberFormat(locale, { maximumFractionDigits }).format(value);
}

/** Date of an RFC 3339 instant in the shop's time zone, e.g. "23/11/2026". */
export function formatDate(iso, { locale, timeZone }) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale, { timeZone, day: '2-digit', month: '2-digit', year: 'numeric' }).format(
    new Date(iso),
  );
}

/** Date and time of an instant in the shop's time zone, e.g. "23/11/2026, 10:04". */
export function formatDateTime(iso, { locale, timeZone }) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale, {
    timeZone,
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(iso));
}

/** Calendar day (as a UTC-midnight timestamp) of an instant in a time zone. */
function dayNumber(date, timeZone) {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
    })
      .formatToParts(date)
      .map((x) => [x.type, x.value]),
  );
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day)) / 86400000;
}

/** "hôm qua", "3 ngày trước", "today"... counted in calendar days of the shop's zone. */
export function formatRelativeDay(iso, { locale, timeZone, now = new Date() }) {
  if (!iso) return '—';
  const days = dayNumber(new Date(iso), timeZone) - dayNumber(now, timeZone);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (Math.abs(days) < 31) return rtf.format(days, 'day');
  // Months until two years ("21 tháng trước", never "2 năm trước" for 21 months), then
  // whole years that have passed.
  if (Math.abs(days) < 730) return rtf.format(Math.round(days / 30.44), 'month');
  return rtf.format(Math.trunc(days / 365.25), 'year');
}

/** The warranty end date: `months` calendar months after an instant, in the shop's zone. */
export function addMonths(iso, months) {
  const d = new Date(iso);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d.toISOString();
}

/**
 * Birthday as typed (day first, year optional: "23/11/1990", "23/11", or ISO) -> contract
 * form "1990-11-23" / "--11-23". Returns the input unchanged when it cannot be read, so
 * the back end answers with customer.birthday_invalid shown next to the field.
 */
export function parseBirthday(text) {
  const s = text.trim();
  if (s === '' || /^(\d{4}|-)-\d{2}-\d{2}$/.test(s)) return s;
  const m = /^(\d{1,2})[/.\-\s](\d{1,2})(?:[/.\-\s](\d{4}))?$/.exec(s);
  if (!m) return s;
  const dd = m[1].padStart(2, '0');
  const mm = m[2].padStart(2, '0');
  return m[3] ? `${m[3]}-${mm}-${dd}` : `--${mm}-${dd}`;
}

/** Contract birthday -> day-first text for the input ("23/11/1990", "23/11"). */
export function formatBirthday(value) {
  if (!value) return '';
  const m = /^(\d{4}|-)-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return value;
  return m[1] === '-' ? `${m[3]}/${m[2]}` : `${m[3]}/${m[2]}/${m[1]}`;
}

/** The currency's symbol in a locale ("₫" for VND in vi-VN), or the code itself. */
export function currencySymbol({ locale, currency }) {
  try {
    return (
      new Intl.NumberFormat(locale, { style: 'currency', currency }).formatToParts(0).find((p) => p.type === 'currency')
        ?.value ?? currency
    );
  } catch {
    return currency;
  }
}

/** A file size: "812 B", "1,4 MB" (1 kB = 1000 B, as file managers show). */
export function formatBytes(bytes, { locale }) {
  const n = Number(bytes);
  if (!Number.isFinite(n) || n < 0) return '—';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = i === 0 || v >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(v)} ${units[i]}`;
}

/** An age in seconds as "5 phút trước" / "2 hours ago" (the largest whole unit). */
export function formatAge(seconds, { locale }) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds))) return '—';
  const s = Math.max(0, Number(seconds));
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (s < 60) return rtf.format(0, 'second');
  if (s < 3600) return rtf.format(-Math.floor(s / 60), 'minute');
  if (s < 86400) return rtf.format(-Math.floor(s / 3600), 'hour');
  return rtf.format(-Math.floor(s / 86400), 'day');
}

/** Bundles the formatters for one locale / currency / time zone, as screens use them. */
export function makeFormatter({ language, currency, exponent, timeZone }) {
  const locale = localeFor(language);
  const money = { locale, currency, exponent };
  const when = { locale, timeZone };
  return {
    locale,
    currency,
    exponent,
    timeZone,
    symbol: currencySymbol(money),
    money: (v) => formatMoney(v, money),
    number: (v, maximumFractionDigits = 0) => formatNumber(v, { locale, maximumFractionDigits }),
    date: (iso) => formatDate(iso, when),
    dateTime: (iso) => formatDateTime(iso, when),
    relativeDay: (iso) => formatRelativeDay(iso, when),
    amountTyping: (raw, caret) => formatAmountTyping(raw, caret, money),
    amountToInput: (v) => amountToInput(v, money),
    bytes: (n) => formatBytes(n, { locale }),
    age: (seconds) => formatAge(seconds, { locale }),
  };
}
