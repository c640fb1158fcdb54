// Small SVG charts for the reports, without dependencies. Everything is built with
// createElementNS and attributes (the CSP refuses style attributes); colours come from
// classes in styles.css, except the heatmap scale, which is a fill attribute. Each chart is
// an <svg role="img"> with an aria-label, a <title> and a <desc>; the screens add a table of
// the same numbers for whoever cannot read the picture.
// The helpers at the top are pure (no DOM), so node tests can import them.

const NS = 'http://www.w3.org/2000/svg';

/** A rounded-up axis maximum: 1, 2, 2.5, 5 or 10 times a power of ten (at least `min`). */
export function niceMax(value, min = 1) {
  const v = Math.max(Number(value) || 0, min);
  const mag = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((k) => k * mag).find((x) => x >= v - 1e-9 * mag);
}

/** A round step (1, 2, 2.5 or 5 times a power of ten) and the top it reaches: about `count` steps cover max. */
export function niceScale(max, count = 4) {
  const m = Number(max) > 0 ? Number(max) : 1;
  const step = niceMax(m / count, 1e-9);
  const top = Math.ceil(m / step - 1e-9) * step;
  return { step, top: Math.round(top * 1e6) / 1e6 };
}

/** Tick values from 0 to the nice top of max: [0, step, ..., top]. */
export function ticks(max, count = 4) {
  const { step, top } = niceScale(max, count);
  const n = Math.round(top / step);
  return Array.from({ length: n + 1 }, (_, i) => Math.round(i * step * 1e6) / 1e6);
}

/** Position of value in [0, max] on a pixel range [a, b] (clamped). */
export function scale(value, max, a, b) {
  const t = max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
  return a + (b - a) * t;
}

/** Every how many categories an x label fits, for labels about `labelWidth` wide. */
export function labelStep(count, slotWidth, labelWidth) {
  if (count <= 0 || slotWidth <= 0) return 1;
  return Math.max(1, Math.ceil(labelWidth / slotWidth));
}

const hex = (n) => Math.round(n).toString(16).padStart(2, '0');
const rgb = (c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));

/** Linear mix of two "#rrggbb" colours, t in [0, 1]. */
export function mix(a, b, t) {
  const x = rgb(a);
  const y = rgb(b);
  const k = Math.min(1, Math.max(0, t));
  return `#${x.map((v, i) => hex(v + (y[i] - v) * k)).join('')}`;
}

// The heat scale: pale to the app's accent (teal), through a mid tone.
const HEAT = ['#f1f7f5', '#7cc4b6', '#0b5e58'];

/** Colour of a share t in [0, 1] on the heat scale; null (no data) is a neutral grey. */
export function heatColor(t) {
  if (t === null || t === undefined || !Number.isFinite(t)) return '#f4f5f2';
  const k = Math.min(1, Math.max(0, t));
  return k < 0.5 ? mix(HEAT[0], HEAT[1], k * 2) : mix(HEAT[1], HEAT[2], (k - 0.5) * 2);
}

/** Whether text on heatColor(t) should be light. */
export const heatTextLight = (t) => Number.isFinite(t) && t >= 0.55;

/** A short number for an axis ("1,5 Tr", "250k"), in the interface locale. */
export function compact(value, locale) {
  const n = Number(value);
  if (!Number.isFinite(n)) return '';
  return new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

/**
 * The width a column needs for its longest label (about `charPx` a character, plus `pad`),
 * never below `min`: headers such as "Tháng 10" then never run into their neighbours.
 */
export function fitWidth(labels, { min = 0, charPx = 7.2, pad = 14 } = {}) {
  const longest = Math.max(0, ...labels.map((l) => [...String(l ?? '')].length));
  return Math.max(min, Math.ceil(longest * charPx + pad));
}

/** Whole numbers for counts on an axis, grouped in the locale ("1.200", "1,200"). */
export function count(value, locale) {
  const n = Number(value);
  if (!Number.isFinite(n)) return '';
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(n);
}

// ---------- DOM ----------

/** s('rect', {x: 1, class: 'bar'}, ...children): an SVG element; null/false attributes and children are skipped. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let uid = 0;
/** The accessible frame of a chart: viewBox w×h, role="img", aria-label, <title>, <desc>. */
function frame({ width, height, title, desc, cls, fixed = false }) {
  const id = `chart-${++uid}`;
  return s(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      class: ['chart-svg', cls].filter(Boolean).join(' '),
      role: 'img',
      'aria-label': title,
      'aria-describedby': desc ? `${id}-desc` : null,
      preserveAspectRatio: 'xMinYMin meet',
      width: fixed ? width : null,
      height: fixed ? height : null,
      focusable: 'false',
    },
    s('title', {}, title),
    desc && s('desc', { id: `${id}-desc` }, desc),
  );
}

