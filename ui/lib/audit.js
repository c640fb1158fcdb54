// Pure helpers of the audit log viewer (screens/audit.js): the filter sent to audit_list,
// the "#audit/customer=12&staff=Lan" route parameter, and the changed keys of an entry.

/** The action prefixes the viewer offers (audit_list accepts a prefix as `action`). */
export const ACTION_PREFIXES = [
  'customer',
  'purchase',
  'points',
  'loyalty',
  'reminder',
  'interaction',
  'survey',
  'ticket',
  'template',
  'import',
  'export',
  'report',
  'backup',
  'settings',
  'staff',
  'auth',
];

export const PAGE_SIZE = 50;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** "customer=12&staff=Chị Lan" -> {customer: "12", staff: "Chị Lan"} (unknown keys dropped). */
export function parseAuditParam(param) {
  const out = {};
  if (!param) return out;
  for (const [k, v] of new URLSearchParams(param)) {
    if (['customer', 'staff', 'action', 'since', 'until'].includes(k) && v.trim()) out[k] = v.trim();
  }
  return out;
}

/**
 * The audit_list filter for the viewer's fields ({staff, action, customer, since, until},
 * strings as typed). Empty fields are left out (the core refuses unknown keys, and an empty
 * string would filter on nothing); a customer that is not a whole number is an error.
 * Returns {filter} or {error: 'customer' | 'since' | 'until' | 'range'}.
 */
export function buildFilter(fields, offset = 0, limit = PAGE_SIZE) {
  const filter = { offset, limit };
  const staff = fields.staff?.trim();
  if (staff) filter.staff = staff;
  const action = fields.action?.trim();
  if (action) filter.action = action;
  const customer = fields.customer?.trim().replace(/^#/, '');
  if (customer) {
    if (!/^\d+$/.test(customer) || Number(customer) < 1) return { error: 'customer' };
    filter.customer_id = Number(customer);
  }
  for (const k of ['since', 'until']) {
    const v = fields[k]?.trim();
    if (!v) continue;
    if (!DAY.test(v)) return { error: k };
    filter[k] = v;
  }
  if (filter.since && filter.until && filter.since > filter.until) return { error: 'range' };
  return { filter };
}

const isRecord = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * What an entry changed: [{key, before, after}] for every top-level key whose value differs
 * (a key only on one side has undefined on the other). Two values that are not both
 * objects compare as a whole, under key "".
 */
export function diffKeys(before, after) {
  const b = before ?? null;
  const a = after ?? null;
  if ((isRecord(b) || b === null) && (isRecord(a) || a === null) && (b || a)) {
    const keys = [...new Set([...Object.keys(b ?? {}), ...Object.keys(a ?? {})])];
    return keys.filter((k) => !same(b?.[k], a?.[k])).map((k) => ({ key: k, before: b?.[k], after: a?.[k] }));
  }
  return same(b, a) ? [] : [{ key: '', before: b ?? undefined, after: a ?? undefined }];
}

/** A value in one diff cell: strings as they are, the rest as compact JSON. */
export function showValue(v) {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** The first characters of a hash, enough to compare by eye. */
export const shortHash = (hash) =>
  typeof hash === 'string' && hash.length > 16 ? `${hash.slice(0, 12)}…` : (hash ?? '');
