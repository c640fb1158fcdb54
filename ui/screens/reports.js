// Reports (Báo cáo, issue 8): retention analytics over a date range. Eight sections, each
// loaded on its own (one slow or failing report never blanks the others): summary KPIs and
// the revenue split, churn / retention per month or quarter, cohort retention, the RFM grid
// and segments, the lifecycle funnel, CLV (BG/NBD + Gamma-Gamma) with the customers at risk,
// and figures per staff member and per counter (issue 20). Every chart can be shown as a
// table of the same numbers and exported (CSV / XLSX, report_export). The "lost after N
// days" rule is shown in plain words and can be changed here; "Tính lại" recomputes the
// customer scores (analytics_refresh).
// Segments, stages and "at risk" open the customer list filtered to them.
import * as api from '../lib/api.js';
import { h, fill, icon, toast, showFieldError, showFieldErrorBelow, clearFieldErrors } from '../lib/dom.js';
import { debounce, latestOnly, STALE } from '../lib/async.js';
import { careIcon, shopToday } from '../lib/care-dialogs.js';
import * as charts from '../lib/charts.js';
import { dateInput, dateValue, setDateValue } from '../lib/datefield.js';
import { rfmRows } from '../lib/rfm.js';

export const STAGES = ['reach', 'purchase', 'develop', 'retain', 'advocacy'];
const SECTIONS = ['summary', 'churn', 'cohorts', 'rfm', 'lifecycle', 'clv', 'staff', 'counters'];
const RANGED = ['summary', 'churn', 'cohorts', 'staff', 'counters']; // follow the date range
const TOGGLES = ['summary', 'churn', 'cohorts', 'rfm', 'lifecycle', 'clv']; // have a chart and a table
const AT_RISK_SHOWN = 10;
const SECTION_ICONS = {
  summary: 'reports',
  churn: 'customers',
  cohorts: 'calendar',
  rfm: 'star',
  lifecycle: 'award',
  clv: 'sparkle',
  staff: 'customers',
  counters: 'counter',
};

// Kept across mounts: coming back shows the last figures at once, then refreshes them.
const state = {
  from: null,
  to: null,
  period: 'month',
  rules: null,
  views: {},
  data: {},
  errors: {},
  computedAt: null,
  refreshing: false,
  refreshResult: null,
  // A background refresh of stale scores: asked for once per visit.
  staleRequested: false,
  updatingStale: false,
  editingRules: false,
  rulesError: null,
};

let ctx = null;
let els = null;
const latest = Object.fromEntries(SECTIONS.map((s) => [s, latestOnly()]));
const reloadRanged = debounce(() => RANGED.forEach(load), 350);

const T = (key, params) => ctx.t(`reports.${key}`, params);
const A = (key, params) => ctx.t(`analytics.${key}`, params);

// ---------- dates ----------

/** "YYYY-MM-DD" of the first day of the month `k` months from the month of `date`. */
function monthStartFrom(date, k) {
  const [y, m] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1 + k, 1)).toISOString().slice(0, 10);
}
/** The default range: the 12 calendar months up to today (this month included). */
function defaultRange() {
  const today = shopToday(ctx.fmt);
  return { from: monthStartFrom(today, -11), to: today };
}
const utc = (date) => new Date(`${date.slice(0, 10)}T00:00:00Z`);
const showDay = (date) =>
  date
    ? new Intl.DateTimeFormat(ctx.fmt.locale, {
        timeZone: 'UTC',
        day: '2-digit',
        month: '2-digit',
        year: 'numeric',
      }).format(utc(date))
    : '—';
const capital = (s) => s.charAt(0).toLocaleUpperCase(ctx.fmt.locale) + s.slice(1);

/** A period's label: "T6/25" / "Tháng 6 năm 2025" for a month, "Q3/2025" for a quarter. */
function periodLabel(start, period, short) {
  const [y, m] = start.split('-').map(Number);
  if (period === 'quarter')
    return T(short ? 'quarter_short' : 'quarter_label', {
      quarter: Math.floor((m - 1) / 3) + 1,
      year: short ? String(y).slice(2) : y,
    });
  if (short) return T('month_short', { month: m, year: String(y).slice(2) });
  return capital(
    new Intl.DateTimeFormat(ctx.fmt.locale, { timeZone: 'UTC', month: 'long', year: 'numeric' }).format(utc(start)),
  );
}
const monthShort = (ym) => periodLabel(`${ym}-01`, 'month', true);
const monthLong = (ym) => periodLabel(`${ym}-01`, 'month', false);

// ---------- number formats ----------

const pct = (v, digits = 1) => (v === null || v === undefined ? '—' : `${ctx.fmt.number(v, digits)}%`);
const num = (v, digits = 0) => (v === null || v === undefined ? '—' : ctx.fmt.number(v, digits));
const money = (v) => (v === null || v === undefined ? '—' : ctx.fmt.money(v));
const moneyAxis = (v) => charts.compact(v, ctx.fmt.locale);

// ---------- errors ----------

/** A sentence for a rejected call; the analytics codes are also worded here (with the minimum history). */
function explain(err) {
  const p = err?.params ?? {};
  if (err?.code === 'analytics.too_thin') {
    return T('too_thin', {
      customers: num(p.customers),
      repeaters: num(p.repeaters),
      min_customers: num(p.min_customers),
      min_repeaters: num(p.min_repeaters),
    });
  }
  if (err?.code === 'analytics.no_convergence') return T('no_convergence');
  if (err?.code === 'analytics.rule_invalid') return T('rule_invalid', { value: p.value ?? '' });
  if (err?.code === 'report.invalid') return T('report_invalid', { key: p.key ?? '', value: p.value ?? '' });
  return ctx.t.error(err);
}

// ---------- loading ----------

