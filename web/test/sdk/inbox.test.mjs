// The inbox resyncs after a drop: what changed while the link was down shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, startProxy } from '../support/broker.mjs';
import { atEnd, devClient, waitUntil, FAST } from '../support/sdk.mjs';


test('inbox: live upserts, then a resync after a drop reflects changes made while down', async () => {
  const broker = await startBroker({ args: ['--dev', ...FAST] });
  const proxy = await startProxy(broker.port);
  const ann = devClient(proxy.wsUrl, 'ann');
  const bob = devClient(broker.wsUrl, 'bob');
  atEnd(() => broker.stop(), () => proxy.close(), () => ann.close(), () => bob.close());
  await ann.connect();
  await bob.connect();
  const kept = await bob.createConversation({ displayName: 'kept' });
  const closing = await bob.createConversation({ displayName: 'closing' });
  const inbox = await ann.subscribeInbox({ state: 'OPEN' });
  const seen = { upsert: [], delete: [], reset: 0 };
  inbox.on('upsert', (c) => seen.upsert.push(c.id));
  inbox.on('delete', (c) => seen.delete.push(c.id));
  inbox.on('reset', () => seen.reset++);
  assert.deepEqual(new Set(inbox.items.keys()), new Set([kept.id, closing.id]));

  // Live.
  await bob.sendMessage(kept.id, 'live');
  await waitUntil(() => inbox.items.get(kept.id)?.lastMessage?.text == 'live', 'the live upsert');

  // Down: a message, a close (leaves the filter), a new conversation.
  proxy.refuse(true);
  proxy.cut();
  await waitUntil(() => ann.state == 'reconnecting', 'the drop');
  await bob.sendMessage(kept.id, 'while down');
  await bob.closeConversation({ conversationId: closing.id });
  const fresh = await bob.createConversation({ displayName: 'new while down' });
  proxy.refuse(false);
  await waitUntil(() => seen.reset == 1, 'the resync');
  assert.deepEqual(new Set(inbox.items.keys()), new Set([kept.id, fresh.id]));
  assert.equal(inbox.items.get(kept.id).lastMessage.text, 'while down');
  assert.ok(seen.delete.includes(closing.id));
  assert.ok(seen.upsert.includes(fresh.id));
  assert.ok(seen.upsert.includes(kept.id));

  // Live again, on the new subscription.
  await bob.sendMessage(fresh.id, 'after');
  await waitUntil(() => inbox.items.get(fresh.id)?.lastMessage?.text == 'after', 'the upsert after the resync');
});
