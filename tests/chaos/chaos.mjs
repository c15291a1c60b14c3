// Chaos run (issue 12 §5): three broker nodes on one Redis (AOF, appendfsync
// always), clients through link-cutting proxies, senders and subscribers
// under load, and faults at random (seeded) times: kill -9 of a node and its
// restart, Redis restarted or paused, links cut, cut mid-frame or stalled.
// Then the checker (checker.mjs) reads every conversation's final log from
// every node and proves what was promised. Exit status: 0 when nothing was
// violated, 1 on a violation, 2 on a usage or set-up error, 3 when the run
// overran its time bound.
//
//   node tests/chaos/chaos.mjs [--duration 120] [--seed N] [--conversations 8]
//        [--senders 4] [--subscribers 3] [--rate 150] [--small-replay 60] [--out DIR]
//        [--sabotage lose|dup]
//
// PARLEY_BINARY: the broker (default build/parley of this checkout).

import { copyFileSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ParleyClient } from '../../web/sdk/parley.js';
import { WebSocket, readLog, sleep } from '../../web/test/support/sdk.mjs';
import { startAofRedis, startNode, startLinkProxy } from './cluster.mjs';
import { checkConversation, fingerprint, newReport, violationKinds } from './checker.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const { values: opt } = parseArgs({
  options: {
    duration: { type: 'string', default: '120' },
    seed: { type: 'string' },
    conversations: { type: 'string', default: '8' },
    senders: { type: 'string', default: '4' },
    subscribers: { type: 'string', default: '3' },
    nodes: { type: 'string', default: '3' },
    rate: { type: 'string', default: '150' },
    'small-replay': { type: 'string', default: '60' },
    out: { type: 'string' },
    sabotage: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (opt.help) {
  console.log('usage: node tests/chaos/chaos.mjs [--duration S] [--seed N] [--conversations N] [--senders N] [--subscribers N] [--nodes N] [--rate MSG_PER_S] [--small-replay N] [--out DIR] [--sabotage lose|dup]');
  process.exit(0);
}
const num = (name, min) => {
  const v = Number(opt[name]);
  if (!Number.isFinite(v) || v < min) {
    console.error(`--${name} wants a number ≥ ${min}`);
    process.exit(2);
  }
  return v;
};
const DURATION_S = num('duration', 1);
const SEED = opt.seed != null ? num('seed', 0) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
const CONVERSATIONS = num('conversations', 1);
const SENDERS = num('senders', 1);
const SUBSCRIBERS = num('subscribers', 1);
const NODES = num('nodes', 1);
const RATE = num('rate', 1);
/** The last node replays at most this many events on subscribe: longer holes there are resets. */
const SMALL_REPLAY = num('small-replay', 0);
const OUT = path.resolve(opt.out || path.join(repo, 'build/chaos'));
const BINARY = path.resolve(process.env.PARLEY_BINARY || path.join(repo, 'build/parley'));
if (opt.sabotage && !['lose', 'dup'].includes(opt.sabotage)) {
  console.error('--sabotage is lose or dup');
  process.exit(2);
}
/** How long the ending may take: sends to drain, subscribers to catch up (each). */
const SETTLE_MS = 60000;
/** The whole run's bound: past it everything is killed and the exit status is 3. */
const HARD_LIMIT_MS = DURATION_S * 1000 + 4 * SETTLE_MS + 60000;

// ---- time, log, randomness --------------------------------------------------

const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(2);
const lines = [];
const log = (msg) => {
  const line = `[${secs().padStart(7)}s] ${msg}`;
  lines.push(line);
  console.log(line);
};

/** mulberry32: a small seeded generator, one per stream of choices. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    between: (lo, hi) => lo + next() * (hi - lo),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    /** a key of `weights` with probability proportional to its weight */
    weighted(weights) {
      const total = Object.values(weights).reduce((a, b) => a + b, 0);
      let x = next() * total;
      for (const [k, w] of Object.entries(weights)) if ((x -= w) < 0) return k;
      return Object.keys(weights)[0];
    },
  };
}
const processRng = rng(SEED);
const linkRng = rng(SEED ^ 0x9e3779b9);
const loadRng = rng(SEED + 1);

// ---- bounded, and clean on any exit ------------------------------------------