const rangeArgs = () => ({ from: state.from, to: state.to });
const LOADERS = {
  summary: () => api.reportSummary(rangeArgs()),
  churn: () => api.reportChurn({ period: state.period, ...rangeArgs() }),
  cohorts: () => api.reportCohorts(rangeArgs()),
  rfm: () => api.reportRfm(),
  lifecycle: () => api.reportLifecycle(),
  // The fit may be refused (too little history) while the at-risk list still answers.
  clv: async () => {
    const [fit, risk] = await Promise.allSettled([
      api.reportClv({ model: 'bgnbd', limit: 10, horizon_days: state.rules?.horizon_days }),
      api.reportAtRisk(AT_RISK_SHOWN),
    ]);
    if (fit.status === 'rejected' && risk.status === 'rejected') throw fit.reason;
    return {
      fit: fit.status === 'fulfilled' ? fit.value : null,
      fitError: fit.status === 'rejected' ? fit.reason : null,
      atRisk: risk.status === 'fulfilled' ? risk.value : null,
      atRiskError: risk.status === 'rejected' ? risk.reason : null,
    };
  },
  staff: () => api.reportStaff(rangeArgs()),
  counters: () => api.reportCounters(rangeArgs()),
};
/** The arguments report_export gets for each report (the report's own). */
const EXPORT_ARGS = {
  summary: rangeArgs,
  churn: () => ({ period: state.period, ...rangeArgs() }),
  cohorts: rangeArgs,
  rfm: () => ({}),
  lifecycle: () => ({}),
  clv: () => ({ model: 'bgnbd', horizon_days: state.rules?.horizon_days }),
  staff: rangeArgs,
  counters: rangeArgs,
};

async function load(name) {
  const sec = els?.sections[name];
  if (!sec) return;
  const mine = els;
  sec.el.classList.add('is-loading');
  sec.el.setAttribute('aria-busy', 'true');
  if (!state.data[name])
    fill(
      sec.body,
      h('p', { class: 'loading rpt-loading' }, h('span', { class: 'spinner dark' }), ctx.t('common.loading')),
    );
  try {
    const data = await latest[name](LOADERS[name]());
    if (data === STALE || els !== mine) return;
    state.data[name] = data;
    state.errors[name] = null;
    if ((name === 'rfm' || name === 'lifecycle') && data.computed_at && !state.refreshResult)
      setComputedAt(data.computed_at);
    if ((name === 'rfm' || name === 'lifecycle') && data.stale) refreshStale();
  } catch (err) {
    if (els !== mine) return;
    state.errors[name] = err;
  }
  sec.el.classList.remove('is-loading');
  sec.el.removeAttribute('aria-busy');
  draw(name);
}

function loadAll() {
  for (const name of SECTIONS) load(name);
}

async function loadRules() {
  try {
    const rules = await api.analyticsGetRules();
    if (!els) return;
    state.rules = rules;
    state.rulesError = null;
  } catch (err) {
    if (!els) return;
    state.rules = null;
    state.rulesError = err;
  }
  drawRules();
}

// ---------- the screen ----------

function mount(root, context) {
  ctx = context;
  state.staleRequested = false;
  if (!state.from) Object.assign(state, defaultRange());
  const from = dateInput({
    id: 'reports-from',
    name: 'from',
    value: state.from,
    'aria-label': T('from'),
    placeholder: ctx.t('datefield.placeholder'),
    onchange: (e) => setRange('from', e.target),
  });
  const to = dateInput({
    id: 'reports-to',
    name: 'to',
    value: state.to,
    'aria-label': T('to'),
    placeholder: ctx.t('datefield.placeholder'),
    onchange: (e) => setRange('to', e.target),
  });
  const period = h(
    'select',
    {
      id: 'reports-period',
      'aria-label': T('period'),
      onchange: (e) => {
        state.period = e.target.value;
        load('churn');
      },
    },
    ['month', 'quarter'].map((p) => h('option', { value: p, selected: state.period === p }, T(`period_${p}`))),
  );
  const refresh = h('button', {
    type: 'button',
    class: 'primary',
    id: 'reports-refresh',
    title: T('refresh_hint'),
    onclick: runRefresh,
  });
  els = {
    root,
    from,
    to,
    period,
    refresh,
    rules: h('div', { class: 'rpt-rules', id: 'reports-rules', 'aria-live': 'polite' }),
    sections: {},
  };
  const sections = SECTIONS.map((name) => makeSection(name));
  fill(
    root,
    h(
      'div',
      { class: 'reports', id: 'reports' },
      h(
        'header',
        { class: 'screen-header rpt-header' },
        h('h1', {}, T('title')),
        h(
          'div',
          { class: 'toolbar rpt-toolbar' },
          h('label', { class: 'rpt-field' }, h('span', { class: 'label' }, T('from')), from),
          h('label', { class: 'rpt-field' }, h('span', { class: 'label' }, T('to')), to),
          h('label', { class: 'rpt-field' }, h('span', { class: 'label' }, T('period')), period),
          h(
            'button',
            {
              type: 'button',
              class: 'ghost small rpt-reset',
              id: 'reports-last12',
              onclick: resetRange,
              title: T('last_12_hint'),
            },
            T('last_12'),
          ),
          refresh,
        ),
      ),
      els.rules,
      h('div', { class: 'rpt-sections' }, sections),
    ),
  );
  drawRefresh();
  drawRules();
  for (const name of SECTIONS) if (state.data[name] || state.errors[name]) draw(name);
  loadRules().then(() => load('clv'));
  for (const name of SECTIONS) if (name !== 'clv') load(name);
}

function unmount() {
  reloadRanged.cancel();
  for (const l of Object.values(latest)) l.invalidate();
  els = null;
}

function setRange(key, input) {
  const value = dateValue(input);
  clearFieldErrors(input.parentElement);
  if (!value) {
    showFieldError(input, T('date_invalid'));
    input.setAttribute('aria-invalid', 'true');
    return;
  }
  const from = key === 'from' ? value : state.from;
  const to = key === 'to' ? value : state.to;
  if (from > to) {
    showFieldError(input, T('range_invalid'));
    return;
  }
  Object.assign(state, { from, to });
  reloadRanged();
}

function resetRange() {
  Object.assign(state, defaultRange());
  setDateValue(els.from, state.from);
  setDateValue(els.to, state.to);
  clearFieldErrors(els.root.querySelector('.rpt-toolbar'));
  reloadRanged.cancel();
  RANGED.forEach(load);
}

// ---------- refresh and rules ----------

function setComputedAt(at) {
  state.computedAt = at;
  drawRules();
}

