// Shell of the app: loads settings and messages, draws the sidebar, routes between
// screens (#counter, #customers, #profile/<id>, #duplicates, #settings, #import, #reminders,
// #reports, #staff, #audit, #promotions) and owns the global shortcuts, progress bar and error reporting.
// Staff (issue 9): before anything else it asks auth_status and shows the first-run form or
// the lock screen (screens/lock.js); it knows who is signed in (ctx.actor, ctx.can), hides
// the owner's things from a cashier, and locks after idle time, on Ctrl+L, or whenever the
// core answers "auth.locked".
// Issue 19: first of all it asks app_startup; while an older data file is backed up and
// upgraded it shows that (the upgrade screen) instead, and once the shop is open it says what
// the upgrade did, offers to restore a backup the window was opened with (the owner only),
// and says a command's unexpected failure ("app.panic") once, whichever screen made the call.
import * as api from './lib/api.js';
import { createTranslator } from './lib/i18n.js';
import { makeFormatter } from './lib/format.js';
import { h, fill, icon, toast, showFieldError, confirmDialog } from './lib/dom.js';
import { may, routeAllowed, routePermission } from './lib/roles.js';
import { createIdleWatcher } from './lib/idle.js';
import { keptChip, refresh as refreshKept } from './lib/kept-bills.js';
import { showSetup, showLock, isLockShown } from './screens/lock.js';
import { requestRestore } from './screens/backup.js';
import staff from './screens/staff.js';
import audit from './screens/audit.js';
import counter from './screens/counter.js';
import customers from './screens/customers.js';
import profile from './screens/profile.js';
import settings from './screens/settings.js';
import reminders from './screens/reminders.js';
import reports from './screens/reports.js';
import importScreen from './screens/import.js';
import duplicates from './screens/duplicates.js';
import promotions from './screens/promotions.js';

const SCREENS = {
  counter,
  customers,
  profile,
  settings,
  reminders,
  reports,
  import: importScreen,
  duplicates,
  staff,
  audit,
  promotions,
};
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
// The owner's links under the user chip.
const OWNER_LINKS = [
  { id: 'promotions', icon: 'award' },
  { id: 'staff', icon: 'customers' },
  { id: 'audit', icon: 'archive' },
];

const catalogs = {};
let ctx = null; // rebuilt on every settings change; screens get it at mount
let current = null; // {screen, name, param}
let screenRoot = null;
let actor = null; // {staff_id, name, role, via} of who is signed in
let staffList = []; // active accounts, for the lock screen
let locked = false;
let pendingMount = false; // a route change that arrived while locked
let focusBeforeLock = null;
const idle = createIdleWatcher({ onIdle: () => lock('idle') });
let idleMinutes = null; // the shop's idle_lock_minutes, once known
function setIdleMinutes(m) {
  if (!m) return;
  idleMinutes = m;
  idle.setMinutes(m);
}
const REMEMBER_KEY = 'kq-shell';

async function loadCatalog(lang) {
  const res = await fetch(new URL(`./i18n/${lang}.json`, import.meta.url));
  return res.json();
}

