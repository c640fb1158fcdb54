// Customer list: one page at a time from customer_list (never the whole table),
// with search, sortable columns, tag / source filters and paging, and a bulk message
// (issue 7): a template rendered for every customer the filter matches, exported as CSV.
// Retention analytics (issue 8): the route may carry a filter (#customers/segment=at_risk,
// stage=retain, at_risk=1), shown as a removable chip and passed to customer_list and to
// the bulk message; rows show the segment, P(alive) and CLV when the back end fills them.
import * as api from '../lib/api.js';
import { h, fill, icon, toast } from '../lib/dom.js';
import { debounce, latestOnly, STALE } from '../lib/async.js';
import {
  careIcon,
  fieldLabel,
  shopToday,
  preferredTemplate,
  openReminderDialog,
  formDialog,
} from '../lib/care-dialogs.js';
import { templateTitle } from '../lib/names.js';

const PAGE_SIZE = 50;
// Route filters (key=value pairs joined by &) and the values they accept.
const ANALYTICS_KEYS = ['segment', 'stage', 'at_risk'];

/** "segment=at_risk&at_risk=1" -> {segment: 'at_risk', at_risk: true}; unknown keys are dropped. */
export function parseRouteFilter(param) {
  const out = {};
  for (const pair of String(param ?? '').split(/[&;,]/)) {
    const i = pair.indexOf('=');
    if (i < 1) continue;
    const key = pair.slice(0, i).trim();
    const value = pair.slice(i + 1).trim();
    if (!ANALYTICS_KEYS.includes(key) || !value) continue;
    if (key === 'at_risk') {
      if (/^(1|true|yes)$/i.test(value)) out.at_risk = true;
    } else if (/^[a-z_]{1,40}$/.test(value)) out[key] = value;
  }
  return out;
}
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
const state = {
  search: '',
  sort: 'name',
  desc: false,
  tag: '',
  source: '',
  analytics: {},
  includeArchived: false,
  offset: 0,
  total: 0,
  // customer_list counts up to 1,000 (or the page's end): more match when this is set.
  totalCapped: false,
  rows: [],
  loaded: false,
};

let ctx = null;
let els = null;
const latest = latestOnly();
const reloadSoon = debounce(() => {
  state.offset = 0;
  load();
}, 200);

async function load() {
  const query = {
    sort: state.sort,
    desc: state.desc,
    offset: state.offset,
    limit: PAGE_SIZE,
    ...(state.search.trim() ? { search: state.search.trim() } : {}),
    ...(state.tag ? { tag: state.tag } : {}),
    ...(state.source ? { source: state.source } : {}),
    ...(state.includeArchived ? { include_archived: true } : {}),
    ...state.analytics,
  };
  try {
    const page = await latest(api.customerList(query));
    if (page === STALE || !els) return;
    Object.assign(state, { total: page.total, totalCapped: !!page.total_capped, rows: page.rows, loaded: true });
    renderTable();
  } catch (err) {
    ctx.showError(err);
  }
}

async function loadTags() {
  try {
    const tags = await api.customerTags();
    if (!els) return;
    fill(
      els.tagSelect,
      h('option', { value: '' }, ctx.t('customers.all_tags')),
      tags.map((tag) => h('option', { value: tag, selected: tag === state.tag }, tag)),
    );
  } catch (err) {
    ctx.showError(err);
  }
}

