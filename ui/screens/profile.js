// Customer profile: editable details, stats, purchase timeline, archive.
import * as api from '../lib/api.js';
import { h, fill, icon, clearFieldErrors, confirmDialog, toast } from '../lib/dom.js';
import { addMonths, formatBirthday, parseBirthday } from '../lib/format.js';
import { startPurchase } from './counter.js';

const GENDERS = ['male', 'female', 'other'];
const SOURCES = ['walk_in', 'facebook', 'zalo', 'referral', 'other'];

let ctx = null;
let els = null;
let data = null; // {customer, stats, purchases} as last loaded

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
      h('div', { class: 'profile-side' }, statsCard(), loyaltyPlaceholder(), timelineCard()))));
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

function statsCard() {
  const { t, fmt } = ctx;
  const s = data.stats;
  const item = (label, value, sub) => h('div', { class: 'stat' }, h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-big' }, value), sub && h('div', { class: 'stat-sub' }, sub));
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

function loyaltyPlaceholder() {
  const { t } = ctx;
  return h('section', { class: 'card placeholder', id: 'profile-loyalty' },
    h('h2', {}, icon('star'), t('profile.loyalty_title'), h('span', { class: 'badge' }, t('common.coming_soon'))),
    h('div', { class: 'stats-grid' },
      h('div', { class: 'stat' }, h('div', { class: 'stat-label' }, t('profile.points')), h('div', { class: 'stat-big' }, t('common.none'))),
      h('div', { class: 'stat' }, h('div', { class: 'stat-label' }, t('profile.tier')), h('div', { class: 'stat-big' }, t('common.none')))),
    h('p', { class: 'muted' }, t('profile.loyalty_body')));
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
          h('span', { class: 'spacer' }),
          h('strong', { class: 'purchase-total' }, fmt.money(p.total))),
        p.items.length > 0 && h('ul', { class: 'purchase-items' }, p.items.map((it) => h('li', {},
          h('span', {}, t('profile.item_line', { quantity: fmt.number(Number(it.quantity), 3), product: it.product })),
          Number(it.quantity) !== 1 && h('span', { class: 'muted' }, t('profile.unit_price', { price: fmt.money(it.unit_price) })),
          it.warranty_months ? h('span', { class: 'chip warranty' }, t('profile.warranty_until', { date: fmt.date(addMonths(p.at, it.warranty_months)) })) : null,
          h('span', { class: 'spacer' }),
          h('span', { class: 'num' }, fmt.money(it.line_total))))),
        (p.note || p.staff) && h('div', { class: 'purchase-note' }, [p.note, p.staff && t('profile.staff', { staff: p.staff })].filter(Boolean).join(' · '))))
        : h('li', { class: 'empty' }, t('profile.timeline_empty'))));
}

export default { mount, unmount };
