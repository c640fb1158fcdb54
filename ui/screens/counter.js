// Counter (Quầy): find a customer by phone or name, add one in seconds, record a purchase,
// earn and redeem points. Keyboard path: phone suffix, Enter, amount, Enter
// (Tab to the points field, Alt+R for the most points the bill allows).
import * as api from '../lib/api.js';
import {
  h,
  fill,
  icon,
  clearFieldErrors,
  clearFieldError,
  showFieldError,
  showFieldErrorBelow,
  bindAmountInput,
} from '../lib/dom.js';
import { debounce, latestOnly, STALE } from '../lib/async.js';
import { CHANGED as KEPT_CHANGED } from '../lib/kept-bills.js';
import { offlineForm, keptText } from './counter-offline.js';
import { benefitText, dayText, normalizeCode } from '../lib/vouchers.js';
import { itemsTotal, toMinor, fromMinor } from '../lib/format.js';
import {
  tierProgress,
  formatPointsTyping,
  pointsToInput,
  signedPoints,
  newClientId,
  mayHaveRecorded,
  tierDirection,
} from '../lib/loyalty.js';

const SEARCH_DELAY_MS = 120;
const QUOTE_DELAY_MS = 150;
const SEARCH_LIMIT = 20;
const PAYMENTS = ['cash', 'card', 'transfer', 'ewallet', 'other'];

// client_id names the bill: made when the purchase form opens, kept while the same bill
// is retried (double Enter, an error after which it may have been recorded).
const emptyDraft = () => ({
  amount: '',
  items: [],
  payment_method: 'cash',
  note: '',
  redeem: null,
  voucher: '',
  client_id: newClientId(),
});

// Module state outlives a mount, so switching screens or language keeps the work in progress.
const state = {
  query: '',
  searched: null, // the query the current results answer
  results: [],
  total: 0, // how many customers match, counted up to 1,000 (results holds the best SEARCH_LIMIT)
  totalCapped: false, // more than `total` match
  selected: 0,
  // Several customers match and Enter was pressed once: the selected one is highlighted and
  // the cashier confirms the name (Enter again) or picks another (arrows) before any bill.
  confirming: false,
  addDraft: null, // {query, name, phone} for the inline "add customer" form
  customer: null, // the picked customer (CustomerRow-like)
  draft: emptyDraft(),
  // {id, name, amount, visits, total_spent, points_earned, points_redeemed, discount, pay, balance, tier,
  //  tier_changed, direction}
  confirmation: null,
  loyalty: null, // {id, data: CustomerLoyalty|null, failed} for the picked customer
  vouchers: null, // {id, list: [Voucher]}: the picked customer's usable vouchers
  quote: null, // {key, value: Quote} or {key, error} for the current draft
  maxFor: null, // {key, max}: the most points the bill may use, kept while a redeem is refused
  saving: false,
  // The server did not answer the last search: bills for a customer typed by phone or card
  // number are kept at this counter (counter-offline.js) until it answers again.
  offline: false,
};
let config = null; // LoyaltyConfig, for the point value and the order of the tiers

let ctx = null;
let els = null; // live elements of the mounted screen
const latest = latestOnly();
let pickWhenReady = false; // Enter was pressed before the results for the typed query arrived
let typeAhead = ''; // keys typed while waiting for that answer: they belong to the amount
const search = debounce((q) => runSearch(q), SEARCH_DELAY_MS);
const latestQuote = latestOnly();
const quoteSoon = debounce(() => runQuote(), QUOTE_DELAY_MS);

/** Looks like a phone number (digits, spaces, +, dots, dashes)? */
const isPhoneLike = (q) => /^[\d\s+().-]+$/.test(q) && /\d/.test(q);

async function runSearch(q) {
  performance.mark('kq-search'); // the debounce is over: the window benchmark measures from here
  const query = q.trim();
  if (!query) {
    latest.invalidate();
    Object.assign(state, { searched: q, results: [], total: 0, totalCapped: false, selected: 0, confirming: false });
    renderBody();
    return;
  }
  let found;
  try {
    found = await latest(api.customerFind(query, SEARCH_LIMIT));
  } catch (err) {
    pickWhenReady = false;
    typeAhead = '';
    if (err?.code === 'db.server_unreachable' && ctx.info.server) {
      Object.assign(state, { offline: true, searched: q, results: [], total: 0, selected: 0, confirming: false });
      renderBody();
      return;
    }
    ctx.showError(err);
    return;
  }
  if (found === STALE || !els) return;
  state.offline = false;
  // A refresh of the same query (back from a bill) keeps the row the cashier is on.
  const same = q === state.searched ? found.rows.findIndex((r) => r.id === state.results[state.selected]?.id) : -1;
  Object.assign(
    state,
    same >= 0
      ? { results: found.rows, total: found.total, totalCapped: !!found.total_capped, selected: same }
      : {
          searched: q,
          results: found.rows,
          total: found.total,
          totalCapped: !!found.total_capped,
          selected: 0,
          confirming: false,
        },
  );
  renderBody();
  if (pickWhenReady) {
    pickWhenReady = false;
    enterFromSearch();
  }
}

/** Enter in the search box: pick the only match or, among several, highlight the most
 * likely one and pick it on the next Enter; no match: go to the add form. */
function enterFromSearch() {
  if (!state.query.trim()) return;
  if (state.searched !== state.query) {
    // Typed faster than the debounce: search now and act when the answer arrives.
    pickWhenReady = true;
    search.flush();
    return;
  }
  if (state.results.length === 1 && state.total <= 1) pick(state.results[0]);
  else if (state.results.length && state.confirming) pick(state.results[state.selected]);
  else if (state.results.length) {
    state.confirming = true;
    markSelected();
  } else if (els.addForm) {
    typeAhead = ''; // nobody to sell to yet: the cashier must see the add form first
    // Continue in the first field the query did not fill in.
    const { name, phone } = els.addForm.elements;
    ([name, phone].find((i) => !i.value.trim()) ?? els.addForm.querySelector('#new-customer-save')).focus();
  }
}

function pick(row) {
  // A search still pending must not redraw the purchase form under the cashier's fingers.
  search.cancel();
  latest.invalidate();
  openBill(row);
  state.confirmation = null;
  renderBody();
  const amount = els.body.querySelector('#purchase-amount');
  if (amount && typeAhead) {
    amount.value = typeAhead;
    amount.dispatchEvent(new Event('input', { bubbles: true }));
  }
  typeAhead = '';
  amount?.focus();
}

/** Starts a purchase for a customer chosen elsewhere (the profile's "Record purchase"). */
export function startPurchase(row) {
  openBill(row);
  state.confirmation = null;
}