function parseHash() {
  const [name, param] = location.hash.replace(/^#/, '').split('/');
  return SCREENS[name] ? { name, param: param ? decodeURIComponent(param) : null } : { name: 'counter', param: null };
}

/** The language and shop name of the last run: the lock screen shown at start speaks the
 * shop's language even though the settings can only be read once someone signs in. */
function remembered() {
  try {
    return JSON.parse(localStorage.getItem(REMEMBER_KEY)) ?? {};
  } catch {
    return {};
  }
}
function remember(s) {
  try {
    localStorage.setItem(REMEMBER_KEY, JSON.stringify({ language: s.language, shop_name: s.shop_name }));
  } catch {
    /* private mode */
  }
}

function setActor(a) {
  actor = a;
  api.setActor(a);
  // On <html>, which the shell never replaces: styles.css hides the owner's buttons inside
  // the screens from a cashier (the core refuses them anyway).
  if (a) document.documentElement.dataset.role = a.role;
  else delete document.documentElement.dataset.role;
}

function navigate(name, param = null) {
  const hash = `#${name}${param ? `/${encodeURIComponent(param)}` : ''}`;
  if (location.hash === hash) mountCurrent();
  else location.hash = hash; // hashchange mounts
}

/** Shows err next to the form field named by params.field, else as a toast. */
function showError(err, form = null) {
  if (api.announced(err)) return; // "app.panic": the shell has said it already
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
  const fmt = makeFormatter({
    language: s.language,
    currency: s.currency,
    exponent: s.currency_exponent,
    timeZone: s.timezone,
  });
  const errorText = t.error;
  t.error = (err) => {
    const params = { ...err?.params };
    for (const k of MONEY_PARAMS)
      if (typeof params[k] === 'string' && /^-?\d+(\.\d+)?$/.test(params[k])) params[k] = fmt.money(params[k]);
    for (const k of POINT_PARAMS) if (typeof params[k] === 'number') params[k] = fmt.number(params[k]);
    // A loyalty rule is named by its key ("earn_per"): say it the way the settings screen does.
    if (err?.code === 'loyalty.invalid_rule' && t.has(`settings.rule_${params.key}`))
      params.key = t(`settings.rule_${params.key}`);
    return errorText({ ...err, params: withPermission(t, params) });
  };
  return {
    t,
    fmt,
    info,
    settings: s,
    navigate,
    showError,
    applySettings,
    refreshInfo: async () => {
      Object.assign(ctx.info, await api.appInfo());
    },
    actor,
    /** May the signed-in user do what `permission` names (the catalogs' "permissions")? */
    can: (permission) => may(actor?.role, permission),
    lock: () => lock('manual'),
    refreshAuth,
  };
}

/** auth.forbidden says what was refused ({what}); a refusal made here carries only its permission. */
function withPermission(t, params) {
  if (params.what === undefined && params.permission && t.has(`permissions.${params.permission}`)) {
    return { ...params, what: t(`permissions.${params.permission}`) };
  }
  return params;
}

/** A translator for the screens in front of the app (before ctx exists). */
function bareTranslator(language) {
  const t = createTranslator(catalogs[language] ?? catalogs.vi, catalogs.vi);
  const errorText = t.error;
  t.error = (err) => errorText({ ...err, params: withPermission(t, { ...err?.params }) });
  return t;
}

// In place of an owner's screen for a cashier (reached by typing the address): it never
// mounts that screen, so its owner-only commands are never called.
const forbidden = {
  mount(root, c, _param, route) {
    const { t } = c;
    const what = t(`permissions.${routePermission(route)}`);
    fill(
      root,
      h(
        'div',
        { class: 'forbidden-wrap' },
        h(
          'section',
          { class: 'card forbidden', id: 'forbidden', 'aria-labelledby': 'forbidden-title' },
          h('div', { class: 'welcome-mark' }, icon('lock')),
          h('h1', { id: 'forbidden-title' }, t('auth.forbidden_title')),
          h('p', {}, t('auth.forbidden_body', { what, name: actor?.name ?? '' })),
          h(
            'div',
            { class: 'form-actions' },
            h(
              'button',
              { type: 'button', class: 'primary', id: 'forbidden-home', onclick: () => navigate('counter') },
              icon('counter'),
              t('auth.forbidden_home'),
            ),
            h(
              'button',
              { type: 'button', class: 'ghost', id: 'forbidden-switch', onclick: () => lock('manual') },
              icon('lock'),
              t('auth.switch_user'),
            ),
          ),
        ),
      ),
    );
    root.querySelector('#forbidden-home').focus();
  },
};

function mountCurrent() {
  if (locked) {
    pendingMount = true;
    return;
  } // mounted on unlock, for whoever signs in
  pendingMount = false;
  const { name, param } = parseHash();
  current?.screen.unmount?.();
  // A dialog belongs to the screen that opened it (the lock screen belongs to the app).
  for (const d of document.querySelectorAll('dialog[open]:not(.auth-screen)')) d.close();
  const screen = routeAllowed(actor?.role, name) ? SCREENS[name] : forbidden;
  current = { screen, name, param };
  fill(screenRoot);
  screenRoot.scrollTop = 0; // the scroll position belongs to the previous screen
  screenRoot.dataset.screen = name;
  const navName = NAV_OF[name] ?? name;
  for (const n of [...NAV, ...OWNER_LINKS]) {
    const el = document.getElementById(`nav-${n.id}`);
    if (n.id === navName) el.setAttribute('aria-current', 'page');
    else el.removeAttribute('aria-current');
  }
  screen.mount(screenRoot, ctx, param, name);
}

/** Applies new settings (e.g. a language switch) at once, keeping each screen's state. */
async function applySettings(s) {
  if (!catalogs[s.language]) catalogs[s.language] = await loadCatalog(s.language);
  ctx = buildContext(ctx.info, s);
  ctx.info.settings = s;
  remember(s);
  setIdleMinutes(s.idle_lock_minutes);
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
  const nav = h(
    'nav',
    { class: 'nav', id: 'nav' },
    NAV.map((n) =>
      h(
        'a',
        { href: `#${n.id}`, id: `nav-${n.id}`, class: 'nav-item' },
        icon(n.icon),
        h('span', { class: 'nav-label' }),
        h('kbd', { class: 'nav-key' }, n.key),
      ),
    ),
  );
  // Who is signed in, the owner's links, and the lock button, at the bottom of the sidebar.
  const userBox = h(
    'div',
    { class: 'user-box', id: 'user-box' },
    h(
      'div',
      { class: 'user-chip', id: 'user-chip' },
      h('span', { class: 'avatar small', id: 'user-avatar', 'aria-hidden': 'true' }),
      h(
        'div',
        { class: 'user-text' },
        h('div', { class: 'user-name', id: 'user-name' }),
        h('div', { class: 'user-role', id: 'user-role' }),
      ),
      // Anyone signed in, a cashier too, may switch the interface language.
      h('button', { type: 'button', class: 'lang-switch', id: 'lang-switch', onclick: switchLanguage }),
    ),
    h(
      'nav',
      { class: 'nav owner-links', id: 'owner-links' },
      OWNER_LINKS.map((n) =>
        h(
          'a',
          { href: `#${n.id}`, id: `nav-${n.id}`, class: 'nav-item small' },
          icon(n.icon),
          h('span', { class: 'nav-label' }),
        ),
      ),
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'lock-now',
        id: 'lock-now',
        'aria-keyshortcuts': 'Control+L',
        onclick: () => lock('manual'),
      },
      icon('lock'),
      h('span', { class: 'nav-label' }),
      h('kbd', { class: 'nav-key' }, 'Ctrl+L'),
    ),
  );
  const sidebar = h(
    'aside',
    { class: 'sidebar' },
    h(
      'div',
      { class: 'brand' },
      h('div', { class: 'brand-mark' }, icon('store')),
      h(
        'div',
        { class: 'brand-text' },
        h('div', { class: 'brand-name' }),
        h('div', { class: 'brand-shop', id: 'brand-shop' }),
        h('div', { class: 'brand-counter hidden', id: 'brand-counter' }),
      ),
    ),
    keptChip(
      () => ctx,
      () => !locked,
    ),
    nav,
    userBox,
  );
  screenRoot = h('main', { class: 'screen', id: 'screen', tabindex: '-1' });
  // Keep what was shown before the shell: a toast ("owner's account made") and its region.
  document.body.replaceChildren(
    progress,
    h('div', { class: 'app' }, sidebar, screenRoot),
    ...document.querySelectorAll('body > .auth-screen, body > .toasts'),
  );
}

