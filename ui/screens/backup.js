// Settings → "Sao lưu & khôi phục": the last good backup and its age (backup_status), a
// backup made now (backup_create), the folder and how many to keep (backup_configure),
// the backups in the folder (backup_list) with a full check (backup_verify) and a restore
// (backup_restore) behind a confirmation. After a restore the app reloads everything; the
// report waits in sessionStorage and is shown once the settings screen is back.
// The backup passphrase (issue 9): set with a confirmation, entered again when encrypted
// backups are paused, or cleared (backup_configure); encrypted backups carry a badge, and
// checking or restoring one asks for its passphrase. A passphrase is never kept here.
// A shop with a passphrase restores a plain file only after a second confirmation
// (backup.plain_needs_confirm, then backup_restore with allow_unencrypted). Backup and
// restore show their progress ("backup-progress" events) on the busy button.
// Issue 19: a backup the window was opened with (a double-clicked .kqbackup) is offered for
// restore through the same confirmation once the owner is here (requestRestore).
import * as api from '../lib/api.js';
import { h, fill, icon, clearFieldError, showFieldError, confirmDialog } from '../lib/dom.js';
import { autosave } from '../lib/autosave.js';
import { fileName } from '../lib/names.js';

const REPORT_KEY = 'kq-restore-report';
const BACKUP_FILTERS = (t) => [
  { name: t('backup.filter_backups'), extensions: ['kqbackup', 'kqdump', 'db', 'age', 'sqlite', 'sqlite3', 'bak'] },
  { name: t('backup.filter_all'), extensions: ['*'] },
];

let ctx = null;
let els = null;
let status = null;
let pendingRestore = null; // a file to offer for restore once the section is on screen

/** Offers `file` for restore (the confirmation dialog) when the backup section next shows. */
export function requestRestore(file) {
  pendingRestore = file;
}

