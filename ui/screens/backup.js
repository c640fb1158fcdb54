// Settings → "Sao lưu & khôi phục": the last good backup and its age (backup_status), a
// backup made now (backup_create), the folder and how many to keep (backup_configure),
// the backups in the folder (backup_list) with a full check (backup_verify) and a restore
// (backup_restore) behind a confirmation. After a restore the app reloads everything; the
// report waits in sessionStorage and is shown once the settings screen is back.
import * as api from '../lib/api.js';
import { h, fill, icon, clearFieldError, showFieldError } from '../lib/dom.js';

const REPORT_KEY = 'kq-restore-report';
const BACKUP_FILTERS = (t) => [
  { name: t('backup.filter_backups'), extensions: ['db', 'sqlite', 'sqlite3', 'bak'] },
  { name: t('backup.filter_all'), extensions: ['*'] },
];

let ctx = null;
let els = null;
let status = null;

/** The section element for the settings grid; loads itself. */
export function backupSection(context) {
  ctx = context;
  const { t } = ctx;
  els = {
    status: h('div', { class: 'backup-status', id: 'backup-status', 'aria-live': 'polite' }, h('p', { class: 'loading' }, t('common.loading'))),
    result: h('div', { class: 'backup-result', 'aria-live': 'polite' }),
    folder: h('output', { class: 'path backup-folder-path', id: 'backup-folder', 'data-field': 'folder' }),
    folderDefault: h('button', { type: 'button', class: 'ghost small hidden', id: 'backup-folder-default', onclick: () => configure({ folder: '' }, els.folder) }, t('backup.folder_default')),
    keep: h('input', { id: 'backup-keep', name: 'keep', class: 'num', type: 'number', min: '1', max: '1000', step: '1', inputmode: 'numeric', autocomplete: 'off' }),
    list: h('div', { class: 'backup-list', id: 'backup-list' }),
    now: h('button', { type: 'button', class: 'primary', id: 'backup-now', onclick: backupNow }, icon('archive'), t('backup.now')),
  };
  const commitKeep = () => {
    const value = Number(els.keep.value);
    if (status && value === status.keep) return;
    configure({ keep: Number.isInteger(value) && els.keep.value.trim() !== '' ? value : els.keep.value }, els.keep);
  };
  els.keep.addEventListener('change', commitKeep);
  els.keep.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); commitKeep(); } });

  const section = h('section', { class: 'card backup-settings', id: 'settings-backup' },
    h('h2', {}, icon('archive'), t('settings.backup_title')),
    restoredNotice(),
    h('div', { class: 'backup-columns' },
      h('div', { class: 'backup-main' },
        els.status,
        h('div', { class: 'form-actions' }, els.now,
          h('button', { type: 'button', class: 'ghost', id: 'backup-restore-file', onclick: restoreFromFile }, icon('refund'), t('backup.restore_file'))),
        els.result),
      h('div', { class: 'backup-config' },
        h('div', { class: 'field' },
          h('span', { class: 'label' }, t('backup.folder'), h('span', { class: 'saved-mark', 'aria-live': 'polite' })),
          els.folder,
          h('div', { class: 'form-actions' },
            h('button', { type: 'button', class: 'ghost small', id: 'backup-folder-choose', onclick: chooseFolder }, t('backup.folder_choose')),
            els.folderDefault),
          h('span', { class: 'hint' }, t('backup.folder_hint'))),
        h('div', { class: 'field' },
          h('label', { class: 'label', for: 'backup-keep' }, t('backup.keep'), h('span', { class: 'saved-mark', 'aria-live': 'polite' })),
          h('div', { class: 'suffix-wrap compact keep-wrap' }, els.keep, h('span', { class: 'suffix' }, t('backup.keep_unit'))),
          h('span', { class: 'hint' }, t('backup.keep_hint'))))),
    h('h3', {}, t('backup.list_title')),
    els.list);
  refresh();
  return section;
}

async function refresh() {
  await Promise.all([loadStatus(), loadList()]);
}

async function loadStatus() {
  const mine = els;
  try {
    const s = await api.backupStatus();
    if (mine !== els) return;
    status = s;
    renderStatus();
  } catch (err) {
    if (mine === els) fill(els.status, h('p', { class: 'notice error' }, ctx.t.error(err)));
  }
}

