// Unit tests of the SDK's pure parts: backoff, the ordering buffer, JWT expiry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, jwtExpiry, refreshDelay, Sequencer } from '../../sdk/parley.js';
import { signToken } from '../../examples/token-server.mjs';

test('backoff: full jitter under an exponential cap that stops at the maximum', () => {
  assert.equal(backoffDelay(0, 500, 20000, () => 0.999999), 499);
  assert.equal(backoffDelay(3, 500, 20000, () => 0.999999), 3999);
  assert.equal(backoffDelay(10, 500, 20000, () => 0.999999), 19999);
  assert.equal(backoffDelay(1000, 500, 20000, () => 0.5), 10000);
  assert.equal(backoffDelay(5, 500, 20000, () => 0), 0);
  // Random: never above the cap, and spread out (not always the same value).
  const seen = new Set();
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(2, 100, 1000);
    assert.ok(d >= 0 && d < 400, `delay ${d}`);
    seen.add(d);
  }
  assert.ok(seen.size > 20);
});

/** An event of conversation c with seq and prevSeq. */
const ev = (seq, prevSeq = seq - 1) => ({ conversationId: 'c', epoch: 'e', seq, prevSeq, type: 'message', dialogId: 'MAIN', from: null, ts: 0, visibility: 'all', body: {} });
const seqs = (evs) => evs.map((e) => e.seq);

test('sequencer: in order, once each, repeats dropped', () => {
  const s = new Sequencer(0);
  assert.deepEqual(seqs(s.push(ev(1))), [1]);
  assert.deepEqual(seqs(s.push(ev(2))), [2]);
  assert.deepEqual(seqs(s.push(ev(2))), []);
  assert.deepEqual(seqs(s.push(ev(1))), []);
  assert.deepEqual(seqs(s.push(ev(3))), [3]);
  assert.equal(s.lastSeq, 3);
  assert.equal(s.gap, false);
});

test('sequencer: holds events past a hole, releases them in order when it is filled', () => {
  const s = new Sequencer(10);
  assert.deepEqual(seqs(s.push(ev(13))), []);
  assert.deepEqual(seqs(s.push(ev(12))), []);
  assert.equal(s.gap, true);
  assert.equal(s.lastSeq, 10);
  assert.deepEqual(seqs(s.push(ev(11))), [11, 12, 13]);
  assert.equal(s.gap, false);
  assert.equal(s.lastSeq, 13);
  // A replay of what was delivered changes nothing.
  for (const n of [11, 12, 13]) assert.deepEqual(seqs(s.push(ev(n))), []);
});

test('sequencer: prevSeq chains over events this receiver may not see (consumer)', () => {
  // The consumer's start point is the log's lastSeq (5, an agents-only event);
  // the next visible event says prevSeq 3.
  const s = new Sequencer(5);
  assert.deepEqual(seqs(s.push(ev(7, 3))), [7]);
  assert.deepEqual(seqs(s.push(ev(9, 7))), [9]);
  // A hole in the visible chain: 12 follows 11, which has not come.
  assert.deepEqual(seqs(s.push(ev(12, 11))), []);
  assert.equal(s.gap, true);
  assert.deepEqual(seqs(s.push(ev(11, 9))), [11, 12]);
});

test('sequencer: an unknown start drops events; reset moves the start and forgets held ones', () => {
  const s = new Sequencer(null);
  assert.deepEqual(seqs(s.push(ev(1))), []);
  s.reset(4);
  assert.deepEqual(seqs(s.push(ev(7))), []);
  s.reset(5);
  assert.equal(s.gap, false);
  assert.deepEqual(seqs(s.push(ev(6))), [6]);
  assert.deepEqual(seqs(s.push(ev(7))), [7]);
});

test('jwtExpiry reads exp in ms; anything else is undefined', () => {
  const t = signToken({ sub: 'u', exp: 1900000000 }, 'secret');
  assert.equal(jwtExpiry(t), 1900000000 * 1000);
  assert.equal(jwtExpiry(signToken({ sub: 'u' }, 'secret')), undefined);
  // base64url payload with characters that differ from base64 (- and _), and no padding.
  const payload = Buffer.from(JSON.stringify({ exp: 1700000000, name: '??>>~~' })).toString('base64url');
  assert.match(payload, /[-_]/);
  assert.equal(jwtExpiry(`x.${payload}.y`), 1700000000 * 1000);
  for (const bad of [undefined, '', 'abc', 'a.b.c', 'a.' + Buffer.from('[1]').toString('base64url') + '.c'])
    assert.equal(jwtExpiry(bad), undefined, String(bad));
});

test('refreshDelay: a quarter of the time left early, at most 30 s early, never negative', () => {
  assert.equal(refreshDelay(2000, 0), 1500);
  assert.equal(refreshDelay(3600000, 0), 3570000);
  assert.equal(refreshDelay(1000, 5000), 0);
});

test('a helper for every method the broker serves (docs/protocol.md, "Methods served")', async () => {
  const { readFile } = await import('node:fs/promises');
  const { METHODS, ParleyClient } = await import('../../sdk/parley.js');
  const doc = await readFile(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
  const table = doc.slice(doc.indexOf('## Methods served'), doc.indexOf('### Choices where'));
  const served = [...table.matchAll(/^\| `(\w+) /gm)].map((m) => m[1]);
  assert.ok(served.length > 40, `only ${served.length} methods read from the table`);
  // These have their own API (connect, subscribe, subscribeInbox and the objects they return).
  const own = new Set(['authenticate', 'subscribe', 'unsubscribe', 'subscribeInbox', 'unsubscribeInbox']);
  const helpers = new Set(METHODS.map((m) => m.split(':')[0]));
  for (const m of served) {
    if (own.has(m)) continue;
    assert.ok(helpers.has(m), `no helper for ${m}`);
    assert.equal(typeof ParleyClient.prototype[m], 'function', m);
  }
  for (const m of helpers) assert.ok(served.includes(m), `${m} is not served`);
});