/** The section element for the settings grid; loads itself. */
export function backupSection(context) {
  ctx = context;
  const { t } = ctx;
  els = {
    status: h(
      'div',
      { class: 'backup-status', id: 'backup-status', 'aria-live': 'polite' },
      h('p', { class: 'loading' }, t('common.loading')),
    ),
    result: h('div', { class: 'backup-result', 'aria-live': 'polite' }),
    folder: h('output', { class: 'path backup-folder-path', id: 'backup-folder', 'data-field': 'folder' }),
    folderDefault: h(
      'button',
      {
        type: 'button',
        class: 'ghost small hidden',
        id: 'backup-folder-default',
        onclick: () => configure({ folder: '' }, els.folder),
      },
      t('backup.folder_default'),
    ),
    keep: h('input', {
      id: 'backup-keep',
      name: 'keep',
      class: 'num',
      type: 'number',
      min: '1',
      max: '1000',
      step: '1',
      inputmode: 'numeric',
      autocomplete: 'off',
    }),
    list: h('div', { class: 'backup-list', id: 'backup-list' }),
    now: h(
      'button',
      { type: 'button', class: 'primary', id: 'backup-now', onclick: backupNow },
      icon('archive'),
      t('backup.now'),
    ),
    crypto: h('div', { class: 'backup-crypto-form', id: 'backup-crypto' }),
    cryptoResult: h('div', { class: 'backup-crypto-result', 'aria-live': 'polite' }),
  };
  autosave(els.keep, {
    read: () => els.keep.value.trim() || null,
    held: () => status?.keep,
    show: (v) => {
      els.keep.value = v === undefined || v === null ? '' : String(v);
    },
    t: (k) => ctx.t(k),
    save: async (v) => {
      const n = Number(v);
      status = await api.backupConfigure({ keep: Number.isInteger(n) ? n : v });
      renderStatus();
      return status.keep;
    },
    clearError: () => {
      clearFieldError(els.folder);
      clearFieldError(els.keep.parentElement);
    },
    showError: (err) => {
      if (!els.keep.isConnected) {
        ctx.showError(err);
        return;
      }
      const target = err.params?.field === 'folder' ? els.folder : els.keep.parentElement;
      showFieldError(target, ctx.t.error(err));
      if (target !== els.folder) els.keep.setAttribute('aria-invalid', 'true');
    },
  });

  const section = h(
    'section',
    { class: 'card backup-settings', id: 'settings-backup' },
    h('h2', {}, icon('archive'), t('settings.backup_title')),
    // On a server the whole shared shop is backed up (pg_dump) into this computer's folder.
    ctx.info.server &&
      h('p', { class: 'muted', id: 'backup-server-hint' }, t('backup.server_hint', { server: ctx.info.server })),
    restoredNotice(),
    h(
      'div',
      { class: 'backup-columns' },
      h(
        'div',
        { class: 'backup-main' },
        els.status,
        h(
          'div',
          { class: 'form-actions' },
          els.now,
          h(
            'button',
            { type: 'button', class: 'ghost', id: 'backup-restore-file', onclick: restoreFromFile },
            icon('refund'),
            t('backup.restore_file'),
          ),
        ),
        els.result,
      ),
      h(
        'div',
        { class: 'backup-config' },
        h(
          'div',
          { class: 'field' },
          h('span', { class: 'label' }, t('backup.folder'), h('span', { class: 'saved-mark', 'aria-live': 'polite' })),
          els.folder,
          h(
            'div',
            { class: 'form-actions' },
            h(
              'button',
              { type: 'button', class: 'ghost small', id: 'backup-folder-choose', onclick: chooseFolder },
              t('backup.folder_choose'),
            ),
            els.folderDefault,
          ),
          h('span', { class: 'hint' }, t('backup.folder_hint')),
        ),
        h(
          'div',
          { class: 'field' },
          h(
            'label',
            { class: 'label', for: 'backup-keep' },
            t('backup.keep'),
            h('span', { class: 'saved-mark', 'aria-live': 'polite' }),
          ),
          h(
            'div',
            { class: 'suffix-wrap compact keep-wrap' },
            els.keep,
            h('span', { class: 'suffix' }, t('backup.keep_unit')),
          ),
          h('span', { class: 'hint' }, t('backup.keep_hint')),
        ),
      ),
    ),
    h(
      'div',
      { class: 'backup-crypto', id: 'settings-backup-crypto' },
      h('h3', {}, t('backup_crypto.title')),
      els.crypto,
      els.cryptoResult,
    ),
    h('h3', {}, t('backup.list_title')),
    els.list,
  );
  refresh();
  if (pendingRestore) {
    const file = pendingRestore;
    pendingRestore = null;
    // Once the section is in the page (the settings screen is drawn after this returns).
    setTimeout(() => {
      if (!section.isConnected) return;
      section.scrollIntoView({ block: 'start' });
      restore(file, null, /\.age$/i.test(file));
      // The screen above grows as its parts load: once the dialog is closed, show this section.
      document
        .getElementById('restore-dialog')
        ?.addEventListener('close', () => section.isConnected && section.scrollIntoView({ block: 'start' }));
    });
  }
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
    ? h(
        'div',
        { class: 'backup-last ok' },
        icon('check'),
        h(
          'div',
          {},
          h('div', { class: 'stat-label' }, t('backup.last_ok')),
          h(
            'div',
            { class: 'backup-last-when' },
            h('strong', {}, fmt.dateTime(s.last_ok_at)),
            ' · ',
            h('span', { class: 'backup-age' }, fmt.age(s.age_seconds)),
          ),
          s.last_file && h('div', { class: 'path muted', title: s.last_file }, fileName(s.last_file)),
        ),
      )
    : h(
        'div',
        { class: 'backup-last none' },
        icon('archive'),
        h('div', {}, h('strong', {}, t('backup.never')), h('div', { class: 'muted' }, t('backup.never_hint'))),
      );
  fill(
    els.status,
    last,
    s.due && s.last_ok_at && h('p', { class: 'hint' }, t('backup.due')),
    s.last_error &&
      h(
        'div',
        { class: 'notice error backup-error' },
        h(
          'div',
          {},
          h('strong', {}, t('backup.last_error', { when: fmt.dateTime(s.last_error.at) })),
          h('div', {}, ctx.t.error(s.last_error)),
        ),
      ),
  );
  fill(els.folder, s.folder);
  els.folder.title = s.folder;
  els.folderDefault.classList.toggle('hidden', !!s.folder_is_default);
  if (document.activeElement !== els.keep) els.keep.value = String(s.keep);
  renderCrypto();
}

