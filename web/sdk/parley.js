// Parley client SDK: one WebSocket to the broker (JSON-RPC 2.0), with
// reconnect, exactly-once in-order resume of subscriptions, an offline send
// queue whose retries never duplicate, and token refresh. No dependencies.
// docs/sdk.md describes the API and its guarantees.

/**
 * @typedef {'idle'|'connecting'|'connected'|'reconnecting'|'closed'} ClientState
 *
 * @typedef {object} DevIdentity  Development brokers (`--dev`) only.
 * @property {string} userId
 * @property {string} [role]
 * @property {string} [tenant]
 * @property {string} [name]
 * @property {string[]} [skills]
 *
 * @typedef {object} ClientOptions
 * @property {string} url  `ws://host:port/ws` or `wss://…`
 * @property {string} [token]  a JWT
 * @property {() => (string | Promise<string>)} [getToken]  fetches a fresh JWT
 * @property {DevIdentity} [dev]
 * @property {any} [WebSocket]  a WebSocket implementation (Node: `ws`)
 * @property {{minDelayMs?: number, maxDelayMs?: number, restartJitterMs?: number}} [reconnect]
 *   backoff bounds; `restartJitterMs` (default 5000): after close 1012 (the node restarts) the
 *   client comes back after a random delay in [0, restartJitterMs), whatever the attempt
 * @property {number} [requestTimeoutMs]  default 10000
 * @property {number} [heartbeatMs]  a `ping` call after this long without a frame; default 20000
 * @property {number} [maxQueue]  calls held while disconnected; default 100
 *
 * @typedef {object} AuthResult
 * @property {string} userId
 * @property {string} tenant
 * @property {string} role
 * @property {string} [name]
 * @property {string[]} [skills]
 * @property {string} sessionId
 * @property {string} nodeId
 * @property {number} serverTime
 * @property {Record<string, number>} limits
 *
 * @typedef {object} ParleyEvent  one entry of a conversation's log
 * @property {string} conversationId
 * @property {string} epoch
 * @property {number} seq
 * @property {number} prevSeq
 * @property {string} type
 * @property {string} dialogId
 * @property {{userId: string, role: string} | null} from
 * @property {number} ts
 * @property {'all'|'agents'} visibility
 * @property {string} [clientMessageId]
 * @property {any} body
 *
 * @typedef {{id: string, updatedAt: number, [k: string]: any}} Conversation
 * @typedef {{seq: number, ts: number, epoch: string, duplicate: boolean}} SendResult
 *
 * @typedef {object} SendOptions
 * @property {any} [metadata]
 * @property {any[]} [quickReplies]
 * @property {any[]} [mentions]
 * @property {string} [clientMessageId]  made for you when absent
 *
 * @typedef {{conversationId: string, epoch: string, lastSeq: number, reason: string, error?: ParleyError}} ResetInfo
 * @typedef {{conversationId: string, reason: string, [k: string]: any}} EndedInfo
 * @typedef {{method: string, params: any}} Push
 */

/**
 * Params and results of the protocol methods (docs/protocol.md has their rules).
 * @typedef {{conversationId: string}} ConvRef
 * @typedef {{limit?: number, cursor?: string, offset?: number}} Page
 */
/**
 * @template T
 * @typedef {{data: T[], hasNext: boolean, hasPrev: boolean, nextCursor: string | null}} List
 */
