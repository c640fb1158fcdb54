// The two screens in front of the app (issue 9), each a full-window modal <dialog>: a modal
// dialog sits above everything (even another screen's open dialog, which keeps its state
// underneath) and makes the rest of the page inert, so nothing behind it can be clicked or
// reached with Tab while the app is locked.
// - First run (#setup-screen): the owner's name and PIN (auth_setup).
// - Lock screen (#lock-screen): pick a name (click, or arrow keys + Enter), type the PIN
//   (auth_sign_in). Wrong PINs and locked accounts are explained in place.
import * as api from '../lib/api.js';
import { h, fill, icon, clearFieldErrors, showFieldError } from '../lib/dom.js';

const PIN = /^\d{4,8}$/;
let lockDlg = null; // the open lock screen, if any
let setupDlg = null;

/** A full-window dialog that Esc cannot close (and that reopens if something closes it). */
function authDialog(id, labelledBy, keepOpen) {
  const dlg = h('dialog', { class: 'auth-screen', id, 'aria-labelledby': labelledBy });
  let focused = null;
  dlg.addEventListener('focusin', (e) => {
    focused = e.target;
  });
  dlg.addEventListener('cancel', (e) => e.preventDefault());
  // Some engines close a dialog on a repeated Esc even when cancel is refused.
  dlg.addEventListener('close', () => {
    if (!keepOpen()) return;
    const last = focused; // showModal() focuses the first button
    dlg.showModal();
    if (last?.isConnected) last.focus();
  });
  document.body.append(dlg);
  dlg.showModal();
  return dlg;
}

function brand(t, shopName, shopId) {
  return h(
    'div',
    { class: 'auth-brand' },
    h('div', { class: 'brand-mark' }, icon('store')),
    h(
      'div',
      {},
      h('div', { class: 'auth-app' }, t('app.name')),
      h('div', { class: 'auth-shop', id: shopId }, shopName || t('app.tagline')),
    ),
  );
}

const pinInput = (id, name, autocomplete) =>
  h('input', {
    id,
    name,
    type: 'password',
    inputmode: 'numeric',
    pattern: '[0-9]*',
    maxlength: '8',
    autocomplete,
    spellcheck: 'false',
    class: 'pin-input',
  });

const initial = (name) => (name.trim()[0] ?? '?').toUpperCase();

// ---------- first run ----------

/**
 * The owner's account on first run. onDone(actor) after auth_setup; onDone(null) when the
 * owner turned out to exist already (made from the command line meanwhile).
 */
export function showSetup({ t, shopName, onDone }) {
  const shop = h('input', {
    id: 'setup-shop-name',
    name: 'shop_name',
    autocomplete: 'organization',
    maxlength: '100',
    placeholder: t('auth.shop_name_placeholder'),
  });
  const name = h('input', {
    id: 'setup-name',
    name: 'name',
    autocomplete: 'name',
    maxlength: '60',
    placeholder: t('auth.owner_name_placeholder'),
  });
  const pin = pinInput('setup-pin', 'pin', 'new-password');
  const again = pinInput('setup-pin-confirm', 'pin_confirm', 'new-password');
  const submit = h(
    'button',
    { type: 'submit', class: 'primary big', id: 'setup-submit' },
    icon('check'),
    t('auth.setup_submit'),
  );
  const field = (id, labelKey, input, hint) =>
    h(
      'div',
      { class: 'field' },
      h('label', { class: 'label', for: id }, t(labelKey)),
      input,
      hint && h('span', { class: 'hint' }, hint),
    );
  const form = h(
    'form',
    { class: 'auth-card', id: 'setup-form', novalidate: true },
    brand(t, shopName, 'setup-shop'),
    h('h1', { id: 'setup-title' }, t('auth.setup_title')),
    h('p', { class: 'muted' }, t('auth.setup_body')),
    field('setup-shop-name', 'auth.shop_name', shop),
    field('setup-name', 'auth.owner_name', name),
    h(
      'div',
      { class: 'form-row' },
      field('setup-pin', 'auth.pin', pin, t('auth.pin_hint')),
      field('setup-pin-confirm', 'auth.pin_confirm', again),
    ),
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    // The same rules as the core, checked first so that a typo costs no round trip.
    if (!shop.value.trim()) return fieldError(shop, t.error({ code: 'settings.shop_name_invalid' }));
    if (!name.value.trim()) return fieldError(name, t.error({ code: 'staff.name_invalid' }));
    if (!PIN.test(pin.value)) return fieldError(pin, t.error({ code: 'staff.pin_invalid' }));
    if (pin.value !== again.value) return fieldError(again, t('auth.pin_mismatch'));
    submit.disabled = true;
    try {
      const actor = await api.authSetup(name.value.trim(), pin.value, shop.value.trim());
      closeSetup();
      onDone(actor);
    } catch (err) {
      submit.disabled = false;
      if (err.code === 'staff.setup_done') {
        closeSetup();
        onDone(null);
        return;
      }
      const input =
        form.elements[err.params?.field] ??
        { 'staff.pin_invalid': pin, 'settings.shop_name_invalid': shop }[err.code] ??
        name;
      fieldError(input, t.error(err));
    }
  });
  setupDlg?.remove();
  setupDlg = authDialog('setup-screen', 'setup-title', () => setupDlg?.isConnected);
  setupDlg.append(form);
  shop.focus();
}

function closeSetup() {
  const dlg = setupDlg;
  setupDlg = null;
  dlg?.close();
  dlg?.remove();
}

