// A WebSocket client on a raw TCP socket: it does the opening handshake,
// then writes whatever bytes a case asks for and writes down, as a list of
// short strings ("tokens"), everything the server does:
//   answer            a message the server adapter recognises as the answer
//                     to the next request sent (see servers.mjs)
//   text? / binary?   a message it does not recognise
//   pong:<fp>         a pong with that payload (fingerprint, frames.mjs)
//   close:<code>      a close frame (close:none without a code, close:short
//                     with a 1-byte payload)
//   >close            the client sent a close frame (written by the client
//                     itself, to order the server's answer after it)
//   eof               the server closed the TCP connection
//   eof-by-client     the server did not, so the client ended it
//   eof-late          (7.13.4) the server closed TCP, but only after a while
//   reset             the connection was reset
//   frame?            a frame a server must not send (masked, RSV bits, ...)
// Server pings are answered with pongs and not written down.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { createHash, randomBytes } from 'node:crypto';
import { OP, buildFrame, closePayload, fingerprint, FrameReader } from './frames.mjs';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

// How long the client waits for the server to close TCP after the closing
// handshake before it closes it itself (generous: after a protocol error
// Parley reads no more, so it drops TCP only at the end of its 1 s close
// grace, on a busy machine later; 7.13.4 says how long it took).
export const CLOSE_WAIT_MS = 3000;

