// Today (Hôm nay): the reminders that need doing, from reminder_today, in three groups
// (overdue, today, the next 7 days), each ranked by the customer's total spent as the back
// end returns them. A row is done with an inline log form (channel, outcome, summary ->
// reminder_done with log), snoozed to a date, cancelled, or answered with a message from a
// template. The toolbar runs the automatic rules (reminder_generate) or adds a reminder by hand.
// Keyboard: ↑/↓ move between rows, Enter opens the done form, H/S snooze, N/M message,
// Space / X selects the row, Esc closes a form. Selected rows (checkboxes, a select-all per
// group and for everything loaded) are snoozed or cancelled together: one core call, one
// transaction (reminder_snooze_bulk / reminder_cancel_bulk).
import * as api from '../lib/api.js';
import { h, fill, icon, toast, confirmDialog, clearFieldErrors, showFieldError } from '../lib/dom.js';
import { debounce, latestOnly, STALE } from '../lib/async.js';
import {
  openMessageDialog,
  reminderReason,
  showDate,
  shopToday,
  addDays,
  daysBetween,
  careIcon,
  CHANNELS,
} from '../lib/care-dialogs.js';
import { dateInput, dateValue, setDateValue, timeInput } from '../lib/datefield.js';

import { toggle, setAll, prune, allState, selectedIds } from '../lib/today-select.js';

const GROUPS = ['overdue', 'today', 'week'];
const PAGE = 50;
const GROUP_ICONS = { overdue: 'clock', today: 'reminders', week: 'calendar' };
// The default template to open the message dialog with, by reminder kind and language.
const TEMPLATE_FOR = {
  vi: { thank_you: 'cam-on', check_in: 'cam-on', birthday: 'sinh-nhat', win_back: 'moi-quay-lai', default: 'cam-on' },
  en: {
    thank_you: 'thank-you',
    check_in: 'thank-you',
    birthday: 'birthday',
    win_back: 'win-back',
    default: 'thank-you',
  },
};

// Kept across mounts: coming back from a profile shows the same list at once, then refreshes.
const state = {
  data: null,
  limit: PAGE,
  open: null /* {id, type: 'done'|'snooze'} */,
  selected: new Set(),
  bulkSnooze: false,
};

let ctx = null;
let els = null;
const latest = latestOnly();

const T = (key, params) => ctx.t(`today.${key}`, params);

function mount(root, context) {
  ctx = context;
  const { t } = ctx;
  els = {
    root,
    groups: h('div', { class: 'today-groups', id: 'today-groups' }),
    addBox: h('div', { class: 'today-add-box' }),
    generate: h(
      'button',
      { type: 'button', class: 'ghost', id: 'today-generate', title: T('generate_hint'), onclick: generate },
      icon('sparkle'),
      T('generate'),
    ),
    add: h(
      'button',
      { type: 'button', class: 'primary', id: 'today-add', onclick: () => toggleAddForm() },
      icon('plus'),
      T('add'),
    ),
    date: h('span', { class: 'today-date', id: 'today-date' }),
    keys: h('p', { class: 'hint today-keys', id: 'today-keys' }, `${T('keys_hint')} · ${T('keys_select')}`),
    bulk: h('div', {
      class: 'card today-bulk hidden',
      id: 'today-bulk',
      role: 'toolbar',
      'aria-label': T('bulk_label'),
    }),
  };
  fill(
    root,
    h(
      'div',
      { class: 'today', id: 'today' },
      h(
        'header',
        { class: 'screen-header' },
        h('div', { class: 'today-title' }, h('h1', {}, T('title')), els.date),
        h('div', { class: 'toolbar' }, els.generate, els.add),
      ),
      els.addBox,
      els.keys,
      els.bulk,
      els.groups,
    ),
  );
  if (state.data) render();
  else fill(els.groups, h('p', { class: 'loading' }, t('common.loading')));
  load({ focusFirst: !state.data });
}

function unmount() {
  latest.invalidate();
  els = null;
}

async function load({ focusFirst = false } = {}) {
  try {
    const data = await latest(api.reminderToday(undefined, state.limit));
    if (data === STALE || !els) return;
    state.data = data;
    render();
    if (focusFirst && !els.root.contains(document.activeElement)) {
      els.groups.querySelector('.today-row')?.focus();
    }
  } catch (err) {
    if (!els) return;
    if (state.data) {
      ctx.showError(err);
      return;
    }
    fill(
      els.groups,
      h(
        'div',
        { class: 'notice error', id: 'today-error' },
        ctx.t.error(err),
        h('span', { class: 'spacer' }),
        h('button', { type: 'button', class: 'ghost small', onclick: () => load() }, ctx.t('app.retry')),
      ),
    );
  }
}

