// Today's selection for bulk snooze / cancel, apart from the DOM so node tests can check
// it. Ids are strings (as in data-id); a Set holds the selected ones.

/** Flip one id. */
export function toggle(selected, id) {
  const k = String(id);
  if (selected.has(k)) selected.delete(k);
  else selected.add(k);
  return selected;
}

/** Select (on) or clear (off) every id of a list, e.g. all loaded rows of a group. */
export function setAll(selected, ids, on) {
  for (const id of ids) {
    if (on) selected.add(String(id));
    else selected.delete(String(id));
  }
  return selected;
}

/** Keep only ids still listed (after a reload, a done row is no longer selectable). */
export function prune(selected, ids) {
  const present = new Set(ids.map(String));
  for (const id of [...selected]) if (!present.has(id)) selected.delete(id);
  return selected;
}

/** A select-all box's state over `ids`: 'all', 'some' (indeterminate) or 'none'. */
export function allState(selected, ids) {
  const n = ids.filter((id) => selected.has(String(id))).length;
  return n === 0 ? 'none' : n === ids.length ? 'all' : 'some';
}

/** The ids to send, as numbers, in list order; at most `max` (the core's limit). */
export function selectedIds(selected, ids, max = 1000) {
  return ids
    .map(String)
    .filter((id) => selected.has(id))
    .slice(0, max)
    .map(Number);
}
