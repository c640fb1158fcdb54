// Customer profile: editable details, stats, loyalty points (balance, tier, manual
// adjustment, ledger, tier history), purchase timeline with refunds, archive.
import * as api from '../lib/api.js';
import { h, fill, icon, clearFieldErrors, showFieldError, confirmDialog, toast, bindAmountInput } from '../lib/dom.js';
import { addMonths, formatBirthday, parseBirthday, toMinor, fromMinor } from '../lib/format.js';
import { tierProgress, formatPointsTyping, signedPoints } from '../lib/loyalty.js';
import { startPurchase } from './counter.js';

const LEDGER_PAGE = 10;

const GENDERS = ['male', 'female', 'other'];
const SOURCES = ['walk_in', 'facebook', 'zalo', 'referral', 'other'];

let ctx = null;
let els = null;
let data = null; // {customer, stats, purchases, loyalty, ledger, tier_history} as last loaded
let ledgerAll = false; // the whole points ledger, not only its first page

// Editable fields: contract key, how the customer value shows in the input, how input goes back.
const FIELDS = {
  name: { get: (c) => c.name },
  phone: { get: (c) => c.phone_display || c.phone },
  code: { get: (c) => c.code ?? '' },
  birthday: { get: (c) => formatBirthday(c.birthday), put: parseBirthday },
  gender: { get: (c) => c.gender ?? '' },
  email: { get: (c) => c.email ?? '' },
  address: { get: (c) => c.address ?? '' },
  tags: { get: (c) => c.tags.join(', '), put: (v) => v.split(',').map((x) => x.trim()).filter(Boolean) },
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
    const loaded = await api.customerGet(id);
    if (els !== mine) return; // navigated away (or to another profile) meanwhile
    if (data?.customer.id !== loaded.customer.id) ledgerAll = false;
    data = loaded;
    render();
  } catch (err) {
    if (els !== mine) return;
    fill(root, h('div', { class: 'profile' }, backLink(), h('p', { class: 'notice error' }, ctx.t.error(err))));
  }
}

function unmount() { els = null; }

const backLink = () => h('a', { href: '#customers', class: 'back-link', id: 'profile-back' }, icon('back'), ctx.t('profile.back'));

function render() {
  const { t, fmt } = ctx;
  const c = data.customer;
  const archived = !!c.archived_at;
  const form = detailsForm(c);
  els.form = form;
  fill(els.root, h('div', { class: 'profile', onkeydown: onKeydown },
    backLink(),
    h('header', { class: 'profile-head' },
      h('div', { class: 'avatar large' }, c.name.split(/\s+/).filter(Boolean).slice(-2).map((w) => w[0]).join('').toUpperCase()),
      h('div', { class: 'profile-title' },
        h('h1', {}, c.name, archived && h('span', { class: 'badge muted' }, t('counter.archived'))),
        h('div', { class: 'result-sub' }, h('span', { class: 'phone' }, c.phone_display), c.code && h('span', { class: 'code' }, c.code),
          h('span', {}, t('profile.since', { date: fmt.date(c.created_at) })))),
      h('span', { class: 'spacer' }),
      !archived && h('button', { type: 'button', class: 'primary', id: 'profile-purchase', onclick: recordPurchase }, icon('counter'), t('profile.new_purchase')),
      !archived && h('button', { type: 'button', class: 'ghost danger-text', id: 'profile-archive', onclick: archive }, icon('archive'), t('profile.archive'))),
    archived && h('p', { class: 'notice warn', id: 'profile-archived' }, t('profile.archived_on', { date: fmt.date(c.archived_at) })),
    h('div', { class: 'profile-grid' },
      h('section', { class: 'card' }, h('h2', {}, t('profile.details')), form),
      els.side = h('div', { class: 'profile-side' }, sideCards()))));
}

// Everything but the details form, which may hold unsaved edits: redrawn after an
// adjustment or a refund.
const sideCards = () => [statsCard(), loyaltyCard(), timelineCard(), pointsHistoryCard()];

