// The checker must be able to fail: made-up histories with a lost message, a
// duplicated one, streams with a gap, a repeat, a swap, nodes that disagree…
// each must be reported, and the clean history must pass.
//   node --test tests/chaos/checker.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConversation, fingerprint, newReport, violationKinds } from './checker.mjs';

const CONV = 'c-1';
const EPOCH = 'e1';

function event(seq, type, userId, cmid, text) {
  const e = { conversationId: CONV, epoch: EPOCH, seq, prevSeq: seq - 1, type, dialogId: 'MAIN', from: { userId, role: 'AGENT' }, ts: 1000 + seq, visibility: 'all' };
  if (cmid) e.clientMessageId = cmid;
  e.body = text == null ? {} : { text };
  return e;
}

/** seq 1 created, 2 joined, 3..7 messages m0..m4 from ann. */
function cleanLog() {
  const log = [event(1, 'conversation.created', 'ann'), event(2, 'member.joined', 'bob')];
  for (let i = 0; i < 5; i++) log.push(event(3 + i, 'message', 'ann', `cm${i}`, `text ${i}`));
  return log;
}

const flat = (events) => events.flatMap((e) => [e.seq, e.prevSeq, fingerprint(e)]);

function history(mutate) {
  const log = cleanLog();
  const h = {
    id: CONV,
    logs: { n1: log, n2: structuredClone(log), n3: structuredClone(log) },
    sends: [0, 1, 2, 3, 4].map((i) => ({ userId: 'ann', clientMessageId: `cm${i}`, text: `text ${i}`, acked: { seq: 3 + i, epoch: EPOCH, duplicate: false } })),
    appStreams: [{ name: 'sub1', segments: [{ kind: 'live', data: flat(log) }] }],
    socketStreams: [{ name: 'sub1#1', start: 1, reason: 'subscribe', data: flat(log) }],
  };
  mutate?.(h, log);
  return checkConversation(newReport(), h);
}

test('a clean history passes', () => {
  const r = history();
  assert.deepEqual(r.violations, []);
  assert.equal(r.counts.acknowledged, 5);
  assert.equal(r.counts.events, 7);
});

test('an acknowledged message missing from the log is lost', () => {
  const r = history((h) => {
    for (const node of ['n1', 'n2', 'n3']) h.logs[node].splice(4, 1); // m2 gone, later seqs kept dense
    for (const node of ['n1', 'n2', 'n3']) h.logs[node].forEach((e, i) => (e.seq = i + 1));
    h.appStreams = [];
    h.socketStreams = [];
  });
  assert.equal(r.counts.lost, 1);
  assert.ok(violationKinds(r).lost);
});

test('a message stored twice is duplicated, acknowledged or not', () => {
  const r = history((h) => {
    for (const node of ['n1', 'n2', 'n3']) h.logs[node].push(event(8, 'message', 'ann', 'cm1', 'text 1'), event(9, 'message', 'ann', 'cm9', 'never answered'));
    for (const node of ['n1', 'n2', 'n3']) h.logs[node].push(event(10, 'message', 'ann', 'cm9', 'never answered'));
    h.sends.push({ userId: 'ann', clientMessageId: 'cm9', text: 'never answered', acked: null });
  });
  assert.equal(r.counts.duplicated, 2);
  assert.equal(violationKinds(r).duplicated, 2);
  assert.ok(violationKinds(r)['stream-behind']); // the subscriber never saw 8..10 either
});

test('a lost and a duplicated message in one history: both reported', () => {
  const r = history((h) => {
    for (const node of ['n1', 'n2', 'n3']) {
      const log = h.logs[node];
      log[3] = event(4, 'message', 'ann', 'cm0', 'text 0'); // cm1 overwritten by a second cm0
    }
    h.appStreams = [];
    h.socketStreams = [];
  });
  assert.equal(r.counts.lost, 1);
  assert.equal(r.counts.duplicated, 1);
  assert.deepEqual(Object.keys(violationKinds(r)).sort(), ['duplicated', 'lost']);
});

test('an acknowledgement with another seq than the stored one', () => {
  const r = history((h) => (h.sends[0].acked.seq = 4));
  assert.ok(violationKinds(r)['ack-mismatch']);
});

test('a stored message nobody sent is a phantom', () => {
  const r = history((h) => h.sends.pop());
  assert.equal(r.counts.phantom, 1);
});

test('nodes that return different logs diverge', () => {
  const r = history((h) => h.logs.n3.pop());
  assert.equal(r.counts.nodeDivergence, 1);
  const r2 = history((h) => (h.logs.n2[4].body.text = 'other'));
  assert.equal(r2.counts.nodeDivergence, 1);
});

test('a log with a hole or two epochs is malformed', () => {
  const r = history((h) => {
    for (const node of ['n1', 'n2', 'n3']) h.logs[node].splice(2, 1);
  });
  assert.ok(violationKinds(r)['log-malformed']);
});

test('a subscriber stream with a gap, a repeat, a swap, wrong content, or that stops early', () => {
  const gap = history((h, log) => (h.appStreams[0].segments[0].data = flat(log.filter((e) => e.seq != 4))));
  assert.equal(gap.counts.gaps, 1);
  assert.ok(violationKinds(gap)['stream-lost']);
  const dup = history((h, log) => (h.socketStreams[0].data = flat([...log.slice(0, 5), log[4], ...log.slice(5)])));
  assert.equal(dup.counts.streamDuplicates, 1);
  const swap = history((h, log) => (h.appStreams[0].segments[0].data = flat([log[0], log[1], log[3], log[2], ...log.slice(4)])));
  assert.equal(swap.counts.outOfOrder, 1);
  const content = history((h, log) => {
    const other = structuredClone(log);
    other[5].body.text = 'changed in flight';
    h.socketStreams[0].data = flat(other);
  });
  assert.equal(content.counts.contentMismatch, 1);
  const behind = history((h, log) => (h.appStreams[0].segments[0].data = flat(log.slice(0, 4))));
  assert.equal(behind.counts.behind, 1);
  const prev = history((h, log) => {
    const other = structuredClone(log);
    other[6].prevSeq = 3;
    h.socketStreams[0].data = flat(other);
  });
  assert.equal(prev.counts.prevSeqMismatch, 1);
});

test('a reset followed by a re-read of the hole passes; a re-read short of it does not', () => {
  const ok = history((h, log) => {
    h.appStreams[0].segments = [
      { kind: 'live', data: flat(log.slice(0, 2)) },
      { kind: 'reread', data: flat(log.slice(2, 5)) },
      { kind: 'live', data: flat(log.slice(5)) },
    ];
    h.socketStreams = [
      { name: 'sub1#1', start: 1, reason: 'subscribe', data: flat(log.slice(0, 2)) },
      { name: 'sub1#2', start: 6, reason: 'subscribe (not recovered)', data: flat(log.slice(5)) },
    ];
  });
  assert.deepEqual(ok.violations, []);
  assert.equal(ok.counts.resets, 1);
  const short = history((h, log) => {
    h.appStreams[0].segments = [
      { kind: 'live', data: flat(log.slice(0, 2)) },
      { kind: 'reread', data: flat(log.slice(2, 4)) },
      { kind: 'live', data: flat(log.slice(5)) },
    ];
  });
  assert.equal(short.counts.gaps, 1);
});

test('a socket stream that starts late or early', () => {
  const late = history((h, log) => (h.socketStreams[0].data = flat(log.slice(1))));
  assert.equal(late.counts.gaps, 1);
  const early = history((h) => (h.socketStreams[0].start = 2));
  assert.equal(early.counts.streamDuplicates, 1);
});
