import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interpolate, createTranslator, keyPaths } from '../../ui/lib/i18n.js';

const vi = {
  nav: { counter: 'Quầy' },
  common: { error_unknown: 'Lỗi không xác định.' },
  counter: { confirmation: 'Đã ghi {amount} cho {name}.' },
  errors: { 'customer.phone_taken': 'Số {phone} đã thuộc về {name}.' },
};
const en = { nav: { counter: 'Counter', reports: 'Reports' }, errors: { internal: 'Internal error: {detail}' } };

test('interpolate fills placeholders and leaves unknown ones visible', () => {
  assert.equal(interpolate('{a} + {b}', { a: 1, b: 'x' }), '1 + x');
  assert.equal(interpolate('{a} {missing}', { a: 0 }), '0 {missing}');
  assert.equal(interpolate('no params'), 'no params');
});

test('lookup by dotted path with fallback catalog and key as last resort', () => {
  const t = createTranslator(vi, en);
  assert.equal(t('nav.counter'), 'Quầy');
  assert.equal(t('nav.reports'), 'Reports');
  assert.equal(t('nav.nothing'), 'nav.nothing');
  assert.equal(t('counter.confirmation', { amount: '250.000 ₫', name: 'An' }), 'Đã ghi 250.000 ₫ cho An.');
  assert.equal(t('nav'), 'nav'); // a section is not a message
  assert.ok(t.has('nav.counter'));
  assert.ok(!t.has('nav.reports'));
});

test('errors: flat codes with dots, own catalog first, never a raw code', () => {
  const t = createTranslator(vi, en);
  const err = {
    code: 'customer.phone_taken',
    message: 'server text',
    params: { phone: '0912', name: 'An', field: 'phone' },
  };
  assert.equal(t.error(err), 'Số 0912 đã thuộc về An.');
  assert.equal(t.error({ code: 'internal', message: '', params: { detail: 'x' } }), 'Internal error: x');
  // Unknown to us: the back end's translated message.
  assert.equal(t.error({ code: 'backup.failed', message: 'Sao lưu thất bại.', params: {} }), 'Sao lưu thất bại.');
  // No usable message either: a generic sentence, not the code.
  assert.equal(t.error({ code: 'backup.failed', message: 'backup.failed' }), 'Lỗi không xác định.');
  assert.equal(t.error(undefined), 'Lỗi không xác định.');
});

test('keyPaths lists error codes whole', () => {
  assert.deepEqual(keyPaths(vi).sort(), [
    'common.error_unknown',
    'counter.confirmation',
    'errors.customer.phone_taken',
    'nav.counter',
  ]);
});
