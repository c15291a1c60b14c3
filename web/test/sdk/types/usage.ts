// Compiled (never run) by `npm run check`: the generated sdk/parley.d.ts
// types the API the way applications use it.
import { ParleyClient, ParleyError, type ClientState, type ParleyEvent } from '../../../sdk/parley.js';

const client = new ParleyClient({ url: 'ws://127.0.0.1:8080/ws', getToken: async () => 'jwt', reconnect: { minDelayMs: 100 } });

export async function usage(): Promise<void> {
  const auth = await client.connect();
  const user: string = auth.userId;
  const conv = await client.createConversation({ displayName: 'Hi' });
  const sent = await client.sendMessage(conv.id, 'hello', { metadata: { a: 1 } });
  const seq: number = sent.seq;
  const page = await client.queryMessages({ conversationId: conv.id, fromSeq: 1 });
  const first: ParleyEvent | undefined = page.data[0];
  const who = await client.getUser({ userId: user });
  const name: string | null = who.name;
  const anything = await client.call('aMethodOfTomorrow', { x: 1 });
  // @ts-expect-error getUser takes {userId}
  await client.getUser({ conversationId: conv.id });
  await client.countConversations();

  const sub = await client.subscribe(conv.id, { sinceSeq: 0 });
  sub.on('event', (e) => e.seq + 1);
  sub.on('reset', (info) => info.reason.toUpperCase());
  sub.on('resumed', (info) => info.replayed + 1);
  sub.on('chatState', (p) => p.userId);
  const last: number | null = sub.lastSeq;
  await sub.unsubscribe();

  const inbox = await client.subscribeInbox({ state: 'OPEN' }, { limit: 50 });
  inbox.on('upsert', (c) => c.updatedAt);
  inbox.on('delete', ({ id }) => inbox.items.delete(id));
  // @ts-expect-error an inbox has no such event
  inbox.on('event', () => {});

  client.on('state', (s: ClientState) => s);
  client.on('error', (e) => (e instanceof ParleyError ? e.code : 0));
  client.on('receipt', (r) => r.seq);
  client.typing(conv.id);
  await client.close();
  return void [seq, first, name, anything, last];
}