/** A new bill for a customer: fresh draft (and client_id), their points loaded. */
function openBill(row) {
  closeBill();
  Object.assign(state, { customer: row, draft: emptyDraft(), loyalty: { id: row.id, data: null } });
  loadLoyalty(row.id);
  loadVouchers(row.id);
}

/** customer_vouchers({id}): the codes the cashier can apply with one key. */
async function loadVouchers(id) {
  let list = [];
  try {
    list = (await api.customerVouchers(id)).filter((v) => v.status === 'usable');
  } catch {
    list = []; // a code can still be typed or scanned
  }
  if (state.customer?.id !== id) return;
  state.vouchers = { id, list };
  renderVouchers();
}

function closeBill() {
  quoteSoon.cancel();
  latestQuote.invalidate();
  Object.assign(state, {
    customer: null,
    draft: emptyDraft(),
    loyalty: null,
    vouchers: null,
    quote: null,
    maxFor: null,
    saving: false,
  });
}

/** customer_get({id}).loyalty: balance, tier and progress for the purchase form. */
async function loadLoyalty(id) {
  let data = null;
  try {
    data = (await api.customerGet(id)).loyalty ?? null;
  } catch {
    data = null; // the form works without it; the back end still applies every rule
  }
  if (state.loyalty?.id !== id || state.customer?.id !== id) return;
  state.loyalty = { id, data, loaded: true };
  renderLoyalty();
  if (state.draft.amount) quoteSoon();
}

async function loadConfig() {
  try {
    config = await api.loyaltyGet();
    renderQuote();
  } catch {
    config = null; // only used for the worth of the maximum and the direction of a tier move
  }
}

/** Back to an empty search box, focused (F2, Escape, after a purchase). */
function reset({ keepConfirmation = true } = {}) {
  search.cancel();
  latest.invalidate();
  pickWhenReady = false;
  typeAhead = '';
  closeBill();
  Object.assign(state, {
    query: '',
    searched: '',
    results: [],
    total: 0,
    totalCapped: false,
    selected: 0,
    confirming: false,
    addDraft: null,
  });
  if (!keepConfirmation) state.confirmation = null;
  if (!els) return;
  els.search.value = '';
  renderBody();
  els.search.focus();
}

function onSearchInput() {
  pickWhenReady = false; // an Enter pressed earlier was meant for the previous text
  typeAhead = ''; // and so was an amount typed after it
  state.query = els.search.value;
  search(state.query);
}

function onSearchKeydown(e) {
  const n = state.results.length;
  if (pickWhenReady && e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) {
    // Enter is waiting for the search: a fast cashier is already typing the amount.
    e.preventDefault();
    typeAhead += e.key;
    return;
  }
  if (pickWhenReady && e.key === 'Enter') {
    e.preventDefault(); // already waiting; a second Enter must not save blind
    return;
  }
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    if (!n) return;
    e.preventDefault();
    state.selected = (state.selected + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
    state.confirming = true; // choosing with the arrows is choosing: Enter takes this one
    markSelected();
  } else if (e.key === 'Enter') {
    e.preventDefault();
    enterFromSearch();
  } else if (e.key === 'Escape') {
    e.preventDefault();
    reset({ keepConfirmation: false });
  }
}

function markSelected() {
  const list = els.body.querySelector('#search-results');
  list?.classList.toggle('confirming', state.confirming);
  renderPickPrompt();
  els.body.querySelectorAll('.result').forEach((el, i) => {
    const on = i === state.selected;
    el.classList.toggle('selected', on);
    el.setAttribute('aria-selected', String(on));
    if (on) {
      el.scrollIntoView({ block: 'nearest' });
      els.search.setAttribute('aria-activedescendant', el.id);
    }
  });
}

// ---------- rendering ----------

function mount(root, context) {
  ctx = context;
  const { t } = ctx;
  const input = h('input', {
    id: 'counter-search',
    class: 'search-input',
    type: 'search',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: t('counter.search_placeholder'),
    'aria-label': t('counter.search_label'),
    role: 'combobox',
    'aria-controls': 'search-results',
    'aria-expanded': 'false',
    value: state.query,
    oninput: onSearchInput,
    onkeydown: onSearchKeydown,
  });
  els = { root, search: input, body: h('div', { class: 'counter-body' }), confirmation: h('div'), addForm: null };
  fill(
    root,
    h(
      'div',
      { class: 'counter' },
      h('header', { class: 'screen-header' }, h('h1', {}, t('counter.title'))),
      // The confirmation goes below the search box, so the box never moves under the
      // cashier's eyes when a sale is recorded.
      h(
        'div',
        { class: 'search-box' },
        icon('search', 'icon search-icon'),
        input,
        h('kbd', { class: 'search-key' }, 'F2'),
      ),
      h('p', { class: 'hint' }, t('counter.search_hint')),
      els.confirmation,
      els.body,
    ),
  );
  renderBody();
  if (state.customer) els.body.querySelector('#purchase-amount')?.focus();
  else input.focus();
  loadConfig();
}

function unmount() {
  search.cancel();
  latest.invalidate();
  quoteSoon.cancel();
  latestQuote.invalidate();
  els = null;
}

function renderBody() {
  if (!els) return;
  renderConfirmation();
  const hasQuery = state.query.trim() !== '';
  const shownForm = els.addForm?.isConnected ? els.addForm : null;
  els.addForm = null;
  let view;
  if (!state.customer && state.offline) {
    // Kept as it is while the cashier types (each search fails again), the customer taken
    // from the search box when it is a phone or a card number.
    const shown = els.offlineForm?.isConnected ? els.offlineForm : null;
    const typed = state.query.trim();
    if (shown) {
      if (typed) shown.elements.reference.value = typed;
      renderPickPrompt();
      return;
    }
    view = els.offlineForm = offlineForm(ctx, { reference: typed, done: keptBill });
  } else if (state.customer) view = purchaseView();
  else if (hasQuery && state.searched === state.query && !state.results.length) {
    // Still nobody: a later answer (the full name after a partial one, or the same query
    // again) updates the form in place; rebuilding it lost what the cashier was typing into
    // it and the error shown under it.
    if (shownForm) {
      refreshAddForm(shownForm);
      renderPickPrompt();
      return;
    }
    view = addView();
  } else if (state.results.length) view = resultsView();
  else if (!hasQuery && ctx.info.customers === 0) view = welcomeView();
  else view = null;
  els.search.setAttribute('aria-expanded', String(!state.customer && state.results.length > 0));
  fill(els.body, view);
  renderPickPrompt();
}