let cleanup = async () => {};
const hardStop = setTimeout(() => {
  log(`the run overran its bound of ${HARD_LIMIT_MS / 1000} s: killing everything`);
  writeOut('overran');
  process.exit(3);
}, HARD_LIMIT_MS);
hardStop.unref();
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(130));
for (const what of ['unhandledRejection', 'uncaughtException'])
  process.on(what, (e) => {
    log(`${what}: ${e?.stack || e}`);
    writeOut('error');
    process.exit(2);
  });

// ---- the cluster -------------------------------------------------------------

const faults = [];
const faultCounts = {};
const fault = (kind, detail) => {
  faults.push({ t: Number(secs()), kind, detail });
  faultCounts[kind] = (faultCounts[kind] || 0) + 1;
  log(`fault ${kind}: ${detail}`);
};

let redis;
const nodes = [];
/** @type {{name: string, proxy: any, client: any}[]} */
const clients = [];

function writeOut(status, extra = {}) {
  try {
    mkdirSync(OUT, { recursive: true });
    writeFileSync(path.join(OUT, 'run.log'), lines.join('\n') + '\n');
    writeFileSync(path.join(OUT, 'faults.json'), JSON.stringify(faults, null, 1));
    writeFileSync(path.join(OUT, 'summary.json'), JSON.stringify({ status, seed: SEED, durationS: DURATION_S, faults: faultCounts, ...extra }, null, 1));
    if (status != 'passed') {
      for (const n of nodes) writeFileSync(path.join(OUT, `${n.name}.log`), n.output());
      if (redis) writeFileSync(path.join(OUT, 'redis.log'), redis.output());
    }
  } catch (e) {
    console.error(`could not write ${OUT}: ${e}`);
  }
}

/**
 * A `ws` WebSocket that records, per socket, what the broker pushes for
 * each conversation after each subscribe answer: the raw stream the SDK
 * then orders and de-duplicates. `streams` gets {conversationId, name,
 * start, reason, data}; `orphans` counts events before any subscribe answer.
 */
function recordingWebSocket(owner, streams, orphans, proxy) {
  let sockets = 0;
  return class extends WebSocket {
    constructor(url, ...rest) {
      super(url, ...rest);
      const sock = ++sockets;
      // The node this socket reaches (the proxy's target when it opened) and when.
      const node = nodes.find((n) => n.port == proxy.target)?.name ?? '?';
      const opened = secs();
      this._subscribing = new Map();
      this._current = new Map();
      const open = (conversationId, start, reason) => {
        const st = { conversationId, name: `${owner}#${sock} (${node}, opened at ${opened} s, answered at ${secs()} s)`, start, reason, data: [] };
        streams.push(st);
        this._current.set(conversationId, st);
      };
      this.on('message', (raw) => {
        let msg;
        try {
          msg = JSON.parse(String(raw));
        } catch {
          return;
        }
        for (const m of Array.isArray(msg) ? msg : [msg]) {
          if (m.id != null && this._subscribing.has(m.id)) {
            const p = this._subscribing.get(m.id);
            this._subscribing.delete(m.id);
            if (!m.result) continue;
            const r = m.result;
            const replay = p.sinceSeq != null && r.recovered;
            open(p.conversationId, replay ? p.sinceSeq + 1 : r.lastSeq + 1, replay ? `subscribe since ${p.sinceSeq}` : `subscribe, live from ${r.lastSeq} (recovered ${r.recovered})`);
          } else if (m.method == 'event') {
            const e = m.params;
            const st = this._current.get(e.conversationId);
            if (!st) orphans.set(e.conversationId, (orphans.get(e.conversationId) || 0) + 1);
            else {
              const last = st.data.length ? st.data[st.data.length - 3] : st.start - 1;
              // Said at once, with the time, so that the broker's logs can be read around it.
              if (e.seq != last + 1) log(`${st.name}: ${e.conversationId.slice(0, 8)} seq ${e.seq} came after ${last} (${st.reason})`);
              st.data.push(e.seq, e.prevSeq, fingerprint(e));
            }
          } else if (m.method == 'subscriptionReset') {
            open(m.params.conversationId, m.params.lastSeq + 1, `subscriptionReset ${m.params.reason}`);
          }
        }
      });
    }
    send(data, ...rest) {
      if (typeof data == 'string' && data.includes('"subscribe"')) {
        try {
          const m = JSON.parse(data);
          if (m.method == 'subscribe') this._subscribing.set(m.id, m.params);
        } catch {}
      }
      return super.send(data, ...rest);
    }
  };
}

