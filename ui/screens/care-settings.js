// Settings › Customer care (issue 7): the automatic reminder rules (reminder_rules_get/set,
// one key saved at a time, e.g. {"check_in.days": 7}) and the message templates
// (template_list/save/delete, with merge-field chips and a preview for a sample customer
// through template_render). Mounted by settings.js as one card.
import * as api from '../lib/api.js';
import {
  h,
  fill,
  icon,
  toast,
  confirmDialog,
  clearFieldError,
  clearFieldErrors,
  showFieldError,
  bindAmountInput,
} from '../lib/dom.js';
import { debounce, latestOnly, STALE } from '../lib/async.js';
import { autosave } from '../lib/autosave.js';
import { templateTitle } from '../lib/names.js';
import { decimalToInput, decimalFromInput } from '../lib/loyalty.js';

// Each rule and its numbers, in the order the sentence of care_settings.rule.<rule> uses them.
const RULES = {
  thank_you: ['days'],
  check_in: ['days', 'min_amount'],
  birthday: ['days'],
  warranty: ['days'],
  win_back: ['factor', 'min_days'],
  stale: ['months'],
};
// Merge fields: Vietnamese names and their English aliases, in the contract's order.
const VI_FIELDS = [
  'ten',
  'ho_ten',
  'xung_ho',
  'diem',
  'hang',
  'sinh_nhat',
  'lan_mua_cuoi',
  'cua_hang',
  'han_diem',
  'ma_uu_dai',
  'han_uu_dai',
  'uu_dai',
];
const EN_FIELDS = [
  'first_name',
  'full_name',
  'honorific',
  'points',
  'tier',
  'birthday',
  'last_purchase',
  'shop',
  'points_expiry',
  'voucher_code',
  'voucher_expiry',
  'voucher',
];
const VI_OF = Object.fromEntries(EN_FIELDS.map((f, i) => [f, VI_FIELDS[i]]));

let ctx = null;
let box = null;
// Survives a re-render of the settings screen (e.g. a language switch): unsaved template edits.
const tpl = { list: [], fields: [], selected: null, draft: null, dirty: false, sample: null };

const C = (key, params) => ctx.t(`care_settings.${key}`, params);

/** The card, filled in once the rules and templates arrive. */
export function careSection(context) {
  ctx = context;
  box = h(
    'section',
    { class: 'card care-settings', id: 'settings-care' },
    h('h2', {}, icon('reminders'), C('title')),
    h('p', { class: 'loading' }, ctx.t('common.loading')),
  );
  load(box);
  return box;
}

async function load(mine) {
  try {
    const [rules, templates] = await Promise.all([api.reminderRulesGet(), api.templateList()]);
    if (mine !== box || !mine.isConnected) return;
    tpl.list = templates.templates ?? [];
    tpl.fields = templates.fields ?? [];
    if (!tpl.draft || !tpl.dirty) {
      const keep = tpl.list.find((x) => x.id === tpl.selected) ?? inLanguage(tpl.list) ?? tpl.list[0] ?? null;
      select(keep, false);
    }
    render(rules);
  } catch (err) {
    if (mine !== box) return;
    fill(mine, h('h2', {}, icon('reminders'), C('title')), h('p', { class: 'notice error' }, ctx.t.error(err)));
  }
}

/** The first template written with the merge fields of the interface language, if any. */
function inLanguage(list) {
  const fields = ctx.settings.language === 'en' ? EN_FIELDS : VI_FIELDS;
  return list.find((x) => fields.some((f) => x.body.includes(`{${f}}`)));
}

function render(rules) {
  fill(
    box,
    h('h2', {}, icon('reminders'), C('title')),
    h('p', { class: 'muted intro' }, C('intro')),
    h(
      'div',
      { class: 'care-rules-part' },
      h('h3', {}, C('rules_title')),
      rulesForm(rules),
      h('p', { class: 'hint care-rules-note' }, C('rules_note')),
    ),
    h(
      'div',
      { class: 'care-templates-part', id: 'care-templates' },
      h('h3', {}, C('templates_title')),
      templatesBlock(),
    ),
  );
}