function renderStatus() {
  const { t, fmt } = ctx;
  const s = status;
  const last = s.last_ok_at
    ? h('div', { class: 'backup-last ok' }, icon('check'),
      h('div', {}, h('div', { class: 'stat-label' }, t('backup.last_ok')),
        h('div', { class: 'backup-last-when' }, h('strong', {}, fmt.dateTime(s.last_ok_at)), ' · ', h('span', { class: 'backup-age' }, fmt.age(s.age_seconds))),
        s.last_file && h('div', { class: 'path muted' }, s.last_file)))
    : h('div', { class: 'backup-last none' }, icon('archive'), h('div', {}, h('strong', {}, t('backup.never')), h('div', { class: 'muted' }, t('backup.never_hint'))));
  fill(els.status, last,
    s.due && s.last_ok_at && h('p', { class: 'hint' }, t('backup.due')),
    s.last_error && h('div', { class: 'notice error backup-error' },
      h('div', {}, h('strong', {}, t('backup.last_error', { when: fmt.dateTime(s.last_error.at) })), h('div', {}, ctx.t.error(s.last_error)))));
  fill(els.folder, s.folder);
  els.folder.title = s.folder;
  els.folderDefault.classList.toggle('hidden', !!s.folder_is_default);
  if (document.activeElement !== els.keep) els.keep.value = String(s.keep);
}

async function loadList() {
  const mine = els;
  try {
    const list = await api.backupList();
    if (mine === els) renderList(list);
  } catch (err) {
    if (mine === els) fill(els.list, h('p', { class: 'notice error' }, ctx.t.error(err)));
  }
}

function renderList(entries) {
  const { t, fmt } = ctx;
  if (!entries.length) { fill(els.list, h('p', { class: 'muted empty' }, t('backup.list_empty'))); return; }
  fill(els.list, h('div', { class: 'table-scroll' }, h('table', { class: 'list backup-table' },
    h('thead', {}, h('tr', {},
      h('th', {}, t('backup.col_file')), h('th', {}, t('backup.col_when')), h('th', { class: 'num' }, t('backup.col_size')),
      h('th', {}, t('backup.col_content')), h('th', {}, t('backup.col_state')), h('th'))),
    h('tbody', {}, entries.map((e) => {
      const state = h('td', { class: 'backup-state' }, entryState(e));
      const info = e.info;
      return h('tr', { dataset: { file: e.file } },
        h('td', {}, h('div', { class: 'cell-name' }, e.name), info?.kind && h('span', { class: ['chip', `backup-kind-${info.kind}`] }, t(`backup.kind_${info.kind}`))),
        h('td', {}, fmt.dateTime(info?.created_at ?? e.modified)),
        h('td', { class: 'num' }, fmt.bytes(e.size)),
        h('td', { class: 'muted' }, info ? t('backup.counts', { customers: fmt.number(info.counts.customers), purchases: fmt.number(info.counts.purchases) }) : t('common.none')),
        state,
        h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'ghost small backup-verify', onclick: (ev) => verify(e, state, ev.currentTarget) }, t('backup.verify')),
          h('button', { type: 'button', class: 'ghost small backup-restore', disabled: !e.ok, onclick: () => restore(e.file, info) }, t('backup.restore'))));
    })))));
}

function entryState(e) {
  const { t } = ctx;
  return e.ok
    ? h('span', { class: 'state ok' }, icon('check'), t('backup.state_ok'))
    : h('span', { class: 'state bad', title: e.error ? ctx.t.error(e.error) : '' }, icon('x'), e.error ? ctx.t.error(e.error) : t('backup.state_bad'));
}

async function verify(entry, cell, button) {
  const { t, fmt } = ctx;
  button.disabled = true;
  fill(cell, h('span', { class: 'state busy' }, h('span', { class: 'spinner dark' }), t('backup.verifying')));
  try {
    const info = await api.backupVerify(entry.file);
    fill(cell, h('span', { class: 'state ok' }, icon('check'), t('backup.verified', { millis: fmt.number(info.millis) })));
  } catch (err) {
    fill(cell, h('span', { class: 'state bad' }, icon('x'), ctx.t.error(err)));
  } finally {
    button.disabled = false;
  }
}

async function backupNow() {
  const { t, fmt } = ctx;
  const button = els.now;
  button.disabled = true;
  fill(button, h('span', { class: 'spinner' }), t('backup.running'));
  fill(els.result);
  try {
    const info = await api.backupCreate();
    fill(els.result, h('div', { class: 'notice success', id: 'backup-done' }, icon('check'),
      h('div', {}, h('strong', {}, t('backup.done', { size: fmt.bytes(info.size) })), h('div', { class: 'path' }, info.file))));
  } catch (err) {
    fill(els.result, h('div', { class: 'notice error' }, ctx.t.error(err)));
  } finally {
    button.disabled = false;
    fill(button, icon('archive'), t('backup.now'));
    refresh();
  }
}

async function chooseFolder() {
  let folder;
  try {
    folder = await api.pickFolder(status?.folder);
  } catch (err) {
    ctx.showError(err);
    return;
  }
  if (folder) configure({ folder }, els.folder);
}

