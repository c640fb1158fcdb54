// Customer profile: editable details, stats, loyalty points (balance, tier, manual
// adjustment, ledger, tier history), archive, and customer care (issue 7): one timeline of
// purchases (with refunds), points, reminders, interactions, surveys, tickets and tier moves;
// care actions (log, reminder, survey, message, confirm details); open reminders; satisfaction;
// warranties and after-sales tickets; referrals. Retention analytics (issue 8): a small
// "Phân tích" card from customer_get's scores (segment, stage, R/F/M, P(alive), CLV).
import * as api from '../lib/api.js';
import { h, fill, icon, clearFieldErrors, showFieldError, confirmDialog, toast, bindAmountInput } from '../lib/dom.js';
import { addMonths, formatBirthday, parseBirthday, toMinor, fromMinor } from '../lib/format.js';
import { tierProgress, formatPointsTyping, signedPoints } from '../lib/loyalty.js';
import { benefitText, dayText } from '../lib/vouchers.js';
import {
  openLogDialog,
  openReminderDialog,
  openSurveyDialog,
  openMessageDialog,
  openTicketDialog,
  careIcon,
  reminderReason,
  shopToday,
  addDays,
  showDate,
  showWhen,
} from '../lib/care-dialogs.js';
import { startPurchase } from './counter.js';

const LEDGER_PAGE = 10;
const TIMELINE_PAGE = 30;
const WARRANTIES_SHOWN = 5; // warranties listed before "show all" (active ones first)
const REMINDERS_SHOWN = 5;
// Timeline filters: the event kinds each shows.
const TIMELINE_FILTERS = {
  all: null,
  purchase: ['purchase'],
  interaction: ['interaction'],
  reminder: ['reminder'],
  points: ['points', 'tier'],
  survey: ['survey'],
  ticket: ['ticket'],
};
const EVENT_ICONS = {
  purchase: 'counter',
  points: 'star',
  reminder: 'reminders',
  interaction: 'message',
  survey: 'survey',
  ticket: 'tool',
  tier: 'award',
};
const TICKET_STATUSES = ['open', 'in_progress', 'done'];

const GENDERS = ['male', 'female', 'other'];
const SOURCES = ['walk_in', 'facebook', 'zalo', 'referral', 'other'];

let ctx = null;
let els = null;
let data = null; // {customer, stats, purchases, loyalty, ledger, tier_history} as last loaded
let care = null; // CustomerCare as last loaded (null when it could not be read)
let careError = null; // why it could not
let ledgerAll = false; // the whole points ledger, not only its first page
let timelineFilter = 'all';
let timelineShown = TIMELINE_PAGE;
let warrantiesAll = false;
let remindersAll = false;

// Editable fields: contract key, how the customer value shows in the input, how input goes back.
const FIELDS = {
  name: { get: (c) => c.name },
  phone: { get: (c) => c.phone_display || c.phone || '' },
  code: { get: (c) => c.code ?? '' },
  birthday: { get: (c) => formatBirthday(c.birthday), put: parseBirthday },
  gender: { get: (c) => c.gender ?? '' },
  email: { get: (c) => c.email ?? '' },
  address: { get: (c) => c.address ?? '' },
  tags: {
    get: (c) => c.tags.join(', '),
    put: (v) =>
      v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
  },
  source: { get: (c) => c.source },
  referred_by: { get: (c) => c.referred_by_name ?? c.referred_by ?? '' },
  note: { get: (c) => c.note ?? '' },
};

async function mount(root, context, param) {
  ctx = context;
  const id = /^\d+$/.test(param ?? '') ? Number(param) : param; // ids are integers on the wire
  const mine = { root };
  els = mine;
  fill(root, h('p', { class: 'loading' }, ctx.t('common.loading')));
  try {
    // Care is loaded alongside; a failure there still shows the rest of the profile.
    const [loaded, careResult] = await Promise.all([api.customerGet(id), loadCare(id)]);
    if (els !== mine) return; // navigated away (or to another profile) meanwhile
    if (data?.customer.id !== loaded.customer.id) {
      ledgerAll = false;
      timelineFilter = 'all';
      warrantiesAll = false;
      remindersAll = false;
    }
    timelineShown = TIMELINE_PAGE;
    data = loaded;
    ({ care, error: careError } = careResult);
    render();
    loadVouchers(loaded.customer.id);
  } catch (err) {
    if (els !== mine) return;
    fill(root, h('div', { class: 'profile' }, backLink(), h('p', { class: 'notice error' }, ctx.t.error(err))));
  }
}

function unmount() {
  els = null;
}

/** customer_care, as {care, error} (never rejects). */
async function loadCare(id) {
  try {
    return { care: await api.customerCare(id), error: null };
  } catch (err) {
    return { care: null, error: err };
  }
}

const P = (key, params) => ctx.t(`profile_care.${key}`, params);

const backLink = () =>
  h('a', { href: '#customers', class: 'back-link', id: 'profile-back' }, icon('back'), ctx.t('profile.back'));

function render() {
  const { t, fmt } = ctx;
  const c = data.customer;
  const archived = !!c.archived_at;
  const form = detailsForm(c);
  els.form = form;
  fill(
    els.root,
    h(
      'div',
      { class: 'profile', onkeydown: onKeydown },
      backLink(),
      h(
        'header',
        { class: 'profile-head' },
        h(
          'div',
          { class: 'avatar large' },
          c.name
            .split(/\s+/)
            .filter(Boolean)
            .slice(-2)
            .map((w) => w[0])
            .join('')
            .toUpperCase(),
        ),
        h(
          'div',
          { class: 'profile-title' },
          h('h1', {}, c.name, archived && h('span', { class: 'badge muted' }, t('counter.archived'))),
          h(
            'div',
            { class: 'result-sub' },
            h('span', { class: 'phone' }, c.phone_display || t('common.none')),
            c.code && h('span', { class: 'code' }, c.code),
            h('span', {}, t('profile.since', { date: fmt.date(c.created_at) })),
          ),
        ),
        h('span', { class: 'spacer' }),
        !archived &&
          h(
            'button',
            { type: 'button', class: 'primary', id: 'profile-purchase', onclick: recordPurchase },
            icon('counter'),
            t('profile.new_purchase'),
          ),
        ctx.can('audit_log') &&
          h(
            'a',
            { class: 'button-link', id: 'profile-history', href: `#audit/customer=${c.id}` },
            t('profile.history'),
          ),
        !archived &&
          ctx.can('archive_customer') &&
          h(
            'button',
            { type: 'button', class: 'ghost danger-text', id: 'profile-archive', onclick: archive },
            icon('archive'),
            t('profile.archive'),
          ),
      ),
      archived &&
        h(
          'p',
          { class: 'notice warn', id: 'profile-archived' },
          t('profile.archived_on', { date: fmt.date(c.archived_at) }),
        ),
      (els.careBar = h(
        'div',
        { class: 'care-bar', id: 'profile-care-actions', role: 'toolbar', 'aria-label': P('actions') },
        careBar(),
      )),
      h(
        'div',
        { class: 'profile-grid' },
        h(
          'div',
          { class: 'profile-main' },
          h('section', { class: 'card' }, h('h2', {}, t('profile.details')), form),
          (els.careCol = h('div', { class: 'profile-care-col' }, careColumn())),
        ),
        (els.side = h('div', { class: 'profile-side' }, sideCards())),
      ),
    ),
  );
}

// Everything but the details form, which may hold unsaved edits: redrawn after an
// adjustment, a refund or a care action.
const sideCards = () => [
  statsCard(),
  analyticsCard(),
  remindersCard(),
  loyaltyCard(),
  timelineCard(),
  pointsHistoryCard(),
];

function redrawSide(focusId = null) {
  if (!els?.side) return;
  fill(els.side, sideCards());
  if (els.careCol) fill(els.careCol, careColumn());
  if (els.careBar) fill(els.careBar, careBar());
  if (focusId) document.getElementById(focusId)?.focus();
}

