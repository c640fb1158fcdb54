// The pure helpers of ui/lib/charts.js (axes, colour scale) and the route filter of the
// customer list (issue 8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  niceMax,
  niceScale,
  ticks,
  scale,
  labelStep,
  mix,
  heatColor,
  heatTextLight,
  compact,
  fitWidth,
  count,
} from '../../ui/lib/charts.js';
import { may } from '../../ui/lib/roles.js';
import { parseRouteFilter } from '../../ui/screens/customers.js';

test('axis maxima and ticks are round numbers that cover the data', () => {
  assert.equal(niceMax(100), 100);
  assert.equal(niceMax(23), 25);
  assert.equal(niceMax(0), 1);
  assert.equal(niceMax(101), 200);
  assert.deepEqual(niceScale(100), { step: 25, top: 100 });
  assert.deepEqual(ticks(100), [0, 25, 50, 75, 100]);
  assert.deepEqual(ticks(257), [0, 100, 200, 300]);
  assert.deepEqual(ticks(7), [0, 2, 4, 6, 8]);
  assert.deepEqual(ticks(0), [0, 0.25, 0.5, 0.75, 1]); // nothing to show still draws an axis
  for (const max of [0.3, 3, 17, 99.9, 1234, 987654]) {
    const t = ticks(max);
    assert.ok(t.at(-1) >= max, `${max} covered`);
    assert.ok(t.length >= 3 && t.length <= 6, `${max}: ${t}`);
  }
});

test('scale maps into the pixel range and clamps', () => {
  assert.equal(scale(50, 100, 200, 0), 100);
  assert.equal(scale(150, 100, 200, 0), 0);
  assert.equal(scale(-5, 100, 200, 0), 200);
  assert.equal(scale(5, 0, 200, 0), 200);
});

test('x labels are thinned when they would overlap', () => {
  assert.equal(labelStep(12, 70, 46), 1);
  assert.equal(labelStep(36, 24, 46), 2);
  assert.equal(labelStep(0, 0, 46), 1);
});

test('heat colours run from pale to the accent; text turns light on dark cells', () => {
  assert.equal(mix('#000000', '#ffffff', 0.5), '#808080');
  assert.equal(mix('#102030', '#102030', 0.7), '#102030');
  assert.equal(heatColor(0), '#f1f7f5');
  assert.equal(heatColor(1), '#0b5e58');
  assert.equal(heatColor(2), '#0b5e58');
  assert.equal(heatColor(null), '#f4f5f2');
  assert.match(heatColor(0.37), /^#[0-9a-f]{6}$/);
  assert.equal(heatTextLight(0.9), true);
  assert.equal(heatTextLight(0.1), false);
  assert.equal(heatTextLight(null), false);
});

test('compact axis numbers follow the locale', () => {
  assert.equal(compact(2500000, 'en-GB'), '2.5m');
  assert.match(compact(2500000, 'vi-VN'), /^2,5\s?Tr$/);
  assert.equal(compact('x', 'en-GB'), '');
});

test('the customer list reads its filter from the route', () => {
  assert.deepEqual(parseRouteFilter('segment=at_risk'), { segment: 'at_risk' });
  assert.deepEqual(parseRouteFilter('stage=retain'), { stage: 'retain' });
  assert.deepEqual(parseRouteFilter('at_risk=1'), { at_risk: true });
  assert.deepEqual(parseRouteFilter('segment=lost&at_risk=true&tag=VIP'), { segment: 'lost', at_risk: true });
  assert.deepEqual(parseRouteFilter('at_risk=0'), {});
  assert.deepEqual(parseRouteFilter('segment=<b>'), {});
  assert.deepEqual(parseRouteFilter(null), {});
  assert.deepEqual(parseRouteFilter('42'), {});
});

test('cohort headers get room for their longest label ("Tháng 10" never runs into "Tháng 11")', () => {
  assert.equal(fitWidth(['T 0', 'T 1'], { min: 64 }), 64);
  const wide = fitWidth(['Tháng 0', 'Tháng 10', 'Tháng 11'], { min: 64, charPx: 7.6, pad: 16 });
  assert.ok(wide >= 8 * 7.6 + 16, String(wide));
  assert.ok(fitWidth(['Month 12'], { min: 0 }) > fitWidth(['M 1'], { min: 0 }));
  assert.equal(fitWidth([], { min: 20 }), 20);
});

test('counts on the CLV chart are grouped in the locale', () => {
  assert.equal(count(1234567, 'vi-VN'), '1.234.567');
  assert.equal(count(1200, 'en-GB'), '1,200');
  assert.equal(count(7, 'vi-VN'), '7');
  assert.equal(count('x', 'vi-VN'), '');
});

test("the shop revenue is the owner's to see", () => {
  assert.equal(may('owner', 'shop_revenue'), true);
  assert.equal(may('cashier', 'shop_revenue'), false);
});
