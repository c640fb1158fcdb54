// Development only: an in-memory fake of the customer care commands (docs/IPC.md,
// "Customer care (issue 7)"), layered over mock-tauri.js. It wraps
// window.__TAURI__.core.invoke, answers the care commands itself and passes everything
// else on; customers and purchases are read through the original invoke (customer_list,
// customer_get), so they stay the ones the other screens show. With ?seed=N it also makes
// reminders of every kind (overdue, today, this week), interactions, surveys, tickets,
// and always the 8 default message templates.
(() => {
  const opts = new URLSearchParams(location.search);
  const LATENCY = opts.has('latency') ? Number(opts.get('latency')) : null;
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

  const CHANNELS = ['phone', 'zalo', 'sms', 'email', 'facebook', 'in_store', 'other'];
  const KINDS = ['thank_you', 'check_in', 'birthday', 'warranty', 'win_back', 'stale'];
  const VI_FIELDS = ['ten', 'ho_ten', 'xung_ho', 'diem', 'hang', 'sinh_nhat', 'lan_mua_cuoi', 'cua_hang', 'han_diem'];
  const EN_FIELDS = [
    'first_name',
    'full_name',
    'honorific',
    'points',
    'tier',
    'birthday',
    'last_purchase',
    'shop',
    'points_expiry',
  ];
  const ALIAS = Object.fromEntries(EN_FIELDS.map((f, i) => [f, VI_FIELDS[i]]));
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

  const db = {
    reminders: [],
    interactions: [],
    surveys: [],
    tickets: [],
    templates: [],
    keys: new Set(),
    confirmed: new Map(),
    next: { reminder: 1, interaction: 1, survey: 1, ticket: 1, template: 1 },
    rules: {
      thank_you: { enabled: true, days: 1 },
      check_in: { enabled: true, days: 7, min_amount: '500000' },
      birthday: { enabled: true, days: 3 },
      warranty: { enabled: true, days: 14 },
      win_back: { enabled: true, factor: '2', min_days: 30 },
      stale: { enabled: true, months: 12 },
    },
  };

  // ---------- dates (shop-local "YYYY-MM-DD") ----------
  let timeZone = 'Asia/Ho_Chi_Minh';
  let dayFormat = null; // cached: building an Intl.DateTimeFormat is slow
  const localDate = (instant) =>
    (dayFormat ??= new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    })).format(new Date(instant));
  const today = () => localDate(Date.now());
  const dayNum = (d) => Date.parse(`${d}T00:00:00Z`) / 86400000;
  const fromDay = (n) => new Date(n * 86400000).toISOString().slice(0, 10);
  const addDays = (d, n) => fromDay(dayNum(d) + n);
  const addMonths = (d, m) => {
    const x = new Date(`${d}T00:00:00Z`);
    const day = x.getUTCDate();
    x.setUTCDate(1);
    x.setUTCMonth(x.getUTCMonth() + m);
    x.setUTCDate(Math.min(day, new Date(Date.UTC(x.getUTCFullYear(), x.getUTCMonth() + 1, 0)).getUTCDate()));
    return x.toISOString().slice(0, 10);
  };
  const validDate = (v, field) => {
    if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(dayNum(v)) || fromDay(dayNum(v)) !== v)
      fail('reminder.date_invalid', { value: String(v ?? ''), field });
    return v;
  };
  const dm = (d) => `${d.slice(8, 10)}/${d.slice(5, 7)}`;
  const dmy = (d) => `${dm(d)}/${d.slice(0, 4)}`;

  // ---------- customers, through the original mock ----------
  async function rows() {
    const page = await original('customer_list', { query: { sort: 'total_spent', desc: true, offset: 0, limit: 1e9 } });
    return new Map(page.rows.map((r) => [r.id, r]));
  }
  const detail = (id) => original('customer_get', { id });
  async function details() {
    const all = [...(await rows()).values()];
    return Promise.all(all.map(async (r) => ({ row: r, ...(await detail(r.id)) })));
  }
  const itemsOf = (purchases) =>
    purchases.flatMap((p) => p.items.map((it, i) => ({ ...it, item_id: p.id * 100 + i + 1, purchase: p })));
  function warrantiesOf(purchases, asOf = today()) {
    return itemsOf(purchases)
      .filter((it) => it.warranty_months)
      .map((it) => {
        const ends = addMonths(localDate(it.purchase.at), it.warranty_months);
        return {
          item_id: it.item_id,
          purchase_id: it.purchase.id,
          product: it.product,
          purchased_at: it.purchase.at,
          months: it.warranty_months,
          ends,
          active: ends >= asOf,
          days_left: dayNum(ends) - dayNum(asOf),
        };
      })
      .sort((a, b) => b.active - a.active || b.purchased_at.localeCompare(a.purchased_at));
  }

  // ---------- reminders ----------
  const reminderOut = (r, asOf = today()) => ({
    ...r,
    detail: { ...r.detail },
    overdue: r.status === 'open' && r.due_date < asOf,
  });
  function findReminder(id, open = true) {
    const r = db.reminders.find((x) => x.id === Number(id));
    if (!r) fail('reminder.not_found', { id });
    if (open && r.status !== 'open') fail('reminder.closed', { id: r.id, status: r.status });
    return r;
  }
  function addReminder(fields, key = null) {
    if (key && db.keys.has(key)) return null;
    if (key) db.keys.add(key);
    const r = {
      id: db.next.reminder++,
      kind: 'manual',
      due_time: null,
      title: null,
      note: null,
      assignee: null,
      status: 'open',
      detail: {},
      snoozed_from: null,
      created_at: now(),
      closed_at: null,
      interaction_id: null,
      ...fields,
    };
    db.reminders.push(r);
    return r;
  }
  const reasonText = (r) =>
    r.title ||
    ({
      thank_you: 'Cảm ơn lần mua đầu tiên',
      check_in: 'Hỏi thăm sau mua',
      birthday: 'Chúc mừng sinh nhật',
      warranty: `Bảo hành ${r.detail.product ?? ''} sắp hết`,
      win_back: 'Mời quay lại',
      stale: 'Xác nhận thông tin liên hệ',
    }[r.kind] ??
      'Nhắc việc');
  const withCustomer = (r, byId, asOf) => {
    const c = byId.get(r.customer_id);
    return {
      ...reminderOut(r, asOf),
      customer: c
        ? {
            id: c.id,
            name: c.name,
            phone: c.phone,
            phone_display: c.phone_display,
            tier: c.tier,
            points: c.points ?? 0,
            visits: c.visits,
            total_spent: c.total_spent,
            last_purchase_at: c.last_purchase_at,
          }
        : null,
    };
  };
  const soonest = (a, b) =>
    a.due_date.localeCompare(b.due_date) || (a.due_time ?? '').localeCompare(b.due_time ?? '') || a.id - b.id;

  /** The reminders falling due in the 7 days up to asOf, once each (unique keys). */
  async function generate(asOf = today(), all = null) {
    const from = addDays(asOf, -6);
    const inWindow = (d) => d >= from && d <= asOf;
    const created = Object.fromEntries(KINDS.map((k) => [k, 0]));
    const rl = db.rules;
    const make = (kind, cid, due, det, ref) => {
      if (inWindow(due) && addReminder({ kind, customer_id: cid, due_date: due, detail: det }, `${kind}:${cid}:${ref}`))
        created[kind]++;
    };
    for (const { customer: c, stats, purchases } of all ?? (await details())) {
      if (c.archived_at) continue;
      const ps = [...purchases].reverse(); // oldest first
      if (rl.thank_you.enabled && ps[0])
        make(
          'thank_you',
          c.id,
          addDays(localDate(ps[0].at), rl.thank_you.days),
          { first_purchase: localDate(ps[0].at) },
          'first',
        );
      if (rl.check_in.enabled)
        for (const p of ps)
          if (Number(p.total) >= Number(rl.check_in.min_amount))
            make(
              'check_in',
              c.id,
              addDays(localDate(p.at), rl.check_in.days),
              { purchase_id: p.id, purchase_date: localDate(p.at), amount: p.total },
              p.id,
            );
      if (rl.birthday.enabled && c.birthday) {
        const md = c.birthday.slice(-5);
        for (const y of [Number(asOf.slice(0, 4)), Number(asOf.slice(0, 4)) + 1]) {
          const bd = `${y}-${md}`;
          if (fromDay(dayNum(bd)) === bd) make('birthday', c.id, addDays(bd, -rl.birthday.days), { birthday: bd }, y);
        }
      }
      if (rl.warranty.enabled)
        for (const w of warrantiesOf(purchases, asOf))
          make(
            'warranty',
            c.id,
            addDays(w.ends, -rl.warranty.days),
            { item_id: w.item_id, purchase_id: w.purchase_id, product: w.product, ends: w.ends },
            w.item_id,
          );
      if (rl.win_back.enabled && stats.visits >= 2 && stats.average_days_between_visits) {
        const gap = Math.round(stats.average_days_between_visits);
        const threshold = Math.max(Math.ceil(Number(rl.win_back.factor) * gap), rl.win_back.min_days);
        const last = localDate(stats.last_purchase_at);
        make(
          'win_back',
          c.id,
          addDays(last, threshold + 1),
          { last_visit: last, usual_gap_days: gap, threshold_days: threshold },
          last,
        );
      }
      if (rl.stale.enabled) {
        const confirmed = localDate(db.confirmed.get(c.id) ?? c.created_at);
        make('stale', c.id, addMonths(confirmed, rl.stale.months), { confirmed }, confirmed);
      }
    }
    return { as_of: asOf, created, total: Object.values(created).reduce((s, n) => s + n, 0) };
  }

  async function todayView({ as_of: asOf = today(), limit = 50 } = {}) {
    const byId = await rows();
    const open = db.reminders.filter((r) => r.status === 'open' && byId.has(r.customer_id));
    const weekEnd = addDays(asOf, 7);
    const group = (pred) => {
      const list = open
        .filter((r) => pred(r.due_date))
        .sort(
          (a, b) =>
            Number(byId.get(b.customer_id).total_spent) - Number(byId.get(a.customer_id).total_spent) || soonest(a, b),
        );
      return { total: list.length, rows: list.slice(0, limit).map((r) => withCustomer(r, byId, asOf)) };
    };
    return {
      as_of: asOf,
      overdue: group((d) => d < asOf),
      today: group((d) => d === asOf),
      week: group((d) => d > asOf && d <= weekEnd),
    };
  }

  function logInteraction(input, reminderId = null) {
    if (!CHANNELS.includes(input.channel))
      fail('care.channel_invalid', { value: String(input.channel ?? ''), field: 'channel' });
    const direction = input.direction ?? 'out';
    if (!['in', 'out'].includes(direction)) fail('care.direction_invalid', { value: String(direction) });
    const summary = String(input.summary ?? '').trim();
    if (!summary) fail('care.summary_required', { field: 'summary' });
    const it = {
      id: db.next.interaction++,
      customer_id: Number(input.customer_id),
      channel: input.channel,
      direction,
      summary,
      outcome: String(input.outcome ?? '').trim() || null,
      at: input.at ?? now(),
      staff: null,
      reminder_id: reminderId,
    };
    db.interactions.push(it);
    return it;
  }

  function setRules(changes) {
    const next = JSON.parse(JSON.stringify(db.rules));
    for (const [key, value] of Object.entries(changes ?? {})) {
      const [rule, field] = key.split('.');
      const bad = () => fail('care.rule_invalid', { key, value: String(value) });
      if (!next[rule] || !(field in next[rule])) bad();
      if (field === 'enabled') {
        if (typeof value !== 'boolean') bad();
      } else if (field === 'min_amount') {
        if (!/^\d+(\.\d+)?$/.test(String(value))) bad();
      } else if (field === 'factor') {
        if (!/^\d+(\.\d+)?$/.test(String(value)) || Number(value) < 1 || Number(value) > 10) bad();
      } else {
        const n = Number(value);
        if (
          !Number.isInteger(n) ||
          n < (field === 'days' && rule !== 'check_in' && rule !== 'thank_you' ? 0 : 1) ||
          n > 3650
        )
          bad();
      }
      next[rule][field] =
        field === 'enabled' ? value : ['min_amount', 'factor'].includes(field) ? String(value) : Number(value);
    }
    db.rules = next;
    return next;
  }

  // ---------- templates ----------
  const DEFAULT_TEMPLATES = [
    [
      'cam-on',
      'Cảm ơn {xung_ho} {ten} đã ghé {cua_hang}! Mong sớm được gặp lại {xung_ho}. ' +
        'Mọi thắc mắc về sản phẩm {xung_ho} cứ nhắn cho shop nhé.',
    ],
    [
      'sinh-nhat',
      '{cua_hang} chúc mừng sinh nhật {xung_ho} {ten} ({sinh_nhat})! ' +
        'Tặng {xung_ho} ưu đãi sinh nhật khi ghé cửa hàng trong tháng này.',
    ],
    [
      'moi-quay-lai',
      'Chào {xung_ho} {ten}, lâu rồi {cua_hang} chưa gặp {xung_ho} (lần cuối {lan_mua_cuoi}). ' +
        'Shop vừa về nhiều mẫu mới, mời {xung_ho} ghé xem ạ!',
    ],
    [
      'diem-sap-het-han',
      'Chào {xung_ho} {ten}, {xung_ho} đang có {diem} điểm tại {cua_hang}: {han_diem}. ' +
        'Ghé shop để dùng điểm {xung_ho} nhé!',
    ],
    [
      'thank-you',
      'Thank you for visiting {shop}, {honorific} {first_name}! ' +
        'Reply to this message if you have any question about your purchase.',
    ],
    ['birthday', 'Happy birthday, {first_name} ({birthday})! {shop} has a birthday treat for you this month.'],
    [
      'win-back',
      'Hi {first_name}, we have not seen you at {shop} since {last_purchase}. ' +
        'New arrivals are in: come and have a look!',
    ],
    ['points-expiring', 'Hi {first_name}, you have {points} points at {shop}: {points_expiry}. Drop by to use them!'],
  ];
  for (const [name, body] of DEFAULT_TEMPLATES)
    db.templates.push({ id: db.next.template++, name, body, builtin: true, updated_at: now() });
  const fieldsIn = (body) => [...body.replace(/\{\{|\}\}/g, '').matchAll(/\{([^{}]*)\}/g)].map((m) => m[1].trim());
  const findTemplate = (name) =>
    db.templates.find((t) => t.name === name || String(t.id) === String(name)) ??
    fail('template.not_found', { name: String(name) });

  async function render(template, d, shop) {
    const { customer: c, stats, loyalty, ledger, row } = d;
    const english = fieldsIn(template.body).some((f) => f in ALIAS);
    const points = loyalty?.balance ?? row?.points ?? 0;
    const yearAgo = addMonths(today(), -12);
    const earned = (ledger ?? [])
      .filter((e) => e.points > 0 && localDate(e.at) > yearAgo)
      .map((e) => e.at)
      .sort()[0];
    const values = {
      ten: c.name.trim().split(/\s+/).at(-1),
      ho_ten: c.name,
      xung_ho: c.gender === 'male' ? (english ? 'Mr' : 'anh') : c.gender === 'female' ? (english ? 'Ms' : 'chị') : null,
      diem: String(points),
      hang: loyalty?.tier ?? row?.tier ?? null,
      sinh_nhat: c.birthday ? dm(`0000-${c.birthday.slice(-5)}`) : null,
      lan_mua_cuoi: stats.last_purchase_at ? dmy(localDate(stats.last_purchase_at)) : null,
      cua_hang: shop,
      han_diem:
        points > 0 && earned
          ? english
            ? `${points} points expire on ${dmy(addMonths(localDate(earned), 12))}`
            : `${points} điểm hết hạn ngày ${dmy(addMonths(localDate(earned), 12))}`
          : null,
    };
    const missing = [];
    const text = template.body
      .replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, f) => {
        if (whole === '{{') return '\u0001';
        if (whole === '}}') return '\u0002';
        const v = values[ALIAS[f.trim()] ?? f.trim()];
        if (v === null || v === undefined || v === '') {
          if (!missing.includes(f.trim())) missing.push(f.trim());
          return '';
        }
        return v;
      })
      .replace(/ {2,}/g, ' ')
      .replace(/ ([,.!?:;)])/g, '$1')
      .replace(/\( /g, '(')
      .trim()
      .replaceAll('\u0001', '{')
      .replaceAll('\u0002', '}');
    return { customer_id: c.id, name: c.name, phone: c.phone, phone_display: c.phone_display, text, missing };
  }

  async function matching(filter = {}) {
    const asOf = today();
    const known = ['search', 'tag', 'source', 'tier', 'min_visits', 'inactive_days', 'birthday_month', 'has_reminder'];
    for (const [k, v] of Object.entries(filter))
      if (!known.includes(k)) fail('filter.invalid', { key: k, value: String(v) });
    let ids = null;
    if (filter.search)
      ids = new Set((await original('customer_search', { query: filter.search, limit: 1e9 })).rows.map((r) => r.id));
    return (await details()).filter(({ row: r, customer: c, stats }) => {
      if (c.archived_at || (ids && !ids.has(r.id))) return false;
      if (filter.tag && !r.tags.includes(filter.tag)) return false;
      if (filter.source && r.source !== filter.source) return false;
      if (filter.tier && r.tier !== filter.tier) return false;
      if (filter.min_visits && r.visits < Number(filter.min_visits)) return false;
      if (
        filter.inactive_days &&
        stats.last_purchase_at &&
        localDate(stats.last_purchase_at) > addDays(asOf, -Number(filter.inactive_days))
      )
        return false;
      if (filter.birthday_month && (!c.birthday || Number(c.birthday.slice(-5, -3)) !== Number(filter.birthday_month)))
        return false;
      if (filter.has_reminder) {
        const due = {
          overdue: (d) => d < asOf,
          today: (d) => d === asOf,
          week: (d) => d > asOf && d <= addDays(asOf, 7),
        }[filter.has_reminder];
        if (!due) fail('filter.invalid', { key: 'has_reminder', value: String(filter.has_reminder) });
        if (!db.reminders.some((x) => x.customer_id === c.id && x.status === 'open' && due(x.due_date))) return false;
      }
      return true;
    });
  }
  async function renderAll(name, filter) {
    const t = findTemplate(name);
    const shop = (await original('settings_get')).shop_name;
    const all = await Promise.all((await matching(filter)).map((d) => render(t, d, shop)));
    const missing = {};
    for (const r of all) for (const f of r.missing) missing[f] = (missing[f] ?? 0) + 1;
    return { all, missing };
  }

  // ---------- customer care ----------
  async function care(id) {
    const d = await detail(id);
    const cid = d.customer.id;
    const mine = (list) => list.filter((x) => x.customer_id === cid);
    const ev = (kind, at, key, value) => ({ kind, at, [key]: value });
    const timeline = [
      ...d.purchases.map((p) => ev('purchase', p.at, 'purchase', p)),
      ...(d.ledger ?? []).filter((e) => e.kind !== 'earn').map((e) => ev('points', e.at, 'entry', e)),
      ...(d.tier_history ?? []).map((m) => ev('tier', m.at, 'tier_move', m)),
      ...mine(db.reminders).map((r) =>
        ev('reminder', r.closed_at ?? `${r.due_date}T${r.due_time ?? '00:00'}:00Z`, 'reminder', reminderOut(r)),
      ),
      ...mine(db.interactions).map((x) => ev('interaction', x.at, 'interaction', x)),
      ...mine(db.surveys).map((x) => ev('survey', x.at, 'survey', x)),
      ...mine(db.tickets).map((x) => ev('ticket', x.created_at, 'ticket', x)),
    ]
      .sort((a, b) => b.at.localeCompare(a.at))
      .slice(0, 200);
    const score = (kind) => {
      const list = mine(db.surveys)
        .filter((s) => s.kind === kind)
        .sort((a, b) => a.at.localeCompare(b.at));
      const avg = list.length ? (list.reduce((s, x) => s + x.score, 0) / list.length).toFixed(1) : null;
      const out = { count: list.length, latest: list.at(-1)?.score ?? null, average: avg };
      if (kind === 'nps')
        out.score = list.length
          ? Math.round(
              (100 * (list.filter((x) => x.score >= 9).length - list.filter((x) => x.score <= 6).length)) / list.length,
            )
          : null;
      return out;
    };
    const all = await details();
    const referrals = all
      .filter((x) => x.customer.referred_by === cid)
      .sort((a, b) => b.customer.created_at.localeCompare(a.customer.created_at));
    return {
      timeline,
      open_reminders: mine(db.reminders)
        .filter((r) => r.status === 'open')
        .sort(soonest)
        .map((r) => reminderOut(r)),
      satisfaction: { csat: score('csat'), nps: score('nps') },
      warranties: warrantiesOf(d.purchases),
      tickets: mine(db.tickets).map((x) => ({ ...x })),
      referred_by: d.customer.referred_by ? { id: d.customer.referred_by, name: d.customer.referred_by_name } : null,
      referrals: {
        count: referrals.length,
        customers: referrals.slice(0, 20).map((x) => ({ id: x.customer.id, name: x.customer.name })),
      },
      details_confirmed_at: db.confirmed.get(cid) ?? d.customer.created_at,
    };
  }

  const commands = {
    reminder_today: (args) => todayView(args),
    reminder_list: async ({ due = 'all', as_of: asOf = today(), customer_id: cid } = {}) => {
      const byId = await rows();
      const pred = {
        overdue: (d) => d < asOf,
        today: (d) => d === asOf,
        week: (d) => d > asOf && d <= addDays(asOf, 7),
        all: () => true,
      }[due];
      return db.reminders
        .filter((r) => r.status === 'open' && pred(r.due_date) && (cid === undefined || r.customer_id === Number(cid)))
        .sort(soonest)
        .map((r) => withCustomer(r, byId, asOf));
    },
    reminder_add: async ({ input }) => {
      const c = (await detail(input.customer_id)).customer;
      validDate(input.due_date, 'due_date');
      if (input.due_time && !/^([01]\d|2[0-3]):[0-5]\d$/.test(input.due_time))
        fail('reminder.time_invalid', { value: input.due_time, field: 'due_time' });
      const clean = (v) => (v === undefined || v === null ? null : String(v).trim() || null);
      return reminderOut(
        addReminder({
          customer_id: c.id,
          due_date: input.due_date,
          due_time: input.due_time || null,
          title: clean(input.title),
          note: clean(input.note),
          assignee: clean(input.assignee),
        }),
      );
    },
    reminder_add_bulk: async ({ filter, due_date: due, due_time: time, title, note }) => {
      validDate(due, 'due_date');
      const page = await original('customer_list', { query: { ...filter, offset: 0, limit: 500 } });
      for (const c of page.rows)
        addReminder({
          customer_id: c.id,
          due_date: due,
          due_time: time || null,
          title: title ?? null,
          note: note ?? null,
          assignee: null,
        });
      return page.rows.length;
    },
    reminder_done: ({ id, log }) => {
      const r = findReminder(id);
      if (log)
        r.interaction_id = logInteraction(
          { ...log, customer_id: r.customer_id, summary: log.summary?.trim() || reasonText(r) },
          r.id,
        ).id;
      Object.assign(r, { status: 'done', closed_at: now() });
      return reminderOut(r);
    },
    reminder_snooze: ({ id, to }) => {
      const r = findReminder(id);
      validDate(to, 'to');
      if (to < today()) fail('reminder.snooze_past', { to, field: 'to' });
      Object.assign(r, { snoozed_from: r.snoozed_from ?? r.due_date, due_date: to });
      return reminderOut(r);
    },
    reminder_cancel: ({ id }) => {
      const r = findReminder(id);
      Object.assign(r, { status: 'cancelled', closed_at: now() });
      return reminderOut(r);
    },
    // As the app: every id is checked before any changes (findReminder throws on a bad one).
    reminder_snooze_bulk: ({ ids, to }) => {
      validDate(to, 'to');
      if (to < today()) fail('reminder.snooze_past', { to, field: 'to' });
      const rs = [...new Set(ids)].map(findReminder);
      rs.forEach((r) => Object.assign(r, { snoozed_from: r.snoozed_from ?? r.due_date, due_date: to }));
      return rs.length;
    },
    reminder_cancel_bulk: ({ ids }) => {
      const rs = [...new Set(ids)].map(findReminder);
      rs.forEach((r) => Object.assign(r, { status: 'cancelled', closed_at: now() }));
      return rs.length;
    },
    reminder_generate: ({ as_of: asOf } = {}) => generate(asOf ? validDate(asOf, 'as_of') : today()),
    reminder_rules_get: () => db.rules,
    reminder_rules_set: ({ rules }) => setRules(rules),
    interaction_add: async ({ input }) => {
      await detail(input.customer_id);
      return logInteraction(input);
    },
    survey_add: async ({ input }) => {
      const c = (await detail(input.customer_id)).customer;
      const range = { csat: [1, 5], nps: [0, 10] }[input.kind];
      if (!range) fail('survey.kind_invalid', { value: String(input.kind) });
      const score = Number(input.score);
      if (!Number.isInteger(score) || score < range[0] || score > range[1])
        fail('survey.score_invalid', {
          kind: input.kind,
          score: String(input.score),
          min: range[0],
          max: range[1],
          field: 'score',
        });
      const s = {
        id: db.next.survey++,
        customer_id: c.id,
        purchase_id: input.purchase_id ?? null,
        kind: input.kind,
        score,
        comment: input.comment?.trim() || null,
        at: now(),
        staff: null,
      };
      db.surveys.push(s);
      return s;
    },
    customer_care: ({ id }) => care(id),
    customer_confirm_details: async ({ id }) => {
      const c = (await detail(id)).customer;
      db.confirmed.set(c.id, now());
      return c;
    },
    warranty_list: async ({ reference }) => {
      const ref = String(reference ?? '').trim();
      const byId = await rows();
      const hit =
        /^\d{1,6}$/.test(ref) && byId.get(Number(ref))
          ? byId.get(Number(ref))
          : (await original('customer_search', { query: ref, limit: 1 })).rows[0];
      if (!hit) fail('customer.not_found', { ref });
      const d = await detail(hit.id);
      return {
        customer: byId.get(hit.id) ?? hit,
        warranties: warrantiesOf(d.purchases),
        tickets: db.tickets.filter((x) => x.customer_id === hit.id),
      };
    },
    ticket_add: async ({ input }) => {
      const d = await detail(input.customer_id);
      const title = String(input.title ?? '').trim();
      if (!title) fail('ticket.title_required', { field: 'title' });
      let product = null;
      if (input.item_id !== undefined && input.item_id !== null) {
        const it = itemsOf(d.purchases).find((x) => x.item_id === Number(input.item_id));
        if (!it) fail('warranty.item_not_found', { id: input.item_id });
        product = it.product;
      }
      const tk = {
        id: db.next.ticket++,
        customer_id: d.customer.id,
        item_id: input.item_id ?? null,
        product,
        title,
        note: input.note?.trim() || null,
        status: 'open',
        created_at: now(),
        updated_at: now(),
        staff: null,
      };
      db.tickets.push(tk);
      return tk;
    },
    ticket_set_status: ({ id, status }) => {
      const tk = db.tickets.find((x) => x.id === Number(id)) ?? fail('ticket.not_found', { id });
      if (!['open', 'in_progress', 'done'].includes(status)) fail('ticket.status_invalid', { value: String(status) });
      Object.assign(tk, { status, updated_at: now() });
      return tk;
    },
    template_list: () => ({
      fields: [...VI_FIELDS, ...EN_FIELDS],
      templates: [...db.templates].sort((a, b) => a.name.localeCompare(b.name)),
    }),
    template_save: ({ id, name, body }) => {
      const n = String(name ?? '').trim();
      if (!n || n.length > 60) fail('template.name_invalid', { field: 'name' });
      if (!String(body ?? '').trim()) fail('template.body_required', { field: 'body' });
      const unknown = fieldsIn(body).find((f) => !VI_FIELDS.includes(f) && !EN_FIELDS.includes(f));
      if (unknown !== undefined) fail('template.unknown_field', { field_name: unknown, field: 'body' });
      if (db.templates.some((t) => t.name.toLowerCase() === n.toLowerCase() && t.id !== Number(id)))
        fail('template.name_taken', { name: n, field: 'name' });
      let t =
        id === undefined || id === null
          ? null
          : (db.templates.find((x) => x.id === Number(id)) ?? fail('template.not_found', { name: String(id) }));
      if (!t) {
        t = { id: db.next.template++, builtin: false };
        db.templates.push(t);
      }
      return Object.assign(t, { name: n, body: String(body), updated_at: now() });
    },
    template_delete: ({ id }) => {
      const i = db.templates.findIndex((t) => t.id === Number(id));
      if (i < 0) fail('template.not_found', { name: String(id) });
      db.templates.splice(i, 1);
      return null;
    },
    template_render: async ({ name, customer_id: cid }) => {
      const t = findTemplate(name);
      const [d, byId, s] = await Promise.all([detail(cid), rows(), original('settings_get')]);
      return render(t, { ...d, row: byId.get(d.customer.id) }, s.shop_name);
    },
    template_preview: async ({ name, filter }) => {
      const { all, missing } = await renderAll(name, filter);
      return {
        total: all.length,
        missing,
        samples: all.slice(0, 5),
        lacking: all.filter((r) => r.missing.length).slice(0, 20),
      };
    },
    template_export: async ({ name, filter, path }) => {
      const { all, missing } = await renderAll(name, filter);
      return { path: path ?? '/home/shop/Tài liệu/tin-nhan.csv', rows: all.filter((r) => r.phone).length, missing };
    },
  };

  // ---------- demo data (?seed=N) ----------
  let ready = null;
  async function seed() {
    try {
      timeZone = (await original('settings_get')).timezone || timeZone;
      dayFormat = null;
    } catch {
      /* keep the default */
    }
    if (!opts.has('seed')) return;
    const t0 = today();
    const all = await details();
    for (const d of [addDays(t0, -7), t0, addDays(t0, 7)]) await generate(d, all);
    const byId = [...(await rows()).values()];
    const top = byId.slice(0, 40);
    let k = 0;
    const TITLES = [
      ['Gọi báo hàng đã về (ốp lưng màu xanh)', 'Lan'],
      ['Hẹn khách lấy máy sau bảo hành', 'Minh'],
      ['Gửi báo giá sạc dự phòng cho công ty', null],
      ['Nhắc khách mang hóa đơn để đổi hàng', 'Lan'],
      ['Hỏi khách có muốn đặt trước tai nghe mới không', null],
    ];
    for (let i = 0; i < 10; i++) {
      const [title, assignee] = TITLES[i % TITLES.length];
      addReminder({
        customer_id: top[(i * 7) % top.length].id,
        due_date: addDays(t0, [-3, -1, 0, 0, 1, 2, 4, 6, -5, 0][i]),
        due_time: ['09:30', null, null, '14:00', null, null, '17:15', null, null, '10:00'][i],
        title,
        assignee,
        note: i % 4 === 1 ? 'Khách dặn gọi sau 5 giờ chiều' : null,
      });
    }
    for (const r of db.reminders.filter((x) => x.due_date < addDays(t0, -8)).slice(0, 25)) {
      if (k++ % 5 === 4) {
        Object.assign(r, { status: 'cancelled', closed_at: `${addDays(r.due_date, 1)}T03:00:00Z` });
        continue;
      }
      const it = logInteraction(
        {
          customer_id: r.customer_id,
          channel: CHANNELS[k % 4],
          summary: reasonText(r),
          outcome: [
            'Khách cảm ơn, hẹn tuần sau ghé',
            'Không nghe máy, đã nhắn Zalo',
            'Khách hài lòng với sản phẩm',
            'Khách hỏi thêm về bảo hành',
          ][k % 4],
          at: `${addDays(r.due_date, k % 2)}T0${2 + (k % 6)}:15:00Z`,
        },
        r.id,
      );
      Object.assign(r, { status: 'done', closed_at: it.at, interaction_id: it.id });
    }
    for (let i = 0; i < 30; i++) {
      const c = top[(i * 3) % top.length];
      const kind = i % 3 ? 'csat' : 'nps';
      db.surveys.push({
        id: db.next.survey++,
        customer_id: c.id,
        purchase_id: null,
        kind,
        score: kind === 'csat' ? [5, 4, 5, 3, 4, 2][i % 6] : [10, 9, 8, 6, 9, 3][i % 6],
        comment: i % 4 === 0 ? ['Nhân viên tư vấn nhiệt tình', 'Giao hàng hơi chậm', 'Giá hợp lý'][i % 3] : null,
        at: `${addDays(t0, -i * 5)}T04:00:00Z`,
        staff: null,
      });
      if (i % 5 === 0)
        logInteraction({
          customer_id: c.id,
          channel: ['zalo', 'facebook', 'in_store'][i % 3],
          direction: 'in',
          summary: ['Khách hỏi giá tai nghe Bluetooth', 'Khách nhắn hỏi giờ mở cửa', 'Khách ghé hỏi đổi màu ốp lưng'][
            i % 3
          ],
          at: `${addDays(t0, -i)}T08:30:00Z`,
        });
    }
    for (const [i, c] of top.slice(0, 12).entries()) {
      const w = warrantiesOf(all.find((d) => d.customer.id === c.id).purchases)[0];
      if (!w || i % 2) continue;
      db.tickets.push({
        id: db.next.ticket++,
        customer_id: c.id,
        item_id: w.item_id,
        product: w.product,
        title: ['Sạc không vào điện', 'Tai nghe mất kết nối một bên', 'Cáp bị gãy đầu'][i % 3],
        note: null,
        status: ['open', 'in_progress', 'done'][i % 3],
        created_at: `${addDays(t0, -i * 4)}T03:00:00Z`,
        updated_at: `${addDays(t0, -i * 2)}T03:00:00Z`,
        staff: null,
      });
    }
  }

  const clone = (v) => (v === undefined ? null : JSON.parse(JSON.stringify(v)));
  core.invoke = (name, args = {}) => {
    const fn = commands[name];
    if (!fn) return original(name, args);
    ready ??= seed();
    const delay = LATENCY ?? 10 + Math.random() * 30;
    return new Promise((resolve, reject) =>
      setTimeout(async () => {
        try {
          await ready;
          resolve(clone(await fn(clone(args) ?? {})));
        } catch (err) {
          reject(err instanceof IpcError ? { ...err } : err);
        }
      }, delay),
    );
  };
})();