/** Reloads stats, purchases, points and care after a change made here (refund, adjustment). */
async function reloadSide(focusId = null) {
  const mine = els;
  try {
    const [loaded, careResult] = await Promise.all([api.customerGet(data.customer.id), loadCare(data.customer.id)]);
    if (els !== mine) return;
    const { stats, purchases, loyalty, ledger, tier_history: tierHistory, scores } = loaded;
    Object.assign(data, { stats, purchases, loyalty, ledger, tier_history: tierHistory, scores });
    ({ care, error: careError } = careResult);
    redrawSide(focusId);
  } catch (err) {
    if (els === mine) ctx.showError(err);
  }
}

/** Reloads only the care part (after a care action): reminders, timeline, tickets... */
async function reloadCare(focusId = null) {
  const mine = els;
  const r = await loadCare(data.customer.id);
  if (els !== mine) return;
  if (r.error) {
    ctx.showError(r.error);
    return;
  }
  care = r.care;
  careError = null;
  redrawSide(focusId);
}

function detailsForm(c) {
  const { t } = ctx;
  const input = (name, attrs = {}) =>
    h('input', {
      name,
      id: `profile-${name.replace('_', '-')}`,
      value: FIELDS[name].get(c),
      autocomplete: 'off',
      ...attrs,
    });
  const select = (name, options, labelPrefix, empty) =>
    h(
      'select',
      { name, id: `profile-${name}` },
      empty && h('option', { value: '' }, t(empty)),
      options.map((o) => h('option', { value: o, selected: o === FIELDS[name].get(c) }, t(`${labelPrefix}.${o}`))),
    );
  const field = (key, control, wide = false) =>
    h('label', { class: ['field', wide && 'wide'] }, h('span', { class: 'label' }, t(`fields.${key}`)), control);
  return h(
    'form',
    { class: 'details-form', id: 'profile-form', novalidate: true, onsubmit: save },
    field('name', input('name', { spellcheck: 'false' }), true),
    field('phone', input('phone', { inputmode: 'tel' })),
    field('code', input('code')),
    field('birthday', input('birthday', { placeholder: t('fields.birthday_placeholder') })),
    field('gender', select('gender', GENDERS, 'gender', 'gender.unset')),
    field('email', input('email', { type: 'email' }), true),
    field('address', input('address'), true),
    field('tags', input('tags', { placeholder: t('fields.tags_placeholder') }), true),
    field('source', select('source', SOURCES, 'source')),
    field('referred_by', input('referred_by', { placeholder: t('fields.referred_by_placeholder') })),
    field('note', h('textarea', { name: 'note', id: 'profile-note', rows: '3', value: FIELDS.note.get(c) }), true),
    h(
      'div',
      { class: 'form-actions wide' },
      h('span', { class: 'spacer' }),
      h('button', { type: 'submit', class: 'primary', id: 'profile-save' }, t('profile.save')),
    ),
  );
}

/** Only the fields the user changed: absent fields are left alone by customer_update. */
function changedInput(form, c) {
  const input = {};
  for (const [key, f] of Object.entries(FIELDS)) {
    const value = form.elements[key].value.trim();
    if (value === FIELDS[key].get(c).trim()) continue;
    input[key] = f.put ? f.put(value) : value;
  }
  return input;
}

async function save(e) {
  e.preventDefault();
  const form = e.currentTarget;
  clearFieldErrors(form);
  const input = changedInput(form, data.customer);
  if (!Object.keys(input).length) {
    toast(ctx.t('common.no_changes'));
    return;
  }
  const button = form.querySelector('#profile-save');
  button.disabled = true;
  try {
    data.customer = await api.customerUpdate(data.customer.id, input);
    toast(ctx.t('profile.saved'), 'success');
    render();
    els.root.querySelector('#profile-save')?.focus();
  } catch (err) {
    button.disabled = false;
    ctx.showError(err, form);
  }
}

async function archive() {
  const { t } = ctx;
  const c = data.customer;
  const ok = await confirmDialog({
    title: t('profile.archive_title'),
    body: t('profile.archive_body', { name: c.name }),
    confirm: t('profile.archive_confirm'),
    cancel: t('common.cancel'),
    danger: true,
  });
  if (!ok) return;
  try {
    data.customer = await api.customerArchive(c.id);
    toast(t('profile.archived_done', { name: c.name }), 'success');
    if (els) render();
  } catch (err) {
    ctx.showError(err);
  }
}

/** Escape goes back to the list, unless it would throw away unsaved edits. */
function onKeydown(e) {
  if (e.key !== 'Escape' || e.defaultPrevented) return;
  if (Object.keys(changedInput(els.form, data.customer)).length) return;
  e.preventDefault();
  ctx.navigate('customers');
}

function recordPurchase() {
  const { customer: c, stats: s } = data;
  startPurchase({
    ...c,
    visits: s.visits,
    total_spent: s.total_spent,
    last_purchase_at: s.last_purchase_at,
    archived: false,
    tier: null,
    points: null,
  });
  ctx.navigate('counter');
}

const item = (label, value, sub) =>
  h(
    'div',
    { class: 'stat' },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-big' }, value),
    sub && h('div', { class: 'stat-sub' }, sub),
  );

function statsCard() {
  const { t, fmt } = ctx;
  const s = data.stats;
  return h(
    'section',
    { class: 'card', id: 'profile-stats' },
    h('h2', {}, t('profile.stats_title')),
    h(
      'div',
      { class: 'stats-grid' },
      item(t('profile.visits'), fmt.number(s.visits)),
      item(t('profile.total_spent'), fmt.money(s.total_spent)),
      item(t('profile.average_basket'), fmt.money(s.average_basket)),
      item(
        t('profile.average_days'),
        s.average_days_between_visits === null
          ? t('common.none')
          : t('common.days', { count: fmt.number(s.average_days_between_visits, 1) }),
      ),
      item(t('profile.first_purchase'), fmt.date(s.first_purchase_at)),
      item(
        t('profile.last_purchase'),
        fmt.date(s.last_purchase_at),
        s.last_purchase_at && fmt.relativeDay(s.last_purchase_at),
      ),
    ),
  );
}

// ---------- analytics (issue 8) ----------

/** Segment, lifecycle stage, R/F/M and the BG/NBD predictions; nothing when there are no scores. */
function analyticsCard() {
  const sc = data.scores;
  if (!sc) return null;
  const { t, fmt } = ctx;
  const A = (key, params) => t(`analytics.${key}`, params);
  const none = t('common.none');
  const has = (v) => v !== null && v !== undefined;
  const rfm = has(sc.r) ? `R${sc.r} · F${sc.f} · M${sc.m}` : none;
  const fitted = has(sc.p_alive) || has(sc.clv);
  const nextVisit = has(sc.next_visit)
    ? new Intl.DateTimeFormat(fmt.locale, {
        timeZone: 'UTC',
        day: '2-digit',
        month: '2-digit',
        year: 'numeric',
      }).format(new Date(`${sc.next_visit}T00:00:00Z`))
    : none;
  return h(
    'section',
    { class: 'card analytics-card', id: 'profile-analytics' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', {}, icon('sparkle'), A('profile_title')),
      sc.at_risk &&
        h(
          'span',
          { class: 'badge danger at-risk-badge', id: 'profile-at-risk', title: A('at_risk_rule') },
          A('at_risk'),
        ),
    ),
    h(
      'div',
      { class: 'analytics-chips' },
      sc.segment &&
        h(
          'a',
          {
            class: ['chip', 'segment-chip', `seg-${sc.segment}`],
            id: 'profile-segment',
            href: `#customers/segment=${sc.segment}`,
            title: A(`segment_hints.${sc.segment}`),
          },
          A(`segments.${sc.segment}`),
        ),
      sc.stage &&
        h(
          'a',
          {
            class: ['chip', 'stage-chip', `stage-${sc.stage}`],
            id: 'profile-stage',
            href: `#customers/stage=${sc.stage}`,
            title: A(`stage_rules.${sc.stage}`),
          },
          A('stage_chip', { stage: A(`stages.${sc.stage}`) }),
        ),
    ),
    h(
      'div',
      { class: 'stats-grid' },
      item(A('rfm_scores'), h('span', { title: A('rfm_scores_hint') }, rfm)),
      // The predictions only when the shop's history allowed a fit.
      fitted && [
        // No P(alive) without a repeat purchase: the model would say 100% for anyone.
        item(
          A('p_alive'),
          has(sc.p_alive)
            ? `${fmt.number(sc.p_alive * 100)}%`
            : h('span', { class: 'muted', id: 'profile-alive-unknown' }, A('p_alive_unknown')),
        ),
        item(
          A('expected_purchases'),
          has(sc.expected_purchases) ? fmt.number(sc.expected_purchases, 1) : none,
          A('expected_purchases_sub'),
        ),
        item(A('next_visit'), nextVisit),
        item(A('clv'), has(sc.clv) ? fmt.money(sc.clv) : none, A('clv_sub')),
        item(A('expected_spend'), has(sc.expected_spend) ? fmt.money(sc.expected_spend) : none),
      ],
    ),
    !fitted && h('p', { class: 'hint' }, A('no_fit')),
    // One sentence when the segment and the chance still buying seem to disagree (core says which).
    sc.why &&
      h(
        'p',
        { class: 'hint analytics-why', id: 'profile-why' },
        A(`why.${sc.why}`, {
          segment: A(`segments.${sc.segment}`),
          percent: has(sc.p_alive) ? `${fmt.number(sc.p_alive * 100)}%` : none,
        }),
      ),
    sc.computed_at &&
      h('p', { class: 'hint analytics-when' }, A('computed_at', { when: fmt.dateTime(sc.computed_at) })),
  );
}

