// The visitor chat: one conversation per visitor, kept across page loads.
// Owns the shadow root's DOM and the link to the broker (through the SDK).

import { ParleyClient } from '../sdk/parley.js';
import { styles } from './styles.js';
import { h, icon, ICONS, formatTime, quickReplyOf, renderRich, renderFile, initials } from './render.js';

const PAGE = 30; // events per history page
const AGENT_ROLES = new Set(['ASSIGNED_AGENT', 'AGENT', 'MANAGER', 'READER']);
const TYPING_HIDE_MS = 6000; // hide a typing indicator whose PAUSE never came

function authorOf(ev) {
  const role = ev.from?.role;
  if (!ev.from || !ev.from.userId) return 'system';
  if (role === 'CONSUMER') return 'me';
  if (role === 'BOT') return 'bot';
  if (AGENT_ROLES.has(role)) return 'agent';
  return 'system';
}

function newId(prefix) {
  const rnd = globalThis.crypto?.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
  return `${prefix}-${rnd}`;
}

export class ChatWidget {
  constructor(config) {
    this.config = config;
    this.client = null;
    this.sub = null;
    this.conversation = null;
    this.events = new Map(); // seq -> element of a shown event
    this.pending = new Map(); // clientMessageId -> element of a message not yet acknowledged
    this.seqs = new Set(); // every seq handled (shown or not), so nothing counts twice
    this.lastSeq = 0;
    this.oldestSeq = null;
    this.hasOlder = false;
    this.unread = 0;
    this.readByAgentSeq = 0;
    this.names = new Map(); // userId -> display name
    this.open = false;
    this.wasConnected = false;
    this.typingTimer = null;
    this.connecting = null;
    this.phase = 'chat'; // chat | survey | closed | thanks
  }

  get storageKey() {
    const who = this.config.devUser || this.config.tokenUrl || 'visitor';
    return `parley.widget.conversation:${this.config.url}:${who}`;
  }

  storedConversationId() {
    try {
      return localStorage.getItem(this.storageKey);
    } catch {
      return null;
    }
  }

  storeConversationId(id) {
    try {
      if (id) localStorage.setItem(this.storageKey, id);
      else localStorage.removeItem(this.storageKey);
    } catch {
      /* storage may be off (private mode): the chat then lasts one page */
    }
  }

  // ---- DOM ----------------------------------------------------------------