/** A bill kept at this counter (or recorded after all): said above an empty search box. */
function keptBill(r) {
  state.confirmation = { kept: r };
  if (r.sent) state.offline = false;
  state.query = '';
  state.searched = '';
  if (!els) return;
  els.offlineForm = null;
  els.search.value = '';
  renderBody();
  els.search.focus();
}

function renderConfirmation() {
  const c = state.confirmation;
  if (!c) {
    fill(els.confirmation);
    els.confirmation.removeAttribute('id');
    els.confirmation.className = '';
    return;
  }
  const { t, fmt } = ctx;
  els.confirmation.id = 'purchase-confirmation';
  els.confirmation.className = 'confirmation';
  els.confirmation.setAttribute('role', 'status');
  if (c.kept) {
    fill(
      els.confirmation,
      icon(c.kept.queued ? 'clock' : 'check', 'icon confirm-icon'),
      h('div', { class: 'confirm-text', id: 'purchase-kept' }, h('strong', {}, keptText(ctx, c.kept))),
    );
    return;
  }
  const points = [
    c.points_earned > 0 && t('counter.confirm_earned', { points: signedPoints(c.points_earned, fmt.number) }),
    c.points_redeemed > 0 &&
      t('counter.confirm_redeemed', { points: fmt.number(c.points_redeemed), discount: fmt.money(c.discount) }),
    c.voucher &&
      t('counter.confirm_voucher', {
        code: c.voucher.code,
        benefit:
          toMinor(c.voucher.discount, fmt.exponent) > 0n
            ? `−${fmt.money(c.voucher.discount)}`
            : benefitText(ctx.t, ctx.fmt, c.voucher.benefit),
      }),
    (c.points_redeemed > 0 || c.voucher) && t('counter.confirm_pay', { pay: fmt.money(c.pay) }),
    c.balance !== null && c.balance !== undefined && t('counter.confirm_balance', { points: fmt.number(c.balance) }),
  ].filter(Boolean);
  const tierNote =
    c.tier_changed &&
    h(
      'span',
      { class: ['tier-note', c.direction === 'down' && 'down'], id: 'purchase-tier-changed' },
      icon('award'),
      c.tier
        ? t(
            c.direction === 'down'
              ? 'counter.tier_down'
              : c.direction === 'up'
                ? 'counter.tier_up'
                : 'counter.tier_new',
            { tier: c.tier },
          )
        : t('counter.tier_none'),
    );
  fill(
    els.confirmation,
    icon('check', 'icon confirm-icon'),
    h(
      'div',
      { class: 'confirm-text' },
      h('strong', {}, t('counter.confirmation', { amount: fmt.money(c.amount), name: c.name })),
      h('span', {}, t('counter.confirmation_stats', { visits: fmt.number(c.visits), total: fmt.money(c.total_spent) })),
      points.length > 0 &&
        h('span', { class: 'confirm-points', id: 'purchase-confirmation-points' }, points.join(' · ')),
      tierNote,
      (c.vouchers_issued ?? []).map((v) =>
        h(
          'span',
          { class: 'confirm-voucher', id: 'purchase-confirmation-voucher' },
          icon('award'),
          t('counter.voucher_earned', {
            code: v.code,
            benefit: benefitText(ctx.t, ctx.fmt, v.benefit),
            from: dayText(v.from),
            until: dayText(v.until),
          }),
        ),
      ),
    ),
    h('a', { href: `#profile/${encodeURIComponent(c.id)}`, class: 'link' }, t('counter.open_profile')),
  );
}

/** "2 khách", "20 / 89 khách" or "20 / hơn 1.000 khách": how many matched, and how many are listed. */
function matchCount() {
  const { t, fmt } = ctx;
  const shown = state.results.length;
  const total = Math.max(state.total ?? shown, shown);
  if (state.totalCapped) return t('counter.match_shown_more', { shown: fmt.number(shown), total: fmt.number(total) });
  if (total > shown) return t('counter.match_shown', { shown: fmt.number(shown), total: fmt.number(total) });
  return total === 1 ? t('counter.match_one') : t('counter.match_count', { count: fmt.number(total) });
}

/** Under the count: which customer the next Enter records the bill for. */
function renderPickPrompt() {
  const prompt = els?.body.querySelector('#search-confirm');
  if (!prompt) return;
  const r = state.confirming ? state.results[state.selected] : null;
  prompt.classList.toggle('hidden', !r);
  fill(
    prompt,
    r ? ctx.t('counter.confirm_pick', { name: r.name, phone: r.phone_display || ctx.t('common.none') }) : null,
  );
}

function resultsView() {
  const { t, fmt } = ctx;
  const status = h(
    'div',
    { class: 'search-status' },
    h('span', { id: 'search-count', class: 'search-count', 'aria-live': 'polite' }, matchCount()),
    h('strong', { id: 'search-confirm', class: 'search-confirm hidden', role: 'status' }),
  );
  const list = h(
    'ul',
    {
      id: 'search-results',
      class: ['results', state.confirming && 'confirming'],
      role: 'listbox',
      'aria-label': t('counter.results'),
      'data-query': state.searched,
    },
    state.results.map((r, i) =>
      h(
        'li',
        {
          id: `result-${i}`,
          class: ['result', i === state.selected && 'selected', r.archived && 'archived'],
          role: 'option',
          'aria-selected': String(i === state.selected),
          dataset: { id: r.id },
          onmousedown: (e) => e.preventDefault(), // keep focus in the search box
          onclick: () => pick(r),
        },
        h(
          'div',
          { class: 'result-main' },
          h(
            'div',
            { class: 'result-name' },
            r.name,
            r.archived && h('span', { class: 'badge muted' }, t('counter.archived')),
          ),
          h(
            'div',
            { class: 'result-sub' },
            h('span', { class: 'phone' }, r.phone_display || t('common.none')),
            r.code && h('span', { class: 'code' }, r.code),
          ),
        ),
        stat(t('counter.last_visit'), r.last_purchase_at ? fmt.relativeDay(r.last_purchase_at) : t('counter.never')),
        stat(t('counter.visits'), fmt.number(r.visits)),
        stat(t('counter.tier'), r.tier ? h('span', { class: 'tier-badge' }, r.tier) : t('common.none')),
        stat(
          t('counter.points'),
          r.points === null || r.points === undefined ? t('common.none') : fmt.number(r.points),
        ),
      ),
    ),
  );
  return h('div', { class: 'results-wrap' }, status, list);
}

const stat = (label, value, cls = null) =>
  h(
    'div',
    { class: ['result-stat', cls] },
    h('span', { class: 'stat-label' }, label),
    h('span', { class: 'stat-value' }, value),
  );

