// Static checks on the interface sources: the strict CSP (no inline script, handler or
// style, nothing remote), the dev mock kept out of the app, and the element ids the
// end-to-end tests rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const UI = fileURLToPath(new URL('../../ui/', import.meta.url));
function files(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (!['tests', 'vendor', 'node_modules'].includes(name)) files(p, out);
    } else if (/\.(html|js|css)$/.test(name)) out.push(p);
  }
  return out;
}
const sources = files(UI).map((p) => ({ path: relative(UI, p), text: readFileSync(p, 'utf8') }));
const app = sources.filter((s) => !s.path.startsWith('dev'));

test('no inline styles, handlers or scripts in markup', () => {
  for (const { path, text } of sources) {
    assert.doesNotMatch(text, /\sstyle\s*=\s*["']|[{,]\s*style\s*:(?!\s*'currency')/i, `${path}: style attribute`);
    assert.doesNotMatch(text, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, `${path}: HTML strings`);
    if (path.endsWith('.html')) {
      assert.doesNotMatch(text, /\son[a-z]+\s*=/i, `${path}: inline handler`);
      assert.doesNotMatch(text, /<script(?![^>]*\bsrc=)[^>]*>/i, `${path}: inline script`);
      assert.doesNotMatch(text, /<style/i, `${path}: style element`);
    }
  }
});

test('nothing remote', () => {
  for (const { path, text } of sources) {
    const urls = [...text.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s'")]*/gi)]
      .map((m) => m[0])
      .filter((u) => !u.startsWith('http://www.w3.org/2000/svg'));
    assert.deepEqual(urls, [], `${path} refers to remote content`);
    assert.doesNotMatch(text, /@import|url\(\s*["']?https?:/i, path);
  }
});

test('the app never loads the dev mock', () => {
  for (const { path, text } of app) assert.doesNotMatch(text, /mock-tauri|dev\//, path);
});

test('element ids used by the end-to-end tests exist', () => {
  const all = app.map((s) => s.text).join('\n');
  const ids = [
    'counter-search',
    'search-results',
    'new-customer-name',
    'new-customer-phone',
    'new-customer-save',
    'purchase-amount',
    'purchase-save',
    'purchase-confirmation',
    'settings-language',
    'profile-stats',
    'profile-timeline',
    'profile-save',
  ];
  for (const id of ids) assert.ok(all.includes(`'${id}'`), `#${id} missing`);
  // Loyalty (issue 5).
  const loyaltyIds = [
    'purchase-redeem',
    'purchase-redeem-max',
    'purchase-pay',
    'counter-loyalty',
    'profile-points',
    'profile-ledger',
    'profile-tier-history',
    'points-adjust-delta',
    'points-adjust-reason',
    'points-adjust-save',
    'refund-amount',
    'refund-confirm',
    'settings-loyalty',
    'settings-tiers',
  ];
  for (const id of loyaltyIds) assert.ok(all.includes(`'${id}'`), `#${id} missing`);
  assert.match(all, /'ghost small refund-action'/);
  // Backup, import / export, duplicates (issues 6 and 7).
  const transferIds = [
    'settings-backup',
    'backup-now',
    'backup-status',
    'backup-folder',
    'backup-keep',
    'backup-list',
    'restore-confirm',
    'import-kind',
    'import-file',
    'import-mapping',
    'import-run',
    'import-report',
    'import-progress',
    'duplicates-list',
    'merge-keep',
    'merge-confirm',
  ];
  for (const id of transferIds) assert.ok(all.includes(`'${id}'`), `#${id} missing`);
  for (const k of ['customers', 'purchases', 'points']) assert.ok(all.includes(`'${k}'`));
  assert.match(all, /id: `export-\$\{k\}`/); // #export-customers, #export-purchases, #export-points
  for (const cls of ['backup-restore', 'backup-verify', 'duplicate-group'])
    assert.match(all, new RegExp(`'[^']*\\b${cls}\\b[^']*'`), `.${cls} missing`);
  for (const nav of ['counter', 'customers', 'reminders', 'reports', 'settings'])
    assert.ok(all.includes(`id: '${nav}'`), `#nav-${nav} missing`);
  assert.match(all, /id: `profile-\$\{name\.replace\('_', '-'\)\}`/); // #profile-name, #profile-phone
  assert.match(all, /'field-error'/);
  // Staff, lock screen and audit log (issue 9).
  const staffIds = [
    'setup-screen',
    'setup-name',
    'setup-pin',
    'setup-pin-confirm',
    'setup-submit',
    'lock-screen',
    'lock-pin',
    'lock-submit',
    'lock-now',
    'user-name',
    'user-role',
    'forbidden',
    'forbidden-home',
    'staff-screen',
    'staff-table',
    'staff-add-form',
    'staff-add-save',
    'audit-screen',
    'audit-table',
    'audit-verify',
    'audit-verify-result',
    'audit-more',
    'settings-idle-lock',
    'settings-staff-open',
    'settings-audit-open',
  ];
  for (const id of staffIds) assert.ok(all.includes(`'${id}'`), `#${id} missing`);
  assert.match(all, /'lock-user'/);
  for (const id of ['staff-add', 'staff-edit'])
    assert.ok(all.includes(`accountFields('${id}'`), `#${id}-name etc. missing`);
  // Start-up, upgrade and support (issue 19).
  const supportIds = [
    'upgrade-screen',
    'upgrade-versions',
    'upgrade-phase',
    'upgrade-progress',
    'upgrade-percent',
    'upgrade-error',
    'settings-about',
    'settings-about-title',
    'settings-about-version',
    'settings-about-schema',
    'settings-data-dir',
    'settings-log-dir',
    'settings-logs-export',
    'restore-dialog',
    'restore-cancel',
  ];
  for (const id of supportIds) assert.ok(all.includes(`'${id}'`), `#${id} missing`);
  assert.match(all, /id: `\$\{id\}-open`/); // #settings-data-dir-open, #settings-log-dir-open
});
