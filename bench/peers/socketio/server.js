// The Socket.IO peer of bench/compare.sh: one room per conversation.
//   join(room, ack)        the socket joins the room; ack()
//   pub(room, text, ack)   emits msg(room, text) to the room; ack()
// With REDIS_URL set, rooms go through @socket.io/redis-adapter (each emit
// is also published to Redis for other nodes; there is only this one).
//
// One Node process, single threaded: that is how Socket.IO runs unless an
// application adds the cluster module and sticky sessions, which this
// comparison does not (the Parley broker runs two threads, nginx two
// workers). Listens on 127.0.0.1:PORT (0: any free port) and prints
// "listening on PORT".
'use strict';

const http = require('http');
const { Server } = require('socket.io');

async function main() {
  const port = Number(process.env.PORT || 0);
  const httpServer = http.createServer();
  const io = new Server(httpServer, {
    serveClient: false,
    transports: ['websocket'],
    perMessageDeflate: false,
  });

  if (process.env.REDIS_URL) {
    const { createClient } = require('redis');
    const { createAdapter } = require('@socket.io/redis-adapter');
    const pubClient = createClient({ url: process.env.REDIS_URL });
    const subClient = pubClient.duplicate();
    for (const c of [pubClient, subClient]) c.on('error', (e) => console.error('redis:', e.message));
    await Promise.all([pubClient.connect(), subClient.connect()]);
    io.adapter(createAdapter(pubClient, subClient));
  }

  io.on('connection', (socket) => {
    socket.on('join', (room, ack) => {
      socket.join(String(room));
      if (typeof ack === 'function') ack();
    });
    socket.on('pub', (room, text, ack) => {
      io.to(String(room)).emit('msg', room, text);
      if (typeof ack === 'function') ack();
    });
  });

  httpServer.listen(port, '127.0.0.1', () => {
    console.log('listening on ' + httpServer.address().port);
  });
  const stop = () => {
    io.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
