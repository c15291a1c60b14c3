// The cases, in Autobahn|Testsuite's sections (its case descriptions told
// us what to test; the cases are written for this suite).
//
// A case is { id, section, title, run(c, a, srv, prepared), expect(a, srv),
// prepare?(a, srv) }:
//   run      writes frames on client c (client.mjs); a is the server's
//            adapter (servers.mjs), which makes the payloads the server
//            answers, srv the server (srv.limit: its message limit);
//            prepared is what prepare returned (built before the clock
//            starts).
//   expect   { strict: pattern, nonStrict?: [pattern, ...] }: a pattern is
//            the list of tokens (client.mjs) the server must cause, in
//            order; a token may list alternatives with '|'. The result is
//            "passed" when the strict pattern matches, "non-strict" when one
//            of the others does (either behaviour is allowed), else "failed".
// After run the suite waits for the tokens the strict pattern wants; when
// the connection is still open it closes it (">close") and expects the
// server to answer 1000 and close TCP.
import { readFileSync } from 'node:fs';
import { OP, buildFrame, closePayload, fingerprint } from './frames.mjs';
import { CLOSE_WAIT_MS } from './client.mjs';

// ---------------------------------------------------------------------------
// Patterns

const END = 'eof|eof-by-client|reset';
// The connection stays open; the client's close then completes cleanly
// (the server answers 1000 and closes TCP itself).
const open = (...tokens) => [...tokens, '>close', 'close:1000', 'eof'];
// The server fails the connection with one of `codes`.
const fail = (codes, ...before) => [...before, `close:${[codes].flat().join('|')}`, END];
// The client closes with a code; the server answers with `answer`.
const closedBy = (answer, ...before) => [...before, '>close', `close:${answer}`, END];
const cleanClose = (answer, ...before) => [...before, '>close', `close:${answer}`, 'eof'];
const pong = (payload) => `pong:${fingerprint(Buffer.from(payload))}`;
const times = (n, token) => Array(n).fill(token);

// The answer to a binary message: its echo, or the close the server
// refuses binary messages with.
const binaryAnswer = (a, ...before) =>
  a.binaryRefusedWith ? fail(a.binaryRefusedWith, ...before) : open(...before, 'answer');

// ---------------------------------------------------------------------------
// Frames

