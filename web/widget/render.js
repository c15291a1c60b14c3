// DOM helpers for the widget: every piece of text from the wire goes in as
// text (textContent), never as markup, and only http(s) links are followed.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// An SVG icon from a path (the markup is ours, never the wire's).
export function icon(path) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', path);
  svg.append(p);
  return svg;
}

export const ICONS = {
  chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4.5 3.6A.9.9 0 0 1 2 20.9V6a2 2 0 0 1 2-2zm3 6.2a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6zm5 0a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6zm5 0a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6z',
  close: 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z',
  minimize: 'M5 11h14v2H5z',
  send: 'M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z',
};

export function safeUrl(url) {
  try {
    const u = new URL(String(url));
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

export function formatTime(ts) {
  if (!Number.isFinite(ts)) return '';
  return new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function formatSize(bytes) {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

// A quick reply may be a string or {title|label|text, value|payload}.
export function quickReplyOf(entry) {
  if (typeof entry === 'string') return { label: entry, value: entry };
  if (entry && typeof entry === 'object') {
    const label = entry.title ?? entry.label ?? entry.text ?? entry.value ?? entry.payload;
    const value = entry.value ?? entry.payload ?? label;
    if (label !== undefined) return { label: String(label), value: String(value) };
  }
  return null;
}

// Rich content: {type: "card", title, subtitle?, text?, imageUrl?, url?,
// buttons?: [{title, url} | {title, value}]} or {type: "carousel"|"cards",
// cards: [card...]}. Anything else shows its title/text, or a placeholder.
// `onChoose(value)` answers a button without a url.
export function renderRich(content, onChoose) {
  if (!content || typeof content !== 'object') return h('div', { class: 'bubble', text: '[unsupported content]' });
  const list = Array.isArray(content.cards) ? content.cards : Array.isArray(content.elements) ? content.elements : null;
  if (list) return h('div', { class: 'cards', role: 'list' }, list.slice(0, 10).map((c) => renderCard(c, onChoose, 'listitem')));
  if (content.title || content.text || content.imageUrl) return renderCard(content, onChoose);
  return h('div', { class: 'bubble', text: '[unsupported content]' });
}

function renderCard(card, onChoose, role) {
  const image = safeUrl(card?.imageUrl);
  const link = safeUrl(card?.url);
  const title = card?.title ? String(card.title) : '';
  const buttons = Array.isArray(card?.buttons) ? card.buttons : [];
  return h(
    'div',
    { class: 'card', role },
    image ? h('img', { src: image, alt: card.imageAlt ? String(card.imageAlt) : title, loading: 'lazy' }) : null,
    h(
      'div',
      { class: 'card-body' },
      title ? h('p', { class: 'card-title' }, link ? h('a', { href: link, target: '_blank', rel: 'noopener noreferrer', text: title }) : title) : null,
      card?.subtitle ? h('p', { class: 'card-subtitle', text: String(card.subtitle) }) : null,
      card?.text ? h('p', { class: 'card-text', text: String(card.text) }) : null,
    ),
    buttons.length
      ? h(
          'div',
          { class: 'card-actions' },
          buttons.slice(0, 5).map((b) => {
            const url = safeUrl(b?.url);
            const label = String(b?.title ?? b?.label ?? b?.value ?? 'Open');
            if (url) return h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: label });
            const value = String(b?.value ?? b?.payload ?? label);
            return h('button', { type: 'button', 'data-testid': 'parley-quick-reply', onclick: () => onChoose(value, label), text: label });
          }),
        )
      : null,
  );
}

export function renderFile(body) {
  const url = safeUrl(body?.url);
  const name = String(body?.name ?? 'file');
  const ext = (name.includes('.') ? name.split('.').pop() : 'file').slice(0, 4).toUpperCase();
  const inner = [
    h('span', { class: 'file-icon', 'aria-hidden': 'true', text: ext }),
    h('span', {}, h('span', { class: 'file-name', text: name }), h('br'), h('span', { class: 'file-size', text: formatSize(body?.size) })),
  ];
  const file = url
    ? h('a', { class: 'file', href: url, target: '_blank', rel: 'noopener noreferrer', download: name }, inner)
    : h('span', { class: 'file' }, inner);
  return body?.caption ? [file, h('div', { class: 'bubble', text: String(body.caption) })] : [file];
}

export function initials(name) {
  const words = String(name || '').trim().split(/\s+/).filter(Boolean);
  if (!words.length) return '?';
  return (words[0][0] + (words.length > 1 ? words[words.length - 1][0] : '')).toUpperCase();
}