function relabelShell() {
  const { t } = ctx;
  document.querySelector('.brand-name').textContent = t('app.name');
  document.getElementById('brand-shop').textContent = ctx.settings.shop_name || t('app.tagline');
  // A counter on a server says which counter it is, the server in the tooltip.
  const counter = document.getElementById('brand-counter');
  const onServer = !!(ctx.info.server && ctx.info.counter);
  counter.classList.toggle('hidden', !onServer);
  counter.textContent = onServer ? ctx.info.counter : '';
  counter.title = onServer ? t('server.brand_title', { server: ctx.info.server, counter: ctx.info.counter }) : '';
  refreshKept();
  document.getElementById('nav').setAttribute('aria-label', t('nav.main'));
  for (const n of NAV) {
    const el = document.getElementById(`nav-${n.id}`);
    el.querySelector('.nav-label').textContent = t(`nav.${n.id}`);
    el.title = t('nav.shortcut', { key: n.key });
    el.setAttribute('aria-keyshortcuts', n.key.replace('Ctrl', 'Control'));
  }
  relabelUser();
}

/** The user chip, and what a cashier does not see (the core refuses it anyway). */
function relabelUser() {
  const { t } = ctx;
  const owner = may(actor?.role, 'settings');
  document.getElementById('user-name').textContent = actor?.name ?? '';
  document.getElementById('user-avatar').textContent = (actor?.name?.trim()[0] ?? '?').toUpperCase();
  document.getElementById('user-role').textContent = t(
    actor?.role === 'owner' ? 'auth.role_owner' : 'auth.role_cashier',
  );
  document.getElementById('user-chip').title = t('auth.signed_in_as', { name: actor?.name ?? '' });
  for (const n of NAV)
    document.getElementById(`nav-${n.id}`).classList.toggle('hidden', !routeAllowed(actor?.role, n.id));
  const links = document.getElementById('owner-links');
  links.classList.toggle('hidden', !owner);
  links.setAttribute('aria-label', t('nav.owner'));
  for (const n of OWNER_LINKS)
    document.getElementById(`nav-${n.id}`).querySelector('.nav-label').textContent = t(`nav.${n.id}`);
  const lockNow = document.getElementById('lock-now');
  lockNow.querySelector('.nav-label').textContent = t('nav.lock');
  lockNow.title = t('nav.lock_hint');
  const other = otherLanguage();
  const langBtn = document.getElementById('lang-switch');
  langBtn.textContent = other.toUpperCase();
  langBtn.lang = other;
  langBtn.title = t(`app.switch_to_${other}`);
  langBtn.setAttribute('aria-label', t(`app.switch_to_${other}`));
  relabelDemo();
}

