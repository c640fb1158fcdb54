// Import / export (#import, reached from Settings). Import: pick a kind and a CSV/XLSX
// file, import_preview shows the detected column mapping (editable per column), sample
// rows and a dry run; "Nhập" runs import_run with a progress bar fed by "import-progress"
// events. Export: the save picker chooses the file (.csv or .xlsx), export_run writes it.
import * as api from '../lib/api.js';
import { h, fill, icon } from '../lib/dom.js';
import { latestOnly, STALE } from '../lib/async.js';
import { countLabels, errorsHeading, progressView } from '../lib/import-report.js';

const KINDS = ['customers', 'purchases'];
const EXPORTS = ['customers', 'purchases', 'points'];
const SAMPLE_ROWS = 6;

// Kept across mounts (e.g. a language switch re-renders the screen).
const state = {
  kind: 'customers',
  path: null,
  sheet: null,
  mapping: null,
  createMissing: false,
  skipInvalid: false,
  preview: null,
  previewError: null,
  result: null,
  exportFormat: 'xlsx',
};

let ctx = null;
let els = null;
let running = false;
const latest = latestOnly();

const fileName = (p) =>
  String(p ?? '')
    .split(/[\\/]/)
    .pop();

function mount(root, context) {
  ctx = context;
  const { t } = ctx;
  els = {
    kind: h(
      'select',
      {
        id: 'import-kind',
        name: 'kind',
        onchange: (e) => {
          state.kind = e.target.value;
          state.mapping = null;
          state.sheet = null;
          renderOptions();
          preview();
        },
      },
      KINDS.map((k) => h('option', { value: k, selected: k === state.kind }, t(`transfer.kind_${k}`))),
    ),
    file: h(
      'button',
      { type: 'button', class: 'ghost', id: 'import-file', onclick: chooseFile },
      t('transfer.choose_file'),
    ),
    path: h('span', { class: 'import-path', id: 'import-path' }),
    sheetField: h('label', { class: 'field hidden' }, h('span', { class: 'label' }, t('transfer.sheet'))),
    sheet: h('select', {
      id: 'import-sheet',
      name: 'sheet',
      onchange: (e) => {
        state.sheet = e.target.value;
        state.mapping = null;
        preview();
      },
    }),
    createMissing: h('input', {
      type: 'checkbox',
      id: 'import-create-missing',
      checked: state.createMissing,
      onchange: (e) => {
        state.createMissing = e.target.checked;
        preview();
      },
    }),
    skipInvalid: h('input', {
      type: 'checkbox',
      id: 'import-skip-invalid',
      checked: state.skipInvalid,
      onchange: (e) => {
        state.skipInvalid = e.target.checked;
        renderRun();
      },
    }),
    mapping: h('div', { class: 'import-mapping', id: 'import-mapping' }),
    report: h('div', { class: 'import-report', id: 'import-report', 'aria-live': 'polite' }),
    progress: h('div', {
      class: 'import-progress hidden',
      id: 'import-progress',
      role: 'progressbar',
      'aria-valuemin': '0',
    }),
    run: h(
      'button',
      { type: 'button', class: 'primary', id: 'import-run', disabled: true, onclick: runImport },
      t('transfer.run'),
    ),
    runHint: h('span', { class: 'hint', id: 'import-run-hint' }),
    exportResult: h('div', { class: 'export-result', 'aria-live': 'polite' }),
  };
  els.sheetField.append(els.sheet);
  els.createMissingLabel = h('label', { class: 'check' }, els.createMissing, t('transfer.create_missing'));
  const format = h(
    'div',
    { class: 'segmented', role: 'radiogroup', 'aria-label': t('transfer.format') },
    ['xlsx', 'csv'].map((f) =>
      h(
        'label',
        { class: 'check' },
        h('input', {
          type: 'radio',
          name: 'export-format',
          id: `export-format-${f}`,
          value: f,
          checked: state.exportFormat === f,
          onchange: () => {
            state.exportFormat = f;
          },
        }),
        t(`transfer.format_${f}`),
      ),
    ),
  );

  fill(
    root,
    h(
      'div',
      { class: 'transfer' },
      h(
        'header',
        { class: 'screen-header' },
        h(
          'button',
          { type: 'button', class: 'ghost small', id: 'import-back', onclick: () => ctx.navigate('settings') },
          icon('back'),
          t('nav.settings'),
        ),
        h('h1', {}, t('transfer.title')),
      ),
      h(
        'section',
        { class: 'card import-card' },
        h('h2', {}, icon('transfer'), t('transfer.import_title')),
        h('p', { class: 'muted intro' }, t('transfer.import_body')),
        h(
          'div',
          { class: 'import-source' },
          h('label', { class: 'field' }, h('span', { class: 'label' }, t('transfer.kind')), els.kind),
          h(
            'div',
            { class: 'field import-file-field' },
            h('span', { class: 'label' }, t('transfer.file')),
            h('div', { class: 'file-row' }, els.file, els.path),
          ),
          els.sheetField,
        ),
        h(
          'div',
          { class: 'import-options' },
          els.createMissingLabel,
          h('label', { class: 'check' }, els.skipInvalid, t('transfer.skip_invalid')),
        ),
        els.mapping,
        els.report,
        els.progress,
        h('div', { class: 'form-actions' }, els.run, els.runHint),
      ),
      h(
        'section',
        { class: 'card export-card' },
        h('h2', {}, icon('archive'), t('transfer.export_title')),
        h('p', { class: 'muted intro' }, t('transfer.export_body')),
        h('div', { class: 'form-actions' }, h('span', { class: 'label' }, t('transfer.format')), format),
        h(
          'div',
          { class: 'form-actions export-buttons' },
          EXPORTS.map((k) =>
            h(
              'button',
              { type: 'button', class: 'ghost', id: `export-${k}`, onclick: (e) => runExport(k, e.currentTarget) },
              t(`transfer.export_${k}`),
            ),
          ),
        ),
        els.exportResult,
      ),
    ),
  );
  renderOptions();
  renderPreview();
}

