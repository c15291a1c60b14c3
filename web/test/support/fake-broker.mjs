// A scripted stand-in for the broker, for what the real one does not do on
// demand (a service-restart close, a subscription ended by the broker, a log
// whose epoch changed between two links). Speaks JSON-RPC over `ws`.
//
//   const fake = await startFake((msg, link) => ({ result: {...} }));
//   // msg: the request; link: {ws, n (1 for the first connection), push(method, params), close(code)}
//   // return {result} or {error}, or undefined to answer nothing (`ping` is answered).
import { WebSocketServer } from 'ws';

export async function startFake(handler) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws' });
  await new Promise((r) => wss.once('listening', r));
  const links = [];
  const requests = [];
  wss.on('connection', (ws) => {
    const link = {
      ws,
      n: links.length + 1,
      push: (method, params) => ws.send(JSON.stringify({ jsonrpc: '2.0', method, params })),
      close: (code, reason = '') => ws.close(code, reason),
    };
    links.push(link);
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      requests.push({ link: link.n, ...msg });
      const reply = handler(msg, link) ?? (msg.method == 'ping' ? { result: { serverTime: Date.now() } } : undefined);
      if (reply && msg.id != null) ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, ...reply }));
    });
  });
  return {
    wsUrl: `ws://127.0.0.1:${wss.address().port}/ws`,
    links,
    requests,
    close: () =>
      new Promise((r) => {
        for (const l of links) l.ws.terminate();
        wss.close(() => r(undefined));
      }),
  };
}

/** The answer of a successful `authenticate`. */
export const AUTH = { result: { userId: 'ann', tenant: 'default', role: 'agent', sessionId: 's', nodeId: 'fake', serverTime: Date.now(), limits: {} } };

/** An event of conversation `c` in `epoch`. */
export const event = (seq, epoch = 'e1', prevSeq = seq - 1) => ({
  conversationId: 'c',
  epoch,
  seq,
  prevSeq,
  type: 'message',
  dialogId: 'MAIN',
  from: { userId: 'bob', role: 'AGENT' },
  ts: 0,
  visibility: 'all',
  body: { text: `m${seq}` },
});
