// Resume: the subscriber's link is cut 20 times at random points (mid-frame,
// during the handshake, during the replay) while another client sends; every
// event arrives exactly once and in order, and the subscriber's own sends,
// made just before each cut, are appended once each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, startProxy, startRedis } from '../support/broker.mjs';
import { atEnd, devClient, waitUntil, record, readLog, sleep, FAST } from '../support/sdk.mjs';

const DROPS = 20;

const randInt = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo + 1));

/**
 * @param {string} subscriberBroker  ws port of the node the subscriber reaches through the proxy
 * @param {string} senderUrl  where the other client sends
 */
async function resumeUnderCuts(subscriberBrokerPort, senderUrl) {
  const proxy = await startProxy(subscriberBrokerPort);
  atEnd(() => proxy.close());
  const bob = devClient(senderUrl, 'bob');
  const ann = devClient(proxy.wsUrl, 'ann');
  atEnd(() => bob.close(), () => ann.close());
  await bob.connect();
  await ann.connect();
  const conv = await bob.createConversation({ displayName: 'resume under cuts' });
  await ann.join({ conversationId: conv.id });
  const sub = await ann.subscribe(conv.id, { sinceSeq: 0 });
  const rec = record(sub);
  let connects = 0;
  ann.on('state', (s) => s == 'connected' && connects++);

  let sending = true;
  let bobSent = 0;
  const bobLoop = (async () => {
    while (sending) {
      await bob.sendMessage(conv.id, `bob ${bobSent}`);
      bobSent++;
      await sleep(randInt(0, 3));
    }
  })();

  const annSends = [];
  let rounds = 0;
  while (proxy.drops < DROPS) {
    await waitUntil(() => ann.state == 'connected', `reconnect ${rounds}`);
    // A random point: after 0 to 3 more events, with a send of ann's in flight.
    const before = rec.events.length;
    const more = randInt(0, 3);
    await waitUntil(() => rec.events.length >= before + more || ann.state != 'connected', 'events');
    if (ann.state != 'connected' || !proxy.links) continue;
    const drops = proxy.drops;
    annSends.push(ann.sendMessage(conv.id, `ann ${rounds}`));
    const kind = rounds++ % 3;
    let expect = 1;
    if (kind == 0) proxy.cut();
    // After a few more bytes from the broker: mostly inside a frame.
    else if (kind == 1) proxy.cutAfter(randInt(1, 300));
    else {
      // Cut now, and the next link during its handshake or replay.
      proxy.cut();
      proxy.cutAfter(randInt(1, 900));
      expect = 2;
    }
    await waitUntil(() => proxy.drops >= drops + expect, `cut ${rounds}`);
  }
  await waitUntil(() => ann.state == 'connected', 'the last reconnect');
  await sleep(50);
  sending = false;
  await bobLoop;
  const annResults = await Promise.all(annSends);
  assert.equal(annResults.length, rounds);

  const log = await readLog(bob, conv.id);
  const lastSeq = log[log.length - 1].seq;
  await waitUntil(() => sub.lastSeq == lastSeq, 'the subscriber to catch up', 15000, () => `at ${sub.lastSeq} of ${lastSeq}`);

  // Exactly once, in order: 1..lastSeq, nothing else.
  const seqs = rec.events.map((e) => e.seq);
  assert.deepEqual(seqs, Array.from({ length: lastSeq }, (_, i) => i + 1));
  assert.deepEqual(rec.events.map((e) => e.clientMessageId ?? null), log.map((e) => e.clientMessageId ?? null));
  // Every send appended once: bob's and ann's (retried across cuts).
  const texts = log.filter((e) => e.type == 'message').map((e) => e.body.text);
  assert.equal(texts.length, bobSent + rounds);
  assert.equal(new Set(texts).size, texts.length, 'a message was appended twice');
  for (let d = 0; d < rounds; d++) assert.ok(texts.includes(`ann ${d}`), `ann ${d} missing`);
  // Each caller promise resolved with the seq its message got.
  for (const [d, r] of annResults.entries()) assert.equal(log.find((e) => e.seq == r.seq)?.body.text, `ann ${d}`);
  assert.equal(rec.resets.length, 0);
  // Each round cut a connected link, which came back. (Not every link lived
  // long enough to answer its resubscribe: `resumed` may be fewer.)
  assert.ok(proxy.drops >= DROPS);
  assert.ok(connects >= rounds, `${connects} reconnects for ${rounds} rounds`);
  assert.ok(rec.resumed.length > 0);
}