function newClient(url, userId, WS = WebSocket) {
  return new ParleyClient({
    url,
    WebSocket: WS,
    dev: { userId, role: 'agent' },
    reconnect: { minDelayMs: 20, maxDelayMs: 500 },
    requestTimeoutMs: 5000,
    heartbeatMs: 3000,
    maxQueue: 1000,
  });
}

/** Calls until it works (set-up, before any fault), for up to 30 s. */
async function retry(what, f) {
  const end = Date.now() + 30000;
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if (Date.now() > end) throw new Error(`${what}: ${e.message}`);
      await sleep(200);
    }
  }
}

// ---- load ---------------------------------------------------------------------

const convIds = [];
/** every message attempted: {conversationId, userId, clientMessageId, text, acked, calls} */
const sends = [];
const sendErrors = {};
let loading = true;
let retrying = true;
let calls = 0;
/** @type {{userId: string, client: any, proxy: any, entry: any, pending: Set<any>}[]} */
const sendersList = [];

/** Sends `msg` through the sender's current client, again after each failure, until acknowledged or given up. */
async function sendUntilAcked(sender, msg) {
  while (retrying && !msg.abandoned) {
    msg.calls++;
    calls++;
    try {
      const r = await sender.client.sendMessage(msg.conversationId, msg.text, { clientMessageId: msg.clientMessageId });
      msg.acked = { seq: r.seq, epoch: r.epoch, duplicate: !!r.duplicate };
      return;
    } catch (e) {
      const code = String(e.code ?? e.message);
      sendErrors[code] = (sendErrors[code] || 0) + 1;
      if (!retrying || msg.abandoned) return;
      await sleep(loadRng.int(100, 500));
    }
  }
}

async function senderLoop(sender) {
  const { userId } = sender;
  const window = 4;
  const every = (1000 * SENDERS) / RATE;
  let inflight = 0;
  let n = 0;
  const pending = new Set();
  while (loading) {
    if (inflight < window) {
      const conversationId = loadRng.pick(convIds);
      const msg = { conversationId, userId, clientMessageId: `${userId}-${SEED}-${n}`, text: `${userId} says ${n} to ${conversationId.slice(0, 8)}`, acked: null, calls: 0, abandoned: false };
      n++;
      sends.push(msg);
      inflight++;
      sender.pending.add(msg);
      const p = sendUntilAcked(sender, msg).finally(() => {
        sender.pending.delete(msg);
        inflight--;
        pending.delete(p);
      });
      pending.add(p);
    }
    await sleep(every);
  }
  await Promise.all(pending);
}

/** A subscriber's view: per conversation, the segments the application saw. */
function subscriberStreams(name, client, conversationId, sub, rereads) {
  const st = { conversationId, name, segments: [{ kind: 'live', data: [] }], ended: null };
  let last = 0;
  const live = () => st.segments[st.segments.length - 1];
  sub.on('event', (e) => {
    live().data.push(e.seq, e.prevSeq, fingerprint(e));
    last = e.seq;
  });
  sub.on('reset', (info) => {
    // The application pages the hole (last, info.lastSeq] and goes on live after it.
    const hole = { kind: 'reread', data: [] };
    st.segments.push(hole, { kind: 'live', data: [] });
    const from = last + 1;
    const to = info.lastSeq;
    last = info.lastSeq;
    log(`${name}: reset of ${conversationId.slice(0, 8)} (${info.reason}), re-reading ${from}..${to}`);
    rereads.add(
      (async () => {
        for (let seq = from; seq <= to && retrying; ) {
          try {
            const page = await client.queryMessages({ conversationId, fromSeq: seq, toSeq: to, limit: 200 });
            for (const e of page.data) hole.data.push(e.seq, e.prevSeq, fingerprint(e));
            if (!page.data.length) break;
            seq = page.data[page.data.length - 1].seq + 1;
          } catch {
            await sleep(300);
          }
        }
      })()
    );
  });
  sub.on('ended', (info) => (st.ended = info.reason));
  return st;
}

