// Settings: each value is saved on its own with settings_set({key, value}) (loyalty rules
// with loyalty_set({rules}), the tier table as a whole with loyalty_set_tiers); errors show in place.
// Staff (issue 9): the idle lock time (settings_set idle_lock_minutes) and the links to the
// staff accounts and the audit log. The whole screen is the owner's (app.js keeps cashiers out).
// About (issue 19): the version, the data's schema version, the data and log folders (each
// opened in the file manager with app_open_folder) and the logs exported for support
// (logs_export to a file the user picks). The shop's server: ./server-settings.js.
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
  toast,
} from '../lib/dom.js';
import { autosave } from '../lib/autosave.js';
import { backupSection, unmountBackup } from './backup.js';
import { careSection } from './care-settings.js';
import { serverSection } from './server-settings.js';
import { shopToday } from '../lib/care-dialogs.js';
import {
  RULE_KEYS,
  MONEY_RULES,
  rulesExample,
  formatPointsTyping,
  pointsToInput,
  decimalToInput,
  decimalFromInput,
} from '../lib/loyalty.js';

const CURRENCIES = [
  'VND',
  'USD',
  'EUR',
  'JPY',
  'KRW',
  'CNY',
  'THB',
  'SGD',
  'AUD',
  'GBP',
  'TWD',
  'HKD',
  'MYR',
  'LAK',
  'KHR',
];
const TIMEZONES = [
  'Asia/Ho_Chi_Minh',
  'Asia/Bangkok',
  'Asia/Jakarta',
  'Asia/Singapore',
  'Asia/Kuala_Lumpur',
  'Asia/Manila',
  'Asia/Shanghai',
  'Asia/Hong_Kong',
  'Asia/Taipei',
  'Asia/Seoul',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Asia/Kolkata',
  'Asia/Dubai',
  'Europe/London',
  'Europe/Paris',
  'Europe/Berlin',
  'Europe/Moscow',
  'America/New_York',
  'America/Chicago',
  'America/Los_Angeles',
  'UTC',
];
const OTHER = '__other__';

let ctx = null;
let loyalty = null; // {config, tiers: [{name, threshold, multiplier}] being edited}
let loyaltyBox = null;
let aboutBox = null;