// ---------- loyalty ----------

function loyaltyCard() {
  const { t, fmt } = ctx;
  const l = data.loyalty;
  if (!l) {
    return h(
      'section',
      { class: 'card', id: 'profile-loyalty' },
      h('h2', {}, icon('star'), t('profile.loyalty_title')),
      h('p', { class: 'muted' }, t('common.none')),
    );
  }
  const progress = tierProgress(l, fmt.exponent);
  const multiplier = Number(l.multiplier);
  return h(
    'section',
    { class: 'card loyalty-card', id: 'profile-loyalty' },
    h('h2', {}, icon('star'), t('profile.loyalty_title')),
    h(
      'div',
      { class: 'stats-grid' },
      item(
        t('loyalty.balance'),
        h('span', { id: 'profile-points', dataset: { points: String(l.balance) } }, fmt.number(l.balance)),
        t('loyalty.points_unit'),
      ),
      item(
        t('loyalty.tier'),
        l.tier
          ? h('span', { class: 'tier-badge big', id: 'profile-tier' }, l.tier)
          : h('span', { class: 'muted', id: 'profile-tier' }, t('loyalty.no_tier')),
        Number.isFinite(multiplier) && multiplier !== 1
          ? t('loyalty.multiplier', { multiplier: fmt.number(multiplier, 2) })
          : null,
      ),
      item(t('loyalty.spend_12m'), fmt.money(l.spend_12m)),
    ),
    h(
      'div',
      { class: 'tier-progress wide' },
      progress
        ? [
            h('progress', {
              max: '1',
              value: progress.fraction,
              'aria-label': t('loyalty.to_next', { amount: fmt.money(progress.needed), tier: progress.next }),
            }),
            h(
              'span',
              { class: 'progress-text' },
              t('loyalty.to_next', { amount: fmt.money(progress.needed), tier: progress.next }),
            ),
          ]
        : h('span', { class: 'muted' }, t('loyalty.top_tier')),
    ),
    cardRow(),
    h('div', { id: 'profile-vouchers', class: 'profile-vouchers' }),
    adjustForm(),
  );
}

/** The loyalty card's number, and (for the owner) a PDF of the card to print. */
function cardRow() {
  const { t } = ctx;
  const c = data.customer;
  const general = h('span', { class: 'field-error', role: 'alert' });
  const print = async () => {
    fill(general);
    try {
      const file = `${t('profile.card_file')}-${c.card_no ?? c.id}.pdf`;
      const path = await api.pickSavePath(file, [{ name: 'PDF', extensions: ['pdf'] }]);
      if (!path) return;
      const r = await api.cardPrint(c.id, path, t('cards.label'));
      toast(t('profile.card_printed', { path: r.path }), 'success', 6000);
      if (!c.card_no) reloadSide();
    } catch (err) {
      fill(general, t.error(err));
    }
  };
  return h(
    'div',
    { class: 'card-row', id: 'profile-card' },
    h('span', { class: 'label' }, t('profile.card_no')),
    c.card_no
      ? h('strong', { class: 'card-no', id: 'profile-card-no' }, c.card_no)
      : h('span', { class: 'muted' }, t('profile.card_none')),
    h('span', { class: 'spacer' }),
    ctx.can('promotions') &&
      h(
        'button',
        { type: 'button', class: 'ghost small', id: 'profile-card-print', onclick: print },
        icon('print'),
        t(c.card_no ? 'profile.card_print' : 'profile.card_issue_print'),
      ),
    general,
  );
}

/** The customer's vouchers: usable ones with what they give and until when. */
async function loadVouchers(id) {
  let list = [];
  try {
    list = await api.customerVouchers(id);
  } catch {
    return; // the profile works without them
  }
  const box = els?.root?.querySelector('#profile-vouchers');
  if (!box || data?.customer.id !== id) return;
  const { t, fmt } = ctx;
  const usable = list.filter((v) => v.status === 'usable' || v.status === 'not_yet');
  fill(
    box,
    usable.length > 0 && [
      h('span', { class: 'label' }, t('profile.vouchers')),
      h(
        'ul',
        { class: 'voucher-list' },
        usable.map((v) =>
          h(
            'li',
            { dataset: { code: v.code } },
            h('strong', {}, v.code),
            ' · ',
            v.program,
            ' · ',
            benefitText(t, fmt, v.benefit),
            ' · ',
            t('profile.voucher_until', { date: dayText(v.until) }),
          ),
        ),
      ),
    ],
  );
}

/** "Điều chỉnh điểm": a signed number and a reason, both required (points_adjust). */
function adjustForm() {
  const { t, fmt } = ctx;
  const delta = h('input', {
    id: 'points-adjust-delta',
    name: 'delta',
    inputmode: 'numeric',
    autocomplete: 'off',
    class: 'num',
    placeholder: t('profile.adjust_delta_placeholder'),
  });
  delta.addEventListener('input', () => {
    const r = formatPointsTyping(delta.value, delta.selectionStart ?? delta.value.length, {
      locale: fmt.locale,
      signed: true,
    });
    if (delta.value !== r.text) {
      delta.value = r.text;
      delta.setSelectionRange(r.caret, r.caret);
    }
  });
  const reason = h('input', {
    id: 'points-adjust-reason',
    name: 'reason',
    autocomplete: 'off',
    maxlength: '200',
    placeholder: t('profile.adjust_reason_placeholder'),
  });
  return h(
    'form',
    { class: 'adjust-form', id: 'points-adjust-form', novalidate: true, onsubmit: saveAdjust },
    h('h3', {}, t('profile.adjust_title')),
    h(
      'div',
      { class: 'adjust-row' },
      h('label', { class: 'field' }, h('span', { class: 'label' }, t('profile.adjust_delta')), delta),
      h('label', { class: 'field' }, h('span', { class: 'label' }, t('profile.adjust_reason')), reason),
      h('button', { type: 'submit', class: 'primary', id: 'points-adjust-save' }, t('profile.adjust_save')),
    ),
    h('p', { class: 'hint' }, t('profile.adjust_hint')),
  );
}

