// The one date field of the app (issue 15 item 6). <input type=date> in WebKitGTK shows the
// operating system's region (12/02/2026 for 2 December on an en_US desktop), so dates are
// typed and shown as dd/mm/yyyy text whatever the OS says, and read back as ISO yyyy-mm-dd.
// The parsing and formatting are pure so node tests can import them.
import { h } from './dom.js';

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** "2026-12-02" -> "02/12/2026"; '' for anything that is not an ISO day. */
export function formatIsoDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso ?? '').trim());
  return m ? `${m[3]}/${m[2]}/${m[1]}` : '';
}

function daysIn(y, m) {
  // Date.UTC maps years 0..99 to 1900..1999: build the date with setUTCFullYear instead.
  const x = new Date(0);
  x.setUTCFullYear(y, m, 0);
  return x.getUTCDate();
}

/**
 * What was typed -> {iso} ('' when empty) or {iso: null} when it is no day.
 * Day first: "2/12/2026", "02.12.2026", "02-12-2026", "02122026", "2/12/26" (20xx);
 * an ISO "2026-12-02" (a paste) is read as it is. Spaces around are ignored.
 */
export function parseDateText(text) {
  const s = String(text ?? '').trim();
  if (s === '') return { iso: '' };
  let y;
  let m;
  let d;
  let x = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (x) [, y, m, d] = x;
  else if ((x = /^(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})\s*[/.\-\s]\s*(\d{4}|\d{2})$/.exec(s))) [, d, m, y] = x;
  else if ((x = /^(\d{2})(\d{2})(\d{4})$/.exec(s))) [, d, m, y] = x;
  else return { iso: null };
  y = Number(y.length === 2 ? `20${y}` : y);
  m = Number(m);
  d = Number(d);
  if (y < 1000 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m)) return { iso: null };
  return { iso: `${pad(y, 4)}-${pad(m)}-${pad(d)}` };
}

/** ISO day plus n days (n may be negative), in the calendar (no time zone involved). */
export function addDaysIso(iso, n) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso ?? '');
  if (!m) return iso;
  const x = new Date(0);
  x.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + n);
  return `${pad(x.getUTCFullYear(), 4)}-${pad(x.getUTCMonth() + 1)}-${pad(x.getUTCDate())}`;
}

/** ISO day plus n calendar months, the day clamped to the month's last ("31/01" + 1 -> "28/02"). */
export function addMonthsIso(iso, n) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso ?? '');
  if (!m) return iso;
  const total = Number(m[1]) * 12 + Number(m[2]) - 1 + n;
  const y = Math.floor(total / 12);
  const mo = (total % 12) + 1;
  return `${pad(y, 4)}-${pad(mo)}-${pad(Math.min(Number(m[3]), daysIn(y, mo)))}`;
}

/**
 * A date input: attrs as for h('input') plus value/min/max as ISO days. The text shows
 * dd/mm/yyyy; dateValue(input) gives the ISO day back. Up/Down move a day, PageUp/PageDown
 * a month, each followed by a change event. A click or Alt+Down (F4) opens a month calendar
 * (arrows, Enter, Escape). An unreadable or out-of-range text marks the field aria-invalid
 * and reads as null.
 */