function redrawSide(focusId = null) {
  if (!els?.side) return;
  fill(els.side, sideCards());
  if (focusId) document.getElementById(focusId)?.focus();
}

/** Reloads stats, purchases and points after a change made here (refund, adjustment). */
async function reloadSide(focusId = null) {
  const mine = els;
  try {
    const loaded = await api.customerGet(data.customer.id);
    if (els !== mine) return;
    const { stats, purchases, loyalty, ledger, tier_history: tierHistory } = loaded;
    Object.assign(data, { stats, purchases, loyalty, ledger, tier_history: tierHistory });
    redrawSide(focusId);
  } catch (err) {
    if (els === mine) ctx.showError(err);
  }
}

function detailsForm(c) {
  const { t } = ctx;
  const input = (name, attrs = {}) => h('input', { name, id: `profile-${name.replace('_', '-')}`, value: FIELDS[name].get(c), autocomplete: 'off', ...attrs });
  const select = (name, options, labelPrefix, empty) => h('select', { name, id: `profile-${name}` },
    empty && h('option', { value: '' }, t(empty)),
    options.map((o) => h('option', { value: o, selected: o === FIELDS[name].get(c) }, t(`${labelPrefix}.${o}`))));
  const field = (key, control, wide = false) => h('label', { class: ['field', wide && 'wide'] }, h('span', { class: 'label' }, t(`fields.${key}`)), control);
  return h('form', { class: 'details-form', id: 'profile-form', novalidate: true, onsubmit: save },
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
    h('div', { class: 'form-actions wide' }, h('span', { class: 'spacer' }),
      h('button', { type: 'submit', class: 'primary', id: 'profile-save' }, t('profile.save'))));
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
  if (!Object.keys(input).length) { toast(ctx.t('common.no_changes')); return; }
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
    title: t('profile.archive_title'), body: t('profile.archive_body', { name: c.name }),
    confirm: t('profile.archive_confirm'), cancel: t('common.cancel'), danger: true,
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
  startPurchase({ ...c, visits: s.visits, total_spent: s.total_spent, last_purchase_at: s.last_purchase_at, archived: false, tier: null, points: null });
  ctx.navigate('counter');
}

const item = (label, value, sub) => h('div', { class: 'stat' }, h('div', { class: 'stat-label' }, label),
  h('div', { class: 'stat-big' }, value), sub && h('div', { class: 'stat-sub' }, sub));

function statsCard() {
  const { t, fmt } = ctx;
  const s = data.stats;
  return h('section', { class: 'card', id: 'profile-stats' },
    h('h2', {}, t('profile.stats_title')),
    h('div', { class: 'stats-grid' },
      item(t('profile.visits'), fmt.number(s.visits)),
      item(t('profile.total_spent'), fmt.money(s.total_spent)),
      item(t('profile.average_basket'), fmt.money(s.average_basket)),
      item(t('profile.average_days'), s.average_days_between_visits === null ? t('common.none')
        : t('common.days', { count: fmt.number(s.average_days_between_visits, 1) })),
      item(t('profile.first_purchase'), fmt.date(s.first_purchase_at)),
      item(t('profile.last_purchase'), fmt.date(s.last_purchase_at), s.last_purchase_at && fmt.relativeDay(s.last_purchase_at))));
}

// ---------- loyalty ----------

