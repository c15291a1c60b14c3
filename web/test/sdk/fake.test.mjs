// Behaviour the real broker does not show on demand, against a scripted one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFake, AUTH, event } from '../support/fake-broker.mjs';
import { atEnd, devClient, waitUntil, record } from '../support/sdk.mjs';


async function fake(handler) {
  const f = await startFake(handler);
  atEnd(() => f.close());
  return f;
}
function client(url, opts) {
  const c = devClient(url, 'ann', 'agent', opts);
  atEnd(() => c.close());
  return c;
}

test('1012 (service restart) reconnects; an epoch changed meanwhile resets the subscription, which goes on from there', async () => {
  const f = await fake((m, link) => {
    if (m.method == 'authenticate') return AUTH;
    if (m.method == 'subscribe' && link.n == 1) {
      setTimeout(() => [3, 4].forEach((s) => link.push('event', event(s))));
      return { result: { epoch: 'e1', lastSeq: 2, recovered: true, replayed: 0 } };
    }
    if (m.method == 'subscribe') {
      setTimeout(() => link.push('event', event(2, 'e2')));
      return { result: { epoch: 'e2', lastSeq: 1, recovered: false, replayed: 0 } };
    }
  });
  const ann = client(f.wsUrl);
  await ann.connect();
  const sub = await ann.subscribe('c');
  const rec = record(sub);
  await waitUntil(() => rec.events.length == 2, 'the live events');
  f.links[0].close(1012, 'restarting');
  await waitUntil(() => rec.events.length == 3, 'the event after the reset');
  const subs = f.requests.filter((r) => r.method == 'subscribe').map((r) => r.params);
  assert.deepEqual(subs, [{ conversationId: 'c' }, { conversationId: 'c', sinceSeq: 4, epoch: 'e1' }]);
  assert.deepEqual(rec.resets, [{ conversationId: 'c', epoch: 'e2', lastSeq: 1, reason: 'epoch', error: undefined }]);
  assert.deepEqual(rec.events.map((e) => [e.epoch, e.seq]), [['e1', 3], ['e1', 4], ['e2', 2]]);
  assert.equal(sub.epoch, 'e2');
});

test('a hole in the live stream (prevSeq ahead) resubscribes from the last seq on the same link; each event once, in order', async () => {
  let subscribes = 0;
  const f = await fake((m, link) => {
    if (m.method == 'authenticate') return AUTH;
    if (m.method == 'subscribe' && ++subscribes == 1) {
      // 1 and 2 are lost on the way: 3 says prevSeq 2.
      setTimeout(() => link.push('event', event(3)));
      return { result: { epoch: 'e1', lastSeq: 0, recovered: true, replayed: 0 } };
    }
    if (m.method == 'subscribe') {
      setTimeout(() => [1, 2, 3, 4].forEach((s) => link.push('event', event(s))));
      return { result: { epoch: 'e1', lastSeq: 3, recovered: true, replayed: 3 } };
    }
  });
  const ann = client(f.wsUrl);
  await ann.connect();
  const rec = record(await ann.subscribe('c', { sinceSeq: 0 }));
  await waitUntil(() => rec.events.length == 4, 'the events');
  assert.deepEqual(rec.events.map((e) => e.seq), [1, 2, 3, 4]);
  assert.equal(f.links.length, 1);
  assert.deepEqual(f.requests.filter((r) => r.method == 'subscribe').at(-1).params, { conversationId: 'c', sinceSeq: 0, epoch: 'e1' });
});