function addView() {
  const { t } = ctx;
  if (state.addDraft?.query !== state.query) {
    const prefill = prefillOf(state.query);
    state.addDraft = { query: state.query, prefill, ...prefill };
  }
  const d = state.addDraft;
  const field = (name, id, label, attrs) =>
    h(
      'label',
      { class: 'field' },
      h('span', { class: 'label' }, label),
      h('input', {
        id,
        name,
        value: d[name],
        autocomplete: 'off',
        oninput: (e) => {
          d[name] = e.target.value;
        },
        ...attrs,
      }),
    );
  const form = h(
    'form',
    { class: 'card add-form', novalidate: true, onsubmit: saveCustomer, onkeydown: escapeToSearch },
    h('p', { class: 'empty-line' }, t('counter.no_results', { query: state.query.trim() })),
    h('h2', {}, icon('plus'), t('counter.add_title')),
    h(
      'div',
      { class: 'form-row' },
      field('name', 'new-customer-name', t('fields.name'), { spellcheck: 'false' }),
      field('phone', 'new-customer-phone', t('fields.phone'), { inputmode: 'tel' }),
    ),
    h(
      'div',
      { class: 'form-actions' },
      h('span', { class: 'hint' }, t('counter.add_hint')),
      h('span', { class: 'spacer' }),
      h('button', { type: 'submit', class: 'primary', id: 'new-customer-save' }, t('counter.add_save')),
    ),
  );
  els.addForm = form;
  return form;
}

/** What the search box fills in the add form: a phone-like query is the phone, else the name. */
function prefillOf(query) {
  const q = query.trim();
  return { name: isPhoneLike(q) ? '' : q, phone: isPhoneLike(q) ? q : '' };
}

/** The add form shown, brought up to the current query: a field the cashier has not edited
 * follows the search; one they typed in keeps what they typed. */
function refreshAddForm(form) {
  const d = state.addDraft;
  const prefill = prefillOf(state.query);
  for (const k of ['name', 'phone']) {
    if (d[k] === d.prefill[k] && d[k] !== prefill[k]) {
      d[k] = prefill[k];
      form.elements[k].value = prefill[k];
    }
  }
  Object.assign(d, { query: state.query, prefill });
  form.querySelector('.empty-line').textContent = ctx.t('counter.no_results', { query: state.query.trim() });
  els.addForm = form;
}

function escapeToSearch(e) {
  if (e.key !== 'Escape') return;
  e.preventDefault();
  els.search.focus();
  els.search.select();
}

async function saveCustomer(e) {
  e.preventDefault();
  const form = e.currentTarget;
  clearFieldErrors(form);
  const { name, phone } = state.addDraft;
  try {
    const c = await api.customerAdd({ name: name.trim(), phone: phone.trim() });
    ctx.info.customers += 1;
    pick({ ...c, visits: 0, total_spent: '0', last_purchase_at: null, archived: false, tier: null, points: 0 });
  } catch (err) {
    if (err.code === 'customer.phone_taken' && err.params?.id) {
      // Offer the existing customer instead of a dead end.
      const btn = h(
        'button',
        { type: 'button', class: 'link', onclick: () => openExisting(err.params.id) },
        ctx.t('counter.open_existing'),
      );
      showFieldError(form.elements.phone, ctx.t.error(err), btn);
      form.elements.phone.focus();
    } else ctx.showError(err, form);
  }
}

async function openExisting(id) {
  try {
    const { customer: c, stats, loyalty } = await api.customerGet(id);
    pick({
      ...c,
      visits: stats.visits,
      total_spent: stats.total_spent,
      last_purchase_at: stats.last_purchase_at,
      archived: !!c.archived_at,
      tier: loyalty?.tier ?? null,
      points: loyalty ? loyalty.balance : null,
    });
  } catch (err) {
    ctx.showError(err);
  }
}

function welcomeView() {
  const { t } = ctx;
  const btn = h(
    'button',
    { type: 'button', class: 'primary', id: 'demo-create' },
    icon('sparkle'),
    t('counter.demo_button'),
  );
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    fill(btn, h('span', { class: 'spinner' }), t('counter.demo_running'));
    try {
      // The demo shop lives in its own folder: the window starts again on it.
      await api.demoCreate();
      location.hash = '#counter';
      location.reload();
    } catch (err) {
      ctx.showError(err);
      btn.disabled = false;
      fill(btn, icon('sparkle'), t('counter.demo_button'));
    }
  });
  const importBtn = h(
    'a',
    { class: 'button-link big', href: '#import', id: 'welcome-import' },
    icon('transfer'),
    t('counter.import_button'),
  );
  return h(
    'section',
    { class: 'card welcome', id: 'welcome' },
    h('div', { class: 'welcome-mark' }, icon('store')),
    h('h2', {}, t('counter.welcome_title')),
    // Import and the demo are the owner's: a cashier is told only what they can do.
    h('p', {}, t(ctx.can('import') || ctx.can('demo') ? 'counter.welcome_body' : 'counter.welcome_body_cashier')),
    h('div', { class: 'welcome-actions' }, ctx.can('import') && importBtn, ctx.can('demo') && btn),
    ctx.can('demo') && h('p', { class: 'muted small' }, t('counter.demo_note')),
  );
}

// ---------- purchase form ----------