function mount(root, context, param) {
  ctx = context;
  const { t } = ctx;
  if (param) {
    // Opened from a report: show exactly that group, from the first page.
    const analytics = parseRouteFilter(param);
    if (Object.keys(analytics).length)
      Object.assign(state, { analytics, search: '', tag: '', source: '', offset: 0, rows: [], loaded: false });
  }
  const search = h('input', {
    id: 'customers-search',
    type: 'search',
    class: 'search-input small',
    value: state.search,
    autocomplete: 'off',
    placeholder: t('customers.search_placeholder'),
    'aria-label': t('customers.search_placeholder'),
    oninput: (e) => {
      state.search = e.target.value;
      reloadSoon();
    },
    onkeydown: (e) => {
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        els.tbody.querySelector('tr')?.focus();
      }
    },
  });
  const filter = (key) => (e) => {
    state[key] = e.target.value;
    state.offset = 0;
    load();
  };
  const tagSelect = h(
    'select',
    { id: 'customers-tag', 'aria-label': t('fields.tags'), onchange: filter('tag') },
    h('option', { value: '' }, t('customers.all_tags')),
    state.tag && h('option', { value: state.tag, selected: true }, state.tag),
  );
  const sourceSelect = h(
    'select',
    { id: 'customers-source', 'aria-label': t('fields.source'), onchange: filter('source') },
    h('option', { value: '' }, t('customers.all_sources')),
    SOURCES.map((s) => h('option', { value: s, selected: s === state.source }, t(`source.${s}`))),
  );
  const archived = h(
    'label',
    { class: 'check' },
    h('input', {
      type: 'checkbox',
      id: 'customers-archived',
      checked: state.includeArchived,
      onchange: (e) => {
        state.includeArchived = e.target.checked;
        state.offset = 0;
        load();
      },
    }),
    t('customers.include_archived'),
  );
  els = {
    tagSelect,
    chips: h('span', { class: 'filter-chips', id: 'customers-filter-chips' }),
    analyticsShown: false,
    thead: h('thead'),
    tbody: h('tbody'),
    range: h('span', { class: 'range', 'aria-live': 'polite' }),
    prev: h(
      'button',
      { type: 'button', class: 'ghost small', id: 'customers-prev', onclick: () => page(-1) },
      icon('back'),
      t('common.previous'),
    ),
    next: h(
      'button',
      { type: 'button', class: 'ghost small', id: 'customers-next', onclick: () => page(1) },
      t('common.next'),
      icon('back', 'icon flip'),
    ),
    empty: h('div'),
  };
  els.table = h(
    'div',
    { class: 'table-scroll' },
    h('table', { class: 'list', id: 'customers-table' }, els.thead, els.tbody),
  );
  fill(
    root,
    h(
      'div',
      { class: 'customers' },
      h(
        'header',
        { class: 'screen-header' },
        h('h1', {}, t('customers.title')),
        h(
          'div',
          { class: 'toolbar' },
          els.chips,
          h('div', { class: 'search-box small' }, icon('search', 'icon search-icon'), search),
          tagSelect,
          sourceSelect,
          archived,
          h(
            'a',
            { href: '#duplicates', class: 'button-link ghost small', id: 'customers-duplicates' },
            icon('merge'),
            t('duplicates.title'),
          ),
          h(
            'button',
            { type: 'button', class: 'primary small', id: 'customers-add', onclick: openAddDialog },
            icon('plus'),
            t('customers.add'),
          ),
        ),
      ),
      h(
        'div',
        { class: 'card table-card' },
        els.empty,
        els.table,
        (els.pager = h(
          'footer',
          { class: 'pager' },
          els.range,
          h(
            'button',
            {
              type: 'button',
              class: 'ghost small bulk-message-action',
              id: 'customers-bulk-message',
              title: t('messages.bulk_button_hint'),
              onclick: openBulkDialog,
            },
            careIcon('message'),
            t('messages.bulk_button'),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'ghost small',
              id: 'customers-bulk-reminder',
              title: t('messages.bulk_reminder_hint'),
              onclick: () =>
                openReminderDialog(ctx, {
                  filter: currentFilter(),
                  customerName: t(
                    state.totalCapped ? 'messages.bulk_reminder_for_more' : 'messages.bulk_reminder_for',
                    {
                      count: ctx.fmt.number(state.total ?? 0),
                    },
                  ),
                }),
            },
            careIcon('reminders'),
            t('messages.bulk_reminder_button'),
          ),
          h('span', { class: 'spacer' }),
          els.prev,
          els.next,
        )),
      ),
    ),
  );
  renderChips();
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
  if (offset < 0 || (offset >= state.total && !state.totalCapped)) return;
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

/** The route filter as removable chips ("Nhóm: Nguy cơ rời bỏ ×"). */
function renderChips() {
  const { t } = ctx;
  const chips = Object.keys(state.analytics).map((key) => {
    const text = analyticsChipText(t, key, state.analytics[key]);
    return h(
      'span',
      { class: 'chip filter-chip-removable', dataset: { key } },
      text,
      h(
        'button',
        {
          type: 'button',
          class: 'chip-remove',
          'aria-label': t('analytics.filter_remove', { filter: text }),
          title: t('analytics.filter_remove', { filter: text }),
          onclick: () => removeFilter(key),
        },
        icon('x'),
      ),
    );
  });
  fill(els.chips, chips);
  els.chips.classList.toggle('hidden', !chips.length);
}

