// Audit log (#audit, the owner's; #audit/customer=12 or #audit/staff=Minh open it filtered):
// who did what and when, newest first (audit_list, a page at a time with "Load more"), each
// entry's before and after on demand, and a check of the hash chain and its seals
// (audit_verify) that tells whether anything was edited, inserted or deleted behind the app's back.
import * as api from '../lib/api.js';
import { h, fill, icon, clearFieldError, showFieldError } from '../lib/dom.js';
import { ACTION_PREFIXES, buildFilter, parseAuditParam, diffKeys, showValue, shortHash } from '../lib/audit.js';
import { dateInput, dateValue, formatIsoDate } from '../lib/datefield.js';
import { auditEntity, fileName, looksLikePath, templateTitle } from '../lib/names.js';

const FIELDS = ['staff', 'action', 'customer', 'since', 'until'];
let ctx = null;
let els = null;
let state = null; // {fields, entries, total, seq}
let typingTimer = null;

const T = (key, params) => ctx.t(`audit_view.${key}`, params);

function mount(root, context, param) {
  ctx = context;
  const pre = parseAuditParam(param);
  state = { fields: Object.fromEntries(FIELDS.map((k) => [k, pre[k] ?? ''])), entries: [], total: 0, seq: 0 };
  // A day that cannot be read stays marked on its field and asks nothing.
  const onChange = () => {
    if (readFields()) load(true);
  };
  const inputs = {
    staff: h(
      'select',
      { id: 'audit-staff', name: 'staff', onchange: onChange },
      h('option', { value: '' }, T('all_staff')),
      state.fields.staff && h('option', { value: state.fields.staff, selected: true }, state.fields.staff),
    ),
    action: h(
      'select',
      { id: 'audit-action', name: 'action', onchange: onChange },
      h('option', { value: '' }, T('all_actions')),
      ACTION_PREFIXES.map((p) => h('option', { value: p, selected: p === state.fields.action }, T(`prefix.${p}`))),
    ),
    customer: h('input', {
      id: 'audit-customer',
      name: 'customer',
      inputmode: 'numeric',
      autocomplete: 'off',
      class: 'num',
      value: state.fields.customer,
      placeholder: T('customer_placeholder'),
    }),
    since: dateInput({
      id: 'audit-since',
      name: 'since',
      value: state.fields.since,
      placeholder: ctx.t('datefield.placeholder'),
      onchange: onChange,
    }),
    until: dateInput({
      id: 'audit-until',
      name: 'until',
      value: state.fields.until,
      placeholder: ctx.t('datefield.placeholder'),
      onchange: onChange,
    }),
  };
  // A customer id is typed: wait for a pause (or Enter) rather than ask on every digit.
  inputs.customer.addEventListener('input', () => {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(onChange, 400);
  });
  inputs.customer.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      clearTimeout(typingTimer);
      onChange();
    }
  });
  els = {
    inputs,
    tbody: h('tbody'),
    count: h('span', { class: 'range', id: 'audit-count', 'aria-live': 'polite' }),
    more: h(
      'button',
      { type: 'button', class: 'ghost small hidden', id: 'audit-more', onclick: () => load(false) },
      T('more'),
    ),
    verify: h(
      'button',
      { type: 'button', class: 'ghost', id: 'audit-verify', onclick: verify },
      icon('check'),
      T('verify'),
    ),
    verifyResult: h('div', { class: 'audit-verify-result', id: 'audit-verify-result', 'aria-live': 'polite' }),
  };
  const field = (key, label) =>
    h('label', { class: 'field audit-field' }, h('span', { class: 'label' }, T(label)), inputs[key]);
  fill(
    root,
    h(
      'div',
      { class: 'audit-screen', id: 'audit-screen' },
      h(
        'header',
        { class: 'screen-header' },
        h(
          'button',
          { type: 'button', class: 'ghost small', id: 'audit-back', onclick: () => ctx.navigate('settings') },
          icon('back'),
          ctx.t('nav.settings'),
        ),
        h('h1', {}, T('title')),
        h('span', { class: 'spacer' }),
        els.verify,
      ),
      h('p', { class: 'muted intro' }, T('intro')),
      els.verifyResult,
      h(
        'form',
        { class: 'audit-filters card', id: 'audit-filters', novalidate: true, onsubmit: (e) => e.preventDefault() },
        field('staff', 'filter_staff'),
        field('action', 'filter_action'),
        field('customer', 'filter_customer'),
        field('since', 'since'),
        field('until', 'until'),
        h(
          'button',
          { type: 'button', class: 'ghost small', id: 'audit-clear', onclick: clearFilters },
          icon('x'),
          T('clear'),
        ),
      ),
      h(
        'div',
        { class: 'card table-card' },
        h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            { class: 'list audit-table', id: 'audit-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', {}, T('col_time')),
                h('th', {}, T('col_who')),
                h('th', {}, T('col_action')),
                h('th', {}, T('col_entity')),
                h('th', {}, h('span', { class: 'visually-hidden' }, T('details'))),
              ),
            ),
            els.tbody,
          ),
        ),
        h('footer', { class: 'pager' }, els.count, h('span', { class: 'spacer' }), els.more),
      ),
    ),
  );
  loadStaffNames();
  load(true);
}