const text = (x, y, content, cls, anchor = 'middle', extra = {}) =>
  s('text', { x, y, class: cls, 'text-anchor': anchor, ...extra }, content);

/**
 * Bars and a line on one 0–max percent axis, e.g. churn (bars) and retention (line) per period.
 * opts: {labels: [string], bars: {name, values: [number|null]}, line: {name, values},
 *   format: (v) => string, title, desc, max?: number (default 100), width?, height?,
 *   partial?: [bool] periods still running (hatched, lighter, `partialLabel` under the label)}
 */
export function barLineChart({
  labels,
  bars,
  line,
  format = String,
  title,
  desc,
  max = 100,
  width = 960,
  height = 300,
  partial = [],
  partialLabel = '',
}) {
  const m = { left: 48, right: 16, top: 40, bottom: partial.some(Boolean) ? 48 : 34 };
  const n = labels.length;
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const top = niceScale(
    Math.max(max, ...bars.values.filter(Number.isFinite), ...line.values.filter(Number.isFinite)),
    4,
  ).top;
  const y = (v) => scale(v, top, m.top + plotH, m.top);
  const slot = n ? plotW / n : plotW;
  const cx = (i) => m.left + slot * (i + 0.5);
  const barW = Math.max(4, Math.min(44, slot * 0.56));
  const svg = frame({ width, height, title, desc, cls: 'chart-barline' });
  // Diagonal hatching for a period that is not over yet (its figures are so far).
  const hatch = `${svg.querySelector('desc')?.id ?? `chart-${++uid}`}-hatch`;
  if (partial.some(Boolean)) {
    svg.append(
      s(
        'defs',
        {},
        s(
          'pattern',
          { id: hatch, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
          s('rect', { x: 0, y: 0, width: 6, height: 6, class: 'series-bar-partial-bg' }),
          s('line', { x1: 0, y1: 0, x2: 0, y2: 6, class: 'series-bar-hatch' }),
        ),
      ),
    );
  }
  // Grid and y axis.
  svg.append(
    s(
      'g',
      { class: 'chart-grid' },
      ticks(top, 4).map((v) => [
        s('line', { x1: m.left, x2: width - m.right, y1: y(v), y2: y(v), class: v === 0 ? 'axis' : null }),
        text(m.left - 8, y(v) + 4, format(v), 'tick', 'end'),
      ]),
    ),
  );
  // Legend, top left.
  const legend = s(
    'g',
    { class: 'chart-legend', transform: `translate(${m.left}, 16)` },
    s('rect', { x: 0, y: -9, width: 12, height: 12, rx: 2, class: 'series-bar' }),
    text(18, 1, bars.name, 'legend-text', 'start'),
    s('line', { x1: 200, x2: 222, y1: -3, y2: -3, class: 'series-line' }),
    s('circle', { cx: 211, cy: -3, r: 3.5, class: 'series-point' }),
    text(230, 1, line.name, 'legend-text', 'start'),
  );
  svg.append(legend);
  // Bars with their values.
  const step = labelStep(n, slot, 46);
  const barsG = s('g', { class: 'series-bars' });
  const labelsG = s('g', { class: 'chart-values' });
  bars.values.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    const y0 = y(v);
    const part = Boolean(partial[i]);
    barsG.append(
      s(
        'rect',
        {
          x: cx(i) - barW / 2,
          y: y0,
          width: barW,
          height: Math.max(0, m.top + plotH - y0),
          rx: 2,
          class: part ? 'series-bar-partial' : 'series-bar',
          fill: part ? `url(#${hatch})` : null,
          'data-partial': part ? 'true' : null,
        },
        s('title', {}, `${labels[i]}${part && partialLabel ? ` (${partialLabel})` : ''} · ${bars.name}: ${format(v)}`),
      ),
    );
    const lv = line.values[i];
    const clash = Number.isFinite(lv) && Math.abs(y(lv) - (y0 - 6)) < 16;
    if (!clash && n <= 24) labelsG.append(text(cx(i), y0 - 6, format(v), 'value bar-value'));
  });
  svg.append(barsG);
  // The line, broken where a value is missing.
  const segments = [];
  let current = [];
  line.values.forEach((v, i) => {
    if (Number.isFinite(v)) current.push(`${cx(i).toFixed(1)},${y(v).toFixed(1)}`);
    else if (current.length) {
      segments.push(current);
      current = [];
    }
  });
  if (current.length) segments.push(current);
  svg.append(
    s(
      'g',
      { class: 'series-line-g' },
      segments.map((pts) => s('polyline', { points: pts.join(' '), class: 'series-line' })),
      line.values.map(
        (v, i) =>
          Number.isFinite(v) &&
          s(
            'circle',
            { cx: cx(i), cy: y(v), r: 3.5, class: 'series-point' },
            s('title', {}, `${labels[i]} · ${line.name}: ${format(v)}`),
          ),
      ),
    ),
  );
  line.values.forEach((v, i) => {
    if (Number.isFinite(v) && n <= 24 && i % step === 0)
      labelsG.append(text(cx(i), y(v) - 9, format(v), 'value line-value'));
  });
  svg.append(labelsG);
  // X labels.
  svg.append(
    s(
      'g',
      { class: 'chart-x' },
      labels.map(
        (l, i) =>
          (i % step === 0 || partial[i]) && [
            text(cx(i), height - m.bottom + 18, l, 'tick'),
            partial[i] && partialLabel && text(cx(i), height - m.bottom + 32, partialLabel, 'tick partial-label'),
          ],
      ),
    ),
  );
  return svg;
}

