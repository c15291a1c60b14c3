// Reset: the subscriber's history can no longer be resumed, and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, startProxy } from '../support/broker.mjs';
import { atEnd, devClient, waitUntil, record, FAST } from '../support/sdk.mjs';


test('a memory-engine broker restarted on the same port lost the log: reset fires, the subscription ends', async () => {
  let broker = await startBroker({ args: ['--dev', ...FAST] });
  atEnd(() => broker.stop());
  const ann = devClient(broker.wsUrl, 'ann');
  atEnd(() => ann.close());
  await ann.connect();
  const conv = await ann.createConversation({ displayName: 'to be lost' });
  const sub = await ann.subscribe(conv.id, { sinceSeq: 0 });
  const rec = record(sub);
  await ann.sendMessage(conv.id, 'before the restart');
  await waitUntil(() => rec.events.length == 3, 'the first events');
  const epoch = sub.epoch;
  assert.ok(epoch);
  await broker.stop();
  await waitUntil(() => ann.state == 'reconnecting', 'the drop');
  broker = await startBroker({ args: ['--dev', ...FAST], port: broker.port });
  await waitUntil(() => rec.resets.length > 0, 'the reset');
  assert.equal(rec.resets[0].conversationId, conv.id);
  assert.notEqual(rec.resets[0].epoch, epoch);
  assert.equal(rec.resets[0].reason, 'notFound');
  assert.equal(rec.ended.length, 1);
  assert.equal(ann.state, 'connected');
  assert.equal(rec.events.length, 3);
  assert.equal(ann.subs.size, 0);
});

test('more missed events than the broker replays: reset (gap), then live events go on from the new position', async () => {
  const broker = await startBroker({ args: ['--dev', '--max-replay', '5', ...FAST] });
  atEnd(() => broker.stop());
  const proxy = await startProxy(broker.port);
  const ann = devClient(proxy.wsUrl, 'ann');
  const bob = devClient(broker.wsUrl, 'bob');
  atEnd(() => proxy.close(), () => ann.close(), () => bob.close());
  await ann.connect();
  await bob.connect();
  const conv = await bob.createConversation({ displayName: 'far behind' });
  const sub = await ann.subscribe(conv.id, { sinceSeq: 0 });
  const rec = record(sub);
  await waitUntil(() => rec.events.length == 2, 'the first events');
  proxy.refuse(true);
  proxy.cut();
  await waitUntil(() => ann.state == 'reconnecting', 'the drop');
  let last;
  for (let i = 0; i < 10; i++) last = await bob.sendMessage(conv.id, `missed ${i}`);
  proxy.refuse(false);
  await waitUntil(() => rec.resets.length > 0, 'the reset');
  assert.deepEqual(
    { reason: rec.resets[0].reason, lastSeq: rec.resets[0].lastSeq, epoch: rec.resets[0].epoch },
    { reason: 'gap', lastSeq: last.seq, epoch: sub.epoch }
  );
  assert.equal(rec.events.length, 2);
  const after = await bob.sendMessage(conv.id, 'after the reset');
  await waitUntil(() => rec.events.length == 3, 'the live event');
  assert.equal(rec.events[2].seq, after.seq);
  assert.equal(rec.ended.length, 0);
});
