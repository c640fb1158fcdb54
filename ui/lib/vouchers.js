// What a voucher gives and until when, said the same way on the counter, the profile and the
// promotions screen. Pure: node tests can import it.

/** "−50.000 ₫", "−10% (tối đa 20.000 ₫)", "Quà: Móc khóa", "×2 điểm", "+500 điểm". */
export function benefitText(t, fmt, b) {
  switch (b.kind) {
    case 'amount':
      return `−${fmt.money(b.amount)}`;
    case 'percent':
      return b.cap ? t('counter.voucher_percent_cap', { percent: b.percent, cap: fmt.money(b.cap) }) : `−${b.percent}%`;
    case 'gift':
      return t('counter.voucher_gift', { gift: b.gift });
    case 'multiplier':
      return t('counter.voucher_multiplier', { multiplier: fmt.number(Number(b.multiplier), 2) });
    default:
      return t('counter.voucher_points', { points: fmt.number(b.points) });
  }
}

/** A calendar day "YYYY-MM-DD" as dd/mm/yyyy (no time zone to shift it). */
export const dayText = (ymd) =>
  String(ymd ?? '')
    .split('-')
    .reverse()
    .join('/');

/** A code as the core stores it: capitals, no spaces or dashes. */
export const normalizeCode = (c) =>
  String(c ?? '')
    .replace(/[\s-]/g, '')
    .toUpperCase();