function analyticsChipText(t, key, value) {
  if (key === 'segment') return t('analytics.filter_segment', { segment: t(`analytics.segments.${value}`) });
  if (key === 'stage') return t('analytics.filter_stage', { stage: t(`analytics.stages.${value}`) });
  return t('analytics.filter_at_risk');
}

function removeFilter(key) {
  const rest = { ...state.analytics };
  delete rest[key];
  state.analytics = rest;
  state.offset = 0;
  // The address follows without remounting the screen (replaceState fires no hashchange).
  const param = Object.entries(rest)
    .map(([k, v]) => `${k}=${v === true ? 1 : v}`)
    .join('&');
  history.replaceState(null, '', `#customers${param ? `/${param}` : ''}`);
  renderChips();
  load();
  document.getElementById('customers-search')?.focus();
}

const hasAnalytics = (rows) =>
  rows.some((r) => (r.segment ?? null) !== null || (r.p_alive ?? null) !== null || (r.clv ?? null) !== null);

function renderHeader() {
  const { t } = ctx;
  fill(
    els.thead,
    h(
      'tr',
      {},
      COLUMNS.map((c) => {
        if (!c.sort) return h('th', {}, t(c.label));
        const active = state.sort === c.sort;
        return h(
          'th',
          { class: c.num && 'num', 'aria-sort': active ? (state.desc ? 'descending' : 'ascending') : 'none' },
          h(
            'button',
            {
              type: 'button',
              class: ['sort', active && 'active'],
              id: `sort-${c.sort}`,
              title: t('customers.sort_by', { column: t(c.label) }),
              onclick: () => sortBy(c.sort),
            },
            t(c.label),
            h('span', { class: 'sort-arrow', 'aria-hidden': 'true' }, active ? (state.desc ? '▼' : '▲') : ''),
          ),
        );
      }),
      els.analyticsShown && h('th', { class: 'col-analytics' }, t('analytics.column')),
    ),
  );
}

/** Segment chip, P(alive) and CLV of a row (only what the back end filled). */
function analyticsCell(r) {
  const { t, fmt } = ctx;
  const alive =
    r.p_alive === null || r.p_alive === undefined
      ? null
      : t('analytics.alive_short', { percent: fmt.number(r.p_alive * 100) });
  const clv = r.clv === null || r.clv === undefined ? null : t('analytics.clv_short', { amount: fmt.money(r.clv) });
  return h(
    'td',
    { class: 'cell-analytics' },
    r.segment &&
      h('span', { class: ['chip', 'segment-chip', `seg-${r.segment}`] }, t(`analytics.segments.${r.segment}`)),
    (alive || clv) && h('div', { class: 'cell-sub' }, [alive, clv].filter(Boolean).join(' · ')),
  );
}

/** A shop with no customer yet: the three ways to get some, instead of an empty table. */
function emptyShop() {
  const { t } = ctx;
  return h(
    'div',
    { class: 'empty-shop', id: 'customers-empty' },
    h('h2', {}, t('customers.empty_shop_title')),
    h('p', { class: 'muted' }, t('customers.empty_shop_body')),
    h(
      'div',
      { class: 'empty-shop-actions' },
      h(
        'button',
        { type: 'button', class: 'primary', id: 'customers-empty-add', onclick: openAddDialog },
        icon('plus'),
        t('customers.add'),
      ),
      h(
        'a',
        { href: '#import', class: 'button-link ghost', id: 'customers-empty-import' },
        t('customers.empty_shop_import'),
      ),
      h(
        'a',
        { href: '#counter', class: 'button-link ghost', id: 'customers-empty-demo' },
        t('customers.empty_shop_demo'),
      ),
    ),
  );
}