// ---------- rendering ----------

function render() {
  const { fmt } = ctx;
  const data = state.data;
  els.date.textContent = longDate(data.as_of);
  const total = GROUPS.reduce((s, g) => s + (data[g]?.total ?? 0), 0);
  els.keys.classList.toggle('hidden', !total);
  prune(state.selected, loadedIds());
  renderBulk();
  if (!total) {
    fill(
      els.groups,
      h(
        'section',
        { class: 'card empty-state today-empty', id: 'today-empty' },
        h('div', { class: 'welcome-mark' }, icon('check')),
        h('h2', {}, T('empty_title')),
        h('p', {}, T('empty_body')),
        h(
          'div',
          { class: 'form-actions' },
          h('button', { type: 'button', class: 'primary', onclick: generate }, icon('sparkle'), T('generate')),
          h('button', { type: 'button', class: 'ghost', onclick: () => toggleAddForm(true) }, icon('plus'), T('add')),
        ),
      ),
    );
    return;
  }
  const keep = document.activeElement?.closest?.('.today-row')?.dataset.id ?? null;
  fill(
    els.groups,
    GROUPS.map((g) => {
      const group = data[g] ?? { total: 0, rows: [] };
      const more = group.total - group.rows.length;
      return h(
        'section',
        {
          class: ['card', 'today-group', `group-${g}`, !group.total && 'empty'],
          id: `today-${g}`,
          dataset: { group: g },
        },
        h(
          'h2',
          {},
          group.rows.length > 0 && groupSelectBox(g, group.rows),
          careIcon(GROUP_ICONS[g]),
          T(`groups.${g}`),
          h(
            'span',
            { class: ['badge', 'today-count', g === 'overdue' && group.total && 'danger'] },
            fmt.number(group.total),
          ),
        ),
        group.total
          ? h(
              'ul',
              { class: 'today-list', 'aria-label': T(`groups.${g}`) },
              group.rows.map((r) => rowView(r, g)),
            )
          : h('p', { class: 'muted today-none' }, T(`none.${g}`)),
        more > 0 &&
          h(
            'div',
            { class: 'today-more-row' },
            h(
              'button',
              { type: 'button', class: 'ghost small today-more', dataset: { group: g }, onclick: () => showMore(g) },
              T('show_more', { count: fmt.number(more) }),
            ),
          ),
      );
    }),
  );
  const again = keep && rowEl(keep);
  if (again) again.focus();
  const open = state.open && rowEl(state.open.id);
  if (open) openForm(open, state.open.type, false);
  else state.open = null;
}

