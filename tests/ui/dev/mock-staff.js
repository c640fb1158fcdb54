// Development only: staff, PINs, the lock and the audit log (docs/IPC.md, "Staff, roles and
// the audit log"), layered over the other mocks like mock-care.js. It answers auth_*, staff_*
// and audit_* itself, adds idle_lock_minutes to the settings, and guards every other command
// the way the core does: while locked only auth_*, app_info and settings_get (else
// auth.locked), and nothing of the owner's for a cashier (auth.forbidden, logged as
// auth.denied). Changes that pass are written to a hash-chained audit log.
// A module (loaded before ui/app.js) so that it shares ui/lib/roles.js with the app.
// URL options: ?staff (owner "Chị Lan", PIN 1234, and cashier "Minh", PIN 1111; locked at
// start), ?staff=lan or ?staff=minh (signed in as that person), no ?staff (first run: the
// owner's account is still to be made); ?idle=1 (idle lock after 1 minute);
// ?audit_broken (an entry of the log was "edited": audit_verify reports it).
import { commandPermission, may } from '../../../ui/lib/roles.js';

const opts = new URLSearchParams(location.search);
const core = window.__TAURI__.core;
const original = core.invoke.bind(core);

class IpcError {
  constructor(code, params = {}) {
    this.code = code;
    this.message = `[mock] ${code}`;
    this.params = params;
  }
}
const fail = (code, params = {}) => {
  throw new IpcError(code, params);
};
const iso = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const MAX_ATTEMPTS = 5;
const LOCKOUT_MS = 5 * 60_000;

const db = { staff: [], session: null, lastCall: Date.now(), idle: Number(opts.get('idle')) || 10, audit: [] };