/** The passphrase form for the current state (off, on, paused); kept while the state holds. */
function renderCrypto() {
  const { t } = ctx;
  const state = ['on', 'paused'].includes(status?.encryption) ? status.encryption : 'off';
  if (els.crypto.dataset.state === state) return;
  els.crypto.dataset.state = state;
  const password = (id, name, labelKey) => {
    const input = h('input', {
      id,
      name,
      type: 'password',
      autocomplete: 'new-password',
      spellcheck: 'false',
      autocapitalize: 'off',
    });
    return { input, field: h('div', { class: 'field' }, h('label', { class: 'label', for: id }, t(labelKey)), input) };
  };
  const pass = password('backup-passphrase', 'passphrase', 'backup_crypto.passphrase');
  const again = password('backup-passphrase-confirm', 'passphrase_confirm', 'backup_crypto.confirm');
  const save = h(
    'button',
    { type: 'submit', class: 'primary small', id: 'backup-passphrase-save' },
    icon('lock'),
    t(state === 'off' ? 'backup_crypto.set' : 'backup_crypto.change'),
  );
  const setForm = h(
    'form',
    { class: 'backup-passphrase-set', novalidate: true },
    pass.field,
    again.field,
    h(
      'div',
      { class: 'form-actions' },
      save,
      state !== 'off' &&
        h(
          'button',
          {
            type: 'button',
            class: 'ghost small',
            id: 'backup-passphrase-clear',
            onclick: (ev) => clearPassphrase(ev.currentTarget),
          },
          t('backup_crypto.clear'),
        ),
    ),
  );
  setForm.addEventListener('submit', (e) => {
    e.preventDefault();
    clearFieldError(pass.input);
    clearFieldError(again.input);
    if (!pass.input.value) {
      pass.input.focus();
      return;
    }
    if (pass.input.value !== again.input.value) {
      showFieldError(again.input, t('backup_crypto.differ'));
      again.input.focus();
      return;
    }
    cryptoAction(save, () => api.backupSetPassphrase(pass.input.value), 'backup_crypto.saved', pass.input);
  });
  let unlockForm = null;
  if (state === 'paused') {
    const unlock = password('backup-unlock', 'unlock', 'backup_crypto.passphrase');
    unlock.input.autocomplete = 'current-password';
    const resume = h(
      'button',
      { type: 'submit', class: 'primary small', id: 'backup-unlock-save' },
      t('backup_crypto.unlock'),
    );
    unlockForm = h(
      'form',
      { class: 'notice warn backup-unlock', novalidate: true },
      h(
        'div',
        {},
        h('p', {}, t('backup_crypto.paused_hint')),
        unlock.field,
        h('div', { class: 'form-actions' }, resume),
      ),
    );
    unlockForm.addEventListener('submit', (e) => {
      e.preventDefault();
      clearFieldError(unlock.input);
      if (!unlock.input.value) {
        unlock.input.focus();
        return;
      }
      cryptoAction(resume, () => api.backupUnlock(unlock.input.value), 'backup_crypto.unlocked', unlock.input);
    });
  }
  fill(
    els.crypto,
    h(
      'div',
      { class: 'backup-columns' },
      h(
        'div',
        { class: 'backup-main' },
        h(
          'p',
          { class: ['backup-crypto-state', `encryption-${state}`], id: 'backup-encryption' },
          state === 'on' && h('span', { class: 'chip backup-encrypted' }, icon('lock'), t('backup_crypto.badge')),
          ' ',
          h('strong', {}, t(`backup_crypto.state_${state}`)),
        ),
        h('p', { class: 'hint' }, t('backup_crypto.hint')),
        unlockForm,
      ),
      h('div', { class: 'backup-config' }, setForm),
    ),
  );
}

