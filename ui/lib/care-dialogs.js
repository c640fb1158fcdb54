// Customer care dialogs (issue 7), shared by the profile and the Today screen:
// a message from a template (copy, dial, paste into Zalo), logging an interaction, a
// manual reminder, a satisfaction survey and an after-sales ticket. Each is a modal
// <dialog> built with h(); Esc closes it, an error naming a field (err.params.field) shows
// next to that field, any other error inside the dialog (a toast would sit under the modal).
// Also the small helpers both screens need: shop-local dates, reminder reasons, icons.
import * as api from './api.js';
import { h, fill, icon, toast, clearFieldErrors, showFieldError } from './dom.js';
import { dateInput, dateValue, setDateValue, timeInput } from './datefield.js';
import { templateTitle } from './names.js';

export const CHANNELS = ['phone', 'zalo', 'sms', 'email', 'facebook', 'in_store', 'other'];
export const DIRECTIONS = ['out', 'in'];
const SCORES = { csat: [1, 2, 3, 4, 5], nps: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] };
// The contract's English aliases of the merge fields, labelled like their Vietnamese names.
const FIELD_ALIASES = {
  first_name: 'ten',
  full_name: 'ho_ten',
  honorific: 'xung_ho',
  points: 'diem',
  tier: 'hang',
  birthday: 'sinh_nhat',
  last_purchase: 'lan_mua_cuoi',
  shop: 'cua_hang',
  points_expiry: 'han_diem',
  voucher_code: 'ma_uu_dai',
  voucher_expiry: 'han_uu_dai',
  voucher: 'uu_dai',
};

// ---------- icons (same drawing rules as dom.js icon()) ----------
const CARE_ICONS = {
  phone:
    'M22 16.9v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6' +
    'A19.8 19.8 0 0 1 2.1 4.2 2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7c.1.9.4 1.8.7 2.7a2 2 0 0 1-.5 2.1L8 9.8' +
    'a16 16 0 0 0 6 6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 2.7.7a2 2 0 0 1 1.7 2z',
  message: 'M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z',
  log: 'M12 20h9M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z',
  calendar: 'M4 5h16v16H4zM16 3v4M8 3v4M4 10h16',
  survey: 'M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20M8 14s1.5 2 4 2 4-2 4-2M9 9h.01M15 9h.01',
  shield: 'M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10',
  copy: 'M9 9h11v11H9zM5 15H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h10a1 1 0 0 1 1 1v1',
  confirm: 'M16 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2M8.5 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8M17 11l2 2 4-4',
  clock: 'M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20M12 6v6l4 2',
  tool:
    'M14.7 6.3a1 1 0 0 0 0 1.4l1.6 1.6a1 1 0 0 0 1.4 0l3.8-3.8a6 6 0 0 1-7.9 7.9l-6.9 6.9' +
    'a2.1 2.1 0 0 1-3-3l6.9-6.9a6 6 0 0 1 7.9-7.9z',
  in: 'M15 3h4a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-4M10 17l5-5-5-5M15 12H3',
  out: 'M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9',
};

/** An icon from dom.js, or one of the care icons above. */
export function careIcon(name, cls = 'icon') {
  if (!CARE_ICONS[name]) return icon(name, cls);
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', cls);
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(NS, 'path');
  path.setAttribute('d', CARE_ICONS[name]);
  svg.append(path);
  return svg;
}

// ---------- shop-local dates ("YYYY-MM-DD") ----------