function loyaltyCard() {
  const { t, fmt } = ctx;
  const l = data.loyalty;
  if (!l) {
    return h('section', { class: 'card', id: 'profile-loyalty' }, h('h2', {}, icon('star'), t('profile.loyalty_title')),
      h('p', { class: 'muted' }, t('common.none')));
  }
  const progress = tierProgress(l, fmt.exponent);
  const multiplier = Number(l.multiplier);
  return h('section', { class: 'card loyalty-card', id: 'profile-loyalty' },
    h('h2', {}, icon('star'), t('profile.loyalty_title')),
    h('div', { class: 'stats-grid' },
      item(t('loyalty.balance'), h('span', { id: 'profile-points', dataset: { points: String(l.balance) } }, fmt.number(l.balance)), t('loyalty.points_unit')),
      item(t('loyalty.tier'), l.tier ? h('span', { class: 'tier-badge big', id: 'profile-tier' }, l.tier) : h('span', { class: 'muted', id: 'profile-tier' }, t('loyalty.no_tier')),
        Number.isFinite(multiplier) && multiplier !== 1 ? t('loyalty.multiplier', { multiplier: fmt.number(multiplier, 2) }) : null),
      item(t('loyalty.spend_12m'), fmt.money(l.spend_12m))),
    h('div', { class: 'tier-progress wide' },
      progress ? [h('progress', { max: '1', value: progress.fraction, 'aria-label': t('loyalty.to_next', { amount: fmt.money(progress.needed), tier: progress.next }) }),
        h('span', { class: 'progress-text' }, t('loyalty.to_next', { amount: fmt.money(progress.needed), tier: progress.next }))]
        : h('span', { class: 'muted' }, t('loyalty.top_tier'))),
    adjustForm());
}

