// The only door to the Rust back end (docs/IPC.md). Every call goes through call(),
// which normalises rejections to {code, message, params} and reports "busy" to the
// progress bar when an answer takes longer than BUSY_AFTER_MS.
// Staff (issue 9): an "auth.locked" rejection also tells the onLocked listeners (the shell
// shows the lock screen), and for a cashier an owner-only command is refused here, as the
// core would, without calling it (a refusal by the core is logged as auth.denied).
// Support (issue 19): an "app.panic" rejection (a command that failed unexpectedly; the core
// caught it and logged it) also tells the onPanic listeners, so the shell says it once
// whichever screen made the call; announced(err) lets a screen skip saying it again.
import { commandPermission, may } from './roles.js';

const BUSY_AFTER_MS = 100;
let inFlight = 0;
let busyTimer = null;
let busy = false;
const busyListeners = new Set();

function setBusy(value) {
  if (busy === value) return;
  busy = value;
  for (const fn of busyListeners) fn(busy);
}

/** fn(isBusy) is called when the progress indicator should appear or go. Returns an unsubscribe. */
export function onBusyChange(fn) {
  busyListeners.add(fn);
  return () => busyListeners.delete(fn);
}

/** Tauri may reject with a plain string (e.g. an unknown command); give it our shape. */
export function normalizeError(err) {
  if (err && typeof err === 'object' && typeof err.code === 'string') {
    return { code: err.code, message: err.message ?? '', params: err.params ?? {} };
  }
  const detail = typeof err === 'string' ? err : (err?.message ?? String(err));
  return { code: 'internal', message: detail, params: { detail } };
}

const lockedListeners = new Set();
/** fn(err, command) runs when a call is refused because the app is locked. Returns an unsubscribe. */
export function onLocked(fn) {
  lockedListeners.add(fn);
  return () => lockedListeners.delete(fn);
}

const panicListeners = new Set();
const announcedErrors = new WeakSet();
/** fn(err, command) runs when a call failed with "app.panic". Returns an unsubscribe. */
export function onPanic(fn) {
  panicListeners.add(fn);
  return () => panicListeners.delete(fn);
}
/** True when an onPanic listener has already told the user about this rejection. */
export const announced = (err) => !!err && typeof err === 'object' && announcedErrors.has(err);

let role = null; // of the signed-in actor; null = not known (the core alone decides)
/** Tells call() who is signed in ({role} or null), so it can spare the core a certain refusal. */
export function setActor(actor) {
  role = actor?.role ?? null;
}

export async function call(name, args = {}) {
  const invoke = globalThis.__TAURI__?.core?.invoke;
  if (!invoke) throw normalizeError('Tauri IPC is not available');
  const permission = role && commandPermission(name, args);
  if (permission && !may(role, permission)) {
    throw { code: 'auth.forbidden', message: '', params: { permission, role } };
  }
  if (inFlight++ === 0) busyTimer = setTimeout(() => setBusy(true), BUSY_AFTER_MS);
  try {
    return await invoke(name, args);
  } catch (err) {
    const e = normalizeError(err);
    if (e.code === 'auth.locked') for (const fn of lockedListeners) fn(e, name);
    if (e.code === 'app.panic' && panicListeners.size) {
      announcedErrors.add(e);
      for (const fn of panicListeners) fn(e, name);
    }
    throw e;
  } finally {
    if (--inFlight === 0) {
      clearTimeout(busyTimer);
      setBusy(false);
    }
  }
}

// One function per command, with the argument names of the contract.
export const appInfo = () => call('app_info');
export const settingsGet = () => call('settings_get');
export const settingsSet = (key, value) => call('settings_set', { key, value });
export const serverConnect = (url, counter) => call('server_connect', { url, counter });
export const serverDisconnect = () => call('server_disconnect');
export const appReconnect = () => call('app_reconnect');
// customer_search answers {rows, total}: the counter shows the count, other pickers need the rows.
export const customerFind = (query, limit = 20) => call('customer_search', { query, limit });
export const customerSearch = (query, limit = 20) => customerFind(query, limit).then((r) => r.rows);
export const customerList = (query) => call('customer_list', { query });
export const customerTags = () => call('customer_tags');
export const customerGet = (id) => call('customer_get', { id });
export const customerAdd = (input) => call('customer_add', { input });
export const customerUpdate = (id, input) => call('customer_update', { id, input });
export const customerArchive = (id) => call('customer_archive', { id });
export const purchaseAdd = (input) => call('purchase_add', { input });
export const purchaseKeep = (reference, input) => call('purchase_keep', { reference, input });
export const queueList = () => call('queue_list');
export const queueSend = () => call('queue_send');
export const queueDrop = (seq) => call('queue_drop', { seq });
/** Opens the demo shop in its own folder (made on first use) and works on it from then on. */
export const demoCreate = () => call('demo_create', {});
/** Back to the owner's shop; with deleteIt, the demo shop's folder goes too. */
export const demoLeave = (deleteIt) => call('demo_leave', { delete: !!deleteIt });
// Loyalty (issue 5).
export const loyaltyGet = () => call('loyalty_get');
export const loyaltySet = (rules) => call('loyalty_set', { rules });
export const loyaltySetTiers = (tiers) => call('loyalty_set_tiers', { tiers });
export const purchaseQuote = (input) => call('purchase_quote', { input });
export const customerVouchers = (id) => call('customer_vouchers', { id });
export const cardPrint = (id, path, label) => call('card_print', { id, path, label });
export const programOverview = () => call('program_overview');
export const programAdd = (input) => call('program_add', { input });
export const programEnd = (id) => call('program_end', { id });
export const voucherIssue = (id, filter) => call('voucher_issue', { id, filter });
export const campaignOverview = () => call('campaign_overview');
export const campaignAdd = (input) => call('campaign_add', { input });
export const campaignLaunch = (id, messages) => call('campaign_launch', { id, messages: messages ?? null });
export const purchaseRefund = (id, amount) =>
  call('purchase_refund', amount === undefined || amount === null || amount === '' ? { id } : { id, amount });
