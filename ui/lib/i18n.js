// Message lookup with {placeholder} substitution. Pure (no DOM, no fetch) so node tests
// can import it; app.js loads the catalogs.
//
// Catalog layout: nested sections for interface text ("nav.counter" -> catalog.nav.counter)
// and one flat top-level "errors" object keyed by error code ("customer.phone_taken"),
// which the Rust side also reads; codes contain dots, so they are never path-split.

/** Replaces {name} with params.name; unknown placeholders stay visible rather than vanish. */
export function interpolate(template, params = {}) {
  return template.replace(/\{(\w+)\}/g, (whole, key) =>
    params[key] === undefined || params[key] === null ? whole : String(params[key]),
  );
}

function lookup(catalog, key) {
  let node = catalog;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = node[part];
  }
  return typeof node === 'string' ? node : undefined;
}

/**
 * Returns t(key, params) for one language, falling back to a second catalog and finally
 * to the key itself (a missing text is then obvious in screenshots and tests).
 * t.error(err) turns a rejected {code, message, params} into a sentence.
 */
export function createTranslator(catalog, fallback = {}) {
  const t = (key, params) => {
    const s = lookup(catalog, key) ?? lookup(fallback, key);
    return s === undefined ? key : interpolate(s, params);
  };
  t.has = (key) => lookup(catalog, key) !== undefined;
  t.error = (err) => {
    const code = err?.code;
    const params = err?.params ?? {};
    // Our own catalog first, so the sentence follows a language switch made after the call.
    const own = catalog.errors?.[code] ?? fallback.errors?.[code];
    if (own) return interpolate(own, params);
    if (typeof err?.message === 'string' && err.message && err.message !== code) return err.message;
    return t('common.error_unknown');
  };
  return t;
}

/** Every key path of a catalog ("nav.counter", "errors.customer.not_found"), for tests. */
export function keyPaths(catalog, prefix = '') {
  return Object.entries(catalog).flatMap(([k, v]) => {
    if (prefix === '' && k === 'errors') return Object.keys(v).map((c) => `errors.${c}`);
    const path = prefix ? `${prefix}.${k}` : k;
    return v !== null && typeof v === 'object' ? keyPaths(v, path) : [path];
  });
}