function rowView(r, group) {
  const { t, fmt } = ctx;
  const c = r.customer ?? { id: r.customer_id, name: `#${r.customer_id}` };
  const reason = reminderReason(ctx, r);
  // A manual reminder without a title shows its note as the reason.
  const note = r.note && r.note !== reason ? r.note : null;
  const meta = [
    h('span', {}, T('total_spent', { amount: fmt.money(c.total_spent) })),
    h('span', {}, T('points', { points: fmt.number(c.points ?? 0) })),
    h('span', {}, c.last_purchase_at ? T('last_visit', { date: fmt.date(c.last_purchase_at) }) : T('never_bought')),
  ];
  const picked = state.selected.has(String(r.id));
  const li = h(
    'li',
    {
      class: ['today-row', r.overdue && 'overdue', picked && 'selected'],
      tabindex: '0',
      dataset: { id: String(r.id), group, customer: String(c.id) },
      onkeydown: onRowKeydown,
    },
    h(
      'div',
      { class: 'today-row-main' },
      h('input', {
        type: 'checkbox',
        class: 'today-select',
        tabindex: '-1',
        checked: picked,
        'aria-label': T('select_row', { name: c.name }),
        onchange: () => {
          toggle(state.selected, r.id);
          li.classList.toggle('selected', state.selected.has(String(r.id)));
          renderBulk();
        },
      }),
      h(
        'div',
        { class: 'today-who' },
        h(
          'div',
          { class: 'today-name-line' },
          h('a', { class: 'today-name', href: `#profile/${encodeURIComponent(c.id)}`, tabindex: '-1' }, c.name),
          c.tier && h('span', { class: 'tier-badge' }, c.tier),
          c.phone_display && h('span', { class: 'phone muted' }, c.phone_display),
          h('span', { class: 'today-meta' }, meta),
        ),
        h(
          'div',
          { class: 'today-reason' },
          h('span', { class: ['chip', 'today-kind', `kind-${r.kind}`] }, t(`care.kind.${r.kind}`)),
          h('span', { class: 'today-reason-text' }, reason),
        ),
        (note || r.assignee) &&
          h(
            'div',
            { class: 'today-note' },
            r.assignee &&
              h('span', { class: 'today-assignee' }, icon('customers'), T('assignee', { name: r.assignee })),
            note && h('span', { class: 'today-note-text' }, note),
          ),
      ),
      h('div', { class: 'today-due' }, dueView(r, group)),
      h(
        'div',
        { class: 'today-actions' },
        h(
          'button',
          { type: 'button', class: 'primary small today-done', onclick: () => openForm(li, 'done') },
          icon('check'),
          T('done'),
        ),
        // In a narrow window these three show only their icon (the label stays as title / aria-label).
        h(
          'button',
          {
            type: 'button',
            class: 'ghost small today-message',
            title: T('message'),
            'aria-label': T('message'),
            onclick: () => message(r),
          },
          careIcon('message'),
          h('span', { class: 'btn-text' }, T('message')),
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'ghost small today-snooze',
            title: T('snooze'),
            'aria-label': T('snooze'),
            onclick: () => openForm(li, 'snooze'),
          },
          careIcon('clock'),
          h('span', { class: 'btn-text' }, T('snooze')),
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'ghost small today-cancel',
            title: T('cancel_title'),
            'aria-label': T('cancel'),
            onclick: () => cancel(r),
          },
          icon('x'),
          h('span', { class: 'btn-text' }, T('cancel')),
        ),
      ),
    ),
  );
  li.reminder = r;
  return li;
}

function dueView(r, group) {
  const { fmt } = ctx;
  const asOf = state.data.as_of;
  const days = daysBetween(asOf, r.due_date);
  let rel;
  if (group === 'overdue' || days < 0) rel = days === -1 ? T('late_one') : T('late', { days: fmt.number(-days) });
  else if (days === 0) rel = T('due_today');
  else rel = days === 1 ? T('tomorrow') : T('in_days', { days: fmt.number(days) });
  return [
    h(
      'div',
      { class: 'today-due-date' },
      shortDate(r.due_date),
      r.due_time && h('span', { class: 'today-time' }, r.due_time),
    ),
    h('div', { class: ['today-due-rel', group === 'overdue' && 'late'] }, rel),
    r.snoozed_from &&
      h('div', { class: 'today-snoozed muted small' }, T('snoozed_from', { date: showDate(fmt, r.snoozed_from) })),
    // Found late (the shop was closed): today's work, and since when it was due.
    !r.snoozed_from &&
      r.detail?.late_from &&
      h('div', { class: 'today-late-from muted small' }, T('late_from', { date: dayMonth(r.detail.late_from) })),
  ];
}

/** "Thứ Hai, 24/11/2026" for the header. */
function longDate(date) {
  if (!date) return '';
  return new Intl.DateTimeFormat(ctx.fmt.locale, {
    timeZone: 'UTC',
    weekday: 'long',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
  }).format(new Date(`${date}T00:00:00Z`));
}

/** "27/11" from "2026-11-27": a recent day (Intl writes "27-11" in Vietnamese). */
const dayMonth = (date) => `${String(date).slice(8, 10)}/${String(date).slice(5, 7)}`;

/** "T5, 27/11" style: the weekday matters more than the year for the coming week. */
function shortDate(date) {
  return new Intl.DateTimeFormat(ctx.fmt.locale, {
    timeZone: 'UTC',
    weekday: 'short',
    day: '2-digit',
    month: '2-digit',
  }).format(new Date(`${date}T00:00:00Z`));
}

const rowEl = (id) => els?.groups.querySelector(`.today-row[data-id="${CSS.escape(String(id))}"]`);
const allRows = () => [...(els?.groups.querySelectorAll('.today-row') ?? [])];

function showMore(group) {
  const g = state.data?.[group];
  state.limit = Math.max(state.limit + PAGE * 2, Math.min(g ? g.total : 0, state.limit + 500));
  const focusAt = g?.rows.at(-1)?.id;
  load().then(() => {
    const next = focusAt !== undefined && rowEl(focusAt)?.nextElementSibling;
    if (next) next.focus();
  });
}