export const pointsAdjust = (customerId, delta, reason) =>
  call('points_adjust', { customer_id: customerId, delta, reason });
// Backup / duplicates. Keys are single words, so Tauri's camelCase conversion is moot.
export const backupCreate = (file) => call('backup_create', file ? { file } : {});
export const backupList = () => call('backup_list');
export const backupStatus = () => call('backup_status');
/** changes: {folder?: string ("" = default), keep?: number}; absent keys are left alone. */
export const backupConfigure = (changes) => call('backup_configure', changes);
export const backupVerify = (file) => call('backup_verify', { file });
export const backupRestore = (file) => call('backup_restore', { file });
export const customerDuplicates = (limit) => call('customer_duplicates', limit ? { limit } : {});
export const customerMerge = (keep, other) => call('customer_merge', { keep, other });
// Import / export (issue 7). These commands take snake_case keys (rename_all = "snake_case").
const present = (o) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== ''));
export const importPreview = ({ kind, path, sheet, mapping, createMissing }) =>
  call('import_preview', present({ kind, path, sheet, mapping, create_missing: createMissing }));
export const importRun = ({ kind, path, sheet, mapping, createMissing, skipInvalid, dryRun }) =>
  call(
    'import_run',
    present({ kind, path, sheet, mapping, create_missing: createMissing, skip_invalid: skipInvalid, dry_run: dryRun }),
  );
export const exportRun = (kind, path) => call('export_run', { kind, path });

/** fn({done, total}) on each "import-progress" event; resolves to an unlisten function. */
export async function onImportProgress(fn) {
  const listen = globalThis.__TAURI__?.event?.listen;
  if (!listen) return () => {};
  return listen('import-progress', (e) => fn(e.payload ?? {}));
}

// File pickers (Tauri dialog plugin). Each resolves to a path string, or null when cancelled.
function dialog() {
  const d = globalThis.__TAURI__?.dialog;
  if (!d) throw normalizeError('The file dialog is not available');
  return d;
}
const onePath = (p) => (Array.isArray(p) ? (p[0] ?? null) : (p ?? null));
/** filters: [{name, extensions: ['csv', 'xlsx']}]. */
export const pickFile = async (filters = []) =>
  onePath(await dialog().open({ filters, multiple: false, directory: false }));
export const pickFolder = async (defaultPath) =>
  onePath(await dialog().open({ directory: true, multiple: false, ...(defaultPath ? { defaultPath } : {}) }));
export const pickSavePath = async (defaultPath, filters = []) => onePath(await dialog().save({ defaultPath, filters }));
// Customer care (issue 7). snake_case argument names, as in docs/IPC.md.
const opt = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
export const reminderToday = (asOf, limit) => call('reminder_today', opt({ as_of: asOf, limit }));
export const reminderList = ({ due, asOf, customerId } = {}) =>
  call('reminder_list', opt({ due, as_of: asOf, customer_id: customerId }));
