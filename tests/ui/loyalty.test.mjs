import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  tierProgress,
  formatPointsTyping,
  pointsToInput,
  signedPoints,
  newClientId,
  mayHaveRecorded,
  tierDirection,
  rulesExample,
  decimalToInput,
  decimalFromInput,
  LEDGER_KINDS,
  RULE_KEYS,
} from '../../ui/lib/loyalty.js';

const num = (n) => new Intl.NumberFormat('vi-VN').format(n);
const TIERS = [{ name: 'Thành viên' }, { name: 'Bạc' }, { name: 'Vàng' }, { name: 'Kim cương' }];

test('progress to the next tier, from zero spend to its threshold', () => {
  const p = tierProgress(
    { spend_12m: '8800000', next_tier: 'Vàng', next_threshold: '10000000', needed_for_next: '1200000' },
    0,
  );
  assert.deepEqual(p, { next: 'Vàng', needed: '1200000', fraction: 0.88 });
  // needed_for_next missing: worked out from the threshold
  assert.equal(tierProgress({ spend_12m: '12.50', next_tier: 'Gold', next_threshold: '50.00' }, 2).needed, '37.50');
  // at or past the threshold (a stale answer) the bar is full, never more
  assert.equal(
    tierProgress({ spend_12m: '120', next_tier: 'B', next_threshold: '100', needed_for_next: '0' }, 0).fraction,
    1,
  );
  assert.equal(
    tierProgress({ spend_12m: '0', next_tier: 'B', next_threshold: '100', needed_for_next: '100' }, 0).fraction,
    0,
  );
  // top tier, or no loyalty at all
  assert.equal(tierProgress({ spend_12m: '99000000', next_tier: null, next_threshold: null }, 0), null);
  assert.equal(tierProgress(null, 0), null);
});

test('points typing groups digits and keeps the caret', () => {
  assert.deepEqual(formatPointsTyping('1250', 4, { locale: 'vi-VN' }), { text: '1.250', caret: 5, value: 1250 });
  assert.deepEqual(formatPointsTyping('1,250', 5, { locale: 'en-GB' }), { text: '1,250', caret: 5, value: 1250 });
  assert.deepEqual(formatPointsTyping('', 0, { locale: 'vi-VN' }), { text: '', caret: 0, value: null });
  assert.equal(formatPointsTyping('12a3', 4, { locale: 'vi-VN' }).value, 123);
  // redeem fields have no sign: a minus is dropped
  assert.equal(formatPointsTyping('-50', 3, { locale: 'vi-VN' }).value, 50);
});

test('signed points for adjustments', () => {
  assert.deepEqual(formatPointsTyping('-20', 3, { locale: 'vi-VN', signed: true }), {
    text: '-20',
    caret: 3,
    value: -20,
  });
  assert.deepEqual(formatPointsTyping('+1500', 5, { locale: 'vi-VN', signed: true }), {
    text: '+1.500',
    caret: 6,
    value: 1500,
  });
  assert.equal(formatPointsTyping('−7', 2, { locale: 'vi-VN', signed: true }).value, -7); // a true minus sign
  assert.deepEqual(formatPointsTyping('-', 1, { locale: 'vi-VN', signed: true }), { text: '-', caret: 1, value: null });
  assert.equal(formatPointsTyping('-0', 2, { locale: 'vi-VN', signed: true }).value, 0);
  assert.ok(Object.is(formatPointsTyping('-0', 2, { locale: 'vi-VN', signed: true }).value, 0), 'no -0');
  assert.equal(pointsToInput(12500, 'vi-VN'), '12.500');
  assert.equal(pointsToInput(-40, 'vi-VN'), '-40');
  assert.equal(pointsToInput(null, 'vi-VN'), '');
  assert.equal(signedPoints(1250, num), '+1.250');
  assert.equal(signedPoints(-50, num), '−50');
  assert.equal(signedPoints(0, num), '0');
});

test('client ids: one UUID per bill, also without randomUUID', () => {
  const a = newClientId();
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(a, newClientId());
  const fallback = newClientId({ getRandomValues: (b) => b.fill(255) });
  assert.equal(fallback, 'ffffffff-ffff-4fff-bfff-ffffffffffff');
});

test('a retry keeps the bill id only when the first try may have been recorded', () => {
  assert.ok(mayHaveRecorded({ code: 'internal', params: { detail: 'Tauri IPC is not available' } }));
  assert.ok(mayHaveRecorded({ code: 'db.sqlite', params: {} }));
  assert.ok(mayHaveRecorded({ code: 'purchase.client_id_conflict', params: {} }));
  assert.ok(!mayHaveRecorded({ code: 'loyalty.redeem_over_cap', params: { max: 50, percent: 50, field: 'redeem' } }));
  assert.ok(!mayHaveRecorded({ code: 'purchase.amount_invalid', params: { field: 'amount' } }));
  assert.ok(!mayHaveRecorded({ code: 'customer.archived', params: {} }));
});

test('tier direction follows the order of the tiers', () => {
  assert.equal(tierDirection(TIERS, 'Bạc', 'Vàng'), 'up');
  assert.equal(tierDirection(TIERS, null, 'Thành viên'), 'up');
  assert.equal(tierDirection(TIERS, 'Kim cương', 'Bạc'), 'down');
  assert.equal(tierDirection(TIERS, 'Vàng', null), 'down');
  assert.equal(tierDirection(TIERS, 'Vàng', 'Vàng'), null);
  assert.equal(tierDirection(TIERS, 'Old name', 'Vàng'), null); // renamed tier: unknown
  assert.equal(tierDirection(null, 'Bạc', 'Vàng'), null);
});

test('worked example of the rules', () => {
  assert.deepEqual(rulesExample({ earn_per: '10000', point_value: '1000' }, 0), {
    amount: '1000000',
    points: 100,
    value: '100000',
    percent: 10,
  });
  assert.deepEqual(rulesExample({ earn_per: '1.00', point_value: '0.01' }, 2), {
    amount: '100.00',
    points: 100,
    value: '1.00',
    percent: 1,
  });
  assert.deepEqual(rulesExample({ earn_per: '30000', point_value: '500' }, 0), {
    amount: '1000000',
    points: 33,
    value: '16500',
    percent: 1.65,
  });
  assert.equal(rulesExample({ earn_per: '0', point_value: '1000' }, 0), null);
  assert.equal(rulesExample({ earn_per: 'abc', point_value: '1000' }, 0), null);
});

test('multipliers in the locale and back', () => {
  assert.equal(decimalToInput('1.5', 'vi-VN'), '1,5');
  assert.equal(decimalToInput('2', 'vi-VN'), '2');
  assert.equal(decimalToInput('1.25', 'en-GB'), '1.25');
  assert.equal(decimalFromInput(' 1,5 '), '1.5');
  assert.equal(decimalFromInput('1.25'), '1.25');
});

test('the contract lists', () => {
  assert.deepEqual(LEDGER_KINDS, ['earn', 'redeem', 'expire', 'refund', 'bonus', 'adjust']);
  assert.deepEqual(RULE_KEYS, [
    'earn_per',
    'point_value',
    'min_redeem',
    'max_redeem_percent',
    'expiry_months',
    'birthday_bonus',
  ]);
});