// ---------- keyboard ----------

function onRowKeydown(e) {
  const li = e.currentTarget;
  if (e.target !== li || e.ctrlKey || e.metaKey || e.altKey) return; // keys typed inside a form belong to it
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (key === 'ArrowDown' || key === 'ArrowUp') {
    e.preventDefault();
    const rows = allRows();
    const i = rows.indexOf(li);
    rows[key === 'ArrowDown' ? Math.min(i + 1, rows.length - 1) : Math.max(i - 1, 0)]?.focus();
  } else if (key === 'Home' || key === 'End') {
    e.preventDefault();
    const rows = allRows();
    (key === 'Home' ? rows[0] : rows.at(-1))?.focus();
  } else if (key === 'Enter') {
    e.preventDefault();
    openForm(li, 'done');
  } else if (key === 'h' || key === 's') {
    e.preventDefault();
    openForm(li, 'snooze');
  } else if (key === 'n' || key === 'm') {
    e.preventDefault();
    message(li.reminder);
  } else if (key === ' ' || key === 'x') {
    e.preventDefault();
    li.querySelector('.today-select')?.click();
  } else if (key === 'Escape' && state.open) {
    e.preventDefault();
    closeForm();
  }
}

// ---------- row forms: done (with a log) and snooze ----------

function closeForm(refocus = true) {
  const open = state.open;
  state.open = null;
  els?.groups.querySelectorAll('.today-form').forEach((f) => f.remove());
  els?.groups.querySelectorAll('.today-row.editing').forEach((r) => r.classList.remove('editing'));
  if (refocus && open) rowEl(open.id)?.focus();
}

function openForm(li, type, focus = true) {
  const r = li.reminder;
  if (state.open && (state.open.id !== String(r.id) || state.open.type !== type)) closeForm(false);
  else li.querySelector('.today-form')?.remove();
  state.open = { id: String(r.id), type };
  li.classList.add('editing');
  const form = type === 'done' ? doneForm(li, r) : snoozeForm(li, r);
  li.append(form);
  if (focus) form.querySelector(type === 'done' ? 'input[name="outcome"]' : 'input[name="to"]')?.focus();
}

function formKeys(e) {
  if (e.key === 'Escape') {
    e.preventDefault();
    e.stopPropagation();
    closeForm();
  }
}

function doneForm(li, r) {
  const { t } = ctx;
  const channel = h(
    'select',
    { name: 'channel', id: `today-channel-${r.id}` },
    CHANNELS.map((c) => h('option', { value: c, selected: c === 'phone' }, t(`care.channel.${c}`))),
  );
  const outcome = h('input', {
    name: 'outcome',
    id: `today-outcome-${r.id}`,
    autocomplete: 'off',
    maxlength: '200',
    placeholder: T('outcome_placeholder'),
  });
  const summary = h('input', {
    name: 'summary',
    id: `today-summary-${r.id}`,
    autocomplete: 'off',
    maxlength: '2000',
    placeholder: reminderReason(ctx, r),
  });
  const submit = h('button', { type: 'submit', class: 'primary today-log-submit' }, icon('check'), T('log_submit'));
  const form = h(
    'form',
    {
      class: 'today-form today-log',
      novalidate: true,
      onkeydown: formKeys,
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        const log = { channel: channel.value };
        if (outcome.value.trim()) log.outcome = outcome.value.trim();
        if (summary.value.trim()) log.summary = summary.value.trim();
        submit.disabled = true;
        try {
          await api.reminderDone(r.id, log);
          toast(T('done_toast', { name: r.customer?.name ?? '' }), 'success');
          removeRow(r);
        } catch (err) {
          submit.disabled = false;
          if (form.isConnected) ctx.showError(err, form);
          else ctx.showError(err);
          if (err.code === 'reminder.closed' || err.code === 'reminder.not_found') {
            closeForm(false);
            load();
          }
        }
      },
    },
    h('label', { class: 'field today-channel' }, h('span', { class: 'label' }, T('channel')), channel),
    h('label', { class: 'field today-outcome' }, h('span', { class: 'label' }, T('outcome')), outcome),
    h(
      'label',
      { class: 'field today-summary' },
      h('span', { class: 'label' }, T('summary'), h('span', { class: 'optional' }, t('common.optional'))),
      summary,
    ),
    h(
      'div',
      { class: 'today-form-actions' },
      h('button', { type: 'button', class: 'ghost', onclick: () => closeForm() }, t('common.close')),
      submit,
    ),
  );
  return form;
}