function unmount() {
  clearTimeout(typingTimer);
  els = null;
}

/** False when a date field holds no readable day. */
function readFields() {
  let ok = true;
  for (const k of FIELDS) {
    const el = els.inputs[k];
    if (el.classList.contains('date-input')) {
      const iso = dateValue(el);
      if (iso === null) ok = false;
      else state.fields[k] = iso;
    } else state.fields[k] = el.value;
  }
  return ok;
}

function clearFilters() {
  for (const k of FIELDS) {
    els.inputs[k].value = '';
    clearFieldError(els.inputs[k]);
  }
  readFields();
  load(true);
  els.inputs.staff.focus();
}

/** Everyone who has an account, active or not, for the "who" filter. */
async function loadStaffNames() {
  const mine = els;
  try {
    const staff = await api.staffList();
    if (els !== mine) return;
    const chosen = els.inputs.staff.value;
    const names = [...new Set([...staff.map((s) => s.name), chosen].filter(Boolean))].sort((a, b) =>
      a.localeCompare(b, ctx.fmt.locale),
    );
    fill(
      els.inputs.staff,
      h('option', { value: '' }, T('all_staff')),
      names.map((n) => h('option', { value: n, selected: n === chosen }, n)),
    );
  } catch {
    /* the filter keeps "everyone"; the list below reports errors */
  }
}

/** reset: a new filter (first page); otherwise the next page after what is shown. */
async function load(reset) {
  const mine = els;
  const seq = ++state.seq;
  for (const k of ['customer', 'since', 'until']) clearFieldError(els.inputs[k]);
  const { filter, error } = buildFilter(state.fields, reset ? 0 : state.entries.length);
  if (error) {
    const input = els.inputs[error === 'range' ? 'until' : error];
    showFieldError(input, T(`invalid_${error}`));
    return;
  }
  if (reset) fill(els.tbody, h('tr', {}, h('td', { class: 'empty', colspan: '5' }, ctx.t('common.loading'))));
  els.more.disabled = true;
  try {
    const page = await api.auditList(filter);
    if (els !== mine || seq !== state.seq) return; // a newer filter is on its way
    state.entries = reset ? page.entries : [...state.entries, ...page.entries];
    state.total = page.total;
    drawRows(reset ? null : page.entries);
  } catch (err) {
    if (els !== mine || seq !== state.seq) return;
    if (reset) fill(els.tbody, h('tr', {}, h('td', { class: 'empty error', colspan: '5' }, ctx.t.error(err))));
    else ctx.showError(err);
  } finally {
    if (els === mine) els.more.disabled = false;
  }
}

/** Draws all entries, or appends `added` (keeping the open details and the focus). */
function drawRows(added) {
  const { fmt } = ctx;
  if (!state.entries.length) fill(els.tbody, h('tr', {}, h('td', { class: 'empty', colspan: '5' }, T('empty'))));
  else if (added) els.tbody.append(...added.flatMap(rowsOf));
  else fill(els.tbody, state.entries.flatMap(rowsOf));
  fill(els.count, T('count', { shown: fmt.number(state.entries.length), total: fmt.number(state.total) }));
  const more = state.entries.length < state.total;
  els.more.classList.toggle('hidden', !more);
  if (!more && document.activeElement === els.more) els.inputs.staff.focus();
}

function actionLabel(action) {
  return ctx.t.has(`audit_view.action.${action}`) ? T(`action.${action}`) : action;
}

function entityLabel(e) {
  const { t } = ctx;
  if (e.entity === 'permission' && e.entity_id && t.has(`permissions.${e.entity_id}`))
    return t(`permissions.${e.entity_id}`);
  const name = t.has(`audit_view.entity.${e.entity}`) ? T(`entity.${e.entity}`) : e.entity;
  let shown =
    e.entity === 'template' && e.entity_name
      ? { ...e, entity_name: templateTitle(t, { name: e.entity_name, builtin: true }) }
      : e;
  // A setting is named as the settings screen names it ("Cài đặt: Ngôn ngữ", not "language").
  if (e.entity === 'setting' && e.entity_id && t.has(`settings.${e.entity_id}`))
    shown = { ...e, entity_name: t(`settings.${e.entity_id}`) };
  return auditEntity(name, shown);
}

