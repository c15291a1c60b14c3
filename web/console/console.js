// The agent console: sign in, a live inbox with filters, counts and search,
// and any number of conversations open in tabs, each live on its own
// subscription. Everything goes through the SDK; nothing is polled.

import { ParleyClient } from '../sdk/parley.js';
import { h, formatTime, safeUrl, initials } from '../widget/render.js';

const $ = (id) => document.getElementById(id);
const PAGE = 40;
const MESSAGE_TYPES = new Set(['message', 'message.private', 'message.rich', 'message.file']);
const REFRESHING = new Set([
  'member.joined', 'member.left', 'member.invited', 'member.suggested', 'transfer.agent', 'transfer.skill',
  'queue.returned', 'state.changed', 'dialog.opened', 'dialog.closed', 'csat.set', 'ttr.changed',
  'ettr.changed', 'status.changed', 'conversation.updated', 'consumer.steppedUp', 'group.changed',
]);
const FILTERS = {
  unassigned: { title: 'Unassigned in my skills', filter: { state: 'OPEN', assignedTo: 'none' }, bySkill: true },
  mine: { title: 'Assigned to me', filter: { state: 'OPEN', assignedTo: 'me' } },
  open: { title: 'All open', filter: { state: 'OPEN' } },
  closed: { title: 'Closed', filter: { state: 'CLOSE' } },
};

const app = {
  client: null,
  me: null, // {userId, role, name, skills}
  filter: 'unassigned',
  inbox: null,
  watch: null,
  searchResults: null, // Conversation[] while a search is shown
  tabs: new Map(), // conversationId -> Tab
  active: null, // conversationId
  known: new Map(), // conversationId -> latest Conversation seen
  names: new Map(), // userId -> name
  counts: {}, // filter -> its last count
};

// ---- helpers ----------------------------------------------------------------