function snoozeForm(li, r) {
  const { t, fmt } = ctx;
  const today = state.data?.as_of ?? shopToday(fmt);
  const base = r.due_date > today ? r.due_date : today;
  const to = dateInput({
    name: 'to',
    id: `today-snooze-to-${r.id}`,
    value: addDays(base, 1),
    min: today,
    required: true,
    placeholder: t('datefield.placeholder'),
  });
  const submit = h(
    'button',
    { type: 'submit', class: 'primary today-snooze-submit' },
    careIcon('clock'),
    T('snooze_submit'),
  );
  const quick = [
    [1, 'quick_tomorrow'],
    [3, 'quick_3_days'],
    [7, 'quick_week'],
  ].map(([n, key]) =>
    h(
      'button',
      {
        type: 'button',
        class: 'ghost small',
        dataset: { days: String(n) },
        onclick: () => {
          setDateValue(to, addDays(today, n));
          to.focus();
        },
      },
      T(key),
    ),
  );
  const form = h(
    'form',
    {
      class: 'today-form today-snooze-form',
      novalidate: true,
      onkeydown: formKeys,
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        const day = dateValue(to);
        if (!day) {
          showFieldError(to, ctx.t.error({ code: 'reminder.date_invalid', params: { value: to.value.trim() } }));
          to.focus();
          return;
        }
        submit.disabled = true;
        try {
          const out = await api.reminderSnooze(r.id, day);
          toast(
            T('snoozed_toast', { name: r.customer?.name ?? '', date: showDate(fmt, out?.due_date ?? day) }),
            'success',
          );
          const next = neighbour(r);
          closeForm(false);
          await load();
          ((next && rowEl(next)) ?? rowEl(r.id))?.focus(); // go on down the list, not after the moved row
        } catch (err) {
          submit.disabled = false;
          if (form.isConnected) ctx.showError(err, form);
          else ctx.showError(err);
        }
      },
    },
    h('label', { class: 'field today-snooze-date' }, h('span', { class: 'label' }, T('snooze_to')), to),
    h('div', { class: 'today-quick' }, quick),
    h(
      'div',
      { class: 'today-form-actions' },
      h('button', { type: 'button', class: 'ghost', onclick: () => closeForm() }, t('common.close')),
      submit,
    ),
  );
  return form;
}

/** The id of the row to focus once r is gone: the next one, else the previous one. */
function neighbour(r) {
  const li = rowEl(r.id);
  const rows = allRows();
  const i = rows.indexOf(li);
  return (rows[i + 1] ?? rows[i - 1])?.dataset.id ?? null;
}

/** Drops a done / cancelled reminder from the list without reloading everything. */
function removeRow(r) {
  const next = neighbour(r);
  if (state.open?.id === String(r.id)) state.open = null;
  for (const g of GROUPS) {
    const group = state.data?.[g];
    if (!group) continue;
    const before = group.rows.length;
    group.rows = group.rows.filter((x) => x.id !== r.id);
    if (group.rows.length !== before) group.total = Math.max(0, group.total - 1);
  }
  if (!els) return;
  render();
  if (next) rowEl(next)?.focus();
  else els.add.focus();
}

async function cancel(r) {
  const name = r.customer?.name ?? '';
  const ok = await confirmDialog({
    title: T('cancel_title'),
    body: T('cancel_body', { name, reason: reminderReason(ctx, r) }),
    confirm: T('cancel_confirm'),
    cancel: T('cancel_keep'),
    danger: true,
  });
  if (!ok) {
    rowEl(r.id)?.focus();
    return;
  }
  try {
    await api.reminderCancel(r.id);
    toast(T('cancelled_toast', { name }), 'success');
    removeRow(r);
  } catch (err) {
    ctx.showError(err);
    if (err.code === 'reminder.closed' || err.code === 'reminder.not_found') load();
  }
}

function message(r) {
  if (!r) return;
  const c = r.customer ?? {};
  const lang = ctx.settings.language === 'en' ? 'en' : 'vi';
  openMessageDialog(ctx, c.id ?? r.customer_id, {
    template: TEMPLATE_FOR[lang][r.kind] ?? TEMPLATE_FOR[lang].default,
    customer: c.name ? { name: c.name, phone: c.phone, phone_display: c.phone_display } : undefined,
  });
}

