// Development only: an in-memory fake of the retention analytics commands (docs/IPC.md,
// "Retention analytics (issue 8)"), layered over mock-tauri.js and mock-care.js. It wraps
// window.__TAURI__.core.invoke, answers the report_* and analytics_* commands itself and
// passes everything else on. Customers and purchases are read through the original invoke
// (customer_list, customer_get), so the numbers follow the demo shop the other screens show.
// It also gives customer_list the segment / stage / at_risk filters and the new row fields,
// customer_get its `scores`, and the bulk-message filter (template_preview / template_export)
// the same three keys.
// URL options: ?thin (the BG/NBD fit is refused: analytics.too_thin), ?latency=N (ms per call).
// Staff are not recorded by the demo purchases: they are assigned from the purchase id.
(() => {
  const opts = new URLSearchParams(location.search);
  const LATENCY = opts.has('latency') ? Number(opts.get('latency')) : null;
  const THIN = opts.has('thin');
  const core = window.__TAURI__.core;
  const original = core.invoke.bind(core);

  class IpcError {
    constructor(code, params = {}) {
      this.code = code;
      this.message = `[mock] ${code}`;
      this.params = params;
    }
  }
  const fail = (code, params = {}) => {
    throw new IpcError(code, params);
  };

  const SEGMENTS = ['champions', 'loyal', 'potential_loyalist', 'new', 'at_risk', 'cant_lose', 'hibernating', 'lost'];
  const STAGES = ['reach', 'purchase', 'develop', 'retain', 'advocacy'];
  // Rows R5..R1, columns F1..F5 (docs/IPC.md).
  const GRID = {
    5: ['new', 'potential_loyalist', 'potential_loyalist', 'champions', 'champions'],
    4: ['potential_loyalist', 'potential_loyalist', 'loyal', 'champions', 'champions'],
    3: ['hibernating', 'potential_loyalist', 'loyal', 'loyal', 'loyal'],
    2: ['hibernating', 'hibernating', 'at_risk', 'at_risk', 'cant_lose'],
    1: ['lost', 'lost', 'at_risk', 'cant_lose', 'cant_lose'],
  };
  const STAFF = ['Lan', 'Lan', 'Lan', 'Lan', 'Minh', 'Minh', 'Minh', 'Hùng', 'Hùng', ''];
  const MIN_CUSTOMERS = 50;
  const MIN_REPEATERS = 20;

  const rules = { inactive_days: 90, horizon_days: 365 };
  let computedAt = null;

  // ---------- dates: shop-local days as numbers (days since 1970-01-01) ----------
  let timeZone = 'Asia/Ho_Chi_Minh';
  let dayFormat = null;
  const localDate = (instant) =>
    (dayFormat ??= new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    })).format(new Date(instant));
  const dayNum = (d) => Date.parse(`${d}T00:00:00Z`) / 86400000;
  const fromDay = (n) => new Date(n * 86400000).toISOString().slice(0, 10);
  const todayNum = () => dayNum(localDate(Date.now()));
  const monthOf = (n) => fromDay(n).slice(0, 7);
  const monthStart = (ym) => dayNum(`${ym}-01`);
  const addMonth = (ym, k) => {
    const [y, m] = ym.split('-').map(Number);
    const d = new Date(Date.UTC(y, m - 1 + k, 1));
    return d.toISOString().slice(0, 7);
  };
  const monthsBetween = (a, b) => {
    const [ya, ma] = a.split('-').map(Number);
    const [yb, mb] = b.split('-').map(Number);
    return (yb - ya) * 12 + (mb - ma);
  };
  const nowIso = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const pct = (a, b) => (b ? Math.round((1000 * a) / b) / 10 : null);
  const round = (x, k = 2) => Math.round(x * 10 ** k) / 10 ** k;
  let exponent = 0;
  const money = (x) => (Number.isFinite(x) ? Math.max(0, x).toFixed(exponent) : null);

  function validDate(v, key) {
    if (v === undefined || v === null || v === '') return null;
    if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v) || fromDay(dayNum(v)) !== v)
      fail('report.invalid', { key, value: String(v) });
    return dayNum(v);
  }
  /** [from, to] as day numbers; the defaults are the last 12 months up to today. */
  function range(args = {}) {
    const t0 = todayNum();
    const to = validDate(args.to, 'to') ?? t0;
    const from = validDate(args.from, 'from') ?? monthStart(addMonth(monthOf(t0), -11));
    if (from > to) fail('report.invalid', { key: 'from', value: args.from });
    return [from, Math.min(to, t0)];
  }

  // ---------- the shop, read through the other mocks ----------
  let model = null; // Promise of {customers: [...], byId, t0}
  function invalidate() {
    model = null;
  }

  async function load() {
    const s = await original('settings_get');
    if (s.timezone && s.timezone !== timeZone) {
      timeZone = s.timezone;
      dayFormat = null;
    }
    exponent = s.currency_exponent ?? 0;
    const page = await original('customer_list', { query: { sort: 'name', desc: false, offset: 0, limit: 1e9 } });
    const details = await Promise.all(page.rows.map((r) => original('customer_get', { id: r.id })));
    const referrers = new Set(details.map((d) => d.customer.referred_by).filter((x) => x !== null && x !== undefined));
    const customers = details.map((d, i) => {
      const purchases = d.purchases
        .map((p) => ({
          id: p.id,
          day: dayNum(localDate(p.at)),
          total: Number(p.total) - Number(p.refunded ?? 0),
          staff: p.staff ?? STAFF[(p.id * 7) % STAFF.length],
        }))
        .sort((a, b) => a.day - b.day || a.id - b.id);
      const days = [...new Set(purchases.map((p) => p.day))];
      return {
        id: d.customer.id,
        row: page.rows[i],
        customer: d.customer,
        purchases,
        days,
        total: purchases.reduce((s2, p) => s2 + p.total, 0),
        referred: referrers.has(d.customer.id),
      };
    });
    const m = { customers, byId: new Map(customers.map((c) => [c.id, c])), t0: todayNum() };
    score(m);
    computedAt ??= new Date(Date.now() - 35 * 60000).toISOString().replace(/\.\d+Z$/, 'Z');
    return m;
  }
  const data = () => (model ??= load());

  // ---------- scores ----------
  const buyers = (m) => m.customers.filter((c) => c.days.length);
  /** 1..5 by rank (ties share the lower score); `key` larger = better. */
  function quintiles(list, key) {
    const sorted = [...list].sort((a, b) => key(a) - key(b));
    const out = new Map();
    let prev = null;
    let prevScore = 1;
    sorted.forEach((c, i) => {
      const k = key(c);
      const s = prev !== null && k === prev ? prevScore : 1 + Math.floor((5 * i) / sorted.length);
      out.set(c.id, s);
      prev = k;
      prevScore = s;
    });
    return out;
  }
  /** Pseudo-fitted BG/NBD and Gamma-Gamma parameters, from the data so that they move with it. */
  function fitOf(list, t0) {
    const repeaters = list.filter((c) => c.days.length > 1);
    if (THIN || list.length < MIN_CUSTOMERS || repeaters.length < MIN_REPEATERS) {
      return {
        error: {
          code: 'analytics.too_thin',
          params: {
            customers: list.length,
            repeaters: THIN ? Math.min(repeaters.length, 12) : repeaters.length,
            min_customers: MIN_CUSTOMERS,
            min_repeaters: MIN_REPEATERS,
          },
        },
      };
    }
    const rate = list.reduce((s, c) => s + (c.days.length - 1) / Math.max(1, (t0 - c.days[0]) / 7), 0) / list.length;
    const r = round(0.35 + 0.4 * Math.min(1, rate * 4), 3);
    const basket = list.reduce((s, c) => s + c.total / c.purchases.length, 0) / list.length;
    return {
      bgnbd: {
        r,
        alpha: round(r / Math.max(rate, 0.005), 3),
        a: round(0.62 + repeaters.length / list.length / 3, 3),
        b: round(2.1 + rate * 3, 3),
      },
      gamma_gamma: { p: 6.25, q: 3.74, gamma: round((basket * 2.74) / 6.25, 2) },
      basket,
    };
  }
  function score(m) {
    const t0 = m.t0;
    const list = buyers(m);
    const R = quintiles(list, (c) => -(t0 - c.days.at(-1)));
    const F = quintiles(list, (c) => c.days.length);
    const M = quintiles(list, (c) => c.total);
    const spent = list.map((c) => c.total).sort((a, b) => a - b);
    const top25 = spent.length ? spent[Math.floor(spent.length * 0.75)] : Infinity;
    const fit = fitOf(list, t0);
    m.fit = fit;
    for (const c of m.customers) {
      const n = c.days.length;
      const lost = n > 0 && t0 - c.days.at(-1) >= rules.inactive_days;
      // The mock has no survey scores here: every 11th buyer plays "latest NPS 9-10".
      const advocate = n > 0 && (c.referred || c.id % 11 === 0);
      const stage = advocate
        ? 'advocacy'
        : n >= 4 && c.days.at(-1) - c.days[0] >= 180 && !lost
          ? 'retain'
          : n >= 2
            ? 'develop'
            : n === 1
              ? 'purchase'
              : 'reach';
      const s = {
        r: null,
        f: null,
        m: null,
        segment: null,
        stage,
        p_alive: null,
        expected_purchases: null,
        expected_spend: null,
        clv: null,
        at_risk: false,
        next_visit: null,
        computed_at: null,
      };
      if (n) {
        Object.assign(s, { r: R.get(c.id), f: F.get(c.id), m: M.get(c.id) });
        s.segment = GRID[s.r][s.f - 1];
        if (fit.bgnbd) {
          const { r, alpha, a, b } = fit.bgnbd;
          const x = n - 1;
          const T = (t0 - c.days[0] + 1) / 7;
          const tx = (c.days.at(-1) - c.days[0]) / 7;
          const alive =
            x === 0
              ? 1 / (1 + 0.35 * Math.min(1, T / 26))
              : 1 / (1 + (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x));
          const perWeek = (r + x) / (alpha + T);
          const spend = (c.total + 2 * fit.basket) / (c.purchases.length + 2);
          s.p_alive = round(alive, 3);
          s.expected_purchases = round(alive * perWeek * (90 / 7), 2);
          s.expected_spend = money(spend);
          s.clv = money(alive * perWeek * (rules.horizon_days / 7) * spend * 0.92);
          s.at_risk = alive < 0.5 && c.total >= top25;
          if (x > 0 && alive >= 0.3) s.next_visit = fromDay(Math.max(t0 + 1, Math.round(c.days.at(-1) + (tx * 7) / x)));
        }
      }
      c.scores = s;
    }
  }
  const scoresOut = (c) => (c && !c.customer.archived_at ? { ...c.scores, computed_at: computedAt } : null);
  const withScores = (row, c) => ({
    ...row,
    segment: c?.scores.segment ?? null,
    stage: c?.scores.stage ?? null,
    p_alive: c?.scores.p_alive ?? null,
    clv: c?.scores.clv ?? null,
  });

  // ---------- filters (customer_list, CustomerFilter) ----------
  function analyticsFilter(q = {}) {
    const f = {};
    if (q.segment !== undefined && q.segment !== null && q.segment !== '') {
      if (!SEGMENTS.includes(q.segment)) fail('filter.invalid', { key: 'segment', value: String(q.segment) });
      f.segment = q.segment;
    }
    if (q.stage !== undefined && q.stage !== null && q.stage !== '') {
      if (!STAGES.includes(q.stage)) fail('filter.invalid', { key: 'stage', value: String(q.stage) });
      f.stage = q.stage;
    }
    if (q.at_risk === true || q.at_risk === 'true' || q.at_risk === 1 || q.at_risk === '1') f.at_risk = true;
    return f;
  }
  const matches = (c, f) =>
    !!c &&
    (!f.segment || c.scores.segment === f.segment) &&
    (!f.stage || c.scores.stage === f.stage) &&
    (!f.at_risk || c.scores.at_risk);
  const strip = (q) =>
    Object.fromEntries(Object.entries(q ?? {}).filter(([k]) => !['segment', 'stage', 'at_risk'].includes(k)));

  async function customerList({ query = {} } = {}) {
    const f = analyticsFilter(query);
    const m = await data();
    if (!Object.keys(f).length) {
      const page = await original('customer_list', { query: strip(query) });
      return { ...page, rows: page.rows.map((r) => withScores(r, m.byId.get(r.id))) };
    }
    const all = await original('customer_list', { query: { ...strip(query), offset: 0, limit: 1e9 } });
    const rows = all.rows.filter((r) => matches(m.byId.get(r.id), f));
    const offset = query.offset ?? 0;
    return {
      total: rows.length,
      rows: rows.slice(offset, offset + (query.limit || 50)).map((r) => withScores(r, m.byId.get(r.id))),
    };
  }

  /** template_preview / template_export over a filter with analytics keys: rendered here, one customer at a time. */
  async function bulk(name, filter, path) {
    const f = analyticsFilter(filter);
    const rest = strip(filter);
    if (!Object.keys(f).length) return null;
    const m = await data();
    const query = {
      sort: 'total_spent',
      desc: true,
      offset: 0,
      limit: 1e9,
      ...Object.fromEntries(['search', 'tag', 'source'].filter((k) => rest[k]).map((k) => [k, rest[k]])),
    };
    const ids = (await original('customer_list', { query })).rows
      .filter((r) => !r.archived && matches(m.byId.get(r.id), f))
      .map((r) => r.id);
    const all = await Promise.all(ids.map((id) => original('template_render', { name, customer_id: id })));
    const missing = {};
    for (const r of all) for (const x of r.missing) missing[x] = (missing[x] ?? 0) + 1;
    if (path !== undefined)
      return { path: path ?? '/home/shop/Tài liệu/tin-nhan.csv', rows: all.filter((r) => r.phone).length, missing };
    return {
      total: all.length,
      missing,
      samples: all.slice(0, 5),
      lacking: all.filter((r) => r.missing.length).slice(0, 20),
    };
  }

  // ---------- activity: who is active, lost, returned on a day ----------
  const lastOnOrBefore = (days, t) => {
    let last;
    for (const d of days) {
      if (d > t) break;
      last = d;
    }
    return last;
  };
  const activeAt = (c, t) => {
    const last = lastOnOrBefore(c.days, t);
    return last !== undefined && t - last < rules.inactive_days;
  };
  /** Days on which the customer became lost (inactive_days after a purchase with none since). */
  function lossDays(c, t0) {
    const out = [];
    c.days.forEach((d, i) => {
      const next = c.days[i + 1];
      const lost = d + rules.inactive_days;
      if ((next === undefined || next >= lost) && lost <= t0) out.push(lost);
    });
    return out;
  }
  const returnDays = (c) => c.days.filter((d, i) => i > 0 && d - c.days[i - 1] >= rules.inactive_days);

  // ---------- reports ----------
  async function summary(args = {}) {
    const [from, to] = range(args);
    const m = await data();
    let purchases = 0;
    let revenue = 0;
    let first = 0;
    let customers = 0;
    let repeaters = 0;
    let lifespan = 0;
    for (const c of buyers(m)) {
      const inRange = c.purchases.filter((p) => p.day >= from && p.day <= to);
      if (!inRange.length) continue;
      customers++;
      purchases += inRange.length;
      for (const p of inRange) {
        revenue += p.total;
        if (p === c.purchases[0]) first += p.total;
      }
      if (new Set(inRange.map((p) => p.day)).size > 1) repeaters++;
      const lostOn = lossDays(c, to)[0];
      const end = lostOn !== undefined && lostOn <= to && !c.days.some((d) => d > lostOn && d <= to) ? lostOn : to + 1;
      lifespan += Math.max(1, end - c.days[0]) / 365.25;
    }
    const years = Math.max(1, to - from + 1) / 365.25;
    const basket = purchases ? revenue / purchases : null;
    const frequency = customers ? purchases / customers / years : null;
    const life = customers ? lifespan / customers : null;
    return {
      from: fromDay(from),
      to: fromDay(to),
      inactive_days: rules.inactive_days,
      customers,
      purchases,
      revenue: money(revenue),
      repeat_rate: pct(repeaters, customers),
      average_basket: basket === null ? null : money(basket),
      frequency_per_year: frequency === null ? null : round(frequency, 2),
      lifespan_years: life === null ? null : round(life, 2),
      simple_clv: basket === null ? null : money(life * frequency * basket),
      revenue_split: {
        first: money(first),
        returning: money(revenue - first),
        returning_share: pct(revenue - first, revenue),
      },
    };
  }

  async function churn(args = {}) {
    const period = args.period ?? 'month';
    if (!['month', 'quarter'].includes(period)) fail('report.invalid', { key: 'period', value: String(period) });
    if (args.inactive_days !== undefined && !(Number.isInteger(args.inactive_days) && args.inactive_days > 0))
      fail('report.invalid', { key: 'inactive_days', value: String(args.inactive_days) });
    const saved = rules.inactive_days;
    if (args.inactive_days) rules.inactive_days = args.inactive_days;
    try {
      const [from, to] = range(args);
      const m = await data();
      const step = period === 'month' ? 1 : 3;
      let ym = monthOf(from);
      if (period === 'quarter') {
        const [y, mo] = ym.split('-').map(Number);
        ym = `${y}-${String(mo - ((mo - 1) % 3)).padStart(2, '0')}`;
      }
      const periods = [];
      const list = buyers(m);
      for (; monthStart(ym) <= to; ym = addMonth(ym, step)) {
        const s = Math.max(monthStart(ym), from);
        const e = Math.min(monthStart(addMonth(ym, step)) - 1, to);
        let atStart = 0;
        let atEnd = 0;
        let added = 0;
        let returned = 0;
        let lost = 0;
        let kept = 0;
        for (const c of list) {
          const a = activeAt(c, s - 1);
          const b = activeAt(c, e);
          if (a) atStart++;
          if (b) atEnd++;
          if (a && b) kept++;
          if (c.days[0] >= s && c.days[0] <= e) added++;
          if (returnDays(c).some((d) => d >= s && d <= e)) returned++;
          if (lossDays(c, m.t0).some((d) => d >= s && d <= e)) lost++;
        }
        periods.push({
          start: fromDay(s),
          end: fromDay(e),
          customers_at_start: atStart,
          new: added,
          returned,
          lost,
          customers_at_end: atEnd,
          churn_rate: pct(lost, atStart),
          retention_rate: pct(kept, atStart),
        });
      }
      return { period, inactive_days: rules.inactive_days, periods };
    } finally {
      rules.inactive_days = saved;
    }
  }

  async function cohorts(args = {}) {
    const [from, to] = range(args);
    const m = await data();
    const last = monthOf(to);
    const groups = new Map();
    for (const c of buyers(m)) {
      if (c.days[0] < from || c.days[0] > to) continue;
      const ym = monthOf(c.days[0]);
      if (!groups.has(ym)) groups.set(ym, []);
      groups.get(ym).push(c);
    }
    return {
      cohorts: [...groups.keys()].sort().map((ym) => {
        const members = groups.get(ym);
        const span = monthsBetween(ym, last);
        const retention = Array.from({ length: span + 1 }, (_, k) => {
          if (k === 0) return 100;
          const target = addMonth(ym, k);
          return pct(members.filter((c) => c.days.some((d) => monthOf(d) === target)).length, members.length);
        });
        return { month: ym, size: members.length, retention };
      }),
    };
  }

  async function rfm() {
    const m = await data();
    const list = buyers(m);
    const grid = [];
    for (const r of [5, 4, 3, 2, 1])
      for (const f of [1, 2, 3, 4, 5]) {
        grid.push({
          r,
          f,
          count: list.filter((c) => c.scores.r === r && c.scores.f === f).length,
          segment: GRID[r][f - 1],
        });
      }
    const segments = SEGMENTS.map((segment) => {
      const mine = list.filter((c) => c.scores.segment === segment);
      return { segment, count: mine.length, revenue: money(mine.reduce((s, c) => s + c.total, 0)) };
    });
    return { computed_at: list.length ? computedAt : null, customers: list.length, grid, segments };
  }

  async function lifecycle() {
    const m = await data();
    const active = m.customers.filter((c) => !c.customer.archived_at);
    return {
      computed_at: active.length ? computedAt : null,
      stages: STAGES.map((stage) => ({ stage, count: active.filter((c) => c.scores.stage === stage).length })),
    };
  }

  async function clv(args = {}) {
    const model2 = args.model ?? 'bgnbd';
    if (model2 === 'simple') {
      const s = await summary({});
      return {
        model: 'simple',
        lifespan_years: s.lifespan_years,
        frequency_per_year: s.frequency_per_year,
        average_basket: s.average_basket,
        simple_clv: s.simple_clv,
      };
    }
    if (model2 !== 'bgnbd') fail('report.invalid', { key: 'model', value: String(model2) });
    const horizon = args.horizon_days ?? rules.horizon_days;
    if (!Number.isInteger(horizon) || horizon < 1 || horizon > 3650)
      fail('report.invalid', { key: 'horizon_days', value: String(horizon) });
    const m = await data();
    if (m.fit.error) fail(m.fit.error.code, m.fit.error.params);
    const scale = horizon / rules.horizon_days;
    const list = buyers(m)
      .filter((c) => !c.customer.archived_at)
      .map((c) => ({ c, clv: Number(c.scores.clv) * scale }))
      .sort((a, b) => b.clv - a.clv);
    const max = list.length ? list[0].clv : 0;
    // Ten bins of a round width.
    const raw = max / 10 || 1;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const width = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((w) => w >= raw);
    const bins = Math.max(1, Math.ceil((max + 1e-9) / width));
    const distribution = Array.from({ length: bins }, (_, i) => ({
      from: money(i * width),
      to: money((i + 1) * width),
      count: 0,
    }));
    for (const x of list) distribution[Math.min(bins - 1, Math.floor(x.clv / width))].count++;
    return {
      calibration_end: args.calibration_end ?? fromDay(m.t0),
      horizon_days: horizon,
      bgnbd: { ...m.fit.bgnbd },
      gamma_gamma: { ...m.fit.gamma_gamma },
      distribution,
      customers: list.slice(0, args.limit ?? 200).map(({ c, clv: v }) => ({
        id: c.id,
        code: c.customer.code,
        name: c.customer.name,
        p_alive: c.scores.p_alive,
        expected_purchases: c.scores.expected_purchases,
        expected_spend: c.scores.expected_spend,
        clv: money(v),
        at_risk: c.scores.at_risk,
        next_visit: c.scores.next_visit,
      })),
    };
  }

  async function atRisk({ limit = 50 } = {}) {
    const m = await data();
    return m.customers
      .filter((c) => !c.customer.archived_at && c.scores.at_risk)
      .sort((a, b) => b.total - a.total || a.id - b.id)
      .slice(0, limit)
      .map((c) => ({
        ...withScores(c.row, c),
        p_alive: c.scores.p_alive,
        clv: c.scores.clv,
        total_spent: c.row.total_spent,
      }));
  }

  async function staff(args = {}) {
    const [from, to] = range(args);
    const m = await data();
    const by = new Map();
    const get = (name) => {
      if (!by.has(name)) by.set(name, { staff: name, purchases: 0, revenue: 0, new: new Set(), served: new Set() });
      return by.get(name);
    };
    for (const c of buyers(m)) {
      c.purchases.forEach((p, i) => {
        if (p.day < from || p.day > to) return;
        const s = get(p.staff);
        s.purchases++;
        s.revenue += p.total;
        s.served.add(c.id);
        if (i === 0) s.new.add(c.id);
      });
    }
    const rows = [...by.values()]
      .map((s) => {
        const lost = [...s.served].filter(
          (id) => lossDays(m.byId.get(id), to).some((d) => d >= from && d <= to) && !activeAt(m.byId.get(id), to),
        ).length;
        return {
          staff: s.staff,
          purchases: s.purchases,
          revenue: money(s.revenue),
          new_customers: s.new.size,
          reminders_completed: s.staff ? Math.round(s.served.size * 0.4) + s.staff.length : 0,
          customers_served: s.served.size,
          lost_customers: lost,
          churn_rate: pct(lost, s.served.size),
        };
      })
      .sort((a, b) => (a.staff === '') - (b.staff === '') || Number(b.revenue) - Number(a.revenue));
    return { staff: rows };
  }

  async function exportReport({ report, args = {}, path }) {
    const ext = (/\.([^./\\]+)$/.exec(path ?? '')?.[1] ?? '').toLowerCase();
    if (!['csv', 'xlsx'].includes(ext)) fail('export.format', { ext: ext || String(path) });
    const count = {
      summary: async () => 1,
      churn: async () => (await churn(args)).periods.length,
      cohorts: async () => (await cohorts(args)).cohorts.length,
      rfm: async () => (await rfm()).customers,
      lifecycle: async () => STAGES.length,
      clv: async () => (await clv(args)).customers.length,
      staff: async () => (await staff(args)).staff.length,
    }[report];
    if (!count) fail('report.invalid', { key: 'report', value: String(report) });
    return { path, rows: await count() };
  }

  async function refresh() {
    const started = Date.now();
    invalidate();
    const m = await data();
    computedAt = nowIso();
    return {
      customers: m.customers.length,
      computed_at: computedAt,
      fit: m.fit.bgnbd ? { bgnbd: m.fit.bgnbd, gamma_gamma: m.fit.gamma_gamma } : null,
      fit_error: m.fit.error ? { ...m.fit.error, message: `[mock] ${m.fit.error.code}` } : null,
      millis: Date.now() - started + 900,
    };
  }

  function setRules(changes = {}) {
    const next = { ...rules };
    for (const [key, limits] of [
      ['inactive_days', [7, 3650]],
      ['horizon_days', [30, 3650]],
    ]) {
      const v = changes[key];
      if (v === undefined || v === null) continue;
      const n = Number(v);
      if (!Number.isInteger(n) || n < limits[0] || n > limits[1] || String(v).trim() === '')
        fail('analytics.rule_invalid', { key, value: String(v), field: key });
      next[key] = n;
    }
    Object.assign(rules, next);
    invalidate();
    return { ...rules };
  }

  const commands = {
    report_summary: summary,
    report_churn: churn,
    report_cohorts: cohorts,
    report_rfm: rfm,
    report_lifecycle: lifecycle,
    report_clv: clv,
    report_at_risk: atRisk,
    report_staff: staff,
    report_export: exportReport,
    analytics_refresh: refresh,
    analytics_get_rules: () => ({ ...rules }),
    analytics_set_rules: setRules,
    customer_list: customerList,
    customer_get: async (args) => {
      const [d, m] = await Promise.all([original('customer_get', args), data()]);
      return { ...d, scores: scoresOut(m.byId.get(d.customer.id)) };
    },
    template_preview: async (args) => (await bulk(args.name, args.filter)) ?? original('template_preview', args),
    template_export: async (args) =>
      (await bulk(args.name, args.filter, args.path ?? null)) ?? original('template_export', args),
  };
  // Calls after which the shop's figures may have changed.
  const CHANGES = /^(customer_(add|update|archive|merge)|purchase_(add|refund)|demo_create|backup_restore|import_run)$/;
  const SLOW = { report_clv: 500, analytics_refresh: 1400, report_cohorts: 250 };

  const clone = (v) => (v === undefined ? null : JSON.parse(JSON.stringify(v)));
  core.invoke = (name, args = {}) => {
    const fn = commands[name];
    if (!fn) {
      const out = original(name, args);
      if (CHANGES.test(name)) out.then(invalidate, invalidate);
      return out;
    }
    const delay = LATENCY ?? (SLOW[name] ?? 40) + Math.random() * 60;
    return new Promise((resolve, reject) =>
      setTimeout(
        async () => {
          try {
            resolve(clone(await fn(clone(args) ?? {})));
          } catch (err) {
            reject(err instanceof IpcError ? { ...err } : err);
          }
        },
        name.startsWith('customer_') || name.startsWith('template_') ? 0 : delay,
      ),
    );
  };
})();