  mount() {
    const host = document.createElement('parley-widget');
    host.setAttribute('data-parley', '');
    this.host = host;
    const root = host.attachShadow({ mode: 'open' });
    this.root = root;
    root.append(h('style', { text: styles }));

    const title = this.config.title || 'Chat with us';
    this.titleEl = h('p', { class: 'title', id: 'parley-title', text: title });
    this.subtitleEl = h('p', { class: 'subtitle', text: this.config.subtitle || 'We usually reply in a few minutes' });
    this.avatarEl = h('div', { class: 'avatar', 'aria-hidden': 'true' }, icon(ICONS.chat));
    this.bannerEl = h('div', { class: 'banner', 'data-testid': 'parley-banner', role: 'status', hidden: true, text: 'Reconnecting…' });
    this.earlierEl = h('button', { type: 'button', class: 'earlier', hidden: true, onclick: () => this.loadOlder(), text: 'Show earlier messages' });
    this.welcomeEl = h(
      'div',
      { class: 'welcome' },
      h('strong', { text: this.config.greeting || 'Hi there!' }),
      this.config.intro || 'Ask us anything: we are real people and happy to help.',
    );
    this.logEl = h('div', { class: 'log', role: 'log', 'aria-label': 'Conversation', tabindex: '0' }, this.earlierEl, this.welcomeEl);
    this.liveEl = h('div', { class: 'sr-only', 'aria-live': 'polite', 'aria-atomic': 'false' });
    this.typingNameEl = h('span', { text: 'Agent is typing…' });
    this.typingEl = h(
      'div',
      { class: 'typing', 'data-testid': 'parley-typing', hidden: true, 'aria-hidden': 'true' },
      h('span', { class: 'dots' }, h('i'), h('i'), h('i')),
      this.typingNameEl,
    );

    this.resolvedEl = h('input', { type: 'checkbox', checked: true });
    const stars = [1, 2, 3, 4, 5].map((n) =>
      h('button', { type: 'button', 'data-testid': `parley-csat-rate-${n}`, 'aria-label': `${n} out of 5`, onclick: () => this.rate(n), text: '★' }),
    );
    this.surveyEl = h(
      'section',
      { class: 'survey', 'data-testid': 'parley-csat', hidden: true, 'aria-labelledby': 'parley-survey-title' },
      h('h3', { id: 'parley-survey-title', text: 'How did we do?' }),
      h('p', { text: 'Rate this conversation from 1 to 5 stars.' }),
      h('div', { class: 'stars', role: 'group', 'aria-label': 'Rating' }, stars),
      h('label', { class: 'resolved' }, this.resolvedEl, 'My question was answered'),
      h('div', {}, h('button', { type: 'button', class: 'link-button', onclick: () => this.skipSurvey(), text: 'Skip' })),
    );
    this.closedTitleEl = h('h3', { text: 'This chat has ended' });
    this.closedTextEl = h('p', { text: 'Thanks for talking to us.' });
    this.closedEl = h(
      'section',
      { class: 'closed', hidden: true },
      this.closedTitleEl,
      this.closedTextEl,
      h('button', { type: 'button', class: 'primary', 'data-testid': 'parley-new-chat', onclick: () => this.newChat(), text: 'Start a new chat' }),
    );

    this.inputEl = h('textarea', {
      'data-testid': 'parley-input',
      rows: '1',
      placeholder: 'Write a message…',
      'aria-label': 'Message',
      maxlength: '8000',
      oninput: () => this.onInput(),
      onkeydown: (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.submit();
        }
      },
    });
    this.sendEl = h('button', { type: 'submit', class: 'send', 'data-testid': 'parley-send', 'aria-label': 'Send', disabled: true }, icon(ICONS.send));
    this.composerEl = h(
      'form',
      {
        class: 'composer',
        onsubmit: (e) => {
          e.preventDefault();
          this.submit();
        },
      },
      this.inputEl,
      this.sendEl,
    );