// ---------- selection and bulk actions ----------

/** Ids of every loaded row, in screen order. */
const loadedIds = () => GROUPS.flatMap((g) => (state.data?.[g]?.rows ?? []).map((r) => String(r.id)));

function syncBox(box, ids) {
  const st = allState(state.selected, ids);
  box.checked = st === 'all';
  box.indeterminate = st === 'some';
}

function groupSelectBox(group, rows) {
  const ids = rows.map((r) => String(r.id));
  const box = h('input', {
    type: 'checkbox',
    class: 'today-select-group',
    dataset: { group },
    'aria-label': T('select_group', { group: T(`groups.${group}`) }),
    onchange: () => {
      setAll(state.selected, ids, box.checked);
      render();
    },
  });
  syncBox(box, ids);
  return box;
}

/** The bar over the groups: select all, how many are selected, snooze or cancel them. */
function renderBulk() {
  if (!els) return;
  const { fmt } = ctx;
  const ids = loadedIds();
  els.bulk.classList.toggle('hidden', ids.length === 0);
  if (!ids.length) {
    fill(els.bulk);
    return;
  }
  const n = selectedIds(state.selected, ids).length;
  const all = h('input', {
    type: 'checkbox',
    id: 'today-select-all',
    onchange: () => {
      setAll(state.selected, ids, all.checked);
      render();
    },
  });
  syncBox(all, ids);
  const canCancel = !ctx.can || ctx.can('cancel_reminder');
  fill(
    els.bulk,
    h('label', { class: 'check today-select-all' }, all, T('select_all', { count: fmt.number(ids.length) })),
    h(
      'span',
      { class: ['today-selected-count', !n && 'muted'], id: 'today-selected-count', 'aria-live': 'polite' },
      n ? T('selected', { count: fmt.number(n) }) : T('none_selected'),
    ),
    h('span', { class: 'spacer' }),
    h(
      'button',
      {
        type: 'button',
        class: 'ghost small',
        id: 'today-bulk-snooze',
        disabled: !n,
        onclick: () => {
          state.bulkSnooze = !state.bulkSnooze;
          renderBulk();
        },
      },
      careIcon('clock'),
      T('bulk_snooze'),
    ),
    canCancel &&
      h(
        'button',
        {
          type: 'button',
          class: 'ghost small danger-text',
          id: 'today-bulk-cancel',
          disabled: !n,
          onclick: bulkCancel,
        },
        icon('x'),
        T('bulk_cancel'),
      ),
    n > 0 && state.bulkSnooze && bulkSnoozeForm(n),
  );
}

function bulkSnoozeForm(n) {
  const { t, fmt } = ctx;
  const today = state.data?.as_of ?? shopToday(fmt);
  const to = dateInput({
    name: 'to',
    id: 'today-bulk-to',
    value: addDays(today, 1),
    min: today,
    required: true,
    placeholder: t('datefield.placeholder'),
  });
  const submit = h(
    'button',
    { type: 'submit', class: 'primary small', id: 'today-bulk-snooze-submit' },
    careIcon('clock'),
    T('bulk_snooze_submit', { count: fmt.number(n) }),
  );
  const quick = [
    [1, 'quick_tomorrow'],
    [3, 'quick_3_days'],
    [7, 'quick_week'],
  ].map(([d, key]) =>
    h(
      'button',
      {
        type: 'button',
        class: 'ghost small',
        dataset: { days: String(d) },
        onclick: () => {
          setDateValue(to, addDays(today, d));
          to.focus();
        },
      },
      T(key),
    ),
  );
  const form = h(
    'form',
    {
      class: 'today-bulk-form',
      id: 'today-bulk-form',
      novalidate: true,
      onkeydown: (e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          state.bulkSnooze = false;
          renderBulk();
        }
      },
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        const day = dateValue(to);
        if (!day) {
          showFieldError(to, ctx.t.error({ code: 'reminder.date_invalid', params: { value: to.value } }));
          to.focus();
          return;
        }
        submit.disabled = true;
        try {
          const count = await api.reminderSnoozeBulk(selectedIds(state.selected, loadedIds()), day);
          toast(T('bulk_snoozed', { count: fmt.number(count ?? 0), date: showDate(fmt, day) }), 'success');
          state.selected.clear();
          state.bulkSnooze = false;
          await load();
        } catch (err) {
          submit.disabled = false;
          if (form.isConnected) ctx.showError(err, form);
          else ctx.showError(err);
          if (err.code === 'reminder.closed' || err.code === 'reminder.not_found') load();
        }
      },
    },
    h('label', { class: 'field today-snooze-date' }, h('span', { class: 'label' }, T('snooze_to')), to),
    h('div', { class: 'today-quick' }, quick),
    h(
      'div',
      { class: 'today-form-actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'ghost small',
          onclick: () => {
            state.bulkSnooze = false;
            renderBulk();
          },
        },
        t('common.close'),
      ),
      submit,
    ),
  );
  setTimeout(() => {
    if (form.isConnected && !form.contains(document.activeElement)) to.focus();
  }, 0);
  return form;
}

