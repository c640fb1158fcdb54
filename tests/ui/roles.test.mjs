import { test } from 'node:test';
import assert from 'node:assert/strict';
import { may, commandPermission, routePermission, routeAllowed } from '../../ui/lib/roles.js';

test('a cashier has the counter work, the owner everything', () => {
  for (const p of ['view', 'serve']) assert.ok(may('cashier', p), p);
  for (const p of ['refund', 'adjust_points', 'manage_staff', 'audit_log', 'settings', 'export']) {
    assert.ok(!may('cashier', p), p);
    assert.ok(may('owner', p), p);
  }
  assert.ok(!may(null, 'view'), 'nobody signed in may do nothing');
  assert.ok(!may('guest', 'view'));
});

test('owner-only commands name the permission the core refuses them with', () => {
  assert.equal(commandPermission('purchase_refund'), 'refund');
  assert.equal(commandPermission('points_adjust'), 'adjust_points');
  assert.equal(commandPermission('staff_add'), 'manage_staff');
  assert.equal(commandPermission('audit_verify'), 'audit_log');
  assert.equal(commandPermission('report_staff'), 'staff_reports');
  assert.equal(commandPermission('report_export'), 'export');
  assert.equal(commandPermission('settings_set', { key: 'shop_name', value: 'X' }), 'settings');
  assert.equal(commandPermission('settings_set', { key: 'idle_lock_minutes', value: '5' }), 'settings');
  // The counter's work, and the language switch, are anyone's.
  assert.equal(commandPermission('settings_set', { key: 'language', value: 'en' }), null);
  for (const c of [
    'auth_status',
    'auth_sign_in',
    'customer_add',
    'customer_update',
    'purchase_add',
    'purchase_quote',
    'reminder_done',
    'reminder_snooze',
    'reminder_add',
    'template_render',
    'report_summary',
    'settings_get',
    'app_info',
  ]) {
    assert.equal(commandPermission(c, {}), null, c);
  }
});

test('owner-only routes', () => {
  for (const r of ['settings', 'import', 'duplicates', 'staff', 'audit']) {
    assert.ok(routePermission(r), r);
    assert.ok(!routeAllowed('cashier', r), r);
    assert.ok(routeAllowed('owner', r), r);
  }
  for (const r of ['counter', 'customers', 'profile', 'reminders', 'reports']) assert.ok(routeAllowed('cashier', r), r);
});
