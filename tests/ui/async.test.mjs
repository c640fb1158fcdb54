import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debounce, latestOnly, STALE } from '../../ui/lib/async.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('debounce runs once with the last arguments; flush and cancel', async () => {
  const calls = [];
  const d = debounce((x) => calls.push(x), 20);
  d(1);
  d(2);
  d(3);
  assert.ok(d.pending());
  await sleep(40);
  assert.deepEqual(calls, [3]);
  d(4);
  d.flush();
  assert.deepEqual(calls, [3, 4]);
  assert.ok(!d.pending());
  d(5);
  d.cancel();
  await sleep(40);
  assert.deepEqual(calls, [3, 4]);
});

test('latestOnly drops answers that arrive after a newer request', async () => {
  const latest = latestOnly();
  const slow = latest(sleep(30).then(() => 'old'));
  const fast = latest(sleep(5).then(() => 'new'));
  assert.equal(await fast, 'new');
  assert.equal(await slow, STALE);
  const failing = latest(
    sleep(5).then(() => {
      throw new Error('late');
    }),
  );
  latest.invalidate();
  assert.equal(await failing, STALE);
  await assert.rejects(latest(Promise.reject(new Error('now'))), /now/);
});