async function saveAdjust(e) {
  e.preventDefault();
  const { t, fmt } = ctx;
  const form = e.currentTarget;
  const { delta, reason } = form.elements;
  clearFieldErrors(form);
  const value = formatPointsTyping(delta.value, 0, { locale: fmt.locale, signed: true }).value;
  const why = reason.value.trim();
  // The back end checks both again; answering here saves a round trip at the counter.
  if (!value) {
    showFieldError(delta, t.error({ code: 'loyalty.adjust_zero' }));
    delta.focus();
    return;
  }
  if (!why) {
    showFieldError(reason, t.error({ code: 'loyalty.adjust_reason_required' }));
    reason.focus();
    return;
  }
  const button = form.querySelector('#points-adjust-save');
  button.disabled = true;
  try {
    const r = await api.pointsAdjust(data.customer.id, value, why);
    toast(
      t('profile.adjust_done', {
        points: signedPoints(r.entry.points, fmt.number),
        balance: fmt.number(r.loyalty.balance),
      }),
      'success',
    );
    data.loyalty = r.loyalty;
    data.ledger = [r.entry, ...(data.ledger ?? [])];
    redrawSide('points-adjust-delta');
    reloadSide(); // expiries recorded on the way, tier moves
  } catch (err) {
    button.disabled = false;
    ctx.showError(err, form);
  }
}

/** Translates the back end's reason codes ("expired", "birthday"); typed reasons stay as they are. */
function reasonText(reason) {
  const key = `loyalty.reasons.${reason}`;
  return ctx.t.has(key) ? ctx.t(key) : reason;
}

function ledgerDetail(e) {
  const { t, fmt } = ctx;
  const parts = [];
  if (e.purchase_id !== null && e.purchase_id !== undefined) {
    const p = data.purchases.find((x) => x.id === e.purchase_id);
    if (!p) parts.push(t('profile.ledger_purchase_id', { id: e.purchase_id }));
    else if (fmt.date(p.at) === fmt.date(e.at))
      parts.push(t('profile.ledger_purchase_total', { total: fmt.money(p.total) }));
    else parts.push(t('profile.ledger_purchase', { date: fmt.date(p.at), total: fmt.money(p.total) }));
  }
  if (e.reason) parts.push(reasonText(e.reason));
  if (e.staff) parts.push(t('profile.staff', { staff: e.staff }));
  return parts.join(' · ') || t('common.none');
}

function pointsHistoryCard() {
  const { t, fmt } = ctx;
  const ledger = data.ledger ?? [];
  const moves = data.tier_history ?? [];
  const shown = ledgerAll ? ledger : ledger.slice(0, LEDGER_PAGE);
  const more =
    ledger.length > shown.length &&
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        id: 'profile-ledger-more',
        onclick: () => {
          ledgerAll = true;
          redrawSide('profile-ledger');
        },
      },
      t('profile.ledger_all', { count: fmt.number(ledger.length) }),
    );
  const tierName = (name) =>
    name ? h('span', { class: 'tier-badge' }, name) : h('span', { class: 'muted' }, t('loyalty.no_tier'));
  return h(
    'section',
    { class: 'card', id: 'profile-points-history' },
    h('h2', {}, t('profile.ledger_title')),
    h(
      'table',
      { class: 'ledger', id: 'profile-ledger', tabindex: '-1' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, t('profile.ledger_date')),
          h('th', {}, t('profile.ledger_kind')),
          h('th', { class: 'num' }, t('profile.ledger_points')),
          h('th', {}, t('profile.ledger_detail')),
        ),
      ),
      h(
        'tbody',
        {},
        shown.length
          ? shown.map((e) =>
              h(
                'tr',
                { dataset: { id: e.id, kind: e.kind } },
                h('td', { class: 'when' }, fmt.date(e.at)),
                h('td', {}, h('span', { class: ['chip', `kind-${e.kind}`] }, t(`loyalty.kinds.${e.kind}`))),
                h(
                  'td',
                  { class: ['num', 'points', e.points > 0 ? 'plus' : 'minus'] },
                  signedPoints(e.points, fmt.number),
                ),
                h('td', { class: 'detail' }, ledgerDetail(e)),
              ),
            )
          : h('tr', {}, h('td', { class: 'empty', colspan: '4' }, t('profile.ledger_empty'))),
      ),
    ),
    more,
    h('h3', {}, t('profile.tier_history_title')),
    h(
      'ol',
      { class: 'tier-history', id: 'profile-tier-history' },
      moves.length
        ? moves.map((m) =>
            h(
              'li',
              {},
              h('span', { class: 'when' }, fmt.date(m.at)),
              h(
                'span',
                { class: 'tier-move' },
                tierName(m.from),
                h('span', { class: 'arrow', 'aria-hidden': 'true' }, '→'),
                h('span', { class: 'visually-hidden' }, ` ${t('profile.tier_to')} `),
                tierName(m.to),
              ),
              m.spend_12m !== undefined &&
                m.spend_12m !== null &&
                h('span', { class: 'muted' }, t('profile.tier_spend', { amount: fmt.money(m.spend_12m) })),
            ),
          )
        : h('li', { class: 'empty' }, t('profile.tier_history_empty')),
    ),
  );
}

// ---------- refunds ----------

/** Money a refund may still pay back, in minor units: the core's `refundable` (at most what
 * was paid in money); without it, what is left of the total. */
function refundable(p) {
  const exp = ctx.fmt.exponent;
  if (p.refundable !== undefined && p.refundable !== null) return toMinor(p.refundable, exp) ?? 0n;
  const total = toMinor(p.total, exp) ?? 0n;
  const done = toMinor(p.refunded ?? '0', exp) ?? 0n;
  return total > done ? total - done : 0n;
}

/** Whether anything is left to refund: money, or points redeemed (a bill paid with points). */
const canRefund = (p) => refundable(p) > 0n || (p.points_back ?? 0) > 0;

