// RFC 6455 frames, built by hand so that any field can be wrong on purpose,
// and read back from the server's byte stream.
import { createHash } from 'node:crypto';

export const OP = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
};

// One frame as bytes.
//   opcode, payload (Buffer or string), fin (default true), rsv (0-7: RSV1 is
//   4, RSV2 2, RSV3 1), mask (default true: a client's frames are masked),
//   key (4 bytes; default random), lengthBytes (0, 2 or 8: force that length
//   encoding; default the minimal one), declaredLength (put this in the
//   length field whatever the payload really is).
export function buildFrame({
  opcode,
  payload = Buffer.alloc(0),
  fin = true,
  rsv = 0,
  mask = true,
  key,
  lengthBytes,
  declaredLength,
}) {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  const length = declaredLength ?? body.length;
  const form = lengthBytes ?? (length < 126 ? 0 : length <= 0xffff ? 2 : 8);
  const headLen = 2 + form + (mask ? 4 : 0);
  const out = Buffer.allocUnsafe(headLen + body.length);
  const head = out;
  head[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  const maskBit = mask ? 0x80 : 0;
  if (form === 0) {
    head[1] = maskBit | Number(length);
  } else if (form === 2) {
    head[1] = maskBit | 126;
    head.writeUInt16BE(Number(length), 2);
  } else {
    head[1] = maskBit | 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  if (!mask) {
    body.copy(out, headLen);
    return out;
  }
  // Masking keys need not be secret here, only different.
  const k = key ?? Buffer.from([rand8(), rand8(), rand8(), rand8()]);
  k.copy(head, 2 + form);
  for (let i = 0; i < body.length; i++) out[headLen + i] = body[i] ^ k[i & 3];
  return out;
}

const rand8 = () => (Math.random() * 256) | 0;

// The payload of a close frame: a code (omitted when null) and a reason
// (a string, or a Buffer for bytes that are not valid UTF-8).
export function closePayload(code, reason = '') {
  if (code == null) return Buffer.alloc(0);
  const r = Buffer.isBuffer(reason) ? reason : Buffer.from(reason, 'utf8');
  const out = Buffer.alloc(2 + r.length);
  out.writeUInt16BE(code, 0);
  r.copy(out, 2);
  return out;
}

// A short fingerprint of a payload: the same bytes give the same string.
export function fingerprint(buf) {
  return `${buf.length}/${createHash('sha1').update(buf).digest('hex').slice(0, 8)}`;
}

// Splits the server's byte stream into frames. Server frames are never
// masked; anything a conforming server would not send is reported as a
// frame with `problem` set rather than thrown.
export class FrameReader {
  constructor() {
    this.buf = Buffer.alloc(0);
  }

  push(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
  }

  // The next whole frame, or null when more bytes are needed.
  next() {
    const b = this.buf;
    if (b.length < 2) return null;
    let len = b[1] & 0x7f;
    let at = 2;
    if (len === 126) {
      if (b.length < 4) return null;
      len = b.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (b.length < 10) return null;
      const big = b.readBigUInt64BE(2);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) return { problem: 'absurd length' };
      len = Number(big);
      at = 10;
    }
    const masked = (b[1] & 0x80) !== 0;
    const key = masked ? b.subarray(at, at + 4) : null;
    if (masked) at += 4;
    if (b.length < at + len) return null;
    let payload = Buffer.from(b.subarray(at, at + len));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
    this.buf = b.subarray(at + len);
    const frame = { fin: (b[0] & 0x80) !== 0, rsv: (b[0] >> 4) & 7, opcode: b[0] & 0x0f, payload };
    if (masked) frame.problem = 'server frame masked';
    else if (frame.rsv) frame.problem = 'server frame has RSV bits';
    return frame;
  }
}