function otherLanguage() {
  return ctx.settings.language === 'vi' ? 'en' : 'vi';
}

async function switchLanguage() {
  try {
    const s = await api.settingsSet('language', otherLanguage());
    await applySettings(s);
    document.getElementById('lang-switch')?.focus();
  } catch (err) {
    ctx.showError(err);
  }
}

/** While the window works on the demo shop: a strip that says so, with the way back and the
 * way to delete it (the owner's shop is never touched by the demo). */
function relabelDemo() {
  const app = document.querySelector('.app');
  document.getElementById('demo-bar')?.remove();
  app.classList.toggle('with-demo', !!ctx.info.demo);
  if (!ctx.info.demo) return;
  const { t } = ctx;
  const leave = async (deleteIt) => {
    if (
      deleteIt &&
      !(await confirmDialog({
        title: t('demo.delete_title'),
        body: t('demo.delete_body'),
        confirm: t('demo.delete'),
        cancel: t('common.cancel'),
        danger: true,
      }))
    )
      return;
    try {
      await api.demoLeave(deleteIt);
      location.hash = '#counter';
      location.reload();
    } catch (err) {
      ctx.showError(err);
    }
  };
  const bar = h(
    'div',
    { class: 'demo-bar', id: 'demo-bar', role: 'status' },
    icon('sparkle'),
    h('span', { class: 'demo-text' }, h('strong', {}, t('demo.bar_title')), ' ', t('demo.bar_body')),
    h('button', { type: 'button', class: 'small', id: 'demo-leave', onclick: () => leave(false) }, t('demo.leave')),
    h(
      'button',
      { type: 'button', class: 'danger-text small', id: 'demo-delete', onclick: () => leave(true) },
      t('demo.delete'),
    ),
  );
  app.insertBefore(bar, screenRoot);
}