function toast(text) {
  const el = $('toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 4000);
}

function failed(what) {
  return (err) => {
    console.error(what, err);
    toast(`${what}: ${err?.message || err}`);
  };
}

function socketUrl() {
  const given = new URLSearchParams(location.search).get('url');
  if (given) return given;
  const u = new URL('/ws', location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}

function titleOf(c) {
  return c?.displayName || c?.consumer?.name || c?.name || (c?.consumer?.userId ? `Visitor ${c.consumer.userId}` : `Conversation ${String(c?.id).slice(0, 8)}`);
}

function ago(ts) {
  if (!ts) return '';
  const s = Math.max(0, Math.round((Date.now() - ts) / 1000));
  if (s < 60) return 'now';
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h`;
  return new Date(ts).toLocaleDateString();
}

function nameOf(userId) {
  if (!userId) return 'System';
  if (userId === app.me?.userId) return 'You';
  if (app.names.has(userId)) return app.names.get(userId);
  app.names.set(userId, userId);
  app.client
    ?.call('getUser', { userId })
    .then((u) => {
      const name = u?.displayName || u?.name;
      if (name && name !== userId) {
        app.names.set(userId, name);
        document.querySelectorAll(`[data-user="${CSS.escape(userId)}"]`).forEach((el) => (el.textContent = name));
      }
    })
    .catch(() => {});
  return userId;
}

function isOverdue(c) {
  return c?.state === 'OPEN' && c?.ttr?.effective && c.ttr.effective < Date.now() && !c.assignedAgent;
}

function inSurvey(c) {
  return c?.state === 'OPEN' && (c.dialogs || []).some((d) => d.type === 'POST_SURVEY' && d.state === 'OPEN');
}

// ---- sign in ------------------------------------------------------------------

function setupLogin() {
  const saved = JSON.parse(localStorage.getItem('parley.console.login') || '{}');
  if (saved.user) $('login-user').value = saved.user;
  if (saved.role) $('login-role').value = saved.role;
  if (saved.skills) $('login-skills').value = saved.skills;
  if (saved.name) $('login-name').value = saved.name;
  let mode = 'dev';
  const setMode = (m) => {
    mode = m;
    $('mode-dev').setAttribute('aria-selected', String(m === 'dev'));
    $('mode-token').setAttribute('aria-selected', String(m === 'token'));
    $('dev-fields').hidden = m !== 'dev';
    $('token-fields').hidden = m !== 'token';
    $('login-user').required = m === 'dev';
  };
  $('mode-dev').onclick = () => setMode('dev');
  $('mode-token').onclick = () => setMode('token');
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const skills = $('login-skills').value.split(/[\s,]+/).filter(Boolean);
    const user = $('login-user').value.trim();
    const role = $('login-role').value;
    const name = $('login-name').value.trim();
    $('login-error').hidden = true;
    $('login-button').disabled = true;
    try {
      if (mode === 'dev') {
        localStorage.setItem('parley.console.login', JSON.stringify({ user, role, skills: skills.join(', '), name }));
        await signIn({ dev: { userId: user, role, ...(name ? { name } : {}), ...(skills.length ? { skills } : {}) } }, skills);
      } else {
        await signIn({ token: $('login-token').value.trim() }, null);
      }
    } catch (err) {
      $('login-error').textContent = `Could not sign in: ${err?.message || err}`;
      $('login-error').hidden = false;
    } finally {
      $('login-button').disabled = false;
    }
  });
  $('login-user').focus();
}

// The skills a token carries are in its payload (the broker checked it).
function tokenSkills(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return { skills: Array.isArray(payload.skills) ? payload.skills : [], name: payload.name };
  } catch {
    return { skills: [] };
  }
}

async function signIn(identity, skills) {
  try {
    await connectAs(identity, skills);
  } catch (err) {
    // A broker older than dev `skills` refuses the field: the skills then only filter here.
    if (err?.code !== -32602 || err?.data?.field !== 'skills' || !identity.dev?.skills) throw err;
    const { skills: _unused, ...dev } = identity.dev;
    await connectAs({ dev }, skills);
  }
}

async function connectAs(identity, skills) {
  const client = new ParleyClient({ url: socketUrl(), ...identity });
  client.on('state', (s) => {
    $('link-state').hidden = s === 'connected' || s === 'idle' || s === 'connecting';
    $('link-state').textContent = s === 'closed' ? 'Signed out' : 'Reconnecting…';
  });
  client.on('presence', onPresence);
  client.on('error', (err) => toast(`Disconnected: ${err?.message || err}`));
  const session = await client.connect();
  app.client = client;
  const fromToken = identity.token ? tokenSkills(identity.token) : {};
  app.me = {
    userId: session.userId,
    role: session.role,
    name: identity.dev?.name || fromToken.name || session.userId,
    skills: skills ?? fromToken.skills ?? [],
  };
  app.names.set(session.userId, app.me.name);
  $('login').hidden = true;
  $('app').hidden = false;
  $('me-name').textContent = app.me.name;
  $('me-detail').textContent = [app.me.role, app.me.skills.length ? app.me.skills.join(', ') : 'no skills'].join(' · ');
  $('me-avatar').textContent = initials(app.me.name);
  $('skill-list').replaceChildren(...app.me.skills.map((s) => h('option', { value: s })));
  document.title = `Parley · ${app.me.name}`;
  setupApp();
  await Promise.all([selectFilter('unassigned'), startWatch()]);
}

// ---- the inbox --------------------------------------------------------------------

function setupApp() {
  for (const btn of document.querySelectorAll('.filters button')) btn.onclick = () => selectFilter(btn.dataset.filter).catch(failed('Inbox'));
  let timer;
  $('search').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => runSearch($('search').value.trim()).catch(failed('Search')), 250);
  });
  $('search').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      clearTimeout(timer);
      runSearch($('search').value.trim()).catch(failed('Search'));
    }
  });
  $('presence').onchange = () => changePresence($('presence').value);
  setupConversationView();
  setInterval(() => {
    renderInbox();
    renderTtr();
  }, 30000);
}

async function changePresence(status) {
  $('presence-dot').className = `dot ${status}`;
  if (status === 'offline') {
    for (const tab of app.tabs.values()) tab.sub?.unsubscribe().catch(() => {});
    await app.client.close();
    location.reload();
    return;
  }
  await app.client.call('setPresence', { status }).catch(failed('Presence'));
}

async function selectFilter(name) {
  app.filter = name;
  app.searchResults = null;
  $('search').value = '';
  for (const btn of document.querySelectorAll('.filters button')) btn.setAttribute('aria-pressed', String(btn.dataset.filter === name));
  $('inbox-title').textContent = FILTERS[name].title;
  showCount();
  scheduleCounts();
  const old = app.inbox;
  app.inbox = null;
  if (old) old.unsubscribe().catch(() => {});
  const inbox = await app.client.subscribeInbox(FILTERS[name].filter, { limit: 100 });
  if (app.filter !== name) {
    inbox.unsubscribe().catch(() => {});
    return;
  }
  app.inbox = inbox;
  const changed = (c) => {
    if (c?.id && c.state) remember(c);
    renderInbox();
  };
  inbox.on('upsert', changed);
  inbox.on('delete', changed);
  inbox.on('reset', changed);
  for (const c of inbox.items.values()) remember(c);
  renderInbox();
}

// A tenant-wide inbox (one row) whose only job is to say "something changed": the counts are then asked again.
async function startWatch() {
  app.watch = await app.client.subscribeInbox(null, { limit: 1 });
  const poke = (c) => {
    if (c?.id && c.state) remember(c);
    scheduleCounts();
  };
  app.watch.on('upsert', poke);
  app.watch.on('delete', poke);
  app.watch.on('reset', poke);
  scheduleCounts();
}

function remember(c) {
  const old = app.known.get(c.id);
  if (old && old.updatedAt > c.updatedAt) return;
  app.known.set(c.id, c);
  const tab = app.tabs.get(c.id);
  if (tab && (!tab.conversation || tab.conversation.updatedAt <= c.updatedAt)) {
    tab.conversation = { ...tab.conversation, ...c };
    if (app.active === c.id) renderHeader(tab);
    renderTabs();
  }
}

function scheduleCounts() {
  clearTimeout(scheduleCounts.timer);
  scheduleCounts.timer = setTimeout(() => refreshCounts().catch(() => {}), 200);
}

async function countFilter(name) {
  const def = FILTERS[name];
  if (def.bySkill && app.me.skills.length) {
    const parts = await Promise.all(app.me.skills.map((skillId) => app.client.call('countConversations', { filter: { ...def.filter, skillId } })));
    return parts.reduce((sum, p) => sum + p.total, 0);
  }
  return (await app.client.call('countConversations', { filter: def.filter })).total;
}

async function refreshCounts() {
  const names = Object.keys(FILTERS);
  const totals = await Promise.all(names.map(countFilter));
  names.forEach((name, i) => {
    app.counts[name] = totals[i];
    document.querySelector(`[data-count="${name}"]`).textContent = String(totals[i]);
  });
  showCount();
}

// The count beside the list: the filter's (countConversations), or the search's rows.
function showCount() {
  const n = app.searchResults ? app.searchResults.length : app.counts[app.filter];
  $('inbox-count').textContent = n === undefined ? '…' : String(n);
}

function matchesLocal(c) {
  const def = FILTERS[app.filter];
  if (def.bySkill && app.me.skills.length) return app.me.skills.includes(c.skillId);
  return true;
}

function renderInbox() {
  let rows;
  if (app.searchResults) rows = app.searchResults.map((c) => app.known.get(c.id) || c);
  else rows = app.inbox ? [...app.inbox.items.values()].filter(matchesLocal).sort((a, b) => b.updatedAt - a.updatedAt) : [];
  showCount();
  const list = $('inbox-list');
  list.replaceChildren(...rows.map(inboxItem));
  $('inbox-empty').hidden = rows.length > 0;
  $('inbox-empty').textContent = app.searchResults ? 'No conversation matches.' : 'Nothing here right now.';
}

function inboxItem(c) {
  const assigned = c.assignedAgent?.userId;
  const tags = [];
  if (c.skillId) tags.push(h('span', { class: 'tag skill', text: c.skillId }));
  if (c.state !== 'OPEN') tags.push(h('span', { class: 'tag', text: c.state }));
  else if (inSurvey(c)) tags.push(h('span', { class: 'tag', text: 'SURVEY' }));
  if (assigned === app.me.userId) tags.push(h('span', { class: 'tag mine', text: 'You' }));
  else if (assigned) tags.push(h('span', { class: 'tag', 'data-user': assigned, text: c.assignedAgent.name || nameOf(assigned) }));
  else if (c.state === 'OPEN') tags.push(h('span', { class: 'tag', text: 'Unassigned' }));
  if (isOverdue(c)) tags.push(h('span', { class: 'tag overdue', text: 'Overdue' }));
  if (c.unread) tags.push(h('span', { class: 'unread', 'aria-label': `${c.unread} unread`, text: String(c.unread) }));
  const title = titleOf(c);
  const li = h(
    'li',
    {
      class: `item${app.active === c.id ? ' active' : ''}`,
      'data-testid': 'inbox-item',
      'data-conversation-id': c.id,
      tabindex: '0',
      role: 'button',
      'aria-label': `${title}, ${c.lastMessage?.text || 'no message yet'}`,
      onclick: () => openTab(c.id).catch(failed('Open')),
      onkeydown: (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          openTab(c.id).catch(failed('Open'));
        }
      },
    },
    h('span', { class: 'avatar', 'aria-hidden': 'true', text: initials(title) }),
    h(
      'div',
      { class: 'item-main' },
      h('div', { class: 'item-top' }, h('span', { class: 'item-name', text: title }), h('span', { class: 'item-time', text: ago(c.lastMessageAt || c.updatedAt) })),
      h('div', { class: 'item-last', text: c.lastMessage ? c.lastMessage.text || '[attachment]' : 'No message yet' }),
      h('div', { class: 'tags' }, tags),
    ),
  );
  return li;
}

async function runSearch(q) {
  if (!q) {
    app.searchResults = null;
    $('inbox-title').textContent = FILTERS[app.filter].title;
    renderInbox();
    scheduleCounts();
    return;
  }
  const r = await app.client.call('searchConversations', { q, limit: 50 });
  if ($('search').value.trim() !== q) return;
  for (const c of r.data) remember(c);
  app.searchResults = r.data;
  $('inbox-title').textContent = `Search: ${q}`;
  renderInbox();
}

function onPresence(p) {
  for (const tab of app.tabs.values()) {
    if (tab.conversation?.consumer?.userId === p.userId) {
      tab.presence = p.status;
      if (app.active === tab.id) renderDetails(tab);
    }
  }
}

// ---- tabs -------------------------------------------------------------------------

class Tab {
  constructor(id) {
    this.id = id;
    this.conversation = null;
    this.sub = null;
    this.events = []; // shown events, by seq
    this.seqs = new Set();
    this.notes = [];
    this.oldestSeq = null;
    this.hasOlder = false;
    this.lastSeq = 0;
    this.consumerReadSeq = 0;
    this.members = [];
    this.typing = false;
    this.unseen = false;
    this.presence = null;
    this.markedSeq = 0;
  }
}

async function openTab(id) {
  let tab = app.tabs.get(id);
  if (!tab) {
    tab = new Tab(id);
    app.tabs.set(id, tab);
    activate(id);
    try {
      await loadTab(tab);
    } catch (err) {
      app.tabs.delete(id);
      if (app.active === id) app.active = null;
      renderTabs();
      renderActive();
      throw err;
    }
  }
  activate(id);
}

async function loadTab(tab) {
  const c = app.client;
  const [conversation, page, notes] = await Promise.all([
    c.call('getConversation', { conversationId: tab.id }),
    c.call('queryMessages', { conversationId: tab.id, order: 'desc', limit: PAGE }),
    c.call('listNotes', { conversationId: tab.id, limit: 100 }).catch(() => ({ data: [] })),
  ]);
  tab.conversation = conversation;
  remember(conversation);
  const events = [...page.data].reverse();
  for (const ev of events) addEvent(tab, ev, false);
  tab.oldestSeq = events.length ? events[0].seq : null;
  tab.hasOlder = page.hasNext;
  tab.lastSeq = Math.max(tab.lastSeq, page.lastSeq ?? 0);
  tab.notes = notes.data || [];
  await loadMembers(tab);
  if (conversation.consumer?.userId) {
    c.call('getPresence', { userIds: [conversation.consumer.userId] })
      .then((r) => {
        tab.presence = r?.[0]?.status;
        if (app.active === tab.id) renderDetails(tab);
      })
      .catch(() => {});
  }
  tab.sub = await c.subscribe(tab.id, { sinceSeq: tab.lastSeq, epoch: page.epoch });
  tab.sub.on('event', (ev) => addEvent(tab, ev, true));
  tab.sub.on('reset', () => reloadTab(tab).catch(failed('Reload')));
  tab.sub.on('ended', (info) => {
    toast(`${titleOf(tab.conversation)}: ${info.reason === 'deleted' || info.reason === 'notFound' ? 'deleted' : 'no longer readable'}`);
    closeTab(tab.id);
  });
  tab.sub.on('chatState', (p) => onChatState(tab, p));
  tab.sub.on('receipt', (p) => onReceipt(tab, p));
  if (app.active === tab.id) renderActive();
}

async function reloadTab(tab) {
  tab.events = [];
  tab.seqs.clear();
  tab.lastSeq = 0;
  await tab.sub?.unsubscribe().catch(() => {});
  await loadTab(tab);
}

async function loadMembers(tab) {
  const r = await app.client.call('listMembers', { conversationId: tab.id }).catch(() => ({ data: [] }));
  tab.members = r.data || [];
  for (const m of tab.members) {
    if (m.name) app.names.set(m.userId, m.name);
    if (m.role === 'CONSUMER' && m.lastReadSeq) tab.consumerReadSeq = Math.max(tab.consumerReadSeq, m.lastReadSeq);
  }
}

function closeTab(id) {
  const tab = app.tabs.get(id);
  if (!tab) return;
  tab.sub?.unsubscribe().catch(() => {});
  app.tabs.delete(id);
  if (app.active === id) app.active = [...app.tabs.keys()].pop() || null;
  renderTabs();
  renderActive();
  renderInbox();
}

function activate(id) {
  app.active = id;
  const tab = app.tabs.get(id);
  if (tab) tab.unseen = false;
  renderTabs();
  renderActive();
  renderInbox();
}

function renderTabs() {
  $('tabs').replaceChildren(
    ...[...app.tabs.values()].map((tab) => {
      const selected = tab.id === app.active;
      return h(
        'div',
        { class: 'tab', role: 'tab', 'aria-selected': String(selected), 'data-conversation-id': tab.id },
        tab.unseen ? h('span', { class: 'tab-dot', 'aria-label': 'new activity' }) : null,
        h('span', { class: 'tab-name', tabindex: '0', onclick: () => activate(tab.id), onkeydown: (e) => e.key === 'Enter' && activate(tab.id), text: titleOf(tab.conversation) }),
        h('button', { type: 'button', class: 'tab-close', 'aria-label': `Close tab ${titleOf(tab.conversation)}`, onclick: () => closeTab(tab.id), text: '×' }),
      );
    }),
  );
}

// ---- the conversation view ----------------------------------------------------------

function activeTab() {
  return app.active ? app.tabs.get(app.active) : null;
}

function setupConversationView() {
  $('earlier').onclick = () => loadOlder(activeTab()).catch(failed('History'));
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    send(false);
  });
  $('send-private').onclick = () => send(true);
  $('input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send(false);
    }
  });
  $('input').addEventListener('input', () => {
    const tab = activeTab();
    if (tab && $('input').value) app.client.typing(tab.id);
  });
  $('accept').onclick = () => accept(activeTab()).catch(failed('Accept'));
  $('close').onclick = () => act('closeConversation', {}).catch(failed('Close'));
  $('reopen').onclick = () => act('reopenConversation', {}).catch(failed('Reopen'));
  $('transfer').onclick = () => transfer().catch(failed('Transfer'));
  $('transfer-agent').addEventListener('focus', () => loadAgents().catch(() => {}));
  $('note-save').onclick = () => saveNote().catch(failed('Note'));
  $('timeline').addEventListener('scroll', () => {
    const tab = activeTab();
    if ($('timeline').scrollTop < 10 && tab?.hasOlder) loadOlder(tab).catch(() => {});
  });
  document.addEventListener('visibilitychange', () => markRead(activeTab()));
}

function renderActive() {
  const tab = activeTab();
  $('conv').hidden = !tab;
  $('empty').hidden = !!tab;
  if (!tab) return;
  renderHeader(tab);
  renderTimeline(tab);
  renderTyping(tab);
  markRead(tab);
}

function renderHeader(tab) {
  const c = tab.conversation;
  if (!c) {
    $('conv-title').textContent = 'Loading…';
    return;
  }
  const title = titleOf(c);
  $('conv-title').textContent = title;
  $('conv-avatar').textContent = initials(title);
  const assigned = c.assignedAgent?.userId;
  $('conv-sub').textContent = [
    c.skillId ? `Skill: ${c.skillId}` : 'No skill',
    assigned ? `Assigned to ${assigned === app.me.userId ? 'you' : c.assignedAgent.name || nameOf(assigned)}` : 'Unassigned',
    c.channel ? `via ${c.channel}` : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const pill = $('conv-state');
  const survey = inSurvey(c);
  pill.textContent = survey ? 'SURVEY' : c.state;
  pill.className = `state-pill ${survey ? 'SURVEY' : c.state}`;
  const open = c.state === 'OPEN';
  const suggested = tab.members.some((m) => m.userId === app.me.userId && m.state === 'SUGGESTED');
  const manager = app.me.role === 'manager' || app.me.role === 'admin';
  $('accept').hidden = !open || survey || assigned === app.me.userId || (assigned && !manager && !suggested);
  $('accept').textContent = suggested ? 'Accept transfer' : assigned ? 'Take over' : 'Accept';
  $('close').hidden = !open;
  $('reopen').hidden = c.state !== 'CLOSE';
  const writable = open;
  $('input').disabled = !writable;
  $('send').disabled = !writable;
  $('send-private').disabled = !writable;
  $('transfer').disabled = !open || survey;
  $('note-save').disabled = c.state === 'LOCKED';
  $('input').placeholder = writable ? 'Reply to the visitor… (Enter sends, Shift+Enter for a new line)' : `The conversation is ${{ OPEN: 'in its survey', CLOSE: 'closed', LOCKED: 'locked' }[c.state]}`;
  renderDetails(tab);
}

function renderDetails(tab) {
  const c = tab.conversation;
  if (!c) return;
  $('d-consumer').textContent = c.consumer ? c.consumer.name || c.consumer.userId : 'No visitor';
  $('d-presence').textContent = tab.presence ? `● ${tab.presence}` : '';
  $('d-presence').style.color = tab.presence === 'online' ? 'var(--ok)' : '';
  renderTtr();
  const csat = $('d-csat');
  if (c.csat) {
    const rate = c.csat.csatRate;
    csat.replaceChildren(
      h('span', { class: 'stars', 'aria-hidden': 'true', text: '★'.repeat(rate) + '☆'.repeat(5 - rate) }),
      ` ${rate}/5`,
      h('span', { class: 'muted small', text: c.csat.csatResolutionConfirmation ? ' · resolved' : ' · not resolved' }),
    );
    csat.dataset.rate = rate;
  } else {
    csat.textContent = inSurvey(c) ? 'Survey in progress…' : 'No rating yet';
    delete csat.dataset.rate;
  }
  $('notes').replaceChildren(
    ...tab.notes.map((n) =>
      h(
        'li',
        { class: 'note', 'data-testid': 'console-note', 'data-visibility': 'agents' },
        h('span', { text: n.text }),
        h('div', { class: 'note-meta' }, h('span', { text: `${n.name || nameOf(n.agentId)} · ${formatTime(n.createdAt)}` }), h('span', { class: 'agents-only', text: 'Agents only' })),
      ),
    ),
  );
}

function renderTtr() {
  const tab = activeTab();
  const c = tab?.conversation;
  const el = $('d-ttr');
  if (!c) return;
  if (c.state !== 'OPEN' || !c.ttr?.effective) {
    el.textContent = c.state === 'OPEN' ? '—' : 'Closed';
    el.className = 'ttr';
    return;
  }
  const left = Math.round((c.ttr.effective - Date.now()) / 60000);
  el.className = `ttr ${left < 0 ? 'overdue' : 'ok'}`;
  const when = formatTime(c.ttr.effective);
  el.textContent = left < 0 ? `Overdue by ${-left} min (due ${when})` : `Due by ${when} · ${left} min left`;
  el.title = `${c.ttr.type} (${c.ttr.value} s)`;
}

function renderTyping(tab) {
  $('typing').hidden = !tab.typing || tab.conversation?.state !== 'OPEN';
}

function renderTimeline(tab) {
  const tl = $('timeline');
  const earlier = $('earlier');
  earlier.hidden = !tab.hasOlder;
  tl.replaceChildren(earlier, ...tab.events.map((ev) => eventElement(tab, ev)).filter(Boolean));
  placeReceipt(tab);
  tl.scrollTop = tl.scrollHeight;
}

function isConsumer(ev) {
  return ev.from?.role === 'CONSUMER';
}

function eventElement(tab, ev) {
  const b = ev.body || {};
  if (MESSAGE_TYPES.has(ev.type)) {
    const priv = ev.visibility === 'agents';
    const side = isConsumer(ev) ? 'consumer' : 'agent-side';
    let content;
    if (b.redacted) content = h('div', { class: 'bubble redacted', text: 'Message deleted' });
    else if (ev.type === 'message.file') {
      const url = safeUrl(b.url);
      content = h('div', { class: 'bubble' }, url ? h('a', { class: 'file', href: url, target: '_blank', rel: 'noopener noreferrer', text: `File: ${b.name}` }) : `File: ${b.name}`, b.caption ? `\n${b.caption}` : '');
    } else if (ev.type === 'message.rich') {
      const card = b.content || {};
      content = h('div', { class: 'bubble', text: `Card: ${card.title || card.text || 'rich content'}` });
    } else content = h('div', { class: 'bubble' }, h('span', { class: 'text', text: b.text ?? '' }));
    return h(
      'div',
      { class: `msg ${side}${ev.from?.role === 'BOT' ? ' bot' : ''}${priv ? ' private' : ''}`, 'data-testid': 'console-message', 'data-seq': ev.seq, 'data-visibility': ev.visibility || 'all' },
      h('div', { class: 'who' }, h('span', { 'data-user': ev.from?.userId, text: nameOf(ev.from?.userId) }), priv ? h('span', { class: 'agents-only', text: 'Agents only' }) : null),
      content,
      Array.isArray(b.quickReplies) && b.quickReplies.length
        ? h('div', { class: 'meta', text: `Quick replies: ${b.quickReplies.map((q) => (typeof q === 'string' ? q : q?.title ?? q?.label ?? '')).join(' · ')}` })
        : null,
      h('div', { class: 'meta', text: formatTime(ev.ts) }),
    );
  }
  const parts = systemText(tab, ev);
  if (!parts) return null;
  return h('div', { class: `sys${ev.visibility === 'agents' ? ' agents' : ''}`, 'data-testid': 'console-event', 'data-seq': ev.seq }, parts);
}

// A system line, as text and name spans (a name learnt later replaces the id shown meanwhile).
function systemText(tab, ev) {
  const b = ev.body || {};
  const who = (userId) => h('span', { 'data-user': userId, text: nameOf(userId) });
  switch (ev.type) {
    case 'conversation.created':
      return [`Conversation started ${formatTime(ev.ts)}`];
    case 'member.joined':
      return [who(b.userId), ` joined${b.role === 'ASSIGNED_AGENT' ? ' as the assigned agent' : b.role === 'CONSUMER' ? '' : ` (${b.role.toLowerCase()})`}`];
    case 'member.left':
      return [who(b.userId), ` left${b.reason && b.reason !== 'left' ? ` (${b.reason})` : ''}`];
    case 'member.suggested':
      return [who(b.userId), ' was offered the conversation'];
    case 'transfer.agent':
      return ['Transferred to ', who(b.toUserId), ' by ', who(b.fromUserId)];
    case 'transfer.skill':
      return [`Transferred to skill ${b.toSkillId}${b.fromSkillId ? ` (from ${b.fromSkillId})` : ''}`];
    case 'queue.returned':
      return ['Back in the queue'];
    case 'dialog.opened':
      return b.type === 'POST_SURVEY' ? ['Survey started'] : null;
    case 'state.changed':
      return [b.to === 'OPEN' ? 'Reopened' : b.to === 'CLOSE' ? 'Closed' : 'Locked'];
    case 'csat.set':
      return [`Visitor rated ${b.csatRate}/5`];
    case 'note.added':
      return [b.name ? b.name : who(b.agentId), ' added a note'];
    case 'ttr.changed':
      return [`Response time: ${b.ttrType}`];
    default:
      return null;
  }
}

function addEvent(tab, ev, live) {
  if (tab.seqs.has(ev.seq)) return;
  tab.seqs.add(ev.seq);
  if (ev.seq > tab.lastSeq) tab.lastSeq = ev.seq;
  const b = ev.body || {};
  if (ev.type === 'message.edited' || ev.type === 'message.deleted') {
    const target = tab.events.find((e) => e.seq === b.targetSeq);
    if (target) target.body = ev.type === 'message.deleted' ? { redacted: true } : { ...target.body, text: b.text, editedAt: ev.ts };
    if (app.active === tab.id && live) renderTimeline(tab);
    return;
  }
  if (ev.type === 'note.added' && live && !tab.notes.some((n) => n.noteId === b.noteId)) {
    tab.notes.push({ ...b, seq: ev.seq, createdAt: ev.ts });
  }
  // Keep the list ordered (live events come last; history pages come first).
  if (!tab.events.length || tab.events[tab.events.length - 1].seq < ev.seq) tab.events.push(ev);
  else {
    const i = tab.events.findIndex((e) => e.seq > ev.seq);
    tab.events.splice(i, 0, ev);
  }
  if (!live) return;
  if (isConsumer(ev) && MESSAGE_TYPES.has(ev.type)) tab.typing = false;
  if (app.active === tab.id) {
    const tl = $('timeline');
    const stick = tl.scrollHeight - tl.scrollTop - tl.clientHeight < 120 || !isConsumer(ev);
    const el = eventElement(tab, ev);
    if (el) tl.append(el);
    if (stick) tl.scrollTop = tl.scrollHeight;
    renderTyping(tab);
    markRead(tab);
    if (ev.type === 'note.added') renderDetails(tab);
  } else if (MESSAGE_TYPES.has(ev.type)) {
    tab.unseen = true;
    renderTabs();
  }
  if (REFRESHING.has(ev.type)) refreshConversation(tab);
}

function refreshConversation(tab) {
  clearTimeout(tab.refreshTimer);
  tab.refreshTimer = setTimeout(async () => {
    try {
      const [c] = await Promise.all([app.client.call('getConversation', { conversationId: tab.id }), loadMembers(tab)]);
      tab.conversation = c;
      remember(c);
      if (app.active === tab.id) {
        renderHeader(tab);
        markRead(tab); // a member now, perhaps
      }
      renderTabs();
    } catch (err) {
      if (err?.code === 404) closeTab(tab.id);
    }
  }, 60);
}

async function loadOlder(tab) {
  if (!tab || !tab.hasOlder || tab.loadingOlder || tab.oldestSeq === null) return;
  tab.loadingOlder = true;
  try {
    const page = await app.client.call('queryMessages', { conversationId: tab.id, toSeq: tab.oldestSeq - 1, order: 'desc', limit: PAGE });
    for (const ev of page.data) addEvent(tab, ev, false);
    if (page.data.length) tab.oldestSeq = page.data[page.data.length - 1].seq;
    tab.hasOlder = page.hasNext;
    if (app.active === tab.id) {
      const tl = $('timeline');
      const fromBottom = tl.scrollHeight - tl.scrollTop;
      renderTimeline(tab);
      tl.scrollTop = tl.scrollHeight - fromBottom;
    }
  } finally {
    tab.loadingOlder = false;
  }
}

function onChatState(tab, p) {
  if (p.userId === app.me.userId) return;
  if (p.userId !== tab.conversation?.consumer?.userId) return;
  tab.typing = p.state === 'COMPOSING';
  clearTimeout(tab.typingTimer);
  if (tab.typing) {
    tab.typingTimer = setTimeout(() => {
      tab.typing = false;
      if (app.active === tab.id) renderTyping(tab);
    }, 6000);
  }
  if (app.active === tab.id) renderTyping(tab);
}

function onReceipt(tab, p) {
  if (p.userId !== tab.conversation?.consumer?.userId || (p.status && p.status !== 'READ')) return;
  if (p.seq > tab.consumerReadSeq) {
    tab.consumerReadSeq = p.seq;
    if (app.active === tab.id) placeReceipt(tab);
  }
}

// "Seen" goes under the newest agent-side message (visible to the visitor) the visitor has read.
function placeReceipt(tab) {
  document.querySelector('[data-testid="console-receipt"]')?.remove();
  const read = tab.events.filter((e) => MESSAGE_TYPES.has(e.type) && !isConsumer(e) && e.visibility !== 'agents' && e.seq <= tab.consumerReadSeq).pop();
  if (!read) return;
  const el = $('timeline').querySelector(`[data-testid="console-message"][data-seq="${read.seq}"]`);
  el?.append(h('div', { class: 'receipt', 'data-testid': 'console-receipt', text: '✓ Seen by the visitor' }));
}

function markRead(tab) {
  if (!tab || document.visibilityState !== 'visible' || tab.lastSeq <= tab.markedSeq) return;
  const me = tab.members.find((m) => m.userId === app.me.userId && m.state === 'ACTIVE');
  if (!me) return;
  tab.markedSeq = tab.lastSeq;
  app.client.call('markRead', { conversationId: tab.id, seq: tab.lastSeq }).catch(() => (tab.markedSeq = 0));
}

// ---- actions ------------------------------------------------------------------------

async function act(method, params) {
  const tab = activeTab();
  if (!tab) return;
  const c = await app.client.call(method, { conversationId: tab.id, ...params });
  if (c?.id) {
    tab.conversation = c;
    remember(c);
    renderHeader(tab);
  }
  return c;
}

async function accept(tab) {
  if (!tab) return;
  const suggested = tab.members.some((m) => m.userId === app.me.userId && m.state === 'SUGGESTED');
  if (suggested) await app.client.call('join', { conversationId: tab.id });
  else await app.client.call('assign', { conversationId: tab.id, userId: app.me.userId });
  await loadMembers(tab);
  refreshConversation(tab);
}

async function ensureMember(tab) {
  if (tab.members.some((m) => m.userId === app.me.userId && m.state === 'ACTIVE')) return;
  await app.client.call('join', { conversationId: tab.id });
  await loadMembers(tab);
}

async function send(isPrivate) {
  const tab = activeTab();
  const text = $('input').value.trim();
  if (!tab || !text) return;
  $('input').value = '';
  try {
    await ensureMember(tab);
    if (isPrivate) await app.client.call('sendPrivateMessage', { conversationId: tab.id, text });
    else await app.client.sendMessage(tab.id, text);
    app.client.typing(tab.id, 'ACTIVE'); // done typing: the visitor's indicator goes now
  } catch (err) {
    if (!$('input').value) $('input').value = text;
    failed('Send')(err);
  }
  $('input').focus();
}

async function saveNote() {
  const tab = activeTab();
  const text = $('note-input').value.trim();
  if (!tab || !text) return;
  const r = await app.client.call('setNote', { conversationId: tab.id, text });
  $('note-input').value = '';
  if (!tab.notes.some((n) => n.noteId === r.noteId)) {
    tab.notes.push({ noteId: r.noteId, agentId: app.me.userId, name: app.me.name, text: r.truncatedText ?? text, createdAt: Date.now() });
  }
  if (app.active === tab.id) renderDetails(tab);
}

async function transfer() {
  const skillId = $('transfer-skill').value.trim();
  const agentId = $('transfer-agent').value.trim();
  if (!skillId && !agentId) {
    $('transfer-msg').textContent = 'Name a skill or an agent.';
    return;
  }
  await act('transfer', { ...(skillId ? { skillId } : {}), ...(agentId ? { agentId } : {}) });
  $('transfer-msg').textContent = `Transferred to ${[skillId && `skill ${skillId}`, agentId && agentId].filter(Boolean).join(' and ')}.`;
  $('transfer-skill').value = '';
  $('transfer-agent').value = '';
  const tab = activeTab();
  if (tab) await loadMembers(tab);
}

async function loadAgents() {
  const tab = activeTab();
  if (!tab) return;
  const r = await app.client.call('getInvitableUsers', { conversationId: tab.id, limit: 100 });
  $('agent-list').replaceChildren(...(r.data || []).map((u) => h('option', { value: u.userId, label: u.displayName || u.name || u.userId })));
}

setupLogin();
