// The SDK in a real browser (Debian's Chromium through playwright-core): the
// browser's own WebSocket, resume across cuts, and the `online` event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, startProxy } from '../support/broker.mjs';
import { atEnd, devClient, waitUntil, readLog, sdkPage, FAST } from '../support/sdk.mjs';

test('in the browser: events exactly once and in order across cuts; `online` reconnects at once', async () => {
  const broker = await startBroker({ args: ['--dev', ...FAST] });
  atEnd(() => broker.stop());
  const proxy = await startProxy(broker.port);
  atEnd(() => proxy.close());
  const bob = devClient(broker.wsUrl, 'bob');
  atEnd(() => bob.close());
  await bob.connect();
  const conv = await bob.createConversation({ displayName: 'browser' });

  const { page, errors } = await sdkPage();
  // Two clients: `fast` reconnects quickly; `slow` waits up to 10 minutes unless told the network is back.
  await page.evaluate(
    async ({ url, convId }) => {
      const { ParleyClient } = await import('/sdk/parley.js');
      const made = (userId, minDelayMs) => new ParleyClient({ url, dev: { userId, role: 'agent' }, reconnect: { minDelayMs, maxDelayMs: minDelayMs * 2 } });
      const w = /** @type {any} */ (window);
      w.fast = made('ann', 10);
      w.slow = made('cat', 600000);
      w.seen = [];
      await w.fast.connect();
      await w.slow.connect();
      const sub = await w.fast.subscribe(convId, { sinceSeq: 0 });
      sub.on('event', (/** @type {any} */ e) => w.seen.push(e.seq));
    },
    { url: proxy.wsUrl, convId: conv.id }
  );

  const seen = () => page.evaluate(() => /** @type {any} */ (window).seen);
  const state = (who) => page.evaluate((w) => /** @type {any} */ (window)[w].state, who);
  for (let i = 0; i < 5; i++) {
    await bob.sendMessage(conv.id, `before cut ${i}`);
    proxy.cutAfter(1 + Math.floor(Math.random() * 200));
    await bob.sendMessage(conv.id, `after cut ${i}`);
    await waitUntil(async () => proxy.drops > i, `cut ${i}`);
    await waitUntil(async () => (await state('fast')) == 'connected', `reconnect ${i}`);
  }
  const log = await readLog(bob, conv.id);
  await waitUntil(async () => (await seen()).length >= log.length, 'the browser to catch up');
  assert.deepEqual(await seen(), log.map((e) => e.seq));

  // The slow client is down (its next try is minutes away) until the page says it is online.
  await waitUntil(async () => (await state('slow')) == 'reconnecting', 'the slow client to notice');
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await waitUntil(async () => (await state('slow')) == 'connected', 'the reconnect on `online`');
  assert.deepEqual(errors, []);
});