// The views show the stored scores at once; stale (or missing) ones are refreshed in the
// background, once per visit, and the two sections redrawn when that is done.
async function refreshStale() {
  if (state.staleRequested || state.refreshing) return;
  state.staleRequested = true;
  state.updatingStale = true;
  const mine = els;
  drawRules();
  try {
    const r = await api.analyticsRefreshStale();
    if (r && els === mine) {
      state.computedAt = r.computed_at;
      if (r.fit_error) toast(T('fit_failed', { reason: explain(r.fit_error) }), 'info', 8000);
    }
  } catch {
    // the hourly pass tries again; the stale figures stay on screen, marked
  } finally {
    state.updatingStale = false;
    if (els === mine) {
      drawRules();
      load('rfm');
      load('lifecycle');
    }
  }
}

function drawRefresh() {
  const b = els.refresh;
  b.disabled = state.refreshing;
  b.setAttribute('aria-busy', state.refreshing ? 'true' : 'false');
  fill(b, state.refreshing ? [h('span', { class: 'spinner' }), T('refreshing')] : [icon('sparkle'), T('refresh')]);
}

async function runRefresh() {
  if (state.refreshing) return;
  state.refreshing = true;
  const mine = els;
  drawRefresh();
  drawRules();
  try {
    const r = await api.analyticsRefresh();
    state.refreshResult = r;
    state.computedAt = r.computed_at;
    if (els === mine) {
      toast(T('refreshed', { count: num(r.customers), seconds: num((r.millis ?? 0) / 1000, 1) }), 'success');
      if (r.fit_error) toast(T('fit_failed', { reason: explain(r.fit_error) }), 'info', 8000);
    }
  } catch (err) {
    if (els === mine) ctx.showError(err);
  } finally {
    state.refreshing = false;
    if (els) {
      // this screen, or the one mounted since: show the new figures
      drawRefresh();
      drawRules();
      loadAll();
    }
  }
}

function drawRules() {
  if (!els) return;
  const { fmt } = ctx;
  const r = state.rules;
  const when = state.computedAt
    ? h(
        'span',
        { class: 'rpt-computed', id: 'reports-computed' },
        careIcon('clock'),
        T('computed_at', { when: fmt.dateTime(state.computedAt) }),
      )
    : h('span', { class: 'rpt-computed muted', id: 'reports-computed' }, careIcon('clock'), T('never_computed'));
  const busy =
    (state.refreshing &&
      h('span', { class: 'rpt-busy', role: 'status' }, h('span', { class: 'spinner dark' }), T('refreshing_long'))) ||
    (state.updatingStale &&
      h('span', { class: 'rpt-busy', role: 'status' }, h('span', { class: 'spinner dark' }), T('stale_updating')));
  if (state.editingRules && r) {
    fill(els.rules, rulesForm(r), when);
    return;
  }
  const words = r
    ? [
        h(
          'span',
          { class: 'rpt-rule-text', id: 'reports-rule-text' },
          T('rule_lost', { days: num(r.inactive_days) }),
          ' ',
          T('rule_horizon', { days: num(r.horizon_days) }),
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            id: 'reports-rules-edit',
            onclick: () => {
              state.editingRules = true;
              drawRules();
              els.rules.querySelector('input')?.focus();
            },
          },
          T('rule_change'),
        ),
      ]
    : h('span', { class: 'muted' }, state.rulesError ? explain(state.rulesError) : ctx.t('common.loading'));
  const result = state.refreshResult?.fit_error
    ? h('span', { class: 'chip warn', title: explain(state.refreshResult.fit_error) }, T('fit_missing'))
    : null;
  fill(
    els.rules,
    h('span', { class: 'rpt-rule' }, careIcon('clock', 'icon rpt-rule-icon'), words),
    h('span', { class: 'spacer' }),
    busy || [when, result],
  );
}

function rulesForm(r) {
  const inactive = h('input', {
    type: 'number',
    name: 'inactive_days',
    id: 'reports-inactive-days',
    min: '7',
    max: '3650',
    step: '1',
    value: String(r.inactive_days),
    required: true,
  });
  const horizon = h('input', {
    type: 'number',
    name: 'horizon_days',
    id: 'reports-horizon-days',
    min: '1',
    max: '3650',
    step: '1',
    value: String(r.horizon_days),
    required: true,
  });
  const cancel = () => {
    state.editingRules = false;
    drawRules();
    els.rules.querySelector('#reports-rules-edit')?.focus();
  };
  const form = h(
    'form',
    {
      class: 'rpt-rules-form',
      id: 'reports-rules-form',
      novalidate: true,
      onsubmit: save,
      onkeydown: (e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          cancel();
        }
      },
    },
    h(
      'label',
      { class: 'field' },
      h('span', { class: 'label' }, T('rule_inactive_label')),
      h('div', { class: 'suffix-wrap compact' }, inactive, h('span', { class: 'suffix' }, T('days_unit'))),
    ),
    h(
      'label',
      { class: 'field' },
      h('span', { class: 'label' }, T('rule_horizon_label')),
      h('div', { class: 'suffix-wrap compact' }, horizon, h('span', { class: 'suffix' }, T('days_unit'))),
    ),
    h(
      'div',
      { class: 'rpt-rules-actions' },
      h('button', { type: 'submit', class: 'primary small', id: 'reports-rules-save' }, T('rule_save')),
      h('button', { type: 'button', class: 'ghost small', onclick: cancel }, ctx.t('common.cancel')),
    ),
    h('p', { class: 'hint rpt-rules-hint' }, T('rule_hint')),
  );
  async function save(e) {
    e.preventDefault();
    clearFieldErrors(form);
    const changes = {};
    for (const input of [inactive, horizon]) {
      const n = Number(input.value);
      if (!Number.isInteger(n) || n < 1 || String(input.value).trim() === '') {
        showFieldErrorBelow(input, input.parentElement, T('rule_invalid', { value: input.value }));
        input.focus();
        return;
      }
      if (n !== r[input.name]) changes[input.name] = n;
    }
    if (!Object.keys(changes).length) {
      cancel();
      return;
    }
    try {
      state.rules = await api.analyticsSetRules(changes);
      state.editingRules = false;
      toast(T('rules_saved'), 'success');
      drawRules();
      runRefresh(); // the scores, stages and lost customers depend on the rule
    } catch (err) {
      const input = form.querySelector(`[name="${err?.params?.field}"]`);
      if (input) {
        showFieldErrorBelow(input, input.parentElement, explain(err));
        input.focus();
      } else ctx.showError(err);
    }
  }
  return form;
}

// ---------- sections ----------

