// A pool of subscriber sockets for the soak (issue 12 §6), run as a child
// process of soak.mjs (several share the client side's work) and driven
// over IPC:
//   {cmd: 'open', url, from, to, conversations, batch}  opens slots [from, to)
//   {cmd: 'churn', perSecond, abruptShare}              starts churning
//   {cmd: 'quiet'}          stops churning; answers once every slot is subscribed again
//   {cmd: 'check', lastSeq} checks each live subscription reached its conversation's lastSeq
//   {cmd: 'stats'}          answers the counters
//   {cmd: 'exit'}
// A slot is one socket: authenticate (--dev, an agent, the same user id for
// the slot on every reconnection), subscribe to one conversation, then read
// live events. Each event's seq must be the previous one + 1, from the
// subscribe answer's lastSeq until the socket closes. Churning closes a
// slot's socket (a close handshake, or an abrupt end of TCP) and opens a
// new one at once, subscribed to the next conversation.
import { WebSocket, SOCKET_OPTIONS } from './rpc.mjs';

const TICK_MS = 100;
const RETRY_MS = 200;
const MAX_DETAILS = 20;

const stats = {
  opened: 0, // sockets that reached "subscribed"
  churned: 0, // sockets closed by the churn
  cleanCloses: 0,
  abruptCloses: 0,
  skipped: 0, // churn picks still reconnecting from an earlier pick
  connectErrors: 0, // sockets that failed before subscribed (retried)
  unexpectedCloses: {}, // close code → count, for subscribed sockets closed by the server
  rpcErrors: {}, // "method code" → count
  unavailable: {}, // "method 503" → count (retried)
  events: 0,
  gaps: 0,
  duplicates: 0,
  early: 0, // pushes before the subscribe answer with seq <= its lastSeq
  details: [], // the first few gaps, duplicates and errors, described
};
const note = (what) => {
  if (stats.details.length < MAX_DETAILS) stats.details.push(`${new Date().toISOString()} ${what}`);
};
const bump = (map, key) => (map[key] = (map[key] || 0) + 1);

let url = '';
let conversations = [];
/** @type {Slot[]} */
const slots = [];
let churnTimer = null;
let churnCursor = 0;
let churnStart = 0;
let churnDone = 0;
let quietWaiter = null;

class Slot {
  constructor(index) {
    this.index = index;
    this.userId = `soak-u${index}`;
    this.generation = 0;
    this.ws = null;
    this.state = 'idle'; // connecting | auth | subscribing | ready | closing
    this.conv = '';
    this.expected = 0; // next seq due
    this.early = [];
    this.onReady = null;
  }

  open() {
    this.generation++;
    this.conv = conversations[(this.index + this.generation) % conversations.length];
    this.expected = 0;
    this.early = [];
    this.state = 'connecting';
    const ws = new WebSocket(url, SOCKET_OPTIONS);
    this.ws = ws;
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.state = 'auth';
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'authenticate', params: { userId: this.userId, role: 'agent' } }));
    });
    ws.on('message', (data) => this.ws === ws && this.onMessage(data));
    ws.on('error', () => {});
    ws.on('close', (code) => this.ws === ws && this.onClose(code));
  }

  onMessage(data) {
    const msg = JSON.parse(data.toString());
    if (msg.id === 1) {
      if (msg.error) return this.fail(`authenticate ${msg.error.code}`);
      this.state = 'subscribing';
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'subscribe', params: { conversationId: this.conv } }));
      return;
    }
    if (msg.id === 2) {
      if (msg.error) return this.fail(`subscribe ${msg.error.code}`);
      this.expected = msg.result.lastSeq + 1;
      this.state = 'ready';
      stats.opened++;
      for (const e of this.early.splice(0)) {
        if (e.seq < this.expected) stats.early++;
        else this.check(e);
      }
      const r = this.onReady;
      this.onReady = null;
      r?.();
      maybeQuiet();
      return;
    }
    if (msg.method === 'event') {
      const e = msg.params;
      if (e.conversationId !== this.conv) return note(`slot ${this.index}: event of ${e.conversationId}, subscribed to ${this.conv}`);
      stats.events++;
      if (this.state === 'ready') this.check(e);
      else this.early.push(e);
      return;
    }
    if (msg.method === 'subscriptionReset' || msg.method === 'subscriptionEnded') {
      bump(stats.rpcErrors, msg.method);
      note(`slot ${this.index}: ${JSON.stringify(msg.params)}`);
    }
  }

  check(e) {
    if (e.seq === this.expected) {
      this.expected++;
      return;
    }
    if (e.seq < this.expected) {
      stats.duplicates++;
      note(`slot ${this.index} ${this.conv}: seq ${e.seq} again (next due ${this.expected})`);
      return;
    }
    stats.gaps++;
    note(`slot ${this.index} ${this.conv}: seq ${e.seq} after ${this.expected - 1}`);
    this.expected = e.seq + 1;
  }

  fail(what) {
    // 503: storage did not answer in time (a loaded machine); the slot tries again.
    if (/ 503$/.test(what)) bump(stats.unavailable, what);
    else {
      bump(stats.rpcErrors, what);
      note(`slot ${this.index}: ${what}`);
    }
    this.ws.terminate();
  }

  onClose(code) {
    const was = this.state;
    this.ws = null;
    if (was === 'closing') return;
    if (was === 'ready') {
      bump(stats.unexpectedCloses, code);
      note(`slot ${this.index}: closed by the server (${code})`);
    } else {
      stats.connectErrors++;
    }
    this.state = 'idle';
    setTimeout(() => this.state === 'idle' && this.open(), was === 'ready' ? 0 : RETRY_MS);
  }

  /** Closes the socket (a close handshake, or TCP ended at once) and opens another. */
  churn(abrupt) {
    const ws = this.ws;
    this.state = 'closing';
    if (abrupt) {
      stats.abruptCloses++;
      ws.terminate();
    } else {
      stats.cleanCloses++;
      ws.close(1000);
    }
    stats.churned++;
    this.open();
  }
}

