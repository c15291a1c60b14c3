// A node restarts under the SDK in a real browser (Chromium): SIGTERM drains
// it (/readyz 503 at once, the open sockets keep working for --drain-sec,
// then close 1012 spread over --drain-spread-sec), a new node takes its
// place on the same Redis, and the client comes back and resumes: every
// event once, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startBroker, startRedis } from '../support/broker.mjs';
import { atEnd, devClient, waitUntil, readLog, sdkPage, FAST } from '../support/sdk.mjs';

/** The status line the broker answers a WebSocket upgrade with. */
function upgradeStatus(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('connect', () =>
      s.write('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
    );
    s.on('data', (d) => {
      got += d;
      if (got.includes('\r\n')) s.destroy(), resolve(got.split('\r\n')[0]);
    });
    s.on('error', reject);
  });
}

test('in the browser: a drained node closes 1012, the client reconnects with jitter and resumes', async () => {
  const redis = await startRedis();
  atEnd(() => redis.stop());
  const args = ['--dev', ...FAST, '--redis', redis.url, '--drain-sec', '1', '--drain-spread-sec', '1'];
  const first = await startBroker({ args });
  const bob = devClient(first.wsUrl, 'bob');
  atEnd(() => bob.close());
  await bob.connect();
  const conv = await bob.createConversation({ displayName: 'drain' });

  const { page, errors } = await sdkPage();
  await page.evaluate(
    async ({ url, convId }) => {
      const { ParleyClient } = await import('/sdk/parley.js');
      const w = /** @type {any} */ (window);
      w.codes = [];
      w.seen = [];
      // The browser's WebSocket, with the close codes it saw written down.
      class Recording extends WebSocket {
        constructor(/** @type {string} */ u) {
          super(u);
          this.addEventListener('close', (e) => w.codes.push(e.code));
        }
      }
      w.client = new ParleyClient({
        url,
        WebSocket: Recording,
        dev: { userId: 'ann', role: 'agent' },
        reconnect: { minDelayMs: 20, maxDelayMs: 200, restartJitterMs: 300 },
      });
      await w.client.connect();
      const sub = await w.client.subscribe(convId, { sinceSeq: 0 });
      sub.on('event', (/** @type {any} */ e) => w.seen.push(e.seq));
    },
    { url: first.wsUrl, convId: conv.id }
  );
  for (let i = 0; i < 5; i++) await bob.sendMessage(conv.id, `before ${i}`);

  const exited = new Promise((r) => first.process.on('exit', r));
  first.process.kill('SIGTERM');
  // At once: not ready, and no new socket; the open ones still work.
  await waitUntil(async () => (await fetch(`${first.httpUrl}/readyz`)).status == 503, '/readyz 503');
  assert.match(await upgradeStatus(first.port), /^HTTP\/1\.1 503/);
  for (let i = 0; i < 3; i++) await bob.sendMessage(conv.id, `draining ${i}`);
  // Not stop(): a second SIGTERM would cut the drain short.
  await exited;

  const second = await startBroker({ args, port: first.port });
  atEnd(() => second.stop());
  const state = () => page.evaluate(() => /** @type {any} */ (window).client.state);
  await waitUntil(async () => (await state()) == 'connected', 'the browser client to come back', 20000);
  for (let i = 0; i < 5; i++) await bob.sendMessage(conv.id, `after ${i}`);

  const log = await readLog(bob, conv.id);
  const seen = () => page.evaluate(() => /** @type {any} */ (window).seen);
  await waitUntil(async () => (await seen()).length >= log.length, 'the browser to catch up');
  assert.deepEqual(await seen(), log.map((e) => e.seq));
  const codes = await page.evaluate(() => /** @type {any} */ (window).codes);
  assert.equal(codes[0], 1012, `close codes ${codes}`);
  assert.deepEqual(errors, []);
});