/** "Thêm khách": the counter's quick fields (name, phone) plus a card code, then the profile. */
function openAddDialog() {
  const { t } = ctx;
  const input = (name, attrs = {}) => h('input', { name, id: `add-customer-${name}`, autocomplete: 'off', ...attrs });
  const field = (label, control, hint = null) =>
    h(
      'label',
      { class: 'field' },
      h('span', { class: 'label' }, label),
      control,
      hint && h('span', { class: 'hint' }, hint),
    );
  formDialog(ctx, {
    id: 'add-customer',
    title: t('customers.add_title'),
    titleIcon: null,
    submitLabel: t('customers.add_save'),
    content: h(
      'div',
      { class: 'care-fields' },
      field(t('fields.name'), input('name', { spellcheck: 'false', maxlength: '200' })),
      h(
        'div',
        { class: 'field-row' },
        field(t('fields.phone'), input('phone', { inputmode: 'tel', maxlength: '30' })),
        field(t('fields.code'), input('code', { maxlength: '40' })),
      ),
      h('p', { class: 'hint' }, t('customers.add_hint')),
    ),
    submit: (form) => {
      const e = form.elements;
      const body = { name: e.name.value.trim() };
      if (e.phone.value.trim()) body.phone = e.phone.value.trim();
      if (e.code.value.trim()) body.code = e.code.value.trim();
      return api.customerAdd(body);
    },
    onSaved: (c) => {
      ctx.info.customers = (ctx.info.customers ?? 0) + 1;
      toast(t('customers.added', { name: c.name }), 'success');
      ctx.navigate('profile', c.id);
    },
  });
}

function renderTable() {
  const { t, fmt } = ctx;
  const filtered = state.search || state.tag || state.source || Object.keys(state.analytics).length;
  const emptyShopNow = !filtered && !state.includeArchived && state.loaded && state.total === 0;
  els.table.classList.toggle('hidden', emptyShopNow);
  els.pager.classList.toggle('hidden', emptyShopNow);
  fill(els.empty, emptyShopNow ? emptyShop() : null);
  const showAnalytics = hasAnalytics(state.rows);
  if (showAnalytics !== els.analyticsShown) {
    els.analyticsShown = showAnalytics;
    renderHeader();
  }
  // A late answer re-renders the rows: the keyboard stays on the same customer.
  const focusedId = els.tbody.contains(document.activeElement)
    ? document.activeElement.closest('tr')?.dataset.id
    : null;
  fill(
    els.tbody,
    state.rows.length
      ? state.rows.map((r) =>
          h(
            'tr',
            {
              tabindex: '0',
              class: ['row', r.archived && 'archived'],
              dataset: { id: r.id },
              onclick: () => ctx.navigate('profile', r.id),
              onkeydown: onRowKeydown,
            },
            h('td', {}, h('div', { class: 'cell-name' }, r.name), r.code && h('div', { class: 'cell-sub' }, r.code)),
            h('td', { class: 'phone' }, r.phone_display || t('common.none')),
            h(
              'td',
              {},
              r.tags.map((tag) => h('span', { class: 'tag' }, tag)),
              r.archived && h('span', { class: 'badge muted' }, t('counter.archived')),
            ),
            h('td', { class: 'num' }, fmt.number(r.visits)),
            h('td', { class: 'num' }, fmt.money(r.total_spent)),
            h('td', { class: 'num' }, r.last_purchase_at ? fmt.date(r.last_purchase_at) : t('common.none')),
            showAnalytics && analyticsCell(r),
          ),
        )
      : h(
          'tr',
          {},
          h(
            'td',
            { colspan: String(COLUMNS.length + (showAnalytics ? 1 : 0)), class: 'empty' },
            t(filtered ? 'customers.empty_filtered' : 'customers.empty'),
          ),
        ),
  );
  if (focusedId) els.tbody.querySelector(`tr[data-id="${CSS.escape(focusedId)}"]`)?.focus();
  const from = state.total ? state.offset + 1 : 0;
  const to = state.offset + state.rows.length;
  els.range.textContent = t(state.totalCapped ? 'customers.range_more' : 'customers.range', {
    from: fmt.number(from),
    to: fmt.number(to),
    total: fmt.number(state.total),
  });
  els.prev.disabled = state.offset === 0;
  els.next.disabled = to >= state.total && !state.totalCapped;
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

// ---------- bulk message ----------

/** The list's current search / tag / source / segment / stage / at_risk as a CustomerFilter (docs/IPC.md). */
function currentFilter() {
  return {
    ...(state.search.trim() ? { search: state.search.trim() } : {}),
    ...(state.tag ? { tag: state.tag } : {}),
    ...(state.source ? { source: state.source } : {}),
    ...state.analytics,
  };
}

const fold = (s) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase();
const slug = (s) =>
  fold(s)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '') || 'mau';