function refundDialog(p) {
  const { t, fmt } = ctx;
  const left = fromMinor(refundable(p), fmt.exponent);
  const partly = (toMinor(p.refunded ?? '0', fmt.exponent) ?? 0n) > 0n;
  // The points' part of the discount: the voucher's is apart (p.voucher_discount).
  const pointsMinor =
    (toMinor(p.discount ?? '0', fmt.exponent) ?? 0n) - (toMinor(p.voucher_discount ?? '0', fmt.exponent) ?? 0n);
  const pointsPaid = fromMinor(pointsMinor, fmt.exponent);
  const withPoints = pointsMinor > 0n;
  const amount = h('input', {
    id: 'refund-amount',
    name: 'amount',
    class: 'amount-input',
    inputmode: 'decimal',
    autocomplete: 'off',
    placeholder: fmt.amountToInput(left),
    'aria-label': t('profile.refund_amount'),
  });
  bindAmountInput(amount, fmt);
  const general = h('div', { class: 'dialog-error', role: 'alert' });
  const confirm = h(
    'button',
    { type: 'submit', class: 'danger', id: 'refund-confirm' },
    icon('refund'),
    t('profile.refund_confirm'),
  );
  let busy = false;
  const close = () => {
    if (busy) return;
    dlg.close();
    dlg.remove();
  };
  const form = h(
    'form',
    { class: 'refund-form', novalidate: true, onsubmit: submit },
    h('h2', { id: 'refund-title' }, icon('refund'), t('profile.refund_title')),
    h('p', {}, t('profile.refund_body', { total: fmt.money(p.total), date: fmt.dateTime(p.at) })),
    // The rule, stated: money back only up to what was paid in money; points used come back as points.
    withPoints &&
      h(
        'p',
        { id: 'refund-rule' },
        t('profile.refund_rule', { paid: fmt.money(p.paid ?? p.total), discount: fmt.money(pointsPaid) }),
      ),
    // A voucher comes back only with the whole bill, and only while it is still valid.
    p.voucher && h('p', { id: 'refund-voucher-rule' }, t('profile.refund_voucher_rule', { code: p.voucher })),
    h(
      'ul',
      { class: 'refund-points' },
      h(
        'li',
        { id: 'refund-refundable' },
        t(partly ? 'profile.refund_left' : 'profile.refund_money', { amount: fmt.money(left) }),
      ),
      (p.points_back ?? 0) > 0 &&
        h('li', { id: 'refund-points-back' }, t('profile.refund_points_back', { points: fmt.number(p.points_back) })),
    ),
    h(
      'label',
      { class: 'field' },
      h('span', { class: 'label' }, t('profile.refund_amount')),
      h('div', { class: 'amount-wrap' }, amount, h('span', { class: 'currency', title: fmt.currency }, fmt.symbol)),
    ),
    h('p', { class: 'hint' }, t('profile.refund_hint', { amount: fmt.money(left) })),
    general,
    h(
      'div',
      { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'ghost', id: 'refund-cancel', onclick: close }, t('common.cancel')),
      confirm,
    ),
  );
  const dlg = h('dialog', { class: 'dialog', id: 'refund-dialog', 'aria-labelledby': 'refund-title' }, form);
  dlg.addEventListener('cancel', (e) => {
    e.preventDefault();
    close();
  });

  async function submit(e) {
    e.preventDefault();
    if (busy) return;
    clearFieldErrors(form);
    fill(general);
    busy = true;
    confirm.disabled = true;
    try {
      const r = await api.purchaseRefund(p.id, amount.dataset.value || undefined);
      busy = false;
      showResult(r);
      reloadSide();
    } catch (err) {
      busy = false;
      confirm.disabled = false;
      if (err.params?.field === 'amount') {
        showFieldError(amount, t.error(err));
        amount.focus();
      } else fill(general, t.error(err));
    }
  }

  function showResult(r) {
    const done = h(
      'button',
      { type: 'button', class: 'primary', id: 'refund-close', onclick: close },
      t('common.close'),
    );
    fill(
      dlg,
      h(
        'div',
        { class: 'refund-result', id: 'refund-result', role: 'status' },
        h('h2', { id: 'refund-title' }, icon('check'), t('profile.refund_done_title')),
        h('p', {}, t('profile.refund_done', { amount: fmt.money(r.refund.amount), date: fmt.date(p.at) })),
        h(
          'ul',
          { class: 'refund-points' },
          h('li', { id: 'refund-reversed' }, t('profile.refund_reversed', { points: fmt.number(r.points_reversed) })),
          r.points_returned > 0 &&
            h('li', { id: 'refund-returned' }, t('profile.refund_returned', { points: fmt.number(r.points_returned) })),
          r.shortfall > 0 &&
            h(
              'li',
              { id: 'refund-shortfall', class: 'warn' },
              t('profile.refund_shortfall', { points: fmt.number(r.shortfall) }),
            ),
          r.loyalty && h('li', {}, t('counter.confirm_balance', { points: fmt.number(r.loyalty.balance) })),
          r.voucher &&
            h(
              'li',
              { id: 'refund-voucher' },
              t(r.voucher.returned ? 'profile.refund_voucher_returned' : 'profile.refund_voucher_kept', {
                code: r.voucher.code,
              }),
            ),
        ),
        h('div', { class: 'dialog-actions' }, done),
      ),
    );
    done.focus();
  }

  document.body.append(dlg);
  dlg.showModal();
  amount.focus();
}

// ---------- timeline ----------

/** Purchases (from customer_get, so refunds show at once) merged with care's other events.
 * Points earned or spent on a purchase are shown on that purchase, not as events of their own. */
function timelineEvents() {
  const events = data.purchases.map((p) => ({ kind: 'purchase', at: p.at, purchase: p }));
  for (const e of care?.timeline ?? []) {
    if (e.kind === 'purchase') continue;
    if (e.kind === 'points' && e.entry && onPurchase(e.entry)) continue;
    events.push(e);
  }
  const key = (e) => (e.kind === 'reminder' && e.reminder ? reminderWhen(e.reminder).sort : (e.at ?? ''));
  return events.sort((a, b) => key(b).localeCompare(key(a)));
}

const onPurchase = (entry) =>
  entry.purchase_id !== null && entry.purchase_id !== undefined && (entry.kind === 'earn' || entry.kind === 'redeem');

/** When a reminder sits on the timeline: its closing time once closed, else its due date (and time). */
function reminderWhen(r) {
  if (r.status !== 'open' && r.closed_at) return { sort: r.closed_at, text: ctx.fmt.dateTime(r.closed_at) };
  const date = showDate(ctx.fmt, r.due_date);
  return { sort: `${r.due_date}T${r.due_time ?? '00:00'}`, text: r.due_time ? `${date} ${r.due_time}` : date };
}

function timelineCard() {
  const { t, fmt } = ctx;
  const all = timelineEvents();
  const kinds = TIMELINE_FILTERS[timelineFilter];
  const list = kinds ? all.filter((e) => kinds.includes(e.kind)) : all;
  const shown = list.slice(0, timelineShown);
  const filters = h(
    'div',
    { class: 'timeline-filters', role: 'group', 'aria-label': P('timeline_filter') },
    Object.keys(TIMELINE_FILTERS).map((f) =>
      h(
        'button',
        {
          type: 'button',
          class: ['filter-chip', f === timelineFilter && 'active'],
          id: `timeline-filter-${f}`,
          'aria-pressed': f === timelineFilter ? 'true' : 'false',
          onclick: () => {
            timelineFilter = f;
            timelineShown = TIMELINE_PAGE;
            redrawSide(`timeline-filter-${f}`);
          },
        },
        P(`filter.${f}`),
      ),
    ),
  );
  const more =
    list.length > shown.length &&
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        id: 'timeline-more',
        onclick: () => {
          timelineShown += TIMELINE_PAGE;
          redrawSide('timeline-more');
        },
      },
      P('timeline_more', { shown: fmt.number(shown.length), total: fmt.number(list.length) }),
    );
  const empty =
    data.purchases.length === 0 && !care?.timeline?.length ? t('profile.timeline_empty') : P('timeline_empty_filter');
  return h(
    'section',
    { class: 'card timeline-card', id: 'profile-timeline' },
    h('div', { class: 'card-head' }, h('h2', {}, P('timeline_title')), filters),
    careError && h('p', { class: 'notice warn care-error' }, P('care_unavailable', { reason: t.error(careError) })),
    h(
      'ol',
      { class: 'timeline', id: 'timeline' },
      shown.length ? shown.map(eventItem) : h('li', { class: 'empty' }, empty),
    ),
    more,
  );
}

function eventItem(e) {
  switch (e.kind) {
    case 'purchase':
      return purchaseItem(e.purchase);
    case 'interaction':
      return interactionItem(e.interaction);
    case 'reminder':
      return reminderItem(e.reminder);
    case 'survey':
      return surveyItem(e.survey);
    case 'ticket':
      return ticketItem(e.ticket);
    case 'points':
      return pointsItem(e.entry, e.at);
    case 'tier':
      return tierItem(e.tier_move, e.at);
    default:
      return eventShell(e.kind ?? 'other', e.at, {}, P('kind.other'));
  }
}

/** The frame of a non-purchase event: label with icon, time, then the lines given. */
function eventShell(kind, at, { id = null, extra = [], whenText = null, cls = null } = {}, ...body) {
  const label = P(`kind.${kind}`);
  return h(
    'li',
    {
      class: ['timeline-event', `ev-${kind}`, cls],
      dataset: { kind, ...(id !== null && id !== undefined ? { id: String(id) } : {}) },
    },
    h(
      'div',
      { class: 'event-head' },
      h('span', { class: 'event-label' }, careIcon(EVENT_ICONS[kind] ?? 'sparkle'), label),
      h('span', { class: 'event-when' }, whenText ?? (at ? showWhen(ctx.fmt, at) : '')),
      extra,
    ),
    body,
  );
}

