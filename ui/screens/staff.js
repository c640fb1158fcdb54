// Staff (#staff, the owner's): every account with its role, state and lockout (staff_list),
// a form to add one (staff_add), a dialog to rename it, change its role or set a new PIN
// (staff_update; a new PIN also lifts a lockout), and deactivate / reactivate
// (staff_set_active). The core keeps the rules (one active owner at least, unique names,
// 4-8 digit PINs); its refusals show next to the field they name.
import * as api from '../lib/api.js';
import { h, fill, icon, toast, clearFieldErrors, showFieldError, confirmDialog } from '../lib/dom.js';

const PIN = /^\d{4,8}$/;
const ROLES = ['cashier', 'owner'];

let ctx = null;
let els = null;

function mount(root, context) {
  ctx = context;
  const { t } = ctx;
  els = {
    tbody: h('tbody', {}, h('tr', {}, h('td', { class: 'empty', colspan: '6' }, t('common.loading')))),
    error: h('div', { class: 'staff-error', 'aria-live': 'polite' }),
  };
  fill(
    root,
    h(
      'div',
      { class: 'staff-screen', id: 'staff-screen' },
      h(
        'header',
        { class: 'screen-header' },
        h(
          'button',
          { type: 'button', class: 'ghost small', id: 'staff-back', onclick: () => ctx.navigate('settings') },
          icon('back'),
          t('nav.settings'),
        ),
        h('h1', {}, t('staff.title')),
        h('span', { class: 'spacer' }),
        h(
          'a',
          { href: '#audit', class: 'button-link ghost small', id: 'staff-audit' },
          icon('archive'),
          t('nav.audit'),
        ),
      ),
      h('p', { class: 'muted intro' }, t('staff.intro')),
      els.error,
      h(
        'div',
        { class: 'staff-grid' },
        h(
          'section',
          { class: 'card table-card' },
          h(
            'div',
            { class: 'table-scroll' },
            h(
              'table',
              { class: 'list', id: 'staff-table' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  h('th', {}, t('staff.col_name')),
                  h('th', {}, t('staff.col_role')),
                  h('th', {}, t('staff.col_status')),
                  h('th', {}, t('staff.col_locked')),
                  h('th', {}, t('staff.col_created')),
                  h('th', {}, h('span', { class: 'visually-hidden' }, t('staff.col_actions'))),
                ),
              ),
              els.tbody,
            ),
          ),
        ),
        addForm(),
      ),
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
    const rows = await api.staffList();
    if (els === mine) drawRows(rows);
  } catch (err) {
    if (els === mine) fill(els.error, h('p', { class: 'notice error' }, ctx.t.error(err)));
  }
}

const lockedNow = (s) => !!s.locked_until && Date.parse(s.locked_until) > Date.now();

function drawRows(rows) {
  const { t, fmt } = ctx;
  if (!rows.length) {
    fill(els.tbody, h('tr', {}, h('td', { class: 'empty', colspan: '6' }, t('staff.empty'))));
    return;
  }
  fill(
    els.tbody,
    rows.map((s) => {
      const self = s.id === ctx.actor?.staff_id;
      return h(
        'tr',
        { class: ['staff-row', !s.active && 'inactive'], dataset: { staffId: String(s.id) } },
        h(
          'td',
          {},
          h('span', { class: 'cell-name' }, s.name),
          self && h('span', { class: 'badge muted staff-you' }, t('staff.you')),
        ),
        h(
          'td',
          {},
          h(
            'span',
            { class: ['badge', s.role === 'owner' ? 'role-owner' : 'role-cashier'] },
            t(s.role === 'owner' ? 'auth.role_owner' : 'auth.role_cashier'),
          ),
        ),
        h(
          'td',
          {},
          h('span', { class: ['status', s.active ? 'ok' : 'off'] }, t(s.active ? 'staff.active' : 'staff.inactive')),
        ),
        h(
          'td',
          {},
          lockedNow(s)
            ? h(
                'span',
                { class: 'staff-locked', title: t('staff.locked_hint') },
                icon('lock'),
                fmt.dateTime(s.locked_until),
              )
            : h('span', { class: 'muted' }, t('common.none')),
        ),
        h('td', {}, s.created_at ? fmt.date(s.created_at) : t('common.none')),
        h(
          'td',
          { class: 'row-actions' },
          h(
            'button',
            { type: 'button', class: 'ghost small staff-edit', id: `staff-edit-${s.id}`, onclick: () => editDialog(s) },
            t('staff.edit'),
          ),
          h(
            'button',
            {
              type: 'button',
              class: ['ghost small staff-toggle', s.active && 'danger-text'],
              id: `staff-toggle-${s.id}`,
              onclick: (e) => setActive(s, !s.active, e.currentTarget),
            },
            t(s.active ? 'staff.deactivate' : 'staff.reactivate'),
          ),
          h(
            'a',
            {
              href: `#audit/${encodeURIComponent(`staff=${encodeURIComponent(s.name)}`)}`,
              class: 'button-link ghost small staff-history',
            },
            t('staff.history'),
          ),
        ),
      );
    }),
  );
}

