// The processes a chaos run drives: a redis-server with an append-only file
// (appendfsync always) that can be restarted or paused, broker nodes that can
// be killed and restarted on their port, and a TCP proxy per client whose
// links can be cut, cut in the middle of a frame, or stalled.
//
// Node processes come from web/test/support/broker.mjs (startBroker), which
// kills what it started when this process exits; redis-server is started here
// (broker.mjs's has no persistence) and killed the same way.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startBroker, freePort } from '../../web/test/support/broker.mjs';
import { FAST } from '../../web/test/support/sdk.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** redis-server processes alive, killed when this process exits; their dirs, removed then. */
const redisChildren = new Set();
const redisDirs = new Set();
process.on('exit', () => {
  for (const c of redisChildren) {
    try {
      c.kill('SIGCONT');
      c.kill('SIGKILL');
    } catch {}
  }
  for (const d of redisDirs) rmSync(d, { recursive: true, force: true });
});

/** Answers PING with +PONG (not -LOADING while the AOF is read back). */
function pong(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => (s.destroy(), resolve(false)), 1000);
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      got += d;
      if (got.includes('\r\n')) {
        clearTimeout(timer);
        s.destroy();
        resolve(got.startsWith('+PONG'));
      }
    });
    s.on('error', () => (clearTimeout(timer), resolve(false)));
  });
}

/**
 * A private redis-server in a temp dir, appendonly yes, appendfsync always.
 * restart(signal) stops it (SIGTERM or SIGKILL) and starts it again on the
 * same port from its AOF after `downMs`; pause(ms) SIGSTOPs it for that long.
 */
export async function startAofRedis() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-chaos-redis-'));
  redisDirs.add(dir);
  const port = await freePort();
  const bin = process.env.PARLEY_REDIS_SERVER || 'redis-server';
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', 'yes', '--appendfsync', 'always', '--daemonize', 'no'];
  let child;
  let output = '';
  let exited;
  const launch = async () => {
    child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    redisChildren.add(child);
    const me = child;
    exited = new Promise((r) => me.on('exit', () => (redisChildren.delete(me), r())));
    const keep = (d) => {
      output += d;
      if (output.length > 100000) output = output.slice(-50000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const end = Date.now() + 20000;
    while (!(await pong(port))) {
      if (me.exitCode != null || Date.now() > end) throw new Error(`redis-server did not start:\n${output}`);
      await sleep(20);
    }
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    output: () => output,
    /** @param {'SIGTERM'|'SIGKILL'} signal @param {number} downMs */
    async restart(signal, downMs) {
      child.kill('SIGCONT');
      child.kill(signal);
      await exited;
      await sleep(downMs);
      await launch();
    },
    /** SIGSTOP for ms, then SIGCONT. */
    async pause(ms) {
      child.kill('SIGSTOP');
      try {
        await sleep(ms);
      } finally {
        child.kill('SIGCONT');
      }
    },
    async ensureRunning() {
      child.kill('SIGCONT');
      if (child.exitCode != null || child.signalCode != null) await launch();
    },
    async stop() {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A broker node on the Redis engine (--dev, rate limits out of the way), restartable on its port. */
export async function startNode(name, redisUrl, binary, extraArgs = []) {
  const args = ['--redis', redisUrl, '--dev', '--node-id', name, '--threads', '1', ...FAST, ...extraArgs];
  let b = await startBroker({ args, binary });
  /** the output of the incarnations before this one (the last 400 kB) */
  let earlier = '';
  const port = b.port;
  let up = true;
  return {
    name,
    port,
    get up() {
      return up;
    },
    /** what every incarnation of the node logged, the killed ones' included */
    output: () => earlier + b.output(),
    async kill() {
      up = false;
      await b.kill();
    },
    /** Starts it again on the same port (a few tries: the port may linger). */
    async start() {
      for (let tries = 0; ; tries++) {
        try {
          const before = b.output();
          b = await startBroker({ args, binary, port });
          earlier = (earlier + before + `\n---- ${name} restarted ----\n`).slice(-400000);
          up = true;
          return;
        } catch (e) {
          if (tries >= 4) throw e;
          await sleep(500);
        }
      }
    },
    stop: () => b.stop(),
  };
}

/**
 * A TCP proxy on a loopback port to a node's port, for one client. Faults
 * act on the links open at the time (or on the next bytes to flow):
 * - cut(): every link ends now;
 * - cutAfter(n, dir): n more bytes go through in `dir` ('down': to the
 *   client, 'up': to the broker), then the link ends (mid-frame, mostly);
 * - stall(n, ms, then): n more bytes go down, then nothing moves either way
 *   for ms (TCP back-pressure on both ends), then the link resumes or is cut.
 * setTarget(port): where new links go.
 */
export async function startLinkProxy(targetPort) {
  let target = targetPort;
  const links = new Set();
  /** a one-shot fault waiting for bytes: {kind: 'cut'|'stall', dir, bytes, ms, then} */
  let pending = null;
  const timers = new Set();

  const destroy = (link) => {
    if (!links.delete(link)) return;
    link.client.destroy();
    link.upstream.destroy();
    if (link.resume) link.resume = null;
  };

  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    const link = { client, upstream, stalled: false, held: [], resume: null };
    links.add(link);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    for (const s of [client, upstream]) s.on('error', () => destroy(link)).on('close', () => destroy(link));
    const forward = (from, to, dir) =>
      from.on('data', (chunk) => {
        if (!links.has(link)) return;
        if (link.stalled) {
          link.held.push([to, chunk]);
          return;
        }
        const act = pending && pending.dir == dir ? pending : null;
        if (!act || act.bytes >= chunk.length) {
          if (act) act.bytes -= chunk.length;
          to.write(chunk);
          return;
        }
        pending = null;
        const head = chunk.subarray(0, act.bytes);
        const rest = chunk.subarray(act.bytes);
        if (act.kind == 'cut') {
          // The head reaches the peer, then the connection ends: a frame cut short.
          to.end(head);
          const t = setTimeout(() => (timers.delete(t), destroy(link)), 20);
          timers.add(t);
          return;
        }
        to.write(head);
        link.stalled = true;
        link.held.push([to, rest]);
        client.pause();
        upstream.pause();
        link.resume = () => {
          link.resume = null;
          link.stalled = false;
          for (const [sock, data] of link.held.splice(0)) sock.write(data);
          client.resume();
          upstream.resume();
        };
        const t = setTimeout(() => {
          timers.delete(t);
          if (!links.has(link)) return;
          if (act.then == 'cut') destroy(link);
          else link.resume?.();
        }, act.ms);
        timers.add(t);
      });
    forward(client, upstream, 'up');
    forward(upstream, client, 'down');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  return {
    port,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    get target() {
      return target;
    },
    get links() {
      return links.size;
    },
    setTarget(p) {
      target = p;
    },
    cut() {
      const n = links.size;
      for (const l of [...links]) destroy(l);
      return n;
    },
    cutAfter(bytes, dir = 'down') {
      pending = { kind: 'cut', dir, bytes };
    },
    stall(bytes, ms, then) {
      pending = { kind: 'stall', dir: 'down', bytes, ms, then };
    },
    /** Forgets a fault still waiting for bytes and lets stalled links go on. */
    heal() {
      pending = null;
      for (const l of links) l.resume?.();
    },
    close: () =>
      new Promise((r) => {
        for (const t of timers) clearTimeout(t);
        for (const l of [...links]) destroy(l);
        server.close(() => r(undefined));
      }),
  };
}
