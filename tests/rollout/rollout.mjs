// Production shape, end to end (issue 15 items 5 and 6): two nodes on one
// Redis behind nginx (deploy/nginx.conf itself, on free ports), clients on
// wss:// with a self-signed certificate made by openssl for this run, and
// traffic running throughout:
//   1. nginx is killed and started again: every TLS link is cut; the
//      clients come back through it and resume;
//   2. a rolling restart: each node in turn gets SIGTERM (it drains: /readyz
//      503, then its sockets close 1012 over --drain-spread-sec), exits, and
//      starts again on its port.
// Then, for every client: each acknowledged message is in the log exactly
// once with its text, no message is in it twice, and the client's
// subscription saw the whole log, each event once and in order.
//
//   node tests/rollout/rollout.mjs [--clients N] [--settle-ms N]
// Needs nginx and openssl; PARLEY_BINARY names the broker (default build/parley).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, startRedis, freePort } from '../../web/test/support/broker.mjs';
import { WebSocket, FAST, readLog } from '../../web/test/support/sdk.mjs';
import { ParleyClient } from '../../web/sdk/parley.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const CLIENTS = arg('--clients', 8);
const SETTLE_MS = arg('--settle-ms', 1500);
const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 23)}] rollout:`, ...a);

let clients = [];
const states = () =>
  clients.map((c) => `u${c.i}:${c.client.state}` + (c.client.state == 'connected' ? '' : ` [${c.trace.slice(-12).join('; ')}]`)).join(' ');

async function waitUntil(cond, what, ms = 20000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) {
      let nginxLog = '';
      try {
        nginxLog = readFileSync(path.join(dir, 'logs/error.log'), 'utf8').split('\n').slice(-8).join('\n');
      } catch {}
      throw new Error(`timed out waiting for ${what} (clients ${states()})\nnginx error.log:\n${nginxLog}`);
    }
    await sleep(20);
  }
}

const status = async (port, p) => {
  try {
    return (await fetch(`http://127.0.0.1:${port}${p}`)).status;
  } catch {
    return 0;
  }
};

// --- the certificate and nginx ------------------------------------------------
const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-rollout-'));
process.on('exit', (code) => (code ? console.error(`rollout: kept ${dir}`) : rmSync(dir, { recursive: true, force: true })));
for (const d of ['certs', 'logs', 'tmp']) mkdirSync(path.join(dir, d));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
  '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  '-keyout', path.join(dir, 'certs/parley.key'), '-out', path.join(dir, 'certs/parley.crt')], { stdio: 'ignore' });
const ca = readFileSync(path.join(dir, 'certs/parley.crt'));

