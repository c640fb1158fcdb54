// What the import screen says about a run, kept apart from the DOM so node tests can check
// it: which labels the counts get, the error list's heading, and the progress bar.

/**
 * Labels for a report's counts: a dry run and a refused run wrote nothing, so their counts
 * are what would have been written ("sẽ thêm mới"), never "đã thêm mới".
 */
export function countLabels(r) {
  const wrote = !!r?.committed;
  return {
    inserted: wrote ? 'transfer.stat_inserted' : 'transfer.stat_to_insert',
    updated: wrote ? 'transfer.stat_updated' : 'transfer.stat_to_update',
    created: wrote ? 'transfer.stat_created' : 'transfer.stat_to_create',
  };
}

/**
 * The error list's heading params: a row can hold several errors, so the list of
 * `errors` problems sits under the `rows` rejected rows the stats count.
 */
export function errorsHeading(r) {
  const errors = r?.errors ?? [];
  const rows = new Set(errors.map((e) => e.line)).size;
  return { count: errors.length, rows: Math.max(rows, r?.rejected ?? 0) };
}

/**
 * The bar for an "import-progress" event {phase, done, total}: each phase counts the
 * file's rows once (checked, then written), so the label never shows twice the rows. The
 * bar fills the first half while checking and the second while writing.
 */
export function progressView({ phase, done, total } = {}, dryRun = false) {
  const n = Math.max(0, Number(total) || 0);
  const d = Math.min(n, Math.max(0, Number(done) || 0));
  const part = n ? d / n : 1;
  const writing = phase === 'write';
  const pct = Math.round(100 * (dryRun ? part : writing ? 0.5 + part / 2 : part / 2));
  return {
    key: writing ? 'transfer.progress_write' : 'transfer.progress_check',
    done: d,
    total: n,
    percent: Math.min(100, pct),
  };
}
