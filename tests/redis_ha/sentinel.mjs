// Sentinel failover under traffic (issue 14): 1 master, 1 replica and 3
// sentinels (Debian's redis-sentinel; down-after-milliseconds 1000,
// failover-timeout 3000) on free loopback ports, one broker with
// --redis-sentinel, senders that send with a clientMessageId and send the
// same one again after each failure until it is acknowledged. Then kill -9
// of the master while they send. Checked:
//  - writes answer 503 after the kill, then are acknowledged again by the
//    same broker process (no restart) on the new master; the old master
//    comes back (empty) once the replica is promoted, and the sentinels make
//    it the new master's replica — with --redis-wait-replicas 1 and one
//    replica, writes are confirmed again only from then on;
//  - every acknowledged message is in the log exactly once, at the seq its
//    acknowledgement gave, and each sender's messages are in send order;
//    with --wait 0 (no --redis-wait-replicas) acknowledged messages that
//    are missing are counted and reported, not failed: that loss is what
//    asynchronous replication allows.
// Prints the failover window: from the kill to the first acknowledgement
// on the new master, and how long writes answered 503.
//
//   node tests/redis_ha/sentinel.mjs [--wait 1] [--replicas 1] [--senders 4] [--before-ms 2000] [--after-ms 3000]
//     [--password P]   (requirepass on every redis-server, the sentinels' auth-pass,
//                       the broker's --redis-password: AUTH through the failover)
//
// PARLEY_BINARY: the broker (default build/parley). Exit status: 0 passed,
// 1 a check failed, 2 set-up failed or the run passed its time bound.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBroker, freePort } from '../../web/test/support/broker.mjs';
import { FAST, WebSocket, devClient, readLog, sleep, waitUntil } from '../../web/test/support/sdk.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: opt } = parseArgs({
  options: {
    wait: { type: 'string', default: '1' },
    replicas: { type: 'string', default: '1' },
    senders: { type: 'string', default: '4' },
    'before-ms': { type: 'string', default: '2000' },
    'after-ms': { type: 'string', default: '3000' },
    password: { type: 'string', default: '' },
  },
});
const WAIT = Number(opt.wait);
const SENDERS = Number(opt.senders);
const REPLICAS = Number(opt.replicas);
const BINARY = path.resolve(process.env.PARLEY_BINARY || path.join(repo, 'build/parley'));
const MASTER = 'parleymaster';
const PASSWORD = opt.password;
const sentinelPorts = new Set(); // no AUTH to these: the password is the data servers'
const HARD_LIMIT_MS = 85000;

const t0 = Date.now();
const log = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(2)}] ${m}`);
const hard = setTimeout(() => {
  console.error(`sentinel test: over its ${HARD_LIMIT_MS / 1000} s bound`);
  process.exit(2);
}, HARD_LIMIT_MS);
hard.unref();

// ---- processes ----------------------------------------------------------------

const children = new Set();
const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-sentinel-'));
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function launch(bin, args, name) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  const keep = (d) => (out = (out + d).slice(-50000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((r) => child.on('exit', () => (children.delete(child), r())));
  return { name, child, exited, output: () => out };
}

// ---- a small RESP client: one command, one reply ---------------------------------

function parseReply(buf, at = 0) {
  const nl = buf.indexOf('\r\n', at);
  if (nl < 0) return null;
  const kind = buf[at];
  const line = buf.slice(at + 1, nl);
  if (kind == '+' || kind == '-' || kind == ':') return { value: kind == ':' ? Number(line) : kind == '-' ? new Error(line) : line, end: nl + 2 };
  if (kind == '$') {
    const n = Number(line);
    if (n < 0) return { value: null, end: nl + 2 };
    if (buf.length < nl + 2 + n + 2) return null;
    return { value: buf.slice(nl + 2, nl + 2 + n), end: nl + 2 + n + 2 };
  }
  if (kind == '*') {
    const n = Number(line);
    if (n < 0) return { value: null, end: nl + 2 };
    const out = [];
    let end = nl + 2;
    for (let i = 0; i < n; i++) {
      const r = parseReply(buf, end);
      if (!r) return null;
      out.push(r.value);
      end = r.end;
    }
    return { value: out, end };
  }
  throw new Error(`unexpected reply ${JSON.stringify(buf.slice(at, at + 40))}`);
}

const resp = (args) => `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('');