function makeSection(name) {
  const body = h('div', { class: 'rpt-body', id: `report-${name}-body` });
  const note = h('div', { class: 'rpt-note' });
  const toggle =
    TOGGLES.includes(name) &&
    h(
      'button',
      {
        type: 'button',
        class: 'ghost small report-table-toggle',
        dataset: { report: name },
        'aria-pressed': String(state.views[name] === 'table'),
        'aria-controls': `report-${name}-body`,
        title: T('table_toggle_hint'),
        onclick: () => {
          state.views[name] = state.views[name] === 'table' ? 'chart' : 'table';
          toggle.setAttribute('aria-pressed', String(state.views[name] === 'table'));
          draw(name);
        },
      },
      tableIcon(),
      h('span', {}, T('table_toggle')),
    );
  const exportBtn = h(
    'button',
    {
      type: 'button',
      class: 'ghost small report-export',
      dataset: { report: name },
      title: T('export_hint'),
      onclick: (e) => exportReport(name, e.currentTarget),
    },
    icon('transfer'),
    h('span', {}, T('export')),
  );
  const el = h(
    'section',
    { class: ['card', 'rpt-section', `rpt-${name}`], id: `report-${name}`, 'aria-labelledby': `report-${name}-title` },
    h(
      'div',
      { class: 'card-head rpt-head' },
      h('h2', { id: `report-${name}-title` }, careIcon(SECTION_ICONS[name]), T(`${name}.title`)),
      h('span', { class: 'spacer' }),
      toggle,
      exportBtn,
    ),
    h('p', { class: 'hint rpt-intro' }, T(`${name}.intro`)),
    note,
    body,
  );
  els.sections[name] = { el, body, note, toggle };
  return el;
}

/** A small "table" glyph for the toggle (the icon set has none). */
function tableIcon() {
  const svg = charts.s(
    'svg',
    { viewBox: '0 0 24 24', class: 'icon', 'aria-hidden': 'true' },
    charts.s('path', { d: 'M3 5h18v14H3zM3 10h18M3 15h18M9 10v9' }),
  );
  return svg;
}

function draw(name) {
  const sec = els?.sections[name];
  if (!sec) return;
  const data = state.data[name];
  const err = state.errors[name];
  fill(sec.note, err && data ? h('p', { class: 'notice error small rpt-error' }, explain(err)) : null);
  if (!data) {
    if (err) {
      fill(
        sec.body,
        h(
          'div',
          { class: 'notice error rpt-error' },
          explain(err),
          h('span', { class: 'spacer' }),
          h('button', { type: 'button', class: 'ghost small', onclick: () => load(name) }, ctx.t('app.retry')),
        ),
      );
    }
    return;
  }
  const table = state.views[name] === 'table';
  sec.el.classList.toggle('show-table', table);
  fill(sec.body, DRAW[name](data, table));
}

const DRAW = {
  summary: drawSummary,
  churn: drawChurn,
  cohorts: drawCohorts,
  rfm: drawRfm,
  lifecycle: drawLifecycle,
  clv: drawClv,
  staff: drawStaff,
  counters: drawCounters,
};

/** A plain table: columns [{label, num}], rows of cells (strings or nodes). */
function table(id, columns, rows, { caption = null, cls = null } = {}) {
  return h(
    'div',
    { class: 'table-scroll rpt-table-scroll' },
    h(
      'table',
      { class: ['list', 'compact', 'rpt-table', cls], id },
      caption && h('caption', { class: 'visually-hidden' }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { class: c.num && 'num', scope: 'col' }, c.label)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.length
          ? rows.map((r) =>
              h(
                'tr',
                {},
                r.map((cell, i) => h('td', { class: columns[i].num && 'num' }, cell)),
              ),
            )
          : h('tr', {}, h('td', { class: 'empty', colspan: String(columns.length) }, T('no_data'))),
      ),
    ),
  );
}

const empty = (text) => h('p', { class: 'muted rpt-empty' }, text);

// ---------- summary ----------

function kpi(id, label, value, sub, unit = null) {
  return h(
    'div',
    { class: 'rpt-kpi', id },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'rpt-kpi-value' }, value, unit && h('span', { class: 'rpt-unit' }, unit)),
    sub && h('div', { class: 'stat-sub' }, sub),
  );
}

/** The shop's money figures are the owner's: core leaves them out of a cashier's answer. */
const revenueShown = (d) => !d.revenue_hidden && ctx.can('shop_revenue');