async function configure(changes, input) {
  const field = input.closest('.field');
  clearFieldError(els.folder);
  clearFieldError(els.keep.parentElement);
  fill(field.querySelector('.saved-mark'));
  try {
    status = await api.backupConfigure(changes);
    if (!input.isConnected) return;
    renderStatus();
    fill(field.querySelector('.saved-mark'), icon('check'), ctx.t('settings.saved_field'));
    if ('folder' in changes) loadList();
  } catch (err) {
    if (!input.isConnected) { ctx.showError(err); return; }
    const target = err.params?.field === 'keep' ? els.keep.parentElement : err.params?.field === 'folder' ? els.folder : (input === els.keep ? els.keep.parentElement : els.folder);
    showFieldError(target, ctx.t.error(err));
    if (target !== els.folder) els.keep.setAttribute('aria-invalid', 'true');
  }
}

async function restoreFromFile() {
  let file;
  try {
    file = await api.pickFile(BACKUP_FILTERS(ctx.t));
  } catch (err) {
    ctx.showError(err);
    return;
  }
  if (file) restore(file, null);
}

/** The confirmation (#restore-dialog, confirmed with #restore-confirm), then the restore. */
function restore(file, info) {
  const { t, fmt } = ctx;
  const error = h('p', { class: 'dialog-error', role: 'alert' });
  const confirm = h('button', { type: 'button', class: 'danger', id: 'restore-confirm' }, t('backup.restore_confirm'));
  const cancel = h('button', { type: 'button', class: 'ghost', id: 'restore-cancel' }, t('common.cancel'));
  const dlg = h('dialog', { class: 'dialog restore-dialog', id: 'restore-dialog', 'aria-labelledby': 'restore-title' },
    h('h2', { id: 'restore-title' }, t('backup.restore_title')),
    h('p', { class: 'path' }, file),
    info && h('p', {}, t('backup.restore_from', { when: fmt.dateTime(info.created_at), customers: fmt.number(info.counts.customers), purchases: fmt.number(info.counts.purchases) })),
    h('p', {}, t('backup.restore_body')),
    h('p', { class: 'restore-safety' }, icon('check'), t('backup.restore_safety')),
    error,
    h('div', { class: 'dialog-actions' }, cancel, confirm));
  let busy = false;
  const close = () => { if (!busy) { dlg.close(); dlg.remove(); } };
  cancel.addEventListener('click', close);
  dlg.addEventListener('cancel', (e) => { e.preventDefault(); close(); });
  confirm.addEventListener('click', async () => {
    busy = true;
    confirm.disabled = true;
    cancel.disabled = true;
    fill(confirm, h('span', { class: 'spinner' }), t('backup.restoring'));
    fill(error);
    try {
      const report = await api.backupRestore(file);
      try { sessionStorage.setItem(REPORT_KEY, JSON.stringify(report)); } catch { /* shown below instead */ }
      // Everything on screen (settings, lists, an open profile) came from the old data.
      location.hash = '#settings';
      location.reload();
    } catch (err) {
      busy = false;
      confirm.disabled = false;
      cancel.disabled = false;
      fill(confirm, t('backup.restore_confirm'));
      fill(error, ctx.t.error(err));
    }
  });
  document.body.append(dlg);
  dlg.showModal();
  cancel.focus();
}

/** The report of a restore made just before the reload, once. */
function restoredNotice() {
  let report = null;
  try {
    report = JSON.parse(sessionStorage.getItem(REPORT_KEY) ?? 'null');
    sessionStorage.removeItem(REPORT_KEY);
  } catch { report = null; }
  if (!report) return null;
  const { t, fmt } = ctx;
  const info = report.restored ?? {};
  const check = report.check ?? {};
  const problems = [...(check.integrity ?? []), ...(check.foreign_key_violations ?? [])];
  if (check.negative_balances) problems.push(t('backup.check_negative', { count: fmt.number(check.negative_balances) }));
  if (check.stats_mismatches) problems.push(t('backup.check_stats', { count: fmt.number(check.stats_mismatches) }));
  return h('div', { class: ['notice', check.ok === false ? 'warn' : 'success', 'restore-report'], id: 'restore-report' },
    icon(check.ok === false ? 'x' : 'check'),
    h('div', {},
      h('strong', {}, t('backup.restored', { file: info.file ?? '' })),
      info.counts && h('div', {}, t('backup.counts', { customers: fmt.number(info.counts.customers), purchases: fmt.number(info.counts.purchases) })),
      report.upgraded_from !== null && report.upgraded_from !== undefined && h('div', {}, t('backup.upgraded', { from: report.upgraded_from })),
      h('div', {}, t('backup.safety_copy'), ' ', h('span', { class: 'path' }, report.safety_copy)),
      check.ok === false && h('ul', { class: 'restore-problems' }, problems.map((p) => h('li', {}, p)))));
}

export function unmountBackup() {
  els = null;
}