/** Today in the shop's time zone, as "YYYY-MM-DD". */
export function shopToday(fmt, now = new Date()) {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: fmt.timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    })
      .formatToParts(now)
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day}`;
}

/** "YYYY-MM-DD" + n days. */
export function addDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Whole days from date a to date b (both "YYYY-MM-DD"). */
export function daysBetween(a, b) {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86400000);
}

const isDateOnly = (s) => typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s);

/** A shop-local date ("YYYY-MM-DD", already in the shop's zone) or an instant, as a date. */
export function showDate(fmt, value) {
  if (!value) return '—';
  if (!isDateOnly(value)) return fmt.date(value);
  return new Intl.DateTimeFormat(fmt.locale, {
    timeZone: 'UTC',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
  }).format(new Date(`${value}T00:00:00Z`));
}

/** A date with its time when it has one (instants), e.g. for timeline events. */
export function showWhen(fmt, value) {
  return isDateOnly(value) ? showDate(fmt, value) : fmt.dateTime(value);
}

/** Why a reminder exists, in words: care.reason.<kind> filled from its detail. */
export function reminderReason(ctx, r) {
  const { t, fmt } = ctx;
  const d = r.detail ?? {};
  if (r.kind === 'manual' || !t.has(`care.reason.${r.kind}`)) return r.title || r.note || t(`care.kind.${r.kind}`);
  const params = { ...d };
  for (const k of ['first_purchase', 'purchase_date', 'birthday', 'ends', 'confirmed', 'last_visit']) {
    if (d[k]) params[k] = showDate(fmt, d[k]);
  }
  if (d.amount !== undefined && d.amount !== null) params.amount = fmt.money(d.amount);
  if (r.kind === 'win_back' && d.last_visit) {
    const last = isDateOnly(d.last_visit) ? d.last_visit : shopToday(fmt, new Date(d.last_visit));
    params.days = fmt.number(daysBetween(last, shopToday(fmt)));
  }
  if (params.usual_gap_days !== undefined) params.usual_gap_days = fmt.number(Number(params.usual_gap_days));
  return t(`care.reason.${r.kind}`, params);
}

/** A merge field for people: "xưng hô" for xung_ho (or honorific). */
export function fieldLabel(t, field) {
  const key = `messages.fields.${FIELD_ALIASES[field] ?? field}`;
  return t.has(key) ? t(key) : `{${field}}`;
}

const fieldRe = (names) => new RegExp(`\\{\\s*(${names.join('|')})\\s*\\}`);
const VI_FIELD_RE = fieldRe(Object.values(FIELD_ALIASES));
const EN_FIELD_RE = fieldRe(Object.keys(FIELD_ALIASES));

/** The first template written for the interface language (by the merge fields it uses:
 * {ten} ... are Vietnamese, {first_name} ... English), else the first one. */
export function preferredTemplate(templates, language) {
  const re = language === 'en' ? EN_FIELD_RE : VI_FIELD_RE;
  return templates.find((x) => re.test(x.body ?? '')) ?? templates[0];
}

// ---------- clipboard ----------

/** Copies text; falls back to a hidden textarea + execCommand where the async API is missing
 * or refused. `within`: where the helper textarea goes (inside an open modal, or the body). */
export async function copyText(text, within = document.body) {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall back below */
  }
  const back = document.activeElement;
  const area = h('textarea', {
    class: 'clipboard-helper',
    readonly: true,
    'aria-hidden': 'true',
    tabindex: '-1',
    value: text,
  });
  within.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  back?.focus?.();
  return ok;
}

// ---------- the modal frame ----------

function showDialogError(ctx, form, general, err) {
  const field = err?.params?.field;
  const target = field && form.querySelector(`[data-field="${field}"], [name="${field}"]`);
  const message = ctx.t.error(err);
  if (target) {
    showFieldError(target, message);
    (target.matches('input, select, textarea')
      ? target
      : target.querySelector('input, select, textarea, button')
    )?.focus();
  } else {
    fill(general, message);
  }
}

/**
 * A form in a modal dialog. submit() does the work and returns a value; on success the
 * dialog closes and onSaved(value) runs; on failure the error is shown and it stays open.
 */
export function formDialog(ctx, { id, title, titleIcon, content, submitLabel, submit, onSaved, focus, className }) {
  const { t } = ctx;
  document.getElementById(id)?.remove();
  const general = h('div', { class: 'dialog-error', role: 'alert', id: `${id}-error` });
  const save = h('button', { type: 'submit', class: 'primary', id: `${id}-save` }, submitLabel);
  let busy = false;
  const close = () => {
    if (busy) return;
    dlg.close();
    dlg.remove();
  };
  const form = h(
    'form',
    { class: 'care-form', novalidate: true, onsubmit: onSubmit },
    h('h2', { id: `${id}-title` }, titleIcon && careIcon(titleIcon), title),
    content,
    general,
    h(
      'div',
      { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'ghost', id: `${id}-cancel`, onclick: close }, t('common.cancel')),
      save,
    ),
  );
  // Ctrl+Enter saves from anywhere, a textarea included (Enter there is a new line).
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  const dlg = h('dialog', { class: ['dialog', 'care-dialog', className], id, 'aria-labelledby': `${id}-title` }, form);
  dlg.addEventListener('cancel', (e) => {
    e.preventDefault();
    close();
  });

  async function onSubmit(e) {
    e.preventDefault();
    if (busy) return;
    clearFieldErrors(form);
    fill(general);
    busy = true;
    save.disabled = true;
    try {
      const value = await submit(form);
      busy = false;
      close();
      onSaved?.(value);
    } catch (err) {
      busy = false;
      save.disabled = false;
      showDialogError(ctx, form, general, err);
    }
  }

  document.body.append(dlg);
  dlg.showModal();
  (typeof focus === 'function' ? focus(form) : form.querySelector('input, select, textarea'))?.focus();
  return { dlg, form, close };
}

const field = (label, control, { wide = false, hint = null, optional = null } = {}) =>
  h(
    'label',
    { class: ['field', wide && 'wide'] },
    h('span', { class: 'label' }, label, optional && h('span', { class: 'optional' }, optional)),
    control,
    hint && h('span', { class: 'hint' }, hint),
  );

const trimmed = (v) => (typeof v === 'string' ? v.trim() : v);

// ---------- log an interaction ----------

/**
 * "Ghi chăm sóc": channel, direction, summary, outcome -> interaction_add.
 * With `reminder` ({id, ...}), records it as the way that reminder was done
 * (reminder_done with log, one transaction) and onDone gets the closed Reminder.
 * `channel`, `summary`: prefilled values.
 */
export function openLogDialog(
  ctx,
  { customerId, reminder = null, channel = 'phone', summary = '', customerName = null, onDone } = {},
) {
  const { t } = ctx;
  const P = (k, p) => t(`profile_care.${k}`, p);
  const channelSel = h(
    'select',
    { name: 'channel', id: 'log-channel' },
    CHANNELS.map((c) => h('option', { value: c, selected: c === channel }, t(`care.channel.${c}`))),
  );
  const direction = h(
    'div',
    {
      class: 'segmented choice-row',
      role: 'radiogroup',
      'aria-label': P('direction'),
      dataset: { field: 'direction' },
    },
    DIRECTIONS.map((d) =>
      h(
        'label',
        { class: 'choice' },
        h('input', { type: 'radio', name: 'direction', id: `log-direction-${d}`, value: d, checked: d === 'out' }),
        careIcon(d),
        t(`care.direction.${d}`),
      ),
    ),
  );
  const summaryBox = h('textarea', {
    name: 'summary',
    id: 'log-summary',
    rows: '3',
    maxlength: '2000',
    placeholder: P('summary_placeholder'),
    value: summary,
  });
  const outcomes = h(
    'datalist',
    { id: 'log-outcomes' },
    ['reached', 'no_answer', 'call_back', 'happy', 'complaint', 'will_visit'].map((o) =>
      h('option', { value: P(`outcomes.${o}`) }),
    ),
  );
  const outcome = h('input', {
    name: 'outcome',
    id: 'log-outcome',
    autocomplete: 'off',
    list: 'log-outcomes',
    maxlength: '200',
    placeholder: P('outcome_placeholder'),
  });
  const content = h(
    'div',
    { class: 'care-fields' },
    customerName && h('p', { class: 'dialog-sub' }, customerName),
    reminder && h('p', { class: 'dialog-sub' }, P('log_for_reminder', { reason: reminderReason(ctx, reminder) })),
    h(
      'div',
      { class: 'field-row' },
      field(P('channel'), channelSel),
      h('div', { class: 'field' }, h('span', { class: 'label' }, P('direction')), direction),
    ),
    field(P('summary'), summaryBox, { wide: true }),
    field(P('outcome'), outcome, { wide: true, optional: t('common.optional') }),
    outcomes,
  );
  return formDialog(ctx, {
    id: 'log-dialog',
    className: 'log-dialog',
    title: reminder ? P('log_done_title') : P('log_title'),
    titleIcon: 'log',
    content,
    submitLabel: reminder ? P('log_done_save') : P('log_save'),
    focus: (form) => (summary ? form.querySelector('#log-outcome') : form.querySelector('#log-summary')),
    submit: (form) => {
      const e = form.elements;
      const input = {
        channel: e.channel.value,
        direction: form.querySelector('input[name="direction"]:checked')?.value ?? 'out',
        summary: trimmed(e.summary.value),
        ...(trimmed(e.outcome.value) ? { outcome: trimmed(e.outcome.value) } : {}),
      };
      // Checked here too: saves a round trip and the message lands next to the box.
      if (!input.summary && !reminder) throw { code: 'care.summary_required', params: { field: 'summary' } };
      if (reminder) {
        const log = {
          channel: input.channel,
          direction: input.direction,
          ...(input.summary ? { summary: input.summary } : {}),
          ...(input.outcome ? { outcome: input.outcome } : {}),
        };
        return api.reminderDone(reminder.id, log);
      }
      return api.interactionAdd({ customer_id: customerId, ...input });
    },
    onSaved: (value) => {
      toast(P(reminder ? 'log_done_saved' : 'log_saved'), 'success');
      onDone?.(value);
    },
  });
}

// ---------- manual reminder ----------

/** "Thêm nhắc việc": due date (quick picks), optional time, title, note, assignee -> reminder_add. */
export function openReminderDialog(ctx, { customerId, customerName = null, title = '', onDone, filter = null } = {}) {
  const { t, fmt } = ctx;
  const P = (k, p) => t(`profile_care.${k}`, p);
  const today = shopToday(fmt);
  const due = dateInput({
    name: 'due_date',
    id: 'reminder-due-date',
    value: addDays(today, 1),
    min: today,
    required: true,
    placeholder: t('datefield.placeholder'),
  });
  const quick = h(
    'div',
    { class: 'quick-dates' },
    [
      [0, 'today'],
      [1, 'tomorrow'],
      [3, 'in_3_days'],
      [7, 'in_a_week'],
      [30, 'in_a_month'],
    ].map(([n, key]) =>
      h(
        'button',
        {
          type: 'button',
          class: 'ghost small',
          dataset: { days: String(n) },
          onclick: () => {
            setDateValue(due, addDays(today, n));
            due.focus();
          },
        },
        P(`quick.${key}`),
      ),
    ),
  );
  const time = timeInput({ name: 'due_time', id: 'reminder-due-time' });
  const titleBox = h('input', {
    name: 'title',
    id: 'reminder-title',
    autocomplete: 'off',
    maxlength: '200',
    value: title,
    placeholder: P('reminder_title_placeholder'),
  });
  const note = h('textarea', { name: 'note', id: 'reminder-note', rows: '2', maxlength: '2000' });
  const assignee = h('input', {
    name: 'assignee',
    id: 'reminder-assignee',
    autocomplete: 'off',
    maxlength: '100',
    placeholder: P('assignee_placeholder'),
  });
  const content = h(
    'div',
    { class: 'care-fields' },
    customerName && h('p', { class: 'dialog-sub' }, customerName),
    field(P('reminder_title'), titleBox, { wide: true }),
    h(
      'div',
      { class: 'field-row' },
      field(P('due_date'), due),
      field(P('due_time'), time, { optional: t('common.optional') }),
    ),
    quick,
    field(P('note'), note, { wide: true, optional: t('common.optional') }),
    field(P('assignee'), assignee, { wide: true, optional: t('common.optional') }),
  );
  return formDialog(ctx, {
    id: 'reminder-dialog',
    title: P('reminder_title_dialog'),
    titleIcon: 'reminders',
    content,
    submitLabel: P('reminder_save'),
    focus: (form) => form.querySelector('#reminder-title'),
    submit: (form) => {
      const e = form.elements;
      const day = dateValue(due);
      if (!day) throw { code: 'reminder.date_invalid', params: { field: 'due_date', value: due.value.trim() } };
      const input = { customer_id: customerId, due_date: day };
      for (const k of ['due_time', 'title', 'note', 'assignee'])
        if (trimmed(e[k].value)) input[k] = trimmed(e[k].value);
      // A list filter instead of one customer: the same reminder for every customer in it.
      if (filter)
        return api.reminderAddBulk(filter, {
          dueDate: input.due_date,
          dueTime: input.due_time,
          title: input.title,
          note: input.note,
          assignee: input.assignee,
        });
      return api.reminderAdd(input);
    },
    onSaved: (r) => {
      const msg = filter
        ? P('reminder_bulk_saved', { count: fmt.number(r ?? 0), date: showDate(fmt, due.dataset.iso) })
        : P('reminder_saved', { date: showDate(fmt, r?.due_date ?? due.dataset.iso) });
      toast(msg, 'success');
      onDone?.(r);
    },
  });
}

// ---------- satisfaction survey ----------

/** "Khảo sát": CSAT 1–5 or NPS 0–10, comment, optional purchase -> survey_add. */
export function openSurveyDialog(
  ctx,
  { customerId, purchases = [], purchaseId = null, kind: firstKind = 'csat', customerName = null, onDone } = {},
) {
  const { t, fmt } = ctx;
  const P = (k, p) => t(`profile_care.${k}`, p);
  let kind = firstKind;
  const question = h('p', { class: 'survey-question', id: 'survey-question' });
  const scale = h('div', {
    class: 'score-scale',
    role: 'radiogroup',
    id: 'survey-score',
    'aria-labelledby': 'survey-question',
    dataset: { field: 'score' },
  });
  const ends = h('div', { class: 'score-ends' });
  const drawScale = () => {
    const keep = scale.querySelector('input:checked')?.value;
    question.textContent = P(`question_${kind}`);
    fill(
      scale,
      SCORES[kind].map((n) =>
        h(
          'label',
          { class: ['score', kind === 'nps' && n <= 6 && 'low', kind === 'nps' && n >= 9 && 'high'] },
          h('input', {
            type: 'radio',
            name: 'score',
            id: `survey-score-${n}`,
            value: String(n),
            checked: keep === String(n) && SCORES[kind].includes(n),
          }),
          h('span', {}, String(n)),
        ),
      ),
    );
    fill(ends, h('span', {}, P(`scale_low_${kind}`)), h('span', {}, P(`scale_high_${kind}`)));
  };
  const kinds = h(
    'div',
    { class: 'segmented choice-row', role: 'radiogroup', 'aria-label': P('survey_kind'), dataset: { field: 'kind' } },
    ['csat', 'nps'].map((k) =>
      h(
        'label',
        { class: 'choice' },
        h('input', {
          type: 'radio',
          name: 'kind',
          id: `survey-kind-${k}`,
          value: k,
          checked: k === kind,
          onchange: () => {
            kind = k;
            drawScale();
          },
        }),
        t(`care.survey_kind.${k}`),
      ),
    ),
  );
  const comment = h('textarea', {
    name: 'comment',
    id: 'survey-comment',
    rows: '3',
    maxlength: '2000',
    placeholder: P('comment_placeholder'),
  });
  const purchase = h(
    'select',
    { name: 'purchase_id', id: 'survey-purchase' },
    h('option', { value: '' }, P('no_purchase')),
    purchases
      .slice(0, 30)
      .map((p) =>
        h(
          'option',
          { value: String(p.id), selected: p.id === purchaseId },
          P('purchase_option', { date: fmt.date(p.at), total: fmt.money(p.total) }),
        ),
      ),
  );
  drawScale();
  const content = h(
    'div',
    { class: 'care-fields' },
    customerName && h('p', { class: 'dialog-sub' }, customerName),
    kinds,
    question,
    scale,
    ends,
    field(P('comment'), comment, { wide: true, optional: t('common.optional') }),
    purchases.length > 0 && field(P('survey_purchase'), purchase, { wide: true, optional: t('common.optional') }),
  );
  return formDialog(ctx, {
    id: 'survey-dialog',
    title: P('survey_title'),
    titleIcon: 'survey',
    content,
    submitLabel: P('survey_save'),
    className: 'survey-dialog',
    focus: (form) => form.querySelector(`#survey-kind-${kind}`),
    submit: (form) => {
      const score = form.querySelector('input[name="score"]:checked')?.value;
      const min = SCORES[kind][0];
      const max = SCORES[kind].at(-1);
      if (score === undefined)
        throw {
          code: 'profile_care.score_missing',
          message: P('score_missing', { min, max }),
          params: { field: 'score' },
        };
      const input = { customer_id: customerId, kind, score: Number(score) };
      if (trimmed(comment.value)) input.comment = trimmed(comment.value);
      if (purchase.value) input.purchase_id = /^\d+$/.test(purchase.value) ? Number(purchase.value) : purchase.value;
      return api.surveyAdd(input);
    },
    onSaved: (s) => {
      toast(P('survey_saved'), 'success');
      onDone?.(s);
    },
  });
}

