// A soak for leaks (issue 12 §6): the real broker, N sockets each
// authenticated and subscribed to one of a few hundred conversations,
// publishers sending at a steady rate, and a share of the sockets closed
// and reopened (and subscribed again) every second. The broker's RSS and
// open file descriptors are measured after the warm-up and after the run,
// each time with the churn and the publishers stopped, every socket
// subscribed again and a short settle: the same state both times.
//
//   node tests/soak/soak.mjs [--sockets 10000] [--duration 600] [--warmup 60]
//        [--binary build/parley] [--engine redis|memory] [--conversations 300]
//        [--publishers 10] [--rate 100] [--churn 0.1] [--abrupt 0.5]
//        [--workers 2] [--batch 250] [--settle 10] [--sample 30]
//        [--max-growth 5] [--fd-slack 16] [--trim] [--broker-env NAME=VALUE]
//        [--out FILE]
//
// --engine redis (the default) starts a private redis-server: the log lives
// there, so what the broker holds is its sockets, sessions, subscriptions
// and caches, which must not grow. With --engine memory the log is in the
// broker's heap and grows with every message by design (about 0.5 KiB
// each), so RSS grows with --rate. --churn is the share of the sockets
// churned per second, --abrupt the share of those ended without a close
// handshake; --workers child processes hold the sockets, opened --batch at
// a time; the broker is sampled every --sample s.
//
// --trim: after each measurement, has gdb call malloc_trim(0) in the broker
// and reads RSS again, which tells memory still in use from freed heap that
// glibc keeps. The first trim lowers the RSS measured the second time, so
// with --trim the verdict compares the RSS after each trim.
//
// Exit status: 0 when RSS grew by at most --max-growth %, the fds by at most
// --fd-slack, and no subscription saw a gap or a duplicate in seq (or missed
// the tail of its conversation); 1 otherwise; 2 on a usage or set-up error.
import { fork, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBroker, startRedis } from '../../web/test/support/broker.mjs';
import { devSocket } from './rpc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

