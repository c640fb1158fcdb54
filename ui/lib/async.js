// Small timing helpers shared by the screens. Pure, importable by node tests.

/** Delays fn until `ms` after the last call; .flush() runs a pending call now, .cancel() drops it. */
export function debounce(fn, ms) {
  let timer = null;
  let pending = null;
  const run = () => {
    timer = null;
    const args = pending;
    pending = null;
    if (args) fn(...args);
  };
  const d = (...args) => {
    pending = args;
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
  d.flush = () => {
    clearTimeout(timer);
    run();
  };
  d.cancel = () => {
    clearTimeout(timer);
    timer = null;
    pending = null;
  };
  d.pending = () => pending !== null;
  return d;
}

export const STALE = Symbol('stale');

/**
 * Keeps only the newest of overlapping requests: latest(promise) resolves to the value,
 * or to STALE when a newer request was started meanwhile (or .invalidate() was called),
 * so a slow answer to "09" never overwrites the answer to "0912".
 */
export function latestOnly() {
  let generation = 0;
  const latest = async (promise) => {
    const mine = ++generation;
    try {
      const value = await promise;
      return mine === generation ? value : STALE;
    } catch (err) {
      if (mine !== generation) return STALE;
      throw err;
    }
  };
  latest.invalidate = () => {
    generation++;
  };
  return latest;
}
