// Token refresh against a broker that checks HS256 tokens (--jwt-secret).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../support/broker.mjs';
import { atEnd, WebSocket, waitUntil, record, readLog, sleep, FAST } from '../support/sdk.mjs';
import { ParleyClient, ParleyError } from '../../sdk/parley.js';
import { signToken, tokenServer } from '../../examples/token-server.mjs';

const SECRET = 'test-secret-0123456789';

const broker = await startBroker({ args: ['--jwt-secret', SECRET, ...FAST] });
atEnd(() => broker.stop());

/** A token for `sub` living `ttlSec` seconds from now. */
const token = (sub, ttlSec, secret = SECRET) => signToken({ sub, role: 'agent', exp: Math.floor(Date.now() / 1000) + ttlSec }, secret);

function client(getToken, extra = {}) {
  const c = new ParleyClient({ url: broker.wsUrl, WebSocket, getToken, reconnect: { minDelayMs: 10, maxDelayMs: 200 }, ...extra });
  atEnd(() => c.close());
  return c;
}

test('a 2-second token is refreshed on the live link: subscriptions are kept, events keep coming', async () => {
  let fetched = 0;
  const ann = client(async () => {
    fetched++;
    return token('ann', 2);
  });
  const bob = client(async () => token('bob', 3600));
  const states = [];
  ann.on('state', (s) => states.push(s));
  await ann.connect();
  await bob.connect();
  const conv = await bob.createConversation({ displayName: 'refresh' });
  const sub = await ann.subscribe(conv.id, { sinceSeq: 0 });
  const rec = record(sub);
  // Well past three expiries of ann's first token.
  let sent = 0;
  while (fetched < 4) {
    await bob.sendMessage(conv.id, `m${sent++}`);
    await sleep(100);
  }
  await bob.sendMessage(conv.id, `m${sent++}`);
  const log = await readLog(bob, conv.id);
  await waitUntil(() => sub.lastSeq == log[log.length - 1].seq, 'the last event');
  assert.deepEqual(rec.events.map((e) => e.seq), log.map((e) => e.seq));
  assert.equal(rec.resets.length, 0);
  assert.equal(rec.ended.length, 0);
  // Refreshed in place: the link never dropped (the broker closes 4001 at exp).
  assert.deepEqual(states, ['connecting', 'connected']);
  assert.equal(ann.state, 'connected');
  assert.equal((await ann.ping()).serverTime > 0, true);
});

test('a token the broker refuses, fresh from getToken, stops the client with 401', async () => {
  let fetched = 0;
  const eve = client(async () => {
    fetched++;
    return token('eve', 3600, 'not-the-secret');
  });
  const errors = [];
  eve.on('error', (e) => errors.push(e));
  await assert.rejects(eve.connect(), (e) => e instanceof ParleyError && e.code == 401);
  assert.equal(eve.state, 'closed');
  assert.equal(fetched, 1);
  assert.equal(errors.length, 1);
  // Calls on a stopped client fail at once.
  await assert.rejects(eve.ping(), (e) => e.code == 401);
});

test('a stale token (refused, not fresh) is fetched again once, then the client connects', async () => {
  let fetched = 0;
  const ann = client(async () => {
    fetched++;
    return token('ann', 3600);
  }, { token: token('ann', 3600, 'old-secret') });
  await ann.connect();
  assert.equal(fetched, 1);
  assert.equal(ann.state, 'connected');
});

test('an expired token (closed 4001 at exp, no refresh possible in time) is replaced on reconnect', async () => {
  // getToken is slow at first refresh: the broker closes the link at exp and the client reconnects with a fresh one.
  let fetched = 0;
  const ann = client(async () => {
    fetched++;
    if (fetched == 2) await sleep(2500);
    return token('ann', fetched == 1 ? 1 : 3600);
  });
  const states = [];
  ann.on('state', (s) => states.push(s));
  await ann.connect();
  await waitUntil(() => states.includes('reconnecting') && ann.state == 'connected', 'the reconnect');
  assert.ok(fetched >= 2);
  assert.ok((await ann.ping()).serverTime > 0);
});

test('a getToken that fails (its endpoint down) is tried again with backoff; the client connects once it answers', async () => {
  let calls = 0;
  const ann = client(async () => {
    if (++calls < 3) throw new Error('token endpoint down');
    return token('ann', 3600);
  });
  const errors = [];
  ann.on('error', (e) => errors.push(e));
  await ann.connect();
  assert.equal(calls, 3);
  assert.equal(errors.length, 0);
});

test('a getToken that keeps answering the same token is not asked again and again before exp', async () => {
  const cached = token('ann', 3);
  let fetched = 0;
  const ann = client(async () => {
    fetched++;
    return cached;
  });
  await ann.connect();
  // Past the refresh point (a quarter of 2-3 s before exp), short of exp.
  await waitUntil(() => fetched == 2, 'the refresh');
  await sleep(300);
  assert.equal(fetched, 2);
});

test('examples/token-server.mjs: GET /token answers a token the broker takes', async () => {
  const srv = tokenServer({ secret: SECRET, ttlSec: 60 });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  atEnd(() => new Promise((r) => srv.close(r)));
  const base = `http://127.0.0.1:${srv.address().port}`;
  assert.equal((await fetch(`${base}/token`)).status, 401);
  assert.equal((await fetch(`${base}/elsewhere`)).status, 404);
  const ann = client(async () => (await (await fetch(`${base}/token?user=ann&role=manager&name=Ann`)).json()).token);
  const auth = await ann.connect();
  assert.deepEqual([auth.userId, auth.role, auth.tenant], ['ann', 'manager', 'default']);
  // Users are registered from their token in the background (protocol.md): soon, not at once.
  await waitUntil(async () => (await ann.getUser({ userId: 'ann' }).catch(() => null))?.name == 'Ann', "the token's name");
});
