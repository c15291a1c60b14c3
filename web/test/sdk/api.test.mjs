// The client's API against the real broker: errors, the queue before connect,
// unsubscribe, close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, startProxy } from '../support/broker.mjs';
import { atEnd, devClient, waitUntil, record, FAST } from '../support/sdk.mjs';
import { ParleyError } from '../../sdk/parley.js';

const broker = await startBroker({ args: ['--dev', ...FAST] });
atEnd(() => broker.stop());

function client(userId, url = broker.wsUrl, opts) {
  const c = devClient(url, userId, 'agent', opts);
  atEnd(() => c.close());
  return c;
}

test('broker errors reject with ParleyError {code, message, data}', async () => {
  const ann = client('ann');
  await ann.connect();
  await assert.rejects(ann.getConversation({ conversationId: 'no-such-conversation' }), (e) => e instanceof ParleyError && e.code == 404);
  await assert.rejects(
    ann.call('getConversation', { conversationId: 'x', colour: 'blue' }),
    (e) => e.code == -32602 && e.data.field == 'colour' && /unknown field/.test(e.message)
  );
  await assert.rejects(ann.call('noSuchMethod', {}), (e) => e.code == -32601);
  // The link is still fine.
  assert.ok((await ann.ping()).serverTime > 0);
});

test('calls and subscribe made before connect() wait for it', async () => {
  const bob = client('bob');
  await bob.connect();
  const conv = await bob.createConversation({ displayName: 'early' });
  const ann = client('ann');
  const early = ann.getConversation({ conversationId: conv.id });
  const subbing = ann.subscribe(conv.id, { sinceSeq: 0 });
  assert.equal(ann.state, 'idle');
  await ann.connect();
  assert.equal((await early).id, conv.id);
  const rec = record(await subbing);
  await waitUntil(() => rec.events.length == 2, 'the replay');
  assert.deepEqual(rec.events.map((e) => e.type), ['conversation.created', 'member.joined']);
});

test('unsubscribe: no more events, and none after a reconnect either', async () => {
  const proxy = await startProxy(broker.port);
  atEnd(() => proxy.close());
  const bob = client('bob');
  const ann = client('ann', proxy.wsUrl);
  await bob.connect();
  await ann.connect();
  const conv = await bob.createConversation({ displayName: 'unsubscribe' });
  const sub = await ann.subscribe(conv.id);
  const rec = record(sub);
  const raw = [];
  ann.on('event', (e) => raw.push(e.seq));
  await bob.sendMessage(conv.id, 'one');
  await waitUntil(() => rec.events.length == 1, 'the first event');
  await sub.unsubscribe();
  assert.equal(ann.subs.size, 0);
  proxy.cut();
  await waitUntil(() => ann.state == 'connected' && proxy.links == 1, 'the reconnect');
  const bobRec = record(await bob.subscribe(conv.id));
  await bob.sendMessage(conv.id, 'two');
  // Fanned out to bob's subscription: it would have been to ann's too.
  await waitUntil(() => bobRec.events.length == 1, "bob's copy");
  await ann.ping();
  assert.equal(rec.events.length, 1);
  assert.deepEqual(raw, [rec.events[0].seq]);
});

test('close(): queued calls reject with CLOSED, the client stays closed', async () => {
  const proxy = await startProxy(broker.port);
  atEnd(() => proxy.close());
  const ann = client('ann', proxy.wsUrl);
  await ann.connect();
  proxy.refuse(true);
  proxy.cut();
  await waitUntil(() => ann.state == 'reconnecting', 'the drop');
  const queued = ann.ping();
  await ann.close();
  await assert.rejects(queued, (e) => e.code == 'CLOSED');
  assert.equal(ann.state, 'closed');
  await assert.rejects(ann.connect(), (e) => e.code == 'CLOSED');
});

test('leave ends the subscription (the broker ends it on the socket): ended {reason: left}', async () => {
  const bob = client('bob');
  const ann = client('ann');
  await bob.connect();
  await ann.connect();
  const conv = await bob.createConversation({ displayName: 'leaving' });
  await ann.join({ conversationId: conv.id });
  const rec = record(await ann.subscribe(conv.id));
  await ann.leave({ conversationId: conv.id });
  assert.equal(ann.subs.size, 0);
  // (Events right after subscribe() resolved reach the listeners on the next turn of the event loop.)
  await waitUntil(() => rec.ended.length, 'ended');
  assert.deepEqual(rec.ended, [{ reason: 'left', conversationId: conv.id }]);
  assert.equal(ann.subs.size, 0);
});

test('without a WebSocket implementation (Node 20 has none) connect() says what to pass', async () => {
  const c = devClient(broker.wsUrl, 'ann', 'agent', { WebSocket: undefined });
  if (globalThis.WebSocket) return; // a Node with its own WebSocket: nothing to show
  await assert.rejects(c.connect(), (e) => e.code == 'CLOSED' && /options\.WebSocket/.test(e.message));
  assert.equal(c.state, 'closed');
});
