// A tidy "coming soon" page for features of later issues.
import { h, fill, icon } from '../lib/dom.js';

export function comingSoon(name, iconName) {
  return {
    mount(root, { t }) {
      fill(root, h('div', { class: 'coming', id: `${name}-screen` },
        h('header', { class: 'screen-header' }, h('h1', {}, t(`${name}.title`))),
        h('section', { class: 'card empty-state' },
          h('div', { class: 'welcome-mark' }, icon(iconName)),
          h('span', { class: 'badge' }, t('common.coming_soon')),
          h('p', {}, t(`${name}.body`)))));
    },
  };
}
