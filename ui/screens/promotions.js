// Promotions (#promotions, the owner's): voucher programmes with what each gave and brought
// (program_overview), a form to add one (program_add) and issuing one to a list
// (voucher_issue); appreciation campaigns with what they brought back against the group held
// back (campaign_overview), a form to add one (campaign_add) and launching (campaign_launch).
// The core checks every field; its refusals show next to the field they name.
import * as api from '../lib/api.js';
import { h, fill, icon, toast, clearFieldErrors, showFieldError } from '../lib/dom.js';
import { dateInput, dateValue } from '../lib/datefield.js';
import { benefitText, dayText } from '../lib/vouchers.js';
import { templateTitle } from '../lib/names.js';

const KINDS = ['amount', 'percent', 'gift', 'multiplier', 'points'];
// Who a programme is issued to: everyone, or one RFM segment.
const AUDIENCES = ['all', 'champions', 'loyal', 'potential_loyalist', 'new', 'at_risk', 'cant_lose', 'hibernating'];

let ctx = null;
let els = null;

const P = (key, params) => ctx.t(`promotions.${key}`, params);

function mount(root, context) {
  ctx = context;
  els = {
    programs: h('tbody', {}, h('tr', {}, h('td', { class: 'empty', colspan: '7' }, ctx.t('common.loading')))),
    campaigns: h('div', { class: 'campaign-list', id: 'campaign-list' }),
    error: h('div', { class: 'notice error hidden', role: 'alert' }),
  };
  fill(
    root,
    h(
      'div',
      { class: 'promotions-screen', id: 'promotions-screen' },
      h('header', { class: 'screen-header' }, h('h1', {}, P('title'))),
      h('p', { class: 'muted intro' }, P('intro')),
      els.error,
      h(
        'section',
        { class: 'card table-card' },
        h('h2', {}, icon('award'), P('programs')),
        h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            { class: 'list', id: 'program-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['name', 'benefit', 'valid', 'issued', 'redeemed', 'discount', 'revenue'].map((c) =>
                  h('th', { class: c === 'name' || c === 'benefit' || c === 'valid' ? '' : 'num' }, P(`col_${c}`)),
                ),
              ),
            ),
            els.programs,
          ),
        ),
        programForm(),
      ),
      h('section', { class: 'card' }, h('h2', {}, icon('sparkle'), P('campaigns')), els.campaigns, campaignForm()),
    ),
  );
  load();
}

function unmount() {
  els = null;
}

async function load() {
  const mine = els;
  try {
    const [programs, campaigns] = await Promise.all([api.programOverview(), api.campaignOverview()]);
    if (els !== mine) return;
    els.programList = programs;
    drawPrograms(programs);
    drawCampaigns(campaigns);
    fillProgramSelect(programs);
  } catch (err) {
    if (els !== mine) return;
    els.error.classList.remove('hidden');
    fill(els.error, ctx.t.error(err));
  }
}

function drawPrograms(list) {
  const { t, fmt } = ctx;
  if (!list.length) {
    fill(els.programs, h('tr', {}, h('td', { class: 'empty', colspan: '7' }, P('no_programs'))));
    return;
  }
  fill(
    els.programs,
    list.map((r) => {
      const p = r.program;
      const open = p.status === 'active' || p.status === 'scheduled';
      return h(
        'tr',
        { dataset: { id: p.id } },
        h(
          'td',
          {},
          h('strong', {}, p.name),
          h('div', { class: 'muted small' }, P(`status_${p.status}`), p.shared_code ? ` · ${p.shared_code}` : ''),
          // Issuing and ending sit under the name, so the row fits a 1024-wide window.
          open && h('div', { class: 'row-actions' }, !p.shared_code && issueControl(p), endButton(p)),
        ),
        h('td', {}, benefitText(t, fmt, p.benefit)),
        h('td', {}, `${dayText(p.from)} – ${dayText(p.until)}`),
        h('td', { class: 'num' }, fmt.number(r.issued)),
        h(
          'td',
          { class: 'num' },
          fmt.number(r.redeemed),
          r.redemption_rate !== null && r.redemption_rate !== undefined
            ? h('div', { class: 'muted small' }, `${fmt.number(r.redemption_rate * 100, 1)}%`)
            : null,
        ),
        h('td', { class: 'num' }, fmt.money(r.discount)),
        h('td', { class: 'num' }, fmt.money(r.revenue)),
      );
    }),
  );
}