/** Runs a passphrase change with the button busy; the form is redrawn for the new state. */
async function cryptoAction(button, run, doneKey, input) {
  const { t } = ctx;
  const mine = els;
  const label = [...button.childNodes];
  button.disabled = true;
  fill(button, h('span', { class: 'spinner' }), t('backup_crypto.saving'));
  fill(els.cryptoResult);
  try {
    const s = await run();
    if (mine !== els) return;
    status = s;
    els.crypto.dataset.state = '';
    renderStatus();
    fill(els.cryptoResult, h('p', { class: 'notice success', id: 'backup-crypto-done' }, icon('check'), t(doneKey)));
  } catch (err) {
    if (mine !== els || !button.isConnected) {
      ctx.showError(err);
      return;
    }
    button.disabled = false;
    fill(button, ...label);
    if (input?.isConnected && err.params?.field === 'passphrase') {
      showFieldError(input, ctx.t.error(err));
      input.focus();
    } else {
      fill(els.cryptoResult, h('p', { class: 'notice error' }, ctx.t.error(err)));
    }
  }
}

async function clearPassphrase(button) {
  const { t } = ctx;
  const ok = await confirmDialog({
    title: t('backup_crypto.clear'),
    body: t('backup_crypto.clear_confirm'),
    confirm: t('backup_crypto.clear'),
    cancel: t('common.cancel'),
    danger: true,
  });
  if (ok && button.isConnected) cryptoAction(button, () => api.backupClearPassphrase(), 'backup_crypto.cleared', null);
}

/**
 * Asks for an encrypted backup's passphrase (#passphrase-dialog) and runs `use(passphrase)`
 * with it; a wrong one is shown in place for another try. Resolves to use's result, or null
 * when cancelled; other errors reject.
 */