async function bulkCancel() {
  const { fmt } = ctx;
  const ids = selectedIds(state.selected, loadedIds());
  if (!ids.length) return;
  const ok = await confirmDialog({
    title: T('bulk_cancel_title', { count: fmt.number(ids.length) }),
    body: T('bulk_cancel_body'),
    confirm: T('bulk_cancel_confirm', { count: fmt.number(ids.length) }),
    cancel: T('cancel_keep'),
    danger: true,
  });
  if (!ok) return;
  try {
    const count = await api.reminderCancelBulk(ids);
    toast(T('bulk_cancelled', { count: fmt.number(count ?? 0) }), 'success');
    state.selected.clear();
    await load();
  } catch (err) {
    ctx.showError(err);
    if (err.code === 'reminder.closed' || err.code === 'reminder.not_found') load();
  }
}

// ---------- toolbar: generate, add ----------

async function generate() {
  const { t, fmt } = ctx;
  const button = els?.generate;
  if (button) button.disabled = true;
  try {
    const report = await api.reminderGenerate();
    const parts = Object.entries(report.created ?? {})
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${t(`care.kind.${kind}`)}: ${fmt.number(n)}`);
    const skipped = report.skipped > 0 ? ` ${T('generated_skipped', { count: fmt.number(report.skipped) })}` : '';
    const made = report.total
      ? `${T('generated', { count: fmt.number(report.total) })} (${parts.join(', ')})`
      : T('generated_none');
    toast(`${made}${skipped}`, report.total ? 'success' : 'info', 6000);
    await load();
  } catch (err) {
    ctx.showError(err);
  } finally {
    if (els?.generate) els.generate.disabled = false;
  }
}

function toggleAddForm(show = !els.addBox.firstChild) {
  if (!show) {
    fill(els.addBox);
    els.add.focus();
    return;
  }
  if (els.addBox.firstChild) {
    els.addBox.querySelector('input')?.focus();
    return;
  }
  els.addBox.append(addForm());
  els.addBox.querySelector('#today-add-customer')?.focus();
}

function addForm() {
  const { t, fmt } = ctx;
  const today = state.data?.as_of ?? shopToday(fmt);
  let chosen = null; // {id, name, phone_display}
  const latestSearch = latestOnly();
  const results = h('ul', { class: 'today-picker hidden', id: 'today-add-results', role: 'listbox' });
  const search = h('input', {
    type: 'search',
    id: 'today-add-customer',
    name: 'customer_id',
    autocomplete: 'off',
    placeholder: T('customer_placeholder'),
    'aria-controls': 'today-add-results',
    oninput: () => {
      chosen = null;
      picked.classList.add('hidden');
      runSearch();
    },
    onkeydown: (e) => {
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        results.querySelector('li')?.focus();
      } else if (e.key === 'Enter' && !chosen) {
        e.preventDefault();
        results.querySelector('li')?.click();
      }
    },
  });
  const picked = h('div', { class: 'today-picked hidden', id: 'today-add-picked' });
  const pick = (c) => {
    chosen = c;
    search.value = '';
    fill(results);
    results.classList.add('hidden');
    search.classList.add('hidden');
    clearFieldErrors(form);
    fill(
      picked,
      h('span', { class: 'today-picked-name' }, c.name),
      h('span', { class: 'phone muted' }, c.phone_display),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          id: 'today-add-change',
          onclick: () => {
            chosen = null;
            picked.classList.add('hidden');
            search.classList.remove('hidden');
            search.focus();
          },
        },
        T('customer_change'),
      ),
    );
    picked.classList.remove('hidden');
    form.elements.title.focus();
  };
  const runSearch = debounce(async () => {
    const q = search.value.trim();
    if (!q) {
      fill(results);
      results.classList.add('hidden');
      return;
    }
    try {
      const rows = await latestSearch(api.customerSearch(q, 8));
      if (rows === STALE) return;
      fill(
        results,
        rows.length
          ? rows.map((c) =>
              h(
                'li',
                {
                  tabindex: '-1',
                  role: 'option',
                  class: 'today-pick',
                  dataset: { id: String(c.id) },
                  onclick: () => pick(c),
                  onkeydown: (e) => {
                    if (e.key === 'Enter') {
                      e.preventDefault();
                      pick(c);
                    } else if (e.key === 'ArrowDown') {
                      e.preventDefault();
                      e.currentTarget.nextElementSibling?.focus();
                    } else if (e.key === 'ArrowUp') {
                      e.preventDefault();
                      (e.currentTarget.previousElementSibling ?? search).focus();
                    }
                  },
                },
                h('span', { class: 'cell-name' }, c.name),
                h('span', { class: 'phone muted' }, c.phone_display),
                c.archived && h('span', { class: 'badge muted' }, t('counter.archived')),
              ),
            )
          : h('li', { class: 'muted today-pick-none' }, T('no_match')),
      );
      results.classList.remove('hidden');
    } catch (err) {
      ctx.showError(err);
    }
  }, 150);
  const due = dateInput({
    name: 'due_date',
    id: 'today-add-due',
    value: today,
    min: today,
    required: true,
    placeholder: t('datefield.placeholder'),
  });
  const time = timeInput({ name: 'due_time', id: 'today-add-time' });
  const title = h('input', {
    name: 'title',
    id: 'today-add-title',
    autocomplete: 'off',
    maxlength: '200',
    placeholder: T('title_placeholder'),
  });
  const note = h('input', { name: 'note', id: 'today-add-note', autocomplete: 'off', maxlength: '2000' });
  const assignee = h('input', {
    name: 'assignee',
    id: 'today-add-assignee',
    autocomplete: 'off',
    maxlength: '100',
    placeholder: T('assignee_placeholder'),
  });
  const save = h('button', { type: 'submit', class: 'primary', id: 'today-add-save' }, icon('plus'), T('add_save'));
  const field = (label, control, cls, optional = false) =>
    h(
      'label',
      { class: ['field', cls] },
      h('span', { class: 'label' }, label, optional && h('span', { class: 'optional' }, t('common.optional'))),
      control,
    );
  const form = h(
    'form',
    {
      class: 'card today-add-form',
      id: 'today-add-form',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        if (!chosen) {
          showFieldError(search.classList.contains('hidden') ? picked : search, T('customer_required'));
          search.focus();
          return;
        }
        const day = dateValue(due);
        if (!day) {
          showFieldError(due, ctx.t.error({ code: 'reminder.date_invalid', params: { value: due.value.trim() } }));
          due.focus();
          return;
        }
        const input = { customer_id: chosen.id, due_date: day };
        for (const [k, el] of [
          ['due_time', time],
          ['title', title],
          ['note', note],
          ['assignee', assignee],
        ])
          if (el.value.trim()) input[k] = el.value.trim();
        save.disabled = true;
        try {
          const r = await api.reminderAdd(input);
          toast(T('added', { name: chosen.name, date: showDate(fmt, r?.due_date ?? input.due_date) }), 'success');
          fill(els.addBox);
          await load();
          rowEl(r?.id)?.focus();
        } catch (err) {
          save.disabled = false;
          ctx.showError(err, form);
        }
      },
      onkeydown: (e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          toggleAddForm(false);
        }
      },
    },
    h('h2', {}, icon('plus'), T('add_title')),
    h(
      'div',
      { class: 'today-add-grid' },
      h(
        'div',
        { class: 'field today-add-who' },
        h('label', { class: 'label', for: 'today-add-customer' }, T('customer')),
        h('div', { class: 'today-picker-wrap' }, search, picked, results),
      ),
      field(T('title_field'), title, 'today-add-what'),
      field(T('due_date'), due, 'today-add-date'),
      field(T('due_time'), time, 'today-add-time'),
      field(T('note'), note, 'today-add-note', true),
      field(T('assignee_field'), assignee, 'today-add-assignee', true),
    ),
    h(
      'div',
      { class: 'form-actions' },
      h('span', { class: 'spacer' }),
      h(
        'button',
        { type: 'button', class: 'ghost', id: 'today-add-cancel', onclick: () => toggleAddForm(false) },
        t('common.cancel'),
      ),
      save,
    ),
  );
  return form;
}

export default { mount, unmount };