function purchaseView() {
  const { t, fmt } = ctx;
  const c = state.customer;
  const d = state.draft;
  const amount = h('input', {
    id: 'purchase-amount',
    name: 'amount',
    class: 'amount-input',
    inputmode: 'decimal',
    autocomplete: 'off',
    value: fmt.amountToInput(d.amount),
    'aria-label': t('counter.amount'),
  });
  const itemsBox = h('div', { class: 'items', 'data-field': 'items' });
  const hint = h('div', { class: 'items-hint', 'aria-live': 'polite' });
  const refreshHint = () => renderItemsHint(hint, amount);
  bindAmountInput(amount, fmt, (v) => {
    const changed = v !== d.amount;
    d.amount = v;
    // "Vui lòng nhập số tiền." is about an empty field: it goes once there is an amount.
    if (v) clearFieldError(amount);
    refreshHint();
    if (changed) billChanged();
  });

  const renderItems = () => {
    fill(itemsBox, d.items.length ? itemsTable(refreshHint, renderItems) : null);
    refreshHint();
  };
  const addItem = h(
    'button',
    {
      type: 'button',
      class: 'ghost small',
      id: 'purchase-add-item',
      onclick: () => {
        d.items.push({ product: '', quantity: '1', unit_price: '', warranty_months: '' });
        renderItems();
        itemsBox.querySelector('tr:last-child input')?.focus();
      },
    },
    icon('plus'),
    t('counter.items_add'),
  );

  const form = h(
    'form',
    {
      class: 'card purchase-form',
      id: 'purchase-form',
      novalidate: true,
      onsubmit: savePurchase,
      onkeydown: onPurchaseKeydown,
    },
    customerHeader(c),
    loyaltyView(amount),
    // Grid areas put payment and note beside the amount, the points below it; in the DOM
    // (so for Tab) the points come right after the amount.
    h(
      'div',
      { class: 'amount-row' },
      h(
        'label',
        { class: 'field amount-field' },
        h('span', { class: 'label' }, t('counter.amount')),
        h('div', { class: 'amount-wrap' }, amount, h('span', { class: 'currency', title: fmt.currency }, fmt.symbol)),
      ),
      els.bill.row,
      els.bill.voucherRow,
      els.bill.pay,
      h(
        'label',
        { class: 'field payment-field' },
        h('span', { class: 'label' }, t('counter.payment_method')),
        h(
          'select',
          {
            name: 'payment_method',
            onchange: (e) => {
              d.payment_method = e.target.value;
            },
          },
          PAYMENTS.map((p) => h('option', { value: p, selected: p === d.payment_method }, t(`payment.${p}`))),
        ),
      ),
      h(
        'label',
        { class: 'field grow note-field' },
        h('span', { class: 'label' }, t('counter.note')),
        h('input', {
          name: 'note',
          value: d.note,
          autocomplete: 'off',
          oninput: (e) => {
            d.note = e.target.value;
          },
        }),
      ),
    ),
    itemsBox,
    hint,
    h(
      'div',
      { class: 'form-actions' },
      h(
        'button',
        { type: 'button', class: 'ghost small', id: 'purchase-back', onclick: backToSearch },
        icon('back'),
        t('counter.change_customer'),
      ),
      addItem,
      h('span', { class: 'spacer' }),
      h(
        'span',
        { class: 'hint' },
        h('kbd', {}, 'Enter'),
        h('span', {}, t('counter.hint_save')),
        h('span', {}, '·'),
        h('kbd', {}, 'Esc'),
        h('span', {}, t('counter.hint_change')),
      ),
      h('button', { type: 'submit', class: 'primary', id: 'purchase-save', disabled: state.saving }, t('counter.save')),
    ),
  );
  renderItems();
  renderLoyalty();
  return form;
}

/** The loyalty strip (balance, tier, progress) and the redeem row, kept in els.bill so
 * answers from customer_get and purchase_quote update them without redrawing the form. */
function loyaltyView(amountInput) {
  const { t, fmt } = ctx;
  const d = state.draft;
  const redeem = h('input', {
    id: 'purchase-redeem',
    name: 'redeem',
    class: 'redeem-input',
    inputmode: 'numeric',
    autocomplete: 'off',
    value: pointsToInput(d.redeem, fmt.locale),
    placeholder: '0',
    'aria-label': t('counter.redeem'),
  });
  redeem.addEventListener('input', () => {
    const r = formatPointsTyping(redeem.value, redeem.selectionStart ?? redeem.value.length, { locale: fmt.locale });
    if (redeem.value !== r.text) {
      redeem.value = r.text;
      redeem.setSelectionRange(r.caret, r.caret);
    }
    const value = r.value || null;
    if (value !== d.redeem) {
      d.redeem = value;
      billChanged();
    }
  });
  const max = h(
    'button',
    {
      type: 'button',
      class: 'ghost small',
      id: 'purchase-redeem-max',
      'aria-keyshortcuts': 'Alt+R',
      title: t('counter.redeem_max_title'),
      onclick: () => fillMax(),
    },
    t('counter.redeem_max'),
    h('kbd', {}, 'Alt+R'),
  );
  const hint = h('div', { class: 'redeem-hint', id: 'purchase-redeem-hint', 'aria-live': 'polite' });
  const pay = h('div', { class: 'pay-box hidden', id: 'purchase-pay', 'aria-live': 'polite' });
  // Errors go under the field and its button, not inside the narrow box.
  const controls = h(
    'div',
    { class: 'redeem-controls', id: 'purchase-redeem-controls' },
    h('div', { class: 'suffix-wrap' }, redeem, h('span', { class: 'suffix' }, t('loyalty.points_unit'))),
    max,
  );
  const row = h(
    'div',
    { class: 'field redeem-field hidden' },
    h('label', { class: 'label', for: 'purchase-redeem' }, t('counter.redeem')),
    controls,
    hint,
  );
  const strip = h('div', { class: 'loyalty-strip', id: 'counter-loyalty' });
  const earn = h('span', { class: 'earn-info', id: 'purchase-earn', 'aria-live': 'polite' });
  els.bill = { strip, row, redeem, controls, hint, pay, earn, amount: amountInput, ...voucherView() };
  return strip;
}

/** The voucher field: a code typed or scanned (a scanner's Enter applies it, never saves the
 * bill), and the customer's usable vouchers as buttons; Alt+V applies the first one. */
function voucherView() {
  const { t } = ctx;
  const d = state.draft;
  const voucher = h('input', {
    id: 'purchase-voucher',
    name: 'voucher',
    class: 'voucher-input',
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: '40',
    value: d.voucher,
    placeholder: t('counter.voucher_placeholder'),
    'aria-label': t('counter.voucher'),
  });
  voucher.addEventListener('input', () => setVoucher(voucher.value, { typed: true }));
  voucher.addEventListener('keydown', (e) => {
    // A scanner ends the code with Enter: the first Enter checks a new code (the bill is
    // saved by the next one, once the cashier has seen what it gives).
    if (e.key === 'Enter' && state.draft.voucher && state.quote?.key !== quoteKey()) {
      e.preventDefault();
      if (quoteSoon.pending()) quoteSoon.flush();
      else runQuote();
    }
  });
  const chips = h('div', { class: 'voucher-chips', id: 'purchase-voucher-list' });
  const voucherHint = h('div', { class: 'voucher-hint', id: 'purchase-voucher-hint', 'aria-live': 'polite' });
  const voucherControls = h('div', { class: 'voucher-controls', id: 'purchase-voucher-controls' }, voucher, chips);
  const voucherRow = h(
    'div',
    { class: 'field voucher-field' },
    h(
      'label',
      { class: 'label', for: 'purchase-voucher' },
      t('counter.voucher'),
      ' ',
      h('kbd', { 'aria-keyshortcuts': 'Alt+V' }, 'Alt+V'),
    ),
    voucherControls,
    voucherHint,
  );
  return { voucher, chips, voucherHint, voucherControls, voucherRow };
}