test('pushes: conversation-scoped ones reach the subscription, subscriptionReset resets it, an unknown subscription-ending push ends it', async () => {
  const f = await fake((m) => {
    if (m.method == 'authenticate') return AUTH;
    if (m.method == 'subscribe') return { result: { epoch: 'e1', lastSeq: 5, recovered: true, replayed: 0 } };
  });
  const ann = client(f.wsUrl);
  const pushes = [];
  ann.on('push', (p) => pushes.push(p.method));
  const receipts = [];
  ann.on('receipt', (p) => receipts.push(p));
  await ann.connect();
  const sub = await ann.subscribe('c');
  const rec = record(sub);
  const chat = [];
  sub.on('chatState', (p) => chat.push(p.state));
  const link = f.links[0];
  link.push('chatState', { conversationId: 'c', userId: 'bob', state: 'COMPOSING' });
  link.push('chatState', { conversationId: 'other', userId: 'bob', state: 'PAUSE' });
  link.push('receipt', { conversationId: 'c', userId: 'bob', status: 'READ', seq: 5 });
  link.push('subscriptionReset', { conversationId: 'c', epoch: 'e9', lastSeq: 7, reason: 'epoch changed' });
  link.push('event', event(8, 'e9', 7));
  link.push('subscriptionEnded', { conversationId: 'c', reason: 'access revoked' });
  link.push('event', event(9, 'e9', 8));
  await waitUntil(() => rec.ended.length == 1, 'the end');
  assert.deepEqual(chat, ['COMPOSING']);
  assert.equal(receipts.length, 1);
  assert.deepEqual(rec.resets.map((r) => [r.epoch, r.lastSeq, r.reason]), [['e9', 7, 'epoch changed']]);
  assert.deepEqual(rec.events.map((e) => e.seq), [8]);
  assert.deepEqual(rec.ended, [{ conversationId: 'c', reason: 'access revoked' }]);
  assert.equal(ann.subs.size, 0);
  assert.deepEqual(pushes.slice(0, 3), ['chatState', 'chatState', 'receipt']);
  // Not subscribed any more: no resubscribe after a reconnect.
  link.close(1012);
  await waitUntil(() => f.links.length == 2 && ann.state == 'connected', 'the reconnect');
  await ann.ping();
  assert.equal(f.requests.filter((r) => r.method == 'subscribe').length, 1);
});

test('close 4003 (origin) and 4029 (abuse) stop the client with a clear error; no reconnect', async () => {
  for (const code of [4003, 4029]) {
    const f = await fake((m, link) => {
      if (m.method == 'authenticate') {
        setTimeout(() => link.close(code, 'go away'));
        return AUTH;
      }
    });
    const ann = client(f.wsUrl);
    const errors = [];
    ann.on('error', (e) => errors.push(e));
    await ann.connect();
    await waitUntil(() => ann.state == 'closed', 'the stop');
    assert.equal(ann.error?.code, `CLOSE_${code}`);
    assert.match(ann.error.message, /go away/);
    assert.equal(errors.length, 1);
    await assert.rejects(ann.ping(), (e) => e.code == `CLOSE_${code}`);
    await assert.rejects(ann.connect(), (e) => e.code == `CLOSE_${code}`);
    assert.equal(f.links.length, 1);
  }
});

test('a failed resubscribe retries on its own link only: after a reconnect the handshake sends the one subscribe', async () => {
  const ok = { result: { epoch: 'e1', lastSeq: 2, recovered: true, replayed: 0 } };
  const f = await fake((m, link) => {
    if (m.method == 'authenticate') return AUTH;
    if (m.method != 'subscribe') return;
    // Link 2: the resubscribe is refused (storage down), then the link drops under its retry timer.
    if (link.n == 2) {
      setTimeout(() => link.close(1012));
      return { error: { code: 503, message: 'storage unavailable' } };
    }
    return ok;
  });
  const ann = client(f.wsUrl);
  await ann.connect();
  const sub = await ann.subscribe('c');
  const rec = record(sub);
  f.links[0].close(1012);
  await waitUntil(() => f.links.length == 3 && rec.resumed.length == 1, 'the resubscribe on the third link');
  // The retry of link 2 was due within 1 s of its 503.
  await new Promise((r) => setTimeout(r, 1200));
  const onLink = (n) => f.requests.filter((r) => r.method == 'subscribe' && r.link == n).length;
  assert.deepEqual([onLink(1), onLink(2), onLink(3)], [1, 1, 1]);
  assert.equal(f.links.length, 3);
});

test('unsubscribe cancels a resubscribe retry still waiting: no subscribe after it', async () => {
  let subscribes = 0;
  const f = await fake((m, link) => {
    if (m.method == 'authenticate') return AUTH;
    if (m.method == 'unsubscribe') return { result: {} };
    if (m.method != 'subscribe') return;
    if (++subscribes == 1) {
      // 1 is lost on the way: 2 says prevSeq 1, and the resubscribe that fills the hole is refused.
      setTimeout(() => link.push('event', event(2)));
      return { result: { epoch: 'e1', lastSeq: 0, recovered: true, replayed: 0 } };
    }
    return { error: { code: 503, message: 'storage unavailable' } };
  });
  const ann = client(f.wsUrl);
  await ann.connect();
  const sub = await ann.subscribe('c', { sinceSeq: 0 });
  await waitUntil(() => subscribes == 2 && !sub.pending, 'the refused resubscribe');
  await sub.unsubscribe();
  await new Promise((r) => setTimeout(r, 1200));
  assert.deepEqual(f.requests.filter((r) => r.method != 'authenticate' && r.method != 'ping').map((r) => r.method), ['subscribe', 'subscribe', 'unsubscribe']);
});
