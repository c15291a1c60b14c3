// A JSON-RPC connection to the broker for the soak (issue 12 §6), on the
// `ws` package that web/ already depends on (its node_modules, installed by
// run.sh). One socket, requests answered by id, pushes to `onPush`.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');
/** `ws`, resolved from web/ (no package of its own here). */
export const WebSocket = createRequire(path.join(webDir, 'package.json'))('ws');

/** Options for every socket: no compression (Parley offers none), a bounded handshake. */
export const SOCKET_OPTIONS = { perMessageDeflate: false, handshakeTimeout: 15000 };

export class RpcSocket {
  /** @param {string} url @param {(msg: any) => void} [onPush] */
  constructor(url, onPush = () => {}) {
    this.ws = new WebSocket(url, SOCKET_OPTIONS);
    this.nextId = 1;
    this.waiting = new Map();
    this.onPush = onPush;
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code) => {
        for (const w of this.waiting.values()) w.reject(new Error(`socket closed (${code})`));
        this.waiting.clear();
        resolve(code);
      })
    );
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      const w = msg.id != null ? this.waiting.get(msg.id) : undefined;
      if (!w) return this.onPush(msg);
      this.waiting.delete(msg.id);
      if (msg.error) w.reject(Object.assign(new Error(`${w.method}: ${msg.error.code} ${msg.error.message}`), { rpc: msg.error }));
      else w.resolve(msg.result);
    });
  }

  /** Resolves once open; rejects if the socket closes first. */
  opened() {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve(undefined);
      this.ws.once('open', resolve);
      this.ws.once('close', (code) => reject(new Error(`closed before open (${code})`)));
    });
  }

  /** A request; resolves to its result, rejects on an error answer or a close. */
  call(method, params = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  close() {
    this.ws.close(1000);
    return this.closed;
  }
}

/** Opens a socket and authenticates it (`--dev`: a user id and a role, no token). */
export async function devSocket(url, userId, role, onPush) {
  const s = new RpcSocket(url, onPush);
  await s.opened();
  await s.call('authenticate', { userId, role });
  return s;
}