/** A new code on the bill (typed, from a button or cleared): the quote follows. */
function setVoucher(code, { typed = false } = {}) {
  const d = state.draft;
  const v = String(code ?? '').trim();
  if (v === d.voucher) return;
  d.voucher = v;
  const b = els?.bill;
  if (b && !typed) b.voucher.value = v;
  if (b) clearVoucherError();
  renderVouchers();
  billChanged();
}

/** Alt+V: the first usable voucher (the focus stays, so Enter still saves), or the field
 * itself when the customer has none to type or scan one. */
function applyFirstVoucher() {
  const list = state.vouchers?.id === state.customer?.id ? state.vouchers.list : [];
  if (list.length && !state.draft.voucher) setVoucher(list[0].code);
  else els?.bill?.voucher.focus();
}

function renderVouchers() {
  const b = els?.bill;
  if (!b || !state.customer) return;
  const { t } = ctx;
  const list = state.vouchers?.id === state.customer.id ? state.vouchers.list : [];
  const applied = normalizeCode(state.draft.voucher);
  fill(
    b.chips,
    list.map((v) =>
      h(
        'button',
        {
          type: 'button',
          class: ['voucher-chip', normalizeCode(v.code) === applied && 'applied'],
          dataset: { code: v.code },
          'aria-pressed': String(normalizeCode(v.code) === applied),
          title: t('counter.voucher_until', { date: dayText(v.until) }),
          onclick: () => setVoucher(normalizeCode(v.code) === applied ? '' : v.code),
        },
        h('strong', {}, benefitText(ctx.t, ctx.fmt, v.benefit)),
        h('span', { class: 'muted small' }, v.code),
      ),
    ),
  );
}

function showVoucherError(message) {
  showFieldErrorBelow(els.bill.voucher, els.bill.voucherControls, message);
}

function clearVoucherError() {
  clearFieldError(els.bill.voucherControls);
  clearFieldError(els.bill.voucher);
}

/** Balance, tier and progress: from customer_get once it answers, the search row before. */
function renderLoyalty() {
  const b = els?.bill;
  const c = state.customer;
  if (!b || !c) return;
  const { t, fmt } = ctx;
  const l = state.loyalty?.id === c.id ? state.loyalty.data : null;
  const balance = l ? l.balance : c.points;
  const tier = l ? l.tier : c.tier;
  const known = balance !== null && balance !== undefined;
  const progress = l && tierProgress(l, fmt.exponent);
  fill(
    b.strip,
    // The star and the badge say what they are; the labels are there for screen readers.
    h(
      'div',
      { class: 'loyalty-item', title: t('loyalty.balance') },
      icon('star', 'icon star'),
      h('span', { class: 'visually-hidden' }, t('loyalty.balance')),
      h(
        'strong',
        { class: 'loyalty-points', id: 'counter-points', dataset: { points: known ? String(balance) : '' } },
        known ? t('loyalty.points_count', { points: fmt.number(balance) }) : t('common.none'),
      ),
    ),
    h(
      'div',
      { class: 'loyalty-item', title: t('loyalty.tier') },
      h('span', { class: 'visually-hidden' }, t('loyalty.tier')),
      tier ? h('span', { class: 'tier-badge' }, tier) : h('span', { class: 'muted' }, t('loyalty.no_tier')),
      l &&
        Number(l.multiplier) !== 1 &&
        h(
          'span',
          { class: 'muted small' },
          t('loyalty.multiplier', { multiplier: fmt.number(Number(l.multiplier), 2) }),
        ),
    ),
    l ? progressView(progress) : null,
    h('span', { class: 'spacer' }),
    b.earn,
  );
  b.row.classList.toggle('hidden', !(known && balance > 0));
  renderVouchers();
  renderQuote();
}

function progressView(progress) {
  const { t, fmt } = ctx;
  if (!progress)
    return h('div', { class: 'loyalty-item tier-progress top' }, h('span', { class: 'muted' }, t('loyalty.top_tier')));
  const text = t('loyalty.to_next', { amount: fmt.money(progress.needed), tier: progress.next });
  return h(
    'div',
    { class: 'loyalty-item tier-progress' },
    h('progress', { max: '1', value: progress.fraction, 'aria-label': text }),
    h('span', { class: 'progress-text' }, text),
  );
}

const amountKey = () => `${state.customer?.id}|${state.draft.amount}`;
const quoteKey = () => `${amountKey()}|${state.draft.redeem ?? 0}|${normalizeCode(state.draft.voucher)}`;

/** The amount or the points changed: the quote on screen is stale until the next answer. */
function billChanged() {
  latestQuote.invalidate();
  quoteSoon();
  renderQuote();
}

async function runQuote() {
  const c = state.customer;
  const d = state.draft;
  if (!c || !els?.bill) return;
  const key = quoteKey();
  const minor = d.amount ? toMinor(d.amount, ctx.fmt.exponent) : null;
  if (minor === null || minor <= 0n) {
    state.quote = null;
    renderQuote();
    return;
  }
  const akey = amountKey();
  try {
    const q = await latestQuote(
      api.purchaseQuote({
        customer_id: c.id,
        amount: d.amount,
        ...(d.redeem ? { redeem: d.redeem } : {}),
        ...(d.voucher ? { voucher: d.voucher } : {}),
      }),
    );
    if (q === STALE) return;
    state.quote = { key, value: q };
    state.maxFor = { key: akey, max: q.max_points };
  } catch (err) {
    state.quote = { key, error: err };
    if (err.code === 'loyalty.redeem_over_cap' && Number.isInteger(err.params?.max))
      state.maxFor = { key: akey, max: err.params.max };
  }
  renderQuote();
}

