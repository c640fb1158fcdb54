import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toggle, setAll, prune, allState, selectedIds } from '../../ui/lib/today-select.js';

test('rows are selected one by one or all at once', () => {
  const s = new Set();
  toggle(s, 4);
  assert.deepEqual([...s], ['4']);
  assert.equal(allState(s, [4, 5, 6]), 'some');
  setAll(s, [4, 5, 6], true);
  assert.equal(allState(s, [4, 5, 6]), 'all');
  toggle(s, '5');
  assert.deepEqual(selectedIds(s, [6, 5, 4]), [6, 4]);
  setAll(s, [4, 5, 6], false);
  assert.equal(allState(s, [4, 5, 6]), 'none');
  assert.equal(allState(s, []), 'none');
});

test('a reload drops rows that are gone, and the list sent is bounded', () => {
  const s = setAll(new Set(), [1, 2, 3], true);
  prune(s, [2, 3, 9]);
  assert.deepEqual(selectedIds(s, [1, 2, 3, 9]), [2, 3]);
  const many = setAll(
    new Set(),
    Array.from({ length: 1500 }, (_, i) => i + 1),
    true,
  );
  assert.equal(selectedIds(many, [...many].map(Number)).length, 1000);
});