function issueControl(p) {
  const sel = h(
    'select',
    { 'aria-label': P('issue_to'), class: 'small' },
    AUDIENCES.map((a) => h('option', { value: a }, a === 'all' ? P('everyone') : ctx.t(`reports.segments.${a}`))),
  );
  const go = async (e) => {
    const btn = e.currentTarget;
    btn.disabled = true;
    try {
      const filter = sel.value === 'all' ? {} : { segment: sel.value };
      const r = await api.voucherIssue(p.id, filter);
      toast(P('issued', { count: ctx.fmt.number(r.issued), skipped: ctx.fmt.number(r.skipped) }), 'success', 6000);
      load();
    } catch (err) {
      btn.disabled = false;
      ctx.showError(err);
    }
  };
  return h(
    'span',
    { class: 'issue-control' },
    sel,
    h('button', { type: 'button', class: 'ghost small', dataset: { issue: p.id }, onclick: go }, P('issue')),
  );
}

function endButton(p) {
  return h(
    'button',
    {
      type: 'button',
      class: 'ghost small danger-text',
      onclick: async () => {
        try {
          await api.programEnd(p.id);
          load();
        } catch (err) {
          ctx.showError(err);
        }
      },
    },
    P('end'),
  );
}

/** One labelled field; `name` is the core's field name, so a refusal lands next to it. */
function field(name, control, wide = false) {
  control.name = name;
  return h('label', { class: ['field', wide && 'grow'] }, h('span', { class: 'label' }, P(`f_${name}`)), control);
}

const text = (attrs = {}) => h('input', { autocomplete: 'off', ...attrs });

function programForm() {
  const kind = h(
    'select',
    {},
    KINDS.map((k) => h('option', { value: k }, P(`kind_${k}`))),
  );
  const until = dateInput({ id: 'program-until' });
  const from = dateInput({ id: 'program-from' });
  const form = h(
    'form',
    { class: 'promo-form', id: 'program-form', novalidate: true },
    h('h3', {}, P('new_program')),
    h(
      'div',
      { class: 'form-grid' },
      field('name', text({ id: 'program-name' }), true),
      field('kind', kind),
      field('value', text({ id: 'program-value', inputmode: 'decimal' })),
      field('cap', text({ inputmode: 'decimal' })),
      field('gift', text()),
      field('min_bill', text({ inputmode: 'decimal' })),
      field('from', from),
      field('until', until),
      field('shared_code', text({ placeholder: P('shared_code_hint') })),
    ),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, P('add_program'))),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const v = (n) => form.elements[n].value.trim() || undefined;
    const input = {
      name: v('name') ?? '',
      kind: kind.value,
      value: v('value'),
      cap: v('cap'),
      gift: v('gift'),
      min_bill: v('min_bill'),
      from: dateValue(from) || undefined,
      until: dateValue(until) || undefined,
      shared_code: v('shared_code'),
    };
    try {
      const p = await api.programAdd(input);
      toast(P('program_added', { name: p.name }), 'success');
      form.reset();
      load();
    } catch (err) {
      refusal(form, err);
    }
  });
  return form;
}

function refusal(form, err) {
  const name = err.params?.field;
  const input = name && form.elements[name];
  if (input) {
    showFieldError(input, ctx.t.error(err));
    input.focus();
  } else ctx.showError(err, form);
}

function fillProgramSelect(programs) {
  const sel = document.getElementById('campaign-program');
  if (!sel) return;
  const usable = programs.filter(
    (r) => !r.program.shared_code && (r.program.status === 'active' || r.program.status === 'scheduled'),
  );
  fill(
    sel,
    h('option', { value: '' }, P('no_voucher')),
    usable.map((r) => h('option', { value: r.program.id }, r.program.name)),
  );
}

function campaignForm() {
  const date = dateInput({ id: 'campaign-date' });
  const program = h('select', { id: 'campaign-program' });
  const segment = h(
    'select',
    { id: 'campaign-segment' },
    AUDIENCES.map((a) => h('option', { value: a }, a === 'all' ? P('everyone') : ctx.t(`reports.segments.${a}`))),
  );
  const template = h('select', { id: 'campaign-template' }, h('option', { value: '' }, P('no_message')));
  api
    .templateList()
    .then(({ templates }) =>
      template.append(...templates.map((x) => h('option', { value: x.name }, templateTitle(ctx.t, x)))),
    )
    .catch(() => {}); // messages are optional
  const form = h(
    'form',
    { class: 'promo-form', id: 'campaign-form', novalidate: true },
    h('h3', {}, P('new_campaign')),
    h(
      'div',
      { class: 'form-grid' },
      field('name', text({ id: 'campaign-name' }), true),
      field('filter', segment),
      field('top', text({ inputmode: 'numeric', placeholder: P('top_hint') })),
      field('program', program),
      field('points', text({ inputmode: 'numeric' })),
      field('holdout_percent', text({ inputmode: 'numeric', value: '10' })),
      field('date', date),
      field('window_days', text({ inputmode: 'numeric', value: '30' })),
      field('template', template),
      field('call_top', text({ inputmode: 'numeric', placeholder: P('call_top_hint') })),
    ),
    h('p', { class: 'hint' }, P('holdout_hint')),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, P('add_campaign'))),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const v = (n) => form.elements[n].value.trim();
    const int = (n) => (v(n) === '' ? undefined : Number(v(n)));
    const input = {
      name: v('name'),
      filter: segment.value === 'all' ? {} : { segment: segment.value },
      top: int('top'),
      template: template.value || undefined,
      call_top: int('call_top'),
      program: v('program') || undefined,
      points: int('points'),
      holdout_percent: int('holdout_percent'),
      date: dateValue(date) || undefined,
      window_days: int('window_days'),
    };
    try {
      const c = await api.campaignAdd(input);
      toast(P('campaign_added', { name: c.name }), 'success');
      form.reset();
      load();
    } catch (err) {
      refusal(form, err);
    }
  });
  return form;
}

