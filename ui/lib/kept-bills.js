// Bills kept at this counter while its server did not answer (the core's outbox): a chip in
// the sidebar says how many wait (#kept-bills), opens their list (#kept-dialog) with "Send
// now" (#kept-send) and, for who may refund, "Drop" per bill; and while any wait they are
// sent again every half minute, so they reach the server soon after it answers.
import * as api from './api.js';
import { h, fill, icon, confirmDialog, toast } from './dom.js';

const RESEND_MS = 30_000;
export const CHANGED = 'kq-kept-bills';

let getCtx = () => null;
let isOpen = () => false;
let chip = null;
let dialog = null;
let kept = [];
let timer = null;
let sending = false;

/** The chip for the sidebar; `ctxOf` gives the current context (it changes with the language),
 * `unlocked` whether someone is signed in: a locked window asks nothing, the core would refuse. */
export function keptChip(ctxOf, unlocked) {
  getCtx = ctxOf;
  isOpen = unlocked;
  if (!chip) window.addEventListener(CHANGED, () => refresh());
  chip = h('button', { type: 'button', class: 'kept-chip hidden', id: 'kept-bills', onclick: openList });
  return chip;
}

/** Asks what waits (nothing on a shop's own file) and redraws the chip and the list. */
export async function refresh() {
  const ctx = getCtx();
  if (!ctx?.info.server || !chip) {
    kept = [];
    render();
    return;
  }
  if (!isOpen()) return;
  try {
    kept = await api.queueList();
  } catch {
    // Locked or signed out: the chip keeps what it last knew until the next refresh.
  }
  render();
}

function render() {
  const ctx = getCtx();
  if (!chip || !ctx) return;
  chip.classList.toggle('hidden', kept.length === 0);
  fill(chip, icon('clock'), ctx.t('kept.chip', { count: ctx.fmt.number(kept.length) }));
  chip.title = ctx.t('kept.chip_title');
  if (dialog?.open) fillList();
  clearTimeout(timer);
  timer = kept.length ? setTimeout(() => send(false), RESEND_MS) : null;
}

async function send(fromButton) {
  const ctx = getCtx();
  if (sending || !ctx) return;
  if (!isOpen()) {
    // Locked: tried again once someone signs in (app.js refreshes on unlock).
    clearTimeout(timer);
    return;
  }
  sending = true;
  if (dialog?.open) fillList();
  try {
    const s = await api.queueSend();
    if (s.sent.length && fromButton) toast(ctx.t('kept.sent', { count: ctx.fmt.number(s.sent.length) }), 'success');
    if (s.stopped && fromButton) toast(ctx.t.error(s.stopped), 'error');
  } catch (err) {
    if (fromButton) ctx.showError(err);
  } finally {
    sending = false;
    await refresh();
  }
}

function openList() {
  const ctx = getCtx();
  if (!ctx) return;
  dialog?.remove();
  dialog = h('dialog', { class: 'dialog kept-dialog', id: 'kept-dialog', 'aria-labelledby': 'kept-title' });
  dialog.addEventListener('close', () => {
    dialog?.remove();
    dialog = null;
  });
  document.body.append(dialog);
  fillList();
  dialog.showModal();
  dialog.querySelector('#kept-send, #kept-close')?.focus();
}

function fillList() {
  const ctx = getCtx();
  if (!dialog || !ctx) return;
  const { t, fmt } = ctx;
  const mayDrop = ctx.can('refund');
  const status = (q) => (q.held ? t.error(q.held) : t('kept.waiting'));
  const rows = kept.map((q) =>
    h(
      'tr',
      { id: `kept-row-${q.seq}`, class: q.held ? 'held' : '' },
      h('td', {}, q.reference),
      h('td', { class: 'num' }, fmt.money(q.amount)),
      h('td', {}, fmt.dateTime(q.queued_at)),
      h('td', { class: 'kept-status' }, status(q)),
      mayDrop &&
        h(
          'td',
          {},
          h(
            'button',
            { type: 'button', class: 'ghost small', id: `kept-drop-${q.seq}`, onclick: () => drop(q) },
            t('kept.drop'),
          ),
        ),
    ),
  );
  fill(
    dialog,
    h('h2', { id: 'kept-title' }, t('kept.title')),
    h('p', {}, t('kept.intro', { server: ctx.info.server ?? '' })),
    kept.length
      ? h(
          'div',
          { class: 'kept-scroll' },
          h(
            'table',
            { class: 'list' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', {}, t('kept.col_customer')),
                h('th', { class: 'num' }, t('kept.col_amount')),
                h('th', {}, t('kept.col_at')),
                h('th', {}, t('kept.col_status')),
                mayDrop && h('th', {}),
              ),
            ),
            h('tbody', {}, rows),
          ),
        )
      : h('p', { class: 'muted', id: 'kept-empty' }, t('kept.empty')),
    h(
      'div',
      { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'ghost', id: 'kept-close', onclick: () => dialog.close() }, t('kept.close')),
      kept.length > 0 &&
        h(
          'button',
          { type: 'button', class: 'primary', id: 'kept-send', disabled: sending, onclick: () => send(true) },
          sending ? t('kept.sending') : t('kept.send'),
        ),
    ),
  );
}

async function drop(q) {
  const ctx = getCtx();
  if (!ctx) return;
  const { t, fmt } = ctx;
  const ok = await confirmDialog({
    title: t('kept.drop_title'),
    body: t('kept.drop_body', { amount: fmt.money(q.amount), reference: q.reference }),
    confirm: t('kept.drop'),
    cancel: t('common.cancel'),
    danger: true,
  });
  if (!ok) return;
  try {
    await api.queueDrop(q.seq);
  } catch (err) {
    ctx.showError(err);
  }
  await refresh();
}
