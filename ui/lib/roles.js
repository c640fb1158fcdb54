// Who may do what (issue 9). The core enforces every rule; the interface only uses this
// table to hide what a cashier cannot use and to skip calls the core would refuse (each
// refusal is written to the audit log as "auth.denied", so a screen that merely loads
// must not produce one). Pure: node tests import it.

export const OWNER = 'owner';
export const CASHIER = 'cashier';

// The core's Role::may: a cashier has the counter's work ("view", "serve"); every other
// permission (the names of the catalogs' "permissions" section) is the owner's.
const CASHIER_PERMISSIONS = new Set(['view', 'serve']);

/** True when an actor with this role may do what `permission` names. */
export function may(role, permission) {
  return role === OWNER || (role === CASHIER && CASHIER_PERMISSIONS.has(permission));
}

// Owner-only commands (docs/IPC.md "Staff, roles and the audit log") and the permission
// the core names when it refuses them.
const OWNER_COMMANDS = {
  customer_archive: 'archive_customer',
  customer_merge: 'merge_customers',
  purchase_refund: 'refund',
  queue_drop: 'refund',
  points_adjust: 'adjust_points',
  loyalty_set: 'loyalty_rules',
  loyalty_set_tiers: 'loyalty_rules',
  reminder_rules_set: 'reminder_rules',
  reminder_cancel: 'cancel_reminder',
  reminder_add_bulk: 'bulk_reminders',
  template_save: 'templates',
  template_delete: 'templates',
  template_export: 'export',
  import_preview: 'import',
  import_run: 'import',
  export_run: 'export',
  report_export: 'export',
  backup_create: 'backup',
  backup_configure: 'backup',
  backup_verify: 'backup',
  backup_restore: 'restore',
  staff_list: 'manage_staff',
  staff_add: 'manage_staff',
  staff_update: 'manage_staff',
  staff_set_active: 'manage_staff',
  audit_list: 'audit_log',
  audit_verify: 'audit_log',
  report_staff: 'staff_reports',
  report_counters: 'staff_reports',
  settings_set: 'settings',
  server_connect: 'settings',
  server_disconnect: 'settings',
  analytics_set_rules: 'settings',
  reminder_generate: 'maintenance',
  analytics_refresh: 'maintenance',
  demo_create: 'demo',
  demo_leave: 'demo',

  reminder_cancel_bulk: 'cancel_reminder',
  card_print: 'promotions',
  program_overview: 'promotions',
  program_add: 'promotions',
  program_end: 'promotions',
  voucher_issue: 'promotions',
  campaign_overview: 'promotions',
  campaign_add: 'promotions',
  campaign_launch: 'promotions',
};

/** The permission a command needs beyond the counter's work, or null. */
export function commandPermission(name, args = {}) {
  // Anyone may switch the interface language.
  if (name === 'settings_set' && args?.key === 'language') return null;
  return OWNER_COMMANDS[name] ?? null;
}

// Screens (routes) only the owner may open, and the permission each stands for.
const OWNER_ROUTES = {
  settings: 'settings', // loyalty rules, care settings, backups, import/export
  import: 'import',
  duplicates: 'merge_customers',
  staff: 'manage_staff',
  audit: 'audit_log',
  promotions: 'promotions',
};

/** The permission a route needs, or null when every signed-in user may open it. */
export const routePermission = (route) => OWNER_ROUTES[route] ?? null;

/** True when `role` may open `route`. */
export function routeAllowed(role, route) {
  const p = routePermission(route);
  return p === null || may(role, p);
}
