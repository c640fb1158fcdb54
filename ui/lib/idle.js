// Idle lock (issue 9): the window locks itself when nobody has touched the keyboard, mouse
// or wheel for the shop's idle_lock_minutes. The core keeps its own clock too (it refuses
// calls once the session is idle); this one makes the lock screen appear on time even
// when no call is made. Pure apart from the injected clock and timer, so node can test it.

const MINUTE = 60_000;
export const DEFAULT_MINUTES = 10;
export const MIN_MINUTES = 1;
export const MAX_MINUTES = 240;

/** The idle time in ms; anything outside 1..240 minutes falls back to the default. */
export function idleLimitMs(minutes) {
  const m = Number(minutes);
  return (Number.isFinite(m) && m >= MIN_MINUTES && m <= MAX_MINUTES ? m : DEFAULT_MINUTES) * MINUTE;
}

/** Milliseconds left before the lock is due (0 when due now or overdue). */
export function msUntilLock({ lastActivity, now, minutes }) {
  return Math.max(0, lastActivity + idleLimitMs(minutes) - now);
}

/** Is it time to lock? Never when already locked. */
export function shouldLock({ lastActivity, now, minutes, locked = false }) {
  return !locked && msUntilLock({ lastActivity, now, minutes }) === 0;
}

/**
 * A watcher with one timer: touch() only records the time (it runs on every key press),
 * and when the timer fires it checks again and re-arms for the time still left. A laptop
 * that slept past the limit therefore locks as soon as the timer fires on waking.
 * onIdle() is called once per start(); call start() again after unlocking.
 */
export function createIdleWatcher({
  minutes = DEFAULT_MINUTES,
  onIdle,
  now = Date.now,
  schedule = setTimeout,
  cancel = clearTimeout,
}) {
  let limit = minutes;
  let last = now();
  let timer = null;
  let running = false;

  const arm = () => {
    if (timer !== null) cancel(timer);
    timer = running ? schedule(check, msUntilLock({ lastActivity: last, now: now(), minutes: limit }) + 50) : null;
  };
  function check() {
    timer = null;
    if (!running) return;
    if (shouldLock({ lastActivity: last, now: now(), minutes: limit })) {
      running = false;
      onIdle();
    } else {
      arm();
    }
  }
  return {
    touch() {
      last = now();
    },
    start() {
      last = now();
      running = true;
      arm();
    },
    stop() {
      running = false;
      arm();
    },
    setMinutes(m) {
      limit = m;
      arm();
    },
    get running() {
      return running;
    },
  };
}