// ---------- reminder rules ----------

function rulesForm(rules) {
  const { t } = ctx;
  const form = h('form', {
    class: 'care-rules',
    id: 'care-rules',
    novalidate: true,
    onsubmit: (e) => e.preventDefault(),
  });
  for (const [rule, numbers] of Object.entries(RULES)) {
    const r = rules[rule] ?? {};
    const mark = h('span', { class: 'saved-mark', 'aria-live': 'polite' });
    const anchor = h('div', { class: 'care-rule-anchor', dataset: { rule } });
    const enabled = h('input', {
      type: 'checkbox',
      name: `${rule}.enabled`,
      id: `care-rule-${rule}-enabled`,
      checked: !!r.enabled,
    });
    const row = h('div', { class: ['care-rule', !r.enabled && 'off'], id: `care-rule-${rule}`, dataset: { rule } });
    enabled.addEventListener('change', () => {
      row.classList.toggle('off', !enabled.checked);
      saveToggle(row, `${rule}.enabled`, enabled);
    });
    // The sentence with its numbers as inline inputs: "{days} ngày sau lần mua đầu tiên".
    const sentence = C(`rule.${rule}`)
      .split(/\{(\w+)\}/)
      .map((part, i) => (i % 2 ? numberInput(row, rule, part, r[part]) : part));
    fill(
      row,
      h(
        'div',
        { class: 'care-rule-head' },
        h(
          'label',
          { class: 'check care-rule-toggle', for: `care-rule-${rule}-enabled` },
          enabled,
          h('span', { class: ['chip', `kind-${rule}`] }, t(`care.kind.${rule}`)),
        ),
        mark,
      ),
      h('p', { class: 'care-rule-text' }, sentence),
      anchor,
    );
    // A money number comes wrapped with its currency sign: look for the input inside too.
    const has = (n) => sentence.some((x) => (x?.name ?? x?.querySelector?.('input')?.name) === `${rule}.${n}`);
    if (!numbers.every(has)) {
      // A catalog sentence without a placeholder must not hide a number.
      row
        .querySelector('.care-rule-text')
        .append(' ', ...numbers.filter((n) => !has(n)).map((n) => numberInput(row, rule, n, r[n])));
    }
    form.append(row);
  }
  return form;
}

function numberInput(row, rule, field, value) {
  const { fmt } = ctx;
  const key = `${rule}.${field}`;
  const id = `care-rule-${rule}-${field}`.replaceAll('_', '-');
  const money = field === 'min_amount';
  const input = h('input', {
    id,
    name: key,
    class: ['num', 'care-num', money && 'money'],
    inputmode: money || field === 'factor' ? 'decimal' : 'numeric',
    autocomplete: 'off',
    'aria-label': C(`param.${field}`),
    dataset: { saved: String(value ?? '') },
  });
  let read;
  if (money) {
    input.value = fmt.amountToInput(value);
    bindAmountInput(input, fmt);
    read = () => input.dataset.value ?? '';
  } else if (field === 'factor') {
    input.value = decimalToInput(value, fmt.locale);
    read = () => decimalFromInput(input.value);
  } else {
    input.value = value === undefined || value === null ? '' : String(value);
    read = () => input.value.trim();
  }
  const show = (saved) => {
    input.value = money
      ? fmt.amountToInput(saved)
      : field === 'factor'
        ? decimalToInput(saved, fmt.locale)
        : String(saved ?? '');
    if (money) input.dispatchEvent(new Event('input'));
  };
  autosave(input, {
    read: () => read() || null,
    held: () => input.dataset.saved,
    show,
    t: (k) => ctx.t(k),
    mark: () => row.querySelector('.saved-mark'),
    clearError: () => clearRuleError(row),
    showError: (err) => ruleError(row, input, err),
    save: async (raw) => {
      const ok = money || field === 'factor' ? /^\d+(\.\d+)?$/.test(raw) : /^\d+$/.test(raw);
      if (!ok) throw { code: 'care.rule_invalid', params: { key, value: input.value } };
      await saveRule(row, key, money || field === 'factor' ? raw : Number(raw));
      return input.dataset.saved;
    },
  });
  // "từ 500.000 ₫ trở lên": an amount shows its currency like every other amount.
  return money
    ? h('span', { class: 'suffix-wrap compact care-money' }, input, h('span', { class: 'suffix' }, fmt.symbol))
    : input;
}