function askPassphrase(file, bodyKey, use) {
  const { t } = ctx;
  return new Promise((resolve, reject) => {
    const input = h('input', {
      id: 'passphrase-input',
      name: 'passphrase',
      type: 'password',
      autocomplete: 'current-password',
      spellcheck: 'false',
      autocapitalize: 'off',
    });
    const ok = h('button', { type: 'submit', class: 'primary', id: 'passphrase-ok' }, t('backup_crypto.open'));
    const cancel = h('button', { type: 'button', class: 'ghost', id: 'passphrase-cancel' }, t('common.cancel'));
    const form = h(
      'form',
      { method: 'dialog', novalidate: true },
      h('h2', { id: 'passphrase-title' }, icon('lock'), t('backup_crypto.prompt_title')),
      h('p', { class: 'path' }, file),
      h('p', {}, t(bodyKey)),
      h(
        'div',
        { class: 'field' },
        h('label', { class: 'label', for: 'passphrase-input' }, t('backup_crypto.passphrase')),
        input,
      ),
      h('div', { class: 'dialog-actions' }, cancel, ok),
    );
    const dlg = h(
      'dialog',
      { class: 'dialog passphrase-dialog', id: 'passphrase-dialog', 'aria-labelledby': 'passphrase-title' },
      form,
    );
    let busy = false;
    const close = () => {
      dlg.close();
      dlg.remove();
    };
    cancel.addEventListener('click', () => {
      if (!busy) {
        close();
        resolve(null);
      }
    });
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      if (!busy) {
        close();
        resolve(null);
      }
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldError(input);
      if (!input.value) {
        input.focus();
        return;
      }
      busy = true;
      ok.disabled = true;
      cancel.disabled = true;
      fill(ok, h('span', { class: 'spinner' }), t('backup.verifying'));
      try {
        const result = await use(input.value);
        close();
        resolve(result);
      } catch (err) {
        busy = false;
        ok.disabled = false;
        cancel.disabled = false;
        fill(ok, t('backup_crypto.open'));
        if (err.params?.field === 'passphrase') {
          showFieldError(input, ctx.t.error(err));
          input.select();
        } else {
          close();
          reject(err);
        }
      }
    });
    document.body.append(dlg);
    dlg.showModal();
    input.focus();
  });
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
  if (!entries.length) {
    fill(els.list, h('p', { class: 'muted empty' }, t('backup.list_empty')));
    return;
  }
  // Four columns, the time and size under the file name: the buttons always fit (at 1024 px
  // "Khôi phục" was cut off by a six-column table).
  fill(
    els.list,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'list backup-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, t('backup.col_file')),
            h('th', {}, t('backup.col_content')),
            h('th', {}, t('backup.col_state')),
            h('th'),
          ),
        ),
        h(
          'tbody',
          {},
          entries.map((e) => {
            const state = h('td', { class: 'backup-state' }, entryState(e));
            const info = e.info;
            // A server's dump is only looked at here: reading it back is "Verify".
            const content = info
              ? countsOf(info)
              : e.encrypted && e.ok
                ? t('backup_crypto.not_checked')
                : e.ok
                  ? t('backup.not_read')
                  : t('common.none');
            const contentCell = h('td', { class: 'muted backup-content' }, content);
            return h(
              'tr',
              { dataset: { file: e.file }, class: e.encrypted ? 'backup-row-encrypted' : null },
              h(
                'td',
                { class: 'backup-file' },
                h('div', { class: 'cell-name', title: e.file }, e.name),
                h(
                  'div',
                  { class: 'backup-when muted' },
                  h('span', { title: t('backup.col_when') }, fmt.dateTime(info?.created_at ?? e.modified)),
                  ' · ',
                  h('span', { title: t('backup.col_size') }, fmt.bytes(e.size)),
                ),
                e.encrypted &&
                  h(
                    'span',
                    { class: 'chip backup-encrypted', title: t('backup_crypto.state_on') },
                    icon('lock'),
                    t('backup_crypto.badge'),
                  ),
                info?.kind && h('span', { class: ['chip', `backup-kind-${info.kind}`] }, t(`backup.kind_${info.kind}`)),
              ),
              contentCell,
              state,
              h(
                'td',
                { class: 'row-actions' },
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'ghost small backup-verify',
                    onclick: (ev) => verify(e, state, ev.currentTarget, contentCell),
                  },
                  t('backup.verify'),
                ),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'ghost small backup-restore',
                    disabled: !e.ok,
                    onclick: () => restore(e.file, info, e.encrypted),
                  },
                  t('backup.restore'),
                ),
              ),
            );
          }),
        ),
      ),
    ),
  );
}

function countsOf(info) {
  const { t, fmt } = ctx;
  return t('backup.counts', {
    customers: fmt.number(info.counts.customers),
    purchases: fmt.number(info.counts.purchases),
  });
}

function entryState(e) {
  const { t } = ctx;
  return e.ok
    ? h('span', { class: 'state ok' }, icon('check'), t('backup.state_ok'))
    : h(
        'span',
        { class: 'state bad', title: e.error ? ctx.t.error(e.error) : '' },
        icon('x'),
        e.error ? ctx.t.error(e.error) : t('backup.state_bad'),
      );
}

async function verify(entry, cell, button, contentCell) {
  const { t, fmt } = ctx;
  button.disabled = true;
  fill(cell, h('span', { class: 'state busy' }, h('span', { class: 'spinner dark' }), t('backup.verifying')));
  try {
    let info;
    try {
      info = await api.backupVerify(entry.file);
    } catch (err) {
      // Encrypted, and the passphrase set here does not open it: ask for its own.
      if (err.code !== 'backup.passphrase_needed') throw err;
      info = await askPassphrase(entry.file, 'backup_crypto.prompt_verify', (p) => api.backupVerifyWith(entry.file, p));
      if (info === null) {
        fill(cell, entryState(entry));
        return;
      }
    }
    fill(
      cell,
      h('span', { class: 'state ok' }, icon('check'), t('backup.verified', { millis: fmt.number(info.millis) })),
    );
    fill(contentCell, countsOf(info));
  } catch (err) {
    fill(cell, h('span', { class: 'state bad' }, icon('x'), ctx.t.error(err)));
  } finally {
    button.disabled = false;
  }
}