function mount(root, context) {
  ctx = context;
  const { t, settings: s } = ctx;

  const shopName = h('input', { id: 'settings-shop-name', name: 'shop_name', value: s.shop_name, autocomplete: 'off' });
  autosaveSetting(shopName, 'shop_name', {
    read: () => shopName.value.trim() || null,
    show: (v) => {
      shopName.value = v;
    },
  });

  const codes = CURRENCIES.includes(s.currency) ? CURRENCIES : [s.currency, ...CURRENCIES];
  const currencyOther = h('input', {
    id: 'settings-currency-other',
    name: 'currency_other',
    class: 'hidden',
    maxlength: '3',
    autocomplete: 'off',
    placeholder: t('settings.currency_other_placeholder'),
  });
  const currency = h(
    'select',
    { id: 'settings-currency', name: 'currency', disabled: s.currency_locked },
    codes.map((c) => h('option', { value: c, selected: c === s.currency }, currencyLabel(c))),
    h('option', { value: OTHER }, t('settings.currency_other')),
  );
  // Back to what core holds: the list shows it and the free-entry box goes away.
  const showCurrency = (v) => {
    currencyOther.value = '';
    currencyOther.classList.add('hidden');
    currency.value = v;
  };
  currency.addEventListener('change', () => {
    const other = currency.value === OTHER;
    currencyOther.classList.toggle('hidden', !other);
    if (other) currencyOther.focus();
  });
  // "Other…" itself is no value to save: the free-entry box saves.
  autosaveSetting(currency, 'currency', {
    read: () => (currency.value === OTHER ? s.currency : currency.value),
    show: showCurrency,
  });
  autosaveSetting(currencyOther, 'currency', {
    read: () => currencyOther.value.trim().toUpperCase() || null,
    show: showCurrency,
  });

  const zones = TIMEZONES.includes(s.timezone) ? TIMEZONES : [s.timezone, ...TIMEZONES];
  const timezone = h(
    'select',
    { id: 'settings-timezone', name: 'timezone' },
    zones.map((z) => h('option', { value: z, selected: z === s.timezone }, z.replaceAll('_', ' '))),
  );
  autosaveSetting(timezone, 'timezone', {
    read: () => timezone.value,
    show: (v) => {
      timezone.value = v;
    },
  });

  const language = h(
    'select',
    { id: 'settings-language', name: 'language' },
    ['vi', 'en'].map((l) => h('option', { value: l, selected: l === s.language, lang: l }, t(`language.${l}`))),
  );
  autosaveSetting(language, 'language', {
    read: () => language.value,
    show: (v) => {
      language.value = v;
    },
  });

  const field = (labelKey, control, hint) =>
    h(
      'label',
      { class: 'field' },
      h('span', { class: 'label' }, t(labelKey), h('span', { class: 'saved-mark', 'aria-live': 'polite' })),
      control,
      hint && h('span', { class: 'hint' }, hint),
    );
  const idle = h('input', {
    id: 'settings-idle-lock',
    name: 'idle_lock_minutes',
    class: 'num',
    type: 'number',
    min: '1',
    max: '240',
    step: '1',
    inputmode: 'numeric',
    autocomplete: 'off',
    value: String(s.idle_lock_minutes ?? 10),
  });
  autosaveSetting(idle, 'idle_lock_minutes', {
    read: () => idle.value.trim() || null,
    show: (v) => {
      idle.value = String(v ?? '');
    },
    below: () => idle.parentElement,
  });

  fill(
    root,
    h(
      'div',
      { class: 'settings' },
      h('header', { class: 'screen-header' }, h('h1', {}, t('settings.title'))),
      h(
        'div',
        { class: 'settings-grid' },
        h(
          'section',
          { class: 'card' },
          h('h2', {}, t('settings.shop_section')),
          h(
            'form',
            { class: 'settings-form', novalidate: true, onsubmit: (e) => e.preventDefault() },
            field('settings.shop_name', shopName),
            h(
              'div',
              { class: 'field' },
              h(
                'label',
                { class: 'label', for: 'settings-currency' },
                t('settings.currency'),
                h('span', { class: 'saved-mark' }),
              ),
              currency,
              currencyOther,
              s.currency_locked &&
                h(
                  'span',
                  { class: 'hint with-icon', id: 'settings-currency-locked' },
                  icon('lock'),
                  t('settings.currency_locked'),
                ),
            ),
            field('settings.timezone', timezone, t('settings.timezone_hint')),
          ),
        ),
        h(
          'section',
          { class: 'card' },
          h('h2', {}, t('settings.interface_section')),
          h(
            'form',
            { class: 'settings-form', novalidate: true, onsubmit: (e) => e.preventDefault() },
            field('settings.language', language),
          ),
        ),
        (loyaltyBox = h(
          'section',
          { class: 'card loyalty-settings', id: 'settings-loyalty' },
          h('h2', {}, icon('star'), t('settings.loyalty_title')),
          h('p', { class: 'loading' }, t('common.loading')),
        )),
        careSection(ctx),
        backupSection(ctx),
        serverSection(ctx),
        h(
          'section',
          { class: 'card', id: 'settings-transfer' },
          h('h2', {}, icon('transfer'), t('transfer.title')),
          h('p', { class: 'muted' }, t('transfer.settings_body')),
          h(
            'div',
            { class: 'form-actions card-actions' },
            h(
              'button',
              { type: 'button', class: 'primary', id: 'settings-import-open', onclick: () => ctx.navigate('import') },
              t('transfer.open'),
            ),
          ),
        ),
        ctx.can('manage_staff') &&
          h(
            'section',
            { class: 'card staff-settings', id: 'settings-staff' },
            h('h2', {}, icon('customers'), t('settings.staff_title')),
            h('p', { class: 'muted' }, t('settings.staff_body')),
            h(
              'form',
              { class: 'settings-form', novalidate: true, onsubmit: (e) => e.preventDefault() },
              h(
                'div',
                { class: 'field' },
                h(
                  'label',
                  { class: 'label', for: 'settings-idle-lock' },
                  t('auth.idle_lock'),
                  h('span', { class: 'saved-mark', 'aria-live': 'polite' }),
                ),
                h(
                  'div',
                  { class: 'suffix-wrap compact idle-wrap' },
                  idle,
                  h('span', { class: 'suffix' }, t('auth.minutes_unit')),
                ),
                h('span', { class: 'hint' }, t('auth.idle_lock_hint')),
              ),
            ),
            h(
              'div',
              { class: 'form-actions card-actions' },
              h(
                'button',
                { type: 'button', class: 'primary', id: 'settings-staff-open', onclick: () => ctx.navigate('staff') },
                icon('customers'),
                t('nav.staff'),
              ),
              h(
                'button',
                { type: 'button', class: 'ghost', id: 'settings-audit-open', onclick: () => ctx.navigate('audit') },
                icon('archive'),
                t('nav.audit'),
              ),
            ),
          ),
        (aboutBox = h(
          'section',
          { class: 'card about-settings', id: 'settings-about', 'aria-labelledby': 'settings-about-title' },
          h('h2', { id: 'settings-about-title' }, icon('info'), t('settings.about_title')),
          h('p', { class: 'loading' }, t('common.loading')),
        )),
      ),
    ),
  );
  loadLoyalty();
  loadAbout();
}