function drawSummary(d, asTable) {
  if (!revenueShown(d)) return drawSummaryCounts(d, asTable);
  const split = d.revenue_split ?? {};
  const share = split.returning_share;
  const firstShare = share === null || share === undefined ? null : Math.round((100 - share) * 10) / 10;
  const formula =
    d.simple_clv === null || d.simple_clv === undefined
      ? T('summary.formula_none')
      : T('summary.formula', {
          lifespan: num(d.lifespan_years, 2),
          frequency: num(d.frequency_per_year, 2),
          basket: money(d.average_basket),
          clv: money(d.simple_clv),
        });
  const period = T('summary.range', {
    from: showDay(d.from),
    to: showDay(d.to),
    customers: num(d.customers),
    purchases: num(d.purchases),
    revenue: money(d.revenue),
  });
  if (asTable) {
    return [
      h('p', { class: 'rpt-range' }, period),
      table(
        'report-summary-table',
        [{ label: T('col_metric') }, { label: T('col_value'), num: true }, { label: T('col_unit') }],
        [
          [T('summary.customers'), num(d.customers), T('unit_customers')],
          [T('summary.purchases'), num(d.purchases), T('unit_purchases')],
          [T('summary.revenue'), money(d.revenue), ctx.fmt.currency],
          [T('summary.repeat_rate'), pct(d.repeat_rate), '%'],
          [T('summary.average_basket'), money(d.average_basket), T('unit_per_purchase')],
          [T('summary.frequency'), num(d.frequency_per_year, 2), T('unit_per_year')],
          [T('summary.lifespan'), num(d.lifespan_years, 2), T('unit_years')],
          [T('summary.simple_clv'), money(d.simple_clv), T('unit_per_customer')],
          [T('summary.returning_revenue'), money(split.returning), pct(share)],
          [T('summary.first_revenue'), money(split.first), pct(firstShare)],
        ],
        { caption: T('summary.title') },
      ),
    ];
  }
  return [
    h('p', { class: 'rpt-range' }, period),
    h(
      'div',
      { class: 'rpt-kpis' },
      kpi(
        'kpi-customers',
        T('summary.customers'),
        num(d.customers),
        T('summary.customers_sub', { purchases: num(d.purchases) }),
      ),
      kpi('kpi-repeat', T('summary.repeat_rate'), pct(d.repeat_rate), T('summary.repeat_rate_sub')),
      kpi('kpi-basket', T('summary.average_basket'), money(d.average_basket), T('summary.average_basket_sub')),
      kpi(
        'kpi-frequency',
        T('summary.frequency'),
        num(d.frequency_per_year, 2),
        T('summary.frequency_sub'),
        T('unit_per_year'),
      ),
      kpi(
        'kpi-lifespan',
        T('summary.lifespan'),
        num(d.lifespan_years, 2),
        T('summary.lifespan_sub', { days: num(d.inactive_days) }),
        T('unit_years'),
      ),
      kpi('kpi-clv', T('summary.simple_clv'), money(d.simple_clv), T('summary.simple_clv_sub')),
    ),
    h(
      'p',
      { class: 'rpt-formula', id: 'report-clv-formula' },
      h('strong', {}, T('summary.formula_label')),
      ' ',
      formula,
    ),
    h(
      'div',
      { class: 'rpt-split', id: 'report-revenue-split' },
      h('h3', {}, T('summary.split_title')),
      h(
        'div',
        { class: 'rpt-split-bar' },
        charts.split(
          [
            { value: split.returning, cls: 'part-returning' },
            { value: split.first, cls: 'part-first' },
          ],
          { label: T('summary.split_label', { returning: pct(share), first: pct(firstShare) }) },
        ),
      ),
      h(
        'div',
        { class: 'rpt-split-legend' },
        h(
          'span',
          { class: 'rpt-swatch-item' },
          h('span', { class: 'rpt-swatch part-returning' }),
          T('summary.returning_revenue'),
          h('strong', {}, pct(share)),
          h('span', { class: 'muted' }, money(split.returning)),
        ),
        h(
          'span',
          { class: 'rpt-swatch-item' },
          h('span', { class: 'rpt-swatch part-first' }),
          T('summary.first_revenue'),
          h('strong', {}, pct(firstShare)),
          h('span', { class: 'muted' }, money(split.first)),
        ),
      ),
      h('p', { class: 'hint' }, T('summary.split_source')),
    ),
  ];
}

/** The summary without money (a cashier): customers, purchases and how often they come back. */
function drawSummaryCounts(d, asTable) {
  const period = T('summary.range_counts', {
    from: showDay(d.from),
    to: showDay(d.to),
    customers: num(d.customers),
    purchases: num(d.purchases),
  });
  if (asTable) {
    return [
      h('p', { class: 'rpt-range' }, period),
      table(
        'report-summary-table',
        [{ label: T('col_metric') }, { label: T('col_value'), num: true }, { label: T('col_unit') }],
        [
          [T('summary.customers'), num(d.customers), T('unit_customers')],
          [T('summary.purchases'), num(d.purchases), T('unit_purchases')],
          [T('summary.repeat_rate'), pct(d.repeat_rate), '%'],
          [T('summary.frequency'), num(d.frequency_per_year, 2), T('unit_per_year')],
          [T('summary.lifespan'), num(d.lifespan_years, 2), T('unit_years')],
        ],
        { caption: T('summary.title') },
      ),
    ];
  }
  return [
    h('p', { class: 'rpt-range' }, period),
    h(
      'div',
      { class: 'rpt-kpis' },
      kpi(
        'kpi-customers',
        T('summary.customers'),
        num(d.customers),
        T('summary.customers_sub', { purchases: num(d.purchases) }),
      ),
      kpi('kpi-repeat', T('summary.repeat_rate'), pct(d.repeat_rate), T('summary.repeat_rate_sub')),
      kpi(
        'kpi-frequency',
        T('summary.frequency'),
        num(d.frequency_per_year, 2),
        T('summary.frequency_sub'),
        T('unit_per_year'),
      ),
      kpi(
        'kpi-lifespan',
        T('summary.lifespan'),
        num(d.lifespan_years, 2),
        T('summary.lifespan_sub', { days: num(d.inactive_days) }),
        T('unit_years'),
      ),
    ),
    h('p', { class: 'hint', id: 'report-revenue-hidden' }, T('summary.revenue_owner_only')),
  ];
}

// ---------- churn ----------

function drawChurn(d, asTable) {
  const periods = d.periods ?? [];
  if (!periods.length) return empty(T('no_data'));
  const intro = h('p', { class: 'rpt-range' }, T('churn.rule', { days: num(d.inactive_days) }));
  if (asTable) {
    return [
      intro,
      table(
        'report-churn-table',
        [
          { label: T('churn.col_period') },
          { label: T('churn.col_start'), num: true },
          { label: T('churn.col_new'), num: true },
          { label: T('churn.col_returned'), num: true },
          { label: T('churn.col_lost'), num: true },
          { label: T('churn.col_end'), num: true },
          { label: A('churn_rate'), num: true },
          { label: A('retention_rate'), num: true },
        ],
        periods.map((p) => [
          h(
            'span',
            {
              title: `${showDay(p.start)} – ${showDay(p.end)}`,
              class: p.partial ? 'rpt-partial' : null,
              dataset: p.partial ? { partial: 'true' } : {},
            },
            periodLabel(p.start, d.period, false),
            p.partial && h('span', { class: 'cell-sub' }, ` (${T('churn.partial')})`),
          ),
          num(p.customers_at_start),
          num(p.new),
          num(p.returned),
          num(p.lost),
          num(p.customers_at_end),
          pct(p.churn_rate),
          pct(p.retention_rate),
        ]),
        { caption: T('churn.title') },
      ),
    ];
  }
  const churnName = T('churn.series_churn');
  const retentionName = T('churn.series_retention');
  const valid = periods.filter((p) => p.churn_rate !== null);
  const avg = (key) => (valid.length ? valid.reduce((s, p) => s + (p[key] ?? 0), 0) / valid.length : null);
  const chart = charts.barLineChart({
    labels: periods.map((p) => periodLabel(p.start, d.period, true)),
    bars: { name: churnName, values: periods.map((p) => p.churn_rate) },
    line: { name: retentionName, values: periods.map((p) => p.retention_rate) },
    format: (v) => pct(v, v >= 10 || Number.isInteger(v) ? 0 : 1),
    partial: periods.map((p) => Boolean(p.partial)),
    partialLabel: T('churn.partial'),
    title: T('churn.chart_title'),
    desc: T('churn.chart_desc', {
      count: num(periods.length),
      churn: pct(avg('churn_rate')),
      retention: pct(avg('retention_rate')),
    }),
  });
  const running = periods.find((p) => p.partial);
  return [
    intro,
    h('div', { class: 'rpt-chart', id: 'report-churn-chart' }, chart),
    running &&
      h(
        'p',
        { class: 'hint', id: 'report-churn-partial' },
        T('churn.partial_note', { period: periodLabel(running.start, d.period, false), to: showDay(running.end) }),
      ),
    h('p', { class: 'hint rpt-formula-small' }, T('churn.formula')),
  ];
}