/** One command; with --password, a data server's is sent behind an AUTH and answers the second reply. */
function redis(port, ...args) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const auth = PASSWORD && !sentinelPorts.has(port);
    let buf = '';
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`no reply from ${port}`))), 2000);
    s.on('connect', () => s.write((auth ? resp(['AUTH', PASSWORD]) : '') + resp(args)));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let r = parseReply(buf);
      if (r && auth) {
        if (r.value instanceof Error) return clearTimeout(timer), s.destroy(), reject(r.value);
        r = parseReply(buf, r.end);
      }
      if (r) {
        clearTimeout(timer);
        s.destroy();
        resolve(r.value);
      }
    });
    s.on('error', (e) => (clearTimeout(timer), reject(e)));
  });
}

/** waitUntil, with a failing check counting as "not yet" and a pause between checks. */
const until = (what, ms, cond) =>
  waitUntil(async () => (await cond().catch(() => false)) || (await sleep(50), false), what, ms);

async function startRedis(name, extra = [], samePort = 0) {
  const port = samePort || (await freePort());
  const auth = PASSWORD ? ['--requirepass', PASSWORD, '--masterauth', PASSWORD] : [];
  const p = launch('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...auth, ...extra], name);
  await until(`${name} to answer PING`, 10000, async () => (await redis(port, 'PING')) == 'PONG');
  return { ...p, port };
}

async function startSentinel(i, masterPort) {
  const port = await freePort();
  sentinelPorts.add(port);
  const conf = path.join(dir, `sentinel-${i}.conf`);
  writeFileSync(conf, [
    `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`,
    `sentinel monitor ${MASTER} 127.0.0.1 ${masterPort} 2`,
    `sentinel down-after-milliseconds ${MASTER} 1000`,
    `sentinel failover-timeout ${MASTER} 3000`,
    `sentinel parallel-syncs ${MASTER} 1`,
    ...(PASSWORD ? [`sentinel auth-pass ${MASTER} ${PASSWORD}`] : []), '',
  ].join('\n'));
  const p = launch('redis-sentinel', [conf], `sentinel${i}`);
  await until(`sentinel ${i} to answer PING`, 10000, async () => (await redis(port, 'PING')) == 'PONG');
  return { ...p, port };
}

// ---- a raw JSON-RPC sender: every answer seen, nothing retried behind its back ----

async function rawClient(url, userId) {
  const ws = new WebSocket(url);
  await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
  let next = 1;
  const waiting = new Map();
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    const w = m.id != null && waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    w(m);
  });
  ws.on('close', () => {
    for (const w of waiting.values()) w({ error: { code: 'CLOSED', message: 'socket closed' } });
    waiting.clear();
  });
  const call = (method, params) =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  const auth = await call('authenticate', { userId, role: 'agent' });
  if (auth.error) throw new Error(`authenticate: ${auth.error.message}`);
  return { call, close: () => ws.close() };
}

// ---- the run ----------------------------------------------------------------------

let broker;
let oldPort = 0, newPort = 0;
let sentinelProcs = [];