// ---------- locking ----------

/** Locks the app and shows the lock screen. reason: 'manual' | 'idle' | 'refused' (the core
 * already considers the session over, e.g. its own idle clock ran out). */
function lock(reason) {
  if (locked || !ctx) return;
  locked = true;
  idle.stop();
  focusBeforeLock = document.activeElement;
  if (reason !== 'refused') api.authLock().catch(() => {}); // the screen locks at once either way
  const { t } = ctx;
  const note =
    { idle: t('auth.lock_idle', { minutes: ctx.fmt.number(idleMinutes ?? 10) }), refused: t('auth.lock_refused') }[
      reason
    ] ?? '';
  showLock({
    t,
    shopName: ctx.settings.shop_name,
    staff: staffList,
    note,
    preselect: actor?.staff_id,
    onUnlocked: unlocked,
  });
}

/** A call was refused with auth.locked: lock, unless that answer is older than a sign-in. */
async function onRefusedLocked() {
  if (locked || !ctx) return;
  try {
    const s = await api.authStatus();
    staffList = s.staff ?? staffList;
    if (s.current) return;
  } catch {
    /* lock anyway */
  }
  lock('refused');
}

function unlocked(a) {
  const same = actor?.staff_id === a.staff_id && actor?.role === a.role;
  setActor(a);
  locked = false;
  ctx = buildContext(ctx.info, ctx.settings);
  relabelUser();
  idle.start();
  if (!routeAllowed(a.role, parseHash().name)) {
    navigate('counter');
    return;
  }
  // The same person coming back finds the screen as they left it (a half-typed bill);
  // someone else gets it fresh, drawn for their role.
  if (!same || pendingMount) mountCurrent();
  else if (focusBeforeLock?.isConnected) focusBeforeLock.focus();
  focusBeforeLock = null;
  offerRestore();
  refreshKept();
}

/** Reads who is signed in again (after editing staff accounts, one's own included). */
async function refreshAuth() {
  const s = await api.authStatus();
  staffList = s.staff ?? [];
  if (!s.current) {
    lock('refused');
    return;
  }
  const roleChanged = s.current.role !== actor?.role;
  setActor(s.current);
  ctx = buildContext(ctx.info, ctx.settings);
  relabelUser();
  if (roleChanged) mountCurrent();
}