// ---------- about ----------

async function loadAbout() {
  const box = aboutBox;
  const title = () => h('h2', { id: 'settings-about-title' }, icon('info'), ctx.t('settings.about_title'));
  try {
    const about = await api.appAbout();
    if (box !== aboutBox || !box.isConnected) return;
    fill(box, title(), ...aboutBody(about));
  } catch (err) {
    if (box !== aboutBox) return;
    fill(box, title(), h('p', { class: 'notice error' }, ctx.t.error(err)));
  }
}

function aboutBody(about) {
  const { t } = ctx;
  const folder = (id, labelKey, path, which, buttonKey) => [
    h('dt', {}, t(labelKey)),
    h(
      'dd',
      { class: 'about-folder' },
      h('span', { class: 'path', id, title: path }, path || t('common.none')),
      h(
        'button',
        {
          type: 'button',
          class: 'ghost small',
          id: `${id}-open`,
          onclick: (e) => openFolder(which, e.currentTarget),
        },
        icon('folder'),
        t(buttonKey),
      ),
    ),
  ];
  const exportButton = h(
    'button',
    { type: 'button', class: 'primary', id: 'settings-logs-export', onclick: (e) => exportLogs(e.currentTarget) },
    icon('download'),
    t('settings.export_logs'),
  );
  return [
    h(
      'dl',
      { class: 'about' },
      h('dt', {}, t('settings.version')),
      h('dd', { id: 'settings-about-version' }, about.version),
      h('dt', {}, t('settings.schema_version')),
      h('dd', { id: 'settings-about-schema' }, String(about.schema_version)),
      ...folder('settings-data-dir', 'settings.data_dir', about.data_dir, 'data', 'settings.open_data'),
      ...folder('settings-log-dir', 'settings.log_dir', about.log_dir, 'logs', 'settings.open_logs'),
    ),
    h(
      'div',
      { class: 'about-logs' },
      h('p', { class: 'hint' }, t('settings.logs_hint')),
      h('div', { class: 'form-actions' }, exportButton),
    ),
  ];
}

async function openFolder(which, button) {
  button.disabled = true;
  try {
    await api.appOpenFolder(which);
  } catch (err) {
    // The core names the folder it could not show as a file it could not open: say "folder".
    if (err.code === 'db.open_failed' && err.params?.path)
      toast(ctx.t('settings.open_folder_failed', { path: err.params.path }), 'error');
    else ctx.showError(err);
  } finally {
    button.disabled = false;
  }
}