/** Churns as many sockets as are due at `perSecond` since the churn started (a late tick catches up, up to a second's worth). */
function churnTick(perSecond, abruptShare) {
  const due = ((Date.now() - churnStart) * perSecond) / 1000;
  churnDone = Math.max(churnDone, due - perSecond);
  let n = Math.floor(due - churnDone);
  churnDone += n;
  for (let tries = 0; n > 0 && tries < slots.length; tries++) {
    const s = slots[churnCursor];
    churnCursor = (churnCursor + 1) % slots.length;
    if (s.state !== 'ready') {
      stats.skipped++;
      continue;
    }
    // Spread clean and abrupt closes evenly over the slots.
    s.churn(((s.index * 7 + s.generation) % 100) / 100 < abruptShare);
    n--;
  }
}

function maybeQuiet() {
  if (!quietWaiter || churnTimer) return;
  if (slots.every((s) => s.state === 'ready')) {
    const w = quietWaiter;
    quietWaiter = null;
    w();
  }
}

async function openAll(from, to, batch) {
  for (let i = from; i < to; i++) slots.push(new Slot(i));
  for (let at = 0; at < slots.length; at += batch) {
    const group = slots.slice(at, at + batch);
    await Promise.all(
      group.map(
        (s) =>
          new Promise((resolve) => {
            s.onReady = resolve;
            s.open();
          })
      )
    );
  }
}

process.on('message', async (m) => {
  const reply = (body) => process.send({ reqId: m.reqId, ...body });
  switch (m.cmd) {
    case 'open':
      url = m.url;
      conversations = m.conversations;
      await openAll(m.from, m.to, m.batch);
      return reply({});
    case 'churn': {
      clearInterval(churnTimer);
      churnStart = Date.now();
      churnDone = 0;
      churnTimer = setInterval(() => churnTick(m.perSecond, m.abruptShare), TICK_MS);
      return reply({});
    }
    case 'quiet':
      clearInterval(churnTimer);
      churnTimer = null;
      await new Promise((resolve) => {
        quietWaiter = resolve;
        maybeQuiet();
      });
      return reply({});
    case 'check': {
      let behind = 0;
      let ahead = 0;
      for (const s of slots) {
        const last = m.lastSeq[s.conv];
        if (s.state !== 'ready' || last == null || s.expected === last + 1) continue;
        if (s.expected <= last) behind++;
        else ahead++;
        note(`slot ${s.index} ${s.conv}: last seq seen ${s.expected - 1}, the conversation's ${last}`);
      }
      return reply({ behind, ahead });
    }
    case 'stats':
      return reply({ stats, open: slots.filter((s) => s.state === 'ready').length });
    case 'exit':
      for (const s of slots) {
        s.state = 'closing';
        s.ws?.terminate();
      }
      reply({});
      setTimeout(() => process.exit(0), 100);
      return;
  }
});
process.on('disconnect', () => process.exit(0));