/** The numeric options: [default, least value allowed]. */
const NUMERIC = {
  sockets: [10000, 1], duration: [600, 1], warmup: [60, 0], settle: [10, 0], sample: [30, 1],
  conversations: [300, 1], publishers: [10, 1], rate: [100, 0],
  churn: [0.1, 0], abrupt: [0.5, 0], workers: [2, 1], batch: [250, 1],
  'max-growth': [5, 0], 'fd-slack': [16, 0],
};
const { values: opt } = parseArgs({
  options: {
    ...Object.fromEntries(Object.entries(NUMERIC).map(([k, [d]]) => [k, { type: 'string', default: String(d) }])),
    binary: { type: 'string', default: process.env.PARLEY_BINARY || path.join(repo, 'build/parley') },
    engine: { type: 'string', default: 'redis' },
    out: { type: 'string' },
    trim: { type: 'boolean' },
    'broker-env': { type: 'string', multiple: true, default: [] },
    help: { type: 'boolean' },
  },
});
if (opt.help) {
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  console.log(text.slice(0, text.indexOf('\nimport ')).replace(/^\/\/ ?/gm, ''));
  process.exit(0);
}
const n = {};
for (const [k, [, least]] of Object.entries(NUMERIC)) {
  n[k] = Number(opt[k]);
  if (Number.isFinite(n[k]) && n[k] >= least) continue;
  console.error(`--${k} wants a number >= ${least}`);
  process.exit(2);
}
const SOCKETS = n.sockets;
const DURATION_S = n.duration;
const WARMUP_S = n.warmup;
const CONVERSATIONS = n.conversations;
const PUBLISHERS = Math.min(n.publishers, CONVERSATIONS);
const RATE = n.rate;
const CHURN = n.churn;
const ABRUPT = n.abrupt;
const WORKERS = Math.min(n.workers, SOCKETS);
const BATCH = n.batch;
const SETTLE_S = n.settle;
const SAMPLE_S = n.sample;
const MAX_GROWTH = n['max-growth'];
const FD_SLACK = n['fd-slack'];
if (!['memory', 'redis'].includes(opt.engine)) {
  console.error('--engine is memory or redis');
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();
const log = (msg) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(7)}s] ${msg}`);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(130));
process.on('unhandledRejection', (e) => {
  log(`error: ${e?.stack || e}`);
  process.exit(2);
});

// ---- the broker -------------------------------------------------------------

const nofile = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] || 0);
if (nofile < SOCKETS + 256) {
  console.error(`the open-file limit is ${nofile}; ${SOCKETS} sockets want at least ${SOCKETS + 256} (ulimit -n, or run tests/soak/run.sh)`);
  process.exit(2);
}
const redis = opt.engine === 'redis' ? await startRedis() : null;
const brokerArgs = [
  '--dev', '--no-web',
  // Limits out of the way: the soak measures memory, not quotas.
  '--rate-per-sec', '100000', '--rate-burst', '100000',
  '--max-creations-per-min', '0', '--max-tenant-creations-per-min', '0',
  '--max-open-conversations-per-user', '0', '--max-members', '100000',
  // A loaded machine can keep Redis waiting more than the default 1 s.
  ...(redis ? ['--redis', redis.url, '--redis-timeout-ms', '10000'] : []),
];
// --broker-env NAME=VALUE (repeatable): e.g. an allocator to compare (LD_PRELOAD, MALLOC_ARENA_MAX).
const brokerEnv = Object.fromEntries(opt['broker-env'].map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const broker = await startBroker({ binary: path.resolve(opt.binary), args: brokerArgs, env: brokerEnv });
const pid = broker.process.pid;
const metricsUrl = `${broker.httpUrl}/metrics`;
log(`broker ${opt.binary} pid ${pid} on ${broker.wsUrl}, engine ${opt.engine}; ${brokerArgs.join(' ')} ${opt['broker-env'].join(' ')}`);

function rssKiB() {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rss: Number(/VmRSS:\s+(\d+)/.exec(s)[1]), hwm: Number(/VmHWM:\s+(\d+)/.exec(s)[1]) };
}
const fdCount = () => readdirSync(`/proc/${pid}/fd`).length;
async function metrics() {
  const text = await (await fetch(metricsUrl)).text();
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^parley_(\w+)\s+([\d.e+-]+)$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}
async function measure(trim = false) {
  const { rss, hwm } = rssKiB();
  const m = { rssKiB: rss, hwmKiB: hwm, fds: fdCount(), metrics: await metrics() };
  if (trim) {
    const gdb = spawnSync('gdb', ['-p', String(pid), '-batch', '-nx', '-ex', 'call (int) malloc_trim(0)'], { encoding: 'utf8' });
    if (gdb.status !== 0) log(`gdb malloc_trim failed: ${gdb.stderr.slice(-500)}`);
    m.trimmedRssKiB = rssKiB().rss;
  }
  return m;
}
const mib = (kib) => (kib / 1024).toFixed(1);

// ---- conversations and publishers ------------------------------------------

const owner = await devSocket(broker.wsUrl, 'soak-owner', 'agent');
const convIds = [];
for (let i = 0; i < CONVERSATIONS; i += 25) {
  const made = await Promise.all(
    Array.from({ length: Math.min(25, CONVERSATIONS - i) }, (_, k) => owner.call('createConversation', { name: `soak-${i + k}` }))
  );
  convIds.push(...made.map((c) => c.id));
}
log(`${convIds.length} conversations`);

/** Requests a publisher may have unanswered: past it, a due message is not sent (counted as `held`). */
const WINDOW = 20;
const pub = { sent: 0, acked: 0, held: 0, retried: 0, errors: {}, inFlight: 0 };
const publishers = [];
for (let p = 0; p < PUBLISHERS; p++) {
  const s = await devSocket(broker.wsUrl, `soak-pub${p}`, 'agent');
  const mine = convIds.filter((_, i) => i % PUBLISHERS === p);
  for (const id of mine) await s.call('join', { conversationId: id });
  publishers.push({ s, mine, next: 0, inFlight: 0 });
}
/** Sends one message; a 503 (storage late) is sent again with the same clientMessageId, so it is stored once. */
function send(p, conversationId, n, tries = 0) {
  p.s.call('sendMessage', { conversationId, text: `soak message ${n}`, clientMessageId: `soak-${n}` }).then(
    () => {
      pub.acked++;
      pub.inFlight--;
      p.inFlight--;
    },
    (e) => {
      if (e.rpc?.code === 503 && tries < 20) {
        pub.retried++;
        setTimeout(() => send(p, conversationId, n, tries + 1), 100);
        return;
      }
      pub.inFlight--;
      p.inFlight--;
      const k = e.rpc ? String(e.rpc.code) : e.message;
      pub.errors[k] = (pub.errors[k] || 0) + 1;
    }
  );
}
let publishTimer = null;
let publishStart = 0;
let publishDone = 0;
/** Sends the messages due at RATE since publishing started (a late tick catches up, up to a second's worth). */
function publishTick() {
  const due = ((Date.now() - publishStart) * RATE) / 1000;
  publishDone = Math.max(publishDone, due - RATE);
  for (; publishDone + 1 <= due; publishDone++) {
    const p = publishers[(pub.sent + pub.held) % PUBLISHERS];
    if (p.inFlight >= WINDOW) {
      // The broker is behind: a steady rate, not a growing queue inside it.
      pub.held++;
      continue;
    }
    pub.sent++;
    pub.inFlight++;
    p.inFlight++;
    send(p, p.mine[p.next++ % p.mine.length], pub.sent);
  }
}
async function publishing(on) {
  clearInterval(publishTimer);
  publishStart = Date.now();
  publishDone = 0;
  publishTimer = on ? setInterval(publishTick, 100) : null;
  if (!on) while (pub.inFlight > 0) await sleep(20);
}

// ---- the subscriber pools ---------------------------------------------------

const pools = [];
let reqSeq = 0;
for (let w = 0; w < WORKERS; w++) {
  const child = fork(path.join(here, 'pool.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map();
  child.on('message', (m) => {
    waiting.get(m.reqId)?.(m);
    waiting.delete(m.reqId);
  });
  child.on('exit', (code) => {
    if (!stopping) {
      log(`a subscriber pool exited (${code})`);
      process.exit(2);
    }
  });
  const ask = (cmd, body = {}) =>
    new Promise((resolve) => {
      const reqId = ++reqSeq;
      waiting.set(reqId, resolve);
      child.send({ cmd, reqId, ...body });
    });
  pools.push({ child, ask, from: Math.floor((SOCKETS * w) / WORKERS), to: Math.floor((SOCKETS * (w + 1)) / WORKERS) });
}
let stopping = false;
process.on('exit', () => pools.forEach((p) => p.child.kill('SIGKILL')));
const all = (cmd, body) => Promise.all(pools.map((p) => p.ask(cmd, body)));

async function poolStats() {
  const sum = { opened: 0, churned: 0, cleanCloses: 0, abruptCloses: 0, skipped: 0, connectErrors: 0, events: 0, gaps: 0, duplicates: 0, early: 0, open: 0, unexpectedCloses: {}, rpcErrors: {}, unavailable: {}, details: [] };
  for (const { stats, open } of await all('stats')) {
    for (const k of Object.keys(sum)) if (typeof sum[k] === 'number' && k !== 'open') sum[k] += stats[k];
    sum.open += open;
    for (const k of ['unexpectedCloses', 'rpcErrors', 'unavailable']) for (const [c, n] of Object.entries(stats[k])) sum[k][c] = (sum[k][c] || 0) + n;
    sum.details.push(...stats.details);
  }
  return sum;
}

let t = Date.now();
await Promise.all(pools.map((p) => p.ask('open', { url: broker.wsUrl, from: p.from, to: p.to, conversations: convIds, batch: Math.max(1, Math.round(BATCH / WORKERS)) })));
log(`${SOCKETS} sockets subscribed in ${((Date.now() - t) / 1000).toFixed(1)} s (${WORKERS} pools, batches of ${BATCH})`);

// ---- the phases ---------------------------------------------------------------

/** Load (publishers and churn) for `seconds`, sampling the broker every SAMPLE_S. */
async function load(seconds, label) {
  await publishing(true);
  await all('churn', { perSecond: (SOCKETS * CHURN) / WORKERS, abruptShare: ABRUPT });
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await sleep(Math.min(SAMPLE_S * 1000, end - Date.now()));
    const m = await measure();
    const ps = await poolStats();
    await owner.call('ping'); // the owner's socket, idle otherwise, is used again at the end
    log(`${label}: RSS ${mib(m.rssKiB)} MiB, fds ${m.fds}, connections ${m.metrics.connections_open}, subscriptions ${m.metrics.subscriptions}; churned ${ps.churned}, messages ${pub.acked}, events received ${ps.events}`);
  }
}
/** Stops the load, waits for every socket to be subscribed again and the settle, measures. */
async function quiesce() {
  await publishing(false);
  await all('quiet');
  await sleep(SETTLE_S * 1000);
  return measure(opt.trim);
}

const before = await (async () => {
  await load(WARMUP_S, 'warm-up');
  return quiesce();
})();
const psBefore = await poolStats();
const pubBefore = { ...pub };
log(`after the warm-up: RSS ${mib(before.rssKiB)} MiB, fds ${before.fds}`);

t = Date.now();
await load(DURATION_S, 'run');
const runSeconds = (Date.now() - t) / 1000;
const after = await quiesce();
log(`after the run: RSS ${mib(after.rssKiB)} MiB, fds ${after.fds}`);

// Every live subscription must have seen its conversation's log to the end.
const lastSeq = {};
for (const id of convIds) lastSeq[id] = (await owner.call('getConversation', { conversationId: id })).lastSeq;
const tail = (await all('check', { lastSeq })).reduce((a, r) => ({ behind: a.behind + r.behind, ahead: a.ahead + r.ahead }), { behind: 0, ahead: 0 });
const ps = await poolStats();

// ---- the verdict --------------------------------------------------------------

const growth = ((after.rssKiB - before.rssKiB) / before.rssKiB) * 100;
const trimmedGrowth = opt.trim ? ((after.trimmedRssKiB - before.trimmedRssKiB) / before.trimmedRssKiB) * 100 : null;
const problems = [];
// With --trim the first trim lowers the RSS measured the second time, so the trimmed figures are compared.
if (opt.trim && trimmedGrowth > MAX_GROWTH) problems.push(`RSS after malloc_trim grew ${trimmedGrowth.toFixed(2)} % (> ${MAX_GROWTH} %)`);
if (!opt.trim && growth > MAX_GROWTH) problems.push(`RSS grew ${growth.toFixed(2)} % (> ${MAX_GROWTH} %)`);
if (after.fds > before.fds + FD_SLACK) problems.push(`fds ${before.fds} → ${after.fds} (> +${FD_SLACK})`);
if (ps.gaps) problems.push(`${ps.gaps} gaps in seq`);
if (ps.duplicates) problems.push(`${ps.duplicates} duplicates in seq`);
if (tail.behind) problems.push(`${tail.behind} subscriptions short of the tail of their conversation`);
if (tail.ahead) problems.push(`${tail.ahead} subscriptions past the end of their conversation`);
if (Object.keys(ps.unexpectedCloses).length) problems.push(`sockets closed by the broker: ${JSON.stringify(ps.unexpectedCloses)}`);
if (Object.keys(ps.rpcErrors).length) problems.push(`errors on the subscriber sockets: ${JSON.stringify(ps.rpcErrors)}`);
if (Object.keys(pub.errors).length) problems.push(`sendMessage errors: ${JSON.stringify(pub.errors)}`);

const summary = {
  date: new Date().toISOString(),
  binary: path.resolve(opt.binary),
  engine: opt.engine,
  sockets: SOCKETS,
  conversations: CONVERSATIONS,
  publishers: PUBLISHERS,
  warmupSeconds: WARMUP_S,
  durationSeconds: DURATION_S,
  runSeconds: Number(runSeconds.toFixed(1)),
  churnPerSecond: SOCKETS * CHURN,
  churnedInRun: ps.churned - psBefore.churned,
  churnedTotal: ps.churned,
  closes: { clean: ps.cleanCloses, abrupt: ps.abruptCloses },
  churnSkipped: ps.skipped,
  connectErrors: ps.connectErrors,
  messagesSentInRun: pub.acked - pubBefore.acked,
  messagesSentTotal: pub.acked,
  eventsDeliveredInRun: ps.events - psBefore.events,
  eventsDeliveredTotal: ps.events,
  gaps: ps.gaps,
  duplicates: ps.duplicates,
  tailShort: tail.behind,
  tailPast: tail.ahead,
  earlyPushes: ps.early,
  churnPerSecondAchieved: Number(((ps.churned - psBefore.churned) / runSeconds).toFixed(1)),
  messagesPerSecondAchieved: Number(((pub.acked - pubBefore.acked) / runSeconds).toFixed(1)),
  messagesHeldBack: pub.held,
  retriedAfter503: { sendMessage: pub.retried, subscriber: ps.unavailable },
  rssAfterWarmupKiB: before.rssKiB,
  rssAfterRunKiB: after.rssKiB,
  rssPeakKiB: after.hwmKiB,
  rssGrowthPercent: Number(growth.toFixed(2)),
  ...(opt.trim && {
    trimmedRssAfterWarmupKiB: before.trimmedRssKiB,
    trimmedRssAfterRunKiB: after.trimmedRssKiB,
    trimmedGrowthPercent: Number(trimmedGrowth.toFixed(2)),
  }),
  fdsAfterWarmup: before.fds,
  fdsAfterRun: after.fds,
  metricsAfterWarmup: before.metrics,
  metricsAfterRun: after.metrics,
  problems,
  details: ps.details,
};
console.log(`
soak summary (${summary.date})
  broker            ${summary.binary} (engine ${summary.engine})
  sockets           ${SOCKETS} subscribed to ${CONVERSATIONS} conversations, ${PUBLISHERS} publishers at ${RATE} messages/s
  run               ${WARMUP_S} s warm-up, then ${summary.runSeconds} s; churn ${summary.churnPerSecond}/s (${(CHURN * 100).toFixed(0)} %), ${(ABRUPT * 100).toFixed(0)} % of closes abrupt
  churned           ${summary.churnedInRun} in the run, ${summary.churnPerSecondAchieved}/s (${summary.churnedTotal} with the warm-up; ${ps.cleanCloses} clean, ${ps.abruptCloses} abrupt); reconnect failures ${ps.connectErrors}
  messages          ${summary.messagesSentInRun} sent in the run, ${summary.messagesPerSecondAchieved}/s (${pub.acked} in all), ${summary.eventsDeliveredInRun} events delivered (${ps.events} in all)
  held back         ${pub.held} messages due while a publisher had ${WINDOW} unanswered
  retried on 503    sendMessage ${pub.retried}, subscriber sockets ${JSON.stringify(ps.unavailable)}
  seq               ${ps.gaps} gaps, ${ps.duplicates} duplicates, ${tail.behind} subscriptions short of the tail, ${tail.ahead} past it
  RSS               ${mib(before.rssKiB)} MiB after the warm-up, ${mib(after.rssKiB)} MiB after the run: ${growth >= 0 ? '+' : ''}${growth.toFixed(2)} % (peak ${mib(after.hwmKiB)} MiB)
${opt.trim ? `  after malloc_trim  ${mib(before.trimmedRssKiB)} MiB after the warm-up, ${mib(after.trimmedRssKiB)} MiB after the run: ${summary.trimmedGrowthPercent} %\n` : ''}  fds               ${before.fds} after the warm-up, ${after.fds} after the run
  verdict           ${problems.length ? 'FAIL: ' + problems.join('; ') : 'pass'}`);
if (ps.details.length) console.log(`  first details:\n    ${ps.details.join('\n    ')}`);
if (opt.out) {
  mkdirSync(path.dirname(path.resolve(opt.out)), { recursive: true });
  writeFileSync(opt.out, JSON.stringify(summary, null, 2) + '\n');
}

stopping = true;
await all('exit');
await broker.stop();
await redis?.stop();
process.exit(problems.length ? 1 : 0);