function unmount() {
  latest.invalidate();
  els = null;
}

function renderOptions() {
  if (!els) return;
  els.createMissingLabel.classList.toggle('hidden', state.kind !== 'purchases');
  fill(
    els.path,
    state.path
      ? [h('strong', {}, fileName(state.path)), h('span', { class: 'muted' }, state.path)]
      : h('span', { class: 'muted' }, ctx.t('transfer.no_file')),
  );
  if (state.path) els.path.title = state.path;
  const sheets = state.preview?.sheets ?? [];
  els.sheetField.classList.toggle('hidden', sheets.length === 0);
  fill(
    els.sheet,
    sheets.map((s) => h('option', { value: s, selected: s === (state.preview?.sheet ?? state.sheet) }, s)),
  );
}

async function chooseFile() {
  let path;
  try {
    path = await api.pickFile([{ name: ctx.t('transfer.filter_tables'), extensions: ['csv', 'xlsx', 'txt'] }]);
  } catch (err) {
    ctx.showError(err);
    return;
  }
  if (!path) return;
  Object.assign(state, { path, sheet: null, mapping: null, preview: null, previewError: null, result: null });
  renderOptions();
  preview();
}

async function preview() {
  if (!state.path || !els) return;
  state.result = null;
  fill(els.report, h('p', { class: 'loading' }, ctx.t('transfer.reading')));
  els.run.disabled = true;
  try {
    const p = await latest(
      api.importPreview({
        kind: state.kind,
        path: state.path,
        sheet: state.sheet,
        mapping: state.mapping,
        createMissing: state.kind === 'purchases' && state.createMissing,
      }),
    );
    if (p === STALE || !els) return;
    state.preview = p;
    state.previewError = null;
    state.mapping = { ...p.mapping };
    state.sheet = p.sheet;
  } catch (err) {
    if (!els) return;
    state.preview = null;
    state.previewError = err;
  }
  renderOptions();
  renderPreview();
}