/**
 * @typedef {{state?: string, status?: string, channel?: string, skillId?: string, campaignId?: string,
 *   assignedTo?: string, memberOf?: 'me', since?: number, until?: number, archived?: boolean}} Filter
 * @typedef {{userId: string, name?: string | null, role: string, state: string, joinedAt?: number | null,
 *   leftAt?: number | null, lastReadSeq?: number, lastAcceptSeq?: number, unread?: number}} Member
 * @typedef {{userId: string, name: string | null, displayName: string | null, imageUrl: string | null,
 *   role: string, createdAt: number, updatedAt: number}} User
 * @typedef {{data: ParleyEvent[], hasNext: boolean, hasPrev: boolean, epoch: string | null, lastSeq: number | null}} EventPage
 * @typedef {{epoch: string, lastSeq: number, recovered: boolean, replayed: number}} SubscribeResult
 * @typedef {{conversationId: string, state: string, status: string, lastSeq: number, messages: number,
 *   notes: number, dialogs: number, members: {invited: number, suggested: number, active: number, left: number},
 *   createdAt: number, updatedAt: number, lastMessageAt: number | null, ttrEffective: number}} ConversationStats
 * @typedef {{[k: string]: any}} More  further params the broker takes
 * @typedef {{[k: string]: never}} Empty
 *
 * @typedef {object} Methods  each: [params, result]
 * @property {[{token: string} | DevIdentity, AuthResult]} authenticate
 * @property {[Empty | undefined, {serverTime: number}]} ping
 * @property {[More | undefined, Conversation]} createConversation
 * @property {[ConvRef | {externalId: string}, Conversation]} getConversation
 * @property {[{filter?: Filter, order?: 'asc'|'desc'} & Page, List<Conversation>]} listConversations
 * @property {[ConvRef & More, Conversation]} updateConversation
 * @property {[ConvRef, {}]} deleteConversation
 * @property {[ConvRef & {role?: string}, Member]} join
 * @property {[ConvRef, {}]} leave
 * @property {[ConvRef & {userId: string, role: string}, Member]} invite
 * @property {[ConvRef & {userId: string}, {}]} removeMember
 * @property {[ConvRef, List<Member>]} listMembers
 * @property {[ConvRef & {userId: string}, Member]} assign
 * @property {[ConvRef & Page, List<User>]} getInvitableUsers
 * @property {[ConvRef & {text: string} & SendOptions, SendResult]} sendMessage
 * @property {[ConvRef & {text: string} & SendOptions, SendResult]} sendPrivateMessage
 * @property {[ConvRef & {content: object} & SendOptions, SendResult]} sendRichContent
 * @property {[ConvRef & {url: string, name: string, mimeType?: string, size?: number, caption?: string, clientMessageId?: string}, SendResult]} sendFile
 * @property {[ConvRef & {seq: number, text: string}, {seq: number}]} editMessage
 * @property {[ConvRef & {seq: number}, {seq: number}]} deleteMessage
 * @property {[ConvRef & {name: string, data: any, visibility?: 'all'|'agents'}, {seq: number}]} sendEvent
 * @property {[{conversationId?: string, fromSeq?: number, toSeq?: number, since?: number, until?: number, types?: string[], order?: 'asc'|'desc', limit?: number}, EventPage]} queryMessages
 * @property {[ConvRef & {sinceSeq?: number, epoch?: string}, SubscribeResult]} subscribe
 * @property {[ConvRef, {}]} unsubscribe
 * @property {[ConvRef & {state: 'COMPOSING'|'PAUSE'|'ACTIVE'|'INACTIVE'|'GONE'}, {}]} setChatState
 * @property {[ConvRef & {seq: number, status?: 'READ'|'ACCEPT'}, {lastReadSeq: number, lastAcceptSeq: number, unread: number}]} markRead
 * @property {[ConvRef & {text: string}, {}]} saveDraft
 * @property {[ConvRef, {text: string, updatedAt: number | null}]} getDraft
 * @property {[ConvRef & {archived: boolean}, {}]} archiveConversation
 * @property {[ConvRef & {closedCause?: string}, Conversation]} closeConversation
 * @property {[ConvRef, Conversation]} reopenConversation
 * @property {[ConvRef, Conversation]} lockConversation
 * @property {[ConvRef & {status: 'open'|'pending'|'snoozed'|'resolved'}, Conversation]} setStatus
 * @property {[ConvRef & {agentId?: string, skillId?: string}, Conversation]} transfer
 * @property {[ConvRef & {groupId: string | null}, Conversation]} setGroup
 * @property {[ConvRef & {newConsumerUserId?: string}, Conversation]} consumerTakeover
 * @property {[ConvRef & {text: string, isAutoSummary?: boolean, truncate?: boolean}, {noteId: string, truncated: boolean, truncatedText?: string}]} setNote
 * @property {[ConvRef & Page, List<any>]} listNotes
 * @property {[ConvRef & {csatRate: number, csatResolutionConfirmation: boolean, csatStatus?: string}, Conversation]} setCsat
 * @property {[ConvRef & {ttrType: string, value?: number}, Conversation]} setTtr
 * @property {[ConvRef & {time: number | null}, Conversation]} setManualEttr
 * @property {[{status: 'online'|'away'|'busy'}, {}]} setPresence
 * @property {[{userIds: string[]}, {userId: string, status: string, lastSeen: number | null}[]]} getPresence
 * @property {[{userId?: string, name?: string, displayName?: string | null, imageUrl?: string | null}, User]} upsertUser
 * @property {[{userId: string}, User]} getUser
 * @property {[{role?: string, q?: string, limit?: number, cursor?: string}, List<User>]} listUsers
 * @property {[{userId: string} & Page, List<Conversation>]} listUserConversations
 * @property {[{filter?: Filter} | undefined, {total: number, byState: Record<string, number>, byStatus: Record<string, number>}]} countConversations
 * @property {[{q: string, filter?: Filter, limit?: number, cursor?: string}, List<Conversation>]} searchConversations
 * @property {[{filter?: Filter, limit?: number}, {subscriptionId: string, snapshot: {data: Conversation[], total: number}}]} subscribeInbox
 * @property {[{subscriptionId: string}, {}]} unsubscribeInbox
 * @property {[ConvRef, ConversationStats]} getConversationStats
 */

/**
 * One helper per method of METHODS: `client.getConversation({conversationId})`.
 * @typedef {{[K in Exclude<keyof Methods, 'authenticate'|'subscribe'|'unsubscribe'|'subscribeInbox'|'unsubscribeInbox'|'sendMessage'>]:
 *   undefined extends Methods[K][0] ? (params?: Methods[K][0]) => Promise<Methods[K][1]> : (params: Methods[K][0]) => Promise<Methods[K][1]>}} Helpers
 */

/**
 * Protocol methods: a typed helper `client.<name>(params)` is made for each
 * (and `call(name, params)` works for any name). Flags after a colon:
 * `m` the call gets a `clientMessageId`, `r` a `clientRequestId` (made once,
 * reused by every retry); `x` the call is not safe to repeat, so when the
 * link drops while it is in flight it is rejected (code `DISCONNECTED`)
 * instead of being sent again.
 */
