// Settings: each value is saved on its own with settings_set({key, value}); errors show in place.
import * as api from '../lib/api.js';
import { h, fill, icon, clearFieldErrors, showFieldError } from '../lib/dom.js';

const CURRENCIES = ['VND', 'USD', 'EUR', 'JPY', 'KRW', 'CNY', 'THB', 'SGD', 'AUD', 'GBP', 'TWD', 'HKD', 'MYR', 'LAK', 'KHR'];
const TIMEZONES = [
  'Asia/Ho_Chi_Minh', 'Asia/Bangkok', 'Asia/Jakarta', 'Asia/Singapore', 'Asia/Kuala_Lumpur', 'Asia/Manila',
  'Asia/Shanghai', 'Asia/Hong_Kong', 'Asia/Taipei', 'Asia/Seoul', 'Asia/Tokyo', 'Australia/Sydney',
  'Asia/Kolkata', 'Asia/Dubai', 'Europe/London', 'Europe/Paris', 'Europe/Berlin', 'Europe/Moscow',
  'America/New_York', 'America/Chicago', 'America/Los_Angeles', 'UTC',
];
const OTHER = '__other__';

let ctx = null;

function mount(root, context) {
  ctx = context;
  const { t, settings: s, info } = ctx;

  const shopName = h('input', { id: 'settings-shop-name', name: 'shop_name', value: s.shop_name, autocomplete: 'off' });
  commitOnEnterOrBlur(shopName, () => shopName.value.trim() !== s.shop_name && save('shop_name', shopName.value.trim(), shopName));

  const codes = CURRENCIES.includes(s.currency) ? CURRENCIES : [s.currency, ...CURRENCIES];
  const currencyOther = h('input', { id: 'settings-currency-other', name: 'currency_other', class: 'hidden', maxlength: '3',
    autocomplete: 'off', placeholder: t('settings.currency_other_placeholder') });
  const currency = h('select', { id: 'settings-currency', name: 'currency', disabled: s.currency_locked },
    codes.map((c) => h('option', { value: c, selected: c === s.currency }, currencyLabel(c))),
    h('option', { value: OTHER }, t('settings.currency_other')));
  currency.addEventListener('change', () => {
    const other = currency.value === OTHER;
    currencyOther.classList.toggle('hidden', !other);
    if (other) currencyOther.focus(); else save('currency', currency.value, currency);
  });
  commitOnEnterOrBlur(currencyOther, () => currencyOther.value.trim() && save('currency', currencyOther.value.trim().toUpperCase(), currencyOther));

  const zones = TIMEZONES.includes(s.timezone) ? TIMEZONES : [s.timezone, ...TIMEZONES];
  const timezone = h('select', { id: 'settings-timezone', name: 'timezone' },
    zones.map((z) => h('option', { value: z, selected: z === s.timezone }, z.replaceAll('_', ' '))));
  timezone.addEventListener('change', () => save('timezone', timezone.value, timezone));

  const language = h('select', { id: 'settings-language', name: 'language' },
    ['vi', 'en'].map((l) => h('option', { value: l, selected: l === s.language, lang: l }, t(`language.${l}`))));
  language.addEventListener('change', () => save('language', language.value, language));

  const field = (labelKey, control, hint) => h('label', { class: 'field' },
    h('span', { class: 'label' }, t(labelKey), h('span', { class: 'saved-mark', 'aria-live': 'polite' })), control,
    hint && h('span', { class: 'hint' }, hint));
  const placeholder = (id, iconName, key) => h('section', { class: 'card placeholder', id: `settings-${id}` },
    h('h2', {}, icon(iconName), t(`settings.${key}_title`), h('span', { class: 'badge' }, t('common.coming_soon'))),
    h('p', { class: 'muted' }, t(`settings.${key}_body`)));

  fill(root, h('div', { class: 'settings' },
    h('header', { class: 'screen-header' }, h('h1', {}, t('settings.title'))),
    h('div', { class: 'settings-grid' },
      h('section', { class: 'card' }, h('h2', {}, t('settings.shop_section')),
        h('form', { class: 'settings-form', novalidate: true, onsubmit: (e) => e.preventDefault() },
          field('settings.shop_name', shopName),
          h('div', { class: 'field' }, h('label', { class: 'label', for: 'settings-currency' }, t('settings.currency'), h('span', { class: 'saved-mark' })),
            currency, currencyOther, s.currency_locked && h('span', { class: 'hint with-icon', id: 'settings-currency-locked' }, icon('lock'), t('settings.currency_locked'))),
          field('settings.timezone', timezone, t('settings.timezone_hint')))),
      h('section', { class: 'card' }, h('h2', {}, t('settings.interface_section')),
        h('form', { class: 'settings-form', novalidate: true, onsubmit: (e) => e.preventDefault() }, field('settings.language', language)),
        h('dl', { class: 'about' },
          h('dt', {}, t('settings.version')), h('dd', {}, info.version ?? t('common.none')),
          h('dt', {}, t('settings.data_dir')), h('dd', { class: 'path' }, info.data_dir ?? t('common.none')))),
      placeholder('loyalty', 'star', 'loyalty'),
      placeholder('backup', 'archive', 'backup'),
      placeholder('staff', 'customers', 'staff'))));
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

function commitOnEnterOrBlur(input, commit) {
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); commit(); } });
  input.addEventListener('change', commit);
}

async function save(key, value, input) {
  const form = input.closest('form') ?? input.parentElement;
  clearFieldErrors(form);
  try {
    const s = await api.settingsSet(key, value);
    // applySettings re-renders this screen (and relabels everything on a language change).
    await ctx.applySettings(s);
    const mark = document.getElementById(input.id)?.closest('.field')?.querySelector('.saved-mark');
    if (mark) fill(mark, icon('check'), ctx.t('settings.saved_field'));
  } catch (err) {
    // Show the message after the control the user actually used (the free-entry
    // currency box reports field "currency" too).
    if (err.params?.field) { showFieldError(input, ctx.t.error(err)); input.focus(); } else ctx.showError(err);
  }
}

export default { mount };
