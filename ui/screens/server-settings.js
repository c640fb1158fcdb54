// Settings → "This counter and the shop's server" (issue 20): the owner connects this
// computer to a shop on a PostgreSQL server (server_connect {url, counter}), or takes it
// off again (server_disconnect). Either way the window starts over on the other shop, where
// that shop's own staff sign in. The address may hold the server's password: it is typed
// here, kept by the core in a file only this user can read, and never shown again.
import * as api from '../lib/api.js';
import { h, icon, clearFieldErrors, clearFieldError, showFieldError, confirmDialog } from '../lib/dom.js';

// Which field an error of server_connect belongs under.
const COUNTER_ERRORS = new Set(['counter.name_invalid']);

/** The section, for ctx.info's server (connected) or not. */
export function serverSection(ctx) {
  return ctx.info.server ? connectedCard(ctx) : connectCard(ctx);
}

function connectedCard(ctx) {
  const { t } = ctx;
  const disconnect = async (button) => {
    const ok = await confirmDialog({
      title: t('server.disconnect_title'),
      body: t('server.disconnect_body', { server: ctx.info.server }),
      confirm: t('server.disconnect'),
      cancel: t('common.cancel'),
      danger: true,
    });
    if (!ok) return;
    button.disabled = true;
    try {
      await api.serverDisconnect();
      restart();
    } catch (err) {
      button.disabled = false;
      ctx.showError(err);
    }
  };
  return h(
    'section',
    { class: 'card', id: 'settings-server' },
    h('h2', {}, icon('transfer'), t('server.title')),
    h(
      'p',
      { id: 'settings-server-status' },
      t('server.connected', { server: ctx.info.server, counter: ctx.info.counter ?? '' }),
    ),
    h('p', { class: 'muted' }, t('server.connected_hint')),
    h(
      'div',
      { class: 'form-actions card-actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'danger-text',
          id: 'settings-server-disconnect',
          onclick: (e) => disconnect(e.currentTarget),
        },
        t('server.disconnect'),
      ),
    ),
  );
}

function connectCard(ctx) {
  const { t } = ctx;
  const url = h('input', {
    id: 'settings-server-url',
    name: 'server_url',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'postgres://kq:…@192.168.1.10:5432/shop',
    // The refusal was of what the owner is now retyping: it goes with the first key.
    oninput: () => clearFieldError(url),
  });
  const counter = h('input', {
    id: 'settings-server-counter',
    name: 'server_counter',
    autocomplete: 'off',
    maxlength: '40',
    value: ctx.info.counter_default ?? '',
    oninput: () => clearFieldError(counter),
  });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'settings-server-connect' }, t('server.connect'));
  const form = h(
    'form',
    {
      class: 'settings-form',
      id: 'settings-server-form',
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        submit.disabled = true;
        try {
          await api.serverConnect(url.value, counter.value);
          url.value = '';
          restart();
        } catch (err) {
          submit.disabled = false;
          const input = COUNTER_ERRORS.has(err.code) ? counter : url;
          showFieldError(input, ctx.t.error(err));
          input.focus();
        }
      },
    },
    h(
      'label',
      { class: 'field' },
      h('span', { class: 'label' }, t('server.url')),
      url,
      h('span', { class: 'hint' }, t('server.url_hint')),
    ),
    h(
      'label',
      { class: 'field' },
      h('span', { class: 'label' }, t('server.counter')),
      counter,
      h('span', { class: 'hint' }, t('server.counter_hint')),
    ),
    h('div', { class: 'form-actions' }, submit),
  );
  return h(
    'section',
    { class: 'card', id: 'settings-server' },
    h('h2', {}, icon('transfer'), t('server.title')),
    h('p', { class: 'muted', id: 'settings-server-status' }, t('server.local')),
    form,
  );
}

/** The window starts over on the other shop: its sign-in, its settings and language. */
function restart() {
  location.hash = '#counter';
  location.reload();
}