export class Client {
  constructor(socket, adapter) {
    this.socket = socket;
    this.adapter = adapter;
    this.reader = new FrameReader();
    this.tokens = [];
    this.notes = []; // what the table shows after the tokens (sizes, memory)
    this.times = []; // when each token was written down (performance.now())
    this.sentClose = false;
    this.gotClose = false;
    this.ended = false; // the client ended its side
    this.closed = false; // the socket is gone
    this.fragments = null; // a server message being reassembled
    this.waiters = [];
    this.intercept = null; // adapter setup: messages go here, not to tokens
    this.doneP = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true;
        clearTimeout(this.closeTimer);
        resolve();
        this.wake();
      });
    });
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('end', () => {
      if (!this.ended) this.record('eof');
      this.ended = true;
      socket.end();
    });
    socket.on('error', (err) => {
      if (err.code === 'ECONNRESET') this.record('reset');
      else if (err.code !== 'EPIPE') this.record(`error:${err.code ?? err.message}`);
      socket.destroy();
    });
  }

  // Opens a connection to ws://host:port/path and completes the handshake.
  static connect({ host = '127.0.0.1', port, path = '/', adapter, timeoutMs = 5000 }) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.setNoDelay(true);
      const key = randomBytes(16).toString('base64');
      const accept = createHash('sha1').update(key + GUID).digest('base64');
      let head = Buffer.alloc(0);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('handshake timed out'));
      }, timeoutMs);
      const fail = (err) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.on('error', fail);
      socket.on('connect', () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\n` +
            `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      const onData = (chunk) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.removeListener('data', onData);
        socket.removeListener('error', fail);
        clearTimeout(timer);
        const text = head.subarray(0, end).toString('latin1');
        const lines = text.split('\r\n');
        const acceptLine = lines.find((l) => /^sec-websocket-accept:/i.test(l));
        if (!/^HTTP\/1\.1 101/.test(lines[0]) || !acceptLine || acceptLine.split(':')[1].trim() !== accept) {
          socket.destroy();
          reject(new Error(`bad handshake answer: ${lines[0]}`));
          return;
        }
        const client = new Client(socket, adapter);
        const rest = head.subarray(end + 4);
        if (rest.length) client.onData(rest);
        resolve(client);
      };
      socket.on('data', onData);
    });
  }

  record(token) {
    this.tokens.push(token);
    this.times.push(performance.now());
    this.wake();
  }

  wake() {
    const still = [];
    for (const w of this.waiters) {
      if (this.closed || w.pred()) {
        clearTimeout(w.timer);
        w.resolve(true);
      } else {
        still.push(w);
      }
    }
    this.waiters = still;
  }

  // Resolves true once pred() holds (checked on every token) or the socket
  // is gone; false after timeoutMs.
  waitFor(pred, timeoutMs) {
    if (this.closed || pred()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = { pred, resolve };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(this.closed || pred());
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  // Waits until n tokens have been written down (or the connection ends).
  waitTokens(n, timeoutMs = 3000) {
    return this.waitFor(() => this.tokens.length >= n, timeoutMs);
  }

  waitClosed(timeoutMs) {
    return this.waitFor(() => this.closed, timeoutMs);
  }

  // Writes raw bytes (when the socket can still take them).
  send(buf) {
    if (this.closed || this.ended || this.socket.destroyed) return false;
    this.socket.write(buf);
    return true;
  }

  // Says that a close frame is about to be written: the server's close
  // that follows is its answer (written down as ">close" unless the server
  // closed first).
  closing() {
    if (this.sentClose) return;
    this.sentClose = true;
    if (!this.gotClose) this.record('>close');
  }

  // Builds and writes one frame (buildFrame's options).
  frame(opts) {
    if (opts.opcode === OP.close) this.closing();
    return this.send(buildFrame(opts));
  }

  text(payload, opts = {}) {
    return this.frame({ opcode: OP.text, payload, ...opts });
  }

  ping(payload = Buffer.alloc(0), opts = {}) {
    return this.frame({ opcode: OP.ping, payload, ...opts });
  }

  close(code = 1000, reason = '', opts = {}) {
    return this.frame({ opcode: OP.close, payload: closePayload(code, reason), ...opts });
  }

  // Ends the TCP connection from this side (after waiting for the server).
  endSoon(ms) {
    clearTimeout(this.closeTimer);
    this.closeTimer = setTimeout(() => {
      if (this.closed || this.ended) return;
      this.ended = true;
      this.record('eof-by-client');
      this.socket.end();
      // A server that never answers our FIN is dropped.
      this.closeTimer = setTimeout(() => this.socket.destroy(), 2000);
    }, ms);
  }

  destroy() {
    this.socket.destroy();
  }

  onData(chunk) {
    this.reader.push(chunk);
    for (;;) {
      let f;
      try {
        f = this.reader.next();
      } catch (err) {
        this.record(`frame?:${err.message}`);
        this.socket.destroy();
        return;
      }
      if (!f) return;
      if (f.opcode === undefined) {
        this.record(`frame?:${f.problem}`);
        this.socket.destroy();
        return;
      }
      if (f.problem) this.record(`frame?:${f.problem}`);
      this.onFrame(f);
    }
  }

  onFrame(f) {
    switch (f.opcode) {
      case OP.ping:
        // A server's keep-alive: answered, not written down.
        if (!this.sentClose) this.send(buildFrame({ opcode: OP.pong, payload: f.payload }));
        return;
      case OP.pong:
        this.record(`pong:${fingerprint(f.payload)}`);
        return;
      case OP.close:
        this.onClose(f.payload);
        return;
      case OP.text:
      case OP.binary:
        if (this.fragments) this.record('frame?:new message inside a fragmented one');
        if (f.fin) this.onMessage(f.opcode, f.payload);
        else this.fragments = { opcode: f.opcode, parts: [f.payload] };
        return;
      case OP.continuation:
        if (!this.fragments) {
          this.record('frame?:continuation without a start');
          return;
        }
        this.fragments.parts.push(f.payload);
        if (f.fin) {
          const { opcode, parts } = this.fragments;
          this.fragments = null;
          this.onMessage(opcode, Buffer.concat(parts));
        }
        return;
      default:
        this.record(`frame?:opcode ${f.opcode}`);
    }
  }

  onMessage(opcode, payload) {
    if (this.intercept) {
      this.intercept(opcode, payload);
      return;
    }
    this.record(this.adapter.classify(opcode, payload));
  }

  onClose(payload) {
    this.gotClose = true;
    let code = null;
    if (payload.length === 0) this.record('close:none');
    else if (payload.length === 1) this.record('close:short');
    else {
      code = payload.readUInt16BE(0);
      this.record(`close:${code}`);
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(payload.subarray(2));
      } catch {
        this.record('frame?:close reason not UTF-8');
      }
    }
    if (!this.sentClose) {
      // The server closes first: echo its code, then give it time to
      // close TCP (RFC 6455 §5.5.1, §7.1.1).
      this.sentClose = true;
      this.send(buildFrame({ opcode: OP.close, payload: closePayload(code ?? 1000) }));
    }
    this.endSoon(CLOSE_WAIT_MS);
  }
}
