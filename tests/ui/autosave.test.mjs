import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commitAction } from '../../ui/lib/autosave.js';

test('leaving a field saves only a changed value', () => {
  assert.equal(commitAction('20000', '10000', undefined), 'save');
  assert.equal(commitAction(20000, '20000', undefined), 'same', 'numbers and strings compare as text');
  assert.equal(commitAction('10000', 10000, undefined), 'same');
});

test('an emptied field goes back to what core holds', () => {
  assert.equal(commitAction(null, '10000', undefined), 'restore');
  assert.equal(commitAction('', '10000', undefined), 'restore');
  assert.equal(commitAction(undefined, '10000', undefined), 'restore');
});

test('Enter then Tab (or blur then change) sends one request', () => {
  assert.equal(commitAction('20000', '10000', '20000'), 'pending');
  assert.equal(commitAction('30000', '10000', '20000'), 'save', 'a new value while one is saving is saved too');
});