async function exportLogs(button) {
  const { t, fmt } = ctx;
  let path;
  try {
    path = await api.pickSavePath(`${t('settings.logs_file')}-${shopToday(fmt).replaceAll('-', '')}.txt`, [
      { name: t('settings.logs_filter'), extensions: ['txt'] },
    ]);
  } catch (err) {
    ctx.showError(err);
    return;
  }
  if (!path) return;
  const label = [...button.childNodes];
  button.disabled = true;
  fill(button, h('span', { class: 'spinner' }), t('settings.exporting_logs'));
  try {
    const bytes = await api.logsExport(path);
    toast(t('settings.logs_exported', { size: fmt.bytes(bytes), path }), 'success', 8000);
  } catch (err) {
    ctx.showError(err);
  } finally {
    button.disabled = false;
    fill(button, ...label);
  }
}

// ---------- loyalty ----------

async function loadLoyalty() {
  const box = loyaltyBox;
  try {
    const config = await api.loyaltyGet();
    if (box !== loyaltyBox || !box.isConnected) return;
    // Unsaved tier edits survive a re-render (e.g. a language switch) of the same screen.
    loyalty = { config, tiers: loyalty?.dirty ? loyalty.tiers : tierRows(config), dirty: !!loyalty?.dirty };
    renderLoyalty();
  } catch (err) {
    if (box !== loyaltyBox) return;
    fill(
      box,
      h('h2', {}, icon('star'), ctx.t('settings.loyalty_title')),
      h('p', { class: 'notice error' }, ctx.t.error(err)),
    );
  }
}

const tierRows = (config) =>
  config.tiers.map((x) => ({ name: x.name, threshold: x.threshold, multiplier: String(x.multiplier) }));

function renderLoyalty() {
  const { t } = ctx;
  fill(
    loyaltyBox,
    h('h2', {}, icon('star'), t('settings.loyalty_title')),
    h('p', { class: 'muted intro' }, t('settings.loyalty_body')),
    h(
      'div',
      { class: 'loyalty-columns' },
      h(
        'div',
        { class: 'loyalty-rules' },
        h('h3', {}, t('settings.rules_title')),
        rulesForm(),
        h('p', { class: 'rules-example', id: 'settings-rules-example' }),
      ),
      h('div', { class: 'loyalty-tiers' }, h('h3', {}, t('settings.tiers_title')), tiersForm()),
    ),
  );
  renderExample();
}

const RULE_UNITS = {
  min_redeem: 'loyalty.points_unit',
  birthday_bonus: 'loyalty.points_unit',
  max_redeem_percent: null,
  expiry_months: 'settings.months_unit',
};

function rulesForm() {
  const { t, fmt } = ctx;
  const rules = loyalty.config.rules;
  const rule = (key) => {
    const id = `settings-rule-${key.replaceAll('_', '-')}`;
    const money = MONEY_RULES.includes(key);
    const input = h('input', {
      id,
      name: key,
      class: 'num',
      inputmode: money ? 'decimal' : 'numeric',
      autocomplete: 'off',
    });
    let read; // the value to send, or null when the field is empty
    let show; // core's value into the field
    if (money) {
      input.value = fmt.amountToInput(rules[key]);
      bindAmountInput(input, fmt);
      read = () => input.dataset.value || null;
      show = (v) => {
        input.value = fmt.amountToInput(v);
        input.dispatchEvent(new Event('input'));
      };
    } else {
      input.value = pointsToInput(rules[key], fmt.locale);
      input.addEventListener('input', () => {
        const r = formatPointsTyping(input.value, input.selectionStart ?? input.value.length, { locale: fmt.locale });
        if (input.value !== r.text) {
          input.value = r.text;
          input.setSelectionRange(r.caret, r.caret);
        }
      });
      read = () => formatPointsTyping(input.value, 0, { locale: fmt.locale }).value;
      show = (v) => {
        input.value = pointsToInput(v, fmt.locale);
      };
    }
    const suffix = money ? fmt.symbol : key === 'max_redeem_percent' ? '%' : t(RULE_UNITS[key]);
    autosave(input, {
      read,
      show,
      t: (k) => ctx.t(k),
      held: () => loyalty.config.rules[key],
      save: async (value) => {
        loyalty.config = await api.loyaltySet({ [key]: value });
        renderExample();
        return loyalty.config.rules[key];
      },
      clearError: () => {
        clearFieldError(input);
        clearFieldError(input.parentElement);
      },
      showError: (err) => {
        if (!input.isConnected) {
          ctx.showError(err);
          return;
        }
        // params.field names the rule (e.g. "earn_per"); it is this input unless told otherwise.
        const target = input.form?.elements[err.params?.field] ?? input;
        clearFieldError(target.parentElement);
        showFieldErrorBelow(target, target.parentElement, ctx.t.error(err));
        // Saved on blur too: do not pull the user back from the field they moved on to.
        const active = document.activeElement;
        if (!active || active === document.body || active === target) target.focus();
      },
    });
    return h(
      'div',
      { class: 'field' },
      h(
        'label',
        { class: 'label', for: id },
        t(`settings.rule_${key}`),
        h('span', { class: 'saved-mark', 'aria-live': 'polite' }),
      ),
      h('div', { class: 'suffix-wrap' }, input, h('span', { class: 'suffix' }, suffix)),
      h('span', { class: 'hint' }, t(`settings.rule_${key}_hint`)),
    );
  };
  return h(
    'form',
    { class: 'rules-form', id: 'settings-rules', novalidate: true, onsubmit: (e) => e.preventDefault() },
    RULE_KEYS.map(rule),
  );
}