export function dateInput(attrs = {}) {
  const { value = '', min = null, max = null, onchange = null, placeholder = 'dd/mm/yyyy', ...rest } = attrs;
  const input = h('input', {
    ...rest,
    type: 'text',
    class: ['date-input', rest.class],
    inputmode: 'numeric',
    autocomplete: 'off',
    maxlength: '20',
    placeholder,
    spellcheck: 'false',
    value: formatIsoDate(value),
  });
  input.dataset.iso = formatIsoDate(value) ? value : '';
  if (min) input.dataset.min = min;
  if (max) input.dataset.max = max;
  const normalise = () => {
    const iso = readDate(input);
    if (iso) input.value = formatIsoDate(iso);
  };
  input.addEventListener('change', normalise);
  input.addEventListener('click', () => openCalendar(input));
  input.addEventListener('keydown', (e) => {
    if ((e.altKey && e.key === 'ArrowDown') || e.key === 'F4') {
      e.preventDefault();
      openCalendar(input, true);
      return;
    }
    if (e.key === 'Escape' && closeCalendar()) {
      e.preventDefault();
      e.stopPropagation();
      return;
    }
    if (e.key === 'Tab') closeCalendar();
    const step = { ArrowUp: [1, 0], ArrowDown: [-1, 0], PageUp: [0, 1], PageDown: [0, -1] }[e.key];
    if (!step || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    const base = readDate(input) || input.dataset.min || input.dataset.max || null;
    if (!base) return;
    const next = clamp(input, step[1] ? addMonthsIso(base, step[1]) : addDaysIso(base, step[0]));
    setDateValue(input, next);
    input.dispatchEvent(new Event('change', { bubbles: true }));
  });
  if (onchange) input.addEventListener('change', onchange);
  return input;
}

function clamp(input, iso) {
  if (input.dataset.min && iso < input.dataset.min) return input.dataset.min;
  if (input.dataset.max && iso > input.dataset.max) return input.dataset.max;
  return iso;
}

/** Reads and validates: the ISO day, '' when empty, null when no day or out of range. */
function readDate(input) {
  const { iso } = parseDateText(input.value);
  const bad =
    iso === null ||
    (iso && ((input.dataset.min && iso < input.dataset.min) || (input.dataset.max && iso > input.dataset.max)));
  if (bad) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
  input.dataset.iso = bad ? '' : iso;
  return bad ? null : iso;
}

/** The ISO day of a date input, '' when empty, null when what is typed is no valid day. */
export function dateValue(input) {
  return readDate(input);
}

/** Puts an ISO day into a date input (shown as dd/mm/yyyy). */
export function setDateValue(input, iso) {
  input.value = formatIsoDate(iso);
  input.dataset.iso = input.value ? iso : '';
  input.removeAttribute('aria-invalid');
}

/** Changes the allowed range (ISO days, or null for none). */
export function setDateRange(input, { min, max } = {}) {
  if (min !== undefined) {
    if (min) input.dataset.min = min;
    else delete input.dataset.min;
  }
  if (max !== undefined) {
    if (max) input.dataset.max = max;
    else delete input.dataset.max;
  }
}

/**
 * A time typed as the shop writes it -> "HH:MM" ('' when empty, null when no time):
 * "9:30", "09:30", "930", "0930", "9h30", "9h", "21". 24-hour, like dates, whatever the
 * OS region (<input type=time> shows 9:30 AM on an American desktop).
 */
export function parseTimeText(text) {
  const s = String(text ?? '')
    .trim()
    .toLowerCase();
  if (s === '') return '';
  const m = /^(\d{1,2})(?:\s*[:h.]\s*(\d{1,2})?)?$/.exec(s) ?? /^(\d{1,2})(\d{2})$/.exec(s);
  if (!m) return null;
  const hh = Number(m[1]);
  const mm = Number(m[2] ?? 0);
  if (hh > 23 || mm > 59) return null;
  return `${pad(hh)}:${pad(mm)}`;
}

/** A time input (text, "hh:mm"): what is typed is normalised to HH:MM when it is left. */
export function timeInput(attrs = {}) {
  const { placeholder = 'hh:mm', ...rest } = attrs;
  const input = h('input', {
    ...rest,
    type: 'text',
    class: ['time-input', rest.class],
    inputmode: 'numeric',
    autocomplete: 'off',
    maxlength: '8',
    placeholder,
    spellcheck: 'false',
  });
  input.addEventListener('change', () => {
    const v = parseTimeText(input.value);
    if (v === null) input.setAttribute('aria-invalid', 'true');
    else {
      input.removeAttribute('aria-invalid');
      input.value = v;
    }
  });
  return input;
}

/** The 42 days (6 weeks, Monday first) shown for a month (1-12), as ISO days. */
export function monthGrid(year, month) {
  const first = `${pad(year, 4)}-${pad(month)}-01`;
  const x = new Date(0);
  x.setUTCFullYear(year, month - 1, 1);
  const back = (x.getUTCDay() + 6) % 7; // days since Monday
  const start = addDaysIso(first, -back);
  return Array.from({ length: 42 }, (_, i) => addDaysIso(start, i));
}

let open = null; // {input, box, onDoc}
// Another screen: the calendar of a field that is gone goes too.
if (typeof window !== 'undefined') window.addEventListener('hashchange', () => closeCalendar());

function closeCalendar() {
  if (!open) return false;
  open.box.remove();
  document.removeEventListener('mousedown', open.onDoc, true);
  open = null;
  return true;
}

/** The month calendar under `input`; focusGrid moves the focus into it (keyboard). */
function openCalendar(input, focusGrid = false) {
  if (open?.input === input) {
    if (focusGrid) open.box.querySelector('[tabindex="0"]')?.focus();
    return;
  }
  closeCalendar();
  const locale = document.documentElement.lang === 'en' ? 'en-GB' : 'vi-VN';
  const today = new Date();
  const todayIso = `${pad(today.getFullYear(), 4)}-${pad(today.getMonth() + 1)}-${pad(today.getDate())}`;
  let focus = readDate(input) || input.dataset.min || todayIso;
  const box = h('div', {
    class: 'date-popup',
    role: 'dialog',
    'aria-label': input.getAttribute('aria-label') ?? input.placeholder,
  });
  const outOf = (iso) =>
    (input.dataset.min && iso < input.dataset.min) || (input.dataset.max && iso > input.dataset.max);
  const pick = (iso) => {
    if (outOf(iso)) return;
    setDateValue(input, iso);
    closeCalendar();
    input.focus();
    input.dispatchEvent(new Event('change', { bubbles: true }));
  };
  const draw = (focusIt) => {
    const [y, m] = focus.split('-').map(Number);
    const title = new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
      new Date(Date.UTC(y, m - 1, 15)),
    );
    const names = monthGrid(2024, 1)
      .slice(0, 7)
      .map((iso) =>
        new Intl.DateTimeFormat(locale, { weekday: 'narrow', timeZone: 'UTC' }).format(new Date(`${iso}T12:00:00Z`)),
      );
    const chosen = input.dataset.iso;
    const move = (n, months = false) => {
      focus = months ? addMonthsIso(focus, n) : addDaysIso(focus, n);
      draw(true);
    };
    box.replaceChildren(
      h(
        'div',
        { class: 'date-popup-head' },
        h(
          'button',
          { type: 'button', class: 'ghost small', tabindex: '-1', 'aria-label': '‹', onclick: () => move(-1, true) },
          '‹',
        ),
        h('span', { class: 'date-popup-title', 'aria-live': 'polite' }, title),
        h(
          'button',
          { type: 'button', class: 'ghost small', tabindex: '-1', 'aria-label': '›', onclick: () => move(1, true) },
          '›',
        ),
      ),
      h(
        'div',
        { class: 'date-popup-grid', role: 'grid' },
        names.map((n) => h('span', { class: 'date-popup-dow', 'aria-hidden': 'true' }, n)),
        monthGrid(y, m).map((iso) =>
          h(
            'button',
            {
              type: 'button',
              tabindex: iso === focus ? '0' : '-1',
              disabled: !!outOf(iso),
              dataset: { iso },
              class: [
                'date-popup-day',
                iso.slice(0, 7) !== focus.slice(0, 7) && 'other',
                iso === chosen && 'chosen',
                iso === todayIso && 'today',
              ],
              'aria-label': formatIsoDate(iso),
              'aria-pressed': String(iso === chosen),
              onclick: () => pick(iso),
              onkeydown: (e) => {
                const k = {
                  ArrowLeft: [-1],
                  ArrowRight: [1],
                  ArrowUp: [-7],
                  ArrowDown: [7],
                  PageUp: [-1, true],
                  PageDown: [1, true],
                }[e.key];
                if (k) {
                  e.preventDefault();
                  move(k[0], k[1]);
                } else if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  pick(iso);
                } else if (e.key === 'Escape') {
                  e.preventDefault();
                  e.stopPropagation();
                  closeCalendar();
                  input.focus();
                } else if (e.key === 'Tab') {
                  e.preventDefault();
                  closeCalendar();
                  input.focus();
                }
              },
            },
            String(Number(iso.slice(8))),
          ),
        ),
      ),
    );
    if (focusIt) box.querySelector('[tabindex="0"]')?.focus();
  };
  draw(false);
  const r = input.getBoundingClientRect();
  const below = r.bottom + 4;
  box.style.left = `${Math.max(4, Math.min(r.left, innerWidth - 264))}px`;
  box.style.top = `${below + 280 > innerHeight ? Math.max(4, r.top - 284) : below}px`;
  (input.closest('dialog') ?? document.body).append(box);
  const onDoc = (e) => {
    if (!input.isConnected || (!box.contains(e.target) && e.target !== input)) closeCalendar();
  };
  document.addEventListener('mousedown', onDoc, true);
  open = { input, box, onDoc };
  if (focusGrid) box.querySelector('[tabindex="0"]')?.focus();
}