/** Hint next to the points field, the redeem error in place, "Khách trả", points to earn. */
function renderQuote() {
  const b = els?.bill;
  if (!b || !state.customer) return;
  const { t, fmt } = ctx;
  const d = state.draft;
  const current = state.quote?.key === quoteKey() ? state.quote : null;
  // While the next answer is on its way the last one stays, dimmed (no flicker as digits are typed).
  const sameCustomer = state.quote?.key.startsWith(`${state.customer.id}|`);
  const q = current?.value ?? (d.amount && sameCustomer ? (state.quote?.value ?? null) : null);
  b.strip.parentElement?.classList.toggle('quote-pending', !!d.amount && !current);

  fill(
    b.earn,
    q && q.points_to_earn > 0 ? t('counter.earn_line', { points: signedPoints(q.points_to_earn, fmt.number) }) : null,
  );

  const err = current?.error;
  if (err && err.params?.field === 'redeem') showRedeemError(t.error(err));
  else if (current || !d.redeem) clearRedeemError();
  if (err && err.code?.startsWith('voucher.')) showVoucherError(t.error(err));
  else if (current || !d.voucher) clearVoucherError();
  const vu = current?.value?.voucher ?? null;
  fill(
    b.voucherHint,
    vu && [
      h(
        'span',
        { id: 'purchase-voucher-applied' },
        t('counter.voucher_applied', { benefit: benefitText(ctx.t, ctx.fmt, vu.benefit) }),
      ),
      vu.bonus_points > 0 &&
        h('span', {}, ' · ', t('counter.voucher_bonus', { points: signedPoints(vu.bonus_points, fmt.number) })),
    ],
  );

  const max = state.maxFor?.key === amountKey() ? state.maxFor.max : null;
  let hint = null;
  if (!d.amount) hint = t('counter.redeem_need_amount');
  else if (max === 0) hint = t('counter.redeem_none');
  else if (max !== null) {
    const pv = config?.rules?.point_value;
    const unit = pv !== undefined ? toMinor(pv, fmt.exponent) : null;
    hint =
      unit !== null
        ? t('counter.redeem_hint', {
            max: fmt.number(max),
            value: fmt.money(fromMinor(BigInt(max) * unit, fmt.exponent)),
          })
        : t('counter.redeem_hint_points', { max: fmt.number(max) });
  }
  fill(b.hint, hint);

  const discount = q && d.redeem ? (toMinor(q.discount, fmt.exponent) ?? 0n) : 0n;
  const qv = q && d.voucher ? q.voucher : null;
  const off = qv ? (toMinor(qv.discount, fmt.exponent) ?? 0n) : 0n;
  b.pay.classList.toggle('hidden', (discount <= 0n || b.row.classList.contains('hidden')) && off <= 0n);
  if (discount > 0n || off > 0n) {
    b.pay.dataset.pay = q.pay;
    fill(
      b.pay,
      h('span', { class: 'label' }, t('counter.pay')),
      h('strong', { class: 'pay-amount' }, fmt.money(q.pay)),
      // The fixed order, as the core applies it: the voucher first, then points on the rest.
      off > 0n &&
        h(
          'span',
          { class: 'pay-sub', id: 'purchase-pay-voucher' },
          t('counter.voucher_line', { discount: fmt.money(qv.discount), code: qv.code }),
        ),
      discount > 0n &&
        h(
          'span',
          { class: 'pay-sub' },
          t('counter.discount_line', { discount: fmt.money(q.discount), points: fmt.number(q.points) }),
        ),
    );
  } else {
    delete b.pay.dataset.pay;
    fill(b.pay);
  }
}

function showRedeemError(message) {
  showFieldErrorBelow(els.bill.redeem, els.bill.controls, message);
}

function clearRedeemError() {
  clearFieldError(els.bill.controls);
  clearFieldError(els.bill.redeem);
}

/** Alt+R or "Dùng tối đa": the most points this bill may use, from purchase_quote. */
async function fillMax() {
  const b = els?.bill;
  if (!b || b.row.classList.contains('hidden') || state.saving) return;
  const d = state.draft;
  const c = state.customer;
  if (!d.amount) {
    showFieldError(b.amount, ctx.t('counter.amount_required'));
    b.amount.focus();
    return;
  }
  const key = amountKey();
  let max = state.maxFor?.key === key ? state.maxFor.max : null;
  if (max === null) {
    try {
      const q = await api.purchaseQuote({ customer_id: c.id, amount: d.amount });
      max = q.max_points;
    } catch (err) {
      if (state.draft === d && amountKey() === key) ctx.showError(err, b.row.closest('form'));
      return;
    }
    if (state.draft !== d || amountKey() !== key || !els?.bill) return; // the bill changed meanwhile
    state.maxFor = { key, max };
  }
  const input = els.bill.redeem;
  d.redeem = max > 0 ? max : null;
  input.value = pointsToInput(d.redeem, ctx.fmt.locale);
  billChanged();
  input.focus();
  input.select();
}

function customerHeader(c) {
  const { t, fmt } = ctx;
  const initials = c.name
    .split(/\s+/)
    .filter(Boolean)
    .slice(-2)
    .map((w) => w[0])
    .join('')
    .toUpperCase();
  return h(
    'div',
    { class: 'customer-head' },
    h('div', { class: 'avatar' }, initials),
    h(
      'div',
      { class: 'customer-id' },
      h('a', { class: 'customer-name', href: `#profile/${encodeURIComponent(c.id)}` }, c.name),
      h(
        'div',
        { class: 'result-sub' },
        h('span', { class: 'phone' }, c.phone_display || t('common.none')),
        c.code && h('span', { class: 'code' }, c.code),
      ),
    ),
    stat(t('counter.visits'), fmt.number(c.visits ?? 0)),
    stat(t('counter.total_spent'), fmt.money(c.total_spent ?? '0')),
    stat(t('counter.last_visit'), c.last_purchase_at ? fmt.relativeDay(c.last_purchase_at) : t('counter.never')),
  );
}

function itemsTable(refreshHint, renderItems) {
  const { t, fmt } = ctx;
  const d = state.draft;
  return h(
    'table',
    { class: 'items-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, t('counter.item_product')),
        h('th', { class: 'num' }, t('counter.item_quantity')),
        h('th', { class: 'num' }, t('counter.item_unit_price')),
        h('th', { class: 'num' }, t('counter.item_warranty')),
        h('th'),
      ),
    ),
    h(
      'tbody',
      {},
      d.items.map((it, i) => {
        const price = h('input', {
          class: 'num',
          inputmode: 'decimal',
          value: fmt.amountToInput(it.unit_price),
          'aria-label': t('counter.item_unit_price'),
        });
        bindAmountInput(price, fmt, (v) => {
          it.unit_price = v;
          refreshHint();
        });
        const text = (key, attrs) =>
          h('input', {
            value: it[key],
            autocomplete: 'off',
            oninput: (e) => {
              it[key] = e.target.value;
              refreshHint();
            },
            ...attrs,
          });
        return h(
          'tr',
          {},
          h('td', {}, text('product', { 'aria-label': t('counter.item_product') })),
          h(
            'td',
            {},
            text('quantity', { class: 'num qty', inputmode: 'decimal', 'aria-label': t('counter.item_quantity') }),
          ),
          h('td', {}, price),
          h(
            'td',
            {},
            text('warranty_months', {
              class: 'num qty',
              inputmode: 'numeric',
              'aria-label': t('counter.item_warranty'),
            }),
          ),
          h(
            'td',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'icon-button',
                title: t('counter.item_remove'),
                'aria-label': t('counter.item_remove'),
                onclick: () => {
                  d.items.splice(i, 1);
                  renderItems();
                },
              },
              icon('x'),
            ),
          ),
        );
      }),
    ),
  );
}