// ---------- the audit log: a chain of (fake, but deterministic) hashes ----------
function fnv(text, seed) {
  let h = seed;
  for (const ch of text) h = BigInt.asUintN(64, (h ^ BigInt(ch.codePointAt(0))) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}
const hashOf = ({ hash, ...e }) => {
  const s = JSON.stringify(e);
  return fnv(s, 0xcbf29ce484222325n) + fnv(s, 0x84222325cbf29ce4n);
};
const GENESIS = '0'.repeat(32);

function record(
  actor,
  action,
  entity,
  { entityId = null, customerId = null, before = null, after = null, at = Date.now() } = {},
) {
  const e = {
    id: db.audit.length + 1,
    at: iso(at),
    actor_id: actor?.staff_id ?? null,
    actor_name: actor?.name ?? 'owner',
    via: actor?.via ?? 'window',
    action,
    entity,
    entity_id: entityId === null || entityId === undefined ? null : String(entityId),
    customer_id: customerId ?? null,
    before,
    after,
    prev_hash: db.audit.at(-1)?.hash ?? GENESIS,
  };
  e.hash = hashOf(e);
  db.audit.push(e);
}

function verify() {
  let prev = GENESIS;
  for (const e of db.audit) {
    if (hashOf(e) !== e.hash) return { id: e.id, reason: 'hash_mismatch' };
    if (e.prev_hash !== prev) return { id: e.id, reason: 'prev_hash_mismatch' };
    prev = e.hash;
  }
  return null;
}

function auditList({ staff, action, customer_id, since, until, limit = 100, offset = 0 } = {}) {
  const day = (at) => at.slice(0, 10);
  const rows = db.audit
    .filter(
      (e) =>
        (!staff || e.actor_name.toLowerCase() === staff.toLowerCase()) &&
        (!action || e.action === action || e.action.startsWith(`${action}.`)) &&
        (!customer_id || e.customer_id === Number(customer_id)) &&
        (!since || day(e.at) >= since) &&
        (!until || day(e.at) <= until),
    )
    .reverse();
  return { total: rows.length, entries: rows.slice(offset, offset + Math.min(limit, 1000)) };
}

// ---------- staff ----------
const actorOf = (s) => ({ staff_id: s.id, name: s.name, role: s.role, via: 'window' });
const staffOut = ({ pin, failures, ...s }) => ({
  ...s,
  locked_until: s.locked_until && Date.parse(s.locked_until) > Date.now() ? s.locked_until : null,
});
const findStaff = (id) => db.staff.find((s) => s.id === Number(id)) ?? fail('staff.not_found', { name: String(id) });
const activeOwners = (except) => db.staff.filter((s) => s.active && s.role === 'owner' && s.id !== except).length;

function checkName(name, exceptId = null) {
  const n = String(name ?? '').trim();
  if (!n || n.length > 60) fail('staff.name_invalid', { field: 'name' });
  if (db.staff.some((s) => s.id !== exceptId && s.name.toLowerCase() === n.toLowerCase()))
    fail('staff.name_taken', { name: n, field: 'name' });
  return n;
}
function checkPin(pin) {
  if (!/^\d{4,8}$/.test(String(pin ?? ''))) fail('staff.pin_invalid', { field: 'pin' });
  return String(pin);
}
function checkRole(role) {
  if (!['owner', 'cashier'].includes(role)) fail('staff.role_invalid', { value: String(role), field: 'role' });
  return role;
}
function addStaff(name, role, pin, at = Date.now()) {
  const s = {
    id: db.staff.length + 1,
    name: checkName(name),
    role: checkRole(role),
    active: true,
    locked_until: null,
    created_at: iso(at),
    pin: checkPin(pin),
    failures: 0,
  };
  db.staff.push(s);
  return s;
}

function signIn(staffId, pin) {
  const s = findStaff(staffId);
  if (!s.active) fail('staff.inactive', { name: s.name });
  const lockedMs = s.locked_until ? Date.parse(s.locked_until) - Date.now() : 0;
  if (lockedMs > 0) fail('auth.account_locked', { minutes: Math.ceil(lockedMs / 60_000) });
  if (String(pin) !== s.pin) {
    s.failures++;
    if (s.failures >= MAX_ATTEMPTS) {
      s.failures = 0;
      s.locked_until = iso(Date.now() + LOCKOUT_MS);
      record(actorOf(s), 'auth.lockout', 'staff', { entityId: s.id });
      fail('auth.account_locked', { minutes: LOCKOUT_MS / 60_000 });
    }
    record(actorOf(s), 'auth.failed', 'staff', { entityId: s.id });
    fail('auth.wrong_pin', { left: MAX_ATTEMPTS - s.failures, field: 'pin' });
  }
  s.failures = 0;
  s.locked_until = null;
  db.session = actorOf(s);
  record(db.session, 'auth.sign_in', 'session', { entityId: s.id });
  return db.session;
}

function updateStaff({ id, input = {}, pin = null }) {
  const s = findStaff(id);
  const name = checkName(input.name ?? s.name, s.id);
  const role = checkRole(input.role ?? s.role);
  if (s.role === 'owner' && role !== 'owner' && s.active && activeOwners(s.id) === 0)
    fail('staff.last_owner', { field: 'role' });
  const newPin = pin === null || pin === undefined || pin === '' ? null : checkPin(pin);
  const before = { name: s.name, role: s.role };
  Object.assign(s, { name, role });
  if (newPin) Object.assign(s, { pin: newPin, failures: 0, locked_until: null });
  record(db.session, 'staff.update', 'staff', {
    entityId: s.id,
    before,
    after: { name, role, ...(newPin ? { pin: 'changed' } : {}) },
  });
  if (db.session?.staff_id === s.id) db.session = actorOf(s);
  return staffOut(s);
}

function setActive({ id, active }) {
  const s = findStaff(id);
  if (!active && s.role === 'owner' && s.active && activeOwners(s.id) === 0) fail('staff.last_owner');
  s.active = !!active;
  record(db.session, active ? 'staff.reactivate' : 'staff.deactivate', 'staff', {
    entityId: s.id,
    before: { active: !active },
    after: { active: !!active },
  });
  if (!active && db.session?.staff_id === s.id) db.session = null;
  return staffOut(s);
}

async function withIdle(settingsPromise) {
  return { ...(await settingsPromise), idle_lock_minutes: db.idle };
}

function setIdle(value) {
  const v = String(value ?? '').trim();
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 240)
    fail('settings.idle_invalid', { value: v, field: 'idle_lock_minutes' });
  const before = { idle_lock_minutes: db.idle };
  db.idle = Number(v);
  record(db.session, 'settings.set', 'settings', {
    entityId: 'idle_lock_minutes',
    before,
    after: { idle_lock_minutes: db.idle },
  });
  return withIdle(original('settings_get', {}));
}

