// The message catalogs are shared with the Rust side (CLI and IPC errors), so their
// shape is part of the contract: same keys in both languages, same placeholders,
// and a flat "errors" object with every error code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { keyPaths } from '../../ui/lib/i18n.js';
import { LEDGER_KINDS, RULE_KEYS } from '../../ui/lib/loyalty.js';

const load = (lang) => JSON.parse(readFileSync(new URL(`../../ui/i18n/${lang}.json`, import.meta.url), 'utf8'));
const vi = load('vi');
const en = load('en');
const get = (cat, path) =>
  path.startsWith('errors.') ? cat.errors[path.slice(7)] : path.split('.').reduce((o, k) => o?.[k], cat);
const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

const ERROR_CODES = {
  // File errors are one sentence without the library's words (issue 15): the detail goes to the log.
  'db.schema_too_new': ['found', 'supported'],
  'db.open_failed': ['path'],
  'db.sqlite': ['detail'],
  'db.io': [],
  'db.migration': ['detail'],
  'customer.not_found': ['ref'],
  'customer.name_required': [],
  'customer.name_too_long': ['max'],
  'customer.phone_required': [],
  'customer.phone_invalid': ['phone'],
  'customer.phone_taken': ['id', 'name', 'phone'],
  'customer.code_taken': ['code', 'id', 'name'],
  'customer.code_invalid': ['code'],
  'customer.email_invalid': ['email'],
  'customer.birthday_invalid': ['value'],
  'customer.gender_invalid': ['value'],
  'customer.source_invalid': ['value'],
  'customer.referred_by_self': [],
  'customer.archived': ['name'],
  'customer.tag_invalid': ['tag'],
  'purchase.amount_invalid': ['value'],
  'purchase.amount_negative': [],
  'purchase.amount_precision': ['currency', 'decimals'],
  'purchase.amount_too_large': [],
  'purchase.items_mismatch': ['items_total', 'total'],
  'purchase.item_invalid': ['detail', 'index'],
  'purchase.payment_invalid': ['value'],
  'purchase.time_invalid': ['value'],
  'purchase.not_found': ['id'],
  'settings.unknown_key': ['key'],
  'settings.currency_invalid': ['value'],
  'settings.currency_locked': [],
  'settings.timezone_invalid': ['value'],
  'settings.language_invalid': ['value'],
  'settings.shop_name_invalid': [],
  'demo.not_empty': [],
  'demo.invalid': ['detail'],
  'input.invalid': ['detail'],
  internal: ['detail'],
  // Loyalty (issue 5), as docs/IPC.md lists them
  'loyalty.invalid_rule': ['key', 'value'],
  'loyalty.tiers_invalid': ['detail'],
  'loyalty.redeem_below_minimum': ['min'],
  'loyalty.redeem_over_balance': ['balance'],
  'loyalty.redeem_over_cap': ['max', 'percent'],
  'loyalty.redeem_invalid': ['value'],
  'loyalty.adjust_reason_required': [],
  'loyalty.adjust_zero': [],
  'loyalty.adjust_below_zero': ['balance'],
  'purchase.refund_too_large': ['max'],
  'purchase.fully_refunded': [],
  'purchase.client_id_conflict': [],
  // ... and the finer tier codes the core reports instead of loyalty.tiers_invalid
  'loyalty.tiers_empty': [],
  'loyalty.tier_name_required': [],
  'loyalty.tier_duplicate': ['name'],
  'loyalty.tier_threshold_invalid': ['name', 'value'],
  'loyalty.tier_first_not_zero': [],
  'loyalty.tier_multiplier_invalid': ['name', 'value'],
};

test('both languages have the same keys', () => {
  assert.deepEqual(keyPaths(vi).sort(), keyPaths(en).sort());
});

test('every message is a non-empty string with the same placeholders in both languages', () => {
  for (const path of keyPaths(vi)) {
    const a = get(vi, path);
    const b = get(en, path);
    assert.equal(typeof a, 'string', path);
    assert.ok(a.trim() && b.trim(), `${path} is empty`);
    assert.deepEqual(placeholders(a), placeholders(b), path);
  }
});

test('errors is one flat object holding every core error code with its parameters', () => {
  for (const cat of [vi, en]) {
    for (const [code, msg] of Object.entries(cat.errors))
      assert.equal(typeof msg, 'string', `errors.${code} must be a string`);
    for (const [code, params] of Object.entries(ERROR_CODES)) {
      assert.ok(cat.errors[code], `missing errors.${code}`);
      assert.deepEqual(placeholders(cat.errors[code]), params, `errors.${code}`);
    }
  }
});

test('Vietnamese is written with diacritics', () => {
  assert.equal(vi.nav.customers, 'Khách hàng');
  assert.equal(vi.nav.settings, 'Cài đặt');
  assert.equal(vi.counter.search_placeholder, 'Tìm theo số điện thoại hoặc tên');
  assert.equal(en.counter.search_placeholder, 'Search by phone or name');
});

test('every ledger kind and loyalty rule has a label', () => {
  for (const cat of [vi, en]) {
    for (const kind of LEDGER_KINDS) assert.ok(cat.loyalty.kinds[kind], `loyalty.kinds.${kind}`);
    for (const key of RULE_KEYS)
      assert.ok(cat.settings[`rule_${key}`] && cat.settings[`rule_${key}_hint`], `settings.rule_${key}`);
  }
  assert.equal(vi.profile.loyalty_title, 'Điểm tích lũy');
  assert.equal(vi.counter.redeem, 'Đổi điểm');
  assert.equal(vi.loyalty.kinds.expire, 'Hết hạn');
  assert.equal(vi.loyalty.kinds.bonus, 'Thưởng sinh nhật');
  assert.equal(vi.profile.adjust_title, 'Điều chỉnh điểm');
  assert.equal(vi.profile.adjust_reason, 'Lý do');
  assert.equal(vi.profile.refund, 'Hoàn tiền');
});
