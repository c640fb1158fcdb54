// The RFM grid is core's: the screen groups the cells report_rfm sends, in core's order, and
// names no segment of its own (docs/IPC.md, tests/ipc.rs checks core's grid).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rfmRows } from '../../ui/lib/rfm.js';

const cell = (r, f, segment, count = 0) => ({ r, f, count, segment });

test('rows and columns follow the cells core sent, in its order', () => {
  const grid = [5, 4, 3, 2, 1].flatMap((r) => [1, 2, 3, 4, 5].map((f) => cell(r, f, `s${r}${f}`, r * f)));
  const { cols, rows } = rfmRows(grid);
  assert.deepEqual(cols, [1, 2, 3, 4, 5]);
  assert.deepEqual(
    rows.map((x) => x.r),
    [5, 4, 3, 2, 1],
  );
  assert.deepEqual(
    rows[0].cells.map((c) => c.segment),
    ['s51', 's52', 's53', 's54', 's55'],
  );
  assert.deepEqual(
    rows.flatMap((x) => x.cells),
    grid,
    'every cell once, as sent',
  );
});

test("a segment comes from core's cell, whatever it is", () => {
  const { rows } = rfmRows([cell(2, 3, 'champions', 4), cell(2, 1, 'lost'), cell(1, 3, 'new')]);
  assert.deepEqual(
    rows.map((x) => [x.r, x.cells.map((c) => `${c.f}:${c.segment}`)]),
    [
      [2, ['3:champions', '1:lost']],
      [1, ['3:new']],
    ],
  );
});

test('no grid, no rows', () => {
  assert.deepEqual(rfmRows(undefined), { cols: [], rows: [] });
  assert.deepEqual(rfmRows([]), { cols: [], rows: [] });
});

test('the Reports screen keeps no copy of the segment table', () => {
  const src = readFileSync(new URL('../../ui/screens/reports.js', import.meta.url), 'utf8');
  for (const segment of ['potential_loyalist', 'hibernating', 'cant_lose']) {
    assert.ok(!src.includes(`'${segment}'`), `reports.js names ${segment}`);
  }
});
