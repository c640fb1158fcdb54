// Development only: an in-memory stand-in for the Rust back end, implementing
// docs/IPC.md closely enough to render and exercise every screen in a plain browser.
// Loaded by tests/ui/dev/index.html, never by ui/index.html.
// URL options: ?seed=300 (start with a demo shop of N customers), ?lang=en,
// ?currency=USD, ?latency=400 (ms per call, to see the progress bar),
// ?click=#import-file|#import-run (clicks those elements one by one after loading, ~1 s apart,
// for screenshots of states behind a button), ?pick=<path>|cancel (what the file pickers answer),
// ?backup_fail (backup_create fails: folder missing), ?lose=purchase_add (the first call of that
// command does its work, then rejects with "internal" as if the answer had been lost: exercises
// the client_id retry).
// Staff, PINs and the audit log (?staff, ?staff=lan|minh, ?idle=1): see mock-staff.js.
// Start-up (issue 19): ?upgrade (an older data file: about 4 s of backup and migration, then
// the app and its toast), ?upgrade=fail (the migration fails after the backup),
// ?restore=<path> (the window was opened with that backup), ?panic (debug_panic fails as a
// panic caught by the core does), ?open_fail (app_open_folder finds no file manager).
(() => {
  const opts = new URLSearchParams(location.search);
  const LATENCY = opts.has('latency') ? Number(opts.get('latency')) : null;
  const lose = new Set((opts.get('lose') ?? '').split(',').filter(Boolean));

  // Deterministic pseudo-random numbers, so screenshots are repeatable.
  let seed = 20261123;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pickOne = (a) => a[Math.floor(rand() * a.length)];
  const pad2 = (n) => String(n).padStart(2, '0');
  // Draws year, month, day in that order (days up to 28, so every month has them).
  const randomBirthday = () => {
    const year = 1970 + Math.floor(rand() * 35);
    const month = 1 + Math.floor(rand() * 12);
    return `${year}-${pad2(month)}-${pad2(1 + Math.floor(rand() * 28))}`;
  };

  const EXPONENTS = { VND: 0, JPY: 0, KRW: 0, CLP: 0, ISK: 0, LAK: 0, KHR: 0, TWD: 2 };
  const db = {
    settings: {
      shop_name: 'Phụ kiện Minh Anh',
      currency: opts.get('currency') ?? 'VND',
      timezone: 'Asia/Ho_Chi_Minh',
      language: opts.get('lang') ?? 'vi',
    },
    customers: new Map(),
    purchases: [],
    nextCustomer: 1,
    nextPurchase: 1,
    loyalty: null, // {rules, tiers}, built on first use so that ?currency= applies
    ledger: [], // {id, customer_id, kind, points, at, purchase_id, refund_id, staff, reason}
    tierMoves: [], // {id, customer_id, at, from, to, spend}
    // {id, purchase_id, amount (minor: the share of the bill undone, as the core stores it), at, shortfall}
    refunds: [],
    clientIds: new Map(), // client_id -> purchase id
    nextEntry: 1,
  };
  const exponent = () => EXPONENTS[db.settings.currency] ?? 2;
  const settings = () => ({ ...db.settings, currency_exponent: exponent(), currency_locked: db.purchases.length > 0 });

  class IpcError {
    constructor(code, params = {}) {
      this.code = code;
      this.message = `[mock] ${code}`;
      this.params = params;
    }
  }
  const fail = (code, params) => {
    throw new IpcError(code, params);
  };

  const fold = (s) =>
    s
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[đĐ]/g, 'd')
      .toLowerCase();
  const digits = (s) => s.replace(/\D/g, '');
  function normalizePhone(raw) {
    let d = digits(raw);
    if (d.startsWith('84') && d.length === 11) d = '0' + d.slice(2);
    return /^0\d{9}$/.test(d) ? d : null;
  }
  const phoneDisplay = (p) => `${p.slice(0, 4)} ${p.slice(4, 7)} ${p.slice(7)}`;

  // Money as integer minor units (BigInt) so sums are exact, like the INTEGER column.
  function toMinor(value, field = 'amount') {
    const s = String(value ?? '').trim();
    if (/^-/.test(s) && /^-\d/.test(s)) fail('purchase.amount_negative', { field });
    const m = /^(\d+)(?:\.(\d+))?$/.exec(s);
    if (!m) fail('purchase.amount_invalid', { value: s, field });
    const frac = m[2] ?? '';
    if (frac.replace(/0+$/, '').length > exponent())
      fail('purchase.amount_precision', { currency: db.settings.currency, decimals: exponent(), field });
    const minor = BigInt(m[1] + frac.padEnd(exponent(), '0').slice(0, exponent()));
    if (minor > 10n ** 15n) fail('purchase.amount_too_large', { field });
    return minor;
  }
  const fromMinor = (n) => {
    const e = exponent();
    const s = n.toString().padStart(e + 1, '0');
    return e ? `${s.slice(0, -e)}.${s.slice(-e)}` : s;
  };

  function stats(id) {
    const ps = db.purchases.filter((p) => p.customer_id === id).sort((a, b) => a.at.localeCompare(b.at));
    const total = ps.reduce((s, p) => s + toMinor(p.total) - refundedMinor(p.id), 0n);
    const first = ps[0]?.at ?? null;
    const last = ps.at(-1)?.at ?? null;
    return {
      visits: ps.length,
      total_spent: fromMinor(total),
      average_basket: ps.length ? fromMinor(total / BigInt(ps.length)) : null,
      first_purchase_at: first,
      last_purchase_at: last,
      average_days_between_visits:
        ps.length > 1
          ? Math.round(((Date.parse(last) - Date.parse(first)) / 86400000 / (ps.length - 1)) * 10) / 10
          : null,
    };
  }
  function row(c) {
    const s = stats(c.id);
    return {
      id: c.id,
      code: c.code,
      name: c.name,
      phone: c.phone,
      phone_display: c.phone_display,
      tags: c.tags,
      source: c.source,
      visits: s.visits,
      total_spent: s.total_spent,
      last_purchase_at: s.last_purchase_at,
      archived: !!c.archived_at,
      tier: currentTier(c.id),
      points: balance(c.id),
    };
  }
  function customerOut(c) {
    const ref = c.referred_by ? db.customers.get(c.referred_by) : null;
    return { ...c, tags: [...c.tags], referred_by_name: ref?.name ?? null };
  }
  function getCustomer(id) {
    const c = db.customers.get(Number(id));
    if (!c) fail('customer.not_found', { ref: String(id) });
    return c;
  }
  function findRef(ref) {
    const s = String(ref).trim();
    const phone = normalizePhone(s);
    for (const c of db.customers.values()) {
      if (String(c.id) === s || (c.code && c.code.toLowerCase() === s.toLowerCase()) || (phone && c.phone === phone))
        return c;
    }
    return fail('customer.not_found', { ref: s, field: 'referred_by' });
  }

  const ALLOWED = [
    'name',
    'phone',
    'code',
    'birthday',
    'gender',
    'email',
    'address',
    'note',
    'tags',
    'referred_by',
    'source',
  ];
  // Validates an add/update input onto customer c (mutates a copy) like the core would.
  function applyInput(c, input, isNew) {
    for (const k of Object.keys(input))
      if (!ALLOWED.includes(k)) fail('input.invalid', { detail: `unknown field ${k}` });
    const out = { ...c };
    const opt = (k) => (input[k] === undefined ? out[k] : String(input[k]).trim() || null);
    if (isNew || input.name !== undefined) {
      const name = String(input.name ?? '').trim();
      if (!name) fail('customer.name_required', { field: 'name' });
      if (name.length > 100) fail('customer.name_too_long', { max: 100, field: 'name' });
      out.name = name;
    }
    if (isNew || input.phone !== undefined) {
      const raw = String(input.phone ?? '').trim();
      if (!raw) fail('customer.phone_required', { field: 'phone' });
      const phone = normalizePhone(raw);
      if (!phone) fail('customer.phone_invalid', { phone: raw, field: 'phone' });
      const other = [...db.customers.values()].find((x) => x.phone === phone && x.id !== c.id && !x.archived_at);
      if (other)
        fail('customer.phone_taken', { phone: phoneDisplay(phone), name: other.name, id: other.id, field: 'phone' });
      out.phone = phone;
      out.phone_display = phoneDisplay(phone);
    }
    out.code = opt('code');
    if (out.code && !/^[A-Za-z0-9_-]{1,20}$/.test(out.code))
      fail('customer.code_invalid', { code: out.code, field: 'code' });
    const taken =
      out.code &&
      [...db.customers.values()].find((x) => x.code?.toLowerCase() === out.code.toLowerCase() && x.id !== c.id);
    if (taken) fail('customer.code_taken', { code: out.code, name: taken.name, id: taken.id, field: 'code' });
    out.birthday = opt('birthday');
    if (out.birthday && !/^(\d{4}|-)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(out.birthday))
      fail('customer.birthday_invalid', { value: out.birthday, field: 'birthday' });
    out.gender = opt('gender');
    if (out.gender && !['male', 'female', 'other'].includes(out.gender))
      fail('customer.gender_invalid', { value: out.gender, field: 'gender' });
    out.email = opt('email');
    if (out.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(out.email))
      fail('customer.email_invalid', { email: out.email, field: 'email' });
    out.address = opt('address');
    out.note = opt('note');
    if (input.tags !== undefined) {
      for (const tag of input.tags)
        if (!tag.trim() || tag.length > 30) fail('customer.tag_invalid', { tag, field: 'tags' });
      out.tags = [...new Set(input.tags.map((x) => x.trim()))];
    }
    if (input.source !== undefined) {
      if (!['walk_in', 'facebook', 'zalo', 'referral', 'other'].includes(input.source))
        fail('customer.source_invalid', { value: input.source, field: 'source' });
      out.source = input.source;
    }
    if (input.referred_by !== undefined) {
      if (!String(input.referred_by).trim()) out.referred_by = null;
      else {
        const ref = findRef(input.referred_by);
        if (ref.id === c.id) fail('customer.referred_by_self', { field: 'referred_by' });
        out.referred_by = ref.id;
      }
    }
    return out;
  }

  function addCustomer(input, createdAt = new Date().toISOString()) {
    const blank = {
      id: db.nextCustomer,
      code: null,
      name: '',
      phone: '',
      phone_display: '',
      birthday: null,
      gender: null,
      email: null,
      address: null,
      note: null,
      tags: [],
      referred_by: null,
      source: 'walk_in',
      created_at: createdAt,
      updated_at: createdAt,
      archived_at: null,
    };
    const c = applyInput(blank, input, true);
    db.nextCustomer++;
    db.customers.set(c.id, c);
    return c;
  }

  function addPurchase(input, at = null) {
    const c = getCustomer(input.customer_id);
    if (c.archived_at) fail('customer.archived', { name: c.name });
    const total = toMinor(input.amount);
    const items = (input.items ?? []).map((it, i) => {
      const qty = Number(it.quantity);
      if (!it.product?.trim() || !(qty > 0))
        fail('purchase.item_invalid', {
          index: i + 1,
          detail: 'product and a positive quantity are required',
          field: 'items',
        });
      const unit = toMinor(it.unit_price, 'items');
      const line = Number.isInteger(qty) ? unit * BigInt(qty) : BigInt(Math.round(Number(unit) * qty));
      return {
        product: it.product.trim(),
        quantity: String(it.quantity),
        unit_price: fromMinor(unit),
        line_total: fromMinor(line),
        warranty_months: it.warranty_months ?? null,
        minor: line,
      };
    });
    if (items.length) {
      const sum = items.reduce((s, it) => s + it.minor, 0n);
      if (sum !== total)
        fail('purchase.items_mismatch', { items_total: fromMinor(sum), total: fromMinor(total), field: 'items' });
    }
    const method = input.payment_method ?? 'cash';
    if (!['cash', 'card', 'transfer', 'ewallet', 'other'].includes(method))
      fail('purchase.payment_invalid', { value: method, field: 'payment_method' });
    const now = new Date().toISOString();
    const when = at ?? input.at ?? now;
    const priced = price(c.id, total, input.redeem, when);
    applyExpiry(c.id, when);
    evaluateTier(c.id, when);
    const p = {
      id: db.nextPurchase++,
      customer_id: c.id,
      at: when,
      total: fromMinor(total),
      payment_method: method,
      note: input.note?.trim() || null,
      staff: null,
      items: items.map(({ minor, ...it }) => it),
      created_at: now,
      discount: fromMinor(priced.discount),
    };
    db.purchases.push(p);
    if (priced.points > 0)
      addEntry({ customer_id: c.id, kind: 'redeem', points: -priced.points, at: when, purchase_id: p.id });
    if (priced.earn > 0)
      addEntry({ customer_id: c.id, kind: 'earn', points: priced.earn, at: when, purchase_id: p.id });
    const [before, after] = evaluateTier(c.id, when);
    return {
      purchase: p,
      points_earned: priced.earn,
      points_redeemed: priced.points,
      discount: fromMinor(priced.discount),
      tier_changed: before !== after,
    };
  }

  // ---------- loyalty: the rules of docs/IPC.md "Loyalty (issue 5)", after the core's ----------

  function loyalty() {
    if (!db.loyalty) {
      const e = exponent();
      const vnd = e === 0;
      // Defaults of the core (10.000 ₫ per point, 1.000 ₫ a point). The core keeps its đồng
      // tiers in any currency; the mock scales them so screenshots in USD look sensible.
      const unit = (n) => fromMinor(BigInt(n) * 10n ** BigInt(e));
      db.loyalty = {
        rules: {
          earn_per: vnd ? '10000' : unit(1),
          point_value: vnd ? '1000' : fromMinor(1n),
          min_redeem: 10,
          max_redeem_percent: 50,
          expiry_months: 12,
          birthday_bonus: 50,
        },
        tiers: [
          ['Thành viên', 0, '1'],
          ['Bạc', 3000000, '1.2'],
          ['Vàng', 10000000, '1.5'],
          ['Kim cương', 30000000, '2'],
        ].map(([name, vndThreshold, multiplier]) => ({
          name,
          threshold: vnd ? String(vndThreshold) : unit(vndThreshold / 10000),
          multiplier,
        })),
      };
    }
    return db.loyalty;
  }
  const rulesMinor = () => {
    const r = loyalty().rules;
    return { ...r, earn_per: toMinor(r.earn_per), point_value: toMinor(r.point_value) };
  };
  const ms = (iso) => Date.parse(iso);
  function shiftMonths(iso, months) {
    const d = new Date(iso);
    const day = d.getUTCDate();
    d.setUTCDate(1);
    d.setUTCMonth(d.getUTCMonth() + months);
    d.setUTCDate(Math.min(day, new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate()));
    return d.toISOString().replace(/\.\d+Z$/, 'Z');
  }
  function addEntry(e) {
    const entry = { id: db.nextEntry++, purchase_id: null, refund_id: null, staff: null, reason: null, ...e };
    db.ledger.push(entry);
    return entry;
  }
  const entriesOf = (cid) =>
    db.ledger.filter((e) => e.customer_id === cid).sort((a, b) => ms(a.at) - ms(b.at) || a.id - b.id);
  const balance = (cid) => db.ledger.reduce((s, e) => s + (e.customer_id === cid ? e.points : 0), 0);
  const refundedMinor = (pid) => db.refunds.reduce((s, r) => s + (r.purchase_id === pid ? r.amount : 0n), 0n);

  /** First in, first out: lots expire expiry_months after they were earned. */
  function expiriesDue(cid, asOf) {
    const months = loyalty().rules.expiry_months;
    if (months <= 0) return [];
    const lots = [];
    for (const e of entriesOf(cid)) {
      if (e.points > 0) lots.push({ expires: shiftMonths(e.at, months), left: e.points });
      else {
        let need = -e.points;
        while (need > 0 && lots.length) {
          const used = Math.min(need, lots[0].left);
          lots[0].left -= used;
          need -= used;
          if (lots[0].left === 0) lots.shift();
        }
      }
    }
    return lots.filter((l) => l.left > 0 && ms(l.expires) <= ms(asOf));
  }
  function applyExpiry(cid, asOf) {
    for (const lot of expiriesDue(cid, asOf))
      addEntry({ customer_id: cid, kind: 'expire', points: -lot.left, at: lot.expires, reason: 'expired' });
  }
  function spend(cid, asOf) {
    const from = ms(shiftMonths(asOf, -12));
    const to = ms(asOf);
    const inWindow = (iso) => ms(iso) > from && ms(iso) <= to;
    let sum = 0n;
    for (const p of db.purchases) if (p.customer_id === cid && inWindow(p.at)) sum += toMinor(p.total);
    for (const r of db.refunds)
      if (inWindow(r.at) && db.purchases.find((p) => p.id === r.purchase_id)?.customer_id === cid) sum -= r.amount;
    return sum;
  }
  const tiersMinor = () => loyalty().tiers.map((t) => ({ ...t, min: toMinor(t.threshold) }));
  const tierFor = (s) =>
    tiersMinor()
      .filter((t) => s >= t.min)
      .at(-1) ?? null;
  function currentTier(cid) {
    let last = null;
    for (const m of db.tierMoves) if (m.customer_id === cid && (!last || ms(m.at) >= ms(last.at))) last = m;
    return last ? last.to : null;
  }
  function evaluateTier(cid, at) {
    const s = spend(cid, at);
    const before = currentTier(cid);
    const after = tierFor(s)?.name ?? null;
    if (after !== before)
      db.tierMoves.push({ id: db.tierMoves.length + 1, customer_id: cid, at, from: before, to: after, spend: s });
    return [before, after];
  }
  function view(cid) {
    const now = new Date().toISOString();
    const s = spend(cid, now);
    const tier = currentTier(cid);
    const next = tiersMinor().find((t) => t.min > s);
    return {
      balance: balance(cid),
      tier,
      multiplier: loyalty().tiers.find((t) => t.name === tier)?.multiplier ?? '1',
      spend_12m: fromMinor(s),
      next_tier: next?.name ?? null,
      next_threshold: next ? fromMinor(next.min) : null,
      needed_for_next: next ? fromMinor(next.min - s) : null,
    };
  }
  function maxPoints(total, bal, r) {
    if (r.point_value <= 0n) return 0;
    const cap = (total * BigInt(r.max_redeem_percent)) / 100n;
    const m = Math.max(0, Math.min(bal, Number(cap / r.point_value)));
    return m < Math.max(1, r.min_redeem) ? 0 : m;
  }
  function price(cid, total, redeemIn, at) {
    const redeem = redeemIn ?? 0;
    if (!Number.isInteger(redeem) || redeem < 0)
      fail('loyalty.redeem_invalid', { value: String(redeem), field: 'redeem' });
    const r = rulesMinor();
    const bal = balance(cid) - expiriesDue(cid, at).reduce((s, l) => s + l.left, 0);
    let discount = 0n;
    if (redeem > 0) {
      if (redeem < r.min_redeem) fail('loyalty.redeem_below_minimum', { min: r.min_redeem, field: 'redeem' });
      if (redeem > bal) fail('loyalty.redeem_over_balance', { balance: bal, field: 'redeem' });
      discount = BigInt(redeem) * r.point_value;
      if (discount > (total * BigInt(r.max_redeem_percent)) / 100n)
        fail('loyalty.redeem_over_cap', {
          max: maxPoints(total, bal, r),
          percent: r.max_redeem_percent,
          field: 'redeem',
        });
    }
    const multiplier = Number(tierFor(spend(cid, at))?.multiplier ?? 1);
    const earn = r.earn_per > 0n ? Math.floor((Number(total - discount) / Number(r.earn_per)) * multiplier + 1e-9) : 0;
    return { total, discount, points: redeem, earn, balance: bal, max: maxPoints(total, bal, r) };
  }
  function quote(input) {
    getCustomer(input.customer_id);
    const p = price(Number(input.customer_id), toMinor(input.amount), input.redeem, new Date().toISOString());
    return {
      total: fromMinor(p.total),
      points: p.points,
      discount: fromMinor(p.discount),
      pay: fromMinor(p.total - p.discount),
      points_to_earn: p.earn,
      max_points: p.max,
      balance: p.balance,
      balance_after: p.balance - p.points + p.earn,
    };
  }
  function purchaseResult(p, extra) {
    return { purchase: purchaseOut(p), stats: stats(p.customer_id), loyalty: view(p.customer_id), ...extra };
  }
  function addPurchaseCommand(input) {
    const cid = String(input.client_id ?? '').trim();
    if (cid && db.clientIds.has(cid)) {
      const p = db.purchases.find((x) => x.id === db.clientIds.get(cid));
      let same = false;
      try {
        same = p.customer_id === Number(input.customer_id) && toMinor(input.amount) === toMinor(p.total);
      } catch {
        same = false;
      }
      if (!same) fail('purchase.client_id_conflict');
      const mine = db.ledger.filter((e) => e.purchase_id === p.id && !e.refund_id);
      return purchaseResult(p, {
        points_earned: mine.filter((e) => e.kind === 'earn').reduce((s, e) => s + e.points, 0),
        points_redeemed: -mine.filter((e) => e.kind === 'redeem').reduce((s, e) => s + e.points, 0),
        discount: p.discount,
        tier_changed: false,
      });
    }
    const r = addPurchase(input);
    if (cid) db.clientIds.set(cid, r.purchase.id);
    const { purchase, ...rest } = r;
    return purchaseResult(purchase, rest);
  }
  // As the core: money paid back is at most total - discount; a refund stores the share of
  // the bill it undoes, and the points redeemed come back in that proportion.
  const scaleRound = (n, num, den) => (den <= 0n ? 0n : (2n * n * num + den) / (2n * den));
  const refundShare = (total, paid, money) => (money >= paid ? total : scaleRound(money, total, paid));
  const refundMoney = (total, paid, share) => (share >= total ? paid : scaleRound(share, paid, total));
  function refundState(p) {
    const total = toMinor(p.total);
    const paid = total - toMinor(p.discount ?? '0');
    const share = refundedMinor(p.id);
    const money = refundMoney(total, paid, share);
    const mine = db.ledger.filter((e) => e.purchase_id === p.id);
    const pointsBack = -mine
      .filter((e) => e.kind === 'redeem' || (e.kind === 'refund' && e.points > 0))
      .reduce((s, e) => s + e.points, 0);
    return { total, paid, share, money, left: share >= total ? 0n : paid - money, pointsBack };
  }
  function purchaseOut(p) {
    const st = refundState(p);
    return {
      ...p,
      refunded: fromMinor(st.money),
      paid: fromMinor(st.paid),
      refundable: fromMinor(st.left),
      points_back: st.pointsBack,
    };
  }
  function refund(id, amount, at = new Date().toISOString().replace(/\.\d+Z$/, 'Z')) {
    const p = db.purchases.find((x) => x.id === Number(id));
    if (!p) fail('purchase.not_found', { id });
    const st = refundState(p);
    const { total, paid, share: done, money: moneyDone, left } = st;
    if (done >= total) fail('purchase.fully_refunded');
    const m = amount === undefined || amount === null || String(amount).trim() === '' ? left : toMinor(amount);
    if (m <= 0n && m !== left) fail('purchase.amount_invalid', { value: String(amount), field: 'amount' });
    if (m > left) fail('purchase.refund_too_large', { max: fromMinor(left), field: 'amount' });
    const after = m === left ? total : refundShare(total, paid, moneyDone + m);
    const a = after - done;
    applyExpiry(p.customer_id, at);
    const rf = { id: db.refunds.length + 1, purchase_id: p.id, amount: a, at, shortfall: 0 };
    db.refunds.push(rf);
    const mine = db.ledger.filter((e) => e.purchase_id === p.id);
    const sum = (pred) => mine.filter(pred).reduce((s, e) => s + e.points, 0);
    const earned = sum((e) => e.kind === 'earn');
    const redeemed = -sum((e) => e.kind === 'redeem');
    const returned = sum((e) => e.kind === 'refund' && e.points > 0);
    const reversed = -sum((e) => e.kind === 'refund' && e.points < 0);
    const shortBefore = db.refunds.filter((x) => x.purchase_id === p.id).reduce((s, x) => s + x.shortfall, 0);
    const share = (points) => Math.round((points * Number(done + a)) / Number(total || 1n));
    const giveBack = Math.max(0, share(redeemed) - returned);
    if (giveBack > 0)
      addEntry({
        customer_id: p.customer_id,
        kind: 'refund',
        points: giveBack,
        at,
        purchase_id: p.id,
        refund_id: rf.id,
      });
    const owed = Math.max(0, share(earned) - reversed - shortBefore);
    const take = Math.min(owed, Math.max(0, balance(p.customer_id)));
    if (take > 0)
      addEntry({ customer_id: p.customer_id, kind: 'refund', points: -take, at, purchase_id: p.id, refund_id: rf.id });
    rf.shortfall = owed - take;
    evaluateTier(p.customer_id, at);
    return {
      refund: { id: rf.id, purchase_id: p.id, amount: fromMinor(m), at },
      points_reversed: take,
      points_returned: giveBack,
      shortfall: owed - take,
      loyalty: view(p.customer_id),
    };
  }
  function adjust(customerId, delta, reason) {
    const c = getCustomer(customerId);
    if (!Number.isInteger(delta)) fail('input.invalid', { detail: 'delta must be a whole number' });
    if (delta === 0) fail('loyalty.adjust_zero', { field: 'delta' });
    const why = String(reason ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .join(' ');
    if (!why) fail('loyalty.adjust_reason_required', { field: 'reason' });
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    applyExpiry(c.id, now);
    if (delta < 0 && balance(c.id) + delta < 0)
      fail('loyalty.adjust_below_zero', { balance: balance(c.id), field: 'delta' });
    const {
      customer_id: _,
      refund_id: __,
      ...entry
    } = addEntry({ customer_id: c.id, kind: 'adjust', points: delta, at: now, reason: why, staff: null });
    return { entry, loyalty: view(c.id) };
  }
  const RULE_MAX = { min_redeem: 1e9, max_redeem_percent: 100, expiry_months: 120, birthday_bonus: 1e9 };
  function setRules(rules) {
    const next = { ...loyalty().rules };
    for (const [key, value] of Object.entries(rules ?? {})) {
      const bad = () => fail('loyalty.invalid_rule', { key, value: String(value), field: key });
      if (key === 'earn_per' || key === 'point_value') {
        let m;
        try {
          m = toMinor(value);
        } catch {
          bad();
        }
        if (m <= 0n) bad();
        next[key] = fromMinor(m);
      } else if (key in RULE_MAX) {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0 || n > RULE_MAX[key] || String(value).trim() === '') bad();
        next[key] = n;
      } else fail('settings.unknown_key', { key });
    }
    loyalty().rules = next;
    return config();
  }
  function setTiers(tiers) {
    if (!Array.isArray(tiers) || !tiers.length) fail('loyalty.tiers_empty', { field: 'tiers' });
    const seen = new Set();
    const rows = tiers
      .map((t) => {
        const name = String(t.name ?? '')
          .split(/\s+/)
          .filter(Boolean)
          .join(' ');
        if (!name) fail('loyalty.tier_name_required', { field: 'tiers' });
        if (seen.has(fold(name))) fail('loyalty.tier_duplicate', { name, field: 'tiers' });
        seen.add(fold(name));
        let min;
        try {
          min = toMinor(t.threshold);
        } catch {
          fail('loyalty.tier_threshold_invalid', { name, value: String(t.threshold ?? ''), field: 'tiers' });
        }
        const m = String(t.multiplier ?? '').trim();
        if (!/^\d+(\.\d{1,2})?$/.test(m) || Number(m) > 100)
          fail('loyalty.tier_multiplier_invalid', { name, value: m, field: 'tiers' });
        return { name, min, multiplier: String(Number(m)) };
      })
      .sort((a, b) => (a.min < b.min ? -1 : a.min > b.min ? 1 : 0));
    if (rows[0].min !== 0n) fail('loyalty.tier_first_not_zero', { field: 'tiers' });
    for (let i = 1; i < rows.length; i++)
      if (rows[i].min === rows[i - 1].min)
        fail('loyalty.tier_threshold_invalid', { name: rows[i].name, value: fromMinor(rows[i].min), field: 'tiers' });
    loyalty().tiers = rows.map((r) => ({ name: r.name, threshold: fromMinor(r.min), multiplier: r.multiplier }));
    const now = new Date().toISOString();
    for (const c of db.customers.values())
      if (currentTier(c.id) !== null || spend(c.id, now) > 0n) evaluateTier(c.id, now);
    return config();
  }
  const config = () => ({ rules: { ...loyalty().rules }, tiers: loyalty().tiers.map((t) => ({ ...t })) });

  const FAMILY = [
    'Nguyễn',
    'Trần',
    'Lê',
    'Phạm',
    'Hoàng',
    'Huỳnh',
    'Phan',
    'Vũ',
    'Võ',
    'Đặng',
    'Bùi',
    'Đỗ',
    'Hồ',
    'Ngô',
    'Dương',
    'Lý',
  ];
  const MIDDLE = ['Văn', 'Thị', 'Đức', 'Minh', 'Ngọc', 'Thu', 'Hoàng', 'Quang', 'Thanh', 'Hữu', 'Kim', 'Bảo'];
  const GIVEN = [
    'An',
    'Bình',
    'Châu',
    'Dũng',
    'Giang',
    'Hà',
    'Hải',
    'Hạnh',
    'Hiếu',
    'Hoa',
    'Hùng',
    'Hương',
    'Khánh',
    'Lan',
    'Linh',
    'Long',
    'Mai',
    'My',
    'Nam',
    'Nga',
    'Ngân',
    'Nhung',
    'Phong',
    'Phúc',
    'Phương',
    'Quân',
    'Quỳnh',
    'Sơn',
    'Tâm',
    'Thảo',
    'Trang',
    'Trung',
    'Tuấn',
    'Vy',
    'Yến',
    'Đạt',
  ];
  const PRODUCTS = [
    ['Ốp lưng iPhone 15', 150000, 0],
    ['Cáp sạc USB-C 1m', 90000, 6],
    ['Tai nghe Bluetooth', 650000, 12],
    ['Sạc dự phòng 10.000mAh', 450000, 12],
    ['Kính cường lực', 120000, 0],
    ['Củ sạc nhanh 20W', 280000, 12],
    ['Giá đỡ điện thoại', 75000, 0],
    ['Loa mini', 390000, 6],
  ];
  const TAGS = ['VIP', 'sỉ', 'sinh viên', 'văn phòng', 'hay đổi trả'];
  const SOURCES = ['walk_in', 'walk_in', 'walk_in', 'facebook', 'zalo', 'referral', 'other'];

  function createDemo(nCustomers, nPurchases) {
    if (db.customers.size) fail('demo.not_empty');
    if (!(nCustomers > 0 && nCustomers <= 100000) || !(nPurchases >= 0))
      fail('demo.invalid', { detail: 'size out of range' });
    const start = Date.now() - 540 * 86400000;
    for (let i = 0; i < nCustomers; i++) {
      const gender = rand() < 0.55 ? 'female' : 'male';
      const middle =
        gender === 'female'
          ? pickOne(['Thị', 'Ngọc', 'Thu', 'Kim', 'Bảo', 'Minh'])
          : pickOne(['Văn', 'Đức', 'Minh', 'Hoàng', 'Quang', 'Hữu']);
      const phone = `09${String(10000000 + Math.floor(rand() * 89999999))}`;
      if ([...db.customers.values()].some((c) => c.phone === phone)) continue;
      const tags = rand() < 0.3 ? [pickOne(TAGS)] : [];
      const c = addCustomer(
        {
          name: `${pickOne(FAMILY)} ${middle} ${pickOne(GIVEN)}`,
          phone,
          tags,
          source: pickOne(SOURCES),
          gender,
          ...(rand() < 0.4 ? { code: `KH${String(i + 1).padStart(5, '0')}` } : {}),
          ...(rand() < 0.5 ? { birthday: randomBirthday() } : {}),
        },
        new Date(start + rand() * 200 * 86400000).toISOString(),
      );
      c.created_at = c.updated_at;
    }
    const ids = [...db.customers.keys()];
    const bills = [];
    for (let i = 0; i < nPurchases; i++) {
      const id = ids[Math.floor(Math.pow(rand(), 2) * ids.length)]; // a few regulars buy often
      const lines = Array.from({ length: 1 + Math.floor(rand() * 2) }, () => pickOne(PRODUCTS));
      const items = lines.map(([product, price, w]) => ({
        product,
        quantity: '1',
        unit_price: String(price),
        ...(w ? { warranty_months: w } : {}),
      }));
      const amount = String(lines.reduce((s, l) => s + l[1], 0));
      const at = new Date(start + (0.3 + 0.7 * rand()) * 540 * 86400000).toISOString().replace(/\.\d+Z$/, 'Z');
      bills.push({
        input: {
          customer_id: id,
          amount,
          items: rand() < 0.7 ? items : [],
          payment_method: pickOne(['cash', 'cash', 'transfer', 'card', 'ewallet']),
        },
        at,
      });
    }
    // In time order, so that points, expiry and tiers come out as a real shop's would.
    bills.sort((a, b) => a.at.localeCompare(b.at));
    for (const { input, at } of bills) {
      if (rand() < 0.25) {
        const q = price(input.customer_id, toMinor(input.amount), 0, at);
        if (q.max > 0) input.redeem = q.max;
      }
      const { purchase } = addPurchase(input, at);
      if (rand() < 0.03)
        refund(
          purchase.id,
          rand() < 0.5 ? null : fromMinor(toMinor(purchase.total) / 2n),
          new Date(ms(at) + 2 * 86400000).toISOString().replace(/\.\d+Z$/, 'Z'),
        );
    }
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    for (const c of db.customers.values()) {
      if (c.birthday && rand() < 0.6) {
        const [, m, d] = /^(?:\d{4}|-)-(\d{2})-(\d{2})$/.exec(c.birthday);
        let y = new Date().getUTCFullYear();
        if (`${y}-${m}-${d}` > now.slice(0, 10)) y--;
        const at = `${y}-${m}-${d}T02:00:00Z`;
        if (at > c.created_at)
          addEntry({
            customer_id: c.id,
            kind: 'bonus',
            points: loyalty().rules.birthday_bonus,
            at,
            reason: 'birthday',
          });
      }
      const delta = pickOne([20, 50, 100, -10]);
      if (rand() < 0.06 && balance(c.id) + delta >= 0) {
        addEntry({
          customer_id: c.id,
          kind: 'adjust',
          points: delta,
          at: new Date(ms(now) - rand() * 90 * 86400000).toISOString().replace(/\.\d+Z$/, 'Z'),
          reason: pickOne(['Bù điểm hóa đơn giấy', 'Khách giới thiệu bạn mới', 'Sửa điểm nhập nhầm']),
        });
      }
      applyExpiry(c.id, now);
      if (currentTier(c.id) !== null || spend(c.id, now) > 0n) evaluateTier(c.id, now); // as the core's catch-up does
    }
    return { customers: db.customers.size, purchases: db.purchases.length };
  }

  function search(query, limit) {
    const q = query.trim();
    if (!q) return [];
    const active = [...db.customers.values()].filter((c) => !c.archived_at);
    const d = digits(q);
    let hits;
    if (d && /^[\d\s+().-]+$/.test(q)) {
      const norm = normalizePhone(q);
      hits = active
        .filter((c) => c.phone.endsWith(d) || (norm && c.phone === norm))
        .concat(active.filter((c) => !c.phone.endsWith(d) && c.phone.includes(d)));
    } else {
      const tokens = fold(q).split(/\s+/);
      const exactCode = active.filter((c) => c.code && c.code.toLowerCase() === q.toLowerCase());
      const byName = active.filter((c) =>
        tokens.every((t) =>
          fold(c.name)
            .split(' ')
            .some((w) => w.startsWith(t)),
        ),
      );
      hits = [...new Set([...exactCode, ...byName])];
    }
    return hits.slice(0, limit).map(row);
  }

  function list(q) {
    let rows = [...db.customers.values()].filter((c) => q.include_archived || !c.archived_at);
    if (q.search?.trim()) {
      const ids = new Set(search(q.search, 1e9).map((r) => r.id));
      rows = rows.filter((c) => ids.has(c.id));
    }
    if (q.tag) rows = rows.filter((c) => c.tags.includes(q.tag));
    if (q.source) rows = rows.filter((c) => c.source === q.source);
    const r = rows.map((c) => ({ ...row(c), created_at: c.created_at }));
    const key = {
      name: (x) => fold(x.name.split(' ').at(-1) + ' ' + x.name),
      last_visit: (x) => x.last_purchase_at ?? '',
      total_spent: (x) => Number(x.total_spent),
      visits: (x) => x.visits,
      created: (x) => x.created_at,
    }[q.sort ?? 'name'];
    r.sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      return (ka < kb ? -1 : ka > kb ? 1 : a.id - b.id) * (q.desc ? -1 : 1);
    });
    // Like core: counted up to 1,000 or the page's end, then "more than".
    const bound = Math.max(1000, (q.offset ?? 0) + (q.limit || 50));
    return {
      total: Math.min(r.length, bound),
      total_capped: r.length > bound,
      rows: r.slice(q.offset ?? 0, (q.offset ?? 0) + (q.limit || 50)).map(({ created_at, ...x }) => x),
    };
  }

  function setSetting(key, value) {
    const v = String(value).trim();
    if (key === 'shop_name') {
      if (!v || v.length > 100) fail('settings.shop_name_invalid', { field: 'shop_name' });
    } else if (key === 'currency') {
      if (settings().currency_locked) fail('settings.currency_locked', { field: 'currency' });
      if (!/^[A-Z]{3}$/.test(v)) fail('settings.currency_invalid', { value: v, field: 'currency' });
    } else if (key === 'timezone') {
      try {
        new Intl.DateTimeFormat('en', { timeZone: v });
      } catch {
        fail('settings.timezone_invalid', { value: v, field: 'timezone' });
      }
    } else if (key === 'language') {
      if (!['vi', 'en'].includes(v)) fail('settings.language_invalid', { value: v, field: 'language' });
    } else fail('settings.unknown_key', { key });
    db.settings[key] = v;
    return settings();
  }

  // ---------- backup / duplicates / import / export (fakes: nothing touches a disk) ----------
  const DATA_DIR = '/home/shop/.local/share/khachquen';
  const backups = {
    folder: `${DATA_DIR}/backups`,
    keep: 14,
    files: [],
    lastError: null,
  };
  const stamp = (d) => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const counts = () => ({
    customers: db.customers.size,
    purchases: db.purchases.length,
    points_entries: db.ledger.length,
    refunds: db.refunds.length,
  });
  function makeBackup(kind, at = new Date(), folder = backups.folder) {
    const name = `khachquen-${stamp(at)}${kind === 'before_restore' ? '-before-restore' : ''}.db`;
    const info = {
      file: `${folder}/${name}`,
      size: 180000 + db.purchases.length * 310 + db.customers.size * 420,
      created_at: at.toISOString().replace(/\.\d+Z$/, 'Z'),
      kind,
      schema_version: 5,
      app_version: '0.1.0-dev',
      shop_name: db.settings.shop_name,
      counts: counts(),
      millis: 40 + Math.floor(rand() * 200),
    };
    return info;
  }
  // A few older backups, one damaged, so the list has something to show.
  for (const [days, kind] of [
    [1, 'auto'],
    [2, 'auto'],
    [4, 'manual'],
    [6, 'auto'],
  ]) {
    const info = makeBackup(kind, new Date(Date.now() - days * 86400000 - 3600000 * 3));
    backups.files.push({ info, ok: true });
  }
  backups.files.push({
    info: { ...makeBackup('auto', new Date(Date.now() - 9 * 86400000)), size: 65536 },
    ok: false,
    error: { code: 'backup.truncated', params: { file: 'khachquen-old.db', size: 65536, expected: 204800 } },
  });
  const entryOf = (f) => ({
    file: f.info.file,
    name: f.info.file.split('/').pop(),
    size: f.info.size,
    modified: f.info.created_at,
    ok: f.ok,
    info: f.ok ? f.info : null,
    error: f.ok ? null : f.error,
  });
  function backupStatus() {
    const good = backups.files
      .filter((f) => f.ok)
      .sort((a, b) => b.info.created_at.localeCompare(a.info.created_at))[0];
    const age = good ? Math.round((Date.now() - Date.parse(good.info.created_at)) / 1000) : null;
    return {
      folder: backups.folder,
      folder_is_default: backups.folder === `${DATA_DIR}/backups`,
      keep: backups.keep,
      last_ok_at: good?.info.created_at ?? null,
      last_file: good?.info.file ?? null,
      age_seconds: age,
      last_error: backups.lastError,
      due: !good || age > 86400,
    };
  }
  function findBackup(file) {
    const f = backups.files.find((x) => x.info.file === file);
    if (f) return f;
    if (/\.db$/.test(file))
      return { info: { ...makeBackup('manual', new Date(Date.now() - 30 * 86400000)), file }, ok: true };
    return fail('backup.not_database', { file });
  }

  const HEADERS = {
    customers: ['Mã KH', 'Tên khách hàng', 'Điện thoại', 'Ngày sinh', 'Email', 'Nhóm khách hàng', 'Ghi chú nội bộ'],
    purchases: ['Mã hóa đơn', 'Thời gian', 'Mã KH', 'Khách hàng', 'SĐT', 'Tổng tiền', 'Thanh toán', 'Chi nhánh'],
  };
  const FIELDS = {
    customers: ['code', 'name', 'phone', 'birthday', 'gender', 'email', 'address', 'note', 'tags'],
    purchases: ['invoice', 'code', 'name', 'phone', 'date', 'amount', 'payment', 'note', 'staff'],
  };
  const DETECTED = {
    customers: { code: 0, name: 1, phone: 2, birthday: 3, email: 4, tags: 5 },
    purchases: { invoice: 0, date: 1, code: 2, name: 3, phone: 4, amount: 5, payment: 6 },
  };
  const REQUIRED = { customers: ['name', 'phone'], purchases: ['date', 'amount'] };
  function sampleRows(kind, n = 240) {
    return Array.from({ length: n }, (_, i) => {
      const line = i + 2;
      if (kind === 'customers') {
        const phone = i === 7 ? '0912 34' : `09${String(12345000 + i * 37).slice(0, 8)}`;
        return {
          line,
          cells: [
            `KH${String(i + 1).padStart(4, '0')}`,
            `${FAMILY[i % FAMILY.length]} ${MIDDLE[i % MIDDLE.length]} ${GIVEN[(i * 7) % GIVEN.length]}`,
            phone,
            i === 12
              ? '31/02/1990'
              : `${String(1 + (i % 28)).padStart(2, '0')}/${String(1 + (i % 12)).padStart(2, '0')}/19${70 + (i % 30)}`,
            i % 3 ? '' : `khach${i}@gmail.com`,
            i % 5 ? '' : 'VIP',
            '',
          ],
        };
      }
      return {
        line,
        cells: [
          `HD${String(5000 + i)}`,
          `${String(1 + (i % 28)).padStart(2, '0')}/0${1 + (i % 9)}/2025 14:${String(10 + (i % 50))}`,
          i % 4 ? `KH${String(1 + (i % 50)).padStart(4, '0')}` : '',
          'Khách lẻ',
          i % 4 ? '' : `0988${String(100000 + i).slice(0, 6)}`,
          i === 9 ? '250,000' : `${(150 + (i % 20) * 35) * 1000}`,
          i % 2 ? 'Tiền mặt' : 'Chuyển khoản',
          'Quận 1',
        ],
      };
    });
  }
  function importReport(kind, mapping, { dry, createMissing, skipInvalid }) {
    const rows = sampleRows(kind);
    const errors = [];
    for (const f of REQUIRED[kind])
      if (mapping[f] === undefined)
        return {
          mappingError: {
            code: 'import.mapping_missing',
            params: { target: f },
            message: `Chưa chọn cột nào cho trường bắt buộc “${f}”.`,
          },
        };
    if (kind === 'purchases' && mapping.code === undefined && mapping.phone === undefined)
      return {
        mappingError: {
          code: 'import.mapping_missing',
          params: { target: 'code' },
          message: 'Chưa chọn cột nào cho trường bắt buộc “code”.',
        },
      };
    const col = (f) => (mapping[f] === undefined ? null : HEADERS[kind][mapping[f]]);
    if (kind === 'customers') {
      if (mapping.phone !== undefined)
        errors.push({
          line: 9,
          column: col('phone'),
          code: 'customer.phone_invalid',
          params: { phone: '0912 34' },
          message: 'Số điện thoại “0912 34” không hợp lệ.',
        });
      if (mapping.birthday !== undefined)
        errors.push({
          line: 14,
          column: col('birthday'),
          code: 'customer.birthday_invalid',
          params: { value: '31/02/1990' },
          message: 'Ngày sinh “31/02/1990” không hợp lệ.',
        });
    } else {
      errors.push({
        line: 11,
        column: col('amount'),
        code: 'import.amount_ambiguous',
        params: { value: '250,000', field: 'amount' },
        message: 'Số tiền “250,000” không rõ ràng.',
      });
      if (!createMissing)
        for (const line of [2, 6, 10])
          errors.push({
            line,
            column: col('phone') ?? col('code'),
            code: 'customer.not_found',
            params: { ref: '0988100000' },
            message: 'Không tìm thấy khách hàng 0988100000.',
          });
    }
    const rejected = new Set(errors.map((e) => e.line)).size;
    const good = rows.length - rejected;
    const committed = !dry && (rejected === 0 || skipInvalid);
    return {
      report: {
        kind,
        dry_run: dry,
        committed,
        rows: rows.length,
        inserted: committed || dry ? Math.round(good * 0.8) : 0,
        updated: committed || dry ? Math.round(good * 0.15) : 0,
        unchanged: committed || dry ? good - Math.round(good * 0.8) - Math.round(good * 0.15) : 0,
        customers_created: kind === 'purchases' && createMissing ? 3 : 0,
        rejected,
        errors,
      },
    };
  }
  function preview({ kind, path, sheet, mapping, create_missing }) {
    if (!FIELDS[kind]) fail('input.invalid', { detail: `unknown kind ${kind}` });
    if (!/\.(csv|xlsx|xls|ods|txt)$/i.test(path)) fail('import.unreadable', { path, detail: 'not a table' });
    const xlsx = /\.xlsx$/i.test(path);
    const sheets = xlsx ? ['Danh sách', 'Tổng hợp'] : [];
    if (sheet && !sheets.includes(sheet)) fail('import.sheet_not_found', { sheet, sheets: sheets.join(', ') });
    const m = mapping ?? DETECTED[kind];
    const r = importReport(kind, m, { dry: true, createMissing: !!create_missing });
    return {
      kind,
      headers: HEADERS[kind],
      mapping: m,
      fields: FIELDS[kind],
      required: kind === 'customers' ? REQUIRED.customers : ['date', 'amount', 'code', 'phone'],
      sample: sampleRows(kind).slice(0, 20),
      sheets,
      sheet: xlsx ? (sheet ?? sheets[0]) : null,
      report: r.report ?? null,
      mapping_error: r.mappingError ?? null,
    };
  }
  async function importRun(args) {
    const p = preview(args);
    if (p.mapping_error) fail(p.mapping_error.code, p.mapping_error.params);
    const r = importReport(args.kind, p.mapping, {
      dry: !!args.dry_run,
      createMissing: !!args.create_missing,
      skipInvalid: !!args.skip_invalid,
    });
    // As the app does: each phase counts the rows once (check, then write).
    const total = r.report.rows;
    for (const phase of args.dry_run ? ['check'] : ['check', 'write']) {
      for (let done = 0; done < total; done += Math.ceil(total / 6)) {
        emit('import-progress', { phase, done, total });
        await new Promise((res) => setTimeout(res, 120));
      }
      emit('import-progress', { phase, done: total, total });
    }
    return r.report;
  }
  function exportRun({ kind, path }) {
    const ext = (/\.([^./\\]+)$/.exec(path)?.[1] ?? '').toLowerCase();
    if (!['csv', 'xlsx'].includes(ext)) fail('export.format', { ext: ext || path });
    const rows = { customers: db.customers.size, purchases: db.purchases.length, points: db.ledger.length }[kind];
    if (rows === undefined) fail('input.invalid', { detail: `unknown kind ${kind}` });
    return { kind, path, format: ext, rows };
  }

  function duplicates(limit = 200) {
    const active = [...db.customers.values()].filter((c) => !c.archived_at);
    const groups = new Map();
    const add = (reason, key, c) => {
      const k = `${reason}|${key}`;
      if (!groups.has(k)) groups.set(k, { reason, key, members: [] });
      groups.get(k).members.push(c);
    };
    for (const c of active) {
      if (c.birthday) add('name_birthday', `${fold(c.name)} ${c.birthday}`, c);
      if (c.email) add('name_email', `${fold(c.name)} ${c.email.toLowerCase()}`, c);
    }
    const byMembers = new Map();
    for (const g of groups.values()) {
      if (g.members.length < 2) continue;
      const ids = g.members
        .map((c) => c.id)
        .sort((a, b) => a - b)
        .join('-');
      const e = byMembers.get(ids) ?? { reasons: [], keys: [], members: g.members };
      e.reasons.push(g.reason);
      e.keys.push(g.key);
      byMembers.set(ids, e);
    }
    const out = [...byMembers.values()].map((g) => {
      const rows = g.members.map(row);
      const best = [...rows].sort((a, b) => b.visits - a.visits || a.id - b.id)[0];
      return { reasons: g.reasons, keys: g.keys, suggested_keep: best.id, customers: rows };
    });
    return { total: out.length, groups: out.slice(0, limit) };
  }
  function merge(keepId, otherId) {
    if (Number(keepId) === Number(otherId)) fail('customer.merge_same');
    const keep = getCustomer(keepId);
    const other = getCustomer(otherId);
    if (other.merged_into) fail('customer.already_merged', { name: other.name, into: other.merged_into });
    const moved = { purchases: 0, points_ledger: 0, referrals: 0 };
    for (const p of db.purchases)
      if (p.customer_id === other.id) {
        p.customer_id = keep.id;
        moved.purchases++;
      }
    for (const e of db.ledger)
      if (e.customer_id === other.id) {
        e.customer_id = keep.id;
        moved.points_ledger++;
      }
    for (const c of db.customers.values())
      if (c.referred_by === other.id) {
        c.referred_by = keep.id;
        moved.referrals++;
      }
    for (const k of ['code', 'birthday', 'gender', 'email', 'address'])
      if (!keep[k] && other[k]) {
        keep[k] = other[k];
        if (k === 'code') other.code = null;
      }
    if (other.note) keep.note = keep.note ? `${keep.note}\n${other.note}` : other.note;
    keep.tags = [...new Set([...keep.tags, ...other.tags])];
    other.archived_at = new Date().toISOString();
    other.merged_into = keep.id;
    evaluateTier(keep.id, new Date().toISOString());
    return {
      kept: customerOut(keep),
      merged: customerOut(other),
      moved,
      stats: stats(keep.id),
      loyalty: view(keep.id),
    };
  }
  function seedDuplicates() {
    const ids = [...db.customers.keys()];
    const pairs = [
      [3, 'name_birthday'],
      [11, 'name_email'],
      [27, 'name_birthday'],
    ];
    for (const [i, reason] of pairs) {
      const c = db.customers.get(ids[i]);
      if (!c) continue;
      if (reason === 'name_birthday') c.birthday ??= '1988-04-12';
      else c.email ??= `${fold(c.name).replace(/\s+/g, '.')}@gmail.com`;
      addCustomer({
        name: c.name,
        phone: `08${String(10000000 + i * 1234567).slice(0, 8)}`,
        ...(reason === 'name_birthday' ? { birthday: c.birthday } : { email: c.email }),
        note: 'Nhập từ sổ cũ',
      });
    }
  }

  const listeners = new Map(); // event name -> Set of handlers
  function emit(event, payload) {
    for (const fn of listeners.get(event) ?? []) fn({ event, payload, id: 0 });
  }

  // An older data file being upgraded as the window opens: the backup, then the migration.
  const upgradeStarted = Date.now();
  const UPGRADE_MS = 4000;
  const UPGRADE_BACKUP = `${DATA_DIR}/backups/khachquen-20261123-090000-before-upgrade-schema12.kqbackup`;
  function startupStatus() {
    const base = {
      from: null,
      to: null,
      progress: null,
      upgraded: null,
      error: null,
      restore_file: opts.get('restore') || null,
    };
    if (!opts.has('upgrade')) return { ...base, state: 'ready' };
    const elapsed = (Date.now() - upgradeStarted) / UPGRADE_MS;
    const versions = { from: 12, to: 16 };
    if (elapsed < 0.1) return { ...base, ...versions, state: 'upgrading' };
    if (elapsed < 0.55) {
      const total = 2400;
      const done = Math.round((total * (elapsed - 0.1)) / 0.45);
      return { ...base, ...versions, state: 'upgrading', progress: { phase: 'backup', done, total } };
    }
    if (opts.get('upgrade') === 'fail' && elapsed >= 0.8) {
      return {
        ...base,
        ...versions,
        state: 'failed',
        error: {
          code: 'upgrade.failed',
          message: '[mock] upgrade.failed',
          params: { ...versions, backup: UPGRADE_BACKUP },
        },
      };
    }
    if (elapsed < 1) {
      const done = Math.min(4, Math.floor(((elapsed - 0.55) / 0.45) * 5));
      return { ...base, ...versions, state: 'upgrading', progress: { phase: 'migrate', done, total: 4 } };
    }
    return {
      ...base,
      ...versions,
      state: 'ready',
      upgraded: { ...versions, backup: UPGRADE_BACKUP, backup_millis: 1800, migrate_millis: 1700 },
    };
  }

  const commands = {
    app_startup: () => startupStatus(),
    app_about: () => ({
      version: '0.1.0-dev',
      schema_version: 16,
      data_dir: DATA_DIR,
      db_path: `${DATA_DIR}/khachquen.db`,
      log_dir: `${DATA_DIR}/logs`,
    }),
    app_open_folder: ({ which }) => {
      if (!['data', 'logs'].includes(which)) fail('internal', { detail: `unknown folder ${which}` });
      // ?open_fail: no file manager to open it with (as under Xvfb).
      if (opts.has('open_fail'))
        fail('db.open_failed', { path: which === 'logs' ? `${DATA_DIR}/logs` : DATA_DIR, detail: 'no file manager' });
      return null;
    },
    logs_export: ({ path }) => {
      if (!path) fail('internal', { detail: 'no path' });
      return 48213;
    },
    debug_panic: () => {
      if (opts.has('panic')) fail('app.panic');
      fail('internal', { detail: 'debug_panic is for tests' });
    },
    app_info: () => ({
      version: '0.1.0-dev',
      data_dir: '/home/shop/.local/share/khachquen',
      db_path: '/home/shop/.local/share/khachquen/khachquen.db',
      customers: [...db.customers.values()].filter((c) => !c.archived_at).length,
      settings: settings(),
    }),
    settings_get: () => settings(),
    settings_set: ({ key, value }) => setSetting(key, value),
    customer_search: ({ query, limit }) => {
      const all = search(query, 1e9);
      return { rows: all.slice(0, limit), total: Math.min(all.length, 1000), total_capped: all.length > 1000 };
    },
    customer_list: ({ query }) => list(query),
    customer_tags: () => [...new Set([...db.customers.values()].flatMap((c) => c.tags))].sort(),
    customer_get: ({ id }) => {
      const c = getCustomer(id);
      return {
        customer: customerOut(c),
        stats: stats(c.id),
        purchases: db.purchases
          .filter((p) => p.customer_id === c.id)
          .sort((a, b) => b.at.localeCompare(a.at))
          .map(purchaseOut),
        loyalty: view(c.id),
        ledger: entriesOf(c.id)
          .reverse()
          .map(({ customer_id, refund_id, ...e }) => e),
        tier_history: db.tierMoves
          .filter((m) => m.customer_id === c.id)
          .sort((a, b) => ms(b.at) - ms(a.at) || b.id - a.id)
          .map((m) => ({ at: m.at, from: m.from, to: m.to, spend_12m: fromMinor(m.spend) })),
      };
    },
    customer_add: ({ input }) => customerOut(addCustomer(input)),
    customer_update: ({ id, input }) => {
      const c = getCustomer(id);
      const out = { ...applyInput(c, input, false), updated_at: new Date().toISOString() };
      db.customers.set(c.id, out);
      return customerOut(out);
    },
    customer_archive: ({ id }) => {
      const c = getCustomer(id);
      c.archived_at ??= new Date().toISOString();
      return customerOut(c);
    },
    purchase_add: ({ input }) => addPurchaseCommand(input),
    purchase_quote: ({ input }) => quote(input),
    purchase_refund: ({ id, amount }) => refund(id, amount),
    points_adjust: ({ customer_id, delta, reason }) => adjust(customer_id, delta, reason),
    loyalty_get: () => config(),
    loyalty_set: ({ rules }) => setRules(rules),
    loyalty_set_tiers: ({ tiers }) => setTiers(tiers),
    demo_create: ({ customers, purchases }) => createDemo(customers, purchases),
    backup_create: ({ file } = {}) => {
      if (opts.has('backup_fail')) {
        backups.lastError = {
          at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          code: 'backup.folder_missing',
          params: { path: backups.folder, field: 'folder' },
        };
        fail('backup.folder_missing', { path: backups.folder, field: 'folder' });
      }
      const info = makeBackup('manual', new Date(), file ? file.replace(/\/[^/]*\.db$/, '') : backups.folder);
      if (file && /\.db$/.test(file)) info.file = file;
      if (backups.files.some((f) => f.info.file === info.file)) fail('backup.file_exists', { file: info.file });
      if (!file) {
        backups.files.unshift({ info, ok: true });
        backups.lastError = null;
      }
      return info;
    },
    backup_list: () =>
      backups.files
        .filter((f) => f.info.file.startsWith(`${backups.folder}/`))
        .sort((a, b) => b.info.created_at.localeCompare(a.info.created_at))
        .map(entryOf),
    backup_status: () => backupStatus(),
    backup_configure: ({ folder, keep }) => {
      if (keep !== undefined && keep !== null) {
        if (!Number.isInteger(keep) || keep < 1 || keep > 1000)
          fail('backup.keep_invalid', { value: String(keep), field: 'keep' });
        backups.keep = keep;
      }
      if (folder !== undefined && folder !== null) {
        if (folder && /missing|usb-out/i.test(folder)) fail('backup.folder_missing', { path: folder, field: 'folder' });
        backups.folder = folder || `${DATA_DIR}/backups`;
      }
      return backupStatus();
    },
    backup_verify: ({ file }) => {
      const f = findBackup(file);
      if (!f.ok) fail(f.error.code, f.error.params);
      return f.info;
    },
    backup_restore: ({ file }) => {
      const f = findBackup(file);
      if (!f.ok) fail(f.error.code, f.error.params);
      const safety = makeBackup('before_restore');
      backups.files.unshift({ info: safety, ok: true });
      return {
        restored: f.info,
        safety_copy: safety.file,
        upgraded_from: null,
        check: { integrity: [], foreign_key_violations: [], negative_balances: 0, stats_mismatches: 0, ok: true },
        millis: 420,
      };
    },
    customer_duplicates: ({ limit } = {}) => duplicates(limit),
    customer_merge: ({ keep, other }) => merge(keep, other),
    import_preview: (args) => preview(args),
    import_run: (args) => importRun(args),
    export_run: (args) => exportRun(args),
  };

  if (opts.has('seed')) {
    createDemo(Number(opts.get('seed')) || 300, (Number(opts.get('seed')) || 300) * 5);
    seedDuplicates();
    for (const f of backups.files) f.info.counts = counts();
  }

  const clone = (v) => (v === undefined ? null : JSON.parse(JSON.stringify(v)));
  window.__TAURI__ = {
    core: {
      invoke(name, args = {}) {
        const delay = LATENCY ?? (name === 'demo_create' ? 1200 : 15 + rand() * 40);
        return new Promise((resolve, reject) =>
          setTimeout(() => {
            try {
              const fn = commands[name];
              if (!fn) throw `command ${name} not found`; // Tauri rejects unknown commands with a string
              const result = fn(clone(args));
              if (result instanceof Promise) {
                result.then(
                  (v) => resolve(clone(v)),
                  (err) => reject(err instanceof IpcError ? { ...err } : err),
                );
                return;
              }
              const out = clone(result);
              if (lose.delete(name))
                throw new IpcError('internal', { detail: `[mock] the answer to ${name} was lost` });
              resolve(out);
            } catch (err) {
              reject(err instanceof IpcError ? { ...err } : err);
            }
          }, delay),
        );
      },
    },
    event: {
      listen(event, handler) {
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event).add(handler);
        return Promise.resolve(() => listeners.get(event)?.delete(handler));
      },
    },
    // File pickers: ?pick=<path> answers every open(); ?pick=cancel answers null.
    dialog: {
      open(o = {}) {
        const pick = opts.get('pick');
        const exts = (o.filters ?? []).flatMap((f) => f.extensions);
        const path =
          pick === 'cancel'
            ? null
            : (pick ??
              (o.directory
                ? '/media/usb/SaoLuuKhachQuen'
                : exts.includes('xlsx')
                  ? '/home/shop/Tài liệu/danh-sach-khach-hang.xlsx'
                  : '/home/shop/Tài liệu/khachquen-20261101-200000.db'));
        return new Promise((resolve) => setTimeout(() => resolve(path), 80));
      },
      save(o = {}) {
        const pick = opts.get('pick');
        return new Promise((resolve) =>
          setTimeout(
            () => resolve(pick === 'cancel' ? null : `/home/shop/Tài liệu/${o.defaultPath ?? 'export.csv'}`),
            80,
          ),
        );
      },
    },
  };

  if (opts.has('click')) {
    const steps = opts.get('click').split('|').filter(Boolean);
    const next = () => {
      const sel = steps.shift();
      if (!sel) return;
      document.querySelector(sel)?.click();
      setTimeout(next, 1000);
    };
    window.addEventListener('load', () => setTimeout(next, 1000));
  }
})();