// ---------- after-sales ticket ----------

/** "Yêu cầu bảo hành / sửa chữa": title, note, optional warranty item -> ticket_add. */
export function openTicketDialog(
  ctx,
  { customerId, warranties = [], itemId = null, customerName = null, onDone } = {},
) {
  const { t, fmt } = ctx;
  const P = (k, p) => t(`profile_care.${k}`, p);
  const chosen = warranties.find((w) => w.item_id === itemId);
  const item = h(
    'select',
    { name: 'item_id', id: 'ticket-item' },
    h('option', { value: '' }, P('ticket_no_item')),
    warranties.map((w) =>
      h(
        'option',
        { value: String(w.item_id), selected: w.item_id === itemId },
        P('ticket_item_option', { product: w.product, date: fmt.date(w.purchased_at) }),
      ),
    ),
  );
  const title = h('input', {
    name: 'title',
    id: 'ticket-title',
    autocomplete: 'off',
    maxlength: '200',
    value: chosen ? P('ticket_default_title', { product: chosen.product }) : '',
    placeholder: P('ticket_title_placeholder'),
  });
  const note = h('textarea', {
    name: 'note',
    id: 'ticket-note',
    rows: '3',
    maxlength: '2000',
    placeholder: P('ticket_note_placeholder'),
  });
  const content = h(
    'div',
    { class: 'care-fields' },
    customerName && h('p', { class: 'dialog-sub' }, customerName),
    warranties.length > 0 && field(P('ticket_item'), item, { wide: true, optional: t('common.optional') }),
    field(P('ticket_title'), title, { wide: true }),
    field(P('note'), note, { wide: true, optional: t('common.optional') }),
  );
  return formDialog(ctx, {
    id: 'ticket-dialog',
    title: P('ticket_dialog_title'),
    titleIcon: 'tool',
    content,
    submitLabel: P('ticket_save'),
    focus: (form) => form.querySelector(chosen ? '#ticket-note' : '#ticket-title'),
    submit: () => {
      const input = { customer_id: customerId, title: trimmed(title.value) };
      if (!input.title) throw { code: 'ticket.title_required', params: { field: 'title' } };
      if (item.value) input.item_id = /^\d+$/.test(item.value) ? Number(item.value) : item.value;
      if (trimmed(note.value)) input.note = trimmed(note.value);
      return api.ticketAdd(input);
    },
    onSaved: (tk) => {
      toast(P('ticket_saved'), 'success');
      onDone?.(tk);
    },
  });
}

