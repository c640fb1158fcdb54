import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  separators,
  formatAmountTyping,
  amountToInput,
  toMinor,
  fromMinor,
  itemsTotal,
  formatMoney,
  formatDate,
  formatDateTime,
  formatRelativeDay,
  addMonths,
  parseBirthday,
  formatBirthday,
  currencySymbol,
  localeFor,
} from '../../ui/lib/format.js';

// Intl puts no-break spaces in some outputs; compare with plain spaces.
const plain = (s) => s.replace(/[\u00a0\u202f]/g, ' ');
const VND_VI = { locale: 'vi-VN', currency: 'VND', exponent: 0 };
const USD_EN = { locale: 'en-GB', currency: 'USD', exponent: 2 };

test('locale separators', () => {
  assert.deepEqual(separators('vi-VN'), { group: '.', decimal: ',' });
  assert.deepEqual(separators('en-GB'), { group: ',', decimal: '.' });
  assert.equal(localeFor('vi'), 'vi-VN');
  assert.equal(localeFor('en'), 'en-GB');
});

test('amount typing groups thousands in the shop locale', () => {
  assert.deepEqual(formatAmountTyping('250000', 6, VND_VI), { text: '250.000', caret: 7, value: '250000' });
  assert.deepEqual(formatAmountTyping('1250000', 7, USD_EN), { text: '1,250,000', caret: 9, value: '1250000' });
  assert.equal(formatAmountTyping('', 0, VND_VI).value, '');
});

test('amount typing keeps the caret on the same digit', () => {
  // "25|0.000" + typed "1" => "251|0.000" becomes "2.51|0.000"
  const r = formatAmountTyping('2510.000', 3, VND_VI);
  assert.equal(r.text, '2.510.000');
  assert.equal(r.caret, 4);
  assert.equal(r.text.slice(0, r.caret), '2.51');
});

test('amount typing ignores letters, separators typed by hand and leading zeros', () => {
  assert.equal(formatAmountTyping('25a0.0x00', 9, VND_VI).text, '250.000');
  assert.equal(formatAmountTyping('000123', 6, VND_VI).text, '123');
  assert.equal(formatAmountTyping('0', 1, VND_VI).text, '0');
});

test('decimals follow the currency exponent', () => {
  // VND has no minor unit: the decimal separator is dropped.
  assert.equal(formatAmountTyping('12,5', 4, VND_VI).value, '125');
  // USD: two decimals at most, either separator accepted when it is not the group one.
  assert.deepEqual(formatAmountTyping('1234.567', 8, USD_EN), { text: '1,234.56', caret: 8, value: '1234.56' });
  assert.equal(formatAmountTyping('.5', 2, USD_EN).text, '0.5');
  assert.equal(formatAmountTyping('12.', 3, USD_EN).value, '12');
  const viUsd = { locale: 'vi-VN', currency: 'USD', exponent: 2 };
  assert.deepEqual(formatAmountTyping('1234,5', 6, viUsd), { text: '1.234,5', caret: 7, value: '1234.5' });
});

test('amountToInput shows a wire value the way it would be typed', () => {
  assert.equal(amountToInput('250000', VND_VI), '250.000');
  assert.equal(amountToInput('12.50', { locale: 'vi-VN', exponent: 2 }), '12,50');
  assert.equal(amountToInput('', VND_VI), '');
  assert.equal(amountToInput(null, VND_VI), '');
});

test('minor units are exact', () => {
  assert.equal(toMinor('12.5', 2), 1250n);
  assert.equal(toMinor('250000', 0), 250000n);
  assert.equal(toMinor('-3.10', 2), -310n);
  assert.equal(toMinor('1.234', 2), null);
  assert.equal(toMinor('abc', 0), null);
  assert.equal(toMinor('', 0), null);
  assert.equal(fromMinor(1250n, 2), '12.50');
  assert.equal(fromMinor(5n, 2), '0.05');
  assert.equal(fromMinor(-310n, 2), '-3.10');
  assert.equal(fromMinor(250000n, 0), '250000');
  assert.equal(fromMinor(toMinor('9007199254740993', 0), 0), '9007199254740993');
});

