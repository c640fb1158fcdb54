// Shell of the app: loads settings and messages, draws the sidebar, routes between
// screens (#counter, #customers, #profile/<id>, #duplicates, #settings, #import, #reminders,
// #reports) and owns the global shortcuts, progress bar and error reporting.
import * as api from './lib/api.js';
import { createTranslator } from './lib/i18n.js';
import { makeFormatter } from './lib/format.js';
import { h, fill, icon, toast, showFieldError } from './lib/dom.js';
import counter from './screens/counter.js';
import customers from './screens/customers.js';
import profile from './screens/profile.js';
import settings from './screens/settings.js';
import reminders from './screens/today.js';
import reports from './screens/reports.js';
import transfer from './screens/transfer.js';
import duplicates from './screens/duplicates.js';

const SCREENS = { counter, customers, profile, settings, reminders, reports, import: transfer, duplicates };
// Sub-pages highlight the sidebar entry they belong to.
const NAV_OF = { profile: 'customers', duplicates: 'customers', import: 'settings' };

// Sidebar entries and their shortcuts. F5 is left alone (reload in webviews);
// F2–F4 and F6 sit next to it; Ctrl+, is the usual "preferences" key.
const NAV = [
  { id: 'counter', icon: 'counter', key: 'F2' },
  { id: 'customers', icon: 'customers', key: 'F3' },
  { id: 'reminders', icon: 'reminders', key: 'F4' },
  { id: 'reports', icon: 'reports', key: 'F6' },
  { id: 'settings', icon: 'settings', key: 'Ctrl+,' },
];

const catalogs = {};
let ctx = null; // rebuilt on every settings change; screens get it at mount
let current = null; // {screen, name, param}
let screenRoot = null;

async function loadCatalog(lang) {
  const res = await fetch(new URL(`./i18n/${lang}.json`, import.meta.url));
  return res.json();
}