/** Shows backup-progress on `button` as "label 42%" while `run` works; resolves to run's result. */
async function withProgress(button, labelKey, run) {
  const { t } = ctx;
  const percent = h('span', { class: 'progress-percent' });
  fill(button, h('span', { class: 'spinner' }), t(labelKey), ' ', percent);
  const unlisten = await api.onBackupProgress(({ done, total }) => {
    if (total > 0) fill(percent, t('backup.progress', { percent: Math.min(100, Math.floor((done * 100) / total)) }));
  });
  try {
    return await run();
  } finally {
    unlisten();
  }
}

async function backupNow() {
  const { t, fmt } = ctx;
  const button = els.now;
  button.disabled = true;
  fill(els.result);
  try {
    const info = await withProgress(button, 'backup.running', () => api.backupCreate());
    fill(
      els.result,
      h(
        'div',
        { class: 'notice success', id: 'backup-done' },
        icon('check'),
        h(
          'div',
          {},
          h('strong', {}, t('backup.done', { size: fmt.bytes(info.size) })),
          h('div', { class: 'path' }, info.file),
        ),
      ),
    );
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
    if (!input.isConnected) {
      ctx.showError(err);
      return;
    }
    const target =
      err.params?.field === 'keep'
        ? els.keep.parentElement
        : err.params?.field === 'folder'
          ? els.folder
          : input === els.keep
            ? els.keep.parentElement
            : els.folder;
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
  if (file) restore(file, null, file.endsWith('.age'));
}

/**
 * The confirmation (#restore-dialog, confirmed with #restore-confirm), then the restore. An
 * encrypted backup asks for its passphrase in the same dialog (#restore-passphrase); so does
 * any file the back end finds encrypted.
 */
function restore(file, info, encrypted = false) {
  const { t, fmt } = ctx;
  const error = h('p', { class: 'dialog-error', role: 'alert' });
  const passInput = h('input', {
    id: 'restore-passphrase',
    name: 'passphrase',
    type: 'password',
    autocomplete: 'current-password',
    spellcheck: 'false',
    autocapitalize: 'off',
  });
  const passField = h(
    'div',
    { class: ['field', 'restore-passphrase', encrypted ? null : 'hidden'] },
    h(
      'p',
      {},
      h('span', { class: 'chip backup-encrypted' }, icon('lock'), t('backup_crypto.badge')),
      ' ',
      t('backup_crypto.prompt_restore'),
    ),
    h('label', { class: 'label', for: 'restore-passphrase' }, t('backup_crypto.passphrase')),
    passInput,
  );
  const confirm = h('button', { type: 'button', class: 'danger', id: 'restore-confirm' }, t('backup.restore_confirm'));
  const cancel = h('button', { type: 'button', class: 'ghost', id: 'restore-cancel' }, t('common.cancel'));
  const dlg = h(
    'dialog',
    { class: 'dialog restore-dialog', id: 'restore-dialog', 'aria-labelledby': 'restore-title' },
    h('h2', { id: 'restore-title' }, t('backup.restore_title')),
    h('p', { class: 'path' }, file),
    info &&
      h(
        'p',
        {},
        t('backup.restore_from', {
          when: fmt.dateTime(info.created_at),
          customers: fmt.number(info.counts.customers),
          purchases: fmt.number(info.counts.purchases),
        }),
      ),
    h('p', {}, t('backup.restore_body')),
    h('p', { class: 'restore-safety' }, icon('check'), t('backup.restore_safety')),
    passField,
    error,
    h('div', { class: 'dialog-actions' }, cancel, confirm),
  );
  let busy = false;
  const close = () => {
    if (!busy) {
      dlg.close();
      dlg.remove();
    }
  };
  cancel.addEventListener('click', close);
  dlg.addEventListener('cancel', (e) => {
    e.preventDefault();
    close();
  });
  let allowUnencrypted = false;
  const run = async () => {
    busy = true;
    confirm.disabled = true;
    cancel.disabled = true;
    fill(error);
    clearFieldError(passInput);
    try {
      const report = await withProgress(confirm, 'backup.restoring', () =>
        api.backupRestoreWith(file, passInput.value || undefined, allowUnencrypted),
      );
      try {
        sessionStorage.setItem(REPORT_KEY, JSON.stringify(report));
      } catch {
        /* shown below instead */
      }
      // Everything on screen (settings, lists, an open profile) came from the old data.
      location.hash = '#settings';
      location.reload();
    } catch (err) {
      busy = false;
      confirm.disabled = false;
      cancel.disabled = false;
      fill(confirm, t('backup.restore_confirm'));
      if (err.code === 'backup.plain_needs_confirm' && !allowUnencrypted) {
        // This shop's backups are encrypted and this file is not: only on the owner's word.
        const ok = await confirmDialog({
          title: t('backup.plain_title'),
          body: t('backup.plain_body'),
          confirm: t('backup.plain_confirm'),
          cancel: t('common.cancel'),
          danger: true,
        });
        if (ok && dlg.isConnected) {
          allowUnencrypted = true;
          run();
        } else fill(error, ctx.t.error(err));
      } else if (err.code === 'backup.passphrase_needed' || err.params?.field === 'passphrase') {
        passField.classList.remove('hidden');
        showFieldError(passInput, ctx.t.error(err));
        passInput.focus();
      } else {
        fill(error, ctx.t.error(err));
      }
    }
  };
  confirm.addEventListener('click', run);
  passInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      confirm.click();
    }
  });
  document.body.append(dlg);
  dlg.showModal();
  if (encrypted) passInput.focus();
  else cancel.focus();
}