test('items total for the live hint', () => {
  assert.equal(
    itemsTotal(
      [
        { quantity: '2', unit_price: '150000' },
        { quantity: '1', unit_price: '90000' },
      ],
      0,
    ),
    '390000',
  );
  assert.equal(itemsTotal([{ quantity: '3', unit_price: '0.10' }], 2), '0.30');
  assert.equal(itemsTotal([{ quantity: '0.5', unit_price: '3.00' }], 2), '1.50');
  assert.equal(itemsTotal([{ quantity: '1', unit_price: '' }], 0), null);
  assert.equal(itemsTotal([{ quantity: '0', unit_price: '5' }], 0), null);
  assert.equal(itemsTotal([], 0), '0');
});

test('money display', () => {
  assert.equal(plain(formatMoney('1250000', VND_VI)), '1.250.000 ₫');
  assert.equal(plain(formatMoney('12.5', USD_EN)), 'US$12.50');
  assert.equal(formatMoney(null, VND_VI), '—');
  // A malformed code from free entry must not throw.
  assert.match(formatMoney('5', { locale: 'vi-VN', currency: 'ABCD', exponent: 0 }), /5 ABCD/);
  assert.equal(currencySymbol(VND_VI), '₫');
  assert.equal(currencySymbol({ locale: 'vi-VN', currency: 'ABCD' }), 'ABCD');
});

test('dates use the shop time zone', () => {
  const when = { locale: 'vi-VN', timeZone: 'Asia/Ho_Chi_Minh' };
  // 20:00 UTC on the 23rd is already the 24th in Vietnam (UTC+7).
  assert.equal(formatDate('2026-11-23T20:00:00Z', when), '24/11/2026');
  assert.equal(formatDate('2026-11-23T20:00:00Z', { locale: 'en-GB', timeZone: 'UTC' }), '23/11/2026');
  assert.match(formatDateTime('2026-11-23T03:04:05Z', when), /10:04/);
  assert.equal(formatDate(null, when), '—');
});

test('relative days count calendar days in the shop zone', () => {
  const now = new Date('2026-11-23T18:00:00Z'); // 01:00 on the 24th in Vietnam
  const opts = { locale: 'en-GB', timeZone: 'Asia/Ho_Chi_Minh', now };
  assert.equal(formatRelativeDay('2026-11-23T17:30:00Z', opts), 'today');
  assert.equal(formatRelativeDay('2026-11-23T10:00:00Z', opts), 'yesterday');
  assert.equal(formatRelativeDay('2026-11-20T10:00:00Z', opts), '4 days ago');
  assert.equal(formatRelativeDay('2026-08-20T10:00:00Z', opts), '3 months ago');
  assert.equal(formatRelativeDay('2024-11-20T10:00:00Z', opts), '2 years ago');
});

test('warranty end dates add calendar months', () => {
  assert.equal(addMonths('2026-01-31T10:00:00Z', 1), '2026-02-28T10:00:00.000Z');
  assert.equal(addMonths('2026-11-23T10:00:00Z', 12), '2027-11-23T10:00:00.000Z');
});

test('birthdays: day first in the form, ISO on the wire', () => {
  assert.equal(parseBirthday('23/11/1990'), '1990-11-23');
  assert.equal(parseBirthday('3/7'), '--07-03');
  assert.equal(parseBirthday(' 1990-11-23 '), '1990-11-23');
  assert.equal(parseBirthday('--11-23'), '--11-23');
  assert.equal(parseBirthday(''), '');
  assert.equal(parseBirthday('tomorrow'), 'tomorrow'); // the back end reports it in place
  assert.equal(formatBirthday('1990-11-23'), '23/11/1990');
  assert.equal(formatBirthday('--11-23'), '23/11');
  assert.equal(formatBirthday(null), '');
});

test('a relative day counts months until two years, then whole years', () => {
  const opts = { locale: 'vi-VN', timeZone: 'Asia/Ho_Chi_Minh', now: new Date('2026-11-23T05:00:00Z') };
  assert.equal(formatRelativeDay('2025-02-20T05:00:00Z', opts), '21 tháng trước');
  assert.equal(formatRelativeDay('2023-12-01T05:00:00Z', opts), '2 năm trước');
  assert.equal(formatRelativeDay('2024-12-30T05:00:00Z', opts), '23 tháng trước');
});