export const METHODS = (
  'ping getConversation listConversations updateConversation:x deleteConversation:x createConversation:r ' +
  'join leave invite removeMember:x listMembers assign:x getInvitableUsers ' +
  'sendMessage:m sendPrivateMessage:m sendRichContent:m sendFile:m editMessage:x deleteMessage:x sendEvent:x ' +
  'queryMessages setChatState markRead saveDraft getDraft archiveConversation ' +
  'closeConversation reopenConversation lockConversation setStatus transfer:x setGroup:x consumerTakeover:x ' +
  'setNote:x listNotes setCsat:x setTtr:x setManualEttr:x ' +
  'setPresence getPresence upsertUser getUser listUsers listUserConversations ' +
  'countConversations searchConversations getConversationStats'
).split(' ');

/** Close codes after which the client stops instead of reconnecting. */
const FATAL_CLOSE = { 4003: 'origin not allowed', 4029: 'closed for request-rate abuse' };

/** An error answered by the broker (numeric `code`) or made by the client (string `code`). */
export class ParleyError extends Error {
  /**
   * @param {number|string} code  broker codes: -32700…-32603, 401, 403, 404, 409, 413, 429, 503;
   *   client codes: 'TIMEOUT', 'DISCONNECTED', 'QUEUE_FULL', 'CLOSED', 'CLOSE_<code>'
   * @param {string} message
   * @param {any} [data]
   */
  constructor(code, message, data) {
    super(message);
    this.name = 'ParleyError';
    this.code = code;
    this.data = data;
  }
}

/**
 * The events of the SDK's objects, by name: the argument each listener gets.
 * @typedef {{conversationId: string, userId: string, state: string}} ChatStatePush
 * @typedef {{conversationId: string, userId: string, status: 'READ'|'ACCEPT', seq: number}} ReceiptPush
 * @typedef {{userId: string, status: string, lastSeen: number | null, conversationId?: string}} PresencePush
 * @typedef {{subscriptionId: string, change: 'UPSERT'|'DELETE', conversation: Conversation, updatedAt: number}} InboxPush
 * @typedef {{[push: string]: any}} OtherPushes  any other push, by its method
 * @typedef {{state: ClientState, error: ParleyError, push: Push, event: ParleyEvent, chatState: ChatStatePush,
 *   receipt: ReceiptPush, presence: PresencePush, inbox: InboxPush,
 *   subscriptionReset: {conversationId: string, epoch: string, lastSeq: number, reason: string}} & OtherPushes} ClientEvents
 * @typedef {{event: ParleyEvent, reset: ResetInfo, resumed: {replayed: number}, ended: EndedInfo,
 *   chatState: ChatStatePush, receipt: ReceiptPush, presence: PresencePush} & OtherPushes} SubscriptionEvents
 * @typedef {{upsert: Conversation, delete: {id: string}, reset: {total: number}}} InboxEvents
 */

/**
 * A minimal event emitter; a listener that throws is reported asynchronously and does not stop the others.
 * @template {{[type: string]: any}} [E={[type: string]: any}]
 */
export class Emitter {
  constructor() {
    /** @internal @type {Map<string, Set<Function>>} */
    this._on = new Map();
  }
  /** @template {keyof E & string} K @param {K} type @param {(arg: E[K]) => void} fn @returns {this} */
  on(type, fn) {
    let set = this._on.get(type);
    if (!set) this._on.set(type, (set = new Set()));
    set.add(fn);
    return this;
  }
  /** @template {keyof E & string} K @param {K} type @param {(arg: E[K]) => void} fn @returns {this} */
  off(type, fn) {
    this._on.get(type)?.delete(fn);
    return this;
  }
  /** @template {keyof E & string} K @param {K} type @param {E[K]} [arg] */
  emit(type, arg) {
    for (const fn of [...(this._on.get(type) || [])]) {
      try {
        fn(arg);
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
    }
  }
}

/**
 * Full-jitter exponential backoff: a random delay in [0, min(max, min·2^attempt)].
 * @param {number} attempt  0 for the first retry
 * @param {number} minMs
 * @param {number} maxMs
 * @param {() => number} [random]
 */
export function backoffDelay(attempt, minMs, maxMs, random = Math.random) {
  return Math.floor(random() * Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30)));
}

/**
 * The `exp` of a JWT in milliseconds, or undefined when it has none or is not a JWT.
 * @param {string | undefined} token
 */