// ---------- cohorts ----------

function drawCohorts(d, asTable) {
  const cohorts = d.cohorts ?? [];
  if (!cohorts.length) return empty(T('no_data'));
  const width = Math.max(...cohorts.map((c) => c.retention.length));
  const columns = Array.from({ length: width }, (_, k) => T('cohorts.month_k', { k }));
  if (asTable) {
    return table(
      'report-cohorts-table',
      [
        { label: T('cohorts.col_cohort') },
        { label: T('cohorts.col_size'), num: true },
        ...columns.map((c) => ({ label: c, num: true })),
      ],
      cohorts.map((c) => [
        monthLong(c.month),
        num(c.size),
        ...columns.map((_, k) => (k < c.retention.length ? pct(c.retention[k]) : '')),
      ]),
      { caption: T('cohorts.title'), cls: 'rpt-cohort-table' },
    );
  }
  // Month 0 is always 100%: the colour scale runs over the later months.
  const later = cohorts.flatMap((c) => c.retention.slice(1)).filter(Number.isFinite);
  const scaleMax = charts.niceMax(Math.max(10, ...later), 10);
  const svg = charts.heatmap({
    rows: cohorts.map((c) => ({
      label: monthShort(c.month),
      sub: num(c.size),
      values: columns.map((_, k) => (k < c.retention.length ? c.retention[k] : undefined)),
    })),
    columns,
    format: (v) => pct(v, 0),
    scaleMax,
    skipFirst: true,
    title: T('cohorts.chart_title'),
    desc: T('cohorts.chart_desc', { count: num(cohorts.length) }),
    corner: T('cohorts.corner'),
    subTitle: T('cohorts.col_size'),
  });
  return [
    h('div', { class: 'rpt-chart rpt-heat-scroll', id: 'report-cohorts-chart' }, svg),
    h(
      'div',
      { class: 'rpt-heat-legend' },
      charts.heatLegend({ scaleMax, format: (v) => pct(v, 0), label: T('cohorts.legend') }),
    ),
  ];
}

// ---------- RFM ----------

const filterHash = (key, value) => `#customers/${key}=${value}`;
function openFiltered(key, value) {
  location.hash = filterHash(key, value);
}

function drawRfm(d, asTable) {
  const { fmt } = ctx;
  // Core's grid and segments, drawn in core's order (rows R5..R1, columns F1..F5).
  const { cols, rows } = rfmRows(d.grid);
  const cells = rows.flatMap((row) => row.cells);
  const computed = h(
    'p',
    { class: 'rpt-range' },
    d.computed_at
      ? T('rfm.computed', { count: num(d.customers), when: fmt.dateTime(d.computed_at) })
      : T('never_computed'),
    d.stale && d.computed_at ? [' ', h('span', { class: 'rpt-stale' }, T('stale_updating'))] : null,
  );
  const segments = d.segments ?? [];
  const total = d.customers || segments.reduce((s, x) => s + x.count, 0);
  const withRevenue = ctx.can('shop_revenue') && segments.some((s) => s.revenue !== null && s.revenue !== undefined);
  const segmentList = table(
    'report-rfm-segments',
    [
      { label: A('segment') },
      { label: T('col_customers'), num: true },
      { label: T('col_share'), num: true },
      withRevenue && { label: T('col_revenue'), num: true },
    ].filter(Boolean),
    segments.map((s) =>
      [
        h(
          'button',
          {
            type: 'button',
            class: 'link rpt-segment-link',
            dataset: { segment: s.segment },
            title: T('open_list_hint'),
            onclick: () => openFiltered('segment', s.segment),
          },
          h('span', { class: ['rpt-swatch', `seg-${s.segment}`] }),
          A(`segments.${s.segment}`),
        ),
        num(s.count),
        pct(total ? (100 * s.count) / total : null),
        withRevenue && money(s.revenue),
      ].filter((c) => c !== false),
    ),
    { caption: T('rfm.segments_title') },
  );
  if (asTable) {
    return [
      computed,
      table(
        'report-rfm-table',
        [
          { label: 'R', num: true },
          { label: 'F', num: true },
          { label: A('segment') },
          { label: T('col_customers'), num: true },
        ],
        cells.map((c) => [String(c.r), String(c.f), A(`segments.${c.segment}`), num(c.count)]),
        { caption: T('rfm.grid_title') },
      ),
      segmentList,
    ];
  }
  const max = Math.max(1, ...cells.map((c) => c.count));
  const grid = h(
    'div',
    { class: 'rfm-grid', id: 'report-rfm-grid', role: 'group', 'aria-label': T('rfm.grid_title') },
    h('span', { class: 'rfm-axis rfm-corner', 'aria-hidden': 'true' }),
    cols.map((f) => h('span', { class: 'rfm-axis rfm-col', title: A('frequency') }, `F${f}`)),
    rows.map((row) => [
      h('span', { class: 'rfm-axis rfm-row', title: A('recency') }, `R${row.r}`),
      row.cells.map((c) => {
        const label = T('rfm.cell_label', { r: c.r, f: c.f, segment: A(`segments.${c.segment}`), count: num(c.count) });
        return h(
          'button',
          {
            type: 'button',
            class: ['rfm-cell', `seg-${c.segment}`, c.count === 0 && 'zero', c.count / max > 0.5 && 'strong'],
            dataset: { r: String(c.r), f: String(c.f), segment: c.segment },
            title: `${label} — ${T('open_list_hint')}`,
            'aria-label': label,
            onclick: () => openFiltered('segment', c.segment),
          },
          h('span', { class: 'rfm-count' }, num(c.count)),
          h('span', { class: 'rfm-seg' }, A(`segments_short.${c.segment}`)),
        );
      }),
    ]),
  );
  return [
    computed,
    h(
      'div',
      { class: 'rpt-rfm-layout' },
      h('div', { class: 'rpt-rfm-left' }, grid, h('p', { class: 'rfm-axis-note hint' }, T('rfm.axes'))),
      h('div', { class: 'rpt-rfm-right' }, h('h3', {}, T('rfm.segments_title')), segmentList),
    ),
    h(
      'div',
      { class: 'rpt-rules-text', id: 'report-rfm-rules' },
      h('h3', {}, T('rfm.rules_title')),
      h(
        'ul',
        {},
        h('li', {}, h('strong', {}, 'R'), ' — ', A('recency_rule')),
        h('li', {}, h('strong', {}, 'F'), ' — ', A('frequency_rule')),
        h('li', {}, h('strong', {}, 'M'), ' — ', A('monetary_rule')),
        h('li', {}, T('rfm.grid_rule')),
        h('li', { id: 'report-rfm-vs-risk' }, T('rfm.vs_at_risk')),
      ),
    ),
  ];
}

