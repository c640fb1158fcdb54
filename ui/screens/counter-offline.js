// The counter while its server does not answer (issue 20): a bill for a customer typed by
// phone or card number is kept at this counter (#offline-form) and sent when the server
// answers again (ui/lib/kept-bills.js). No points or vouchers: the balance is on the server.
import * as api from '../lib/api.js';
import { h, icon, clearFieldErrors, clearFieldError, showFieldError, bindAmountInput } from '../lib/dom.js';
import { newClientId, mayHaveRecorded } from '../lib/loyalty.js';
import { CHANGED } from '../lib/kept-bills.js';

const PAYMENTS = ['cash', 'card', 'transfer', 'ewallet', 'other'];

/** The form. `reference` pre-fills the customer; `done({kept|sent, reference, amount})` after a
 * bill was kept or (the server answered meanwhile) recorded. */
export function offlineForm(ctx, { reference = '', done }) {
  const { t, fmt } = ctx;
  const draft = { amount: '', payment_method: 'cash', note: '', client_id: newClientId() };
  const ref = h('input', {
    id: 'offline-reference',
    name: 'reference',
    inputmode: 'tel',
    autocomplete: 'off',
    value: reference,
  });
  const amount = h('input', {
    id: 'offline-amount',
    name: 'amount',
    class: 'amount-input',
    inputmode: 'decimal',
    autocomplete: 'off',
  });
  bindAmountInput(amount, fmt, (v) => {
    draft.amount = v;
    if (v) clearFieldError(amount);
  });
  const save = h('button', { type: 'submit', class: 'primary', id: 'offline-save' }, t('counter.offline_save'));
  let saving = false;

  const submit = async (e) => {
    e.preventDefault();
    if (saving) return;
    clearFieldErrors(form);
    const typed = ref.value.trim();
    if (!typed) {
      showFieldError(ref, t('counter.offline_reference_required'));
      ref.focus();
      return;
    }
    if (!draft.amount) {
      showFieldError(amount, t('counter.amount_required'));
      amount.focus();
      return;
    }
    const input = {
      customer_id: 0,
      amount: draft.amount,
      payment_method: draft.payment_method,
      ...(draft.note.trim() ? { note: draft.note.trim() } : {}),
      client_id: draft.client_id,
    };
    saving = true;
    save.disabled = true;
    try {
      const r = await api.purchaseKeep(typed, input);
      window.dispatchEvent(new Event(CHANGED));
      done({ ...r, reference: typed, amount: draft.amount });
    } catch (err) {
      saving = false;
      save.disabled = false;
      // Refused: nothing kept, the corrected bill is a new one; otherwise retry the same.
      if (!mayHaveRecorded(err)) draft.client_id = newClientId();
      if (err.code === 'outbox.offline_reference' || err.code?.startsWith('customer.')) {
        showFieldError(ref, ctx.t.error(err));
        ref.focus();
      } else ctx.showError(err, form);
    }
  };

  const form = h(
    'form',
    { class: 'card purchase-form', id: 'offline-form', novalidate: true, onsubmit: submit },
    h(
      'div',
      { class: 'notice warn offline-notice', id: 'offline-notice', role: 'status' },
      icon('info'),
      h(
        'div',
        {},
        h('strong', {}, t('counter.offline_title')),
        h('div', {}, t('counter.offline_notice', { server: ctx.info.server ?? '' })),
      ),
    ),
    h(
      'div',
      { class: 'offline-row' },
      h('label', { class: 'field' }, h('span', { class: 'label' }, t('counter.offline_reference')), ref),
      h(
        'label',
        { class: 'field amount-field' },
        h('span', { class: 'label' }, t('counter.amount')),
        h('div', { class: 'amount-wrap' }, amount, h('span', { class: 'currency', title: fmt.currency }, fmt.symbol)),
      ),
      h(
        'label',
        { class: 'field payment-field' },
        h('span', { class: 'label' }, t('counter.payment_method')),
        h(
          'select',
          {
            name: 'payment_method',
            id: 'offline-payment',
            onchange: (e) => {
              draft.payment_method = e.target.value;
            },
          },
          PAYMENTS.map((p) => h('option', { value: p }, t(`payment.${p}`))),
        ),
      ),
      h(
        'label',
        { class: 'field' },
        h('span', { class: 'label' }, t('counter.note')),
        h('input', {
          name: 'note',
          autocomplete: 'off',
          oninput: (e) => {
            draft.note = e.target.value;
          },
        }),
      ),
    ),
    h('div', { class: 'form-actions' }, h('span', { class: 'spacer' }), save),
  );
  return form;
}

/** The confirmation's words for what `offlineForm` reported. */
export function keptText(ctx, r) {
  const { t, fmt } = ctx;
  if (r.queued)
    return t('counter.kept', { amount: fmt.money(r.amount), reference: r.reference, seq: fmt.number(r.queued.seq) });
  return t('counter.kept_sent', { amount: fmt.money(r.amount), reference: r.reference });
}
