// Customer list: one page at a time from customer_list (never the whole table),
// with search, sortable columns, tag / source filters and paging.
import * as api from '../lib/api.js';
import { h, fill, icon } from '../lib/dom.js';
import { debounce, latestOnly, STALE } from '../lib/async.js';

const PAGE_SIZE = 50;
const SOURCES = ['walk_in', 'facebook', 'zalo', 'referral', 'other'];
// Sortable columns: contract sort key -> header label key; numbers and dates sort newest/largest first.
const COLUMNS = [
  { key: 'name', sort: 'name', label: 'customers.col_name' },
  { key: 'phone', label: 'customers.col_phone' },
  { key: 'tags', label: 'customers.col_tags' },
  { key: 'visits', sort: 'visits', label: 'customers.col_visits', num: true },
  { key: 'total_spent', sort: 'total_spent', label: 'customers.col_total_spent', num: true },
  { key: 'last_visit', sort: 'last_visit', label: 'customers.col_last_visit', num: true },
];

// Kept across mounts so coming back from a profile shows the same page.
const state = { search: '', sort: 'name', desc: false, tag: '', source: '', includeArchived: false, offset: 0, total: 0, rows: [], loaded: false };

let ctx = null;
let els = null;
const latest = latestOnly();
const reloadSoon = debounce(() => { state.offset = 0; load(); }, 200);

async function load() {
  const query = {
    sort: state.sort, desc: state.desc, offset: state.offset, limit: PAGE_SIZE,
    ...(state.search.trim() ? { search: state.search.trim() } : {}),
    ...(state.tag ? { tag: state.tag } : {}),
    ...(state.source ? { source: state.source } : {}),
    ...(state.includeArchived ? { include_archived: true } : {}),
  };
  try {
    const page = await latest(api.customerList(query));
    if (page === STALE || !els) return;
    Object.assign(state, { total: page.total, rows: page.rows, loaded: true });
    renderTable();
  } catch (err) {
    ctx.showError(err);
  }
}

async function loadTags() {
  try {
    const tags = await api.customerTags();
    if (!els) return;
    fill(els.tagSelect, h('option', { value: '' }, ctx.t('customers.all_tags')),
      tags.map((tag) => h('option', { value: tag, selected: tag === state.tag }, tag)));
  } catch (err) {
    ctx.showError(err);
  }
}

function mount(root, context) {
  ctx = context;
  const { t } = ctx;
  const search = h('input', {
    id: 'customers-search', type: 'search', class: 'search-input small', value: state.search, autocomplete: 'off',
    placeholder: t('customers.search_placeholder'), 'aria-label': t('customers.search_placeholder'),
    oninput: (e) => { state.search = e.target.value; reloadSoon(); },
    onkeydown: (e) => { if (e.key === 'ArrowDown') { e.preventDefault(); els.tbody.querySelector('tr')?.focus(); } },
  });
  const filter = (key) => (e) => { state[key] = e.target.value; state.offset = 0; load(); };
  const tagSelect = h('select', { id: 'customers-tag', 'aria-label': t('fields.tags'), onchange: filter('tag') },
    h('option', { value: '' }, t('customers.all_tags')), state.tag && h('option', { value: state.tag, selected: true }, state.tag));
  const sourceSelect = h('select', { id: 'customers-source', 'aria-label': t('fields.source'), onchange: filter('source') },
    h('option', { value: '' }, t('customers.all_sources')),
    SOURCES.map((s) => h('option', { value: s, selected: s === state.source }, t(`source.${s}`))));
  const archived = h('label', { class: 'check' },
    h('input', { type: 'checkbox', id: 'customers-archived', checked: state.includeArchived,
      onchange: (e) => { state.includeArchived = e.target.checked; state.offset = 0; load(); } }),
    t('customers.include_archived'));
  els = {
    tagSelect, thead: h('thead'), tbody: h('tbody'), range: h('span', { class: 'range', 'aria-live': 'polite' }),
    prev: h('button', { type: 'button', class: 'ghost small', id: 'customers-prev', onclick: () => page(-1) }, icon('back'), t('common.previous')),
    next: h('button', { type: 'button', class: 'ghost small', id: 'customers-next', onclick: () => page(1) }, t('common.next'), icon('back', 'icon flip')),
  };
  fill(root, h('div', { class: 'customers' },
    h('header', { class: 'screen-header' }, h('h1', {}, t('customers.title')),
      h('div', { class: 'toolbar' }, h('div', { class: 'search-box small' }, icon('search', 'icon search-icon'), search), tagSelect, sourceSelect, archived,
        h('a', { href: '#duplicates', class: 'button-link ghost small', id: 'customers-duplicates' }, icon('merge'), t('duplicates.title')))),
    h('div', { class: 'card table-card' },
      h('div', { class: 'table-scroll' }, h('table', { class: 'list', id: 'customers-table' }, els.thead, els.tbody)),
      h('footer', { class: 'pager' }, els.range, h('span', { class: 'spacer' }), els.prev, els.next))));
  renderHeader();
  if (state.loaded) renderTable();
  loadTags();
  load();
  search.focus();
}

