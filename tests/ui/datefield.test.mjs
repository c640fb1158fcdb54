import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDateText, formatIsoDate, addDaysIso, addMonthsIso } from '../../ui/lib/datefield.js';

test('a day typed day first reads as ISO, whatever the OS region', () => {
  assert.deepEqual(parseDateText('02/12/2026'), { iso: '2026-12-02' });
  assert.deepEqual(parseDateText('2/12/2026'), { iso: '2026-12-02' }, 'no leading zeros');
  assert.deepEqual(parseDateText('  02/12/2026 \t'), { iso: '2026-12-02' }, 'spaces around');
  assert.deepEqual(parseDateText('2.12.2026'), { iso: '2026-12-02' });
  assert.deepEqual(parseDateText('2-12-2026'), { iso: '2026-12-02' });
  assert.deepEqual(parseDateText('02122026'), { iso: '2026-12-02' }, 'digits only');
  assert.deepEqual(parseDateText('2/12/26'), { iso: '2026-12-02' }, 'two-digit year');
});

test('an ISO day pasted in is kept as it is', () => {
  assert.deepEqual(parseDateText('2026-12-02'), { iso: '2026-12-02' });
  assert.deepEqual(parseDateText(' 2026-12-02 '), { iso: '2026-12-02' });
});

test('a day that is not in the calendar is refused', () => {
  assert.deepEqual(parseDateText('31/02/2026'), { iso: null });
  assert.deepEqual(parseDateText('29/02/2025'), { iso: null });
  assert.deepEqual(parseDateText('29/02/2024'), { iso: '2024-02-29' }, 'leap year');
  assert.deepEqual(parseDateText('00/12/2026'), { iso: null });
  assert.deepEqual(parseDateText('12/13/2026'), { iso: null }, 'month first is not read');
  assert.deepEqual(parseDateText('2026-02-30'), { iso: null });
  assert.deepEqual(parseDateText('hôm qua'), { iso: null });
  assert.deepEqual(parseDateText('1/1/0099'), { iso: null });
});

test('empty is empty, not an error', () => {
  assert.deepEqual(parseDateText(''), { iso: '' });
  assert.deepEqual(parseDateText('   '), { iso: '' });
  assert.deepEqual(parseDateText(null), { iso: '' });
});

test('ISO days show as dd/mm/yyyy', () => {
  assert.equal(formatIsoDate('2026-12-02'), '02/12/2026');
  assert.equal(formatIsoDate('1990-01-31'), '31/01/1990');
  assert.equal(formatIsoDate(''), '');
  assert.equal(formatIsoDate('02/12/2026'), '');
  assert.equal(formatIsoDate(undefined), '');
  for (const iso of ['2026-12-02', '2024-02-29', '2000-01-01'])
    assert.deepEqual(parseDateText(formatIsoDate(iso)), { iso }, 'round trip');
});

test('the arrow keys move by calendar days and months', () => {
  assert.equal(addDaysIso('2026-12-31', 1), '2027-01-01');
  assert.equal(addDaysIso('2026-03-01', -1), '2026-02-28');
  assert.equal(addMonthsIso('2026-01-31', 1), '2026-02-28');
  assert.equal(addMonthsIso('2026-01-15', -1), '2025-12-15');
  assert.equal(addMonthsIso('2024-02-29', 12), '2025-02-28');
});

test('times are 24-hour HH:MM whatever the OS region', async () => {
  const { parseTimeText } = await import('../../ui/lib/datefield.js');
  for (const [typed, want] of [
    ['9:30', '09:30'],
    [' 09:30 ', '09:30'],
    ['930', '09:30'],
    ['0930', '09:30'],
    ['9h30', '09:30'],
    ['9h', '09:00'],
    ['21', '21:00'],
    ['2359', '23:59'],
    ['', ''],
    ['24:00', null],
    ['12:60', null],
    ['9:30 PM', null],
    ['abc', null],
  ]) {
    assert.equal(parseTimeText(typed), want, typed);
  }
});

test('the calendar shows six weeks from the Monday on or before the 1st', async () => {
  const { monthGrid } = await import('../../ui/lib/datefield.js');
  const dec = monthGrid(2026, 12); // 1 December 2026 is a Tuesday
  assert.equal(dec.length, 42);
  assert.equal(dec[0], '2026-11-30');
  assert.equal(dec[1], '2026-12-01');
  assert.equal(dec[41], '2027-01-10');
  const feb = monthGrid(2027, 2); // 1 February 2027 is a Monday
  assert.equal(feb[0], '2027-02-01');
  assert.ok(feb.includes('2027-02-28') && !feb.includes('2027-02-29'));
});