function clearRuleError(row) {
  clearFieldError(row.querySelector('.care-rule-anchor'));
  row.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
}

/** "Giá trị không hợp lệ cho quy tắc Hỏi thăm sau mua (số ngày): …", under the rule's sentence. */
function ruleError(row, input, err) {
  const key = err.params?.key;
  const [rule, field] = typeof key === 'string' ? key.split('.') : [];
  const label = rule && ctx.t.has(`care.kind.${rule}`) ? `${ctx.t(`care.kind.${rule}`)} (${C(`param.${field}`)})` : key;
  clearRuleError(row);
  // params.key may name another field than the one just edited.
  const target = (key && row.closest('form')?.elements[key]) || input;
  const targetRow = target.closest('.care-rule') ?? row;
  showFieldError(
    targetRow.querySelector('.care-rule-anchor'),
    ctx.t.error({ ...err, params: { ...err.params, key: label } }),
  );
  target.setAttribute('aria-invalid', 'true');
  const active = document.activeElement;
  if (!active || active === document.body || active === target) target.focus();
}

/** Saves one key; the caller shows the outcome. Every input's "saved" value follows core. */
async function saveRule(row, key, value) {
  const rules = await api.reminderRulesSet({ [key]: value });
  const form = row.closest('form');
  if (!form) return;
  for (const el of form.querySelectorAll('input.care-num')) {
    const [r, f] = el.name.split('.');
    if (rules?.[r]?.[f] !== undefined) el.dataset.saved = String(rules[r][f]);
  }
}

/** The on/off switch of a rule: saved at once, put back when core refuses. */
async function saveToggle(row, key, input) {
  const mark = row.querySelector('.saved-mark');
  clearRuleError(row);
  fill(mark);
  try {
    await saveRule(row, key, input.checked);
    if (row.isConnected) fill(mark, icon('check'), ctx.t('autosave.saved'));
  } catch (err) {
    if (!row.isConnected) {
      ctx.showError(err);
      return;
    }
    input.checked = !input.checked;
    row.classList.toggle('off', !input.checked);
    ruleError(row, input, err);
  }
}

// ---------- message templates ----------

function select(template, redraw = true) {
  tpl.selected = template?.id ?? null;
  tpl.draft = template
    ? { id: template.id, name: template.name, body: template.body }
    : { id: null, name: '', body: '' };
  tpl.dirty = false;
  if (redraw) drawTemplates();
}

function templatesBlock() {
  return h(
    'div',
    { class: 'templates-block' },
    h(
      'div',
      { class: 'template-list-wrap' },
      h('ul', { class: 'template-list', id: 'template-list', role: 'listbox', 'aria-label': C('templates_title') }),
      h(
        'button',
        { type: 'button', class: 'ghost small', id: 'template-new', onclick: newTemplate },
        icon('plus'),
        C('template_new'),
      ),
    ),
    h('div', { class: 'template-editor', id: 'template-editor' }),
    lateDraw(),
  );
}

/** Fills the list and the editor once the block is in the document. */
function lateDraw() {
  queueMicrotask(drawTemplates);
  return null;
}