test('resume: memory engine, 20 cuts', async () => {
  const broker = await startBroker({ args: ['--dev', ...FAST] });
  atEnd(() => broker.stop());
  await resumeUnderCuts(broker.port, broker.wsUrl);
});

test('resume: Redis engine, two nodes (subscriber on A through the proxy, sender on B), 20 cuts', async () => {
  const redis = await startRedis();
  atEnd(() => redis.stop());
  const a = await startBroker({ args: ['--dev', ...FAST, '--redis', redis.url, '--node-id', 'A'] });
  const b = await startBroker({ args: ['--dev', ...FAST, '--redis', redis.url, '--node-id', 'B'] });
  atEnd(() => a.stop(), () => b.stop());
  await resumeUnderCuts(a.port, b.wsUrl);
});

test('resume: a consumer, whose prevSeq chain skips agents-only events, across 8 cuts', async () => {
  const broker = await startBroker({ args: ['--dev', ...FAST] });
  const proxy = await startProxy(broker.port);
  const ann = devClient(proxy.wsUrl, 'ann', 'consumer');
  const annDirect = devClient(broker.wsUrl, 'ann', 'consumer');
  const bob = devClient(broker.wsUrl, 'bob');
  atEnd(() => broker.stop(), () => proxy.close(), () => ann.close(), () => annDirect.close(), () => bob.close());
  await Promise.all([ann.connect(), annDirect.connect(), bob.connect()]);
  const conv = await ann.createConversation({ displayName: 'consumer resume' });
  await bob.join({ conversationId: conv.id });
  const rec = record(await ann.subscribe(conv.id, { sinceSeq: 0 }));
  let sending = true;
  const bobLoop = (async () => {
    for (let i = 0; sending; i++) {
      // Two of three are agents-only: the consumer's seqs skip them.
      if (i % 3 == 0) await bob.sendMessage(conv.id, `public ${i}`);
      else await bob.sendPrivateMessage({ conversationId: conv.id, text: `private ${i}` });
      await sleep(randInt(0, 2));
    }
  })();
  while (proxy.drops < 8) {
    await waitUntil(() => ann.state == 'connected' && proxy.links > 0, 'the link');
    const before = rec.events.length;
    await waitUntil(() => rec.events.length > before || ann.state != 'connected', 'an event');
    if (proxy.drops % 2) proxy.cut();
    else {
      const drops = proxy.drops;
      proxy.cutAfter(randInt(1, 300));
      await waitUntil(() => proxy.drops > drops, 'the cut');
    }
  }
  sending = false;
  await bobLoop;
  const visible = await readLog(annDirect, conv.id);
  assert.ok(visible.every((e) => e.visibility == 'all'));
  const lastSeq = visible[visible.length - 1].seq;
  await waitUntil(() => ann.state == 'connected' && sub(ann, conv.id).lastSeq == lastSeq, 'the consumer to catch up', 15000, () => `${sub(ann, conv.id)?.lastSeq} of ${lastSeq}`);
  assert.deepEqual(rec.events.map((e) => e.seq), visible.map((e) => e.seq));
  assert.ok(rec.events.some((e, i) => i > 0 && e.seq - rec.events[i - 1].seq > 1), 'no seq was skipped: the test shows nothing');
  assert.equal(rec.resets.length, 0);
});

const sub = (client, id) => client.subs.get(id);
