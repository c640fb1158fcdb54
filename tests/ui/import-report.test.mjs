import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countLabels, errorsHeading, progressView } from '../../ui/lib/import-report.js';

test('a run that wrote nothing never says inserted', () => {
  const refused = { dry_run: false, committed: false, inserted: 3 };
  assert.equal(countLabels(refused).inserted, 'transfer.stat_to_insert');
  assert.equal(countLabels(refused).created, 'transfer.stat_to_create');
  assert.equal(countLabels({ dry_run: true, committed: false }).updated, 'transfer.stat_to_update');
  assert.equal(countLabels({ dry_run: false, committed: true }).inserted, 'transfer.stat_inserted');
});

test('the error heading counts rows as the stats do, and every listed error', () => {
  // Two rejected rows, one of them with two errors: "3 lỗi ở 2 dòng", not "2" above 3.
  const r = { rejected: 2, errors: [{ line: 3 }, { line: 3 }, { line: 5 }] };
  assert.deepEqual(errorsHeading(r), { count: 3, rows: 2 });
  assert.deepEqual(errorsHeading({ rejected: 0, errors: [] }), { count: 0, rows: 0 });
});

test('progress counts each row once per phase', () => {
  // 3,002 rows: checking then writing, never "6.004 / 6.004".
  assert.deepEqual(progressView({ phase: 'check', done: 1501, total: 3002 }), {
    key: 'transfer.progress_check',
    done: 1501,
    total: 3002,
    percent: 25,
  });
  assert.deepEqual(progressView({ phase: 'write', done: 3002, total: 3002 }), {
    key: 'transfer.progress_write',
    done: 3002,
    total: 3002,
    percent: 100,
  });
  assert.equal(progressView({ phase: 'check', done: 3002, total: 3002 }, true).percent, 100);
  assert.equal(progressView({ phase: 'write', done: 0, total: 0 }).percent, 100);
  assert.equal(progressView({ phase: 'check', done: 9999, total: 10 }).done, 10);
  assert.equal(progressView({}).percent, 50);
});