async function main() {
  log(`sentinel failover test: --redis-wait-replicas ${WAIT}, ${REPLICAS} replica(s), ${SENDERS} senders${PASSWORD ? ', requirepass' : ''}; broker ${BINARY}`);
  const master = await startRedis('master');
  const replicas = [];
  for (let i = 1; i <= REPLICAS; i++) replicas.push(await startRedis(`replica${i}`, ['--replicaof', '127.0.0.1', String(master.port)]));
  const isReplica = (port) => replicas.some((r) => r.port == Number(port));
  oldPort = master.port;
  newPort = replicas[0].port;
  for (const r of replicas)
    await until('the replicas to sync', 20000, async () => (await redis(r.port, 'INFO', 'replication')).includes('master_link_status:up'));
  const sentinels = [];
  for (let i = 1; i <= 3; i++) sentinels.push(await startSentinel(i, master.port));
  sentinelProcs = sentinels;
  // A failover needs the sentinels to know the replica and each other.
  await until('the sentinels to see the replica and each other', 30000, async () => {
    for (const s of sentinels) {
      const reps = await redis(s.port, 'SENTINEL', 'replicas', MASTER);
      const peers = await redis(s.port, 'SENTINEL', 'sentinels', MASTER);
      if (!Array.isArray(reps) || reps.length < REPLICAS || !Array.isArray(peers) || peers.length < 2) return false;
    }
    return true;
  });
  log(`master :${master.port}, replicas ${replicas.map((r) => ':' + r.port).join(' ')}, sentinels ${sentinels.map((s) => ':' + s.port).join(' ')}`);

  broker = await startBroker({
    binary: BINARY,
    args: ['--dev', '--threads', '1', ...FAST, '--redis-sentinel', sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
      '--redis-master-name', MASTER, ...(WAIT > 0 ? ['--redis-wait-replicas', String(WAIT)] : []),
      ...(PASSWORD ? ['--redis-password', PASSWORD] : [])],
  });
  const pid = broker.process.pid;
  await until('the broker to be ready', 15000, async () => (await fetch(`${broker.httpUrl}/readyz`)).status == 200);

  const admin = devClient(broker.wsUrl, 'ha-admin');
  await admin.connect();
  const conversationId = (await admin.createConversation({ displayName: 'sentinel failover' })).id;
  const senders = [];
  for (let i = 0; i < SENDERS; i++) {
    const userId = `ha-sender${i + 1}`;
    const c = await rawClient(broker.wsUrl, userId);
    const j = await c.call('join', { conversationId });
    if (j.error) throw new Error(`join: ${j.error.message}`);
    senders.push({ userId, c, sent: [] });
  }

  // Each sender: one message at a time, the same clientMessageId again after a failure.
  let sending = true;
  let killedAt = 0;
  const errors = {};
  const fails = []; // times of failed answers after the kill
  let firstAckAfterKill = 0;
  const loop = async (s) => {
    for (let n = 0; sending; n++) {
      const msg = { clientMessageId: `${s.userId}-${n}`, text: `${s.userId} #${n}`, acked: null };
      s.sent.push(msg);
      while (sending || msg.calls == null) {
        msg.calls = (msg.calls || 0) + 1;
        const r = await s.c.call('sendMessage', { conversationId, text: msg.text, clientMessageId: msg.clientMessageId });
        if (!r.error) {
          msg.acked = { seq: r.result.seq, at: Date.now() };
          if (killedAt && !firstAckAfterKill && fails.length) firstAckAfterKill = msg.acked.at;
          break;
        }
        errors[r.error.code] = (errors[r.error.code] || 0) + 1;
        if (killedAt) fails.push(Date.now());
        if (r.error.code != 503 && r.error.code != 'CLOSED') {
          // What each server and sentinel thought at that moment.
          for (const p of [oldPort, newPort]) console.error(`:${p}`, await redis(p, 'ROLE').catch((e) => e), 'keys', await redis(p, 'DBSIZE').catch((e) => e));
          for (const x of sentinelProcs) console.error(`${x.name} names`, await redis(x.port, 'SENTINEL', 'get-master-addr-by-name', MASTER).catch((e) => e), `\n${x.output().slice(-3000)}`);
          throw new Error(`sendMessage: ${r.error.code} ${r.error.message} (${Date.now() - killedAt} ms after the kill)`);
        }
        if (r.error.code == 'CLOSED') return;
        await sleep(20);
      }
    }
  };
  const failures = [];
  const loops = senders.map((s) =>
    loop(s).catch((e) => {
      failures.push(e.message);
      sending = false;
    })
  );
  await sleep(Number(opt['before-ms']));
  const ackedBefore = senders.reduce((n, s) => n + s.sent.filter((m) => m.acked).length, 0);
  log(`${ackedBefore} acknowledged; kill -9 of the master`);
  killedAt = Date.now();
  master.child.kill('SIGKILL');
  // The dead machine comes back, once every sentinel names the promoted
  // replica (not before: an empty master back while a sentinel still takes
  // it for the master would be kept by that one, and the replica told to
  // copy its emptiness). They make it a replica of the
  // new master: with --redis-wait-replicas 1 and one replica, writes can be
  // confirmed again only from then on.
  await until('the sentinels to promote the replica', 30000, async () => {
    for (const x of sentinels) {
      const m = await redis(x.port, 'SENTINEL', 'get-master-addr-by-name', MASTER);
      if (!isReplica(m?.[1])) return false;
    }
    return true;
  });
  const switchedAt = Date.now();
  log(`every sentinel names the replica as master ${switchedAt - killedAt} ms after the kill; the old master restarts empty`);
  await startRedis('old-master', [], master.port);
  await until('writes to be acknowledged again', 60000, async () => firstAckAfterKill > 0 || !sending);
  log(`writes acknowledged again ${firstAckAfterKill - killedAt} ms after the kill`);
  log(`the old master's role now: ${(await redis(master.port, 'ROLE').catch(() => ['?']))[0]}`);
  await sleep(Number(opt['after-ms']));
  sending = false;
  await Promise.all(loops);

  if (!fails.length) failures.push('no write answered 503 after the kill');
  if (broker.process.exitCode != null || broker.process.pid != pid) failures.push('the broker did not survive the failover');
  const newMaster = await redis(sentinels[0].port, 'SENTINEL', 'get-master-addr-by-name', MASTER);
  if (!newMaster || !isReplica(newMaster[1])) failures.push(`the sentinels name ${newMaster} as master, not a replica`);
  const ackedAfter = senders.reduce((n, s) => n + s.sent.filter((m) => m.acked && m.acked.at > firstAckAfterKill - 1).length, 0);
  if (ackedAfter < SENDERS) failures.push(`only ${ackedAfter} acknowledged after the failover`);

  // Read the log back on the new master and account for every acknowledged message.
  const events = await readLog(admin, conversationId);
  const where = new Map(); // userId/clientMessageId -> [seq...]
  for (const e of events) {
    if (!e.clientMessageId) continue;
    const k = `${e.from?.userId}/${e.clientMessageId}`;
    where.set(k, [...(where.get(k) || []), e.seq]);
  }
  let acked = 0, lost = 0, duplicated = 0, moved = 0, disorder = 0;
  const lostList = [];
  for (const s of senders) {
    let last = 0;
    for (const m of s.sent) {
      const seqs = where.get(`${s.userId}/${m.clientMessageId}`) || [];
      if (seqs.length > 1) duplicated++;
      if (!m.acked) continue;
      acked++;
      if (!seqs.length) {
        lost++;
        lostList.push(`${m.clientMessageId} (acked seq ${m.acked.seq}, ${m.acked.at - killedAt} ms from the kill)`);
        continue;
      }
      if (seqs[0] != m.acked.seq) moved++;
      if (seqs[0] < last) disorder++;
      last = seqs[0];
    }
  }
  const firstFail = fails.length ? Math.min(...fails) : killedAt;
  const lastFail = fails.length ? Math.max(...fails) : killedAt;
  log(`answers that were errors: ${JSON.stringify(errors)}`);
  log(`RESULT wait-replicas=${WAIT} replicas=${REPLICAS}: acknowledged ${acked}, lost ${lost}, duplicated ${duplicated}, at another seq ${moved}, out of order ${disorder}; ` +
      `the replica promoted ${switchedAt - killedAt} ms after the kill; writes acknowledged again ${firstAckAfterKill - killedAt} ms after the kill; 503 answered from +${firstFail - killedAt} to +${lastFail - killedAt} ms`);
  if (lostList.length) log(`lost: ${lostList.slice(0, 10).join(', ')}${lostList.length > 10 ? ', …' : ''}`);
  if (duplicated) failures.push(`${duplicated} messages are in the log more than once`);
  if (disorder) failures.push(`${disorder} messages are out of their sender's order`);
  if (WAIT > 0 && (lost || moved)) failures.push(`with --redis-wait-replicas ${WAIT}: ${lost} acknowledged messages lost, ${moved} at another seq`);
  admin.close();
  for (const s of senders) s.c.close();
  await broker.stop();
  if (failures.length) {
    console.error(`FAILED:\n- ${failures.join('\n- ')}\nbroker output (tail):\n${broker.output().slice(-4000)}`);
    process.exit(1);
  }
  log('passed');
  process.exit(0);
}

main().catch((e) => {
  console.error(`sentinel test: set-up failed: ${e.stack || e}`);
  if (broker) console.error(`broker output (tail):\n${broker.output().slice(-4000)}`);
  for (const s of sentinelProcs) console.error(`${s.name} output (tail):\n${s.output().slice(-1500)}`);
  process.exit(2);
});