export const reminderAdd = (input) => call('reminder_add', { input });
/** log: {channel, direction?, summary?, outcome?} or undefined. */
export const reminderDone = (id, log) => call('reminder_done', opt({ id, log }));
export const reminderSnooze = (id, to) => call('reminder_snooze', { id, to });
export const reminderCancel = (id) => call('reminder_cancel', { id });
export const reminderSnoozeBulk = (ids, to) => call('reminder_snooze_bulk', { ids, to });
export const reminderCancelBulk = (ids) => call('reminder_cancel_bulk', { ids });
export const reminderGenerate = (asOf) => call('reminder_generate', opt({ as_of: asOf }));
export const reminderRulesGet = () => call('reminder_rules_get');
export const reminderRulesSet = (rules) => call('reminder_rules_set', { rules });
export const interactionAdd = (input) => call('interaction_add', { input });
export const surveyAdd = (input) => call('survey_add', { input });
export const customerCare = (id) => call('customer_care', { id });
export const customerConfirmDetails = (id) => call('customer_confirm_details', { id });
export const warrantyList = (reference) => call('warranty_list', { reference });
export const ticketAdd = (input) => call('ticket_add', { input });
export const ticketSetStatus = (id, status) => call('ticket_set_status', { id, status });
export const templateList = () => call('template_list');
export const templateSave = ({ id, name, body }) => call('template_save', opt({ id, name, body }));
export const templateDelete = (id) => call('template_delete', { id });
export const templateRender = (name, customerId) => call('template_render', { name, customer_id: customerId });
export const templatePreview = (name, filter) => call('template_preview', { name, filter });
export const templateExport = (name, filter, path) => call('template_export', { name, filter, path });
// Retention analytics (issue 8). snake_case argument names, as in docs/IPC.md.
export const reportSummary = (args = {}) => call('report_summary', opt(args));
export const reportChurn = (args) => call('report_churn', opt(args));
export const reportCohorts = (args = {}) => call('report_cohorts', opt(args));
export const reportRfm = () => call('report_rfm');
export const reportLifecycle = () => call('report_lifecycle');
export const reportClv = (args) => call('report_clv', opt(args));
export const reportAtRisk = (limit) => call('report_at_risk', opt({ limit }));
export const reportStaff = (args = {}) => call('report_staff', opt(args));
export const reportCounters = (args = {}) => call('report_counters', opt(args));
export const reportExport = (report, args, path) => call('report_export', { report, args: opt(args ?? {}), path });
export const analyticsRefresh = () => call('analytics_refresh');
export const analyticsRefreshStale = () => call('analytics_refresh_stale');
export const analyticsGetRules = () => call('analytics_get_rules');
export const analyticsSetRules = (rules) => call('analytics_set_rules', opt(rules));
/** One manual reminder for every customer the filter selects; resolves to the count. */
export const reminderAddBulk = (filter, { dueDate, dueTime, title, note, assignee }) =>
  call('reminder_add_bulk', opt({ filter, due_date: dueDate, due_time: dueTime, title, note, assignee }));
// Encrypted backups (issue 9): the passphrase is only ever passed on to the back end.
export const backupSetPassphrase = (passphrase) => call('backup_configure', { passphrase });
export const backupUnlock = (passphrase) => call('backup_configure', { unlock: passphrase });
export const backupClearPassphrase = () => call('backup_configure', { clear_passphrase: true });
export const backupVerifyWith = (file, passphrase) =>
  call('backup_verify', passphrase ? { file, passphrase } : { file });
/** allowUnencrypted: the owner confirmed restoring a plain file into a shop whose backups are encrypted. */
export const backupRestoreWith = (file, passphrase, allowUnencrypted) =>
  call('backup_restore', {
    file,
    ...(passphrase ? { passphrase } : {}),
    ...(allowUnencrypted ? { allow_unencrypted: true } : {}),
  });
/** fn({done, total}) on each "backup-progress" event (backup and restore); resolves to an unlisten function. */
export async function onBackupProgress(fn) {
  const listen = globalThis.__TAURI__?.event?.listen;
  if (!listen) return () => {};
  return listen('backup-progress', (e) => fn(e.payload ?? {}));
}
// Staff, PINs and the audit log (issue 9). snake_case argument names, as in docs/IPC.md.
export const authStatus = () => call('auth_status');
/** The first run: the shop's name and the owner's account, saved together. */
export const authSetup = (name, pin, shopName) => call('auth_setup', { name, pin, shop_name: shopName });
export const authSignIn = (staffId, pin) => call('auth_sign_in', { staff_id: staffId, pin });
export const authLock = () => call('auth_lock');
export const staffList = () => call('staff_list');
export const staffAdd = ({ name, role: r }, pin) => call('staff_add', { input: { name, role: r }, pin });
/** pin: a new PIN, or null to keep the current one. */
export const staffUpdate = (id, { name, role: r }, pin = null) =>
  call('staff_update', { id, input: { name, role: r }, pin: pin || null });
export const staffSetActive = (id, active) => call('staff_set_active', { id, active });
/** filter: {staff?, action?, customer_id?, since?, until?, limit?, offset}. */
export const auditList = (filter) => call('audit_list', { filter: opt({ offset: 0, ...filter }) });
export const auditVerify = () => call('audit_verify');
// Install, upgrade and support (issue 19). app_startup works before the shop is open (while an
// older data file is backed up and upgraded every other command fails); app_about and the
// rest need it open.
/** {state: "ready"|"upgrading"|"failed", from, to, progress, upgraded, error, restore_file}. */
export const appStartup = () => call('app_startup');
export const appAbout = () => call('app_about');
/** which: "data" | "logs"; shown in the system's file manager. */
export const appOpenFolder = (which) => call('app_open_folder', { which });
/** Gathers the logs into one text file at path; resolves to the bytes written. */
export const logsExport = (path) => call('logs_export', { path });
/** Tests only: panics inside the command when the window was started with KHACHQUEN_TEST_PANIC=1. */
export const debugPanic = () => call('debug_panic');
