// Test support for code that uses the SDK in Node: clients and waiting.
import { after } from 'node:test';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import WebSocket from 'ws';
import { ParleyClient } from '../../sdk/parley.js';
import { webDir } from './broker.mjs';

export { WebSocket };

/** Broker flags for tests that send fast: the per-socket rate limit out of the way. */
export const FAST = ['--rate-per-sec', '5000', '--rate-burst', '5000'];

/**
 * A client of a `--dev` broker, with quick reconnects.
 * @param {string} url
 * @param {string} userId
 * @param {string} [role]
 * @param {object} [opts]  more ParleyClient options
 */
export function devClient(url, userId, role = 'agent', opts = {}) {
  return new ParleyClient({
    url,
    WebSocket,
    dev: { userId, role },
    reconnect: { minDelayMs: 10, maxDelayMs: 200 },
    requestTimeoutMs: 5000,
    ...opts,
  });
}

const undo = [];
// Each test file runs in its own process: this hook is that file's.
after(async () => {
  for (const f of undo.reverse()) await f();
});
/** Runs `fns` (stop a broker, close a client…) after the file's tests, the last given first. */
export function atEnd(...fns) {
  undo.push(...fns);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves once `cond()` is true (checked every 5 ms); rejects after `ms`
 * with `what` and, when given, `detail()` in the message.
 */
export async function waitUntil(cond, what = 'a condition', ms = 15000, detail) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${detail ? ': ' + detail() : ''}`);
    await sleep(5);
  }
}

/** Every event a subscription delivers, and its resets and resumes. */
export function record(sub) {
  const r = { events: [], resets: [], resumed: [], ended: [] };
  sub.on('event', (e) => r.events.push(e));
  sub.on('reset', (i) => r.resets.push(i));
  sub.on('resumed', (i) => r.resumed.push(i));
  sub.on('ended', (i) => r.ended.push(i));
  return r;
}

/** Every event of a conversation as stored, read by `client` with queryMessages pages. */
export async function readLog(client, conversationId) {
  const out = [];
  let fromSeq = 1;
  for (;;) {
    const page = await client.queryMessages({ conversationId, fromSeq, limit: 200 });
    out.push(...page.data);
    if (!page.hasNext || !page.data.length) return out;
    fromSeq = page.data[page.data.length - 1].seq + 1;
  }
}

/**
 * Chromium on a blank page that serves the SDK at /sdk/parley.js (for
 * `await import('/sdk/parley.js')` in page.evaluate); closed at the end.
 * `errors`: the page's uncaught errors.
 */
export async function sdkPage() {
  const server = createServer(async (req, res) => {
    if (req.url == '/sdk/parley.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(await readFile(path.join(webDir, 'sdk/parley.js')));
    } else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>sdk</title>');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  atEnd(() => new Promise((r) => server.close(r)));
  // Loaded here: playwright only for the tests that open a browser.
  const { launchBrowser } = await import('../e2e/browser.mjs');
  const browser = await launchBrowser();
  atEnd(() => browser.close());
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  return { page, errors };
}