// ---- faults -------------------------------------------------------------------

let faulting = true;

async function processFaults() {
  while (faulting) {
    await sleep(processRng.between(2000, 8000));
    if (!faulting) return;
    const kind = processRng.weighted({ node: 4, 'redis-restart': 4, 'redis-pause': 3 });
    if (kind == 'node') {
      const node = processRng.pick(nodes);
      const down = processRng.int(200, 3000);
      fault('node-kill-9', `${node.name} (port ${node.port}) killed, restarted after ${down} ms`);
      await node.kill();
      const others = nodes.filter((n) => n.up);
      for (const c of clients)
        if (c.proxy.target == node.port && others.length && processRng.next() < 0.5) {
          const to = processRng.pick(others);
          c.proxy.setTarget(to.port);
          fault('client-moved', `${c.name} now reaches ${to.name}`);
        }
      await sleep(down);
      await node.start();
      log(`${node.name} serves again`);
    } else if (kind == 'redis-restart') {
      const signal = processRng.next() < 0.5 ? 'SIGTERM' : 'SIGKILL';
      const down = processRng.int(100, 3000);
      fault(signal == 'SIGTERM' ? 'redis-restart-term' : 'redis-restart-kill', `redis ${signal}, restarted from its AOF after ${down} ms`);
      await redis.restart(signal, down);
      log('redis serves again');
    } else {
      const ms = processRng.int(500, 5000);
      fault('redis-pause', `redis SIGSTOP for ${ms} ms`);
      await redis.pause(ms);
      log('redis SIGCONT');
    }
  }
}

async function linkFaults() {
  while (faulting) {
    await sleep(linkRng.between(500, 3000));
    if (!faulting) return;
    const c = linkRng.pick(clients);
    const kind = linkRng.weighted({ cut: 3, midframe: 3, 'midframe-up': 1, stall: 3, crash: 1 });
    if (kind == 'crash') {
      // A sender's process dies: what it had in flight is never retried (unacknowledged,
      // stored once or not at all); the user comes back on a new client.
      const s = linkRng.pick(sendersList);
      const lost = [...s.pending].filter((m) => !m.acked);
      for (const m of lost) m.abandoned = true;
      const old = s.client;
      s.client = newClient(s.proxy.wsUrl, s.userId);
      s.entry.client = s.client;
      old.close();
      s.client.connect().catch(() => {});
      fault('sender-crash', `${s.userId}: client closed with ${lost.length} sends in flight (given up), a new one connects`);
    } else if (kind == 'cut') fault('link-cut', `${c.name}: ${c.proxy.cut()} links cut`);
    else if (kind == 'midframe') {
      const n = linkRng.int(1, 400);
      c.proxy.cutAfter(n, 'down');
      fault('link-cut-midframe', `${c.name}: cut after ${n} more bytes to the client`);
    } else if (kind == 'midframe-up') {
      const n = linkRng.int(1, 200);
      c.proxy.cutAfter(n, 'up');
      fault('link-cut-midframe', `${c.name}: cut after ${n} more bytes to the broker`);
    } else {
      const n = linkRng.int(0, 400);
      const ms = linkRng.int(500, 8000);
      const then = linkRng.next() < 0.5 ? 'resume' : 'cut';
      c.proxy.stall(n, ms, then);
      fault(`link-stall-${then}`, `${c.name}: after ${n} more bytes, stalled ${ms} ms, then ${then}`);
    }
  }
}

// ---- the run ------------------------------------------------------------------