/** "Điều chỉnh điểm": a signed number and a reason, both required (points_adjust). */
function adjustForm() {
  const { t, fmt } = ctx;
  const delta = h('input', {
    id: 'points-adjust-delta', name: 'delta', inputmode: 'numeric', autocomplete: 'off', class: 'num',
    placeholder: t('profile.adjust_delta_placeholder'),
  });
  delta.addEventListener('input', () => {
    const r = formatPointsTyping(delta.value, delta.selectionStart ?? delta.value.length, { locale: fmt.locale, signed: true });
    if (delta.value !== r.text) { delta.value = r.text; delta.setSelectionRange(r.caret, r.caret); }
  });
  const reason = h('input', { id: 'points-adjust-reason', name: 'reason', autocomplete: 'off', maxlength: '200', placeholder: t('profile.adjust_reason_placeholder') });
  return h('form', { class: 'adjust-form', id: 'points-adjust-form', novalidate: true, onsubmit: saveAdjust },
    h('h3', {}, t('profile.adjust_title')),
    h('div', { class: 'adjust-row' },
      h('label', { class: 'field' }, h('span', { class: 'label' }, t('profile.adjust_delta')), delta),
      h('label', { class: 'field' }, h('span', { class: 'label' }, t('profile.adjust_reason')), reason),
      h('button', { type: 'submit', class: 'primary', id: 'points-adjust-save' }, t('profile.adjust_save'))),
    h('p', { class: 'hint' }, t('profile.adjust_hint')));
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
  if (!value) { showFieldError(delta, t.error({ code: 'loyalty.adjust_zero' })); delta.focus(); return; }
  if (!why) { showFieldError(reason, t.error({ code: 'loyalty.adjust_reason_required' })); reason.focus(); return; }
  const button = form.querySelector('#points-adjust-save');
  button.disabled = true;
  try {
    const r = await api.pointsAdjust(data.customer.id, value, why);
    toast(t('profile.adjust_done', { points: signedPoints(r.entry.points, fmt.number), balance: fmt.number(r.loyalty.balance) }), 'success');
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
    else if (fmt.date(p.at) === fmt.date(e.at)) parts.push(t('profile.ledger_purchase_total', { total: fmt.money(p.total) }));
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
  const more = ledger.length > shown.length && h('button', { type: 'button', class: 'link', id: 'profile-ledger-more',
    onclick: () => { ledgerAll = true; redrawSide('profile-ledger'); } }, t('profile.ledger_all', { count: fmt.number(ledger.length) }));
  const tierName = (name) => (name ? h('span', { class: 'tier-badge' }, name) : h('span', { class: 'muted' }, t('loyalty.no_tier')));
  return h('section', { class: 'card', id: 'profile-points-history' },
    h('h2', {}, t('profile.ledger_title')),
    h('table', { class: 'ledger', id: 'profile-ledger', tabindex: '-1' },
      h('thead', {}, h('tr', {},
        h('th', {}, t('profile.ledger_date')), h('th', {}, t('profile.ledger_kind')),
        h('th', { class: 'num' }, t('profile.ledger_points')), h('th', {}, t('profile.ledger_detail')))),
      h('tbody', {}, shown.length ? shown.map((e) => h('tr', { dataset: { id: e.id, kind: e.kind } },
        h('td', { class: 'when' }, fmt.date(e.at)),
        h('td', {}, h('span', { class: ['chip', `kind-${e.kind}`] }, t(`loyalty.kinds.${e.kind}`))),
        h('td', { class: ['num', 'points', e.points > 0 ? 'plus' : 'minus'] }, signedPoints(e.points, fmt.number)),
        h('td', { class: 'detail' }, ledgerDetail(e))))
        : h('tr', {}, h('td', { class: 'empty', colspan: '4' }, t('profile.ledger_empty'))))),
    more,
    h('h3', {}, t('profile.tier_history_title')),
    h('ol', { class: 'tier-history', id: 'profile-tier-history' },
      moves.length ? moves.map((m) => h('li', {},
        h('span', { class: 'when' }, fmt.date(m.at)),
        h('span', { class: 'tier-move' }, tierName(m.from), h('span', { class: 'arrow', 'aria-hidden': 'true' }, '→'),
          h('span', { class: 'visually-hidden' }, ` ${t('profile.tier_to')} `), tierName(m.to)),
        m.spend_12m !== undefined && m.spend_12m !== null && h('span', { class: 'muted' }, t('profile.tier_spend', { amount: fmt.money(m.spend_12m) }))))
        : h('li', { class: 'empty' }, t('profile.tier_history_empty'))));
}

// ---------- refunds ----------

/** What is left to refund of a purchase, in minor units (the whole when `refunded` is unknown). */
function refundable(p) {
  const exp = ctx.fmt.exponent;
  const total = toMinor(p.total, exp) ?? 0n;
  const done = toMinor(p.refunded ?? '0', exp) ?? 0n;
  return total > done ? total - done : 0n;
}

function refundDialog(p) {
  const { t, fmt } = ctx;
  const left = fromMinor(refundable(p), fmt.exponent);
  const partly = (toMinor(p.refunded ?? '0', fmt.exponent) ?? 0n) > 0n;
  const amount = h('input', {
    id: 'refund-amount', name: 'amount', class: 'amount-input', inputmode: 'decimal', autocomplete: 'off',
    placeholder: fmt.amountToInput(left), 'aria-label': t('profile.refund_amount'),
  });
  bindAmountInput(amount, fmt);
  const general = h('div', { class: 'dialog-error', role: 'alert' });
  const confirm = h('button', { type: 'submit', class: 'danger', id: 'refund-confirm' }, icon('refund'), t('profile.refund_confirm'));
  let busy = false;
  const close = () => { if (busy) return; dlg.close(); dlg.remove(); };
  const form = h('form', { class: 'refund-form', novalidate: true, onsubmit: submit },
    h('h2', { id: 'refund-title' }, icon('refund'), t('profile.refund_title')),
    h('p', {}, t('profile.refund_body', { total: fmt.money(p.total), date: fmt.dateTime(p.at) })),
    partly && h('p', {}, t('profile.refund_left', { amount: fmt.money(left) })),
    h('label', { class: 'field' }, h('span', { class: 'label' }, t('profile.refund_amount')),
      h('div', { class: 'amount-wrap' }, amount, h('span', { class: 'currency', title: fmt.currency }, fmt.symbol))),
    h('p', { class: 'hint' }, t('profile.refund_hint', { amount: fmt.money(left) })),
    general,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'ghost', id: 'refund-cancel', onclick: close }, t('common.cancel')),
      confirm));
  const dlg = h('dialog', { class: 'dialog', id: 'refund-dialog', 'aria-labelledby': 'refund-title' }, form);
  dlg.addEventListener('cancel', (e) => { e.preventDefault(); close(); });

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
      if (err.params?.field === 'amount') { showFieldError(amount, t.error(err)); amount.focus(); } else fill(general, t.error(err));
    }
  }

  function showResult(r) {
    const done = h('button', { type: 'button', class: 'primary', id: 'refund-close', onclick: close }, t('common.close'));
    fill(dlg, h('div', { class: 'refund-result', id: 'refund-result', role: 'status' },
      h('h2', { id: 'refund-title' }, icon('check'), t('profile.refund_done_title')),
      h('p', {}, t('profile.refund_done', { amount: fmt.money(r.refund.amount), date: fmt.date(p.at) })),
      h('ul', { class: 'refund-points' },
        h('li', { id: 'refund-reversed' }, t('profile.refund_reversed', { points: fmt.number(r.points_reversed) })),
        r.points_returned > 0 && h('li', { id: 'refund-returned' }, t('profile.refund_returned', { points: fmt.number(r.points_returned) })),
        r.shortfall > 0 && h('li', { id: 'refund-shortfall', class: 'warn' }, t('profile.refund_shortfall', { points: fmt.number(r.shortfall) })),
        r.loyalty && h('li', {}, t('counter.confirm_balance', { points: fmt.number(r.loyalty.balance) }))),
      h('div', { class: 'dialog-actions' }, done)));
    done.focus();
  }

  document.body.append(dlg);
  dlg.showModal();
  amount.focus();
}