function rowsOf(e) {
  const { fmt } = ctx;
  const detailId = `audit-detail-${e.id}`;
  const detail = h('tr', { class: 'audit-detail hidden', id: detailId }, h('td', { colspan: '5' }));
  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'ghost small audit-toggle',
      'aria-expanded': 'false',
      'aria-controls': detailId,
      onclick: () => {
        const open = detail.classList.toggle('hidden') === false;
        toggle.setAttribute('aria-expanded', String(open));
        fill(toggle, T(open ? 'hide_details' : 'details'));
        if (open && !detail.firstChild.firstChild) fill(detail.firstChild, details(e));
      },
    },
    T('details'),
  );
  const denied = e.action === 'auth.denied' || e.action === 'auth.failed' || e.action === 'auth.lockout';
  const row = h(
    'tr',
    { class: ['audit-row', denied && 'denied'], dataset: { id: String(e.id), action: e.action } },
    h('td', { class: 'audit-time' }, fmt.dateTime(e.at)),
    h(
      'td',
      {},
      h('span', { class: 'cell-name' }, actorLabel(e)),
      ' ',
      h('span', { class: ['badge', 'via', `via-${e.via}`] }, viaLabel(e.via)),
      // Which counter, on a shop several counters share (issue 20).
      e.counter && h('span', { class: 'badge via counter-badge', title: T('counter') }, e.counter),
    ),
    h('td', {}, h('span', { class: 'audit-action', title: e.action }, actionLabel(e.action))),
    h(
      'td',
      {},
      h('span', {}, entityLabel(e)),
      e.customer_id && [
        ' · ',
        h(
          'a',
          {
            href: `#profile/${e.customer_id}`,
            class: 'audit-customer',
            title: T('customer_link', { id: e.customer_id }),
          },
          e.customer_name ?? T('customer_link', { id: e.customer_id }),
        ),
      ],
    ),
    h('td', { class: 'row-actions' }, toggle),
  );
  return [row, detail];
}

// Core's own names for who acted when no staff member did: shown in the user's words.
const actorLabel = (e) =>
  e.actor_id == null && ctx.t.has(`audit_view.actor.${e.actor_name}`) ? T(`actor.${e.actor_name}`) : e.actor_name;
const viaLabel = (via) => (ctx.t.has(`audit_view.via.${via}`) ? T(`via.${via}`) : via);

/** What changed (key by key), the raw before/after side by side, and the entry's hashes. */
function details(e) {
  const changes = diffKeys(e.before, e.after);
  const pre = (label, v) =>
    h(
      'div',
      { class: 'audit-json' },
      h('div', { class: 'label' }, label),
      h('pre', {}, v === null || v === undefined ? '—' : JSON.stringify(v, null, 2)),
    );
  return h(
    'div',
    { class: 'audit-details' },
    changes.length
      ? h(
          'table',
          { class: 'audit-diff' },
          h('thead', {}, h('tr', {}, h('th', {}, T('field')), h('th', {}, T('before')), h('th', {}, T('after')))),
          h(
            'tbody',
            {},
            changes.map((c) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, c.key || T('value')),
                h('td', { class: 'before' }, valueCell(c.before)),
                h('td', { class: 'after' }, valueCell(c.after)),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, T('no_data')),
    (e.before !== null || e.after !== null) &&
      h(
        'details',
        { class: 'audit-raw' },
        h('summary', {}, T('raw')),
        h('div', { class: 'audit-json-pair' }, pre(T('before'), e.before), pre(T('after'), e.after)),
      ),
    h(
      'p',
      { class: 'hint audit-hash' },
      T('hash_line', { id: e.id, hash: shortHash(e.hash), prev: shortHash(e.prev_hash) }),
    ),
  );
}

/** A diff cell: a file path shows its name (the whole path on hover), a day dd/mm/yyyy. */
function valueCell(v) {
  if (looksLikePath(v)) return h('span', { class: 'audit-file', title: v }, fileName(v));
  if (typeof v === 'string' && formatIsoDate(v)) return h('span', { title: v }, formatIsoDate(v));
  return showValue(v);
}

async function verify() {
  const { fmt } = ctx;
  const mine = els;
  els.verify.disabled = true;
  fill(els.verifyResult, h('p', { class: 'loading' }, h('span', { class: 'spinner dark' }), T('verifying')));
  try {
    const r = await api.auditVerify();
    if (els !== mine) return;
    // The chain head (newest sealed entry) is what the owner notes down and backups carry.
    const head =
      r.head &&
      h(
        'p',
        { class: 'hint', id: 'audit-verify-head' },
        T('head_line', { id: r.head.id, fingerprint: r.head.fingerprint }),
      );
    fill(
      els.verifyResult,
      r.ok && !r.first_broken
        ? h(
            'div',
            { class: 'notice success', id: 'audit-verify-ok' },
            icon('check'),
            h(
              'span',
              {},
              T('verify_ok', { count: fmt.number(r.entries) }),
              ' ',
              h('code', { class: 'hash', title: r.last_hash ?? '' }, shortHash(r.last_hash ?? '—')),
            ),
          )
        : h(
            'div',
            { class: 'notice error', id: 'audit-verify-broken', role: 'alert' },
            icon('x'),
            r.first_broken
              ? T('verify_broken', { id: r.first_broken.id, reason: T(`reason.${r.first_broken.reason}`) })
              : ctx.t.error(r.problem ?? {}),
          ),
      head,
    );
  } catch (err) {
    if (els === mine)
      fill(
        els.verifyResult,
        h('div', { class: 'notice error', id: 'audit-verify-broken', role: 'alert' }, ctx.t.error(err)),
      );
  } finally {
    if (els === mine) els.verify.disabled = false;
  }
}

export default { mount, unmount };
