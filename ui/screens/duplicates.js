// "Khách trùng" (#duplicates, linked from the customer list): the groups of
// customer_duplicates with their reason; a group opens side by side (details from
// customer_get), with the suggested customer to keep pre-selected; "Gộp" confirms and
// calls customer_merge for every other member, then reloads the groups.
import * as api from '../lib/api.js';
import { h, fill, icon } from '../lib/dom.js';
import { formatBirthday } from '../lib/format.js';
import { duplicateReason } from '../lib/names.js';

let ctx = null;
let els = null;
let groups = [];
let total = 0;
let openKey = null; // the open group, by its member ids
let details = new Map(); // id -> customer_get answer
let keep = null;
let merging = false;

const groupKey = (g) =>
  g.customers
    .map((c) => c.id)
    .sort((a, b) => a - b)
    .join('-');

function mount(root, context) {
  ctx = context;
  const { t } = ctx;
  els = {
    list: h(
      'div',
      { class: 'duplicates-list', id: 'duplicates-list', role: 'list' },
      h('p', { class: 'loading' }, t('common.loading')),
    ),
    detail: h('div', { class: 'card duplicate-detail', id: 'duplicate-detail' }),
    count: h('span', { class: 'badge muted', id: 'duplicates-count' }),
  };
  fill(
    root,
    h(
      'div',
      { class: 'duplicates' },
      h(
        'header',
        { class: 'screen-header' },
        h(
          'button',
          { type: 'button', class: 'ghost small', id: 'duplicates-back', onclick: () => ctx.navigate('customers') },
          icon('back'),
          t('nav.customers'),
        ),
        h('h1', {}, t('duplicates.title')),
        els.count,
      ),
      h('p', { class: 'muted intro' }, t('duplicates.intro')),
      h('div', { class: 'duplicates-grid' }, h('div', { class: 'card duplicates-list-card' }, els.list), els.detail),
    ),
  );
  renderDetail();
  load();
}

function unmount() {
  els = null;
}

async function load(autoOpen = true) {
  const mine = els;
  try {
    const r = await api.customerDuplicates();
    if (mine !== els) return;
    groups = r.groups;
    total = r.total;
    if (openKey && !groups.some((g) => groupKey(g) === openKey)) openKey = null;
    renderList();
    if (!openKey && groups.length && autoOpen) open(groups[0]);
    else if (openKey || autoOpen) renderDetail();
  } catch (err) {
    if (mine === els) fill(els.list, h('p', { class: 'notice error' }, ctx.t.error(err)));
  }
}

function reasonText(g) {
  return g.reasons.map((r, i) => duplicateReason(ctx.t, r, g.shared?.[i] ?? ''));
}

function renderList() {
  const { t, fmt } = ctx;
  els.count.textContent = t('duplicates.count', { count: fmt.number(total) });
  if (!groups.length) {
    fill(
      els.list,
      h('div', { class: 'empty-state small' }, icon('check', 'icon big-ok'), h('p', {}, t('duplicates.none'))),
    );
    return;
  }
  fill(
    els.list,
    total > groups.length &&
      h('p', { class: 'hint' }, t('duplicates.more', { shown: fmt.number(groups.length), total: fmt.number(total) })),
    groups.map((g) => {
      const key = groupKey(g);
      return h(
        'button',
        {
          type: 'button',
          role: 'listitem',
          class: ['duplicate-group', key === openKey && 'selected'],
          dataset: { key },
          'aria-current': key === openKey ? 'true' : null,
          onclick: () => open(g),
        },
        h('span', { class: 'group-names' }, [...new Set(g.customers.map((c) => c.name))].join(' · ')),
        h(
          'span',
          { class: 'group-reasons' },
          g.reasons.map((r) => h('span', { class: ['chip', `reason-${r}`] }, t(`duplicates.reason_short_${r}`))),
          h('span', { class: 'muted' }, g.customers.map((c) => c.phone_display || '—').join(', ')),
        ),
      );
    }),
  );
}

async function open(g) {
  openKey = groupKey(g);
  keep = g.suggested_keep;
  details = new Map();
  renderList();
  renderDetail();
  const mine = els;
  const key = openKey;
  try {
    const answers = await Promise.all(g.customers.map((c) => api.customerGet(c.id)));
    if (mine !== els || key !== openKey) return;
    answers.forEach((a) => details.set(a.customer.id, a));
    renderDetail();
  } catch (err) {
    if (mine === els && key === openKey) ctx.showError(err);
  }
}