// ---------- lifecycle ----------

function drawLifecycle(d, asTable) {
  const { fmt } = ctx;
  const counts = new Map((d.stages ?? []).map((s) => [s.stage, s.count]));
  const total = STAGES.reduce((s, k) => s + (counts.get(k) ?? 0), 0);
  // Reached at least this stage: the stage and every later one (the funnel narrows).
  const reached = STAGES.map((_, i) => STAGES.slice(i).reduce((s, k) => s + (counts.get(k) ?? 0), 0));
  const computed = h(
    'p',
    { class: 'rpt-range' },
    d.computed_at
      ? T('lifecycle.computed', { count: num(total), when: fmt.dateTime(d.computed_at) })
      : T('never_computed'),
    d.stale && d.computed_at ? [' ', h('span', { class: 'rpt-stale' }, T('stale_updating'))] : null,
  );
  if (asTable) {
    return [
      computed,
      table(
        'report-lifecycle-table',
        [
          { label: '#', num: true },
          { label: A('stage') },
          { label: T('lifecycle.col_rule') },
          { label: T('col_customers'), num: true },
          { label: T('col_share'), num: true },
          { label: T('lifecycle.col_reached'), num: true },
        ],
        STAGES.map((s, i) => [
          String(i + 1),
          A(`stages.${s}`),
          A(`stage_rules.${s}`),
          num(counts.get(s) ?? 0),
          pct(total ? (100 * (counts.get(s) ?? 0)) / total : null),
          num(reached[i]),
        ]),
        { caption: T('lifecycle.title') },
      ),
    ];
  }
  return [
    computed,
    h(
      'ol',
      { class: 'funnel', id: 'report-funnel', 'aria-label': T('lifecycle.title') },
      STAGES.map((s, i) => {
        const n = counts.get(s) ?? 0;
        const label = T('lifecycle.stage_label', { stage: A(`stages.${s}`), count: num(n), reached: num(reached[i]) });
        return h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: ['funnel-stage', `stage-${s}`],
              dataset: { stage: s },
              title: T('open_list_hint'),
              'aria-label': `${label}. ${A(`stage_rules.${s}`)}`,
              onclick: () => openFiltered('stage', s),
            },
            h('span', { class: 'funnel-step' }, String(i + 1)),
            h(
              'span',
              { class: 'funnel-text' },
              h('span', { class: 'funnel-name' }, A(`stages.${s}`)),
              h('span', { class: 'funnel-rule' }, A(`stage_rules.${s}`)),
            ),
            h(
              'span',
              { class: 'funnel-bar' },
              charts.bar(total ? reached[i] / total : 0, { centred: true, cls: `stage-fill stage-${s}` }),
              h('span', { class: 'funnel-bar-label' }, T('lifecycle.reached', { count: num(reached[i]) })),
            ),
            h(
              'span',
              { class: 'funnel-count' },
              h('strong', {}, num(n)),
              h('span', { class: 'muted' }, pct(total ? (100 * n) / total : null)),
            ),
          ),
        );
      }),
    ),
    h('p', { class: 'hint' }, T('lifecycle.order_hint')),
  ];
}

// ---------- CLV ----------

function param(name, value, digits = 3) {
  return h(
    'span',
    { class: 'rpt-param' },
    h('span', { class: 'rpt-param-name' }, name),
    ' = ',
    h('strong', {}, num(value, digits)),
  );
}

function atRiskBlock(d) {
  const { t } = ctx;
  const head = h(
    'div',
    { class: 'rpt-subhead' },
    h('h3', {}, T('clv.at_risk_title')),
    h('span', { class: 'spacer' }),
    h(
      'a',
      { href: filterHash('at_risk', '1'), class: 'rpt-see-all', id: 'report-at-risk-all' },
      T('clv.at_risk_all'),
      icon('back', 'icon flip'),
    ),
  );
  if (d.atRiskError) return [head, h('p', { class: 'notice error small' }, explain(d.atRiskError))];
  const rows = d.atRisk ?? [];
  return [
    head,
    h(
      'p',
      { class: 'hint' },
      A('at_risk_rule'),
      ' ',
      h('span', { id: 'report-at-risk-why' }, T('clv.at_risk_vs_segment')),
    ),
    rows.length
      ? table(
          'report-at-risk',
          [
            { label: t('customers.col_name') },
            { label: A('p_alive'), num: true },
            { label: A('clv'), num: true },
            { label: t('customers.col_total_spent'), num: true },
          ],
          rows.map((r) => [
            h(
              'a',
              { href: `#profile/${encodeURIComponent(r.id)}`, class: 'rpt-customer' },
              r.name,
              r.code && h('span', { class: 'cell-sub' }, ` · ${r.code}`),
            ),
            r.p_alive === null || r.p_alive === undefined
              ? h('span', { class: 'muted' }, A('p_alive_unknown'))
              : pct(r.p_alive * 100, 0),
            money(r.clv),
            money(r.total_spent),
          ]),
          { caption: T('clv.at_risk_title') },
        )
      : empty(T('clv.at_risk_none')),
  ];
}

