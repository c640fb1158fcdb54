import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as api from '../../ui/lib/api.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('commands are invoked with the contract names and arguments', async () => {
  const seen = [];
  globalThis.__TAURI__ = {
    core: {
      invoke: async (name, args) => {
        seen.push([name, args]);
        return { ok: true };
      },
    },
  };
  await api.customerSearch('0912', 20);
  await api.customerList({ sort: 'name', desc: false, offset: 0, limit: 50 });
  await api.customerUpdate(7, { name: 'An' });
  await api.purchaseAdd({ customer_id: 7, amount: '250000' });
  await api.settingsSet('language', 'en');
  await api.demoCreate(300, 1500);
  assert.deepEqual(seen, [
    ['customer_search', { query: '0912', limit: 20 }],
    ['customer_list', { query: { sort: 'name', desc: false, offset: 0, limit: 50 } }],
    ['customer_update', { id: 7, input: { name: 'An' } }],
    ['purchase_add', { input: { customer_id: 7, amount: '250000' } }],
    ['settings_set', { key: 'language', value: 'en' }],
    ['demo_create', {}],
  ]);
});

test('loyalty commands follow the contract of issue 5', async () => {
  const seen = [];
  globalThis.__TAURI__ = {
    core: {
      invoke: async (name, args) => {
        seen.push([name, args]);
        return {};
      },
    },
  };
  await api.loyaltyGet();
  await api.loyaltySet({ earn_per: '20000' });
  await api.loyaltySetTiers([{ name: 'Thành viên', threshold: '0', multiplier: '1' }]);
  await api.purchaseQuote({ customer_id: 7, amount: '500000', redeem: 50 });
  await api.purchaseAdd({ customer_id: 7, amount: '500000', redeem: 50, client_id: 'b1' });
  await api.purchaseRefund(12);
  await api.purchaseRefund(12, '');
  await api.purchaseRefund(12, '100000');
  await api.pointsAdjust(7, -20, 'Sửa điểm nhập nhầm');
  assert.deepEqual(seen, [
    ['loyalty_get', {}],
    ['loyalty_set', { rules: { earn_per: '20000' } }],
    ['loyalty_set_tiers', { tiers: [{ name: 'Thành viên', threshold: '0', multiplier: '1' }] }],
    ['purchase_quote', { input: { customer_id: 7, amount: '500000', redeem: 50 } }],
    ['purchase_add', { input: { customer_id: 7, amount: '500000', redeem: 50, client_id: 'b1' } }],
    ['purchase_refund', { id: 12 }], // amount absent: the rest of the purchase
    ['purchase_refund', { id: 12 }],
    ['purchase_refund', { id: 12, amount: '100000' }],
    ['points_adjust', { customer_id: 7, delta: -20, reason: 'Sửa điểm nhập nhầm' }],
  ]);
});

test('rejections always have {code, message, params}', async () => {
  globalThis.__TAURI__ = {
    core: {
      invoke: async () => {
        throw 'command foo not found';
      },
    },
  };
  await assert.rejects(api.call('foo'), {
    code: 'internal',
    message: 'command foo not found',
    params: { detail: 'command foo not found' },
  });
  globalThis.__TAURI__ = {
    core: {
      invoke: async () => {
        throw { code: 'customer.phone_invalid', message: 'Sai số', params: { phone: '1', field: 'phone' } };
      },
    },
  };
  await assert.rejects(api.call('customer_add'), {
    code: 'customer.phone_invalid',
    params: { phone: '1', field: 'phone' },
  });
  delete globalThis.__TAURI__;
  await assert.rejects(api.call('app_info'), { code: 'internal' });
});

test('the progress indicator shows only for calls slower than 100 ms', async () => {
  const events = [];
  const off = api.onBusyChange((b) => events.push(b));
  globalThis.__TAURI__ = { core: { invoke: (name) => sleep(name === 'slow' ? 150 : 10) } };
  await api.call('fast');
  assert.deepEqual(events, []);
  await api.call('slow');
  assert.deepEqual(events, [true, false]);
  off();
});