/**
 * A histogram: bins [{from, to, count}] drawn as touching bars, x labels at the edges.
 * opts: {bins, edgeLabel: (value) => string, binLabel: (bin) => string, title, desc, xTitle, yTitle}
 */
export function histogram({
  bins,
  edgeLabel = String,
  binLabel,
  countLabel = String,
  title,
  desc,
  xTitle,
  yTitle,
  width = 960,
  height = 280,
}) {
  const m = { left: 52, right: 20, top: 26, bottom: 54 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const n = Math.max(1, bins.length);
  const top = niceScale(Math.max(4, ...bins.map((b) => b.count)), 4).top;
  const y = (v) => scale(v, top, m.top + plotH, m.top);
  const bw = plotW / n;
  const svg = frame({ width, height, title, desc, cls: 'chart-histogram' });
  const yTicks = ticks(top, 4).filter((v) => Number.isInteger(v));
  svg.append(
    s(
      'g',
      { class: 'chart-grid' },
      yTicks.map((v) => [
        s('line', { x1: m.left, x2: width - m.right, y1: y(v), y2: y(v), class: v === 0 ? 'axis' : null }),
        text(m.left - 8, y(v) + 4, countLabel(v), 'tick', 'end'),
      ]),
    ),
  );
  svg.append(
    s(
      'g',
      { class: 'series-bars' },
      bins.map((b, i) => {
        const y0 = y(b.count);
        return s(
          'g',
          {},
          s(
            'rect',
            {
              x: m.left + i * bw + 1,
              y: y0,
              width: Math.max(1, bw - 2),
              height: Math.max(0, m.top + plotH - y0),
              class: 'series-hist',
            },
            s(
              'title',
              {},
              `${binLabel ? binLabel(b) : `${edgeLabel(b.from)}–${edgeLabel(b.to)}`}: ${countLabel(b.count)}`,
            ),
          ),
          b.count > 0 && text(m.left + (i + 0.5) * bw, y0 - 5, countLabel(b.count), 'value'),
        );
      }),
    ),
  );
  const step = labelStep(n + 1, bw, 52);
  const edges = bins.length ? [...bins.map((b) => b.from), bins.at(-1).to] : [];
  svg.append(
    s(
      'g',
      { class: 'chart-x' },
      edges.map((v, i) => i % step === 0 && text(m.left + i * bw, m.top + plotH + 16, edgeLabel(v), 'tick')),
    ),
  );
  if (xTitle) svg.append(text(m.left + plotW / 2, height - 8, xTitle, 'axis-title'));
  if (yTitle)
    svg.append(
      text(14, m.top + plotH / 2, yTitle, 'axis-title', 'middle', { transform: `rotate(-90 14 ${m.top + plotH / 2})` }),
    );
  return svg;
}

/**
 * A heatmap of percentages: rows × columns of cells coloured on the heat scale, each with
 * its number. opts: {rows: [{label, sub, values: [number|null|undefined]}], columns: [string],
 * format: (v) => string, scaleMax: the value drawn darkest, skipFirst: column 0 drawn
 * neutral (always 100), title, desc, corner: header of the label column, subTitle}
 * Drawn at its natural size (the container scrolls sideways when it is wider than the card).
 */
export function heatmap({
  rows,
  columns,
  format = String,
  scaleMax = 100,
  skipFirst = false,
  title,
  desc,
  corner = '',
  subTitle = '',
}) {
  const labelW = fitWidth([corner, ...rows.map((r) => r.label)], { min: 104 });
  const subW = subTitle ? fitWidth([subTitle], { min: 68 }) : 0;
  // Bold headers ("Tháng 10") are a little wider than the cells' numbers.
  const cw = fitWidth(columns, { min: 64, charPx: 7.6, pad: 16 });
  const ch = 26;
  const head = 26;
  const width = labelW + subW + columns.length * cw + 2;
  const height = head + rows.length * ch + 2;
  const svg = frame({ width, height, title, desc, cls: 'chart-heatmap', fixed: true });
  svg.append(
    s(
      'g',
      { class: 'heat-head' },
      text(4, 17, corner, 'tick strong', 'start'),
      subTitle && text(labelW + subW - 8, 17, subTitle, 'tick strong', 'end'),
      columns.map((c, j) => text(labelW + subW + j * cw + cw / 2, 17, c, 'tick strong')),
    ),
  );
  rows.forEach((r, i) => {
    const y0 = head + i * ch;
    const g = s(
      'g',
      { class: 'heat-row' },
      text(4, y0 + 17, r.label, 'tick', 'start'),
      subTitle && text(labelW + subW - 8, y0 + 17, r.sub ?? '', 'tick', 'end'),
    );
    r.values.forEach((v, j) => {
      if (v === undefined) return;
      const t = v === null ? null : skipFirst && j === 0 ? null : v / (scaleMax || 100);
      const x0 = labelW + subW + j * cw;
      g.append(
        s(
          'rect',
          {
            x: x0 + 1,
            y: y0 + 1,
            width: cw - 2,
            height: ch - 2,
            rx: 3,
            fill: skipFirst && j === 0 ? '#e7ebe6' : heatColor(t),
            class: 'heat-cell',
          },
          s('title', {}, `${r.label} · ${columns[j]}: ${v === null ? '—' : format(v)}`),
        ),
      );
      g.append(
        text(x0 + cw / 2, y0 + 17, v === null ? '—' : format(v), heatTextLight(t) ? 'cell-text light' : 'cell-text'),
      );
    });
    svg.append(g);
  });
  return svg;
}

/** A legend for the heat scale: `steps` swatches from 0 to scaleMax with the end labels. */
export function heatLegend({ scaleMax, format = String, steps = 6, label = '' }) {
  const sw = 26;
  const width = 120 + steps * sw + 60;
  const svg = s('svg', {
    viewBox: `0 0 ${width} 22`,
    width,
    height: 22,
    class: 'chart-svg heat-legend',
    'aria-hidden': 'true',
    focusable: 'false',
  });
  svg.append(text(0, 15, label, 'tick', 'start'));
  svg.append(text(116, 15, format(0), 'tick', 'end'));
  for (let i = 0; i < steps; i++)
    svg.append(
      s('rect', { x: 120 + i * sw, y: 3, width: sw - 2, height: 14, rx: 2, fill: heatColor(i / (steps - 1)) }),
    );
  svg.append(text(124 + steps * sw, 15, format(scaleMax), 'tick', 'start'));
  return svg;
}

/**
 * A horizontal bar of `fraction` (0..1) centred in its box (a funnel step), or left-aligned.
 * Stretches to its container (preserveAspectRatio none); the screen puts text over it.
 */
export function bar(fraction, { centred = false, cls = 'series-bar', label = null } = {}) {
  const w = Math.max(0, Math.min(1, Number(fraction) || 0)) * 100;
  const svg = s(
    'svg',
    {
      viewBox: '0 0 100 10',
      preserveAspectRatio: 'none',
      class: 'chart-svg bar-svg',
      focusable: 'false',
      role: label ? 'img' : null,
      'aria-label': label,
      'aria-hidden': label ? null : 'true',
    },
    label && s('title', {}, label),
    s('rect', { x: 0, y: 0, width: 100, height: 10, class: 'bar-track' }),
    s('rect', { x: centred ? (100 - w) / 2 : 0, y: 0, width: w, height: 10, class: cls }),
  );
  return svg;
}

/** Two parts of one whole side by side (e.g. returning vs first-purchase revenue). */
export function split(parts, { label }) {
  const total = parts.reduce((sum, p) => sum + Math.max(0, Number(p.value) || 0), 0);
  const svg = s(
    'svg',
    {
      viewBox: '0 0 100 10',
      preserveAspectRatio: 'none',
      class: 'chart-svg split-svg',
      role: 'img',
      'aria-label': label,
      focusable: 'false',
    },
    s('title', {}, label),
  );
  let x = 0;
  for (const p of parts) {
    const w = total > 0 ? (Math.max(0, Number(p.value) || 0) / total) * 100 : 0;
    svg.append(s('rect', { x, y: 0, width: w, height: 10, class: p.cls }));
    x += w;
  }
  if (total <= 0) svg.append(s('rect', { x: 0, y: 0, width: 100, height: 10, class: 'bar-track' }));
  return svg;
}