function drawClv(d, asTable) {
  const { fmt } = ctx;
  const parts = [];
  const fit = d.fit;
  if (!fit) {
    const thin = d.fitError?.code === 'analytics.too_thin';
    parts.push(
      h(
        'div',
        { class: ['notice', thin ? 'warn' : 'error', 'rpt-thin'], id: 'report-clv-refused', role: 'status' },
        careIcon(thin ? 'clock' : 'shield'),
        h('div', {}, h('p', {}, explain(d.fitError)), thin && h('p', { class: 'muted' }, T('clv.thin_hint'))),
      ),
    );
  } else {
    const b = fit.bgnbd ?? {};
    const g = fit.gamma_gamma ?? {};
    parts.push(
      h(
        'details',
        { class: 'rpt-params-details', id: 'report-clv-details' },
        h('summary', {}, T('clv.details')),
        h(
          'div',
          { class: 'rpt-params', id: 'report-clv-params' },
          h(
            'div',
            { class: 'rpt-param-box' },
            h('div', { class: 'rpt-param-title' }, T('clv.bgnbd'), h('span', { class: 'muted' }, T('clv.bgnbd_what'))),
            h(
              'div',
              { class: 'rpt-param-list' },
              param('r', b.r),
              param('α', b.alpha),
              param('a', b.a),
              param('b', b.b),
            ),
          ),
          h(
            'div',
            { class: 'rpt-param-box' },
            h(
              'div',
              { class: 'rpt-param-title' },
              T('clv.gamma_gamma'),
              h('span', { class: 'muted' }, T('clv.gamma_gamma_what')),
            ),
            h('div', { class: 'rpt-param-list' }, param('p', g.p), param('q', g.q), param('γ', g.gamma, 2)),
          ),
          h(
            'p',
            { class: 'hint rpt-param-note' },
            T('clv.fit_note', { date: showDay(fit.calibration_end), days: num(fit.horizon_days) }),
          ),
        ),
      ),
    );
    const bins = fit.distribution ?? [];
    if (!bins.length) parts.push(empty(T('no_data')));
    else if (asTable) {
      parts.push(
        table(
          'report-clv-table',
          [
            { label: T('clv.col_from'), num: true },
            { label: T('clv.col_to'), num: true },
            { label: T('col_customers'), num: true },
          ],
          bins.map((x) => [money(x.from), money(x.to), num(x.count)]),
          { caption: T('clv.chart_title') },
        ),
      );
    } else {
      // The bin holding the middle customer (the customer list is only the top `limit`).
      const n = bins.reduce((sum, x) => sum + x.count, 0);
      let seen = 0;
      const mid = bins.find((x) => {
        seen += x.count;
        return seen >= n / 2;
      });
      const median = mid ? `${money(mid.from)} – ${money(mid.to)}` : '—';
      parts.push(
        h(
          'div',
          { class: 'rpt-chart', id: 'report-clv-chart' },
          charts.histogram({
            bins: bins.map((x) => ({ from: Number(x.from), to: Number(x.to), count: x.count })),
            edgeLabel: moneyAxis,
            binLabel: (x) => `${money(x.from)} – ${money(x.to)}`,
            countLabel: (v) => charts.count(v, ctx.fmt.locale),
            title: T('clv.chart_title'),
            desc: T('clv.chart_desc', { count: num(n), days: num(fit.horizon_days), median }),
            xTitle: T('clv.x_title', { currency: fmt.symbol, days: num(fit.horizon_days) }),
            yTitle: T('col_customers'),
          }),
        ),
      );
    }
  }
  parts.push(h('div', { class: 'rpt-at-risk' }, atRiskBlock(d)));
  return parts;
}

// ---------- staff ----------

function drawStaff(d) {
  const rows = d.staff ?? [];
  return [
    table(
      'report-staff-table',
      [
        { label: T('staff.col_staff') },
        { label: T('staff.col_purchases'), num: true },
        { label: T('col_revenue'), num: true },
        { label: T('staff.col_new'), num: true },
        { label: T('staff.col_reminders'), num: true },
        { label: T('staff.col_served'), num: true },
        { label: A('churn_rate'), num: true },
      ],
      rows.map((r) => [
        r.staff ? h('span', { class: 'cell-name' }, r.staff) : h('span', { class: 'muted' }, T('staff.unknown')),
        num(r.purchases),
        money(r.revenue),
        num(r.new_customers),
        num(r.reminders_completed),
        num(r.customers_served),
        h(
          'span',
          { title: T('staff.lost_title', { count: num(r.lost_customers) }) },
          pct(r.churn_rate),
          h('span', { class: 'cell-sub' }, ` (${num(r.lost_customers)})`),
        ),
      ]),
      { caption: T('staff.title') },
    ),
    h('p', { class: 'hint' }, T('staff.churn_rule')),
  ];
}

// ---------- counters ----------

function drawCounters(d) {
  const rows = d.counters ?? [];
  return [
    table(
      'report-counters-table',
      [
        { label: T('counters.col_counter') },
        { label: T('staff.col_purchases'), num: true },
        { label: T('col_revenue'), num: true },
        { label: T('counters.col_customers'), num: true },
      ],
      rows.map((r) => [
        r.counter ? h('span', { class: 'cell-name' }, r.counter) : h('span', { class: 'muted' }, T('counters.unnamed')),
        num(r.purchases),
        money(r.revenue),
        num(r.customers),
      ]),
      { caption: T('counters.title') },
    ),
    h('p', { class: 'hint' }, T('counters.rule')),
  ];
}

// ---------- export ----------

const fold = (s) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase();
const slug = (s) =>
  fold(s)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

async function exportReport(name, button) {
  const { fmt } = ctx;
  let path;
  try {
    path = await api.pickSavePath(`${slug(T('file_prefix'))}-${slug(T(`${name}.title`))}-${shopToday(fmt)}.xlsx`, [
      { name: 'Excel (XLSX)', extensions: ['xlsx'] },
      { name: 'CSV', extensions: ['csv'] },
    ]);
  } catch (err) {
    ctx.showError(err);
    return;
  }
  if (!path) return;
  button.disabled = true;
  button.classList.add('busy');
  try {
    const r = await api.reportExport(name, EXPORT_ARGS[name](), path);
    toast(T('exported', { count: num(r.rows), path: r.path ?? path }), 'success', 6000);
  } catch (err) {
    toast(explain(err), 'error');
  } finally {
    button.disabled = false;
    button.classList.remove('busy');
  }
}

export default { mount, unmount };