function fieldError(input, message) {
  showFieldError(input, message);
  if (input.type === 'password') input.value = '';
  input.focus();
}

// ---------- lock screen ----------

export const isLockShown = () => !!lockDlg;

/**
 * Shows the lock screen (or refreshes it when shown). staff: [{id, name, role}] (the list
 * is reloaded from auth_status as well); note: a line under the title (e.g. why it locked);
 * preselect: the staff id whose button gets the focus; onUnlocked(actor) after sign-in.
 */
export function showLock({ t, shopName, staff = [], note = '', preselect = null, onUnlocked }) {
  const state = { t, staff, selected: null, onUnlocked, preselect };
  const els = {
    shop: null,
    body: h('div', { class: 'lock-body' }),
  };
  const card = h(
    'div',
    { class: 'auth-card lock-card' },
    brand(t, shopName, 'lock-shop'),
    h('h1', { id: 'lock-title' }, icon('lock'), t('auth.lock_title')),
    note && h('p', { class: 'muted', id: 'lock-note' }, note),
    els.body,
  );
  if (lockDlg) fill(lockDlg, card);
  else {
    lockDlg = authDialog('lock-screen', 'lock-title', () => !!lockDlg);
    lockDlg.append(card);
  }
  const mine = lockDlg;
  mine.lock = { state, els };
  drawUsers(mine);
  // The list may have changed since (a new cashier, a deactivated account).
  api.authStatus().then(
    (s) => {
      if (lockDlg !== mine || state.selected) return;
      state.staff = s.staff ?? [];
      drawUsers(mine);
    },
    () => {},
  );
}

export function hideLock() {
  const dlg = lockDlg;
  lockDlg = null;
  dlg?.close();
  dlg?.remove();
}

function roleLabel(t, role) {
  return t(role === 'owner' ? 'auth.role_owner' : 'auth.role_cashier');
}

function drawUsers(dlg) {
  const { state, els } = dlg.lock;
  const { t } = state;
  state.selected = null;
  const buttons = state.staff.map((s) =>
    h(
      'li',
      {},
      h(
        'button',
        { type: 'button', class: 'lock-user', dataset: { staffId: String(s.id) }, onclick: () => pick(dlg, s) },
        h('span', { class: 'avatar' }, initial(s.name)),
        h(
          'span',
          { class: 'lock-user-text' },
          h('span', { class: 'lock-user-name' }, s.name),
          h('span', { class: 'lock-user-role' }, roleLabel(t, s.role)),
        ),
      ),
    ),
  );
  const list = h('ul', { class: 'lock-users', id: 'lock-users', 'aria-labelledby': 'lock-pick' }, buttons);
  // Arrow keys move between the names; Enter (a button's own key) picks one.
  list.addEventListener('keydown', (e) => {
    const all = [...list.querySelectorAll('.lock-user')];
    const i = all.indexOf(document.activeElement);
    const step = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[e.key];
    if (step && all.length) {
      e.preventDefault();
      all[(i + step + all.length) % all.length].focus();
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      all[e.key === 'Home' ? 0 : all.length - 1]?.focus();
    }
  });
  fill(
    els.body,
    h('p', { class: 'lock-pick', id: 'lock-pick' }, t('auth.lock_pick')),
    state.staff.length ? list : h('p', { class: 'notice warn' }, t('auth.lock_no_staff')),
  );
  const focus =
    list.querySelector(`.lock-user[data-staff-id="${state.preselect}"]`) ?? list.querySelector('.lock-user');
  focus?.focus();
}

function pick(dlg, s) {
  const { state, els } = dlg.lock;
  const { t } = state;
  state.selected = s;
  state.preselect = s.id;
  const pin = pinInput('lock-pin', 'pin', 'off');
  const submit = h('button', { type: 'submit', class: 'primary big', id: 'lock-submit' }, t('auth.lock_submit'));
  const back = h(
    'button',
    { type: 'button', class: 'ghost', id: 'lock-back', onclick: () => drawUsers(dlg) },
    icon('back'),
    t('auth.lock_back'),
  );
  const form = h(
    'form',
    { class: 'lock-form', id: 'lock-form', novalidate: true },
    h(
      'div',
      { class: 'lock-who' },
      h('span', { class: 'avatar large' }, initial(s.name)),
      h(
        'div',
        {},
        h('div', { class: 'lock-user-name', id: 'lock-who-name' }, s.name),
        h('div', { class: 'lock-user-role' }, roleLabel(t, s.role)),
      ),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { class: 'label', for: 'lock-pin' }, t('auth.lock_pin_for', { name: s.name })),
      pin,
    ),
    h('div', { class: 'form-actions' }, back, h('span', { class: 'spacer' }), submit),
  );
  pin.addEventListener('input', () => {
    if (pin.nextElementSibling?.classList.contains('field-error')) clearFieldErrors(form);
  });
  // Esc goes back to the names (the dialog itself ignores Esc).
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      drawUsers(dlg);
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (submit.disabled) return;
    clearFieldErrors(form);
    if (!pin.value) {
      pin.focus();
      return;
    }
    submit.disabled = true;
    try {
      const actor = await api.authSignIn(s.id, pin.value);
      if (lockDlg !== dlg) return;
      hideLock();
      state.onUnlocked(actor);
    } catch (err) {
      if (lockDlg !== dlg || state.selected !== s) return;
      submit.disabled = false;
      fieldError(pin, t.error(err));
    }
  });
  fill(els.body, form);
  pin.focus();
}