function parseHash() {
  const [name, param] = location.hash.replace(/^#/, '').split('/');
  return SCREENS[name] ? { name, param: param ? decodeURIComponent(param) : null } : { name: 'counter', param: null };
}

function navigate(name, param = null) {
  const hash = `#${name}${param ? `/${encodeURIComponent(param)}` : ''}`;
  if (location.hash === hash) mountCurrent();
  else location.hash = hash; // hashchange mounts
}

/** Shows err next to the form field named by params.field, else as a toast. */
function showError(err, form = null) {
  const field = err?.params?.field;
  const input = field && form?.querySelector(`[name="${field}"], [data-field="${field}"]`);
  const message = ctx.t.error(err);
  if (input) {
    showFieldError(input, message);
    if (typeof input.focus === 'function') input.focus();
  } else {
    toast(message, 'error');
  }
}

// Error parameters that carry amounts as plain decimals (strings); shown as money in
// messages. Points arrive as JSON numbers ("max" is money for a refund, points for a redeem).
const MONEY_PARAMS = ['items_total', 'total', 'max'];
const POINT_PARAMS = ['min', 'balance', 'max'];

function buildContext(info, s) {
  const t = createTranslator(catalogs[s.language] ?? catalogs.vi, catalogs.vi);
  const fmt = makeFormatter({ language: s.language, currency: s.currency, exponent: s.currency_exponent, timeZone: s.timezone });
  const errorText = t.error;
  t.error = (err) => {
    const params = { ...err?.params };
    for (const k of MONEY_PARAMS) if (typeof params[k] === 'string' && /^-?\d+(\.\d+)?$/.test(params[k])) params[k] = fmt.money(params[k]);
    for (const k of POINT_PARAMS) if (typeof params[k] === 'number') params[k] = fmt.number(params[k]);
    // A loyalty rule is named by its key ("earn_per"): say it the way the settings screen does.
    if (err?.code === 'loyalty.invalid_rule' && t.has(`settings.rule_${params.key}`)) params.key = t(`settings.rule_${params.key}`);
    return errorText({ ...err, params });
  };
  return {
    t, fmt, info, settings: s, navigate, showError, applySettings,
    refreshInfo: async () => { Object.assign(ctx.info, await api.appInfo()); },
  };
}

function mountCurrent() {
  const { name, param } = parseHash();
  current?.screen.unmount?.();
  // A dialog belongs to the screen that opened it.
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
  const screen = SCREENS[name];
  current = { screen, name, param };
  fill(screenRoot);
  screenRoot.scrollTop = 0; // the scroll position belongs to the previous screen
  screenRoot.dataset.screen = name;
  const navName = NAV_OF[name] ?? name;
  for (const n of NAV) {
    const el = document.getElementById(`nav-${n.id}`);
    if (n.id === navName) el.setAttribute('aria-current', 'page'); else el.removeAttribute('aria-current');
  }
  screen.mount(screenRoot, ctx, param);
}

/** Applies new settings (e.g. a language switch) at once, keeping each screen's state. */
async function applySettings(s) {
  if (!catalogs[s.language]) catalogs[s.language] = await loadCatalog(s.language);
  ctx = buildContext(ctx.info, s);
  ctx.info.settings = s;
  document.documentElement.lang = s.language;
  document.title = ctx.t('app.name');
  relabelShell();
  const focusedId = document.activeElement?.id;
  const scroll = screenRoot.scrollTop;
  mountCurrent();
  screenRoot.scrollTop = scroll;
  if (focusedId) document.getElementById(focusedId)?.focus();
}

function buildShell() {
  const progress = h('div', { class: 'progress', id: 'progress', role: 'progressbar', 'aria-hidden': 'true' });
  api.onBusyChange((busy) => progress.classList.toggle('active', busy));
  const nav = h('nav', { class: 'nav', id: 'nav' },
    NAV.map((n) => h('a', { href: `#${n.id}`, id: `nav-${n.id}`, class: 'nav-item' },
      icon(n.icon), h('span', { class: 'nav-label' }), h('kbd', { class: 'nav-key' }, n.key))));
  const sidebar = h('aside', { class: 'sidebar' },
    h('div', { class: 'brand' }, h('div', { class: 'brand-mark' }, icon('store')),
      h('div', { class: 'brand-text' }, h('div', { class: 'brand-name' }), h('div', { class: 'brand-shop', id: 'brand-shop' }))),
    nav);
  screenRoot = h('main', { class: 'screen', id: 'screen', tabindex: '-1' });
  document.body.replaceChildren(progress, h('div', { class: 'app' }, sidebar, screenRoot));
}

function relabelShell() {
  const { t } = ctx;
  document.querySelector('.brand-name').textContent = t('app.name');
  document.getElementById('brand-shop').textContent = ctx.settings.shop_name || t('app.tagline');
  document.getElementById('nav').setAttribute('aria-label', t('nav.main'));
  for (const n of NAV) {
    const el = document.getElementById(`nav-${n.id}`);
    el.querySelector('.nav-label').textContent = t(`nav.${n.id}`);
    el.title = t('nav.shortcut', { key: n.key });
    el.setAttribute('aria-keyshortcuts', n.key.replace('Ctrl', 'Control'));
  }
}

function onKeydown(e) {
  if (document.querySelector('dialog[open]')) return; // a modal owns the keyboard
  let target = null;
  if (e.key === 'F2') target = 'counter';
  else if (e.key === 'F3') target = 'customers';
  else if (e.key === 'F4') target = 'reminders';
  else if (e.key === 'F6') target = 'reports';
  else if (e.key === ',' && (e.ctrlKey || e.metaKey)) target = 'settings';
  if (!target) return;
  e.preventDefault();
  if (target === 'counter' && current?.name === 'counter') counter.reset();
  else navigate(target);
}

/** When even app_info fails (e.g. db.schema_too_new) there is nothing to show but the
 * reason, in both languages since the settings holding the choice could not be read. */
async function showFatal(err) {
  catalogs.en ??= await loadCatalog('en');
  const [vi, en] = [createTranslator(catalogs.vi), createTranslator(catalogs.en)];
  document.body.replaceChildren(h('div', { class: 'fatal' },
    h('h1', {}, vi('app.load_failed')), h('p', {}, vi.error(err)),
    h('p', { class: 'muted', lang: 'en' }, `${en('app.load_failed')}: ${en.error(err)}`),
    h('button', { type: 'button', class: 'primary', onclick: () => location.reload() }, vi('app.retry'))));
}

async function start() {
  catalogs.vi = await loadCatalog('vi');
  let info;
  try {
    info = await api.appInfo();
  } catch (err) {
    showFatal(err);
    return;
  }
  const s = info.settings;
  if (s.language !== 'vi') catalogs[s.language] = await loadCatalog(s.language);
  ctx = buildContext(info, s);
  document.documentElement.lang = s.language;
  document.title = ctx.t('app.name');
  buildShell();
  relabelShell();
  window.addEventListener('hashchange', mountCurrent);
  document.addEventListener('keydown', onKeydown);
  mountCurrent();
  performance.mark('kq-ready'); // read by the window benchmark
}

start();