function renderPreview() {
  if (!els) return;
  const { t } = ctx;
  const p = state.preview;
  if (state.previewError) {
    fill(els.mapping);
    fill(els.report, h('div', { class: 'notice error' }, ctx.t.error(state.previewError)));
    renderRun();
    return;
  }
  if (!p) {
    fill(els.mapping, state.path ? null : h('p', { class: 'muted empty' }, t('transfer.pick_first')));
    fill(els.report);
    renderRun();
    return;
  }
  const byColumn = new Map(Object.entries(state.mapping ?? {}).map(([field, col]) => [col, field]));
  const fieldLabel = (f) => `${t(`transfer.field_${f}`)}${p.required.includes(f) ? ' *' : ''}`;
  const selects = p.headers.map((header, col) =>
    h(
      'select',
      {
        class: ['map-select', byColumn.has(col) && 'mapped'],
        dataset: { column: col },
        'aria-label': t('transfer.map_label', { column: header || String(col + 1) }),
        onchange: (e) => remap(col, e.target.value),
      },
      h('option', { value: '' }, t('transfer.field_ignore')),
      p.fields.map((f) => h('option', { value: f, selected: byColumn.get(col) === f }, fieldLabel(f))),
    ),
  );
  const missing = p.required.filter((f) => state.mapping?.[f] === undefined);
  fill(
    els.mapping,
    h('h3', {}, t('transfer.mapping_title')),
    h('p', { class: 'hint' }, t('transfer.mapping_hint')),
    h(
      'div',
      { class: 'table-scroll mapping-scroll' },
      h(
        'table',
        { class: 'mapping-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { class: 'line' }, t('transfer.col_line')),
            p.headers.map((x, i) =>
              h('th', { class: byColumn.has(i) ? 'mapped' : 'ignored' }, x || t('transfer.unnamed', { n: i + 1 })),
            ),
          ),
          h(
            'tr',
            { class: 'map-row' },
            h('th', { class: 'line' }),
            selects.map((s) => h('th', {}, s)),
          ),
        ),
        h(
          'tbody',
          {},
          p.sample.slice(0, SAMPLE_ROWS).map((r) =>
            h(
              'tr',
              {},
              h('td', { class: 'line' }, String(r.line)),
              r.cells.map((c, i) => h('td', { class: byColumn.has(i) ? null : 'ignored' }, c)),
            ),
          ),
        ),
      ),
    ),
    p.sample.length > SAMPLE_ROWS && h('p', { class: 'hint' }, t('transfer.sample_more', { shown: SAMPLE_ROWS })),
    missing.length > 0 &&
      h(
        'p',
        { class: 'hint warn-text' },
        t('transfer.required_missing', { fields: missing.map((f) => t(`transfer.field_${f}`)).join(', ') }),
      ),
  );
  if (p.mapping_error)
    fill(els.report, h('div', { class: 'notice error' }, p.mapping_error.message || ctx.t.error(p.mapping_error)));
  else if (state.result) renderReport(state.result);
  else if (p.report) renderReport(p.report);
  else fill(els.report);
  renderRun();
}

/** Column col now feeds field (or nothing): a field feeds from one column only. */
function remap(col, field) {
  const mapping = { ...(state.mapping ?? {}) };
  for (const [f, c] of Object.entries(mapping)) if (c === col || f === field) delete mapping[f];
  if (field) mapping[field] = col;
  state.mapping = mapping;
  preview();
}

function renderReport(r) {
  const { t, fmt } = ctx;
  const stat = (key, value, cls) =>
    h(
      'div',
      { class: ['report-stat', cls] },
      h('span', { class: 'stat-value' }, fmt.number(value)),
      h('span', { class: 'stat-label' }, t(key)),
    );
  const dry = r.dry_run;
  const labels = countLabels(r);
  const heading = errorsHeading(r);
  const headline = dry
    ? h('p', { class: 'report-head' }, t('transfer.dry_run_head'))
    : r.committed
      ? h(
          'div',
          { class: 'notice success' },
          icon('check'),
          t('transfer.done', { rows: fmt.number(r.inserted + r.updated) }),
        )
      : h('div', { class: 'notice error' }, icon('x'), t('transfer.refused', { rejected: fmt.number(r.rejected) }));
  fill(
    els.report,
    headline,
    h(
      'div',
      { class: 'report-stats' },
      stat('transfer.stat_rows', r.rows),
      stat(labels.inserted, r.inserted, 'ok'),
      stat(labels.updated, r.updated),
      stat('transfer.stat_unchanged', r.unchanged, 'muted'),
      r.kind === 'purchases' && stat(labels.created, r.customers_created),
      stat('transfer.stat_rejected', r.rejected, r.rejected ? 'bad' : 'muted'),
    ),
    r.errors.length > 0 &&
      h(
        'div',
        { class: 'report-errors' },
        h(
          'h3',
          { id: 'import-errors-title' },
          t('transfer.errors_in_rows', { count: fmt.number(heading.count), rows: fmt.number(heading.rows) }),
        ),
        h(
          'div',
          { class: 'table-scroll errors-scroll' },
          h(
            'table',
            { class: 'list errors-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { class: 'num' }, t('transfer.col_line')),
                h('th', {}, t('transfer.col_column')),
                h('th', {}, t('transfer.col_reason')),
              ),
            ),
            h(
              'tbody',
              {},
              r.errors.map((e) =>
                h(
                  'tr',
                  {},
                  h('td', { class: 'num' }, String(e.line)),
                  h('td', {}, e.column ?? t('common.none')),
                  h('td', {}, e.message || ctx.t.error(e)),
                ),
              ),
            ),
          ),
        ),
      ),
  );
}