test('staff and audit commands follow the contract of issue 9', async () => {
  const seen = [];
  globalThis.__TAURI__ = {
    core: {
      invoke: async (name, args) => {
        seen.push([name, args]);
        return {};
      },
    },
  };
  await api.authStatus();
  await api.authSetup('Chị Lan', '1234', 'Tiệm Cô Ba');
  await api.authSignIn(2, '1111');
  await api.authLock();
  await api.staffList();
  await api.staffAdd({ name: 'Minh', role: 'cashier' }, '1111');
  await api.staffUpdate(2, { name: 'Minh', role: 'cashier' });
  await api.staffUpdate(2, { name: 'Minh', role: 'owner' }, '5678');
  await api.staffSetActive(2, false);
  await api.auditList({ action: 'customer', customer_id: 7, staff: undefined });
  await api.auditVerify();
  await api.settingsSet('idle_lock_minutes', '15');
  assert.deepEqual(seen, [
    ['auth_status', {}],
    ['auth_setup', { name: 'Chị Lan', pin: '1234', shop_name: 'Tiệm Cô Ba' }],
    ['auth_sign_in', { staff_id: 2, pin: '1111' }],
    ['auth_lock', {}],
    ['staff_list', {}],
    ['staff_add', { input: { name: 'Minh', role: 'cashier' }, pin: '1111' }],
    ['staff_update', { id: 2, input: { name: 'Minh', role: 'cashier' }, pin: null }],
    ['staff_update', { id: 2, input: { name: 'Minh', role: 'owner' }, pin: '5678' }],
    ['staff_set_active', { id: 2, active: false }],
    ['audit_list', { filter: { offset: 0, action: 'customer', customer_id: 7 } }],
    ['audit_verify', {}],
    ['settings_set', { key: 'idle_lock_minutes', value: '15' }],
  ]);
});

test('an auth.locked rejection reaches the onLocked listeners and the caller', async () => {
  const heard = [];
  const off = api.onLocked((err, name) => heard.push([err.code, name]));
  globalThis.__TAURI__ = {
    core: {
      invoke: async () => {
        throw { code: 'auth.locked', message: 'Khóa', params: {} };
      },
    },
  };
  await assert.rejects(api.customerSearch('an'), { code: 'auth.locked' });
  globalThis.__TAURI__ = {
    core: {
      invoke: async () => {
        throw { code: 'customer.not_found', message: '', params: {} };
      },
    },
  };
  await assert.rejects(api.customerGet(1), { code: 'customer.not_found' });
  off();
  assert.deepEqual(heard, [['auth.locked', 'customer_search']]);
});

test("a cashier's owner-only call is refused without reaching the core", async () => {
  const seen = [];
  globalThis.__TAURI__ = {
    core: {
      invoke: async (name) => {
        seen.push(name);
        return {};
      },
    },
  };
  api.setActor({ staff_id: 2, name: 'Minh', role: 'cashier', via: 'window' });
  try {
    await assert.rejects(api.purchaseRefund(5), {
      code: 'auth.forbidden',
      params: { permission: 'refund', role: 'cashier' },
    });
    await assert.rejects(api.settingsSet('shop_name', 'X'), {
      code: 'auth.forbidden',
      params: { permission: 'settings', role: 'cashier' },
    });
    await api.settingsSet('language', 'en');
    await api.purchaseAdd({ customer_id: 1, amount: '1000' });
    api.setActor({ staff_id: 1, name: 'Lan', role: 'owner', via: 'window' });
    await api.purchaseRefund(5);
  } finally {
    api.setActor(null);
  }
  assert.deepEqual(seen, ['settings_set', 'purchase_add', 'purchase_refund']);
});

test('start-up and support commands follow the contract of issue 19', async () => {
  const seen = [];
  globalThis.__TAURI__ = {
    core: {
      invoke: async (name, args) => {
        seen.push([name, args]);
        return null;
      },
    },
  };
  await api.appStartup();
  await api.appAbout();
  await api.appOpenFolder('logs');
  await api.logsExport('/home/shop/khachquen-nhat-ky-20261203.txt');
  await api.debugPanic();
  assert.deepEqual(seen, [
    ['app_startup', {}],
    ['app_about', {}],
    ['app_open_folder', { which: 'logs' }],
    ['logs_export', { path: '/home/shop/khachquen-nhat-ky-20261203.txt' }],
    ['debug_panic', {}],
  ]);
});

test('an app.panic rejection reaches the onPanic listeners once and is marked as said', async () => {
  const heard = [];
  const off = api.onPanic((err, name) => heard.push([err.code, name]));
  const sentence = 'Đã xảy ra lỗi không lường trước nên việc vừa làm chưa được lưu.';
  globalThis.__TAURI__ = {
    core: {
      invoke: async (name) => {
        throw name === 'debug_panic'
          ? { code: 'app.panic', message: sentence, params: {} }
          : { code: 'customer.not_found', message: '', params: {} };
      },
    },
  };
  let caught = null;
  try {
    await api.debugPanic();
  } catch (err) {
    caught = err;
  }
  assert.equal(caught?.code, 'app.panic');
  assert.equal(caught.message, sentence);
  assert.ok(api.announced(caught), 'the shell said it: a screen need not');
  let other = null;
  try {
    await api.customerGet(1);
  } catch (err) {
    other = err;
  }
  assert.equal(api.announced(other), false);
  off();
  // With nobody listening, nothing is marked as said: the screen shows it itself.
  await assert.rejects(api.debugPanic(), (err) => err.code === 'app.panic' && !api.announced(err));
  assert.deepEqual(heard, [['app.panic', 'debug_panic']]);
});
