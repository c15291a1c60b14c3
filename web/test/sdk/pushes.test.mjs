// Pushes and closes from the real broker: typing reaches the other
// subscribers (throttled), receipts, and a refused origin stops the client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../support/broker.mjs';
import { atEnd, devClient, waitUntil, WebSocket, FAST } from '../support/sdk.mjs';


test('typing: one setChatState per interval, delivered to the other subscriber; receipts reach the subscription', async () => {
  const broker = await startBroker({ args: ['--dev', ...FAST] });
  atEnd(() => broker.stop());
  // Count the setChatState frames ann's socket sends.
  let chatFrames = 0;
  class Counting extends WebSocket {
    send(data) {
      if (String(data).includes('"setChatState"')) chatFrames++;
      return super.send(data);
    }
  }
  const ann = devClient(broker.wsUrl, 'ann', 'agent', { WebSocket: Counting });
  const bob = devClient(broker.wsUrl, 'bob');
  atEnd(() => ann.close(), () => bob.close());
  await ann.connect();
  await bob.connect();
  const conv = await bob.createConversation({ displayName: 'typing' });
  await ann.join({ conversationId: conv.id });
  const bobSub = await bob.subscribe(conv.id);
  const states = [];
  const receipts = [];
  bobSub.on('chatState', (p) => states.push([p.userId, p.state]));
  bobSub.on('receipt', (p) => receipts.push([p.userId, p.seq]));
  for (let i = 0; i < 10; i++) ann.typing(conv.id);
  await waitUntil(() => states.length == 1, 'the chatState push');
  assert.deepEqual(states, [['ann', 'COMPOSING']]);
  assert.equal(chatFrames, 1);
  // A change of state goes at once (the broker forwards it when its own window closes).
  ann.typing(conv.id, 'PAUSE');
  ann.typing(conv.id, 'PAUSE');
  assert.equal(chatFrames, 2);
  await waitUntil(() => states.length == 2, 'the second chatState push');
  assert.deepEqual(states[1], ['ann', 'PAUSE']);
  const sent = await bob.sendMessage(conv.id, 'read me');
  await ann.markRead({ conversationId: conv.id, seq: sent.seq });
  await waitUntil(() => receipts.length == 1, 'the receipt');
  assert.deepEqual(receipts, [['ann', sent.seq]]);
});

test('an origin the broker refuses (close 4003) stops the client', async () => {
  const broker = await startBroker({ args: ['--dev', '--allowed-origin', 'https://good.example'] });
  atEnd(() => broker.stop());
  class FromElsewhere extends WebSocket {
    constructor(url) {
      super(url, { origin: 'https://evil.example' });
    }
  }
  const eve = devClient(broker.wsUrl, 'eve', 'consumer', { WebSocket: FromElsewhere });
  atEnd(() => eve.close());
  const errors = [];
  eve.on('error', (e) => errors.push(e.code));
  await assert.rejects(eve.connect(), (e) => e.code == 'CLOSE_4003');
  assert.equal(eve.state, 'closed');
  assert.deepEqual(errors, ['CLOSE_4003']);
});