function purchaseItem(p) {
  const { t, fmt } = ctx;
  return h(
    'li',
    { class: 'purchase timeline-event ev-purchase', dataset: { id: p.id, kind: 'purchase' } },
    h(
      'div',
      { class: 'purchase-head' },
      h(
        'span',
        { class: 'event-label', title: P('kind.purchase') },
        careIcon('counter'),
        h('span', { class: 'visually-hidden' }, P('kind.purchase')),
      ),
      h('span', { class: 'purchase-when' }, fmt.dateTime(p.at)),
      h('span', { class: 'chip' }, t(`payment.${p.payment_method}`)),
      purchaseChips(p),
      h('span', { class: 'spacer' }),
      h('strong', { class: 'purchase-total' }, fmt.money(p.total)),
    ),
    p.items.length > 0 &&
      h(
        'ul',
        { class: 'purchase-items' },
        p.items.map((it) =>
          h(
            'li',
            {},
            h(
              'span',
              {},
              t('profile.item_line', { quantity: fmt.number(Number(it.quantity), 3), product: it.product }),
            ),
            Number(it.quantity) !== 1 &&
              h('span', { class: 'muted' }, t('profile.unit_price', { price: fmt.money(it.unit_price) })),
            it.warranty_months
              ? h(
                  'span',
                  { class: 'chip warranty' },
                  t('profile.warranty_until', { date: fmt.date(addMonths(p.at, it.warranty_months)) }),
                )
              : null,
            h('span', { class: 'spacer' }),
            h('span', { class: 'num' }, fmt.money(it.line_total)),
          ),
        ),
      ),
    purchaseFoot(p),
  );
}

function interactionItem(x) {
  const { t } = ctx;
  return eventShell(
    'interaction',
    x.at,
    {
      id: x.id,
      extra: [
        h(
          'span',
          { class: 'chip channel' },
          careIcon(x.channel === 'phone' ? 'phone' : 'message', 'icon chip-icon'),
          t(`care.channel.${x.channel}`),
        ),
        h('span', { class: ['chip', 'direction', `dir-${x.direction}`] }, t(`care.direction.${x.direction}`)),
      ],
    },
    h('div', { class: 'event-text' }, x.summary),
    x.outcome && h('div', { class: 'event-outcome' }, P('outcome_line', { outcome: x.outcome })),
    x.staff && h('div', { class: 'event-meta' }, t('profile.staff', { staff: x.staff })),
  );
}

function reminderItem(r) {
  const { t, fmt } = ctx;
  const when = reminderWhen(r);
  const status = r.status === 'open' && r.overdue ? 'overdue' : r.status;
  return eventShell(
    'reminder',
    null,
    {
      id: r.id,
      whenText: when.text,
      cls: `status-${status}`,
      extra: [
        h('span', { class: 'chip kind' }, t(`care.kind.${r.kind}`)),
        h(
          'span',
          { class: ['chip', 'status', `status-${status}`] },
          status === 'overdue' ? P('overdue') : t(`care.status.${r.status}`),
        ),
      ],
    },
    h('div', { class: 'event-text' }, reminderReason(ctx, r)),
    r.kind !== 'manual' && r.title && h('div', { class: 'event-meta' }, r.title),
    r.note && r.note !== r.title && h('div', { class: 'event-meta' }, r.note),
    (r.assignee || r.snoozed_from) &&
      h(
        'div',
        { class: 'event-meta' },
        [
          r.assignee && P('assignee_line', { assignee: r.assignee }),
          r.snoozed_from && P('snoozed_from', { date: showDate(fmt, r.snoozed_from) }),
        ]
          .filter(Boolean)
          .join(' · '),
      ),
    r.status !== 'open' && h('div', { class: 'event-meta' }, P('due_line', { date: showDate(fmt, r.due_date) })),
  );
}

function surveyItem(s) {
  const { t, fmt } = ctx;
  const max = s.kind === 'nps' ? 10 : 5;
  const p =
    s.purchase_id !== null && s.purchase_id !== undefined ? data.purchases.find((x) => x.id === s.purchase_id) : null;
  return eventShell(
    'survey',
    s.at,
    {
      id: s.id,
      extra: [
        h('span', { class: 'chip kind' }, t(`care.survey_kind.${s.kind}`)),
        h(
          'span',
          { class: ['chip', 'score', scoreClass(s.kind, s.score)] },
          P('score_of', { score: fmt.number(s.score), max }),
        ),
      ],
    },
    s.comment && h('div', { class: 'event-text' }, s.comment),
    p && h('div', { class: 'event-meta' }, P('about_purchase', { date: fmt.date(p.at), total: fmt.money(p.total) })),
    s.staff && h('div', { class: 'event-meta' }, t('profile.staff', { staff: s.staff })),
  );
}

const scoreClass = (kind, score) =>
  kind === 'nps'
    ? score >= 9
      ? 'good'
      : score <= 6
        ? 'bad'
        : 'mid'
    : score >= 4
      ? 'good'
      : score <= 2
        ? 'bad'
        : 'mid';

function ticketItem(tk) {
  const { t } = ctx;
  return eventShell(
    'ticket',
    tk.created_at ?? tk.updated_at,
    {
      id: tk.id,
      extra: [h('span', { class: ['chip', 'status', `ticket-${tk.status}`] }, t(`care.ticket_status.${tk.status}`))],
    },
    h('div', { class: 'event-text' }, tk.title),
    (tk.product || tk.note) && h('div', { class: 'event-meta' }, [tk.product, tk.note].filter(Boolean).join(' · ')),
    tk.staff && h('div', { class: 'event-meta' }, t('profile.staff', { staff: tk.staff })),
  );
}

function pointsItem(e, at) {
  const { t, fmt } = ctx;
  return eventShell(
    'points',
    e.at ?? at,
    {
      id: e.id,
      extra: [
        h('span', { class: ['chip', `kind-${e.kind}`] }, t(`loyalty.kinds.${e.kind}`)),
        h(
          'span',
          { class: ['points', e.points > 0 ? 'plus' : 'minus'] },
          P('points_delta', { points: signedPoints(e.points, fmt.number) }),
        ),
      ],
    },
    h('div', { class: 'event-meta' }, ledgerDetail(e)),
  );
}

function tierItem(m, at) {
  const { t, fmt } = ctx;
  if (!m) return eventShell('tier', at, {});
  const tierName = (name) =>
    name ? h('span', { class: 'tier-badge' }, name) : h('span', { class: 'muted' }, t('loyalty.no_tier'));
  return eventShell(
    'tier',
    m.at ?? at,
    {},
    h(
      'div',
      { class: 'event-text tier-move' },
      tierName(m.from),
      h('span', { class: 'arrow', 'aria-hidden': 'true' }, '→'),
      h('span', { class: 'visually-hidden' }, ` ${t('profile.tier_to')} `),
      tierName(m.to),
    ),
    m.spend_12m !== undefined &&
      m.spend_12m !== null &&
      h('div', { class: 'event-meta' }, t('profile.tier_spend', { amount: fmt.money(m.spend_12m) })),
  );
}

/** Note, staff and the refund action under a purchase. */
function purchaseFoot(p) {
  const { t } = ctx;
  const note = [p.note, p.staff && t('profile.staff', { staff: p.staff })].filter(Boolean).join(' · ');
  const refund = canRefund(p);
  if (!note && !refund) return null;
  return h(
    'div',
    { class: 'purchase-foot' },
    note && h('div', { class: 'purchase-note' }, note),
    h('span', { class: 'spacer' }),
    refund &&
      h(
        'button',
        {
          type: 'button',
          class: 'ghost small refund-action',
          dataset: { id: p.id },
          onclick: () => refundDialog(p),
        },
        icon('refund'),
        t('profile.refund'),
      ),
  );
}

/** Points used and money refunded on a purchase (Purchase.discount / .refunded when sent). */
function purchaseChips(p) {
  const { t, fmt } = ctx;
  const exp = fmt.exponent;
  const byVoucher = toMinor(p.voucher_discount ?? '0', exp) ?? 0n;
  // Purchase.discount holds the voucher's part too.
  const discount = (toMinor(p.discount ?? '0', exp) ?? 0n) - byVoucher;
  const refunded = toMinor(p.refunded ?? '0', exp) ?? 0n;
  const earned = (data.ledger ?? [])
    .filter((e) => e.purchase_id === p.id && e.kind === 'earn')
    .reduce((sum, e) => sum + e.points, 0);
  return [
    earned > 0 && h('span', { class: 'chip kind-earn' }, P('points_earned', { points: fmt.number(earned) })),
    p.voucher &&
      h(
        'span',
        { class: 'chip voucher', title: p.voucher },
        t('profile.voucher_used', { code: p.voucher, discount: fmt.money(p.voucher_discount ?? '0') }),
      ),
    discount > 0n &&
      h(
        'span',
        { class: 'chip points' },
        t('profile.paid_with_points', { discount: fmt.money(fromMinor(discount, exp)) }),
      ),
    refunded > 0n &&
      h(
        'span',
        { class: 'chip refunded' },
        canRefund(p) ? t('profile.refunded_part', { amount: fmt.money(p.refunded) }) : t('profile.refunded_all'),
      ),
  ];
}