// Before any account exists nothing is locked (the core's rule), so setup is the way in.
const status = () => ({
  needs_setup: db.staff.length === 0,
  staff: db.staff.filter((s) => s.active).map(({ id, name, role }) => ({ id, name, role })),
  current: db.session,
  idle_lock_minutes: db.idle,
});

const commands = {
  auth_status: () => status(),
  auth_setup: ({ name, pin }) => {
    if (db.staff.length) fail('staff.setup_done');
    const s = addStaff(name, 'owner', pin);
    db.session = actorOf(s);
    record(db.session, 'staff.setup', 'staff', { entityId: s.id, after: { name: s.name, role: 'owner' } });
    return db.session;
  },
  auth_sign_in: ({ staff_id, pin }) => signIn(staff_id, pin),
  auth_lock: () => {
    db.session = null;
    return null;
  },
  staff_list: () => db.staff.map(staffOut),
  staff_add: ({ input = {}, pin }) => {
    const s = addStaff(input.name, input.role ?? 'cashier', pin);
    record(db.session, 'staff.add', 'staff', { entityId: s.id, after: { name: s.name, role: s.role } });
    return staffOut(s);
  },
  staff_update: (args) => updateStaff(args),
  staff_set_active: (args) => setActive(args),
  audit_list: ({ filter = {} }) => auditList(filter),
  audit_verify: () => {
    const broken = verify();
    return { ok: !broken, entries: db.audit.length, last_hash: db.audit.at(-1)?.hash ?? GENESIS, first_broken: broken };
  },
  app_info: async () => {
    const info = await original('app_info', {});
    return { ...info, settings: { ...info.settings, idle_lock_minutes: db.idle } };
  },
  settings_get: () => withIdle(original('settings_get', {})),
  settings_set: (args) =>
    args.key === 'idle_lock_minutes' ? setIdle(args.value) : withIdle(original('settings_set', args)),
};

// Changes that pass through are logged: [action, entity].
const AUDITED = {
  customer_add: ['customer.add', 'customer'],
  customer_update: ['customer.update', 'customer'],
  customer_archive: ['customer.archive', 'customer'],
  customer_merge: ['customer.merge', 'customer'],
  customer_confirm_details: ['customer.confirm_details', 'customer'],
  purchase_add: ['purchase.add', 'purchase'],
  purchase_refund: ['purchase.refund', 'purchase'],
  points_adjust: ['points.adjust', 'points'],
  loyalty_set: ['loyalty.rules', 'loyalty'],
  loyalty_set_tiers: ['loyalty.tiers', 'loyalty'],
  settings_set: ['settings.set', 'settings'],
  reminder_add: ['reminder.add', 'reminder'],
  reminder_done: ['reminder.done', 'reminder'],
  reminder_snooze: ['reminder.snooze', 'reminder'],
  reminder_cancel: ['reminder.cancel', 'reminder'],
  reminder_add_bulk: ['reminder.add_bulk', 'reminder'],
  interaction_add: ['interaction.add', 'interaction'],
  survey_add: ['survey.add', 'survey'],
  ticket_add: ['ticket.add', 'ticket'],
  template_save: ['template.save', 'template'],
  template_delete: ['template.delete', 'template'],
  import_run: ['import.run', 'import'],
  export_run: ['export.run', 'export'],
  report_export: ['report.export', 'report'],
  backup_create: ['backup.create', 'backup'],
  backup_restore: ['backup.restore', 'backup'],
  demo_create: ['demo.create', 'demo'],
};
const pick = (o, keys) => Object.fromEntries(keys.filter((k) => o && k in o).map((k) => [k, o[k]]));

async function audited(name, args, run) {
  const [action, entity] = AUDITED[name];
  const keys = Object.keys(args.input ?? {});
  const before =
    name === 'customer_update' ? pick((await original('customer_get', { id: args.id })).customer, keys) : null;
  const out = await run();
  if (action === 'settings.set' && args.key === 'idle_lock_minutes') return out; // logged by setIdle
  const customerId =
    args.input?.customer_id ??
    args.customer_id ??
    out?.purchase?.customer_id ??
    out?.refund?.customer_id ??
    (entity === 'customer' ? (out?.id ?? out?.kept?.id ?? args.id ?? args.keep) : null);
  const after =
    name === 'customer_update'
      ? pick(out, keys)
      : name === 'customer_add'
        ? pick(out, ['name', 'phone', 'code', 'birthday', 'tags', 'source'])
        : name === 'settings_set'
          ? { [args.key]: args.value }
          : (args.input ?? args);
  record(db.session, action, entity, {
    entityId: out?.id ?? out?.purchase?.id ?? out?.entry?.id ?? args.id ?? args.key ?? null,
    customerId: customerId === null || customerId === undefined ? null : Number(customerId),
    before,
    after,
  });
  return out;
}