    this.panelEl = h(
      'div',
      { class: 'panel', role: 'dialog', 'aria-labelledby': 'parley-title', hidden: true, id: 'parley-panel' },
      h(
        'div',
        { class: 'head' },
        this.avatarEl,
        h('div', { class: 'head-text' }, this.titleEl, this.subtitleEl),
        h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Minimize chat', onclick: () => this.toggle(false) }, icon(ICONS.minimize)),
      ),
      this.bannerEl,
      this.logEl,
      this.typingEl,
      this.surveyEl,
      this.closedEl,
      this.composerEl,
      h('div', { class: 'powered', text: 'Powered by Parley' }),
    );
    this.badgeEl = h('span', { class: 'badge', 'data-testid': 'parley-unread', hidden: true, text: '0' });
    this.launcherEl = h(
      'button',
      {
        type: 'button',
        class: 'launcher',
        'data-testid': 'parley-launcher',
        'aria-label': 'Open chat',
        'aria-expanded': 'false',
        'aria-controls': 'parley-panel',
        onclick: () => this.toggle(),
      },
      icon(ICONS.chat),
      this.badgeEl,
    );
    root.append(this.panelEl, this.launcherEl, this.liveEl);
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.open) {
        this.toggle(false);
        this.launcherEl.focus();
      }
    });
    // Scrolling to the top pages back, once the first page has been shown
    // scrolled to its end (rendering alone must not page everything in).
    this.logEl.addEventListener('scroll', () => {
      if (this.pageOnScroll && this.logEl.scrollTop < 8 && this.hasOlder) this.loadOlder();
    });
    document.addEventListener('visibilitychange', () => this.markReadIfSeen());
    (document.body || document.documentElement).append(host);

    if (this.storedConversationId()) this.ensureConnected().catch((err) => this.fail(err));
    if (this.config.open) this.toggle(true);
  }

  toggle(force) {
    this.open = force ?? !this.open;
    this.panelEl.hidden = !this.open;
    this.launcherEl.setAttribute('aria-expanded', String(this.open));
    this.launcherEl.setAttribute('aria-label', this.open ? 'Close chat' : 'Open chat');
    if (this.open) {
      this.ensureConnected().catch((err) => this.fail(err));
      this.scrollToEnd();
      this.markReadIfSeen();
      this.inputEl.focus();
    }
  }

  announce(text) {
    this.liveEl.append(h('p', { text }));
    while (this.liveEl.childElementCount > 5) this.liveEl.firstElementChild.remove();
  }

  scrollToEnd() {
    this.logEl.scrollTop = this.logEl.scrollHeight;
  }

  nearEnd() {
    return this.logEl.scrollHeight - this.logEl.scrollTop - this.logEl.clientHeight < 80;
  }

  setUnread(n) {
    this.unread = Math.max(0, n);
    this.badgeEl.textContent = String(this.unread);
    this.badgeEl.hidden = this.unread === 0;
    this.launcherEl.setAttribute('aria-label', `${this.open ? 'Close' : 'Open'} chat${this.unread ? `, ${this.unread} unread` : ''}`);
  }

  setPhase(phase) {
    this.phase = phase;
    this.surveyEl.hidden = phase !== 'survey';
    this.closedEl.hidden = phase !== 'closed' && phase !== 'thanks';
    this.composerEl.hidden = phase !== 'chat';
    if (phase === 'thanks') {
      this.closedTitleEl.textContent = 'Thanks for your feedback!';
      this.closedTextEl.textContent = 'This chat has ended. We are here if you need anything else.';
    } else if (phase === 'closed') {
      this.closedTitleEl.textContent = 'This chat has ended';
      this.closedTextEl.textContent = 'Thanks for talking to us.';
    }
    this.panelEl.classList.toggle('ended', phase !== 'chat');
    if (phase !== 'chat') {
      this.showTyping(false);
      this.scrollToEnd();
    }
  }

  phaseOf(conversation) {
    if (!conversation) return 'chat';
    if (conversation.state === 'OPEN') {
      const survey = (conversation.dialogs || []).some((d) => d.type === 'POST_SURVEY' && d.state === 'OPEN');
      return survey ? 'survey' : 'chat';
    }
    return conversation.csat ? 'thanks' : 'closed';
  }

  // ---- connection -----------------------------------------------------------

  ensureConnected() {
    if (!this.connecting) {
      this.connecting = this.connect().catch((err) => {
        this.connecting = null;
        throw err;
      });
    }
    return this.connecting;
  }

  async connect() {
    const { url, devUser, devName, tenant, tokenUrl } = this.config;
    // A broker that has not answered for 4 s is taken for gone (the SDK then
    // reconnects and resumes): the visitor learns of a dead link quickly, and
    // the browser's offline event starts that check at once.
    const options = { url, requestTimeoutMs: 4000, reconnect: { minDelayMs: 500, maxDelayMs: 10000 } };
    if (devUser) {
      options.dev = { userId: devUser, role: 'consumer' };
      if (devName) options.dev.name = devName;
      if (tenant) options.dev.tenant = tenant;
    } else if (tokenUrl) {
      options.getToken = async () => {
        const res = await fetch(tokenUrl, { credentials: 'include' });
        if (!res.ok) throw new Error(`token endpoint answered ${res.status}`);
        return (await res.json()).token;
      };
    } else {
      throw new Error('the widget needs data-dev-user or data-token-url');
    }
    const client = new ParleyClient(options);
    this.client = client;
    client.on('state', () => this.onLinkState());
    client.on('error', (err) => this.fail(err)); // the SDK gave up (a refused token, a fatal close)
    window.addEventListener('online', () => this.onLinkState());
    window.addEventListener('offline', () => this.onLinkState());
    await client.connect();
    this.wasConnected = true;
    const id = this.storedConversationId();
    if (id) await this.resume(id);
  }

  // The banner shows while the link is down: the SDK is reconnecting, or the
  // browser says it is offline (the SDK may not have noticed yet).
  onLinkState() {
    const state = this.client?.state;
    const down = this.wasConnected && (state === 'reconnecting' || state === 'connecting' || navigator.onLine === false);
    if (!this.wasConnected && state === 'connecting') {
      // A first connection that takes long (the broker unreachable): say so, after a moment.
      clearTimeout(this.connectingTimer);
      this.connectingTimer = setTimeout(() => {
        if (!this.wasConnected && this.client?.state === 'connecting') {
          this.bannerEl.textContent = 'Connecting…';
          this.bannerEl.hidden = false;
        }
      }, 1500);
    }
    if (down) {
      this.bannerEl.textContent = 'Reconnecting…';
      this.bannerEl.classList.remove('error');
      this.bannerEl.hidden = false;
      this.showTyping(false);
    } else if (state === 'connected') {
      this.bannerEl.hidden = true;
      this.bannerEl.classList.remove('error');
    }
  }

  fail(err) {
    console.error('parley widget:', err);
    this.bannerEl.textContent = 'Chat is unavailable right now. Please try again later.';
    this.bannerEl.classList.add('error');
    this.bannerEl.hidden = false;
  }

  async resume(id) {
    let conversation;
    try {
      conversation = await this.client.call('getConversation', { conversationId: id });
    } catch (err) {
      if (err?.code === 404 || err?.code === 403) {
        this.storeConversationId(null);
        return;
      }
      throw err;
    }
    await this.attach(conversation);
    this.setUnread(this.open ? 0 : conversation.unread || 0);
    this.markReadIfSeen();
  }

  // Shows a conversation: its last page of history, then everything after it, live.
  async attach(conversation) {
    this.pageOnScroll = false;
    this.conversation = conversation;
    this.updateHeader();
    const page = await this.client.call('queryMessages', { conversationId: conversation.id, order: 'desc', limit: PAGE });
    const events = [...page.data].reverse();
    this.hasOlder = page.hasNext;
    this.earlierEl.hidden = !this.hasOlder;
    this.welcomeEl.hidden = events.length > 0 || this.hasOlder;
    for (const ev of events) this.addEvent(ev, { history: true });
    this.oldestSeq = events.length ? events[0].seq : null;
    this.lastSeq = Math.max(this.lastSeq, page.lastSeq ?? 0);
    await this.loadReceipts();
    this.setPhase(this.phaseOf(conversation));
    this.sub = await this.client.subscribe(conversation.id, { sinceSeq: this.lastSeq, epoch: page.epoch });
    this.sub.on('event', (ev) => this.addEvent(ev, { history: false }));
    this.sub.on('reset', () => this.reload());
    // Deleted, or no longer ours to read: what is shown stays, and a new chat can start.
    this.sub.on('ended', () => {
      this.storeConversationId(null);
      this.setPhase('closed');
    });
    this.sub.on('chatState', (p) => this.onChatState(p));
    this.sub.on('receipt', (p) => this.onReceipt(p));
    this.scrollToEnd();
    setTimeout(() => (this.pageOnScroll = true), 500);
  }

  async loadReceipts() {
    try {
      const members = await this.client.call('listMembers', { conversationId: this.conversation.id });
      for (const m of members.data || []) {
        if (m.name) this.names.set(m.userId, m.name);
        if (m.role !== 'CONSUMER' && m.lastReadSeq) this.readByAgentSeq = Math.max(this.readByAgentSeq, m.lastReadSeq);
      }
      this.showReceipt();
    } catch {
      /* receipts are a nicety: the chat works without them */
    }
  }

  // The server lost the log (or more was missed than it replays): start over.
  async reload() {
    const conversation = this.conversation;
    if (!conversation) return;
    if (this.sub) await this.sub.unsubscribe().catch(() => {});
    this.clearLog();
    const fresh = await this.client.call('getConversation', { conversationId: conversation.id });
    await this.attach(fresh);
  }

  clearLog() {
    for (const el of this.events.values()) el.remove();
    for (const el of this.pending.values()) el.remove();
    this.logEl.querySelectorAll('.msg').forEach((el) => el.remove());
    this.events.clear();
    this.pending.clear();
    this.seqs.clear();
    this.lastSeq = 0;
    this.oldestSeq = null;
    this.hasOlder = false;
    this.readByAgentSeq = 0;
    this.earlierEl.hidden = true;
  }

  async loadOlder() {
    if (!this.hasOlder || this.loadingOlder || !this.conversation || this.oldestSeq === null) return;
    this.loadingOlder = true;
    try {
      const page = await this.client.call('queryMessages', {
        conversationId: this.conversation.id,
        toSeq: this.oldestSeq - 1,
        order: 'desc',
        limit: PAGE,
      });
      const before = this.logEl.scrollHeight;
      const anchor = this.logEl.querySelector('.msg');
      for (const ev of [...page.data].reverse()) this.addEvent(ev, { history: true, before: anchor });
      if (page.data.length) this.oldestSeq = Math.min(this.oldestSeq, page.data[page.data.length - 1].seq);
      this.hasOlder = page.hasNext;
      this.earlierEl.hidden = !this.hasOlder;
      this.logEl.scrollTop += this.logEl.scrollHeight - before;
    } catch (err) {
      console.error('parley widget: history', err);
    } finally {
      this.loadingOlder = false;
    }
  }

  updateHeader() {
    const agent = this.conversation?.assignedAgent;
    if (agent) {
      const name = agent.name || this.names.get(agent.userId) || 'Your agent';
      this.titleEl.textContent = name;
      this.avatarEl.textContent = initials(name);
      this.subtitleEl.textContent = this.config.title || 'Support';
    } else {
      this.titleEl.textContent = this.config.title || 'Chat with us';
      this.avatarEl.replaceChildren(icon(ICONS.chat));
      const waiting = this.conversation?.state === 'OPEN' && this.phase === 'chat';
      this.subtitleEl.textContent = waiting ? 'Thanks! Someone will be with you shortly.' : this.config.subtitle || 'We usually reply in a few minutes';
    }
  }

  // ---- events ---------------------------------------------------------------

  // Shows one event of the log (or applies it: edits, deletions, state).
  // Returns the element added, if any.
  addEvent(ev, { history, before } = {}) {
    if (!ev || this.seqs.has(ev.seq)) return null;
    this.seqs.add(ev.seq);
    if (ev.seq > this.lastSeq) this.lastSeq = ev.seq;
    const live = !history;
    if (this.oldestSeq === null || ev.seq < this.oldestSeq) {
      if (history) this.oldestSeq = ev.seq;
    }
    const author = authorOf(ev);
    const body = ev.body || {};
    let el = null;

    switch (ev.type) {
      case 'message':
      case 'message.rich':
      case 'message.file': {
        el = this.messageElement(ev, author);
        if (author !== 'me' && live) {
          this.showTyping(false);
          this.announce(`${this.nameOf(ev.from?.userId, author)}: ${body.text || body.caption || body.name || 'sent a card'}`);
          if (!this.seen()) this.setUnread(this.unread + 1);
        }
        break;
      }
      case 'message.edited': {
        const target = this.events.get(body.targetSeq);
        const text = target?.querySelector('.text');
        if (text) text.textContent = body.text;
        return null;
      }
      case 'message.deleted': {
        const target = this.events.get(body.targetSeq);
        const bubble = target?.querySelector('.bubble');
        if (bubble) {
          bubble.textContent = 'Message deleted';
          bubble.classList.add('redacted');
          target.querySelector('.quick')?.remove();
        }
        return null;
      }
      case 'member.joined':
        if (body.role && body.role !== 'CONSUMER' && body.role !== 'READER') {
          el = this.systemElement(ev, 'joined the chat', body.userId);
          this.refreshConversation();
        }
        break;
      case 'member.left':
        if (body.role && body.role !== 'CONSUMER' && body.role !== 'READER' && body.reason !== 'transferred') {
          el = this.systemElement(ev, 'left the chat', body.userId);
        }
        if (live) this.refreshConversation();
        break;
      case 'dialog.opened':
        if (body.type === 'POST_SURVEY' && live) this.setPhase('survey');
        if (body.type === 'MAIN' && live) this.setPhase('chat');
        break;
      case 'dialog.closed':
        if (body.type === 'MAIN') el = this.systemElement(ev, 'The chat was closed');
        break;
      case 'state.changed':
        if (live) {
          if (body.to === 'OPEN') {
            el = this.systemElement(ev, 'The chat was reopened');
            this.setPhase('chat');
          } else if (this.phase === 'chat' || this.phase === 'survey') {
            this.setPhase(this.phase === 'survey' && this.conversation?.csat ? 'thanks' : 'closed');
          }
          this.refreshConversation();
        }
        break;
      case 'csat.set':
        if (this.conversation) this.conversation.csat = body;
        if (live && this.phase !== 'chat') this.setPhase('thanks');
        break;
      case 'conversation.deleted':
        this.storeConversationId(null);
        this.setPhase('closed');
        break;
      default:
        break;
    }
    if (el) {
      if (before) this.logEl.insertBefore(el, before);
      else {
        const stick = !live || this.nearEnd() || author === 'me';
        this.placeInOrder(el, ev.seq);
        if (stick) this.scrollToEnd();
      }
      this.welcomeEl.hidden = true;
      this.events.set(ev.seq, el);
      this.regroup(el);
      this.regroup(el.nextElementSibling);
    }
    if (live) this.markReadIfSeen();
    if (author === 'me' && el) this.showReceipt();
    return el;
  }

  // Puts a logged message after the last one with a smaller seq: messages
  // still on their way (no seq yet) stay at the end, and one that was sent
  // offline lands, once acknowledged, after what others wrote meanwhile.
  placeInOrder(el, seq) {
    const shown = [...this.logEl.querySelectorAll(':scope > .msg[data-seq]')].filter((e) => e !== el);
    let after = null;
    for (let i = shown.length - 1; i >= 0 && !after; i--) if (Number(shown[i].dataset.seq) < seq) after = shown[i];
    if (after) after.after(el);
    else if (shown.length) shown[0].before(el);
    else {
      const pending = this.logEl.querySelector(':scope > .msg');
      if (pending) pending.before(el);
      else this.logEl.append(el);
    }
  }

  // A run of messages from one sender shows its name once, on the first.
  regroup(el) {
    const who = el?.querySelector(':scope > .who');
    if (!who) return;
    const prev = el.previousElementSibling;
    who.hidden = !!prev && prev.dataset.from === el.dataset.from && prev.classList.contains('msg');
  }

  nameOf(userId, author) {
    if (userId && this.names.has(userId)) return this.names.get(userId);
    if (userId && this.client && !this.names.has(userId)) {
      this.names.set(userId, author === 'bot' ? 'Assistant' : 'Agent');
      this.client
        .call('getUser', { userId })
        .then((u) => {
          const name = u?.displayName || u?.name;
          if (name) {
            this.names.set(userId, name);
            this.root.querySelectorAll(`[data-user="${CSS.escape(userId)}"]`).forEach((w) => (w.textContent = name));
            this.updateHeader();
          }
        })
        .catch(() => {});
    }
    return author === 'bot' ? 'Assistant' : 'Agent';
  }

  messageElement(ev, author) {
    const body = ev.body || {};
    const parts = [];
    if (author !== 'me') parts.push(h('div', { class: 'who', 'data-user': ev.from?.userId, text: this.nameOf(ev.from?.userId, author) }));
    if (body.redacted) {
      parts.push(h('div', { class: 'bubble redacted', text: 'Message deleted' }));
    } else if (ev.type === 'message.rich') {
      parts.push(renderRich(body.content, (value, label) => this.sendText(label, { metadata: { quickReply: value } })));
    } else if (ev.type === 'message.file') {
      parts.push(...renderFile(body));
    } else {
      parts.push(h('div', { class: 'bubble' }, h('span', { class: 'text', text: body.text ?? '' })));
    }
    const quick = Array.isArray(body.quickReplies) ? body.quickReplies.map(quickReplyOf).filter(Boolean) : [];
    if (quick.length && !body.redacted) {
      parts.push(
        h(
          'div',
          { class: 'quick', role: 'group', 'aria-label': 'Suggested replies' },
          quick.map((q) =>
            h('button', {
              type: 'button',
              'data-testid': 'parley-quick-reply',
              onclick: (e) => {
                e.currentTarget.parentElement.remove();
                this.inputEl.focus(); // the focus was on the button just removed
                this.sendText(q.label, { metadata: { quickReply: q.value } });
              },
              text: q.label,
            }),
          ),
        ),
      );
    }
    parts.push(h('div', { class: 'meta', text: formatTime(ev.ts) }));
    return h('div', { class: `msg ${author}`, 'data-testid': 'parley-message', 'data-seq': ev.seq, 'data-author': author, 'data-from': ev.from?.userId }, parts);
  }

  // A line of the log that no one wrote. `userId`: the text starts with that user's name.
  systemElement(ev, text, userId) {
    const who = userId ? [h('span', { 'data-user': userId, text: this.nameOf(userId, 'agent') }), ' '] : [];
    return h(
      'div',
      { class: 'msg system', 'data-testid': 'parley-message', 'data-seq': ev.seq, 'data-author': 'system' },
      h('div', { class: 'bubble' }, who, text),
    );
  }

  refreshConversation() {
    if (!this.conversation || !this.client) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.client
        .call('getConversation', { conversationId: this.conversation.id })
        .then((c) => {
          this.conversation = c;
          this.updateHeader();
        })
        .catch(() => {});
    }, 50);
  }

  // ---- typing and receipts --------------------------------------------------

  onChatState(p) {
    if (!this.conversation || p?.conversationId !== this.conversation.id) return;
    if (p.userId === this.client?.session?.userId) return;
    this.showTyping(p.state === 'COMPOSING', p.userId);
  }

  showTyping(on, userId) {
    clearTimeout(this.typingTimer);
    if (on && this.phase === 'chat') {
      this.typingNameEl.textContent = `${this.nameOf(userId, 'agent')} is typing…`;
      this.typingEl.hidden = false;
      const stick = this.nearEnd();
      if (stick) this.scrollToEnd();
      this.typingTimer = setTimeout(() => this.showTyping(false), TYPING_HIDE_MS);
    } else {
      this.typingEl.hidden = true;
    }
  }

  onReceipt(p) {
    if (!this.conversation || p?.conversationId !== this.conversation.id) return;
    if (p.userId === this.client?.session?.userId || (p.status && p.status !== 'READ')) return;
    if (p.seq > this.readByAgentSeq) {
      this.readByAgentSeq = p.seq;
      this.showReceipt();
    }
  }

  // "Read" goes under the newest of my messages the agent side has read.
  showReceipt() {
    let target = null;
    for (const [seq, el] of this.events) {
      if (el.dataset.author === 'me' && seq <= this.readByAgentSeq && (!target || seq > Number(target.dataset.seq))) target = el;
    }
    const current = this.root.querySelector('[data-testid="parley-receipt"]');
    if (current && current.parentElement === target) return;
    current?.remove();
    if (target) target.append(h('div', { class: 'receipt', 'data-testid': 'parley-receipt', text: 'Read' }));
  }

  seen() {
    return this.open && document.visibilityState === 'visible';
  }

  markReadIfSeen() {
    if (!this.seen() || !this.conversation || !this.client || !this.lastSeq) return;
    this.setUnread(0);
    if (this.lastSeq <= (this.markedSeq || 0)) return;
    this.markedSeq = this.lastSeq;
    this.client.call('markRead', { conversationId: this.conversation.id, seq: this.lastSeq }).catch(() => {
      this.markedSeq = 0;
    });
  }

  // ---- sending --------------------------------------------------------------

  onInput() {
    this.sendEl.disabled = this.inputEl.value.trim() === '';
    this.inputEl.style.height = '40px';
    this.inputEl.style.height = `${Math.min(110, this.inputEl.scrollHeight + 2)}px`;
    if (this.conversation && this.client && this.inputEl.value) {
      try {
        this.client.typing(this.conversation.id);
      } catch {
        /* typing is best effort */
      }
    }
  }

  submit() {
    const text = this.inputEl.value.trim();
    if (!text) return;
    this.inputEl.value = '';
    this.onInput();
    this.sendText(text);
  }

  async startConversation() {
    const { skill, displayName } = this.config;
    const params = {
      channel: 'web',
      postSurvey: true,
      displayName: displayName || `Visitor ${this.config.devUser || ''}`.trim(),
      clientRequestId: newId('start'),
      metadata: { page: location.href.slice(0, 500), title: document.title.slice(0, 200) },
    };
    if (skill) params.skillId = skill;
    const conversation = await this.client.call('createConversation', params);
    this.storeConversationId(conversation.id);
    await this.attach(conversation);
    return conversation;
  }

  async sendText(text, extra = {}) {
    if (this.phase !== 'chat') this.newChat();
    const cmid = newId('w');
    const el = h(
      'div',
      { class: 'msg me pending', 'data-testid': 'parley-message', 'data-author': 'me', 'data-pending': 'true' },
      h('div', { class: 'bubble' }, h('span', { class: 'text', text })),
      h('div', { class: 'meta', text: 'Sending…' }),
    );
    this.pending.set(cmid, el);
    this.logEl.append(el);
    this.welcomeEl.hidden = true;
    this.scrollToEnd();
    try {
      await this.ensureConnected();
      if (!this.conversation) {
        this.starting ||= this.startConversation().finally(() => (this.starting = null));
        await this.starting;
      }
      const ack = await this.client.sendMessage(this.conversation.id, text, { ...extra, clientMessageId: cmid });
      this.client.typing(this.conversation.id, 'ACTIVE'); // done typing
      this.settle(cmid, ack);
    } catch (err) {
      console.error('parley widget: send', err);
      el.classList.remove('pending');
      el.classList.add('failed');
      el.querySelector('.meta').textContent = 'Not sent';
    }
  }

  // A sent message was acknowledged: its pending bubble leaves, the logged
  // event (which may have come first) stays; if the event is still on its way,
  // the bubble waits for it under its seq.
  settle(cmid, ack) {
    const el = this.pending.get(cmid);
    this.pending.delete(cmid);
    if (!el) return;
    if (ack && this.seqs.has(ack.seq)) {
      el.remove();
      return;
    }
    el.classList.remove('pending');
    el.removeAttribute('data-pending');
    if (ack?.seq) {
      el.dataset.seq = ack.seq;
      el.querySelector('.meta').textContent = formatTime(ack.ts);
      this.placeInOrder(el, ack.seq);
      this.seqs.add(ack.seq);
      this.events.set(ack.seq, el);
      if (ack.seq > this.lastSeq) this.lastSeq = ack.seq;
      this.showReceipt();
    }
  }

  // ---- survey and end -------------------------------------------------------

  async rate(n) {
    if (!this.conversation) return;
    try {
      const c = await this.client.call('setCsat', {
        conversationId: this.conversation.id,
        csatRate: n,
        csatResolutionConfirmation: this.resolvedEl.checked,
      });
      this.conversation = c;
      this.setPhase('thanks');
    } catch (err) {
      console.error('parley widget: survey', err);
    }
  }

  async skipSurvey() {
    if (!this.conversation) return;
    try {
      this.conversation = await this.client.call('closeConversation', { conversationId: this.conversation.id });
    } catch (err) {
      console.error('parley widget: close', err);
    }
    this.setPhase('closed');
  }

  resetChat() {
    if (this.sub) this.sub.unsubscribe().catch(() => {});
    this.sub = null;
    this.conversation = null;
    this.storeConversationId(null);
    this.clearLog();
    this.welcomeEl.hidden = false;
    this.readByAgentSeq = 0;
    this.markedSeq = 0;
    this.setUnread(0);
    this.updateHeader();
  }

  newChat() {
    this.resetChat();
    this.setPhase('chat');
    this.inputEl.focus();
  }
}