// ---------- care actions ----------

const who = () => ({ customerId: data.customer.id, customerName: data.customer.name });

function careBar() {
  const { fmt } = ctx;
  const c = data.customer;
  const archived = !!c.archived_at;
  const confirmedAt = care?.details_confirmed_at ?? null;
  const stale = confirmedAt && new Date(confirmedAt) < new Date(addMonths(new Date().toISOString(), -12));
  const action = (id, iconName, label, onclick) =>
    h('button', { type: 'button', class: 'ghost small', id, onclick }, careIcon(iconName), label);
  return [
    !archived && [
      action('care-log', 'log', P('action_log'), () =>
        openLogDialog(ctx, { ...who(), onDone: () => reloadCare('care-log') }),
      ),
      action('care-reminder', 'reminders', P('action_reminder'), () =>
        openReminderDialog(ctx, { ...who(), onDone: () => reloadCare('care-reminder') }),
      ),
      action('care-survey', 'survey', P('action_survey'), () =>
        openSurveyDialog(ctx, { ...who(), purchases: data.purchases, onDone: () => reloadCare('care-survey') }),
      ),
      action('care-message', 'message', P('action_message'), () =>
        openMessageDialog(ctx, c.id, {
          customer: { name: c.name, phone: c.phone, phone_display: c.phone_display },
          onDone: () => reloadCare(),
        }),
      ),
      action('care-confirm', 'confirm', P('action_confirm'), confirmDetails),
    ],
    h('span', { class: 'spacer' }),
    confirmedAt &&
      h(
        'span',
        {
          class: ['confirmed-at', stale && 'stale'],
          id: 'profile-confirmed',
          dataset: { stale: stale ? 'true' : 'false' },
        },
        stale && careIcon('clock'),
        P('confirmed_at', { date: fmt.date(confirmedAt) }),
        stale && h('span', { class: 'stale-note' }, P('confirmed_stale')),
      ),
  ];
}

async function confirmDetails() {
  if (Object.keys(changedInput(els.form, data.customer)).length) {
    toast(P('confirm_unsaved'), 'error');
    els.form.querySelector('#profile-save')?.focus();
    return;
  }
  const button = document.getElementById('care-confirm');
  if (button) button.disabled = true;
  try {
    data.customer = await api.customerConfirmDetails(data.customer.id);
    toast(P('confirmed_done', { name: data.customer.name }), 'success');
    await reloadCare('care-confirm');
  } catch (err) {
    ctx.showError(err);
  } finally {
    const b = document.getElementById('care-confirm');
    if (b) b.disabled = false;
  }
}

// ---------- open reminders ----------

function remindersCard() {
  const { t } = ctx;
  const list = care?.open_reminders ?? [];
  const archived = !!data.customer.archived_at;
  return h(
    'section',
    { class: 'card reminders-card', id: 'profile-reminders' },
    h(
      'div',
      { class: 'card-head' },
      h(
        'h2',
        {},
        careIcon('reminders'),
        P('reminders_title'),
        list.length > 0 && h('span', { class: 'badge' }, ctx.fmt.number(list.length)),
      ),
      h('span', { class: 'spacer' }),
      !archived &&
        h(
          'button',
          {
            type: 'button',
            class: 'ghost small',
            id: 'reminders-add',
            onclick: () => openReminderDialog(ctx, { ...who(), onDone: () => reloadCare('reminders-add') }),
          },
          icon('plus'),
          P('reminder_add'),
        ),
    ),
    !care
      ? h('p', { class: 'muted' }, careError ? P('care_unavailable', { reason: t.error(careError) }) : t('common.none'))
      : list.length
        ? [
            h(
              'ul',
              { class: 'open-reminders', id: 'profile-open-reminders' },
              (remindersAll ? list : list.slice(0, REMINDERS_SHOWN)).map(openReminderRow),
            ),
            !remindersAll &&
              list.length > REMINDERS_SHOWN &&
              h(
                'button',
                {
                  type: 'button',
                  class: 'link',
                  id: 'reminders-more',
                  onclick: () => {
                    remindersAll = true;
                    redrawSide('reminders-more');
                  },
                },
                P('reminders_more', { count: ctx.fmt.number(list.length - REMINDERS_SHOWN) }),
              ),
          ]
        : h('p', { class: 'muted empty-line' }, P('reminders_empty')),
  );
}

function openReminderRow(r) {
  const { t, fmt } = ctx;
  const today = shopToday(fmt);
  const due = r.due_date === today ? P('due_today') : showDate(fmt, r.due_date);
  const snooze = h(
    'select',
    {
      class: 'snooze-select reminder-snooze',
      'aria-label': P('snooze'),
      dataset: { id: String(r.id) },
      onchange: (e) => {
        const days = Number(e.target.value);
        if (days) snoozeReminder(r, addDays(today, days));
      },
    },
    h('option', { value: '' }, P('snooze')),
    [
      [1, 'tomorrow'],
      [3, 'in_3_days'],
      [7, 'in_a_week'],
      [30, 'in_a_month'],
    ].map(([n, key]) => h('option', { value: String(n) }, P(`quick.${key}`))),
  );
  return h(
    'li',
    { class: ['open-reminder', r.overdue && 'overdue'], dataset: { id: String(r.id), kind: r.kind } },
    h(
      'div',
      { class: 'reminder-main' },
      h(
        'div',
        { class: 'reminder-top' },
        h('span', { class: 'chip kind' }, t(`care.kind.${r.kind}`)),
        h(
          'span',
          { class: ['reminder-due', r.overdue && 'overdue'] },
          r.overdue ? P('overdue_since', { date: due }) : due,
          r.due_time && ` ${r.due_time}`,
        ),
      ),
      h('div', { class: 'reminder-reason' }, reminderReason(ctx, r)),
      (r.note || r.assignee) &&
        h(
          'div',
          { class: 'event-meta' },
          [
            r.kind !== 'manual' || r.note !== r.title ? r.note : null,
            r.assignee && P('assignee_line', { assignee: r.assignee }),
          ]
            .filter(Boolean)
            .join(' · '),
        ),
    ),
    h(
      'div',
      { class: 'reminder-actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'small primary reminder-done',
          dataset: { id: String(r.id) },
          title: P('done_hint'),
          onclick: () => doneReminder(r),
        },
        icon('check'),
        P('done'),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'ghost small icon-only reminder-log',
          dataset: { id: String(r.id) },
          title: P('done_log'),
          'aria-label': P('done_log'),
          onclick: () => openLogDialog(ctx, { ...who(), reminder: r, onDone: () => reloadCare() }),
        },
        careIcon('log'),
      ),
      snooze,
    ),
  );
}

async function doneReminder(r) {
  try {
    await api.reminderDone(r.id);
    toast(P('reminder_done_toast'), 'success');
    await reloadCare('reminders-add');
  } catch (err) {
    ctx.showError(err);
  }
}

async function snoozeReminder(r, to) {
  try {
    await api.reminderSnooze(r.id, to);
    toast(P('snoozed_toast', { date: showDate(ctx.fmt, to) }), 'success');
    await reloadCare('reminders-add');
  } catch (err) {
    ctx.showError(err);
  }
}

// ---------- satisfaction, warranty, referrals (under the details) ----------

function careColumn() {
  if (!care) return [];
  return [satisfactionCard(), warrantyCard(), referralsCard()];
}