/** Name, role, PIN and PIN again; shared by the add form and the edit dialog. */
function accountFields(prefix, { name = '', role = 'cashier' } = {}, pinLabel = 'staff.pin', pinHint = null) {
  const { t } = ctx;
  const inputs = {
    name: h('input', { id: `${prefix}-name`, name: 'name', value: name, maxlength: '60', autocomplete: 'off' }),
    role: h(
      'select',
      { id: `${prefix}-role`, name: 'role' },
      ROLES.map((r) => h('option', { value: r, selected: r === role }, t(`auth.role_${r}`))),
    ),
    pin: h('input', {
      id: `${prefix}-pin`,
      name: 'pin',
      type: 'password',
      inputmode: 'numeric',
      pattern: '[0-9]*',
      maxlength: '8',
      autocomplete: 'new-password',
    }),
    again: h('input', {
      id: `${prefix}-pin-confirm`,
      name: 'pin_confirm',
      type: 'password',
      inputmode: 'numeric',
      pattern: '[0-9]*',
      maxlength: '8',
      autocomplete: 'new-password',
    }),
  };
  const field = (key, labelKey, hint) =>
    h(
      'div',
      { class: 'field' },
      h('label', { class: 'label', for: inputs[key].id }, t(labelKey)),
      inputs[key],
      hint && h('span', { class: 'hint' }, hint),
    );
  const nodes = [
    h('div', { class: 'form-row' }, field('name', 'staff.name'), field('role', 'staff.role')),
    h(
      'div',
      { class: 'form-row' },
      field('pin', pinLabel, pinHint ?? t('auth.pin_hint')),
      field('again', 'auth.pin_confirm'),
    ),
  ];
  return { inputs, nodes };
}

/** Checks what the core would refuse anyway; returns false after showing why. */
function checkAccount(inputs, { pinRequired }) {
  const { t } = ctx;
  const bad = (input, message) => {
    showFieldError(input, message);
    input.focus();
    return false;
  };
  if (!inputs.name.value.trim()) return bad(inputs.name, t.error({ code: 'staff.name_invalid' }));
  if ((pinRequired || inputs.pin.value) && !PIN.test(inputs.pin.value))
    return bad(inputs.pin, t.error({ code: 'staff.pin_invalid' }));
  if (inputs.pin.value !== inputs.again.value) return bad(inputs.again, t('auth.pin_mismatch'));
  return true;
}

/** A refusal from the core: next to the field it names, else at `fallback`. */
function showRefusal(form, err, fallback) {
  const input = form.elements[err.params?.field];
  const target = input ?? fallback;
  showFieldError(target, ctx.t.error(err));
  if (input) input.focus();
}