function onKeydown(e) {
  if (!ctx || locked || isLockShown()) return; // the first-run form and the lock screen own the keyboard
  if (e.key.toLowerCase() === 'l' && (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey) {
    e.preventDefault(); // even over a dialog: walking away must always be possible
    lock('manual');
    return;
  }
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
  document.body.replaceChildren(
    h(
      'div',
      { class: 'fatal' },
      h('h1', {}, vi('app.load_failed')),
      h('p', {}, vi.error(err)),
      h('p', { class: 'muted', lang: 'en' }, `${en('app.load_failed')}: ${en.error(err)}`),
      h('button', { type: 'button', class: 'primary', onclick: () => location.reload() }, vi('app.retry')),
    ),
  );
}

let ready = false;
/** Marks the first interactive screen (the app, the lock screen or the first-run form). */
function markReady() {
  if (ready) return;
  ready = true;
  performance.mark('kq-ready'); // read by the window benchmark
}

/** Who is there? First run -> the owner's form; nobody signed in -> the lock screen; else the app. */
async function boot() {
  let status;
  let info = null;
  try {
    status = await api.authStatus();
    info = await api.appInfo();
  } catch (err) {
    // Locked: the settings wait until someone signs in (the core allows only auth_* then).
    if (!status || err.code !== 'auth.locked') {
      showFatal(err);
      return;
    }
  }
  staffList = status.staff ?? [];
  setIdleMinutes(status.idle_lock_minutes);
  const last = remembered();
  const language = info?.settings.language ?? (['vi', 'en'].includes(last.language) ? last.language : 'vi');
  if (!catalogs[language]) catalogs[language] = await loadCatalog(language);
  const t = bareTranslator(language);
  const shopName = info?.settings.shop_name ?? last.shop_name ?? '';
  document.documentElement.lang = language;
  document.title = t('app.name');
  if (status.needs_setup) {
    // After the setup the shop's name is the one just given: read it again.
    showSetup({
      t,
      shopName,
      onDone: (a) => {
        if (a) {
          toast(t('auth.setup_done', { name: a.name }), 'success');
          enter(a, null);
        } else boot();
      },
    });
  } else if (!status.current) {
    locked = true;
    showLock({
      t,
      shopName,
      staff: staffList,
      onUnlocked: (a) => {
        locked = false;
        enter(a, null);
      },
    });
  } else {
    enter(status.current, info);
    return;
  }
  markReady();
}

/** Draws the app for the signed-in actor; info is read now when it could not be before. */
async function enter(a, info) {
  setActor(a);
  if (!info) {
    try {
      info = await api.appInfo();
    } catch (err) {
      showFatal(err);
      return;
    }
  }
  const s = info.settings;
  remember(s);
  if (!catalogs[s.language]) catalogs[s.language] = await loadCatalog(s.language);
  ctx = buildContext(info, s);
  document.documentElement.lang = s.language;
  document.title = ctx.t('app.name');
  buildShell();
  relabelShell();
  setIdleMinutes(s.idle_lock_minutes);
  idle.start();
  mountCurrent();
  markReady();
  afterSignIn();
}

// ---------- start-up: the upgrade of an older data file (issue 19) ----------

const STARTUP_POLL_MS = 200;
let startup = null; // app_startup's last answer once the shop is open
let restoreFile = null; // a backup the window was opened with, until offered to the owner
let restoreRefused = false; // the cashier was told once
// What was said or offered already: a reload (after a restore, or leaving the demo) keeps the
// window's start-up status, and must not say the upgrade or offer the backup again.
const UPGRADE_SHOWN_KEY = 'kq-upgrade-shown';
const RESTORE_OFFERED_KEY = 'kq-restore-offered';
/** Whether `value` was noted under `key` in this window (sessionStorage outlives a reload). */
function noted(key, value) {
  try {
    return sessionStorage.getItem(key) === value;
  } catch {
    return false; // no session storage: once per page
  }
}
function note(key, value) {
  try {
    sessionStorage.setItem(key, value);
  } catch {
    /* once per page */
  }
}

/** The language of the last run (the settings cannot be read before the shop is open). */
function startLanguage() {
  const last = remembered().language;
  return ['vi', 'en'].includes(last) ? last : 'vi';
}

/** Asks app_startup until the shop is open; meanwhile shows the upgrade's progress. Resolves
 * to the final status, or null when the upgrade failed (its reason is then on screen). */
async function awaitStartup() {
  for (;;) {
    let s;
    try {
      s = await api.appStartup();
    } catch {
      return { state: 'ready' }; // nothing to wait for: boot() reports a real problem itself
    }
    if (s.state === 'failed') {
      await showUpgradeFailed(s);
      return null;
    }
    if (s.state === 'server_failed') {
      s = await showServerFailed(s);
      document.getElementById('server-screen')?.remove();
      return s;
    }
    if (s.state !== 'upgrading') {
      document.getElementById('upgrade-screen')?.remove();
      return s;
    }
    await showUpgrade(s);
    await new Promise((resolve) => setTimeout(resolve, STARTUP_POLL_MS));
  }
}

async function startTranslator() {
  const language = startLanguage();
  if (!catalogs[language]) catalogs[language] = await loadCatalog(language);
  document.documentElement.lang = language;
  return bareTranslator(language);
}

/** The upgrade screen (#upgrade-screen), drawn once and then only updated. */
async function showUpgrade(s) {
  const t = await startTranslator();
  let screen = document.getElementById('upgrade-screen');
  if (!screen) {
    document.title = t('app.name');
    screen = h(
      'div',
      { class: 'upgrade-screen', id: 'upgrade-screen' },
      h(
        'section',
        { class: 'auth-card upgrade-card', 'aria-busy': 'true', 'aria-labelledby': 'upgrade-title' },
        h(
          'div',
          { class: 'auth-brand' },
          h('div', { class: 'welcome-mark' }, icon('archive')),
          h(
            'div',
            {},
            h('div', { class: 'auth-app' }, t('app.name')),
            h('div', { class: 'auth-shop' }, t('app.tagline')),
          ),
        ),
        h('h1', { id: 'upgrade-title' }, t('app.upgrade_title')),
        h(
          'p',
          { class: 'upgrade-versions', id: 'upgrade-versions' },
          t('app.upgrade_versions', { from: s.from ?? '?', to: s.to ?? '?' }),
        ),
        h(
          'div',
          { class: 'upgrade-progress-box' },
          h(
            'div',
            { class: 'upgrade-progress-line' },
            // Said when the phase changes; the percent is seen, not read out every 200 ms.
            h('span', { class: 'upgrade-phase', id: 'upgrade-phase', role: 'status' }),
            h('span', { class: 'upgrade-percent', id: 'upgrade-percent' }),
          ),
          h('progress', { id: 'upgrade-progress', max: '100', 'aria-labelledby': 'upgrade-phase' }),
        ),
        h('p', { class: 'muted upgrade-note' }, icon('lock'), h('span', {}, t('app.upgrade_note'))),
      ),
    );
    document.body.replaceChildren(screen);
  }
  const p = s.progress;
  const phase = p?.phase === 'migrate' ? 'migrate' : p?.phase === 'backup' ? 'backup' : null;
  screen.dataset.phase = phase ?? 'waiting';
  document.getElementById('upgrade-phase').textContent = t(phase ? `app.upgrade_${phase}` : 'app.upgrade_waiting');
  // One bar for the whole: the backup is its first half, the migration its second.
  const bar = document.getElementById('upgrade-progress');
  const percentText = document.getElementById('upgrade-percent');
  if (!phase) {
    bar.removeAttribute('value'); // indeterminate until the first step is known
    percentText.textContent = '';
    return;
  }
  const part = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const percent = Math.floor((phase === 'backup' ? part : 1 + part) * 50);
  bar.value = percent;
  percentText.textContent = t('app.upgrade_percent', { percent });
}

/** The upgrade failed: its reason (the file is as it was) and what to do, like showFatal. */
async function showUpgradeFailed(s) {
  const t = await startTranslator();
  document.title = t('app.name');
  const err = s.error ?? { code: 'upgrade.failed', message: '', params: { from: s.from, to: s.to } };
  document.body.replaceChildren(
    h(
      'div',
      { class: 'upgrade-screen failed', id: 'upgrade-screen' },
      h(
        'section',
        { class: 'auth-card upgrade-card', role: 'alert', 'aria-labelledby': 'upgrade-failed-title' },
        h('div', { class: 'welcome-mark danger' }, icon('x')),
        h('h1', { id: 'upgrade-failed-title' }, t('app.upgrade_failed_title')),
        // What happened, that the file is as it was and where its backup is (the core's
        // sentence, in the language shown here when the catalog has it).
        h('p', { class: 'upgrade-error', id: 'upgrade-error' }, t.error(err)),
        h('p', { class: 'muted' }, t('app.upgrade_failed_hint')),
      ),
    ),
  );
}

/** The server this counter works on could not be opened at start: why, and "Try again"
 * until it opens (app_reconnect). Resolves to the start-up status once the shop is open. */
async function showServerFailed(first) {
  const t = await startTranslator();
  document.title = t('app.name');
  const reason = h('p', { class: 'upgrade-error', id: 'server-error' }, t.error(first.error));
  return new Promise((resolve) => {
    const retry = h(
      'button',
      {
        type: 'button',
        class: 'primary',
        id: 'server-retry',
        onclick: async () => {
          retry.disabled = true;
          retry.textContent = t('server.retrying');
          const s = await api.appReconnect().catch(() => first);
          if (s.state === 'ready') {
            resolve(s);
            return;
          }
          if (s.error) reason.textContent = t.error(s.error);
          retry.disabled = false;
          retry.textContent = t('server.retry');
          retry.focus();
        },
      },
      t('server.retry'),
    );
    document.body.replaceChildren(
      h(
        'div',
        { class: 'upgrade-screen failed', id: 'server-screen' },
        h(
          'section',
          { class: 'auth-card upgrade-card', role: 'alert', 'aria-labelledby': 'server-failed-title' },
          h('div', { class: 'welcome-mark danger' }, icon('x')),
          h('h1', { id: 'server-failed-title' }, t('server.failed_title')),
          reason,
          h('p', { class: 'muted' }, t('server.failed_hint')),
          h('div', { class: 'form-actions' }, retry),
        ),
      ),
    );
    retry.focus();
  });
}

/** Once someone is signed in: what the upgrade did (once), then the backup to restore. */
function afterSignIn() {
  const up = startup?.upgraded;
  if (up && !noted(UPGRADE_SHOWN_KEY, up.backup)) {
    note(UPGRADE_SHOWN_KEY, up.backup);
    toast(ctx.t('app.upgraded', { from: up.from, to: up.to, backup: up.backup }), 'success', 12000);
  }
  offerRestore();
}

/** A backup the window was opened with (a double-clicked .kqbackup): the owner is offered
 * its restore on the backup screen, through that screen's own confirmation; a cashier is
 * told once that only the owner may. */
function offerRestore() {
  if (!restoreFile || !ctx || locked) return;
  if (noted(RESTORE_OFFERED_KEY, restoreFile)) {
    restoreFile = null;
    return;
  }
  if (!may(actor?.role, 'restore')) {
    if (!restoreRefused) {
      restoreRefused = true;
      toast(ctx.t('app.restore_owner_only', { file: restoreFile }), 'info', 10000);
    }
    return;
  }
  const file = restoreFile;
  restoreFile = null;
  note(RESTORE_OFFERED_KEY, file);
  requestRestore(file);
  navigate('settings');
}

async function start() {
  catalogs.vi = await loadCatalog('vi');
  // Said once here, whatever the screen that made the call (ctx.showError then stays quiet).
  api.onPanic((err) => toast(ctx ? ctx.t.error(err) : err.message, 'error'));
  startup = await awaitStartup();
  if (!startup) return;
  restoreFile = startup.restore_file ?? null;
  window.addEventListener('hashchange', () => {
    if (ctx) mountCurrent();
  });
  document.addEventListener('keydown', onKeydown);
  // Anything the user does counts as activity, wherever it happens (capture phase, so a
  // screen that stops propagation still counts).
  for (const type of ['keydown', 'pointerdown', 'wheel'])
    document.addEventListener(type, () => idle.touch(), { capture: true, passive: true });
  api.onLocked(() => {
    onRefusedLocked();
  });
  await boot();
}

start();