/** "Gửi tin hàng loạt": pick a template, preview it over the filter, export a CSV for Zalo / SMS tools. */
function openBulkDialog() {
  const { t, fmt } = ctx;
  const M = (k, p) => t(`messages.${k}`, p);
  document.getElementById('bulk-dialog')?.remove();
  const filter = currentFilter();
  const latestPreview = latestOnly();
  let preview = null;
  const general = h('div', { class: 'dialog-error', role: 'alert', id: 'bulk-error' });
  const templateSel = h(
    'select',
    { id: 'bulk-template', name: 'template', disabled: true, onchange: () => loadPreview() },
    h('option', { value: '' }, t('common.loading')),
  );
  const body = h('div', { class: 'bulk-preview', id: 'bulk-preview', 'aria-live': 'polite' });
  const exportBtn = h(
    'button',
    { type: 'button', class: 'primary', id: 'bulk-export', disabled: true, onclick: exportCsv },
    icon('transfer'),
    M('bulk_export'),
  );
  const close = () => {
    latestPreview.invalidate();
    dlg.close();
    dlg.remove();
  };
  const chips = [
    filter.search && M('filter_search', { search: filter.search }),
    filter.tag && M('filter_tag', { tag: filter.tag }),
    filter.source && M('filter_source', { source: t(`source.${filter.source}`) }),
    ...ANALYTICS_KEYS.filter((k) => filter[k] !== undefined).map((k) => analyticsChipText(t, k, filter[k])),
  ].filter(Boolean);
  const dlg = h(
    'dialog',
    { class: ['dialog', 'care-dialog', 'bulk-dialog'], id: 'bulk-dialog', 'aria-labelledby': 'bulk-title' },
    h(
      'div',
      { class: 'care-form' },
      h('h2', { id: 'bulk-title' }, careIcon('message'), M('bulk_title')),
      h(
        'div',
        { class: 'bulk-filter', id: 'bulk-filter' },
        h('span', { class: 'label' }, M('bulk_filter')),
        chips.length
          ? chips.map((c) => h('span', { class: 'chip' }, c))
          : h('span', { class: 'chip' }, M('filter_all')),
      ),
      state.includeArchived && h('p', { class: 'hint' }, M('bulk_archived_hint')),
      h('label', { class: 'field' }, h('span', { class: 'label' }, M('template')), templateSel),
      body,
      general,
      h(
        'div',
        { class: 'dialog-actions' },
        h('span', { class: 'hint bulk-export-hint' }, M('bulk_export_hint')),
        h('span', { class: 'spacer' }),
        h('button', { type: 'button', class: 'ghost', id: 'bulk-close', onclick: close }, t('common.close')),
        exportBtn,
      ),
    ),
  );
  dlg.addEventListener('cancel', (e) => {
    e.preventDefault();
    close();
  });

  function drawPreview() {
    const p = preview;
    const missing = Object.entries(p.missing ?? {})
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1]);
    fill(
      body,
      h(
        'div',
        { class: 'report-stats' },
        h(
          'div',
          { class: 'report-stat', id: 'bulk-total' },
          h('span', { class: 'stat-label' }, M('bulk_total')),
          h('span', { class: 'stat-value' }, fmt.number(p.total)),
        ),
        h(
          'div',
          { class: 'bulk-missing', id: 'bulk-missing' },
          h('span', { class: 'label' }, M('bulk_missing_by_field')),
          missing.length
            ? missing.map(([f, n]) =>
                h(
                  'span',
                  { class: 'chip warn', dataset: { field: f } },
                  M('missing_count', { field: fieldLabel(t, f), count: fmt.number(n) }),
                ),
              )
            : h('span', { class: 'chip ok' }, M('bulk_nothing_missing')),
        ),
      ),
      p.total === 0
        ? h('p', { class: 'muted' }, M('bulk_none'))
        : [
            h('h3', {}, M('bulk_samples')),
            h(
              'ul',
              { class: 'bulk-samples', id: 'bulk-samples' },
              (p.samples ?? []).map((r) =>
                h(
                  'li',
                  { dataset: { id: String(r.customer_id) } },
                  h(
                    'div',
                    { class: 'sample-who' },
                    h('strong', {}, r.name),
                    h('span', { class: 'phone muted' }, r.phone_display || r.phone || M('no_phone')),
                    r.missing.length > 0 &&
                      h(
                        'span',
                        { class: 'chip warn' },
                        M('missing', { fields: r.missing.map((f) => fieldLabel(t, f)).join(', ') }),
                      ),
                  ),
                  h('div', { class: 'sample-text' }, r.text),
                ),
              ),
            ),
            (p.lacking ?? []).length > 0 && [
              h('h3', {}, M('bulk_lacking_list', { count: fmt.number(p.lacking.length) })),
              h(
                'div',
                { class: 'table-scroll bulk-lacking-scroll' },
                h(
                  'table',
                  { class: 'list compact', id: 'bulk-lacking' },
                  h(
                    'thead',
                    {},
                    h(
                      'tr',
                      {},
                      h('th', {}, t('customers.col_name')),
                      h('th', {}, t('customers.col_phone')),
                      h('th', {}, M('bulk_lacking_fields')),
                    ),
                  ),
                  h(
                    'tbody',
                    {},
                    p.lacking.map((r) =>
                      h(
                        'tr',
                        {
                          class: 'row',
                          tabindex: '0',
                          dataset: { id: String(r.customer_id) },
                          onclick: () => {
                            close();
                            ctx.navigate('profile', r.customer_id);
                          },
                          onkeydown: (e) => {
                            if (e.key === 'Enter') {
                              close();
                              ctx.navigate('profile', r.customer_id);
                            }
                          },
                        },
                        h('td', {}, r.name),
                        h('td', { class: 'phone' }, r.phone_display || r.phone || '—'),
                        h('td', {}, r.missing.map((f) => fieldLabel(t, f)).join(', ')),
                      ),
                    ),
                  ),
                ),
              ),
            ],
          ],
    );
    exportBtn.disabled = p.total === 0;
  }

  async function loadPreview() {
    const name = templateSel.value;
    if (!name) return;
    fill(general);
    exportBtn.disabled = true;
    body.classList.add('loading-dim');
    try {
      const p = await latestPreview(api.templatePreview(name, filter));
      if (p === STALE || !dlg.isConnected) return;
      preview = p;
      drawPreview();
    } catch (err) {
      fill(general, t.error(err));
    } finally {
      body.classList.remove('loading-dim');
    }
  }

  async function exportCsv() {
    const name = templateSel.value;
    if (!name || !preview) return;
    fill(general);
    exportBtn.disabled = true;
    try {
      const path = await api.pickSavePath(`${M('file_prefix')}-${slug(name)}-${shopToday(fmt)}.csv`, [
        { name: 'CSV', extensions: ['csv'] },
      ]);
      if (!path) {
        exportBtn.disabled = false;
        return;
      }
      const r = await api.templateExport(name, filter, path);
      close();
      toast(M('bulk_exported', { count: fmt.number(r.rows), path: r.path ?? path }), 'success', 6000);
    } catch (err) {
      exportBtn.disabled = false;
      fill(general, t.error(err));
    }
  }

  async function loadTemplates() {
    try {
      const { templates } = await api.templateList();
      if (!dlg.isConnected) return;
      if (!templates.length) {
        fill(templateSel, h('option', { value: '' }, M('no_templates')));
        fill(body, h('p', { class: 'hint' }, M('no_templates_hint')));
        return;
      }
      const pick = preferredTemplate(templates, ctx.settings?.language);
      fill(
        templateSel,
        templates.map((x) => h('option', { value: x.name, selected: x === pick }, templateTitle(t, x))),
      );
      templateSel.disabled = false;
      templateSel.focus();
      await loadPreview();
    } catch (err) {
      fill(general, t.error(err));
    }
  }

  document.body.append(dlg);
  dlg.showModal();
  dlg.querySelector('#bulk-close').focus();
  loadTemplates();
}

export default { mount, unmount };