function drawCampaigns(rows) {
  if (!rows.length) {
    fill(els.campaigns, h('p', { class: 'muted' }, P('no_campaigns')));
    return;
  }
  fill(
    els.campaigns,
    rows.map(({ campaign, results }) => campaignCard(campaign, results)),
  );
}

function campaignCard(c, r) {
  const { fmt } = ctx;
  const pct = (x) => `${fmt.number(x * 100, 1)}%`;
  const group = (g) => `${fmt.number(g.returned)}/${fmt.number(g.customers)} (${pct(g.return_rate)})`;
  const head = h(
    'div',
    { class: 'campaign-head' },
    h('strong', {}, c.name),
    h('span', { class: 'muted' }, `${dayText(c.from)} – ${dayText(c.until)}`),
    h('span', { class: 'spacer' }),
    !c.launched_at &&
      h(
        'button',
        {
          type: 'button',
          class: 'primary small',
          dataset: { launch: c.id },
          onclick: async (e) => {
            const btn = e.currentTarget;
            btn.disabled = true;
            try {
              // With a message template, the treated customers' messages are saved as CSV.
              let path = null;
              if (c.template) {
                path = await api.pickSavePath(`${P('messages_file')}-${c.id}.csv`, [
                  { name: 'CSV', extensions: ['csv'] },
                ]);
                if (!path) {
                  btn.disabled = false;
                  return;
                }
              }
              const l = await api.campaignLaunch(c.id, path);
              toast(P('launched', { treated: fmt.number(l.treated), holdout: fmt.number(l.holdout) }), 'success', 6000);
              load();
            } catch (err) {
              btn.disabled = false;
              ctx.showError(err);
            }
          },
        },
        P('launch'),
      ),
  );
  if (!r)
    return h(
      'article',
      { class: 'campaign', dataset: { id: c.id } },
      head,
      h('p', { class: 'muted' }, P('not_launched')),
    );
  const d = r.return_rate_difference;
  const conclusive = (e) => e.low > 0 || e.high < 0;
  return h(
    'article',
    { class: 'campaign', dataset: { id: c.id } },
    head,
    h(
      'p',
      { class: 'campaign-summary' },
      P('summary', {
        customers: fmt.number(r.extra_customers.value, 0),
        revenue: fmt.money(r.extra_revenue.value),
        cost: fmt.money(r.cost),
      }),
    ),
    h(
      'ul',
      { class: 'campaign-figures' },
      h(
        'li',
        {},
        P('groups', {
          treated: group(r.treated),
          holdout: group(r.holdout),
        }),
      ),
      h(
        'li',
        {},
        P('difference', { value: pct(d.value), low: pct(d.low), high: pct(d.high) }),
        !conclusive(d) && h('span', { class: 'muted' }, ` · ${P('not_conclusive')}`),
      ),
      h(
        'li',
        {},
        P('revenue_difference', {
          value: fmt.money(r.extra_revenue.value),
          low: fmt.money(r.extra_revenue.low),
          high: fmt.money(r.extra_revenue.high),
        }),
        !conclusive({ low: Number(r.extra_revenue.low), high: Number(r.extra_revenue.high) }) &&
          h('span', { class: 'muted' }, ` · ${P('not_conclusive')}`),
      ),
      h(
        'li',
        {},
        P('cost_line', {
          redeemed: fmt.number(r.redeemed),
          issued: fmt.number(r.issued),
          discounts: fmt.money(r.discounts),
          gifts: fmt.money(r.gift_cost),
          points: fmt.money(r.points_cost),
        }),
      ),
    ),
  );
}

export default { mount, unmount };