async function main() {
  // The run uses a copy of the broker: a rebuild of PARLEY_BINARY meanwhile cannot break a restart.
  const binDir = mkdtempSync(path.join(os.tmpdir(), 'parley-chaos-bin-'));
  process.on('exit', () => rmSync(binDir, { recursive: true, force: true }));
  copyFileSync(BINARY, path.join(binDir, 'parley'));
  log(`chaos run: seed ${SEED}, ${DURATION_S} s, ${NODES} nodes, ${CONVERSATIONS} conversations, ${SENDERS} senders, ${SUBSCRIBERS} subscribers, ~${RATE} msg/s; broker ${BINARY}`);
  redis = await startAofRedis();
  log(`redis on ${redis.port} (appendonly yes, appendfsync always)`);
  for (let i = 1; i <= NODES; i++) {
    const small = i == NODES && NODES > 1 && SMALL_REPLAY > 0;
    nodes.push(await startNode(`n${i}`, redis.url, path.join(binDir, 'parley'), small ? ['--max-replay', String(SMALL_REPLAY)] : []));
  }
  log(`nodes: ${nodes.map((n) => `${n.name} on ${n.port}`).join(', ')}${NODES > 1 && SMALL_REPLAY > 0 ? `; n${NODES} with --max-replay ${SMALL_REPLAY}` : ''}`);

  const admin = newClient(`ws://127.0.0.1:${nodes[0].port}/ws`, 'chaos-admin');
  await admin.connect();
  for (let i = 0; i < CONVERSATIONS; i++) {
    const c = await retry('createConversation', () => admin.createConversation({ displayName: `chaos ${SEED} #${i}` }));
    convIds.push(c.id);
  }

  for (let i = 0; i < SENDERS; i++) {
    const proxy = await startLinkProxy(nodes[i % NODES].port);
    const userId = `sender${i + 1}`;
    const client = newClient(proxy.wsUrl, userId);
    const entry = { name: userId, proxy, client };
    clients.push(entry);
    await client.connect();
    for (const id of convIds) await retry('join', () => client.join({ conversationId: id }));
    sendersList.push({ userId, client, proxy, entry, pending: new Set() });
  }
  const socketStreams = [];
  const orphans = new Map();
  const appStreams = [];
  const rereads = new Set();
  const subscribers = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const proxy = await startLinkProxy(nodes[(i + 1) % NODES].port);
    const userId = `watcher${i + 1}`;
    const client = newClient(proxy.wsUrl, userId, recordingWebSocket(userId, socketStreams, orphans, proxy));
    clients.push({ name: userId, proxy, client });
    await client.connect();
    const subs = [];
    for (const id of convIds) {
      const sub = await retry('subscribe', () => client.subscribe(id, { sinceSeq: 0 }));
      appStreams.push(subscriberStreams(userId, client, id, sub, rereads));
      subs.push(sub);
    }
    subscribers.push({ userId, client, subs });
  }
  log(`clients: ${clients.map((c) => `${c.name} → ${nodes.find((n) => n.port == c.proxy.target).name}`).join(', ')}`);

  // Load and faults for the duration.
  const load = sendersList.map((s) => senderLoop(s));
  const faulters = [processFaults(), linkFaults()];
  const progress = setInterval(() => log(`progress: ${sends.filter((m) => m.acked).length} acknowledged of ${sends.length} attempted`), 15000);
  await sleep(DURATION_S * 1000);
  faulting = false;
  loading = false;
  log('load and faults stop; healing');
  await Promise.all(faulters);
  for (const c of clients) c.proxy.heal();
  await redis.ensureRunning();
  for (const n of nodes) if (!n.up) await n.start();

  // Every send still pending gets SETTLE_MS to be acknowledged.
  const drainEnd = Date.now() + SETTLE_MS;
  while (sends.some((m) => !m.acked && !m.abandoned) && Date.now() < drainEnd) await sleep(200);
  retrying = false;
  clearInterval(progress);
  const unacked = sends.filter((m) => !m.acked).length;
  log(`sends settled: ${sends.length - unacked} acknowledged, ${unacked} not (${sends.filter((m) => m.abandoned).length} given up by crashed senders)`);
  for (const s of sendersList) await s.client.close();
  await Promise.race([Promise.all(load), sleep(5000)]);
  await sleep(2000); // a request the broker had already taken is stored by now

  // Read every conversation from every node, directly; the subscribers catch up meanwhile.
  const readers = nodes.map((n) => ({ node: n.name, client: newClient(`ws://127.0.0.1:${n.port}/ws`, `chaos-reader-${n.name}`) }));
  for (const r of readers) await retry(`connect to ${r.node}`, () => r.client.connect());
  const report = newReport();
  const finalSeq = new Map();
  const logsByConv = new Map();
  for (const id of convIds) {
    const logs = {};
    for (const r of readers) {
      try {
        logs[r.node] = await retry(`queryMessages on ${r.node}`, () => readLog(r.client, id));
      } catch (e) {
        logs[r.node] = { error: e.message };
      }
    }
    const first = Object.values(logs).find(Array.isArray);
    finalSeq.set(id, first ? first.length : 0);
    logsByConv.set(id, logs);
  }
  const caughtUp = () => subscribers.every((s) => s.subs.every((sub) => !sub.active || sub.lastSeq >= finalSeq.get(sub.conversationId)));
  const catchEnd = Date.now() + SETTLE_MS;
  while (!caughtUp() && Date.now() < catchEnd) await sleep(200);
  await Promise.race([Promise.all(rereads), sleep(10000)]);
  retrying = false;
  log(caughtUp() ? 'every subscriber has caught up' : 'some subscriber has not caught up (the checker says which)');

  if (opt.sabotage) sabotage(logsByConv);
  for (const id of convIds) {
    checkConversation(report, {
      id,
      logs: logsByConv.get(id),
      sends: sends.filter((m) => m.conversationId == id),
      appStreams: appStreams.filter((s) => s.conversationId == id),
      socketStreams: socketStreams.filter((s) => s.conversationId == id),
      orphanEvents: orphans.get(id) || 0,
    });
    logsByConv.delete(id);
  }
  for (const c of [...clients.map((c) => c.client), ...readers.map((r) => r.client), admin]) c.close();
  return report;
}