export function jwtExpiry(token) {
  try {
    const part = /** @type {string} */ (token).split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const exp = JSON.parse(atob(part + '==='.slice((part.length + 3) % 4))).exp;
    return typeof exp == 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long to wait before refreshing a token that expires at `expMs`: a
 * quarter of what is left before it, at most 30 s early, never negative.
 * @param {number} expMs
 * @param {number} nowMs
 */
export function refreshDelay(expMs, nowMs) {
  const left = expMs - nowMs;
  return Math.max(0, left - Math.min(30000, left / 4));
}

/**
 * Puts one conversation's events in order and drops repeats: `push` returns
 * the events now deliverable, each exactly once, in seq order. An event whose
 * `prevSeq` is ahead of the last delivered one is held until the hole is filled
 * (`gap` says one is open).
 */
export class Sequencer {
  /** @param {number | null} lastSeq  the last seq delivered; null: not known yet (events are dropped) */
  constructor(lastSeq) {
    this.lastSeq = lastSeq;
    /** @type {Map<number, ParleyEvent>} held events by prevSeq */
    this.held = new Map();
  }
  get gap() {
    return this.held.size > 0;
  }
  /** @param {number | null} lastSeq */
  reset(lastSeq) {
    this.lastSeq = lastSeq;
    this.held.clear();
  }
  /** @param {ParleyEvent} ev @returns {ParleyEvent[]} */
  push(ev) {
    /** @type {ParleyEvent[]} */
    const out = [];
    const last = this.lastSeq;
    if (last == null || ev.seq <= last) return out;
    if (ev.prevSeq > last) {
      if (this.held.size < 10000) this.held.set(ev.prevSeq, ev);
      return out;
    }
    out.push(ev);
    let next;
    while ((next = this.held.get((this.lastSeq = out[out.length - 1].seq)))) {
      this.held.delete(next.prevSeq);
      out.push(next);
    }
    for (const [prev, held] of this.held) if (held.seq <= this.lastSeq) this.held.delete(prev);
    return out;
  }
}

function newId() {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  return Date.now().toString(36) + '-' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
}

/**
 * @typedef {object} Request
 * @property {string} method
 * @property {any} params
 * @property {(err: ParleyError | null, result?: any) => void} done
 * @property {boolean} [safe]  may be sent again after a drop
 * @property {boolean} [internal]  part of the handshake: never queued
 * @property {number} [tries]
 * @property {any} [timer]
 */

/**
 * One conversation subscription. Events: `event` (every event exactly once,
 * in seq order), `reset` (the history is lost: reload), `resumed` (after a
 * reconnect), `ended` (the broker ended it), and the conversation's
 * ephemeral pushes: `chatState`, `receipt`, `presence`.
 */
/** @extends {Emitter<SubscriptionEvents>} */
export class Subscription extends Emitter {
  /**
   * @param {ParleyClient} client
   * @param {string} conversationId
   * @param {number | undefined} sinceSeq
   * @param {string | undefined} epoch
   */
  constructor(client, conversationId, sinceSeq, epoch) {
    super();
    this.client = client;
    this.conversationId = conversationId;
    /** @type {string | undefined} */
    this.epoch = epoch;
    this.seq = new Sequencer(sinceSeq ?? null);
    this.active = true;
    /** true while a subscribe is on its way (after a reconnect or to fill a gap) */
    this.pending = false;
    /** @internal @type {any} the timer of a resubscribe retry: it belongs to the link it was scheduled on */
    this._retry = undefined;
    /** @internal @type {Array<[string, any]> | null} what happened before the caller could listen (until subscribe() has resolved) */
    this._early = [];
  }
  /** @template {keyof SubscriptionEvents & string} K @param {K} type @param {SubscriptionEvents[K]} [arg] */
  emit(type, arg) {
    if (this._early) this._early.push([type, arg]);
    else super.emit(type, arg);
  }
  /** @internal Delivers what came before the caller's listeners were attached. */
  _ready() {
    const early = this._early || [];
    this._early = null;
    for (const [type, arg] of early) super.emit(type, arg);
  }
  /** The seq of the last event delivered (or the subscription's starting point). */
  get lastSeq() {
    return this.seq.lastSeq;
  }
  /** Stops the subscription. */
  async unsubscribe() {
    if (!this.active) return;
    this._end();
    if (this.client.state == 'connected') await this.client.call('unsubscribe', { conversationId: this.conversationId });
  }
  /** @internal */
  _end() {
    this.active = false;
    clearTimeout(this._retry);
    if (this.client.subs.get(this.conversationId) == this) this.client.subs.delete(this.conversationId);
  }
  /** @internal @param {ParleyEvent} ev */
  _event(ev) {
    if (!this.active) return;
    for (const e of this.seq.push(ev)) {
      this.emit('event', e);
      if (e.type == 'conversation.deleted') return this._ended({ reason: 'deleted' });
    }
    if (this.seq.gap && !this.pending) this.client._resubscribe(this, false);
  }
  /** @internal @param {any} info */
  _ended(info) {
    if (!this.active) return;
    this._end();
    this.emit('ended', { ...info, conversationId: this.conversationId });
  }
  /** @internal @param {string} reason @param {string} epoch @param {number} lastSeq @param {ParleyError} [error] */
  _reset(reason, epoch, lastSeq, error) {
    this.epoch = epoch;
    this.seq.reset(lastSeq);
    this.emit('reset', { conversationId: this.conversationId, epoch, lastSeq, reason, error });
  }
}

/**
 * A live inbox: `items` holds the conversations it reports, by id. Events:
 * `upsert` (a Conversation), `delete` ({id}), `reset` (items were replaced by a
 * fresh snapshot, after a reconnect; upserts and deletes for the differences
 * come first).
 */
/** @extends {Emitter<InboxEvents>} */
export class Inbox extends Emitter {
  /** @param {ParleyClient} client @param {any} params */
  constructor(client, params) {
    super();
    this.client = client;
    this.params = params;
    /** @type {Map<string, Conversation>} */
    this.items = new Map();
    this.total = 0;
    /** @type {string | undefined} */
    this.id = undefined;
  }
  /** Stops the inbox. */
  async unsubscribe() {
    const id = this.id;
    this.client.inboxes.delete(this);
    this.id = undefined;
    if (id && this.client.state == 'connected') await this.client.call('unsubscribeInbox', { subscriptionId: id });
  }
  /** @internal @param {{subscriptionId: string, snapshot: {data: Conversation[], total: number}}} r @param {boolean} resync */
  _snapshot(r, resync) {
    this.id = r.subscriptionId;
    this.total = r.snapshot.total;
    const fresh = new Map(r.snapshot.data.map((c) => [c.id, c]));
    const old = this.items;
    this.items = fresh;
    if (!resync) return;
    for (const id of old.keys()) if (!fresh.has(id)) this.emit('delete', { id });
    for (const [id, c] of fresh) if (old.get(id)?.updatedAt !== c.updatedAt) this.emit('upsert', c);
    this.emit('reset', { total: this.total });
  }
  /** @internal @param {{change: string, conversation: Conversation}} p */
  _push(p) {
    const c = p.conversation;
    if (p.change == 'DELETE') {
      if (this.items.delete(c.id)) this.emit('delete', { id: c.id });
    } else {
      this.items.set(c.id, c);
      this.emit('upsert', c);
    }
  }
}

/**
 * The client. Events: `state` (a ClientState), `error` (a ParleyError that
 * stopped the client), `push` (every push, {method, params}), and one per
 * push method: `event`, `chatState`, `receipt`, `presence`, `inbox`,
 * `subscriptionReset`, … with the push's params.
 */
/** The base of ParleyClient: its prototype gets the helpers made from METHODS (at the end of this file). */
/** @extends {Emitter<ClientEvents>} */
class Calls extends Emitter {}
const CallsWithHelpers = /** @type {new () => Calls & Helpers} */ (Calls);

export class ParleyClient extends CallsWithHelpers {
  /** @param {ClientOptions} options */
  constructor(options) {
    super();
    this.options = options;
    /** @type {ClientState} */
    this.state = 'idle';
    /** @type {Map<string, Subscription>} */
    this.subs = new Map();
    /** @type {Set<Inbox>} */
    this.inboxes = new Set();
    /** @type {AuthResult | undefined} the last authenticate result */
    this.session = undefined;
    /** @type {ParleyError | undefined} what stopped the client */
    this.error = undefined;
    /** @internal @type {Request[]} calls waiting for the link */
    this._queue = [];
    /** @internal @type {Map<number, Request>} */
    this._inflight = new Map();
    /** @internal */
    this._nextId = 1;
    /** @internal */
    this._attempt = 0;
    /** @internal */
    this._skew = 0;
    /** @internal @type {any} */
    this._ws = undefined;
    /** @internal @type {string | undefined} */
    this._token = options.token;
    /** @internal */
    this._tokenStale = !options.token;
    /** @internal */
    this._lastFrame = 0;
    /** @internal */
    this._refreshing = false;
    /** @internal @type {Record<string, any>} */
    this._timers = {};
    /** @internal @type {Map<string, [string, number]>} conversationId → the state last sent by typing(), and when */
    this._typing = new Map();
    /** @internal @type {Array<(err: ParleyError | null, r?: AuthResult) => void>} */
    this._waiters = [];
    if (typeof window == 'object' && window.addEventListener) {
      window.addEventListener('online', () => {
        if (this.state == 'reconnecting' || this.state == 'connecting') {
          this._attempt = 0;
          this._open();
        }
      });
      window.addEventListener('offline', () => {
        if (this.state == 'connected') this._heartbeat(true);
      });
    }
  }

  /**
   * Opens the link and authenticates. Resolves with the authenticate result
   * once connected (retrying with backoff meanwhile); rejects when the client
   * stops (a refused token, a fatal close code, or `close()`).
   * @returns {Promise<AuthResult>}
   */
  connect() {
    return new Promise((resolve, reject) => {
      if (this.state == 'connected') return resolve(/** @type {AuthResult} */ (this.session));
      if (this.state == 'closed') return reject(this.error || new ParleyError('CLOSED', 'client closed'));
      this._waiters.push((err, r) => (err ? reject(err) : resolve(/** @type {AuthResult} */ (r))));
      if (this.state == 'idle') {
        this._setState('connecting');
        this._open();
      }
    });
  }

  /** Closes the link for good: pending and queued calls reject with code CLOSED. */
  async close() {
    this._stop(new ParleyError('CLOSED', 'client closed'), false);
  }

  /**
   * Calls any protocol method. Waits for the link while disconnected (at most
   * `maxQueue` calls wait; past that it rejects at once with QUEUE_FULL).
   * @template {string} M
   * @param {M} method
   * @param {M extends keyof Methods ? Methods[M][0] : any} [params]
   * @returns {Promise<M extends keyof Methods ? Methods[M][1] : any>}
   */
  call(method, params) {
    const p = params || {};
    return new Promise((resolve, reject) =>
      this._submit(
        this._request(method, p, (e, r) => {
          if (e) return reject(e);
          // The broker ends this socket's subscription to a conversation it leaves.
          if (method == 'leave') this.subs.get(/** @type {any} */ (p).conversationId)?._ended({ reason: 'left' });
          resolve(r);
        })
      )
    );
  }

  /**
   * Sends a text message; retried after a drop with the same clientMessageId,
   * so it is appended once and the promise resolves once.
   * @param {string} conversationId
   * @param {string} text
   * @param {SendOptions} [opts]
   * @returns {Promise<SendResult>}
   */
  sendMessage(conversationId, text, opts) {
    return this.call('sendMessage', { ...opts, conversationId, text });
  }

  /**
   * Subscribes to a conversation's events. With `sinceSeq` (and the `epoch`
   * it belongs to) the events after it are replayed first.
   * @param {string} conversationId
   * @param {{sinceSeq?: number, epoch?: string}} [opts]
   * @returns {Promise<Subscription>}
   */
  subscribe(conversationId, opts = {}) {
    const old = this.subs.get(conversationId);
    if (old) old._end();
    const sub = new Subscription(this, conversationId, opts.sinceSeq, opts.epoch);
    this.subs.set(conversationId, sub);
    return new Promise((resolve, reject) =>
      this._resubscribe(sub, true, (err) => {
        if (err) {
          sub._end();
          reject(err);
        } else {
          resolve(sub);
          // The caller attaches its listeners right after its await: deliver the replay after that.
          setTimeout(() => sub._ready());
        }
      })
    );
  }

  /**
   * Subscribes to a live inbox (`subscribeInbox {filter, limit}`).
   * @param {any} [filter]
   * @param {{limit?: number}} [opts]
   * @returns {Promise<Inbox>}
   */
  subscribeInbox(filter, opts = {}) {
    const inbox = new Inbox(this, filter ? { ...opts, filter } : { ...opts });
    return new Promise((resolve, reject) =>
      this._submit(
        this._request('subscribeInbox', inbox.params, (err, r) => {
          if (err) return reject(err);
          inbox._snapshot(r, false);
          this.inboxes.add(inbox);
          resolve(inbox);
        })
      )
    );
  }

  /**
   * Says the user is typing (`setChatState COMPOSING`, or the state given): a
   * change of state is sent at once, the same state again at most once per
   * the broker's chat-state interval per conversation; extra calls, and calls
   * while the link is down, are dropped.
   * @param {string} conversationId
   * @param {'COMPOSING'|'PAUSE'|'ACTIVE'|'INACTIVE'|'GONE'} [state]
   */
  typing(conversationId, state = 'COMPOSING') {
    const now = Date.now();
    const last = this._typing.get(conversationId);
    const every = this.session?.limits?.chatStateIntervalMs ?? 1000;
    if (this.state != 'connected' || (last && last[0] == state && now - last[1] < every)) return;
    this._typing.set(conversationId, [state, now]);
    this._write({ jsonrpc: '2.0', method: 'setChatState', params: { conversationId, state } });
  }

  // ---- internals ----------------------------------------------------------

  /** @internal @param {ClientState} s */
  _setState(s) {
    if (this.state != s) {
      this.state = s;
      this.emit('state', s);
    }
  }

  /** @internal @param {string} method @param {any} params @param {Request['done']} done @returns {Request} */
  _request(method, params, done) {
    const flag = METHODS.find((m) => m.startsWith(method + ':'))?.slice(-1);
    if (flag == 'm' && params.clientMessageId == null) params = { ...params, clientMessageId: newId() };
    if (flag == 'r' && params.clientRequestId == null) params = { ...params, clientRequestId: newId() };
    return { method, params, done, safe: flag != 'x', tries: 0 };
  }

  /** @internal @param {Request} req @param {boolean} [accepted]  a retry: the bound does not apply */
  _submit(req, accepted) {
    if (this.state == 'closed') return req.done(this.error || new ParleyError('CLOSED', 'client closed'));
    if (this.state == 'connected' || req.internal) return this._send(req);
    if (!accepted && this._queue.length >= (this.options.maxQueue ?? 100))
      return req.done(new ParleyError('QUEUE_FULL', 'too many calls waiting for the connection'));
    this._queue.push(req);
  }

  /** @internal @param {any} msg */
  _write(msg) {
    try {
      this._ws.send(JSON.stringify(msg));
      return true;
    } catch {
      return false;
    }
  }

  /** @internal @param {Request} req */
  _send(req) {
    const id = this._nextId++;
    req.tries = (req.tries || 0) + 1;
    this._inflight.set(id, req);
    req.timer = setTimeout(() => {
      if (this._inflight.get(id) != req) return;
      this._inflight.delete(id);
      if (!req.safe || req.internal) req.done(new ParleyError('TIMEOUT', req.method + ' timed out'));
      else this._queue.unshift(req);
      // No answer in time: the link is taken for dead.
      this._drop('request timed out');
    }, this.options.requestTimeoutMs ?? 10000);
    this._write({ jsonrpc: '2.0', id, method: req.method, params: req.params });
  }

  /** @internal Sends an internal call (handshake, resume) on the current socket right away. @param {string} method @param {any} params @param {Request['done']} done */
  _internal(method, params, done) {
    this._send({ method, params, done, internal: true });
  }

  /** @internal */
  _open() {
    clearTimeout(this._timers.retry);
    if (this.state == 'closed' || this._ws) return;
    const url = this.options.url;
    const WS = this.options.WebSocket || globalThis.WebSocket;
    let ws;
    try {
      if (!WS) throw 'no WebSocket here: pass options.WebSocket (in Node, `ws`)';
      ws = this._ws = new WS(url);
    } catch (e) {
      return this._stop(new ParleyError('CLOSED', 'cannot open ' + url + ': ' + e), true);
    }
    ws.onopen = () => this._handshake(ws);
    ws.onmessage = (/** @type {{data: any}} */ e) => this._frame(e.data);
    ws.onclose = (/** @type {{code: number, reason: string}} */ e) => this._closed(ws, e.code, e.reason);
    ws.onerror = () => {};
    // Node's `ws` shows the broker's pings: they count as frames (browsers hide them: the heartbeat covers it).
    ws.on?.('ping', () => (this._lastFrame = Date.now()));
  }

  /** @internal @param {any} ws */
  async _handshake(ws) {
    /** @param {string} m @param {any} p @returns {Promise<any>} */
    const ask = (m, p) => new Promise((res, rej) => this._internal(m, p, (e, r) => (e ? rej(e) : res(r))));
    const o = this.options;
    let fresh = false;
    try {
      let auth;
      for (;;) {
        /** @type {any} */
        let p = o.dev;
        if (!p) {
          const exp = jwtExpiry(this._token);
          if (o.getToken && (this._tokenStale || (exp && refreshDelay(exp - this._skew, Date.now()) <= 0))) {
            this._token = await o.getToken();
            this._tokenStale = false;
            fresh = true;
          }
          p = { token: this._token };
        }
        if (ws != this._ws) return;
        const sent = Date.now();
        try {
          auth = await ask('authenticate', p);
          this._skew = auth.serverTime - (sent + Date.now()) / 2;
          break;
        } catch (e) {
          if (/** @type {any} */ (e).code != 401 || fresh || !o.getToken || o.dev) throw e;
          this._tokenStale = true;
        }
      }
      if (ws != this._ws) return;
      this.session = auth;
      this._attempt = 0;
      this._scheduleRefresh();
      this._lastFrame = Date.now();
      this._heartbeat(false);
      // Resume: every subscription from its lastSeq, every inbox from a fresh snapshot.
      // (A subscription whose first subscribe is still queued goes with the queue.)
      for (const sub of this.subs.values()) if (!sub.pending) this._resubscribe(sub, false);
      for (const inbox of this.inboxes) this._resync(inbox);
      this._setState('connected');
      const queued = this._queue.splice(0);
      for (const req of queued) this._send(req);
      for (const w of this._waiters.splice(0)) w(null, auth);
    } catch (e) {
      if (ws != this._ws) return;
      const err = /** @type {ParleyError} */ (e);
      // getToken failing (its endpoint down), a lost answer, a busy broker: try again later.
      if (!(err instanceof ParleyError) || err.code == 'TIMEOUT' || err.code == 'DISCONNECTED' || err.code == 503 || err.code == 429)
        return this._drop(String(err.message));
      this._stop(err.code == 401 ? new ParleyError(401, 'authentication refused: ' + err.message, err.data) : err, true);
    }
  }

  /**
   * Subscribes `sub` (again) on the current link from its lastSeq.
   * @param {Subscription} sub
   * @param {boolean} first  the caller's own subscribe (queued like any call)
   * @param {(err: ParleyError | null) => void} [done]
   * @internal
   */
  _resubscribe(sub, first, done) {
    // At most one subscribe per subscription in flight; a retry still waiting is replaced by this one.
    if (!first && (sub.pending || !(this._ws && this.session))) return;
    clearTimeout(sub._retry);
    /** @type {any} */
    const params = { conversationId: sub.conversationId };
    const since = sub.seq.lastSeq;
    if (since != null) {
      params.sinceSeq = since;
      if (sub.epoch) params.epoch = sub.epoch;
    }
    sub.pending = true;
    sub.seq.held.clear();
    /** @type {Request['done']} */
    const handle = (err, r) => {
      sub.pending = false;
      if (!sub.active) return done?.(err || new ParleyError('CLOSED', 'unsubscribed'));
      if (err) {
        if (first) return done?.(err);
        if (err.code == 403 || err.code == 404) {
          if (err.code == 404) sub._reset('notFound', '', 0, err);
          return sub._ended({ reason: err.code == 404 ? 'notFound' : 'forbidden', error: err });
        }
        // Transient (storage, rate): try again later on this link; a drop cancels it (the next handshake resubscribes).
        if (err.code != 'DISCONNECTED') sub._retry = setTimeout(() => this._resubscribe(sub, false), backoffDelay(1, 500, 2000));
        return;
      }
      if (!r.recovered && since != null) sub._reset(sub.epoch && r.epoch != sub.epoch ? 'epoch' : 'gap', r.epoch, r.lastSeq);
      else {
        sub.epoch = r.epoch;
        if (since == null) sub.seq.reset(r.lastSeq);
        if (!first) sub.emit('resumed', { replayed: r.replayed });
      }
      done?.(null);
    };
    if (first) this._submit({ method: 'subscribe', params, done: handle, safe: true });
    else this._internal('subscribe', params, handle);
  }

  /** @internal Subscribes `inbox` again on the current link; its fresh snapshot replaces the items. @param {Inbox} inbox */
  _resync(inbox) {
    this._internal('subscribeInbox', inbox.params, (err, r) => {
      if (!this.inboxes.has(inbox)) return;
      if (!err) inbox._snapshot(r, true);
      // Refused for now (rate, storage): again a little later, on a live link.
      else if (err.code != 'DISCONNECTED')
        this._timers['inbox'] = setTimeout(() => this.state == 'connected' && this._resync(inbox), backoffDelay(1, 500, 2000));
    });
  }

  /** @internal @param {any} data */
  _frame(data) {
    this._lastFrame = Date.now();
    let msg;
    try {
      msg = JSON.parse(typeof data == 'string' ? data : String(data));
    } catch {
      return;
    }
    for (const m of Array.isArray(msg) ? msg : [msg]) {
      if (m.method) this._push(m.method, m.params || {});
      else if (m.id != null) {
        const req = this._inflight.get(m.id);
        if (!req) continue;
        this._inflight.delete(m.id);
        clearTimeout(req.timer);
        const e = m.error;
        if (!e) {
          req.done(null, m.result);
          continue;
        }
        const err = new ParleyError(e.code, e.message, e.data);
        if (!req.internal && req.safe && (req.tries || 0) < 5 && (e.code == 429 || e.code == 503 || e.code == 401)) {
          // Safe to repeat: wait, then send again (a 401 first refreshes the token).
          if (e.code == 401) this._refresh();
          setTimeout(() => this._submit(req, true), e.data?.retryAfterMs ?? backoffDelay(req.tries || 0, 200, 5000));
        } else req.done(err);
      }
    }
  }

  /** @internal @param {string} method @param {any} p */
  _push(method, p) {
    this.emit('push', { method, params: p });
    this.emit(method, p);
    const sub = p.conversationId != null ? this.subs.get(p.conversationId) : undefined;
    if (method == 'inbox') {
      for (const inbox of this.inboxes) if (inbox.id == p.subscriptionId) inbox._push(p);
    } else if (!sub) return;
    else if (method == 'event') sub._event(p);
    else if (method == 'subscriptionReset') sub._reset(p.reason || 'reset', p.epoch, p.lastSeq);
    else if (/^subscription/.test(method)) sub._ended(p);
    else sub.emit(method, p);
  }

  /** @internal Takes the current link for dead: forgets it and reconnects. @param {string} why */
  _drop(why) {
    const ws = this._ws;
    if (!ws) return;
    try {
      ws.close(4000, why);
    } catch {}
    this._closed(ws, 4000, why);
  }

  /** @internal @param {any} ws @param {number} code @param {string} reason */
  _closed(ws, code, reason) {
    if (ws != this._ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    this._ws = undefined;
    this.session = undefined;
    clearTimeout(this._timers.refresh);
    clearTimeout(this._timers.beat);
    for (const sub of this.subs.values()) clearTimeout(sub._retry);
    // Calls in flight: the safe ones go back to the head of the queue, in order; the others fail.
    const back = [];
    for (const req of this._inflight.values()) {
      clearTimeout(req.timer);
      if (req.safe && !req.internal) back.push(req);
      else req.done(new ParleyError('DISCONNECTED', 'the connection dropped before ' + req.method + ' was answered'));
    }
    this._inflight.clear();
    this._queue.unshift(...back);
    if (this.state == 'closed') return;
    const fatal = /** @type {Record<number, string>} */ (FATAL_CLOSE)[code];
    if (fatal) return this._stop(new ParleyError('CLOSE_' + code, fatal + (reason ? ': ' + reason : '')), true);
    if (code == 4001) this._tokenStale = true;
    this._setState(this.state == 'connecting' ? 'connecting' : 'reconnecting');
    const r = this.options.reconnect || {};
    // 1012 (service restart): the node drains; every client it had comes back at a random
    // moment of the jitter window, not all at once and not after a growing backoff.
    const delay = code == 1012 ? Math.floor(Math.random() * (r.restartJitterMs ?? 5000)) : backoffDelay(this._attempt++, r.minDelayMs ?? 500, r.maxDelayMs ?? 20000);
    this._timers.retry = setTimeout(() => this._open(), delay);
  }

  /** @internal @param {ParleyError} err @param {boolean} report  emit `error` */
  _stop(err, report) {
    if (this.state == 'closed') return;
    this.error = err;
    this._setState('closed');
    for (const t of Object.values(this._timers)) clearTimeout(t);
    const ws = this._ws;
    if (ws) {
      try {
        ws.close(1000);
      } catch {}
      this._closed(ws, 1000, '');
    }
    for (const req of this._queue.splice(0)) req.done(err);
    for (const w of this._waiters.splice(0)) w(err);
    if (report) this.emit('error', err);
  }

  /** @internal While the link is up: a `ping` call whenever no frame came for heartbeatMs (or now, when `now`). @param {boolean} now */
  _heartbeat(now) {
    clearTimeout(this._timers.beat);
    const every = this.options.heartbeatMs ?? 20000;
    const idle = Date.now() - this._lastFrame;
    if (now || idle >= every) {
      this._internal('ping', {}, () => {});
      this._lastFrame = Date.now();
    }
    this._timers.beat = setTimeout(() => this.state == 'connected' && this._heartbeat(false), every - (now ? 0 : idle % every));
  }

  /** @internal */
  _scheduleRefresh() {
    clearTimeout(this._timers.refresh);
    const exp = jwtExpiry(this._token);
    if (!this.options.getToken || this.options.dev || !exp) return;
    this._timers.refresh = setTimeout(() => this._refresh(), refreshDelay(exp - this._skew, Date.now()));
  }

  /** @internal Fetches a fresh token and re-authenticates on the live link (subscriptions stay). */
  async _refresh() {
    const o = this.options;
    if (!o.getToken || o.dev || this._refreshing) return;
    this._refreshing = true;
    try {
      const token = await o.getToken();
      const same = token == this._token;
      this._token = token;
      this._tokenStale = false;
      // The same token again (an endpoint that caches it) would refresh nothing: the 4001 at its exp brings a new one.
      if (same || this.state != 'connected') return;
      await new Promise((res, rej) => this._internal('authenticate', { token }, (e, r) => (e ? rej(e) : res(r))));
      this._scheduleRefresh();
    } catch (e) {
      const err = /** @type {ParleyError} */ (e);
      if (err.code == 401 || err.code == 409) this._stop(new ParleyError(err.code, 'token refresh refused: ' + err.message, err.data), true);
      else if (this.state == 'connected') this._timers.refresh = setTimeout(() => this._refresh(), 1000);
    } finally {
      this._refreshing = false;
    }
  }
}

for (const entry of METHODS) {
  const name = entry.split(':')[0];
  /** @type {any} */ (Calls.prototype)[name] = function (/** @type {any} */ params) {
    return /** @type {ParleyClient} */ (this).call(name, params);
  };
}
