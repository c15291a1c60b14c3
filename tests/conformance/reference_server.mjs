// The reference server the suite checks itself against: an echo server on
// the `ws` package (RFC 6455 as `ws` implements it). It answers every
// message with the same message, with the same message limit as Parley.
//
//   node reference_server.mjs [--max-payload BYTES]
//
// Prints "listening on PORT" once it accepts connections (port 0: a free
// loopback port).
import { WebSocketServer } from 'ws';

const args = process.argv.slice(2);
const at = args.indexOf('--max-payload');
const maxPayload = at >= 0 ? Number(args[at + 1]) : 65536;

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  maxPayload,
  // Parley counts no fragments; `ws` would close at 16384 by default.
  maxFragments: 0,
  perMessageDeflate: false,
});
server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  // A protocol error is answered by `ws` itself with the close frame.
  socket.on('error', () => {});
});
server.on('listening', () => console.log(`listening on ${server.address().port}`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
