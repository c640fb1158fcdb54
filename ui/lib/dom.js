// DOM helpers. Everything is built with createElement, never from HTML strings: that keeps
// the strict CSP happy (it refuses inline style attributes) and customer data inert.

/**
 * h('button', {class: 'primary', onclick: fn, dataset: {id: 1}}, 'Save')
 * Attributes: on* -> listener; class/dataset/value/checked/disabled handled as properties;
 * null/false skip the attribute. Children: strings, nodes, arrays, null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces the children of el. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// Line icons (24×24, stroked with currentColor), drawn as SVG paths.
const ICONS = {
  counter: 'M3 10h18M5 10V6a1 1 0 0 1 1-1h12a1 1 0 0 1 1 1v4M4 10l1 9a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1l1-9M9 14h6',
  customers:
    'M16 20v-1a4 4 0 0 0-4-4H7a4 4 0 0 0-4 4v1M9.5 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7M21 20v-1' +
    'a4 4 0 0 0-3-3.9M15.5 4.1a3.5 3.5 0 0 1 0 6.8',
  reminders: 'M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9M10.3 21a1.9 1.9 0 0 0 3.4 0',
  reports: 'M4 20V10M10 20V4M16 20v-7M22 20H2',
  settings:
    'M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1' +
    'a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1' +
    'a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1' +
    'a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1' +
    'a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9' +
    'a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1' +
    'a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1' +
    'a1.7 1.7 0 0 0-1.5 1',
  search: 'M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14M21 21l-5-5',
  back: 'M15 18l-6-6 6-6',
  check: 'M20 6L9 17l-5-5',
  plus: 'M12 5v14M5 12h14',
  x: 'M18 6L6 18M6 6l12 12',
  lock: 'M6 11h12v10H6zM8 11V7a4 4 0 0 1 8 0v4',
  store: 'M3 9l1.5-5h15L21 9M3 9v11h18V9M3 9h18M9 20v-6h6v6',
  star: 'M12 3l2.8 5.7 6.2.9-4.5 4.4 1 6.2L12 17.3 6.5 20.2l1-6.2L3 9.6l6.2-.9z',
  archive: 'M21 8v12H3V8M1 4h22v4H1zM10 12h4',
  refund: 'M9 14L4 9l5-5M4 9h11a5 5 0 0 1 0 10h-4',
  award: 'M12 15a6 6 0 1 0 0-12 6 6 0 0 0 0 12M8.2 13.9L7 22l5-3 5 3-1.2-8.1',
  print: 'M6 9V3h12v6M6 18H4a1 1 0 0 1-1-1v-6a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v6a1 1 0 0 1-1 1h-2M6 14h12v7H6z',
  transfer: 'M7 4v13M3 13l4 4 4-4M17 20V7M13 11l4-4 4 4',
  merge: 'M6 3v6a6 6 0 0 0 6 6h0a6 6 0 0 1 6 6M18 3v6a6 6 0 0 1-3 5.2M6 21v0',
  sparkle: 'M12 3v4M12 17v4M3 12h4M17 12h4M6 6l2.5 2.5M15.5 15.5L18 18M6 18l2.5-2.5M15.5 8.5L18 6',
  folder: 'M3 6a1 1 0 0 1 1-1h5l2 2h9a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1z',
  info: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18M12 11v5M12 8h.01',
  download: 'M12 4v11M7 10l5 5 5-5M5 20h14',
  clock: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18M12 7v5l3 2',
};

export function icon(name, cls = 'icon') {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', cls);
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(NS, 'path');
  path.setAttribute('d', ICONS[name] ?? '');
  svg.append(path);
  return svg;
}

/** Removes the in-place error messages inside a form (or any container). */
export function clearFieldErrors(root) {
  root.querySelectorAll('.field-error').forEach((e) => e.remove());
  root.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
}

/** Removes the in-place error of one input, if any. */
export function clearFieldError(input) {
  const next = input?.nextElementSibling;
  if (next?.classList.contains('field-error')) next.remove();
  input?.removeAttribute('aria-invalid');
  input?.removeAttribute('aria-describedby');
}

/**
 * Puts a message right after the input it concerns (element with class "field-error",
 * as the end-to-end tests expect). `extra` may add e.g. a button ("open that customer").
 */
export function showFieldError(input, message, extra = null) {
  const next = input.nextElementSibling;
  if (next?.classList.contains('field-error')) next.remove();
  const id = `${input.id || input.name || 'field'}-error`;
  const box = h('div', { class: 'field-error', id, role: 'alert' }, message, extra);
  input.after(box);
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', id);
  return box;
}

/**
 * Like showFieldError, but the message goes after `below` (e.g. the box holding the input
 * and its unit) rather than inside it; the input itself is marked invalid.
 */
export function showFieldErrorBelow(input, below, message) {
  const box = showFieldError(below, message);
  box.id = `${input.id || input.name || 'field'}-error`;
  below.removeAttribute('aria-invalid');
  below.removeAttribute('aria-describedby');
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', box.id);
  return box;
}

let toastRegion = null;
/** A short message at the bottom of the window; kind: 'info' | 'success' | 'error'. */
export function toast(message, kind = 'info', ms = kind === 'error' ? 7000 : 3500) {
  if (!toastRegion) {
    toastRegion = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toastRegion);
  }
  const el = h('div', { class: ['toast', kind] }, message);
  const close = () => el.remove();
  el.append(h('button', { class: 'toast-close', type: 'button', 'aria-label': '×', onclick: close }, icon('x')));
  toastRegion.append(el);
  setTimeout(close, ms);
}

/** A modal confirmation (<dialog>); resolves true when the user confirms. */
export function confirmDialog({ title, body, confirm, cancel, danger = false }) {
  return new Promise((resolve) => {
    const done = (ok) => {
      dlg.close();
      dlg.remove();
      resolve(ok);
    };
    const dlg = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': 'dialog-title' },
      h('h2', { id: 'dialog-title' }, title),
      h('p', {}, body),
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'ghost', id: 'dialog-cancel', onclick: () => done(false) }, cancel),
        h(
          'button',
          { type: 'button', class: danger ? 'danger' : 'primary', id: 'dialog-confirm', onclick: () => done(true) },
          confirm,
        ),
      ),
    );
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dlg);
    dlg.showModal();
    dlg.querySelector('#dialog-cancel').focus();
  });
}

/** Sets an input's value and caret after reformatting (used by the amount inputs). */
export function bindAmountInput(input, fmt, onValue = () => {}) {
  const reformat = () => {
    const r = fmt.amountTyping(input.value, input.selectionStart ?? input.value.length);
    if (input.value !== r.text) {
      input.value = r.text;
      if (document.activeElement === input) input.setSelectionRange(r.caret, r.caret);
    }
    input.dataset.value = r.value;
    onValue(r.value);
  };
  input.addEventListener('input', reformat);
  reformat();
  return reformat;
}
