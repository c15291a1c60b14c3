// The embeddable visitor chat. One tag puts it on a page:
//
//   <script type="module" src="https://HOST/widget.js"
//           data-url="wss://HOST/ws" data-dev-user="visitor-1"></script>
//
// data-url        the broker's WebSocket (default: /ws on the host that served this file)
// data-dev-user   a user id to sign in with (a broker started with --dev only)
// data-token-url  otherwise: the integrator's endpoint answering {"token": JWT}
// data-skill      the skill new conversations are routed to
// data-title, data-subtitle, data-greeting, data-intro, data-name: texts
// data-open="true" opens the panel at once
// The broker serves this file at /widget.js as well as /widget/widget.js: the
// '../widget/' path resolves to web/widget/ from both (and on disk).
import { ChatWidget } from '../widget/chat.js';

function ownScript() {
  const here = import.meta.url;
  const scripts = [...document.querySelectorAll('script[src]')];
  return (
    scripts.find((s) => s.src === here) ||
    scripts.find((s) => /(^|\/)widget\.js([?#]|$)/.test(s.getAttribute('src') || '')) ||
    null
  );
}

function defaultSocketUrl() {
  const u = new URL('/ws', import.meta.url);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}

export function configFrom(dataset = {}) {
  return {
    url: dataset.url || defaultSocketUrl(),
    devUser: dataset.devUser || null,
    devName: dataset.name || null,
    tenant: dataset.tenant || null,
    tokenUrl: dataset.tokenUrl || null,
    skill: dataset.skill || null,
    title: dataset.title || null,
    subtitle: dataset.subtitle || null,
    greeting: dataset.greeting || null,
    intro: dataset.intro || null,
    displayName: dataset.name || null,
    open: dataset.open === 'true',
  };
}

export function mount(config) {
  const widget = new ChatWidget(config);
  const start = () => widget.mount();
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
  return widget;
}

// One widget per page, however many times the module is imported.
if (!globalThis.__parleyWidget) {
  const tag = ownScript();
  globalThis.__parleyWidget = mount(configFrom(tag ? tag.dataset : {}));
}