/** Live hint: do the line items add up to the amount? */
function renderItemsHint(hint, amountInput) {
  const { t, fmt } = ctx;
  const d = state.draft;
  if (!d.items.length) {
    fill(hint);
    hint.className = 'items-hint';
    return;
  }
  const total = itemsTotal(
    d.items.map((it) => ({ ...it, quantity: quantityValue(it.quantity) || '0' })),
    fmt.exponent,
  );
  if (total === null || d.items.some((it) => !it.product.trim())) {
    hint.className = 'items-hint warn';
    fill(hint, t('counter.items_incomplete'));
    return;
  }
  const amount = toMinor(d.amount || '0', fmt.exponent) ?? 0n;
  const diff = toMinor(total, fmt.exponent) - amount;
  const useTotal = h(
    'button',
    {
      type: 'button',
      class: 'link',
      onclick: () => {
        amountInput.value = fmt.amountToInput(total);
        amountInput.dispatchEvent(new Event('input'));
        amountInput.focus();
      },
    },
    t('counter.items_use_total'),
  );
  hint.className = ['items-hint', diff === 0n ? 'ok' : 'warn'].join(' ');
  fill(
    hint,
    t('counter.items_total', { total: fmt.money(total) }),
    ' — ',
    diff === 0n
      ? t('counter.items_match')
      : [
          t('counter.items_mismatch', { diff: fmt.money(fromMinor(diff < 0n ? -diff : diff, fmt.exponent)) }),
          ' ',
          useTotal,
        ],
  );
}

/** Quantities are decimal strings on the wire; accept the locale's comma too. */
const quantityValue = (q) => String(q).trim().replace(',', '.');

function onPurchaseKeydown(e) {
  if (e.key === 'Escape') {
    e.preventDefault();
    if (!state.saving) backToSearch();
  } else if (e.altKey && !e.ctrlKey && !e.metaKey && (e.code === 'KeyR' || e.key === 'r' || e.key === 'R')) {
    e.preventDefault();
    fillMax();
  } else if (e.altKey && !e.ctrlKey && !e.metaKey && (e.code === 'KeyV' || e.key === 'v' || e.key === 'V')) {
    e.preventDefault();
    applyFirstVoucher();
  }
}

/** Escape from the purchase: back to the results of the same search. */
function backToSearch() {
  closeBill();
  state.confirming = false; // the next bill needs its own confirmation
  if (state.query.trim()) search(state.query); // refresh: a customer may just have been added
  renderBody();
  els.search.focus();
  els.search.select();
}

async function savePurchase(e) {
  e.preventDefault();
  const form = e.currentTarget;
  const { t } = ctx;
  clearFieldErrors(form);
  const d = state.draft;
  if (!d.amount) {
    showFieldError(form.elements.amount, t('counter.amount_required'));
    form.elements.amount.focus();
    return;
  }
  const lines = d.items.filter((it) => it.product.trim() || it.unit_price);
  if (lines.some((it) => !/^\d*$/.test(String(it.warranty_months).trim()))) {
    showFieldError(form.querySelector('[data-field="items"]'), t('counter.warranty_invalid'));
    return;
  }
  const items = lines.map((it) => ({
    product: it.product.trim(),
    quantity: quantityValue(it.quantity),
    unit_price: it.unit_price,
    ...(String(it.warranty_months).trim() ? { warranty_months: Number(it.warranty_months) } : {}),
  }));
  const input = {
    customer_id: state.customer.id,
    amount: d.amount,
    payment_method: d.payment_method,
    ...(items.length ? { items } : {}),
    ...(d.note.trim() ? { note: d.note.trim() } : {}),
    ...(d.redeem ? { redeem: d.redeem } : {}),
    ...(d.voucher ? { voucher: d.voucher } : {}),
    client_id: d.client_id,
  };
  const save = form.querySelector('#purchase-save');
  const customer = state.customer;
  const tierBefore = state.loyalty?.data ? state.loyalty.data.tier : (customer.tier ?? null);
  state.saving = true;
  save.disabled = true;
  try {
    const r = await api.purchaseAdd(input);
    const { purchase, stats } = r;
    const total = toMinor(purchase.total, ctx.fmt.exponent) ?? 0n;
    // purchase.discount is the voucher's and the points' together: what the customer paid.
    const discount = toMinor(purchase.discount ?? r.discount ?? '0', ctx.fmt.exponent) ?? 0n;
    state.confirmation = {
      id: customer.id,
      name: customer.name,
      amount: purchase.total,
      visits: stats.visits,
      total_spent: stats.total_spent,
      points_earned: r.points_earned ?? 0,
      points_redeemed: r.points_redeemed ?? 0,
      discount: r.discount ?? '0',
      pay: fromMinor(total - discount, ctx.fmt.exponent),
      balance: r.loyalty ? r.loyalty.balance : null,
      tier: r.loyalty?.tier ?? null,
      tier_changed: !!r.tier_changed,
      direction: tierDirection(config?.tiers, tierBefore, r.loyalty?.tier ?? null),
      voucher: r.voucher ?? null,
      vouchers_issued: r.vouchers_issued ?? [],
    };
    reset();
  } catch (failed) {
    let err = failed;
    // The server went away after the customer was picked: a bill without points or a
    // voucher waits at this counter under the customer's phone, with the same retry id.
    if (err?.code === 'db.server_unreachable' && ctx.info.server && customer.phone && !d.redeem && !d.voucher) {
      try {
        const r = await api.purchaseKeep(customer.phone_display || customer.phone, input);
        window.dispatchEvent(new Event(KEPT_CHANGED));
        state.saving = false;
        reset();
        state.confirmation = { kept: { ...r, reference: customer.phone_display || customer.phone, amount: d.amount } };
        renderBody();
        return;
      } catch (again) {
        err = again;
      }
    }
    state.saving = false;
    // Refused by the back end: nothing was recorded, the corrected bill is a new one.
    // Otherwise it may have been, and the retry must carry the same client_id.
    if (!mayHaveRecorded(err)) d.client_id = newClientId();
    if (els && form.isConnected) {
      save.disabled = false;
      if (err.params?.field === 'redeem' && els.bill) {
        showRedeemError(ctx.t.error(err));
        els.bill.redeem.focus();
      } else if (err.code?.startsWith('voucher.') && els.bill) {
        showVoucherError(ctx.t.error(err));
        els.bill.voucher.focus();
      } else ctx.showError(err, form);
    } else ctx.showError(err);
  }
}

export default { mount, unmount, reset: () => reset({ keepConfirmation: false }) };