const F = {
  text: (payload, fin = true, opts = {}) => buildFrame({ opcode: OP.text, payload, fin, ...opts }),
  binary: (payload, fin = true, opts = {}) => buildFrame({ opcode: OP.binary, payload, fin, ...opts }),
  cont: (payload, fin = true, opts = {}) => buildFrame({ opcode: OP.continuation, payload, fin, ...opts }),
  ping: (payload = '', opts = {}) => buildFrame({ opcode: OP.ping, payload, ...opts }),
  pong: (payload = '', opts = {}) => buildFrame({ opcode: OP.pong, payload, ...opts }),
  close: (code = 1000, reason = '', opts = {}) => buildFrame({ opcode: OP.close, payload: closePayload(code, reason), ...opts }),
  raw: (opts) => buildFrame(opts),
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Writes frames: all in one write, one write per frame ('frame', a pause
// between them) or one write per byte ('octet').
async function send(c, frames, chop) {
  const note = (f) => {
    if ((f[0] & 0x0f) === OP.close) c.closing();
  };
  if (!chop) {
    frames.forEach(note);
    c.send(Buffer.concat(frames));
    return;
  }
  for (const f of frames) {
    note(f);
    if (chop === 'frame') {
      c.send(f);
      await sleep(5);
    } else {
      for (let i = 0; i < f.length; i++) {
        c.send(f.subarray(i, i + 1));
        await sleep(1);
      }
    }
  }
}

// Splits a payload at the given byte offsets.
function splitAt(buf, offsets) {
  const parts = [];
  let from = 0;
  for (const at of offsets) {
    parts.push(buf.subarray(from, at));
    from = at;
  }
  parts.push(buf.subarray(from));
  return parts;
}

// Splits a payload into n nearly equal parts.
function splitN(buf, n) {
  const offsets = [];
  for (let i = 1; i < n; i++) offsets.push(Math.floor((buf.length * i) / n));
  return splitAt(buf, offsets);
}

// A message as fragments: the first with `opcode`, continuations after.
const fragments = (parts, opcode = OP.text) =>
  parts.map((p, i) =>
    buildFrame({ opcode: i === 0 ? opcode : OP.continuation, payload: p, fin: i === parts.length - 1 }),
  );

// ---------------------------------------------------------------------------

const cases = [];
const add = (section, id, title, expect, run) => cases.push({ section, id, title, expect, run });
// A case that writes bytes built by build(a, srv) in one write; they are
// built before the case's clock starts (section 9 prints the time).
const addBulk = (section, id, title, expect, build) =>
  cases.push({ section, id, title, expect, prepare: build, run: (c, a, srv, bytes) => void c.send(bytes) });

// A request of `size` bytes (at least the smallest request the server
// answers).
const req = (a, size) => a.request(Math.max(size, a.minRequest));

// ===== 1 Framing ===========================================================

const lengths = [0, 125, 126, 127, 128, 65535, 65536];
lengths.forEach((n, i) => {
  add(1, `1.1.${i + 1}`, `text message, payload ${n} bytes`, () => ({ strict: open('answer') }), (c, a) => {
    c.text(a.request(n));
  });
});
add(1, '1.1.8', 'text message, 65536 bytes, written in 997-byte chops', () => ({ strict: open('answer') }), async (c, a) => {
  const f = F.text(a.request(65536));
  for (let i = 0; i < f.length; i += 997) c.send(f.subarray(i, i + 997));
});
lengths.forEach((n, i) => {
  add(1, `1.2.${i + 1}`, `binary message, payload ${n} bytes`, (a) => ({ strict: binaryAnswer(a) }), (c, a) => {
    c.send(F.binary(a.binary(Buffer.alloc(n, 0xfe)).payload));
  });
});
add(1, '1.3.1', 'length 100 in the 16-bit form (not minimal)', () => ({ strict: open('answer'), nonStrict: [fail(1002)] }), (c, a) => {
  c.text(req(a, 100), { lengthBytes: 2 });
});
add(1, '1.3.2', 'length 100 in the 64-bit form (not minimal)', () => ({ strict: open('answer'), nonStrict: [fail(1002)] }), (c, a) => {
  c.text(req(a, 100), { lengthBytes: 8 });
});
add(1, '1.3.3', 'length 1000 in the 64-bit form (not minimal)', () => ({ strict: open('answer'), nonStrict: [fail(1002)] }), (c, a) => {
  c.text(req(a, 1000), { lengthBytes: 8 });
});
add(1, '1.3.4', 'unmasked client text frame', () => ({ strict: fail(1002) }), (c, a) => {
  c.text(req(a, 100), { mask: false });
  a.pending.pop();
});
add(1, '1.3.5', 'unmasked client ping', () => ({ strict: fail(1002) }), (c) => {
  c.ping('hello', { mask: false });
});
add(1, '1.3.6', '64-bit length with the most significant bit set', () => ({ strict: fail(1002), nonStrict: [fail(1009)] }), (c) => {
  c.send(F.text('', true, { declaredLength: 1n << 63n, lengthBytes: 8 }));
});
add(1, '1.3.7', 'length 2^32 declared, payload never sent (over the limit)', () => ({ strict: fail(1009) }), (c) => {
  c.send(F.text('', true, { declaredLength: 2 ** 32, lengthBytes: 8 }));
});
add(1, '1.3.8', 'header written one byte at a time', () => ({ strict: open('answer') }), async (c, a) => {
  const f = F.text(req(a, 300));
  for (let i = 0; i < 8; i++) {
    c.send(f.subarray(i, i + 1));
    await sleep(2);
  }
  c.send(f.subarray(8));
});
add(1, '1.3.9', 'two frames in one TCP write', () => ({ strict: open('answer', 'answer') }), (c, a) => {
  c.send(Buffer.concat([F.text(req(a, 80)), F.text(req(a, 200))]));
});
add(1, '1.3.10', 'more bytes than the length says (the rest reads as a frame with RSV bits)', () => ({
  strict: fail(1002, 'answer'),
  nonStrict: [fail(1002)],
}), (c, a) => {
  // 'x' is 0x78: FIN 0, RSV 7, opcode 8.
  c.send(Buffer.concat([F.text(req(a, 100)), Buffer.from('xxxxxxxx')]));
});
add(1, '1.3.11', 'masking key 00 00 00 00 (the payload travels as is)', () => ({ strict: open('answer') }), (c, a) => {
  c.text(req(a, 100), { key: Buffer.alloc(4) });
});

// ===== 2 Ping / pong =======================================================

add(2, '2.1', 'ping without payload', () => ({ strict: open(pong('')) }), (c) => {
  c.ping();
});
add(2, '2.2', 'ping with a small text payload', () => ({ strict: open(pong('Hello, world!')) }), (c) => {
  c.ping('Hello, world!');
});
const bin8 = Buffer.from([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]);
add(2, '2.3', 'ping with a small binary payload', () => ({ strict: open(pong(bin8)) }), (c) => {
  c.ping(bin8);
});
add(2, '2.4', 'ping with 125 bytes (the most a control frame holds)', () => ({ strict: open(pong(Buffer.alloc(125, 0xfe))) }), (c) => {
  c.ping(Buffer.alloc(125, 0xfe));
});
add(2, '2.5', 'ping with 126 bytes (too long for a control frame)', () => ({ strict: fail(1002) }), (c) => {
  c.ping(Buffer.alloc(126, 0xfe));
});
add(2, '2.6', 'ping with 125 bytes written one byte at a time', () => ({ strict: open(pong(Buffer.alloc(125, 0x61))) }), async (c) => {
  await send(c, [F.ping(Buffer.alloc(125, 0x61))], 'octet');
});
add(2, '2.7', 'unsolicited pong without payload, then a ping', () => ({ strict: open(pong('after')) }), (c) => {
  c.send(Buffer.concat([F.pong(), F.ping('after')]));
});
add(2, '2.8', 'unsolicited pong with payload, then a ping', () => ({ strict: open(pong('after')) }), (c) => {
  c.send(Buffer.concat([F.pong('unsolicited'), F.ping('after')]));
});
add(2, '2.9', 'unsolicited pong, then a ping with payload', () => ({ strict: open(pong('ping payload')) }), (c) => {
  c.send(Buffer.concat([F.pong('pong payload'), F.ping('ping payload')]));
});
const tenPings = Array.from({ length: 10 }, (_, i) => `payload ${i}`);
add(2, '2.10', '10 pings with payloads, in one write: 10 pongs in order', () => ({ strict: open(...tenPings.map(pong)) }), (c) => {
  c.send(Buffer.concat(tenPings.map((p) => F.ping(p))));
});
add(2, '2.11', '10 pings, frame by frame', () => ({ strict: open(...tenPings.map(pong)) }), async (c) => {
  await send(c, tenPings.map((p) => F.ping(p)), 'frame');
});
add(2, '2.12', 'pong with 126 bytes (too long for a control frame)', () => ({ strict: fail(1002) }), (c) => {
  c.send(F.pong(Buffer.alloc(126, 0x61)));
});
add(2, '2.13', 'ping of 125 bytes in the 16-bit length form (not minimal)', () => ({
  strict: open(pong(Buffer.alloc(125, 0x62))),
  nonStrict: [fail(1002)],
}), (c) => {
  c.ping(Buffer.alloc(125, 0x62), { lengthBytes: 2 });
});
const manyPings = Array.from({ length: 1000 }, (_, i) => `p${String(i).padStart(3, '0')}`);
// RFC 6455 §5.5.3 lets a server answer only the latest of pings it has
// not answered yet, and a server may take a burst of pings for a flood
// (`ws` drops the connection past 60 unsent pongs).
const somePongsThenDropped = {
  text: 'pongs in order, fewer than sent, then the connection dropped',
  test: (tokens) => {
    const want = manyPings.map(pong);
    let i = 0;
    let k = 0;
    for (; k < tokens.length && tokens[k].startsWith('pong:'); k++) {
      while (i < want.length && want[i] !== tokens[k]) i++;
      if (i++ === want.length) return false;
    }
    const rest = tokens.slice(k);
    return rest.length === 1 && ['eof', 'reset'].includes(rest[0]);
  },
};
addBulk(2, '2.14', '1000 pings in one write: 1000 pongs in order', () => ({
  strict: open(...manyPings.map(pong)),
  nonStrict: [somePongsThenDropped],
}), () => Buffer.concat(manyPings.map((p) => F.ping(p))));
add(2, '2.15', 'ping between requests: answers and pong in order', () => ({ strict: open('answer', pong('mid'), 'answer') }), async (c, a) => {
  c.text(req(a, 64));
  await c.waitTokens(1);
  c.ping('mid');
  await c.waitTokens(2);
  c.text(req(a, 64));
});

// ===== 3 Reserved bits =====================================================

add(3, '3.1', 'text frame with RSV1 (no extension agreed)', () => ({ strict: fail(1002) }), (c, a) => {
  c.text(req(a, 64), { rsv: 4 });
  a.pending.pop();
});
const rsvAfterText = (id, rsv, chop) =>
  add(3, id, `request, then a text frame with RSV=${rsv}, then a ping${chop ? ` (${chop}-wise writes)` : ''}`, () => ({
    strict: fail(1002, 'answer'),
    nonStrict: [fail(1002)],
  }), async (c, a) => {
    const first = F.text(req(a, 64));
    const bad = F.text(req(a, 64), true, { rsv });
    a.pending.pop();
    await send(c, [first, bad, F.ping('x')], chop);
  });
rsvAfterText('3.2', 2);
rsvAfterText('3.3', 3, 'frame');
rsvAfterText('3.4', 4, 'octet');
add(3, '3.5', 'binary frame with RSV=5', () => ({ strict: fail(1002) }), (c) => {
  c.send(F.binary(Buffer.alloc(8, 1), true, { rsv: 5 }));
});
add(3, '3.6', 'ping with RSV=6', () => ({ strict: fail(1002) }), (c) => {
  c.send(F.ping('x', { rsv: 6 }));
});
add(3, '3.7', 'close with RSV=7', () => ({ strict: fail(1002), nonStrict: [closedBy(1002)] }), (c) => {
  c.send(F.close(1000, '', { rsv: 7 }));
});

// ===== 4 Opcodes ===========================================================

const opcodeCases = (group, ops) =>
  ops.forEach((op, i) => {
    const withPayload = i % 2 === 1;
    const afterText = i >= 2;
    add(4, `4.${group}.${i + 1}`, `${afterText ? 'request, then ' : ''}reserved opcode ${op}${withPayload ? ' with payload' : ''}${afterText ? ', then a ping' : ''}`, () =>
      afterText ? { strict: fail(1002, 'answer'), nonStrict: [fail(1002)] } : { strict: fail(1002) },
    (c, a) => {
      const frames = [];
      if (afterText) frames.push(F.text(req(a, 64)));
      frames.push(F.raw({ opcode: op, payload: withPayload ? 'reserved' : '' }));
      if (afterText) frames.push(F.ping('x'));
      c.send(Buffer.concat(frames));
    });
  });
opcodeCases(1, [3, 4, 5, 6, 7]);
opcodeCases(2, [11, 12, 13, 14, 15]);

// ===== 5 Fragmentation =====================================================

add(5, '5.1', 'ping in two fragments', () => ({ strict: fail(1002) }), (c) => {
  c.send(Buffer.concat([F.raw({ opcode: OP.ping, payload: 'frag', fin: false }), F.cont('ment')]));
});
add(5, '5.2', 'pong in two fragments', () => ({ strict: fail(1002) }), (c) => {
  c.send(Buffer.concat([F.raw({ opcode: OP.pong, payload: 'frag', fin: false }), F.cont('ment')]));
});
for (const [id, chop] of [['5.3'], ['5.4', 'frame'], ['5.5', 'octet']])
  add(5, id, `text in two fragments${chop ? ` (${chop}-wise writes)` : ''}`, () => ({ strict: open('answer') }), async (c, a) => {
    await send(c, fragments(splitN(req(a, 80), 2)), chop);
  });
for (const [id, chop] of [['5.6'], ['5.7', 'frame'], ['5.8', 'octet']])
  add(5, id, `text in two fragments, a ping between them${chop ? ` (${chop}-wise writes)` : ''}`, () => ({
    strict: open(pong('between'), 'answer'),
  }), async (c, a) => {
    const [f1, f2] = fragments(splitN(req(a, 80), 2));
    await send(c, [f1, F.ping('between'), f2], chop);
  });
for (const [id, fin, chop] of [
  ['5.9', true], ['5.10', true, 'frame'], ['5.11', true, 'octet'],
  ['5.12', false], ['5.13', false, 'frame'], ['5.14', false, 'octet'],
])
  add(5, id, `continuation (FIN=${fin ? 1 : 0}) with nothing to continue, then a request${chop ? ` (${chop}-wise writes)` : ''}`, () => ({
    strict: fail(1002),
  }), async (c, a) => {
    const f = [F.cont('nothing to continue', fin), F.text(req(a, 64))];
    a.pending.pop();
    await send(c, f, chop);
  });
add(5, '5.15', 'text in two fragments, then a continuation with nothing to continue, then a request', () => ({
  strict: fail(1002, 'answer'),
  nonStrict: [fail(1002)],
}), (c, a) => {
  const frames = [...fragments(splitN(req(a, 80), 2)), F.cont('x', false), F.text(req(a, 64))];
  a.pending.pop();
  c.send(Buffer.concat(frames));
});
for (const [id, fin] of [['5.16', false], ['5.17', true]])
  add(5, id, `continuation (FIN=${fin ? 1 : 0}) with nothing to continue, then a fragmented text, twice`, () => ({ strict: fail(1002) }), (c, a) => {
    const frames = [];
    for (let i = 0; i < 2; i++) frames.push(F.cont('orphan', fin), ...fragments(splitN(req(a, 80), 2)));
    a.pending.length = 0;
    c.send(Buffer.concat(frames));
  });
add(5, '5.18', 'a new text frame while a message is fragmented', () => ({ strict: fail(1002) }), (c, a) => {
  const [f1] = fragments(splitN(req(a, 80), 2));
  a.pending.pop();
  c.send(Buffer.concat([f1, F.text(req(a, 64))]));
  a.pending.pop();
});
for (const [id, chop] of [['5.19'], ['5.20', 'frame']])
  add(5, id, `text in 5 fragments, pings between them and pauses${chop ? ` (${chop}-wise writes)` : ''}`, () => ({
    strict: open(pong('ping 1'), pong('ping 2'), 'answer'),
  }), async (c, a) => {
    const f = fragments(splitN(req(a, 100), 5));
    await send(c, [f[0], f[1], F.ping('ping 1')], chop);
    await sleep(200);
    await send(c, [f[2], f[3], F.ping('ping 2')], chop);
    await sleep(200);
    await send(c, [f[4]], chop);
  });
add(5, '5.21', 'text whose first and last fragments are empty', () => ({ strict: open('answer') }), (c, a) => {
  c.send(Buffer.concat(fragments([Buffer.alloc(0), req(a, 80), Buffer.alloc(0)])));
});
add(5, '5.22', 'binary in three fragments', (a) => ({ strict: binaryAnswer(a) }), (c, a) => {
  c.send(Buffer.concat(fragments(splitN(a.binary(Buffer.alloc(300, 7)).payload, 3), OP.binary)));
});
add(5, '5.23', 'text fragment, then a binary frame (a new message while fragmented)', () => ({ strict: fail(1002) }), (c, a) => {
  const [f1] = fragments(splitN(req(a, 80), 2));
  a.pending.pop();
  c.send(Buffer.concat([f1, F.binary('x')]));
});
add(5, '5.24', 'text fragment, a pong, then the rest', () => ({ strict: open('answer') }), (c, a) => {
  const [f1, f2] = fragments(splitN(req(a, 80), 2));
  c.send(Buffer.concat([f1, F.pong('unsolicited'), f2]));
});
add(5, '5.25', 'close in two fragments', () => ({ strict: fail(1002) }), (c) => {
  c.send(Buffer.concat([F.raw({ opcode: OP.close, payload: closePayload(1000).subarray(0, 1), fin: false }), F.cont(closePayload(1000).subarray(1))]));
});

// ===== 6 UTF-8 =============================================================

const hex = (s) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// "κόσμε" with U+1F79 (omicron with oxia, 3 bytes): ce ba e1 bd b9 cf 83 ce bc ce b5
const cosmos = Buffer.from('\u03ba\u1f79\u03c3\u03bc\u03b5', 'utf8');

// A message carrying `bytes` where the server echoes them back.
const carry = (a, bytes) => a.carrying(bytes);

add(6, '6.1.1', 'empty text message', () => ({ strict: open('answer') }), (c, a) => {
  c.text(a.request(0));
});
add(6, '6.1.2', 'text in three empty fragments', () => ({ strict: open('answer') }), (c, a) => {
  a.request(0);
  c.send(Buffer.concat(fragments([Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)])));
});
add(6, '6.2.1', 'valid multibyte UTF-8 in one frame', () => ({ strict: open('answer') }), (c, a) => {
  c.text(carry(a, Buffer.from('Hello-µ@ßöäüàá-UTF-8!!', 'utf8')).payload);
});
add(6, '6.2.2', 'valid UTF-8, fragmented on code points', () => ({ strict: open('answer') }), (c, a) => {
  const text = 'Hello-µ@ßöäüàá-UTF-8!!';
  const { payload, at } = carry(a, Buffer.from(text, 'utf8'));
  const offsets = [];
  let o = at;
  for (const ch of text) {
    o += Buffer.byteLength(ch);
    offsets.push(o);
  }
  c.send(Buffer.concat(fragments(splitAt(payload, offsets.slice(0, -1)))));
});
add(6, '6.2.3', 'valid UTF-8, one fragment per byte (characters split)', () => ({ strict: open('answer') }), (c, a) => {
  const { payload } = carry(a, Buffer.from('Hello-µ@ßöäüàá-UTF-8!!', 'utf8'));
  c.send(Buffer.concat(fragments(splitAt(payload, [...payload.keys()].slice(1)))));
});
add(6, '6.2.4', '"κόσμε" one fragment per byte', () => ({ strict: open('answer') }), (c, a) => {
  const { payload } = carry(a, cosmos);
  c.send(Buffer.concat(fragments(splitAt(payload, [...payload.keys()].slice(1)))));
});
const surrogateText = Buffer.concat([cosmos, hex('eda080'), Buffer.from('edited')]);
add(6, '6.3.1', 'invalid UTF-8 (a surrogate) in one frame', () => ({ strict: fail(1007) }), (c, a) => {
  c.text(carry(a, surrogateText).payload);
});
add(6, '6.3.2', 'the same, one fragment per byte', () => ({ strict: fail(1007) }), (c, a) => {
  const { payload } = carry(a, surrogateText);
  c.send(Buffer.concat(fragments(splitAt(payload, [...payload.keys()].slice(1)))));
});

// Fail fast: the invalid bytes are in a fragment that is not the last; a
// server that checks as bytes arrive closes before the rest is sent
// (strict), one that checks the whole message closes at its end
// (non-strict).
const failFast = (id, title, invalidInFirstPart, chop) =>
  add(6, id, title, () => ({ strict: fail(1007), nonStrict: [fail(1007, '>rest')] }), async (c, a) => {
    const text = Buffer.concat([cosmos, invalidInFirstPart, Buffer.from('edited')]);
    const { payload, at } = carry(a, text);
    const cut = at + cosmos.length + invalidInFirstPart.length;
    const [f1, f2] = fragments([payload.subarray(0, cut), payload.subarray(cut)]);
    await send(c, [f1], chop);
    if (await c.waitFor(() => c.gotClose, 500)) return;
    c.record('>rest');
    await send(c, [f2], chop);
  });
failFast('6.4.1', 'invalid code point (> U+10FFFF) in a first fragment, then a pause', hex('f4908080'));
failFast('6.4.2', 'a first fragment ending in a lone surrogate, then a pause', hex('eda080'));
failFast('6.4.3', 'invalid byte 0xFF in a first fragment (frame-wise writes)', hex('ff'), 'frame');
failFast('6.4.4', 'invalid bytes in a first fragment (octet-wise writes)', hex('c0af'), 'octet');

// Sequences, valid or not, each sent in one frame and again split in the
// middle of the sequence across two fragments.
const sequences = [
  // [group, title, hex, valid]
  [5, '"κόσμε"', cosmos.toString('hex'), true],
  [7, 'first 2-byte sequence U+0080', 'c280', true],
  [7, 'first 3-byte sequence U+0800', 'e0a080', true],
  [7, 'first 4-byte sequence U+10000', 'f0908080', true],
  [8, 'first 5-byte sequence', 'f888808080', false],
  [8, 'first 6-byte sequence', 'fc8480808080', false],
  [9, 'last 1-byte sequence U+007F', '7f', true],
  [9, 'last 2-byte sequence U+07FF', 'dfbf', true],
  [9, 'last 3-byte sequence U+FFFF', 'efbfbf', true],
  [9, 'last 4-byte pattern U+1FFFFF', 'f7bfbfbf', false],
  [9, 'last 5-byte sequence', 'fbbfbfbfbf', false],
  [9, 'last 6-byte sequence', 'fdbfbfbfbfbf', false],
  [10, 'U+D7FF (before the surrogates)', 'ed9fbf', true],
  [10, 'U+E000 (after the surrogates)', 'ee8080', true],
  [10, 'U+FFFD', 'efbfbd', true],
  [10, 'U+10FFFF (the last code point)', 'f48fbfbf', true],
  [10, 'U+110000 (past the last code point)', 'f4908080', false],
  [12, 'lone continuation byte 0x80', '80', false],
  [12, 'lone continuation byte 0xBF', 'bf', false],
  [12, 'two continuation bytes', '80bf', false],
  [12, 'three continuation bytes', '80bf80', false],
  [13, 'lone 2-byte start followed by a space', 'c020', false],
  [13, 'lone 3-byte start followed by a space', 'e020', false],
  [13, 'lone 4-byte start followed by a space', 'f020', false],
  [14, '2-byte sequence missing its last byte', 'df', false],
  [14, '3-byte sequence missing its last byte', 'efbf', false],
  [14, '4-byte sequence missing its last byte', 'f48fbf', false],
  [15, 'incomplete sequences one after another', 'c0e080f08080dfefbff7bfbf', false],
  [16, 'impossible byte 0xFE', 'fe', false],
  [16, 'impossible byte 0xFF', 'ff', false],
  [16, 'impossible bytes FE FE FF FF', 'fefeffff', false],
  [17, 'overlong "/" in 2 bytes', 'c0af', false],
  [17, 'overlong "/" in 3 bytes', 'e080af', false],
  [17, 'overlong "/" in 4 bytes', 'f08080af', false],
  [18, 'largest overlong 2-byte sequence', 'c1bf', false],
  [18, 'largest overlong 3-byte sequence', 'e09fbf', false],
  [18, 'largest overlong 4-byte sequence', 'f08fbfbf', false],
  [19, 'overlong NUL in 2 bytes', 'c080', false],
  [19, 'overlong NUL in 3 bytes', 'e08080', false],
  [19, 'overlong NUL in 4 bytes', 'f0808080', false],
  [20, 'surrogate U+D800', 'eda080', false],
  [20, 'surrogate U+DB7F', 'edadbf', false],
  [20, 'surrogate U+DBFF', 'edafbf', false],
  [20, 'surrogate U+DC00', 'edb080', false],
  [20, 'surrogate U+DFFF', 'edbfbf', false],
  [21, 'surrogate pair U+D800 U+DC00 (CESU-8)', 'eda080edb080', false],
  [21, 'surrogate pair U+DBFF U+DFFF (CESU-8)', 'edafbfedbfbf', false],
  [22, 'noncharacter U+FFFE', 'efbfbe', true],
  [22, 'noncharacter U+1FFFE', 'f09fbfbe', true],
  [22, 'noncharacter U+10FFFF', 'f48fbfbf', true],
  [22, 'noncharacter U+FDD0', 'efb790', true],
];
const counters = {};
for (const [group, title, h, valid] of sequences) {
  counters[group] = (counters[group] ?? 0) + 1;
  const base = `6.${group}.${counters[group]}`;
  const bytes = hex(h);
  const expect = () => ({ strict: valid ? open('answer') : fail(1007) });
  add(6, base, `${valid ? 'valid' : 'invalid'}: ${title}`, expect, (c, a) => {
    c.text(carry(a, bytes).payload);
  });
  if (bytes.length > 1)
    add(6, `${base}f`, `${valid ? 'valid' : 'invalid'}: ${title}, split across two fragments`, expect, (c, a) => {
      const { payload, at } = carry(a, bytes);
      c.send(Buffer.concat(fragments(splitAt(payload, [at + 1]))));
    });
}
// Every 1-byte character, the C0 controls and NUL included: valid UTF-8
// (not JSON: Parley answers -32700, which counts as its answer).
const ascii = Buffer.from(Array.from({ length: 128 }, (_, i) => i));
add(6, '6.7.4', 'valid: every 1-byte character U+0000-U+007F in one message', () => ({ strict: open('answer') }), (c, a) => {
  c.text(a.raw(ascii));
});
add(6, '6.7.5', 'valid: every 1-byte character, one fragment per byte', () => ({ strict: open('answer') }), (c, a) => {
  c.send(Buffer.concat(fragments(splitAt(a.raw(ascii), [...ascii.keys()].slice(1)))));
});

// "κόσμε" cut short after each byte: valid only on a character boundary.
for (let n = 1; n <= cosmos.length; n++) {
  const valid = Buffer.from(cosmos.subarray(0, n).toString('utf8')).equals(cosmos.subarray(0, n));
  add(6, `6.6.${n}`, `"κόσμε" cut after ${n} of ${cosmos.length} bytes`, () => ({ strict: valid ? open('answer') : fail(1007) }), (c, a) => {
    c.text(carry(a, cosmos.subarray(0, n)).payload);
  });
}
add(6, '6.23.1', 'invalid UTF-8 in a fragment of a message followed by a valid message', () => ({ strict: fail(1007) }), (c, a) => {
  const { payload, at } = carry(a, Buffer.concat([Buffer.from('ok'), hex('c0af')]));
  c.send(Buffer.concat([...fragments(splitAt(payload, [at + 2])), F.text(req(a, 64))]));
  a.pending.pop();
});

// ===== 7 Close handling ====================================================

add(7, '7.1.1', 'request, then close: the answer, then the close answered', () => ({ strict: open('answer') }), (c, a) => {
  c.text(req(a, 64));
});
add(7, '7.1.2', 'close twice: answered once', () => ({ strict: cleanClose(1000) }), async (c) => {
  await send(c, [F.close(1000), F.close(1000)]);
});
add(7, '7.1.3', 'close, then a ping: no pong', () => ({ strict: cleanClose(1000) }), async (c) => {
  await send(c, [F.close(1000), F.ping('after close')]);
});
add(7, '7.1.4', 'close, then a request: no answer', () => ({ strict: cleanClose(1000) }), async (c, a) => {
  await send(c, [F.close(1000), F.text(req(a, 64))]);
});
add(7, '7.1.5', 'first fragment, close, then the last fragment: no answer', () => ({ strict: cleanClose(1000) }), async (c, a) => {
  const [f1, f2] = fragments(splitN(req(a, 80), 2));
  await send(c, [f1, F.close(1000), f2]);
});
add(7, '7.1.6', 'a 60,000-byte request, close, then a ping', () => ({
  strict: ['>close', 'answer', 'close:1000', 'eof'],
  nonStrict: [cleanClose(1000)],
}), async (c, a) => {
  await send(c, [F.text(req(a, 60000)), F.close(1000), F.ping('after close')]);
});
add(7, '7.3.1', 'close without payload', () => ({ strict: cleanClose('none|1000') }), async (c) => {
  await send(c, [F.raw({ opcode: OP.close })]);
});
add(7, '7.3.2', 'close with a 1-byte payload', () => ({ strict: closedBy(1002) }), async (c) => {
  await send(c, [F.raw({ opcode: OP.close, payload: Buffer.from([0x03]) })]);
});
add(7, '7.3.3', 'close 1000 without reason', () => ({ strict: cleanClose(1000) }), async (c) => {
  await send(c, [F.close(1000)]);
});
add(7, '7.3.4', 'close 1000 with a short reason', () => ({ strict: cleanClose(1000) }), async (c) => {
  await send(c, [F.close(1000, 'a')]);
});
add(7, '7.3.5', 'close 1000 with a 123-byte reason (the most that fits)', () => ({ strict: cleanClose(1000) }), async (c) => {
  await send(c, [F.close(1000, '*'.repeat(123))]);
});
add(7, '7.3.6', 'close 1000 with a 124-byte reason (payload 126: too long)', () => ({ strict: closedBy(1002) }), async (c) => {
  await send(c, [F.close(1000, '*'.repeat(124))]);
});
add(7, '7.3.7', 'close 1000 with a multibyte UTF-8 reason', () => ({ strict: cleanClose(1000) }), async (c) => {
  await send(c, [F.close(1000, 'κόσμε 𝄞')]);
});
add(7, '7.5.1', 'close 1000 with a reason that is not UTF-8', () => ({ strict: closedBy(1007) }), async (c) => {
  await send(c, [F.close(1000, Buffer.concat([cosmos, hex('eda080'), Buffer.from('edited')]))]);
});
add(7, '7.5.2', 'close 1000 with a reason holding an overlong sequence', () => ({ strict: closedBy(1007) }), async (c) => {
  await send(c, [F.close(1000, hex('c0af'))]);
});
[1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999].forEach((code, i) => {
  add(7, `7.7.${i + 1}`, `close with valid code ${code}: echoed`, () => ({
    strict: cleanClose(code),
    nonStrict: [cleanClose(1000)],
  }), async (c) => {
    await send(c, [F.close(code)]);
  });
});
[0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535].forEach((code, i) => {
  add(7, `7.9.${i + 1}`, `close with invalid code ${code}`, () => ({ strict: closedBy(1002) }), async (c) => {
    await send(c, [F.close(code)]);
  });
});
// Registered with IANA after RFC 6455 (Service Restart, Try Again Later,
// Bad Gateway): echoing them or refusing them with 1002 are both allowed.
[1012, 1013, 1014].forEach((code, i) => {
  add(7, `7.10.${i + 1}`, `close with code ${code} (registered after RFC 6455)`, () => ({
    strict: cleanClose(code),
    nonStrict: [closedBy(1002), cleanClose(1000)],
  }), async (c) => {
    await send(c, [F.close(code)]);
  });
});
add(7, '7.13.1', 'closing handshake: the server answers the close and closes TCP first', () => ({ strict: cleanClose(1000) }), async (c) => {
  await send(c, [F.close(1000, 'bye')]);
});
add(7, '7.13.2', 'close written one byte at a time', () => ({ strict: cleanClose(1000) }), async (c) => {
  await send(c, [F.close(1000, 'slow')], 'octet');
});
add(7, '7.13.3', 'close with a ping just before it: pong, then the close answered', () => ({ strict: cleanClose(1000, pong('last')) }), async (c) => {
  c.ping('last');
  await c.waitTokens(1);
  await send(c, [F.close(1000)]);
});
// RFC 6455 §7.1.1: once the closing handshake is done the server closes
// TCP. It gives no time; a server that waits noticeably (here over
// CLOSE_PROMPT_MS) before it does is non-strict.
const CLOSE_PROMPT_MS = 500;
add(7, '7.13.4', `the server closes TCP within ${CLOSE_PROMPT_MS} ms of answering the client's close`, () => ({
  strict: cleanClose(1000),
  nonStrict: [['>close', 'close:1000', 'eof-late']],
}), async (c) => {
  await send(c, [F.close(1000)]);
  await c.waitClosed(CLOSE_WAIT_MS + 3000);
  const answer = c.tokens.indexOf('close:1000');
  const eof = c.tokens.indexOf('eof');
  if (answer < 0 || eof < 0) return;
  const ms = c.times[eof] - c.times[answer];
  c.notes.push(`TCP closed ${ms.toFixed(0)} ms after the close answer`);
  if (ms > CLOSE_PROMPT_MS) c.tokens[eof] = 'eof-late';
});

// ===== 9 Limits and performance ============================================
// Timings are printed, never asserted.

add(9, '9.1.1', 'text message of exactly the limit', () => ({ strict: open('answer') }), (c, a, srv) => {
  c.text(a.request(srv.limit));
});
add(9, '9.1.2', 'text message of the limit - 1', () => ({ strict: open('answer') }), (c, a, srv) => {
  c.text(a.request(srv.limit - 1));
});
add(9, '9.1.3', 'text message of the limit + 1', () => ({ strict: fail(1009) }), (c, a, srv) => {
  c.text(a.request(srv.limit + 1));
  a.pending.pop();
});
add(9, '9.1.4', 'text message of 4 × the limit', () => ({ strict: fail(1009) }), (c, a, srv) => {
  c.text(a.request(4 * srv.limit));
  a.pending.pop();
});
add(9, '9.1.5', 'limit + 1 in two fragments, each under the limit', () => ({ strict: fail(1009) }), (c, a, srv) => {
  c.send(Buffer.concat(fragments(splitN(a.request(srv.limit + 1), 2))));
  a.pending.pop();
});
add(9, '9.1.6', 'binary message of the limit + 1', () => ({ strict: fail(1009) }), (c, a, srv) => {
  c.send(F.binary(Buffer.alloc(srv.limit + 1, 1)));
});
add(9, '9.1.7', 'over the limit, then a ping: still closed 1009', () => ({ strict: fail(1009) }), (c, a, srv) => {
  c.send(Buffer.concat([F.text(a.request(srv.limit + 1000)), F.ping('x')]));
  a.pending.pop();
});
for (const [i, size] of [64, 256, 1024, 4096, 16384].entries())
  addBulk(9, `9.2.${i + 1}`, `message of the limit in ${size}-byte fragments`, () => ({ strict: open('answer') }), (a, srv) => {
    const p = a.request(srv.limit);
    return Buffer.concat(fragments(splitAt(p, Array.from({ length: Math.ceil(p.length / size) - 1 }, (_, k) => (k + 1) * size))));
  });
addBulk(9, '9.2.6', 'message of the limit in 1-byte fragments', () => ({ strict: open('answer') }), (a, srv) => {
  const p = a.request(srv.limit);
  return Buffer.concat(fragments(splitAt(p, [...p.keys()].slice(1))));
});
addBulk(9, '9.2.7', 'request after 10,000 empty continuation frames', () => ({ strict: open('answer') }), (a) =>
  Buffer.concat([F.text(req(a, 100), false), ...Array.from({ length: 10000 }, () => F.cont('', false)), F.cont('')]),
);
for (const [i, n] of [100, 1000, 10000].entries())
  addBulk(9, `9.3.${i + 1}`, `${n} requests of 64 bytes in one write`, () => ({ strict: open(...times(n, 'answer')) }), (a) =>
    Buffer.concat(Array.from({ length: n }, () => F.text(req(a, 64)))),
  );
addBulk(9, '9.3.4', '1000 requests of 4096 bytes in one write', () => ({ strict: open(...times(1000, 'answer')) }), (a) =>
  Buffer.concat(Array.from({ length: 1000 }, () => F.text(req(a, 4096)))),
);
add(9, '9.4.1', '1000 round trips, one request at a time', () => ({ strict: open(...times(1000, 'answer')) }), async (c, a) => {
  for (let i = 0; i < 1000; i++) {
    c.text(req(a, 64));
    if (!(await c.waitTokens(i + 1, 3000))) return;
  }
});
add(9, '9.5.1', 'message of the limit written in 1000 pieces', () => ({ strict: open('answer') }), async (c, a, srv) => {
  const f = F.text(a.request(srv.limit));
  const step = Math.ceil(f.length / 1000);
  for (let i = 0; i < f.length; i += step) {
    c.send(f.subarray(i, i + step));
    if (i % (step * 50) === 0) await sleep(0);
  }
});

// A client that sends pings and never reads the pongs: the server must not
// hold their pongs without bound. Closing the connection, no longer reading
// it (TCP pushes back) or dropping the pongs all pass; reading everything
// while its memory grows by more than FLOOD_BOUND_MB fails.
const FLOOD_BYTES = 32 * 1024 * 1024;
const FLOOD_BOUND_MB = 16;

function rssMB(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
  } catch {
    return null;
  }
}

