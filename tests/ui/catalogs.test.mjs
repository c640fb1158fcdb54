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

// Core's error codes and the names of their params, from the list docs/IPC.md keeps equal to
// core's table of errors (tests/i18n.rs checks it): no copy of the codes here.
const ipcDoc = readFileSync(new URL('../../docs/IPC.md', import.meta.url), 'utf8');
const codeList = ipcDoc.slice(ipcDoc.indexOf('<!-- error-codes:'), ipcDoc.indexOf('<!-- /error-codes -->'));
const ERROR_CODES = Object.fromEntries(
  [...codeList.matchAll(/^- `([\w.]+)`(.*)$/gm)].map((m) => [m[1], placeholders(m[2])]),
);
// Params a message never shows: the form field it concerns, and the auth.forbidden permission and
// role the adapters turn into {what}, the action in the user's words.
const HIDDEN = ['field', 'permission', 'role'];
// File errors are one sentence without the library's words (issue 15): their detail goes to the log.
const DETAIL_IN_LOG = [
  'db.open_failed',
  'db.io',
  'backup.corrupt',
  'backup.write_failed',
  'backup.restore_rolled_back',
  'backup.encrypted_damaged',
  'file.folder_open_failed',
];
const shown = (code) => {
  const logOnly = (p) => p === 'detail' && DETAIL_IN_LOG.includes(code);
  const params = ERROR_CODES[code].filter((p) => !HIDDEN.includes(p) && !logOnly(p));
  return (ERROR_CODES[code].includes('permission') ? [...params, 'what'] : params).sort();
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
  assert.ok(Object.keys(ERROR_CODES).length > 150, 'the codes are read from docs/IPC.md');
  for (const cat of [vi, en]) {
    for (const [code, msg] of Object.entries(cat.errors)) {
      assert.equal(typeof msg, 'string', `errors.${code} must be a string`);
      assert.ok(ERROR_CODES[code], `errors.${code} names no error code of core's table`);
    }
    for (const code of Object.keys(ERROR_CODES)) {
      assert.ok(cat.errors[code], `missing errors.${code}`);
      assert.deepEqual(placeholders(cat.errors[code]), shown(code), `errors.${code}`);
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