function renderExample() {
  const el = loyaltyBox?.querySelector('#settings-rules-example');
  if (!el) return;
  const { t, fmt } = ctx;
  const ex = rulesExample(loyalty.config.rules, fmt.exponent);
  fill(
    el,
    ex && [
      icon('sparkle'),
      h(
        'span',
        {},
        t('settings.rules_example', {
          amount: fmt.money(ex.amount),
          points: fmt.number(ex.points),
          value: fmt.money(ex.value),
          percent: fmt.number(ex.percent, 2),
        }),
      ),
    ],
  );
}

/** The tiers as an editable table, saved together (names, thresholds, multipliers). */
function tiersForm() {
  const { t, fmt } = ctx;
  const rows = loyalty.tiers;
  const tbody = h('tbody');
  const errorAnchor = h('div', { class: 'tiers-error-anchor', 'data-field': 'tiers' });
  const saved = h('span', { class: 'saved-mark', 'aria-live': 'polite' });
  const unsaved = () => fill(saved, h('span', { class: 'unsaved' }, t('settings.tiers_unsaved')));
  const changed = () => {
    loyalty.dirty = true;
    unsaved();
  };
  if (loyalty.dirty) unsaved();
  const drawRows = () => {
    fill(
      tbody,
      rows.map((row, i) => {
        const name = h('input', {
          name: 'tier_name',
          value: row.name,
          autocomplete: 'off',
          'aria-label': t('settings.tier_name'),
          oninput: (e) => {
            row.name = e.target.value;
            changed();
          },
        });
        const threshold = h('input', {
          name: 'tier_threshold',
          class: 'num',
          inputmode: 'decimal',
          autocomplete: 'off',
          value: fmt.amountToInput(row.threshold),
          'aria-label': t('settings.tier_threshold'),
        });
        bindAmountInput(threshold, fmt, (v) => {
          if (v !== row.threshold) {
            row.threshold = v;
            changed();
          }
        });
        const multiplier = h('input', {
          name: 'tier_multiplier',
          class: 'num',
          inputmode: 'decimal',
          autocomplete: 'off',
          value: decimalToInput(row.multiplier, fmt.locale),
          'aria-label': t('settings.tier_multiplier'),
          oninput: (e) => {
            row.multiplier = decimalFromInput(e.target.value);
            changed();
          },
        });
        return h(
          'tr',
          { dataset: { index: i } },
          h('td', {}, name),
          h(
            'td',
            {},
            h('div', { class: 'suffix-wrap compact' }, threshold, h('span', { class: 'suffix' }, fmt.symbol)),
          ),
          h(
            'td',
            {},
            h('div', { class: 'suffix-wrap compact with-prefix' }, h('span', { class: 'prefix' }, '×'), multiplier),
          ),
          h(
            'td',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'icon-button',
                title: t('settings.tier_remove'),
                'aria-label': t('settings.tier_remove'),
                disabled: rows.length <= 1,
                onclick: () => {
                  rows.splice(i, 1);
                  changed();
                  drawRows();
                  tbody.querySelector(`tr:nth-child(${Math.min(i + 1, rows.length)}) input`)?.focus();
                },
              },
              icon('x'),
            ),
          ),
        );
      }),
    );
  };
  drawRows();
  const add = h(
    'button',
    {
      type: 'button',
      class: 'ghost small',
      id: 'settings-tier-add',
      onclick: () => {
        rows.push({ name: '', threshold: '', multiplier: '1' });
        changed();
        drawRows();
        tbody.querySelector('tr:last-child input')?.focus();
      },
    },
    icon('plus'),
    t('settings.tier_add'),
  );
  const save = h('button', { type: 'submit', class: 'primary', id: 'settings-tiers-save' }, t('settings.tiers_save'));
  const form = h(
    'form',
    {
      class: 'tiers-form',
      id: 'settings-tiers-form',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        save.disabled = true;
        try {
          loyalty.config = await api.loyaltySetTiers(
            rows.map((r) => ({ name: r.name.trim(), threshold: r.threshold || '', multiplier: r.multiplier || '' })),
          );
          loyalty.tiers = tierRows(loyalty.config);
          loyalty.dirty = false;
          if (!form.isConnected) return;
          fill(form.parentElement, h('h3', {}, t('settings.tiers_title')), tiersForm());
          const mark = loyaltyBox.querySelector('.tiers-form .saved-mark');
          if (mark) fill(mark, icon('check'), t('settings.saved_field'));
          loyaltyBox.querySelector('#settings-tiers-save')?.focus();
        } catch (err) {
          save.disabled = false;
          if (!form.isConnected) {
            ctx.showError(err);
            return;
          }
          showFieldError(errorAnchor, ctx.t.error(err));
          // The specific codes name the tier at fault: mark the field of its row(s).
          const column = {
            'loyalty.tier_duplicate': 0,
            'loyalty.tier_threshold_invalid': 1,
            'loyalty.tier_multiplier_invalid': 2,
          }[err.code];
          if (err.params?.name && column !== undefined) {
            rows.forEach((r, i) => {
              if (r.name.trim().toLowerCase() === String(err.params.name).toLowerCase())
                tbody.children[i]?.querySelectorAll('input')[column]?.setAttribute('aria-invalid', 'true');
            });
          }
        }
      },
    },
    h('p', { class: 'hint' }, t('settings.tiers_hint')),
    errorAnchor,
    h(
      'table',
      { class: 'tiers-table', id: 'settings-tiers' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, t('settings.tier_name')),
          h('th', { class: 'num' }, t('settings.tier_threshold')),
          h('th', { class: 'num' }, t('settings.tier_multiplier')),
          h('th'),
        ),
      ),
      tbody,
    ),
    h('div', { class: 'form-actions' }, add, h('span', { class: 'spacer' }), saved, save),
  );
  return form;
}