add(9, '9.6.1', `ping flood (${FLOOD_BYTES >> 20} MiB of 125-byte pings), pongs never read: server memory bounded`, () => ({
  strict: ['flood:closed|backpressure|bounded'],
  // Without /proc the server's memory cannot be read: not judged.
  nonStrict: [['flood:absorbed']],
}), async (c, a, srv) => {
  c.socket.pause(); // nothing the server writes is read from now on
  const before = rssMB(srv.child.pid);
  const batch = Buffer.concat(Array.from({ length: 1000 }, () => F.ping(Buffer.alloc(125, 0x66))));
  let sent = 0;
  let outcome = null;
  while (sent < FLOOD_BYTES && !outcome) {
    if (c.closed) break;
    sent += batch.length;
    if (!c.socket.write(batch)) {
      const drained = await Promise.race([
        new Promise((r) => c.socket.once('drain', () => r(true))),
        c.doneP.then(() => true),
        sleep(2000).then(() => false),
      ]);
      if (!drained) outcome = 'backpressure';
    }
  }
  await sleep(300);
  const after = rssMB(srv.child.pid);
  const growth = before != null && after != null ? after - before : null;
  if (c.closed) outcome = 'closed';
  else if (!outcome) outcome = growth == null ? 'absorbed' : growth < FLOOD_BOUND_MB ? 'bounded' : 'unbounded';
  c.notes.push(`${(sent / 1048576).toFixed(1)} MiB written` + (growth == null ? '' : `, server RSS ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB`));
  c.tokens.length = 0; // whatever came before the flood is not the point
  c.record(`flood:${outcome}`);
  c.destroy();
});

export default cases;