function satisfactionCard() {
  const { fmt } = ctx;
  const { csat, nps } = care.satisfaction ?? { csat: { count: 0 }, nps: { count: 0 } };
  const avg = (v) => (v === null || v === undefined ? '—' : fmt.number(Number(v), 1));
  const none = !csat?.count && !nps?.count;
  const block = (kind, s, max, extra) =>
    h(
      'div',
      { class: 'satisfaction-block', id: `satisfaction-${kind}` },
      h('div', { class: 'stat-label' }, ctx.t(`care.survey_kind.${kind}`)),
      s?.count
        ? [
            h(
              'div',
              { class: 'stat-big' },
              h(
                'span',
                { class: ['score-value', scoreClass(kind, s.latest)] },
                P('score_of', { score: fmt.number(s.latest), max }),
              ),
            ),
            h('div', { class: 'stat-sub' }, P('average_of', { average: avg(s.average), count: fmt.number(s.count) })),
            extra,
          ]
        : h('div', { class: 'stat-sub' }, P('no_answers')),
    );
  const npsScore =
    nps?.score !== null && nps?.score !== undefined
      ? h(
          'div',
          { class: ['stat-sub', 'nps-score', nps.score > 0 ? 'good' : nps.score < 0 ? 'bad' : null] },
          P('nps_score', { score: nps.score > 0 ? `+${nps.score}` : String(nps.score).replace('-', '\u2212') }),
        )
      : null;
  return h(
    'section',
    { class: 'card', id: 'profile-satisfaction' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', {}, careIcon('survey'), P('satisfaction_title')),
      h('span', { class: 'spacer' }),
      !data.customer.archived_at &&
        h(
          'button',
          {
            type: 'button',
            class: 'ghost small',
            id: 'satisfaction-add',
            onclick: () =>
              openSurveyDialog(ctx, {
                ...who(),
                purchases: data.purchases,
                onDone: () => reloadCare('satisfaction-add'),
              }),
          },
          icon('plus'),
          P('action_survey'),
        ),
    ),
    none
      ? h('p', { class: 'muted empty-line' }, P('satisfaction_empty'))
      : h('div', { class: 'satisfaction-grid' }, block('csat', csat, 5), block('nps', nps, 10, npsScore)),
  );
}

function warrantyCard() {
  const { t, fmt } = ctx;
  const warranties = care.warranties ?? [];
  const shown = warrantiesAll ? warranties : warranties.slice(0, WARRANTIES_SHOWN);
  const archived = !!data.customer.archived_at;
  const newTicket = (itemId = null, focusId = 'ticket-new') =>
    openTicketDialog(ctx, { ...who(), warranties, itemId, onDone: () => reloadCare(focusId) });
  const order = { open: 0, in_progress: 1, done: 2 };
  const tickets = [...(care.tickets ?? [])].sort(
    (a, b) => order[a.status] - order[b.status] || String(b.created_at).localeCompare(String(a.created_at)),
  );
  const row = (w) =>
    h(
      'li',
      { class: ['warranty', w.active ? 'active' : 'ended'], dataset: { item: String(w.item_id) } },
      h('div', { class: 'warranty-product' }, w.product),
      h(
        'div',
        { class: ['days-left', w.active && w.days_left <= 30 && 'soon'] },
        w.active
          ? P('days_left', { count: fmt.number(w.days_left) })
          : P('warranty_ended', { date: showDate(fmt, w.ends) }),
      ),
      h(
        'div',
        { class: 'event-meta' },
        P('warranty_bought', { date: fmt.date(w.purchased_at), months: fmt.number(w.months) }),
        w.active && ` · ${P('warranty_until', { date: showDate(fmt, w.ends) })}`,
      ),
      !archived
        ? h(
            'button',
            {
              type: 'button',
              class: 'ghost small warranty-ticket',
              dataset: { item: String(w.item_id) },
              title: P('ticket_from_item', { product: w.product }),
              onclick: () => newTicket(w.item_id),
            },
            careIcon('tool'),
            P('ticket_create'),
          )
        : h('span'),
    );
  return h(
    'section',
    { class: 'card warranty-card', id: 'profile-warranty' },
    h('div', { class: 'card-head' }, h('h2', {}, careIcon('shield'), P('warranty_title'))),
    warranties.length === 0
      ? h('p', { class: 'muted empty-line' }, P('warranty_empty'))
      : h('ul', { class: 'warranties', id: 'profile-warranties' }, shown.map(row)),
    warranties.length > shown.length &&
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          id: 'warranty-more',
          onclick: () => {
            warrantiesAll = true;
            redrawSide('warranty-more');
          },
        },
        P('warranty_more', { count: fmt.number(warranties.length - shown.length) }),
      ),
    h(
      'div',
      { class: 'card-head sub' },
      h('h3', {}, P('tickets_title')),
      h('span', { class: 'spacer' }),
      !archived &&
        h(
          'button',
          { type: 'button', class: 'ghost small', id: 'ticket-new', onclick: () => newTicket() },
          icon('plus'),
          P('ticket_new'),
        ),
    ),
    tickets.length === 0
      ? h('p', { class: 'muted empty-line' }, P('tickets_empty'))
      : h(
          'ul',
          { class: 'tickets', id: 'profile-tickets' },
          tickets.map((tk) =>
            h(
              'li',
              { class: ['ticket', `ticket-${tk.status}`], dataset: { id: String(tk.id), status: tk.status } },
              h(
                'div',
                { class: 'ticket-main' },
                h('div', { class: 'ticket-title' }, tk.title),
                h(
                  'div',
                  { class: 'event-meta' },
                  [
                    tk.product,
                    P('ticket_created', { date: fmt.date(tk.created_at) }),
                    tk.status !== 'open' && tk.updated_at && P('ticket_updated', { date: fmt.date(tk.updated_at) }),
                  ]
                    .filter(Boolean)
                    .join(' · '),
                ),
                tk.note && h('div', { class: 'event-meta' }, tk.note),
              ),
              h(
                'select',
                {
                  class: ['ticket-status', `ticket-${tk.status}`],
                  id: `ticket-status-${tk.id}`,
                  'aria-label': P('ticket_status_label', { title: tk.title }),
                  dataset: { id: String(tk.id) },
                  onchange: (e) => setTicketStatus(tk, e.target.value),
                },
                TICKET_STATUSES.map((st) =>
                  h('option', { value: st, selected: st === tk.status }, t(`care.ticket_status.${st}`)),
                ),
              ),
            ),
          ),
        ),
  );
}

async function setTicketStatus(tk, status) {
  try {
    await api.ticketSetStatus(tk.id, status);
    toast(P('ticket_status_saved', { status: ctx.t(`care.ticket_status.${status}`) }), 'success');
    await reloadCare(`ticket-status-${tk.id}`);
  } catch (err) {
    ctx.showError(err);
    redrawSide(`ticket-status-${tk.id}`); // put the select back
  }
}

function referralsCard() {
  const { fmt } = ctx;
  const by = care.referred_by;
  const refs = care.referrals ?? { count: 0, customers: [] };
  const link = (c) => h('a', { href: `#profile/${encodeURIComponent(c.id)}`, class: 'customer-link' }, c.name);
  const rest = refs.count - refs.customers.length;
  return h(
    'section',
    { class: 'card', id: 'profile-referrals' },
    h('div', { class: 'card-head' }, h('h2', {}, icon('customers'), P('referrals_title'))),
    h(
      'p',
      { class: 'referred-by', id: 'profile-referred-by' },
      by ? [P('referred_by'), ' ', link(by)] : h('span', { class: 'muted' }, P('referred_by_none')),
    ),
    h(
      'p',
      { class: 'referral-count', id: 'profile-referral-count' },
      P('referred_count', { count: fmt.number(refs.count) }),
    ),
    refs.customers.length > 0 &&
      h(
        'ul',
        { class: 'referral-list', id: 'profile-referrals-list' },
        refs.customers.map((c) => h('li', {}, link(c))),
        rest > 0 && h('li', { class: 'muted' }, P('referrals_more', { count: fmt.number(rest) })),
      ),
  );
}

export default { mount, unmount };