// ---------- a message from a template ----------

/**
 * "Nhắn tin": pick a template, render it for the customer into an editable box, see which
 * merge fields had no value, copy the text, copy or dial the phone, and optionally record
 * the message in the customer's history. opts: {template: name to preselect,
 * customer: {name, phone, phone_display} shown before the first render, onDone(interaction)}.
 */
export function openMessageDialog(ctx, customerId, opts = {}) {
  const { t } = ctx;
  const M = (k, p) => t(`messages.${k}`, p);
  document.getElementById('message-dialog')?.remove();
  let who = opts.customer ?? null;
  let rendered = null;
  const general = h('div', { class: 'dialog-error', role: 'alert', id: 'message-error' });
  const titleEl = h('h2', { id: 'message-title' }, careIcon('message'), M('dialog_title'));
  const phoneBox = h('div', { class: 'message-phone', id: 'message-phone' });
  const templateSel = h(
    'select',
    { name: 'template', id: 'message-template', disabled: true, onchange: () => render() },
    h('option', { value: '' }, t('common.loading')),
  );
  const text = h('textarea', {
    name: 'text',
    id: 'message-text',
    rows: '7',
    spellcheck: 'false',
    oninput: () => count(),
  });
  const counter = h('span', { class: 'char-count', id: 'message-count', 'aria-live': 'off' });
  const missing = h('div', { class: 'message-missing', id: 'message-missing', 'aria-live': 'polite' });
  const copy = h(
    'button',
    { type: 'button', class: 'primary', id: 'message-copy', onclick: copyMessage },
    careIcon('copy'),
    M('copy'),
  );
  const logChannel = h(
    'select',
    { id: 'message-log-channel', 'aria-label': t('profile_care.channel') },
    ['zalo', 'sms', 'facebook', 'email', 'other'].map((c) => h('option', { value: c }, t(`care.channel.${c}`))),
  );
  const logBtn = h(
    'button',
    { type: 'button', class: 'ghost', id: 'message-log', onclick: logSent },
    careIcon('log'),
    M('log_sent'),
  );
  const close = () => {
    dlg.close();
    dlg.remove();
  };
  const dlg = h(
    'dialog',
    { class: ['dialog', 'care-dialog', 'message-dialog'], id: 'message-dialog', 'aria-labelledby': 'message-title' },
    h(
      'div',
      { class: 'care-form' },
      titleEl,
      phoneBox,
      field(M('template'), templateSel, { wide: true }),
      h(
        'label',
        { class: 'field wide' },
        h('span', { class: 'label' }, M('text'), h('span', { class: 'spacer' }), counter),
        text,
      ),
      missing,
      general,
      h(
        'div',
        { class: 'dialog-actions message-actions' },
        h('div', { class: 'log-sent' }, logChannel, logBtn),
        h('span', { class: 'spacer' }),
        h('button', { type: 'button', class: 'ghost', id: 'message-close', onclick: close }, t('common.close')),
        copy,
      ),
    ),
  );
  dlg.addEventListener('cancel', (e) => {
    e.preventDefault();
    close();
  });
  dlg.addEventListener('keydown', (e) => {
    // Ctrl+Enter copies the message, the usual next step being a paste into Zalo.
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      copyMessage();
    }
  });

  function drawPhone() {
    if (!who) {
      fill(phoneBox);
      return;
    }
    titleEl.lastChild.textContent = M('dialog_title_for', { name: who.name });
    const display = who.phone_display || who.phone;
    fill(
      phoneBox,
      h('div', { class: 'phone-big', id: 'message-phone-number' }, display),
      h(
        'div',
        { class: 'phone-actions' },
        h(
          'button',
          { type: 'button', class: 'ghost small', id: 'message-copy-phone', onclick: copyPhone },
          careIcon('copy'),
          M('copy_phone'),
        ),
        who.phone &&
          h('a', { class: 'button-link', id: 'message-dial', href: `tel:${who.phone}` }, careIcon('phone'), M('dial')),
      ),
      h('p', { class: 'hint' }, M('zalo_hint')),
    );
  }

  function count() {
    counter.textContent = M('chars', { count: ctx.fmt.number(text.value.length) });
  }

  async function copyPhone() {
    const ok = await copyText(who?.phone ?? '', dlg);
    toast(
      ok ? M('phone_copied', { phone: who?.phone_display || who?.phone || '' }) : M('copy_failed'),
      ok ? 'success' : 'error',
    );
  }

  async function copyMessage() {
    if (!text.value.trim()) {
      text.focus();
      return;
    }
    const ok = await copyText(text.value, dlg);
    toast(ok ? M('copied') : M('copy_failed'), ok ? 'success' : 'error');
    if (ok) copy.focus();
  }

  async function logSent() {
    fill(general);
    const body = text.value.trim();
    if (!body) {
      text.focus();
      return;
    }
    logBtn.disabled = true;
    try {
      const name = templateSel.value;
      const interaction = await api.interactionAdd({
        customer_id: customerId,
        channel: logChannel.value,
        direction: 'out',
        summary: name ? `${M('log_summary', { template: name })}\n${body}` : body,
        outcome: M('log_outcome'),
      });
      toast(M('logged'), 'success');
      opts.onDone?.(interaction);
    } catch (err) {
      fill(general, ctx.t.error(err));
    } finally {
      logBtn.disabled = false;
    }
  }

  function drawMissing() {
    const list = rendered?.missing ?? [];
    fill(
      missing,
      list.length > 0 && [
        h('span', { class: 'missing-label' }, M('missing', { fields: list.map((f) => fieldLabel(t, f)).join(', ') })),
        h('span', { class: 'hint' }, M('missing_hint')),
      ],
    );
    missing.classList.toggle('warn', list.length > 0);
  }

  let generation = 0;
  async function render() {
    const name = templateSel.value;
    if (!name) return;
    const mine = ++generation;
    fill(general);
    text.disabled = true;
    try {
      const r = await api.templateRender(name, customerId);
      if (mine !== generation) return;
      rendered = r;
      who = { name: r.name, phone: r.phone, phone_display: r.phone_display };
      text.value = r.text;
      drawPhone();
      drawMissing();
      count();
    } catch (err) {
      if (mine === generation) fill(general, ctx.t.error(err));
    } finally {
      if (mine === generation) text.disabled = false;
    }
  }

  async function loadTemplates() {
    try {
      const { templates } = await api.templateList();
      if (!dlg.isConnected) return;
      if (!templates.length) {
        fill(templateSel, h('option', { value: '' }, M('no_templates')));
        fill(missing, h('span', { class: 'hint' }, M('no_templates_hint')));
        text.focus();
        return;
      }
      const pick =
        templates.find((x) => x.name === opts.template) ?? preferredTemplate(templates, ctx.settings?.language);
      fill(
        templateSel,
        templates.map((x) => h('option', { value: x.name, selected: x === pick }, templateTitle(t, x))),
      );
      templateSel.disabled = false;
      templateSel.focus();
      await render();
    } catch (err) {
      fill(general, ctx.t.error(err));
    }
  }

  drawPhone();
  count();
  document.body.append(dlg);
  dlg.showModal();
  templateSel.focus();
  loadTemplates();
  return { dlg, close };
}