function drawTemplates() {
  const list = box?.querySelector('#template-list');
  const editor = box?.querySelector('#template-editor');
  if (!list || !editor) return;
  fill(
    list,
    tpl.list.length
      ? tpl.list.map((x) =>
          h(
            'li',
            {
              role: 'option',
              tabindex: '0',
              class: ['template-item', x.id === tpl.selected && 'selected'],
              dataset: { id: String(x.id) },
              'aria-selected': String(x.id === tpl.selected),
              onclick: () => choose(x),
              onkeydown: (e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  choose(x);
                } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                  e.preventDefault();
                  (e.key === 'ArrowDown'
                    ? e.currentTarget.nextElementSibling
                    : e.currentTarget.previousElementSibling
                  )?.focus();
                }
              },
            },
            h(
              'div',
              { class: 'template-item-head' },
              h('span', { class: 'template-name', title: templateTitle(ctx.t, x) }, templateTitle(ctx.t, x)),
              x.builtin && h('span', { class: 'badge muted' }, C('builtin')),
            ),
            h('div', { class: 'template-snippet' }, x.body),
          ),
        )
      : h('li', { class: 'muted template-none' }, C('no_templates')),
  );
  fill(editor, editorForm());
}

async function choose(x) {
  if (x.id === tpl.selected && tpl.draft) return;
  if (
    tpl.dirty &&
    !(await confirmDialog({
      title: C('discard_title'),
      body: C('discard_body', { name: tpl.draft.name || C('untitled') }),
      confirm: C('discard_confirm'),
      cancel: C('discard_keep'),
    }))
  )
    return;
  select(x);
  box?.querySelector(`.template-item[data-id="${CSS.escape(String(x.id))}"]`)?.focus();
}

async function newTemplate() {
  if (
    tpl.dirty &&
    !(await confirmDialog({
      title: C('discard_title'),
      body: C('discard_body', { name: tpl.draft.name || C('untitled') }),
      confirm: C('discard_confirm'),
      cancel: C('discard_keep'),
    }))
  )
    return;
  select(null);
  box?.querySelector('#template-name')?.focus();
}

function chipFields() {
  const english = ctx.settings.language === 'en';
  const wanted = english ? EN_FIELDS : VI_FIELDS;
  const known = tpl.fields.length ? tpl.fields : wanted;
  const mine = wanted.filter((f) => known.includes(f));
  return mine.length ? mine : known;
}

