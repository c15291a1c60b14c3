// Test support: the real broker, a private redis-server, and a TCP proxy that
// can cut links. Used by the SDK tests (test/sdk) and the e2e tests (test/e2e).
//
//   const broker = await startBroker({ args: ['--dev'] });   // broker.wsUrl, broker.port
//   const redis = await startRedis();                        // redis.url
//   const proxy = await startProxy(broker.port);             // proxy.wsUrl; proxy.cut()
//   await broker.stop(); await redis.stop(); await proxy.close();
//
// The broker binary: $PARLEY_BINARY, else ../build/parley relative to web/.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** web/ */
export const webDir = path.resolve(here, '../..');
export const brokerBinary = process.env.PARLEY_BINARY || path.resolve(webDir, '../build/parley');

/** Every child still running, killed when this process exits. */
const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1 (free when asked; bind it soon). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves when `check` resolves true, trying every 25 ms for up to `ms`. */
async function waitFor(check, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {}
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function spawnChild(cmd, args, opts) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.add(child);
  let output = '';
  const keep = (d) => {
    output += d;
    if (output.length > 200000) output = output.slice(-100000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    })
  );
  return { child, exited, output: () => output };
}

async function stopChild(c) {
  if (c.child.exitCode != null || c.child.signalCode != null) return;
  c.child.kill('SIGTERM');
  const killer = setTimeout(() => c.child.kill('SIGKILL'), 3000);
  await c.exited;
  clearTimeout(killer);
}

/**
 * Starts the broker on 127.0.0.1 and waits until /healthz answers 200.
 * @param {{args?: string[], port?: number, env?: Record<string,string>, binary?: string}} [opts]
 *   port: listen there (e.g. to restart on the same port); default a free one.
 */
export async function startBroker(opts = {}) {
  const binary = opts.binary || brokerBinary;
  if (!existsSync(binary)) throw new Error(`no broker binary at ${binary} (build it, or set PARLEY_BINARY)`);
  // The port is read from the "listening on" line, logged at the default level (info).
  const args = ['--listen', `127.0.0.1:${opts.port ?? 0}`, ...(opts.args || [])];
  const c = spawnChild(binary, args, { env: { ...process.env, ...opts.env } });
  let port = opts.port;
  await waitFor(
    async () => {
      if (c.child.exitCode != null) throw new Error('exited');
      if (!port) {
        const m = /listening on ws:\/\/[^:]+:(\d+)/.exec(c.output());
        if (!m) return false;
        port = Number(m[1]);
      }
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      return res.status == 200;
    },
    10000,
    `the broker (${binary} ${args.join(' ')}) to serve /healthz; its output:\n${c.output()}`
  ).catch((e) => {
    c.child.kill('SIGKILL');
    throw new Error(`${e.message}\n${c.output()}`);
  });
  return {
    port: /** @type {number} */ (port),
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    httpUrl: `http://127.0.0.1:${port}`,
    process: c.child,
    output: c.output,
    stop: () => stopChild(c),
    /** Kills it at once (no shutdown). */
    kill: async () => {
      c.child.kill('SIGKILL');
      await c.exited;
    },
  };
}

/** Starts a private redis-server (no persistence) on a free loopback port. */
export async function startRedis() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-redis-'));
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    const bin = process.env.PARLEY_REDIS_SERVER || 'redis-server';
    const c = spawnChild(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
    try {
      await waitFor(() => redisPing(port), 5000, 'redis-server');
    } catch (e) {
      c.child.kill('SIGKILL');
      if (tries < 2) continue;
      throw new Error(`${e.message}\n${c.output()}`);
    }
    return {
      port,
      url: `redis://127.0.0.1:${port}`,
      stop: async () => {
        await stopChild(c);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

function redisPing(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      got += d;
      if (got.includes('\r\n')) {
        s.destroy();
        resolve(got.startsWith('+PONG'));
      }
    });
    s.on('error', () => resolve(false));
  });
}

/**
 * A TCP proxy on a free loopback port to `target` (a port on 127.0.0.1).
 * - cut(): drops every open link now (both sides see the TCP connection end).
 * - cutAfter(n): forwards n more bytes from the server, then drops the links:
 *   with a small n that falls in the middle of a WebSocket frame.
 * - hold(true[, 'up'|'down']): links stop forwarding (the bytes are dropped:
 *   a dead link that stays open), both ways or one; hold(false) forwards again.
 * - refuse(true): new connections are closed at once.
 * - setTarget(port): where new links go.
 */
export async function startProxy(target) {
  let targetPort = target;
  /** which directions drop their bytes: up (client → broker), down (broker → client) */
  const held = { up: false, down: false };
  let refusing = false;
  /** @type {{client: net.Socket, upstream: net.Socket, pending: Buffer[]}[]} */
  const links = new Set();
  let budget = Infinity;
  let cuts = 0;
  let drops = 0;

  const drop = (link) => {
    link.client.destroy();
    link.upstream.destroy();
    links.delete(link);
  };
  /** Ends every open link now; returns how many there were. */
  const cut = () => {
    const n = links.size;
    budget = Infinity;
    cuts++;
    if (n) drops++;
    for (const l of [...links]) drop(l);
    return n;
  };

  const server = net.createServer((client) => {
    if (refusing) return client.destroy();
    const upstream = net.connect(targetPort, '127.0.0.1');
    const link = { client, upstream };
    links.add(link);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const end = () => drop(link);
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (d) => {
      if (!held.up) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (held.down) return;
      if (d.length >= budget) {
        // The cut: this many bytes still go through, then every link ends.
        const n = budget;
        budget = Infinity;
        cuts++;
        drops++;
        if (n > 0) client.write(d.subarray(0, n));
        const victims = [...links];
        // Let the partial chunk reach the client before the connections are destroyed.
        client.end();
        setImmediate(() => victims.forEach(drop));
        return;
      }
      budget -= d.length;
      client.write(d);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = /** @type {net.AddressInfo} */ (server.address()).port;
  return {
    port,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    get links() {
      return links.size;
    },
    /** cut() calls so far (cutAfter's included, once they happen) */
    get cuts() {
      return cuts;
    },
    /** cuts that ended at least one open link */
    get drops() {
      return drops;
    },
    cut,
    cutAfter(n) {
      budget = n;
    },
    /** @param {boolean} on @param {'both'|'up'|'down'} [which] */
    hold(on, which = 'both') {
      if (which != 'down') held.up = on;
      if (which != 'up') held.down = on;
    },
    refuse(on) {
      refusing = on;
    },
    setTarget(p) {
      targetPort = p;
    },
    close: () =>
      new Promise((r) => {
        for (const l of [...links]) drop(l);
        server.close(() => r(undefined));
      }),
  };
}