function timelineCard() {
  const { t, fmt } = ctx;
  const list = data.purchases;
  return h('section', { class: 'card' },
    h('h2', {}, t('profile.timeline_title')),
    h('ol', { class: 'timeline', id: 'profile-timeline' },
      list.length ? list.map((p) => h('li', { class: 'purchase', dataset: { id: p.id } },
        h('div', { class: 'purchase-head' },
          h('span', { class: 'purchase-when' }, fmt.dateTime(p.at)),
          h('span', { class: 'chip' }, t(`payment.${p.payment_method}`)),
          purchaseChips(p),
          h('span', { class: 'spacer' }),
          h('strong', { class: 'purchase-total' }, fmt.money(p.total))),
        p.items.length > 0 && h('ul', { class: 'purchase-items' }, p.items.map((it) => h('li', {},
          h('span', {}, t('profile.item_line', { quantity: fmt.number(Number(it.quantity), 3), product: it.product })),
          Number(it.quantity) !== 1 && h('span', { class: 'muted' }, t('profile.unit_price', { price: fmt.money(it.unit_price) })),
          it.warranty_months ? h('span', { class: 'chip warranty' }, t('profile.warranty_until', { date: fmt.date(addMonths(p.at, it.warranty_months)) })) : null,
          h('span', { class: 'spacer' }),
          h('span', { class: 'num' }, fmt.money(it.line_total))))),
        purchaseFoot(p)))
        : h('li', { class: 'empty' }, t('profile.timeline_empty'))));
}

/** Note, staff and the refund action under a purchase. */
function purchaseFoot(p) {
  const { t } = ctx;
  const note = [p.note, p.staff && t('profile.staff', { staff: p.staff })].filter(Boolean).join(' · ');
  const canRefund = refundable(p) > 0n;
  if (!note && !canRefund) return null;
  return h('div', { class: 'purchase-foot' },
    note && h('div', { class: 'purchase-note' }, note),
    h('span', { class: 'spacer' }),
    canRefund && h('button', {
      type: 'button', class: 'ghost small refund-action', dataset: { id: p.id }, onclick: () => refundDialog(p),
    }, icon('refund'), t('profile.refund')));
}

/** Points used and money refunded on a purchase (Purchase.discount / .refunded when sent). */
function purchaseChips(p) {
  const { t, fmt } = ctx;
  const exp = fmt.exponent;
  const discount = toMinor(p.discount ?? '0', exp) ?? 0n;
  const refunded = toMinor(p.refunded ?? '0', exp) ?? 0n;
  return [
    discount > 0n && h('span', { class: 'chip points' }, t('profile.paid_with_points', { discount: fmt.money(p.discount) })),
    refunded > 0n && h('span', { class: 'chip refunded' }, refundable(p) > 0n ? t('profile.refunded_part', { amount: fmt.money(p.refunded) }) : t('profile.refunded_all')),
  ];
}

export default { mount, unmount };
