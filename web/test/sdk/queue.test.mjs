// The offline queue: sends made while the link is down, and sends in flight
// when it dropped, are appended once each and resolve once; past the bound a
// call is refused at once. And a dead link (open, silent) is detected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, startProxy } from '../support/broker.mjs';
import { atEnd, devClient, waitUntil, record, readLog, FAST } from '../support/sdk.mjs';
import { ParleyError } from '../../sdk/parley.js';

const broker = await startBroker({ args: ['--dev', ...FAST] });
atEnd(() => broker.stop());

async function setup(opts = {}) {
  const proxy = await startProxy(broker.port);
  const ann = devClient(proxy.wsUrl, 'ann', 'agent', opts);
  const bob = devClient(broker.wsUrl, 'bob');
  atEnd(() => proxy.close(), () => ann.close(), () => bob.close());
  await ann.connect();
  await bob.connect();
  const conv = await bob.createConversation({ displayName: 'queue' });
  await ann.join({ conversationId: conv.id });
  return { proxy, ann, bob, conv };
}

/** Counts how often each promise settles, and with what. */
function track(p) {
  const t = { settled: 0, value: undefined, error: undefined };
  p.then(
    (v) => ((t.value = v), t.settled++),
    (e) => ((t.error = e), t.settled++)
  );
  return t;
}

test('sends made while down are sent after the reconnect, once each; the bound refuses at once', async () => {
  const { proxy, ann, bob, conv } = await setup({ maxQueue: 5 });
  proxy.refuse(true);
  proxy.cut();
  await waitUntil(() => ann.state == 'reconnecting', 'the drop');
  const sends = [1, 2, 3, 4, 5].map((i) => track(ann.sendMessage(conv.id, `offline ${i}`)));
  const over = track(ann.sendMessage(conv.id, 'one too many'));
  await waitUntil(() => over.settled, 'the refusal');
  assert.ok(over.error instanceof ParleyError);
  assert.equal(over.error.code, 'QUEUE_FULL');
  assert.equal(ann.state, 'reconnecting');
  assert.equal(sends.filter((s) => s.settled).length, 0);
  proxy.refuse(false);
  await waitUntil(() => sends.every((s) => s.settled), 'the queued sends');
  const log = await readLog(bob, conv.id);
  const texts = log.filter((e) => e.type == 'message').map((e) => e.body.text);
  assert.deepEqual(texts, ['offline 1', 'offline 2', 'offline 3', 'offline 4', 'offline 5']);
  for (const [i, s] of sends.entries()) {
    assert.equal(s.error, undefined);
    assert.equal(s.value.duplicate, false);
    assert.equal(log.find((e) => e.seq == s.value.seq).body.text, `offline ${i + 1}`);
  }
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(sends.every((s) => s.settled == 1));
});

test('a send whose answer was lost with the link is retried with the same clientMessageId: appended once, resolved once', async () => {
  const { proxy, ann, bob, conv } = await setup();
  const watch = record(await bob.subscribe(conv.id));
  // The broker gets the request, its answer never comes back.
  proxy.hold(true, 'down');
  const send = track(ann.sendMessage(conv.id, 'in flight'));
  await waitUntil(() => watch.events.some((e) => e.body.text == 'in flight'), 'the message to be appended');
  assert.equal(send.settled, 0);
  proxy.hold(false);
  proxy.cut();
  await waitUntil(() => send.settled, 'the answer');
  assert.equal(send.error, undefined);
  // The retry found the first one: the broker answered its seq, flagged duplicate.
  assert.equal(send.value.duplicate, true);
  const log = await readLog(bob, conv.id);
  const mine = log.filter((e) => e.type == 'message');
  assert.equal(mine.length, 1);
  assert.equal(mine[0].seq, send.value.seq);
});

test('a call that is not safe to repeat, in flight when the link drops, is rejected (DISCONNECTED), not repeated', async () => {
  const { proxy, ann, bob, conv } = await setup();
  proxy.hold(true, 'down');
  const ev = track(ann.sendEvent({ conversationId: conv.id, name: 'ping', data: 1 }));
  await waitUntil(async () => (await readLog(bob, conv.id)).some((e) => e.type == 'custom'), 'the event to be appended');
  proxy.hold(false);
  proxy.cut();
  await waitUntil(() => ev.settled, 'the rejection');
  assert.equal(ev.error?.code, 'DISCONNECTED');
  await waitUntil(() => ann.state == 'connected', 'the reconnect');
  await ann.ping();
  assert.equal((await readLog(bob, conv.id)).filter((e) => e.type == 'custom').length, 1);
});

test('a link that stays open but carries nothing is detected by the heartbeat and replaced', async () => {
  const { proxy, ann, bob, conv } = await setup({ heartbeatMs: 200, requestTimeoutMs: 300 });
  const sub = await ann.subscribe(conv.id);
  const rec = record(sub);
  const states = [];
  ann.on('state', (s) => states.push(s));
  proxy.hold(true);
  await bob.sendMessage(conv.id, 'while the link is silent');
  await waitUntil(() => states.includes('reconnecting'), 'the dead link to be noticed');
  proxy.hold(false);
  await waitUntil(() => rec.events.some((e) => e.body.text == 'while the link is silent'), 'the missed event');
  assert.equal(ann.state, 'connected');
  assert.equal(rec.resets.length, 0);
});