const [portA, portB, portHttp, portTls] = [await freePort(), await freePort(), await freePort(), await freePort()];
let conf = readFileSync(path.join(root, 'deploy/nginx.conf'), 'utf8');
for (const [from, to] of [
  ['server 127.0.0.1:8081 ', `server 127.0.0.1:${portA} `],
  ['server 127.0.0.1:8082 ', `server 127.0.0.1:${portB} `],
  ['listen 127.0.0.1:8080;', `listen 127.0.0.1:${portHttp};`],
  ['listen 127.0.0.1:8443 ssl;', `listen 127.0.0.1:${portTls} ssl;`],
  ['worker_processes auto;', 'worker_processes 1;'],
  ['worker_connections 65536;', 'worker_connections 1024;'],
  ['worker_rlimit_nofile 262144;', ''],
]) {
  if (!conf.includes(from)) throw new Error(`deploy/nginx.conf has no "${from}" any more: update rollout.mjs`);
  conf = conf.replace(from, to);
}
writeFileSync(path.join(dir, 'nginx.conf'), conf);
const nginxBin = ['/usr/sbin/nginx', 'nginx'].find((b) => {
  try {
    execFileSync(b, ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
if (!nginxBin) throw new Error('nginx is not installed');

let nginx;
async function startNginx() {
  nginx = spawn(nginxBin, ['-p', dir + '/', '-e', path.join(dir, 'logs/error.log'), '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'inherit' });
  nginx.exited = new Promise((r) => nginx.on('exit', r));
  await waitUntil(async () => (await status(portHttp, '/healthz')) == 200, 'nginx');
}
process.on('exit', () => nginx?.kill('SIGKILL'));

// --- the nodes ---------------------------------------------------------------
const redis = await startRedis();
const nodeArgs = (id) => ['--dev', ...FAST, '--redis', redis.url, '--node-id', id, '--drain-sec', '1', '--drain-spread-sec', '2'];
const nodes = [
  { id: 'n1', port: portA },
  { id: 'n2', port: portB },
];
for (const n of nodes) n.broker = await startBroker({ port: n.port, args: nodeArgs(n.id) });
for (const n of nodes) await waitUntil(async () => (await status(n.port, '/readyz')) == 200, `${n.id} ready`);
await startNginx();
log(`nodes on ${portA} and ${portB}, nginx on ${portHttp} and wss://127.0.0.1:${portTls}/ws`);

// --- clients and traffic -----------------------------------------------------
class TlsWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols, { ca });
  }
}
for (let i = 0; i < CLIENTS; i++) {
  const closes = [];
  const trace = [];
  class Recording extends TlsWebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      this.on('close', (code) => closes.push(code));
      const t0 = Date.now();
      trace.push(`${new Date().toISOString().slice(14, 23)} new`);
      this.on('open', () => trace.push(`+${Date.now() - t0}ms open`));
      this.on('error', (e) => trace.push(`+${Date.now() - t0}ms error ${e.message}`));
      this.on('close', (code) => trace.push(`+${Date.now() - t0}ms close ${code}`));
    }
  }
  const client = new ParleyClient({
    url: `wss://127.0.0.1:${portTls}/ws`,
    WebSocket: Recording,
    dev: { userId: `u${i}`, role: 'consumer' },
    reconnect: { minDelayMs: 50, maxDelayMs: 500, restartJitterMs: 1000 },
    requestTimeoutMs: 5000,
  });
  await client.connect();
  const conv = await client.createConversation({ displayName: `rollout ${i}` });
  const c = { i, client, conv: conv.id, closes, trace, seen: [], acked: [], failed: 0, sent: 0 };
  const sub = await client.subscribe(conv.id, { sinceSeq: 0 });
  sub.on('event', (e) => c.seen.push(e.seq));
  clients.push(c);
}
log(`${CLIENTS} clients on wss://, each with its conversation`);

let sending = true;
const senders = clients.map(async (c) => {
  while (sending) {
    const text = `u${c.i} #${c.sent++}`;
    try {
      const r = await c.client.sendMessage(c.conv, text);
      c.acked.push({ seq: r.seq, text });
    } catch (e) {
      c.failed++; // not acknowledged: may or may not be stored, never twice
    }
    await sleep(20 + Math.random() * 40);
  }
});
const allConnected = () => clients.every((c) => c.client.state == 'connected');

await sleep(SETTLE_MS);
// 1. Every TLS link is cut: nginx goes and comes back.
nginx.kill('SIGTERM');
await nginx.exited;
log('nginx stopped: every wss:// link cut');
await sleep(300);
await startNginx();
await waitUntil(async () => allConnected(), 'every client back through nginx');
log('nginx back; every client reconnected');
await sleep(SETTLE_MS);

// 2. The rolling restart.
for (const n of nodes) {
  const exited = new Promise((r) => n.broker.process.on('exit', (code, signal) => r({ code, signal })));
  n.broker.process.kill('SIGTERM');
  await waitUntil(async () => (await status(n.port, '/readyz')) == 503, `${n.id} /readyz 503 while draining`, 5000);
  log(`${n.id}: SIGTERM, /readyz 503`);
  const end = await Promise.race([exited, sleep(20000).then(() => null)]);
  if (!end) throw new Error(`${n.id} did not exit within 20 s of SIGTERM`);
  if (end.code !== 0) throw new Error(`${n.id} exited with ${JSON.stringify(end)}`);
  log(`${n.id}: drained and exited 0`);
  n.broker = await startBroker({ port: n.port, args: nodeArgs(n.id) });
  await waitUntil(async () => (await status(n.port, '/readyz')) == 200, `${n.id} ready again`);
  log(`${n.id}: restarted`);
  await waitUntil(async () => allConnected(), 'every client connected');
  await sleep(SETTLE_MS);
}

sending = false;
await Promise.all(senders);
await waitUntil(async () => allConnected(), 'every client connected at the end');

// --- the check ---------------------------------------------------------------
const problems = [];
let acked = 0, failed = 0, saw1012 = 0;
for (const c of clients) {
  const events = await readLog(c.client, c.conv);
  const messages = events.filter((e) => e.type == 'message');
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  const texts = new Map();
  for (const m of messages) texts.set(m.body?.text, (texts.get(m.body?.text) || 0) + 1);
  for (const [text, n] of texts) if (n > 1) problems.push(`u${c.i}: "${text}" stored ${n} times`);
  for (const a of c.acked) {
    const e = bySeq.get(a.seq);
    if (!e || e.body?.text !== a.text) problems.push(`u${c.i}: acknowledged "${a.text}" at seq ${a.seq}, the log has ${e ? `"${e.body?.text}"` : 'nothing'} there`);
  }
  await waitUntil(async () => c.seen.length >= events.length, `u${c.i}'s subscription to catch up`).catch((e) => problems.push(e.message));
  const want = events.map((e) => e.seq).join(',');
  if (c.seen.join(',') !== want) problems.push(`u${c.i}: the subscription saw ${c.seen.length} events, not the log's ${events.length} in order`);
  if (!c.closes.length) problems.push(`u${c.i}: never cut`);
  acked += c.acked.length;
  failed += c.failed;
  saw1012 += c.closes.includes(1012);
}
log(`${acked} messages acknowledged, ${failed} calls failed (not acknowledged), ${saw1012}/${CLIENTS} clients closed 1012 by a draining node`);
for (const c of clients) c.client.close();
await Promise.all(nodes.map((n) => n.broker.stop()));
await redis.stop();
nginx.kill('SIGTERM');
if (problems.length) {
  for (const p of problems) console.error('rollout: VIOLATION', p);
  process.exit(1);
}
log('lost 0, duplicated 0; every client resumed');
process.exit(0);