// What the lock screen itself needs (the core's run_open): who may sign in, the shop's name and language.
const AUTH_FREE = new Set([
  'app_startup',
  'auth_status',
  'auth_setup',
  'auth_sign_in',
  'auth_lock',
  'app_info',
  'settings_get',
]);

async function guarded(name, args) {
  if (!AUTH_FREE.has(name) && db.staff.length) {
    if (db.session && Date.now() - db.lastCall > db.idle * 60_000) db.session = null; // the core's idle clock
    if (!db.session) fail('auth.locked');
    const permission = commandPermission(name, args);
    if (permission && !may(db.session.role, permission)) {
      record(db.session, 'auth.denied', 'permission', {
        entityId: permission,
        after: { permission, role: db.session.role },
      });
      fail('auth.forbidden', { permission, role: db.session.role });
    }
    db.lastCall = Date.now();
  }
  const run = () => (commands[name] ? commands[name](args) : original(name, args));
  return AUDITED[name] ? audited(name, args, run) : run();
}

// ---------- the shop as ?staff starts it ----------
if (opts.has('staff')) {
  const t0 = Date.now() - 3 * 86400_000;
  const lan = addStaff('Chị Lan', 'owner', '1234', t0);
  const minh = addStaff('Minh', 'cashier', '1111', t0 + 60_000);
  const [L, M] = [actorOf(lan), actorOf(minh)];
  record(L, 'staff.setup', 'staff', { entityId: lan.id, after: { name: lan.name, role: 'owner' }, at: t0 });
  record(L, 'staff.add', 'staff', { entityId: minh.id, after: { name: minh.name, role: 'cashier' }, at: t0 + 60_000 });
  record(M, 'auth.sign_in', 'session', { entityId: minh.id, at: t0 + 86400_000 });
  record(M, 'customer.update', 'customer', {
    entityId: 1,
    customerId: 1,
    before: { phone: '0912345678', note: null },
    after: { phone: '0987654321', note: 'Đổi số mới' },
    at: t0 + 86400_000 + 120_000,
  });
  record(M, 'auth.denied', 'permission', {
    entityId: 'refund',
    after: { permission: 'refund', role: 'cashier' },
    at: t0 + 86400_000 + 300_000,
  });
  record(L, 'purchase.refund', 'purchase', {
    entityId: 3,
    customerId: 1,
    after: { amount: '150000' },
    at: t0 + 2 * 86400_000,
  });
  record({ name: 'system', via: 'system' }, 'points.maintenance', 'points', {
    after: { expired: 2, birthday_bonus: 1 },
    at: t0 + 2 * 86400_000 + 3600_000,
  });
  record({ name: 'Chị Lan', via: 'cli', staff_id: lan.id }, 'export.run', 'export', {
    entityId: 'customers',
    after: { kind: 'customers', rows: 300 },
    at: t0 + 2 * 86400_000 + 7200_000,
  });
  if (opts.has('audit_broken')) db.audit[3].after = { phone: '0900000000' }; // edited behind the app's back
  const who = (opts.get('staff') ?? '').toLowerCase();
  if (who === 'lan' || who === 'owner') db.session = L;
  if (who === 'minh' || who === 'cashier') db.session = M;
}

const clone = (v) => (v === undefined ? null : JSON.parse(JSON.stringify(v)));
core.invoke = (name, args = {}) =>
  new Promise((resolve, reject) =>
    setTimeout(
      async () => {
        try {
          resolve(clone(await guarded(name, clone(args) ?? {})));
        } catch (err) {
          reject(err instanceof IpcError ? { ...err } : err);
        }
      },
      AUTH_FREE.has(name) ? 30 : 0,
    ),
  );
