import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAuditParam, buildFilter, diffKeys, showValue, shortHash, ACTION_PREFIXES } from '../../ui/lib/audit.js';

test('the route parameter prefills the filters', () => {
  assert.deepEqual(parseAuditParam('customer=12'), { customer: '12' });
  assert.deepEqual(parseAuditParam('staff=Chị Lan&action=purchase&evil=1'), { staff: 'Chị Lan', action: 'purchase' });
  assert.deepEqual(parseAuditParam(null), {});
  assert.deepEqual(parseAuditParam('customer='), {});
});

test('the filter leaves empty fields out and checks the rest', () => {
  assert.deepEqual(buildFilter({}), { filter: { offset: 0, limit: 50 } });
  assert.deepEqual(
    buildFilter({ staff: ' Minh ', action: 'customer', customer: '#7', since: '2026-01-01', until: '2026-01-31' }, 50),
    {
      filter: {
        offset: 50,
        limit: 50,
        staff: 'Minh',
        action: 'customer',
        customer_id: 7,
        since: '2026-01-01',
        until: '2026-01-31',
      },
    },
  );
  assert.deepEqual(buildFilter({ customer: 'abc' }), { error: 'customer' });
  assert.deepEqual(buildFilter({ customer: '0' }), { error: 'customer' });
  assert.deepEqual(buildFilter({ since: '1/2/2026' }), { error: 'since' });
  assert.deepEqual(buildFilter({ since: '2026-02-01', until: '2026-01-01' }), { error: 'range' });
});

test('diffKeys lists what changed', () => {
  assert.deepEqual(
    diffKeys({ name: 'An', phone: '0912', tags: ['VIP'] }, { name: 'An B', phone: '0912', tags: ['VIP'], note: 'x' }),
    [
      { key: 'name', before: 'An', after: 'An B' },
      { key: 'note', before: undefined, after: 'x' },
    ],
  );
  assert.deepEqual(diffKeys(null, { name: 'An' }), [{ key: 'name', before: undefined, after: 'An' }]);
  assert.deepEqual(diffKeys({ name: 'An' }, null), [{ key: 'name', before: 'An', after: undefined }]);
  assert.deepEqual(diffKeys(null, null), []);
  assert.deepEqual(diffKeys(3, 5), [{ key: '', before: 3, after: 5 }]);
  assert.deepEqual(diffKeys([1], [1]), []);
});

test('values and hashes for display', () => {
  assert.equal(showValue('An'), 'An');
  assert.equal(showValue(undefined), '');
  assert.equal(showValue(null), 'null');
  assert.equal(showValue({ a: 1 }), '{"a":1}');
  assert.equal(shortHash('0123456789abcdef0123'), '0123456789ab…');
  assert.equal(shortHash('abc'), 'abc');
  assert.ok(ACTION_PREFIXES.includes('customer') && ACTION_PREFIXES.includes('auth'));
});