function renderDetail() {
  const { t, fmt } = ctx;
  const g = groups.find((x) => groupKey(x) === openKey);
  if (!g) {
    fill(
      els.detail,
      h('p', { class: 'muted empty' }, groups.length ? t('duplicates.pick') : t('duplicates.none_detail')),
    );
    return;
  }
  const rows = [
    ['fields.name', (c) => c.name],
    ['fields.phone', (c) => c.phone_display || '—'],
    ['fields.code', (c) => c.code],
    ['fields.birthday', (c, d) => formatBirthday(d?.customer.birthday)],
    ['fields.email', (c, d) => d?.customer.email],
    ['customers.col_visits', (c) => fmt.number(c.visits)],
    ['customers.col_total_spent', (c) => fmt.money(c.total_spent)],
    ['duplicates.points', (c) => fmt.number(c.points ?? 0)],
    ['duplicates.last_visit', (c) => (c.last_purchase_at ? fmt.date(c.last_purchase_at) : null)],
  ];
  const columns = g.customers;
  const keepRow = h(
    'tr',
    { class: 'keep-row' },
    h('th', {}, t('duplicates.keep')),
    columns.map((c) =>
      h(
        'td',
        { class: c.id === keep ? 'keep' : null },
        h(
          'label',
          { class: 'check keep-choice' },
          h('input', {
            type: 'radio',
            name: 'merge-keep',
            value: String(c.id),
            checked: c.id === keep,
            onchange: () => {
              keep = c.id;
              renderDetail();
            },
          }),
          c.id === keep ? t('duplicates.keep_this') : t('duplicates.merge_this'),
          c.id === g.suggested_keep && h('span', { class: 'badge' }, t('duplicates.suggested')),
        ),
      ),
    ),
  );
  const kept = columns.find((c) => c.id === keep);
  fill(
    els.detail,
    h('h2', {}, icon('merge'), t('duplicates.compare_title')),
    h('p', { class: 'muted' }, reasonText(g).join(' · ')),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'compare-table', id: 'merge-keep', role: 'radiogroup', 'aria-label': t('duplicates.keep') },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th'),
            columns.map((c) =>
              h(
                'th',
                { class: c.id === keep ? 'keep' : null },
                h('a', { href: `#profile/${c.id}` }, `#${c.id}`),
                c.archived && h('span', { class: 'badge muted' }, t('counter.archived')),
              ),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          keepRow,
          rows.map(([label, get]) => {
            const values = columns.map((c) => get(c, details.get(c.id)) || null);
            const differ = new Set(values.map((v) => v ?? '')).size > 1;
            return h(
              'tr',
              { class: differ ? 'differ' : null },
              h('th', {}, t(label)),
              values.map((v, i) =>
                h(
                  'td',
                  { class: columns[i].id === keep ? 'keep' : null },
                  v ?? h('span', { class: 'muted' }, t('common.none')),
                ),
              ),
            );
          }),
        ),
      ),
    ),
    h('p', { class: 'hint' }, t('duplicates.merge_hint')),
    h(
      'div',
      { class: 'form-actions' },
      h('span', { class: 'spacer' }),
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          id: 'merge-run',
          disabled: merging || !kept,
          onclick: () => confirmMerge(g),
        },
        icon('merge'),
        t('duplicates.merge'),
      ),
    ),
  );
}

/** The confirmation (#merge-dialog, confirmed with #merge-confirm), then the merges. */
function confirmMerge(g) {
  const { t } = ctx;
  const kept = g.customers.find((c) => c.id === keep);
  const others = g.customers.filter((c) => c.id !== keep);
  const error = h('p', { class: 'dialog-error', role: 'alert' });
  const confirm = h('button', { type: 'button', class: 'primary', id: 'merge-confirm' }, t('duplicates.merge'));
  const cancel = h('button', { type: 'button', class: 'ghost', id: 'merge-cancel' }, t('common.cancel'));
  const dlg = h(
    'dialog',
    { class: 'dialog', id: 'merge-dialog', 'aria-labelledby': 'merge-title' },
    h('h2', { id: 'merge-title' }, t('duplicates.confirm_title')),
    h(
      'p',
      {},
      t('duplicates.confirm_body', {
        others: others.map((c) => `${c.name} (${c.phone_display || '—'})`).join(', '),
        keep: `${kept.name} (${kept.phone_display || '—'})`,
      }),
    ),
    h('p', {}, t('duplicates.confirm_note')),
    error,
    h('div', { class: 'dialog-actions' }, cancel, confirm),
  );
  const close = () => {
    if (!merging) {
      dlg.close();
      dlg.remove();
    }
  };
  cancel.addEventListener('click', close);
  dlg.addEventListener('cancel', (e) => {
    e.preventDefault();
    close();
  });
  confirm.addEventListener('click', async () => {
    merging = true;
    confirm.disabled = true;
    cancel.disabled = true;
    fill(confirm, h('span', { class: 'spinner' }), t('duplicates.merging'));
    try {
      let result = null;
      for (const other of others) result = await api.customerMerge(keep, other.id);
      merging = false;
      close();
      openKey = null;
      if (els) {
        fill(
          els.detail,
          h(
            'div',
            { class: 'notice success', id: 'merge-done' },
            icon('check'),
            t('duplicates.merged', { name: result.kept.name, purchases: ctx.fmt.number(result.moved?.purchases ?? 0) }),
            h('a', { href: `#profile/${result.kept.id}` }, t('duplicates.open_profile')),
          ),
        );
        await load(false);
      }
    } catch (err) {
      merging = false;
      confirm.disabled = false;
      cancel.disabled = false;
      fill(confirm, t('duplicates.merge'));
      fill(error, ctx.t.error(err));
    }
  });
  document.body.append(dlg);
  dlg.showModal();
  cancel.focus();
}

export default { mount, unmount };