function editorForm() {
  const { t } = ctx;
  const d = tpl.draft ?? { id: null, name: '', body: '' };
  const saved = h(
    'span',
    { class: 'saved-mark', 'aria-live': 'polite' },
    tpl.dirty && h('span', { class: 'unsaved' }, C('unsaved')),
  );
  const changed = () => {
    tpl.dirty = true;
    fill(saved, h('span', { class: 'unsaved' }, C('unsaved')));
    count();
    if (d.id !== null) box?.querySelector('.preview-stale')?.classList.remove('hidden');
  };
  const name = h('input', {
    name: 'name',
    id: 'template-name',
    autocomplete: 'off',
    maxlength: '60',
    value: d.name,
    placeholder: C('name_placeholder'),
    oninput: (e) => {
      d.name = e.target.value;
      changed();
    },
  });
  const body = h('textarea', {
    name: 'body',
    id: 'template-body',
    rows: '5',
    spellcheck: 'false',
    value: d.body,
    placeholder: C('body_placeholder'),
    oninput: (e) => {
      d.body = e.target.value;
      changed();
    },
  });
  const counter = h('span', { class: 'char-count muted small', id: 'template-count' });
  const count = () => {
    counter.textContent = C('chars', { count: ctx.fmt.number(body.value.length) });
  };
  count();
  const chips = h(
    'div',
    { class: 'merge-chips', id: 'template-fields', role: 'group', 'aria-label': C('fields_label') },
    chipFields().map((f) =>
      h(
        'button',
        {
          type: 'button',
          class: 'merge-chip',
          dataset: { field: f },
          title: C('insert_field', { field: `{${f}}` }),
          onmousedown: (e) => e.preventDefault(), // keep the caret in the textarea
          onclick: () => insertField(body, f),
        },
        h('code', {}, `{${f}}`),
        h('span', {}, fieldLabel(f)),
      ),
    ),
  );
  const del =
    d.id !== null &&
    h(
      'button',
      { type: 'button', class: 'ghost danger-text', id: 'template-delete', onclick: () => removeTemplate(d) },
      icon('x'),
      C('delete'),
    );
  const save = h('button', { type: 'submit', class: 'primary', id: 'template-save' }, t('common.save'));
  const form = h(
    'form',
    {
      class: 'template-form',
      id: 'template-form',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        save.disabled = true;
        try {
          const out = await api.templateSave({ id: d.id ?? undefined, name: name.value.trim(), body: body.value });
          const i = tpl.list.findIndex((x) => x.id === out.id);
          if (i >= 0) tpl.list[i] = out;
          else tpl.list.push(out);
          select(out);
          const mark = box?.querySelector('#template-form .saved-mark');
          if (mark) fill(mark, icon('check'), t('settings.saved_field'));
          box?.querySelector('#template-save')?.focus();
        } catch (err) {
          save.disabled = false;
          if (form.isConnected) ctx.showError(err, form);
          else ctx.showError(err);
        }
      },
      onkeydown: (e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          form.requestSubmit();
        }
      },
    },
    h(
      'div',
      { class: 'field' },
      h('label', { class: 'label', for: 'template-name' }, C('name')),
      name,
      h('span', { class: 'hint' }, C('name_hint')),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { class: 'label', for: 'template-body' }, C('body'), h('span', { class: 'spacer' }), counter),
      body,
    ),
    h(
      'div',
      { class: 'field' },
      h('span', { class: 'label' }, C('fields_label')),
      chips,
      h('span', { class: 'hint' }, C('fields_hint')),
    ),
    h('div', { class: 'form-actions' }, del, h('span', { class: 'spacer' }), saved, save),
  );
  return [form, previewBlock(d)];
}

function fieldLabel(f) {
  const vi = VI_OF[f] ?? f;
  return ctx.t.has(`care_settings.fields.${vi}`) ? C(`fields.${vi}`) : f;
}

function insertField(textarea, field) {
  const text = `{${field}}`;
  const start = textarea.selectionStart ?? textarea.value.length;
  const end = textarea.selectionEnd ?? start;
  textarea.focus();
  textarea.setRangeText(text, start, end, 'end');
  textarea.dispatchEvent(new Event('input', { bubbles: true })); // marks the draft as changed
}

async function removeTemplate(d) {
  const ok = await confirmDialog({
    title: C('delete_title', { name: d.name }),
    body: C(tpl.list.find((x) => x.id === d.id)?.builtin ? 'delete_body_builtin' : 'delete_body'),
    confirm: C('delete'),
    cancel: ctx.t('common.cancel'),
    danger: true,
  });
  if (!ok) {
    box?.querySelector('#template-delete')?.focus();
    return;
  }
  try {
    await api.templateDelete(d.id);
    tpl.list = tpl.list.filter((x) => x.id !== d.id);
    toast(C('deleted', { name: d.name }), 'success');
    select(tpl.list[0] ?? null);
    box?.querySelector('.template-item.selected, #template-new')?.focus();
  } catch (err) {
    ctx.showError(err);
  }
}

// ---------- preview for a sample customer ----------