/** --sabotage: damages what was read, to see the checker fail end to end. */
function sabotage(logsByConv) {
  for (const logs of logsByConv.values())
    for (const [node, entries] of Object.entries(logs)) {
      if (!Array.isArray(entries)) continue;
      const i = entries.findIndex((e) => e.type == 'message');
      if (i < 0) continue;
      if (opt.sabotage == 'lose') {
        entries.splice(i, 1);
        entries.forEach((e, k) => (e.seq = k + 1));
      } else entries.push({ ...entries[i], seq: entries.length + 1 });
      log(`sabotage (${opt.sabotage}): ${node}'s copy of ${entries[0].conversationId.slice(0, 8)} altered`);
    }
}

cleanup = async () => {
  for (const c of clients) await c.proxy.close().catch(() => {});
  for (const n of nodes) await n.stop().catch(() => {});
  if (redis) await redis.stop().catch(() => {});
};

let status = 2;
try {
  const report = await main();
  const c = report.counts;
  const ok = report.violations.length == 0 && report.unlisted == 0;
  const summary = {
    seed: SEED,
    durationS: DURATION_S,
    conversations: CONVERSATIONS,
    events: c.events,
    attempted: c.attempted,
    acknowledged: c.acknowledged,
    acknowledgedAsDuplicate: c.acknowledgedAsDuplicate,
    unacknowledged: c.unacknowledged,
    unacknowledgedStored: c.unacknowledgedStored,
    sendCalls: calls,
    sendErrors,
    faults: faultCounts,
    faultsTotal: faults.length,
    lost: c.lost,
    duplicated: c.duplicated,
    phantom: c.phantom,
    ackMismatch: c.ackMismatch,
    nodeDivergence: c.nodeDivergence,
    streams: c.streams,
    streamEvents: c.streamEvents,
    resets: c.resets,
    gaps: c.gaps,
    streamDuplicates: c.streamDuplicates,
    outOfOrder: c.outOfOrder,
    contentMismatch: c.contentMismatch,
    behind: c.behind,
    violations: report.violations.length + report.unlisted,
    violationKinds: violationKinds(report),
    elapsedS: Number(secs()),
  };
  console.log('\n== chaos summary ==');
  for (const [k, v] of Object.entries(summary)) console.log(`${k.padEnd(24)} ${typeof v == 'object' ? JSON.stringify(v) : v}`);
  for (const v of report.violations) log(`VIOLATION ${v.kind} in ${v.conversationId}: ${v.detail}`);
  if (report.unlisted) log(`… and ${report.unlisted} more violations`);
  log(ok ? 'PASSED: no violation' : `FAILED: ${summary.violations} violations (seed ${SEED})`);
  status = ok ? 0 : 1;
  writeOut(ok ? 'passed' : 'failed', { summary, violations: report.violations });
} catch (e) {
  log(`the run could not complete: ${e?.stack || e}`);
  writeOut('error');
  status = 2;
}
await Promise.race([cleanup(), sleep(15000)]);
process.exit(status);
