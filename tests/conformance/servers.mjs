// The servers under test: how to start each, and its adapter, which says
// how to make a text payload the server answers and what answer counts as
// the echo of it. Parley is not an echo server: a "request" is a JSON-RPC
// call (docs/protocol.md) and the "echo" its response.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { OP } from './frames.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

// Parley's limit (--max-frame-bytes), given to both servers.
export const MAX_MESSAGE = 65536;

// Starts a process and waits for the line that names its port.
function startProcess(name, cmd, args, portPattern) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within 10 s:\n${seen}`));
    }, 10000);
    const onOutput = (chunk) => {
      if (seen.length < 65536) seen += chunk.toString();
      const m = seen.match(portPattern);
      if (m) {
        clearTimeout(timer);
        child.stdout.removeListener('data', onOutput);
        child.stderr.removeListener('data', onOutput);
        // Keep draining its output so the pipes never fill.
        child.stdout.resume();
        child.stderr.resume();
        resolve({
          name,
          port: Number(m[1]),
          child,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 3000).unref();
            }),
        });
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${name}: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before listening:\n${seen}`));
    });
  });
}

// ---------------------------------------------------------------------------
// Parley

// Answers for Parley: the next response must carry the id of the oldest
// request not answered yet; a ping must have a result, a call of an
// unknown method (used to carry arbitrary UTF-8 to Parley and back) the
// -32601 error naming that method.
class ParleyAdapter {
  constructor() {
    this.nextId = 1;
    this.pending = [];
  }

  // Authenticates (--dev), so that `ping` answers a result and the socket
  // is not closed by --auth-timeout-ms.
  async setup(client) {
    const answer = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to authenticate')), 5000);
      client.intercept = (opcode, payload) => {
        clearTimeout(timer);
        client.intercept = null;
        resolve(JSON.parse(payload.toString('utf8')));
      };
    });
    client.text('{"jsonrpc":"2.0","id":0,"method":"authenticate","params":{"userId":"conformance","role":"consumer"}}');
    const msg = await answer;
    if (!msg.result) throw new Error(`authenticate failed: ${JSON.stringify(msg)}`);
  }

  // The smallest request request(size) can make.
  get minRequest() {
    return Buffer.byteLength('{"jsonrpc":"2.0","id":1,"method":"ping","params":{}}') + 4;
  }

  // A ping of exactly `size` bytes (padded with spaces inside the JSON).
  request(size = 0) {
    if (size < this.minRequest) {
      // Too small for a request: spaces, which are not JSON (-32700, id null).
      this.pending.push({ id: null, kind: 'parse-error' });
      return Buffer.from(' '.repeat(size), 'utf8');
    }
    const id = this.nextId++;
    const head = `{"jsonrpc":"2.0","id":${id},"method":"ping","params":{}`;
    const pad = Math.max(0, size - head.length - 1);
    this.pending.push({ id, kind: 'ping' });
    return Buffer.from(head + ' '.repeat(pad) + '}', 'utf8');
  }

  // A payload holding `bytes` (no quote, backslash or control character)
  // where the server must echo them: here the name of an unknown method.
  // Returns { payload, at }: where `bytes` start in the payload.
  carrying(bytes) {
    const id = this.nextId++;
    const head = Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"`, 'utf8');
    this.pending.push({ id, kind: 'method', method: bytes.toString('utf8') });
    return { payload: Buffer.concat([head, bytes, Buffer.from('"}')]), at: head.length };
  }

  // Text that is not JSON (answered -32700 with id null), for bytes that
  // cannot stand in a JSON string (control characters).
  raw(bytes) {
    this.pending.push({ id: null, kind: 'parse-error' });
    return Buffer.from(bytes);
  }

  // Parley takes text only: a binary message closes the socket 1003
  // (session_read.cpp: "text frames only"; protocol.md: "Binary frames are
  // not accepted").
  binary(payload) {
    return { payload };
  }

  get binaryRefusedWith() {
    return 1003;
  }

  classify(opcode, payload) {
    if (opcode !== OP.text) return 'binary?';
    let msg;
    try {
      msg = JSON.parse(payload.toString('utf8'));
    } catch {
      return 'text?';
    }
    const want = this.pending[0];
    if (!want || msg === null || typeof msg !== 'object' || msg.id !== want.id) return 'text?';
    this.pending.shift();
    if (want.kind === 'parse-error') return msg.error?.code === -32700 ? 'answer' : 'text?';
    if (want.kind === 'ping') return msg.result && typeof msg.result.serverTime === 'number' ? 'answer' : 'text?';
    // Parley echoes at most 128 characters of an unknown method's name.
    const got = msg.error?.data?.method;
    const echoed =
      typeof got === 'string' && (got === want.method || (got.length >= 100 && want.method.startsWith(got)));
    return msg.error?.code === -32601 && echoed ? 'answer' : 'text?';
  }
}

export async function startParley(binary) {
  const srv = await startProcess(
    'parley',
    binary,
    [
      '--dev',
      '--listen', '127.0.0.1:0',
      '--threads', '1',
      '--log-level', 'warn',
      '--max-frame-bytes', String(MAX_MESSAGE),
      // The suite tests framing, not the request-rate limiter: section 9
      // sends thousands of requests on one socket.
      '--rate-per-sec', '1000000',
      '--rate-burst', '1000000',
    ],
    /listening on ws:\/\/[^:]+:(\d+)\/ws/,
  );
  return { ...srv, path: '/ws', adapter: () => new ParleyAdapter(), limit: MAX_MESSAGE };
}

// ---------------------------------------------------------------------------
// The `ws` echo server

class EchoAdapter {
  constructor() {
    this.pending = [];
    this.counter = 0;
  }

  async setup() {}

  get minRequest() {
    return 0;
  }

  // Printable ASCII of exactly `size` bytes, different every time.
  request(size = 16) {
    const tag = `#${++this.counter}:`;
    let s = (tag + 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(size / 36) + 1)).slice(0, size);
    const payload = Buffer.from(s, 'latin1');
    this.pending.push({ opcode: OP.text, payload });
    return payload;
  }

  carrying(bytes) {
    this.pending.push({ opcode: OP.text, payload: Buffer.from(bytes) });
    return { payload: Buffer.from(bytes), at: 0 };
  }

  raw(bytes) {
    return this.carrying(bytes).payload;
  }

  binary(payload) {
    this.pending.push({ opcode: OP.binary, payload });
    return { payload };
  }

  get binaryRefusedWith() {
    return null;
  }

  classify(opcode, payload) {
    const want = this.pending[0];
    if (!want || want.opcode !== opcode || !want.payload.equals(payload)) return opcode === OP.text ? 'text?' : 'binary?';
    this.pending.shift();
    return 'answer';
  }
}

export async function startReference() {
  const srv = await startProcess(
    'ws',
    process.execPath,
    [path.join(here, 'reference_server.mjs'), '--max-payload', String(MAX_MESSAGE)],
    /listening on (\d+)/,
  );
  return { ...srv, path: '/', adapter: () => new EchoAdapter(), limit: MAX_MESSAGE };
}