function addForm() {
  const { t } = ctx;
  const { inputs, nodes } = accountFields('staff-add');
  const save = h(
    'button',
    { type: 'submit', class: 'primary', id: 'staff-add-save' },
    icon('plus'),
    t('staff.add_save'),
  );
  const general = h('div', { class: 'form-general-error', 'data-field': 'general' });
  const form = h(
    'form',
    { class: 'card staff-add', id: 'staff-add-form', novalidate: true },
    h('h2', {}, icon('plus'), t('staff.add_title')),
    nodes,
    h('p', { class: 'hint' }, t('staff.role_hint')),
    general,
    h('div', { class: 'form-actions' }, save),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    if (!checkAccount(inputs, { pinRequired: true })) return;
    save.disabled = true;
    try {
      const s = await api.staffAdd({ name: inputs.name.value.trim(), role: inputs.role.value }, inputs.pin.value);
      toast(t('staff.added', { name: s.name }), 'success');
      form.reset();
      inputs.name.focus();
      load();
    } catch (err) {
      if (form.isConnected) showRefusal(form, err, general);
      else ctx.showError(err);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

function editDialog(s) {
  const { t } = ctx;
  const { inputs, nodes } = accountFields('staff-edit', s, 'staff.new_pin', t('staff.new_pin_hint'));
  const general = h('div', { class: 'dialog-error', role: 'alert', id: 'staff-edit-error' });
  const save = h('button', { type: 'submit', class: 'primary', id: 'staff-edit-save' }, t('common.save'));
  const close = () => {
    dlg.close();
    dlg.remove();
  };
  const form = h(
    'form',
    { class: 'staff-edit-form', novalidate: true },
    h('h2', { id: 'staff-edit-title' }, t('staff.edit_title', { name: s.name })),
    nodes,
    lockedNow(s) && h('p', { class: 'notice warn' }, icon('lock'), t('staff.locked_hint')),
    general,
    h(
      'div',
      { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'ghost', id: 'staff-edit-cancel', onclick: close }, t('common.cancel')),
      save,
    ),
  );
  const dlg = h(
    'dialog',
    { class: 'dialog staff-dialog', id: 'staff-edit-dialog', 'aria-labelledby': 'staff-edit-title' },
    form,
  );
  dlg.addEventListener('cancel', (e) => {
    e.preventDefault();
    close();
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    fill(general);
    if (!checkAccount(inputs, { pinRequired: false })) return;
    save.disabled = true;
    try {
      const out = await api.staffUpdate(
        s.id,
        { name: inputs.name.value.trim(), role: inputs.role.value },
        inputs.pin.value || null,
      );
      close();
      toast(t('staff.updated', { name: out.name }), 'success');
      if (s.id === ctx.actor?.staff_id) await ctx.refreshAuth(); // one's own name or role
      if (els) load();
    } catch (err) {
      save.disabled = false;
      if (err.params?.field && form.elements[err.params.field]) showRefusal(form, err, general);
      else fill(general, t.error(err));
    }
  });
  document.body.append(dlg);
  dlg.showModal();
  inputs.name.focus();
}

async function setActive(s, active, button) {
  const { t } = ctx;
  if (!active) {
    const ok = await confirmDialog({
      title: t('staff.deactivate_title', { name: s.name }),
      body: t('staff.deactivate_body', { name: s.name }),
      confirm: t('staff.deactivate'),
      cancel: t('common.cancel'),
      danger: true,
    });
    if (!ok) {
      if (button.isConnected) button.focus();
      return;
    }
  }
  button.disabled = true;
  try {
    const out = await api.staffSetActive(s.id, active);
    toast(t(active ? 'staff.reactivated' : 'staff.deactivated', { name: out.name }), 'success');
    if (s.id === ctx.actor?.staff_id) await ctx.refreshAuth();
    if (els) {
      await load();
      document.getElementById(`staff-toggle-${s.id}`)?.focus();
    }
  } catch (err) {
    if (button.isConnected) button.disabled = false;
    ctx.showError(err);
  }
}

export default { mount, unmount };
