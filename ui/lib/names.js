// Human names for what core keys by slug, id or path (issue 15 item 13): template titles,
// why customers look like duplicates, who and what an audit entry is about, file names.
// Pure (t is passed in), so node tests import them.
import { formatBirthday } from './format.js';

/** A built-in template's title in the interface language ("cam-on" -> "Cảm ơn sau mua"). */
export function templateTitle(t, tpl) {
  const key = `template_names.${tpl?.name}`;
  return tpl?.builtin && t.has(key) ? t(key) : (tpl?.name ?? '');
}

/**
 * Why customers look alike, in words: "Cùng số điện thoại 0912 345 678",
 * "Cùng tên và ngày sinh (02/12/1990)". `shared` is core's human part (phone, birthday
 * YYYY-MM-DD or --MM-DD, email).
 */
export function duplicateReason(t, reason, shared) {
  const key = reason === 'name_birthday' ? formatBirthday(shared) : (shared ?? '');
  return t(`duplicates.reason_${reason}`, { key });
}

/** The last part of a path ("/home/x/Sao lưu/kq-2026.db" -> "kq-2026.db"), Windows too. */
export function fileName(path) {
  const s = String(path ?? '').replace(/[\\/]+$/, '');
  const i = Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\'));
  return i >= 0 ? s.slice(i + 1) : s;
}

/** Does an audit value look like a file path (so only its name is shown, the path on hover)? */
export function looksLikePath(v) {
  return typeof v === 'string' && v.length > 1 && !/\n/.test(v) && /^(\/|~\/|[A-Za-z]:[\\/]|\\\\)/.test(v);
}

/**
 * What an audit entry is about: "Nhân viên: Lan", "Mẫu tin: Cảm ơn", or "Đơn mua #12" when
 * core has no name for it. `kind` is the entity's label. A customer named in the link beside
 * it is not named twice.
 */
export function auditEntity(kind, e) {
  if (!e.entity_id) return kind;
  if (e.entity === 'customer' && e.customer_id != null && String(e.customer_id) === String(e.entity_id)) return kind;
  if (e.entity_name) return `${kind}: ${e.entity_name}`;
  if (looksLikePath(e.entity_id)) return `${kind}: ${fileName(e.entity_id)}`;
  // A number is an id; anything else (a setting's key, a report's name) reads as it is.
  return /^\d+$/.test(String(e.entity_id)) ? `${kind} #${e.entity_id}` : `${kind}: ${e.entity_id}`;
}