/** An unknown ISO code still gets a readable label when the runtime knows its name. */
function currencyLabel(code) {
  try {
    const name = new Intl.DisplayNames([ctx.fmt.locale], { type: 'currency' }).of(code);
    return name && name !== code ? `${code} — ${name}` : code;
  } catch {
    return code;
  }
}

/**
 * A setting saved on its own (settings_set) through the shared autosave behaviour.
 * opts: read, show, and below() (the box under which an error goes, if not the input).
 */
function autosaveSetting(input, key, { read, show, below = null }) {
  const s = ctx.settings;
  autosave(input, {
    read,
    show,
    t: (k) => ctx.t(k),
    held: () => s[key],
    save: async (value) => {
      const saved = await api.settingsSet(key, value);
      // applySettings re-renders this screen (and relabels everything on a language change).
      await ctx.applySettings(saved);
      return saved[key];
    },
    clearError: () => {
      clearFieldError(input);
      if (below) clearFieldError(below());
    },
    showError: (err) => {
      if (!input.isConnected || !err.params?.field) {
        ctx.showError(err);
        return;
      }
      if (below) showFieldErrorBelow(input, below(), ctx.t.error(err));
      else showFieldError(input, ctx.t.error(err));
      const active = document.activeElement;
      if (!active || active === document.body || active === input) input.focus();
    },
  });
}

export default { mount, unmount: unmountBackup };
