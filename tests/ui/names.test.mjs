import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createTranslator } from '../../ui/lib/i18n.js';
import { templateTitle, duplicateReason, fileName, looksLikePath, auditEntity } from '../../ui/lib/names.js';

const vi = createTranslator(JSON.parse(readFileSync(new URL('../../ui/i18n/vi.json', import.meta.url))));
const en = createTranslator(JSON.parse(readFileSync(new URL('../../ui/i18n/en.json', import.meta.url))));

test('built-in templates have human titles, the shop’s own keep their names', () => {
  assert.equal(templateTitle(vi, { name: 'cam-on', builtin: true }), 'Cảm ơn sau mua');
  assert.equal(templateTitle(en, { name: 'win-back', builtin: true }), 'Come back');
  assert.equal(
    templateTitle(vi, { name: 'cam-on', builtin: false }),
    'cam-on',
    'a template the shop wrote is called what it was called',
  );
  assert.equal(templateTitle(vi, { name: 'Khuyến mãi Tết', builtin: false }), 'Khuyến mãi Tết');
  assert.equal(templateTitle(vi, { name: 'unknown-slug', builtin: true }), 'unknown-slug');
});

test('duplicate reasons read as sentences with dd/mm/yyyy dates', () => {
  assert.equal(duplicateReason(vi, 'name_birthday', '1990-12-02'), 'Cùng tên và ngày sinh (02/12/1990)');
  assert.equal(duplicateReason(vi, 'name_birthday', '--12-02'), 'Cùng tên và ngày sinh (02/12)');
  assert.equal(duplicateReason(vi, 'phone', '0912 345 678'), 'Cùng số điện thoại 0912 345 678');
  assert.equal(duplicateReason(en, 'name_email', 'lan@example.com'), 'Same name and email (lan@example.com)');
  assert.ok(!duplicateReason(vi, 'name_birthday', '1990-12-02').includes('1990-12-02'), 'no ISO date');
});

test('a file path shows its name only', () => {
  assert.equal(fileName('/home/lan/Sao lưu/khachquen-2026-12-02.db'), 'khachquen-2026-12-02.db');
  assert.equal(fileName('C:\\Users\\Lan\\Desktop\\khach.xlsx'), 'khach.xlsx');
  assert.equal(fileName('/tmp/exports/'), 'exports');
  assert.equal(fileName('plain.csv'), 'plain.csv');
  assert.ok(looksLikePath('/home/lan/a.db'));
  assert.ok(looksLikePath('C:\\x\\a.db'));
  assert.ok(!looksLikePath('Nguyễn Văn Đức'));
  assert.ok(!looksLikePath('a/b testing'), 'a relative phrase is no path');
  assert.ok(!looksLikePath(12));
});

test('audit entries name who and what they are about', () => {
  assert.equal(
    auditEntity('Nhân viên', { entity: 'staff', entity_id: '2', entity_name: 'Chị Lan' }),
    'Nhân viên: Chị Lan',
  );
  assert.equal(
    auditEntity('Đơn mua', { entity: 'purchase', entity_id: '12' }),
    'Đơn mua #12',
    'no name known: the number',
  );
  assert.equal(
    auditEntity('Khách hàng', {
      entity: 'customer',
      entity_id: '4066',
      customer_id: 4066,
      customer_name: 'Võ Thị Ánh',
      entity_name: 'Võ Thị Ánh',
    }),
    'Khách hàng',
    'the customer link beside it names her',
  );
  assert.equal(auditEntity('Nhập', { entity: 'import', entity_id: '/home/lan/khach.xlsx' }), 'Nhập: khach.xlsx');
  assert.equal(auditEntity('Sao lưu', { entity: 'backup', entity_id: null }), 'Sao lưu');
  assert.equal(
    auditEntity('Cài đặt', { entity: 'setting', entity_id: 'language' }),
    'Cài đặt: language',
    'a key is no number',
  );
});
