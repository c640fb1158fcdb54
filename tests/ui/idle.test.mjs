import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idleLimitMs, msUntilLock, shouldLock, createIdleWatcher } from '../../ui/lib/idle.js';

const MIN = 60_000;

test('the limit is the shop setting, else 10 minutes', () => {
  assert.equal(idleLimitMs(15), 15 * MIN);
  assert.equal(idleLimitMs('3'), 3 * MIN);
  for (const bad of [0, -1, 241, NaN, null, undefined, 'x']) assert.equal(idleLimitMs(bad), 10 * MIN, String(bad));
});

test('shouldLock once the idle time has passed, never twice', () => {
  const t0 = 1_000_000;
  assert.equal(shouldLock({ lastActivity: t0, now: t0 + 5 * MIN - 1, minutes: 5 }), false);
  assert.equal(shouldLock({ lastActivity: t0, now: t0 + 5 * MIN, minutes: 5 }), true);
  assert.equal(shouldLock({ lastActivity: t0, now: t0 + 50 * MIN, minutes: 5 }), true);
  assert.equal(shouldLock({ lastActivity: t0, now: t0 + 50 * MIN, minutes: 5, locked: true }), false);
  assert.equal(msUntilLock({ lastActivity: t0, now: t0 + MIN, minutes: 5 }), 4 * MIN);
  assert.equal(msUntilLock({ lastActivity: t0, now: t0 + 9 * MIN, minutes: 5 }), 0);
});

/** A fake clock with timers that run when time is advanced. */
function fakeClock() {
  let now = 0;
  let next = 1;
  const timers = new Map();
  return {
    now: () => now,
    schedule: (fn, ms) => {
      timers.set(next, { fn, at: now + ms });
      return next++;
    },
    cancel: (id) => timers.delete(id),
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
    },
    pending: () => timers.size,
  };
}

test('the watcher fires after the idle time, and activity postpones it', () => {
  const clock = fakeClock();
  let fired = 0;
  const w = createIdleWatcher({ minutes: 2, onIdle: () => fired++, ...clock });
  w.start();
  clock.advance(1.5 * MIN);
  w.touch(); // a key press
  clock.advance(1.5 * MIN);
  assert.equal(fired, 0, 'activity 1.5 min ago: not yet');
  clock.advance(0.6 * MIN);
  assert.equal(fired, 1);
  assert.equal(w.running, false);
  clock.advance(10 * MIN);
  assert.equal(fired, 1, 'only once until started again');
  assert.equal(clock.pending(), 0);
  w.start();
  clock.advance(2.1 * MIN);
  assert.equal(fired, 2);
});

test('stop() and a new limit take effect at once', () => {
  const clock = fakeClock();
  let fired = 0;
  const w = createIdleWatcher({ minutes: 10, onIdle: () => fired++, ...clock });
  w.start();
  clock.advance(3 * MIN);
  w.setMinutes(2); // idle for 3 min already: due now
  clock.advance(1000);
  assert.equal(fired, 1);
  w.start();
  w.stop();
  clock.advance(60 * MIN);
  assert.equal(fired, 1);
  assert.equal(clock.pending(), 0);
});