function renderRun() {
  if (!els) return;
  const { t } = ctx;
  const p = state.preview;
  const ready = !!p && !p.mapping_error && !running;
  els.run.disabled = !ready;
  const rejected = p?.report?.rejected ?? 0;
  fill(
    els.runHint,
    !p || !p.report || state.result
      ? null
      : rejected && !state.skipInvalid
        ? t('transfer.hint_all_or_nothing', { rejected: ctx.fmt.number(rejected) })
        : rejected
          ? t('transfer.hint_skip', { rejected: ctx.fmt.number(rejected) })
          : null,
  );
}

async function runImport() {
  const { t, fmt } = ctx;
  if (running || !state.preview) return;
  running = true;
  renderRun();
  fill(els.run, h('span', { class: 'spinner' }), t('transfer.running'));
  const bar = h('div', { class: 'bar' });
  const label = h('span', { class: 'progress-label' }, t('transfer.starting'));
  els.progress.classList.remove('hidden');
  fill(els.progress, h('div', { class: 'track' }, bar), label);
  const mine = els;
  const unlisten = await api.onImportProgress((event) => {
    if (mine !== els) return;
    const p = progressView(event);
    // Width by class steps (the CSP forbids inline styles): 0–100 in steps of 5.
    bar.className = `bar w${Math.round(p.percent / 5) * 5}`;
    mine.progress.setAttribute('aria-valuenow', String(p.percent));
    mine.progress.setAttribute('aria-valuemax', '100');
    label.textContent = t(p.key, { done: fmt.number(p.done), total: fmt.number(p.total), percent: p.percent });
  });
  try {
    const report = await api.importRun({
      kind: state.kind,
      path: state.path,
      sheet: state.sheet,
      mapping: state.mapping,
      createMissing: state.kind === 'purchases' && state.createMissing,
      skipInvalid: state.skipInvalid,
    });
    state.result = report;
    if (mine === els) {
      bar.className = 'bar w100';
      renderReport(report);
    }
  } catch (err) {
    if (mine === els) fill(els.report, h('div', { class: 'notice error' }, ctx.t.error(err)));
    else ctx.showError(err);
  } finally {
    unlisten();
    running = false;
    if (mine === els) {
      fill(els.run, t('transfer.run'));
      setTimeout(() => mine.progress.classList.add('hidden'), 600);
      renderRun();
    }
  }
}

async function runExport(kind, button) {
  const { t, fmt } = ctx;
  const ext = state.exportFormat;
  const today = new Date().toISOString().slice(0, 10);
  const filters = [
    { name: t(`transfer.format_${ext}`), extensions: [ext] },
    { name: t(`transfer.format_${ext === 'csv' ? 'xlsx' : 'csv'}`), extensions: [ext === 'csv' ? 'xlsx' : 'csv'] },
  ];
  let path;
  try {
    path = await api.pickSavePath(`${t(`transfer.export_file_${kind}`)}-${today}.${ext}`, filters);
  } catch (err) {
    ctx.showError(err);
    return;
  }
  if (!path) return;
  button.disabled = true;
  fill(els.exportResult, h('p', { class: 'loading' }, t('transfer.exporting')));
  try {
    const r = await api.exportRun(kind, path);
    if (!els) return;
    fill(
      els.exportResult,
      h(
        'div',
        { class: 'notice success', id: 'export-done' },
        icon('check'),
        h(
          'div',
          {},
          h('strong', {}, t('transfer.exported', { rows: fmt.number(r.rows), what: t(`transfer.export_${r.kind}`) })),
          h('div', { class: 'path' }, r.path),
        ),
      ),
    );
  } catch (err) {
    if (els) fill(els.exportResult, h('div', { class: 'notice error' }, ctx.t.error(err)));
    else ctx.showError(err);
  } finally {
    button.disabled = false;
  }
}

export default { mount, unmount };