function previewBlock(d) {
  const out = h('div', { class: 'template-preview', id: 'template-preview', 'aria-live': 'polite' });
  const who = h('div', { class: 'preview-who' });
  const latest = latestOnly();
  const wrap = h(
    'div',
    { class: 'preview-card' },
    h('div', { class: 'preview-head' }, h('span', { class: 'label' }, C('preview')), who),
    out,
    h('p', { class: ['hint', 'preview-stale', (!tpl.dirty || d.id === null) && 'hidden'] }, C('preview_saved_version')),
  );

  async function render() {
    if (!wrap.isConnected) return;
    if (d.id === null) {
      fill(out, h('p', { class: 'muted small' }, C('preview_save_first')));
      return;
    }
    if (!tpl.sample) {
      fill(out, h('p', { class: 'muted small' }, C('preview_no_customer')));
      return;
    }
    try {
      const r = await latest(
        api.templateRender(
          d.name && !tpl.dirty ? d.name : (tpl.list.find((x) => x.id === d.id)?.name ?? d.name),
          tpl.sample.id,
        ),
      );
      if (r === STALE || !wrap.isConnected) return;
      fill(
        out,
        h('p', { class: 'preview-text', id: 'template-preview-text' }, r.text),
        r.missing?.length
          ? h(
              'p',
              { class: 'preview-missing warn-text small', id: 'template-preview-missing' },
              icon('x'),
              C('preview_missing', { fields: r.missing.map((f) => `{${f}} ${fieldLabel(f)}`).join(', ') }),
            )
          : h('p', { class: 'preview-ok small' }, icon('check'), C('preview_complete')),
      );
    } catch (err) {
      if (wrap.isConnected) fill(out, h('p', { class: 'notice error' }, ctx.t.error(err)));
    }
  }

  function drawWho() {
    fill(
      who,
      tpl.sample
        ? [
            h('span', { class: 'preview-name', id: 'template-sample' }, tpl.sample.name),
            h('span', { class: 'phone muted small' }, tpl.sample.phone_display),
            h(
              'button',
              { type: 'button', class: 'link', id: 'template-sample-change', onclick: pickCustomer },
              C('preview_change'),
            ),
          ]
        : h(
            'button',
            { type: 'button', class: 'link', id: 'template-sample-change', onclick: pickCustomer },
            C('preview_pick'),
          ),
    );
  }

  function pickCustomer() {
    const results = h('ul', { class: 'today-picker preview-picker', role: 'listbox', id: 'template-sample-results' });
    const search = h('input', {
      type: 'search',
      id: 'template-sample-search',
      autocomplete: 'off',
      placeholder: ctx.t('today.customer_placeholder'),
      'aria-label': C('preview_pick'),
      onkeydown: (e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          drawWho();
          box?.querySelector('#template-sample-change')?.focus();
        } else if (e.key === 'ArrowDown') {
          e.preventDefault();
          results.querySelector('li')?.focus();
        } else if (e.key === 'Enter') {
          e.preventDefault();
          results.querySelector('li')?.click();
        }
      },
      oninput: () => find(),
    });
    const pick = (c) => {
      tpl.sample = c;
      drawWho();
      render();
      box?.querySelector('#template-sample-change')?.focus();
    };
    const find = debounce(async () => {
      const q = search.value.trim();
      if (!q) {
        fill(results);
        return;
      }
      try {
        const rows = await api.customerSearch(q, 6);
        if (!search.isConnected) return;
        fill(
          results,
          rows.map((c) =>
            h(
              'li',
              {
                tabindex: '-1',
                role: 'option',
                class: 'today-pick',
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
            ),
          ),
        );
      } catch (err) {
        ctx.showError(err);
      }
    }, 150);
    fill(who, h('div', { class: 'today-picker-wrap preview-search' }, search, results));
    search.focus();
  }

  drawWho();
  queueMicrotask(async () => {
    if (!tpl.sample) {
      try {
        const page = await api.customerList({ sort: 'total_spent', desc: true, offset: 0, limit: 1 });
        tpl.sample = page.rows?.[0] ?? null;
      } catch {
        tpl.sample = null;
      }
      if (!wrap.isConnected) return;
      drawWho();
    }
    render();
  });
  return wrap;
}