/** The report of a restore made just before the reload, once. */
function restoredNotice() {
  let report = null;
  try {
    report = JSON.parse(sessionStorage.getItem(REPORT_KEY) ?? 'null');
    sessionStorage.removeItem(REPORT_KEY);
  } catch {
    report = null;
  }
  if (!report) return null;
  const { t, fmt } = ctx;
  const info = report.restored ?? {};
  const check = report.check ?? {};
  const problems = [...(check.integrity ?? []), ...(check.foreign_key_violations ?? [])];
  if (check.negative_balances)
    problems.push(t('backup.check_negative', { count: fmt.number(check.negative_balances) }));
  if (check.stats_mismatches) problems.push(t('backup.check_stats', { count: fmt.number(check.stats_mismatches) }));
  return h(
    'div',
    { class: ['notice', check.ok === false ? 'warn' : 'success', 'restore-report'], id: 'restore-report' },
    icon(check.ok === false ? 'x' : 'check'),
    h(
      'div',
      {},
      h('strong', {}, t('backup.restored', { file: info.file ?? '' })),
      info.counts &&
        h(
          'div',
          {},
          t('backup.counts', {
            customers: fmt.number(info.counts.customers),
            purchases: fmt.number(info.counts.purchases),
          }),
        ),
      report.upgraded_from !== null &&
        report.upgraded_from !== undefined &&
        h('div', {}, t('backup.upgraded', { from: report.upgraded_from })),
      h('div', {}, t('backup.safety_copy'), ' ', h('span', { class: 'path' }, report.safety_copy)),
      check.ok === false &&
        h(
          'ul',
          { class: 'restore-problems' },
          problems.map((p) => h('li', {}, p)),
        ),
    ),
  );
}

export function unmountBackup() {
  els = null;
}