function unmount() {
  reloadSoon.cancel();
  latest.invalidate();
  els = null;
}

function page(delta) {
  const offset = state.offset + delta * PAGE_SIZE;
  if (offset < 0 || offset >= state.total) return;
  state.offset = offset;
  load();
}

function sortBy(key) {
  if (state.sort === key) state.desc = !state.desc;
  else Object.assign(state, { sort: key, desc: key !== 'name' });
  state.offset = 0;
  renderHeader();
  load();
}

function renderHeader() {
  const { t } = ctx;
  fill(els.thead, h('tr', {}, COLUMNS.map((c) => {
    if (!c.sort) return h('th', {}, t(c.label));
    const active = state.sort === c.sort;
    return h('th', { class: c.num && 'num', 'aria-sort': active ? (state.desc ? 'descending' : 'ascending') : 'none' },
      h('button', { type: 'button', class: ['sort', active && 'active'], id: `sort-${c.sort}`,
        title: t('customers.sort_by', { column: t(c.label) }), onclick: () => sortBy(c.sort) },
      t(c.label), h('span', { class: 'sort-arrow', 'aria-hidden': 'true' }, active ? (state.desc ? '▼' : '▲') : '')));
  })));
}

function renderTable() {
  const { t, fmt } = ctx;
  const filtered = state.search || state.tag || state.source;
  fill(els.tbody, state.rows.length ? state.rows.map((r) => h('tr', {
    tabindex: '0', class: ['row', r.archived && 'archived'], dataset: { id: r.id },
    onclick: () => ctx.navigate('profile', r.id),
    onkeydown: onRowKeydown,
  },
  h('td', {}, h('div', { class: 'cell-name' }, r.name), r.code && h('div', { class: 'cell-sub' }, r.code)),
  h('td', { class: 'phone' }, r.phone_display),
  h('td', {}, r.tags.map((tag) => h('span', { class: 'tag' }, tag)), r.archived && h('span', { class: 'badge muted' }, t('counter.archived'))),
  h('td', { class: 'num' }, fmt.number(r.visits)),
  h('td', { class: 'num' }, fmt.money(r.total_spent)),
  h('td', { class: 'num' }, r.last_purchase_at ? fmt.date(r.last_purchase_at) : t('common.none'))))
    : h('tr', {}, h('td', { colspan: String(COLUMNS.length), class: 'empty' }, t(filtered ? 'customers.empty_filtered' : 'customers.empty'))));
  const from = state.total ? state.offset + 1 : 0;
  const to = state.offset + state.rows.length;
  els.range.textContent = t('customers.range', { from: fmt.number(from), to: fmt.number(to), total: fmt.number(state.total) });
  els.prev.disabled = state.offset === 0;
  els.next.disabled = to >= state.total;
}

function onRowKeydown(e) {
  const row = e.currentTarget;
  if (e.key === 'Enter') ctx.navigate('profile', row.dataset.id);
  else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    (e.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling)?.focus();
  } else if (e.key === 'PageDown' || e.key === 'PageUp') {
    e.preventDefault();
    page(e.key === 'PageDown' ? 1 : -1);
  }
}

export default { mount, unmount };
