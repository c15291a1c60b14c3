// The Redis engine: conversations in Redis, shared by every broker node that
// points at the same Redis shards. Events reach every node's hub through
// pub/sub, this node's included.
//
// KEY LAYOUT (every key starts with "pl:"; TENANT, ID, USER, CMID and KEY are
// percent-escaped, see redis_keys.hpp)
//
//  Per conversation, under the hash tag {c:TENANT:ID}, on the shard the hash
//  ring gives for "c:TENANT:ID":
//   pl:{c:T:ID}:meta     hash  hot: the counters an append moves (version,
//                              last_seq, last_public_seq, messages_all,
//                              messages_public, updated_at, last_message_at,
//                              lastMessage seq and ts, the consumer's last
//                              message, created_at), the state's letter and
//                              the epoch, as ONE fixed-width string the append
//                              slices by offset (redis_record_codec.hpp);
//                              status; lm (lastMessage's sender and text);
//                              dialog (the dialog in progress, which files
//                              appended events); creq (the create()
//                              idempotency key that made it); and rec: the
//                              rest of the record as JSON (names, ids,
//                              channel, metadata, dialogs, ttl, postSurvey).
//                              The hot path never decodes rec. docs/storage.md
//                              has this layout and the upgrade from the last.
//   pl:{c:T:ID}:members  hash  user -> a fixed-width member entry (role, state,
//                              read horizon, joined, left, ...; redis_codec.hpp)
//   pl:{c:T:ID}:log      stream, one entry per event, entry id 0-<seq> (so the
//                              id IS the seq), field e = the event encoding
//   pl:{c:T:ID}:ovr      hash  seq -> the rewritten event (edit, redaction); its
//                              stream entry is XDELed, so the original content is
//                              erased and a read fills the hole from here
//   pl:{c:T:ID}:idem:USER:CMID  string "seq:ts:epoch", expires after
//                              RedisEngineOptions::message_id_ttl (24 h): a
//                              clientMessageId is idempotent for that long
//   pl:{c:T:ID}:ch       the pub/sub channel of the conversation
//  Per tenant, under {t:TENANT}, on the shard the ring gives for "t:TENANT":
//   pl:{t:T}:names       hash  name -> id         (uniqueness of name)
//   pl:{t:T}:ext         hash  externalId -> id   (uniqueness, getConversation)
//   pl:{t:T}:updated     zset  id scored by updated_at (list(), keyset paging)
//   pl:{t:T}:pending     hash  id -> ms: a create() that claimed names and has
//                              not finished; tells a stale claim from a live one
//   pl:{t:T}:creq:KEY    string id, expires after create_key_ttl (24 h)
//   pl:{t:T}:user:U, pl:{t:T}:users, pl:{t:T}:users:ROLE  the users registry,
//                              described in redis_users.cpp
//   pl:{t:T}:chg         the tenant's change channel (contract 14), published
//                        on every shard; see TENANT CHANGES below
//  Per user, under {u:TENANT:USER}, and one due index per shard: presence,
//  described in redis_presence.cpp.
//  Per shard, the timers of the conversations the ring places there
//  (pl:timers, pl:timer-due): described in redis_timers.cpp.
//  Per shard, the webhooks outbox: the stream pl:hooks:outbox that the commit
//  scripts add {t, c, s} to when RedisEngineOptions::outbox wants the event
//  (an undeclared key: not Redis Cluster safe), read by broker/hooks/
//  (redis_outbox.hpp: pl:hooks:lease, pl:hooks:dead; docs/webhooks.md).
//
// WHAT IS ATOMIC
//  - append(): one Lua script on the conversation's shard — idempotency
//    check, preconditions (check_append's), seq = last_seq + 1, XADD 0-<seq>,
//    meta `hot` (counters, lastMessage, updated_at, version) in one field,
//    the sender's read horizon, the idempotency key, PUBLISH. When the tenant lives on the same shard,
//    the updated-at index moves in the same script; otherwise a ZADD GT on
//    the tenant's shard follows (a crash between the two leaves list() order
//    stale for that conversation until its next commit; list() repairs it
//    when it notices).
//  - update(): read (load script), decide in C++, then one compare-and-set
//    script that commits only if `version` is unchanged — record, members,
//    events, override, PUBLISH, or the erase of every key. On a lost race it
//    reads and decides again (update_attempts times, then 503).
//  - create(): (1) claim script on the tenant's shard: idempotency key, name
//    and externalId reserved together, or nothing; (2) create script on the
//    conversation's shard: record, members, first events, PUBLISH — the
//    conversation exists from here; (3) tenant shard: index and pending mark.
//    If (2) fails the claims are released; if that fails too, they stay
//    behind pointing at an id that does not exist, and the next claim of the
//    same name sees that (no meta, no recent pending mark) and takes it over.
//  - Uniqueness across a rename: the new name is claimed before the
//    compare-and-set and the old one released after it, so at no time do two
//    live conversations hold one name. A rename that answered 503 may leave
//    the new name reserved for its conversation.
//  - An erase: the compare-and-set script publishes conversation.deleted and
//    unlinks the conversation's keys; its tenant index entries go after.
//
// PUB/SUB. Every committed event is PUBLISHed by the script that committed
// it, on the conversation's channel, as "E", epoch, events (redis_codec.hpp).
// append() also hands its event to this node's sink as soon as the reply
// arrives, on the caller's thread (contract 15): the hot path's fan-out runs
// on the io thread that committed, not on the engine's thread, and the
// pub/sub copy that follows is dropped here by seq (broker/hub.hpp).
// Each shard has one pub/sub connection; watch()/unwatch() (the hub's first
// and last local subscriber) SUBSCRIBE/UNSUBSCRIBE the channel. Until Redis
// confirms a SUBSCRIBE, operations on that conversation wait (SubscribeGate),
// so a read or commit after watch() is never missed. When the pub/sub link
// drops (Redis restarted, or it cut the client for lagging past
// client-output-buffer-limit), it reconnects, subscribes again and calls
// EventSink::on_gap for every watched conversation: the hub re-reads the log.
//
// TENANT CHANGES (contract 14). Every commit script also PUBLISHes "0" or
// "1" (erased) followed by the conversation's channel name on the tenant's
// change channel pl:{t:T}:chg, on the conversation's shard (the append is
// given the channel's name; the other scripts derive it). watch_tenant()
// subscribes to that channel on every shard; each confirmation (the first,
// or one renewed after the link came back) calls EventSink::on_tenant_gap.
//
// EPOCH: 48 random bits per conversation, set at creation. If the record is
// gone (FLUSHALL, a Redis restarted without persistence) the conversation
// does not exist: every call answers 404.
//
// REDIS CLUSTER (RedisEngineOptions::cluster, redis_engine_cluster.cpp):
// the same keys, each sent to the master of its tag's slot instead of the
// ring's shard; the conversation channel is a shard channel (SPUBLISH /
// SSUBSCRIBE, cluster_pubsub.hpp); presence's and the timers' per-shard
// indexes are split into tagged buckets. The layout per slot is in
// docs/operations.md ("Redis Cluster").
//
// CONNECTIONS. Per shard: one command connection per caller io thread
// (RedisEngineOptions::callers, the broker's io_contexts), one command
// connection of the engine's own, and one pub/sub connection; so
// io threads + 2 in all (3 with the broker's default of 2 io threads is 4).
// A call made on a caller's thread goes out on that thread's connection,
// whose socket is read and written by that same thread: an append crosses
// no thread between the session, Redis and the session again, and the
// commands of one socket reach Redis in the order they were issued. A
// call from any other thread (the engine's own coroutines, tests) takes
// the engine's connection, driven by the engine's I/O thread. Every
// connection reconnects on its own; replies reach their caller in order
// per connection, and across connections the hub already orders what it
// is handed (contract 15).
//
// AVAILABILITY: ready() is true while every shard's command connections are up.
// While a shard is down, calls touching it answer 503 at once (nothing was
// written: each step is one script), and it is reconnected with back-off
// (100 ms doubling to 2 s); no restart is needed. In Sentinel mode
// (sentinel.hpp) the one shard's links ask the sentinels where the master is
// on every connect and move at once on +switch-master. With wait_replicas,
// the writes a client is answered about are confirmed by WAIT
// (redis_engine_ha.cpp).
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine.hpp"
#include "hash_ring.hpp"
#include "cluster_slots.hpp"
#include "lua_scripts.hpp"
#include "redis_connection.hpp"
#include "redis_keys.hpp"
#include "redis_subscriber.hpp"
#include "sentinel.hpp"
#include "subscribe_gate.hpp"

namespace parley::redis {

struct RedisEngineOptions {
  std::vector<std::string> urls{"redis://127.0.0.1:6379"};  // one per shard
  size_t io_threads = 1;                                    // the engine's own Redis I/O threads
  // The broker's io threads, one io_context each, each run by one thread:
  // each gets a command connection per shard, driven on that context (see
  // CONNECTIONS above). They must outlive the engine, and be stopped (or
  // never run again) when it is destroyed. Empty: the engine's own only.
  std::vector<asio::io_context*> callers;
  ConnectionOptions connection;                             // connect/command time-outs, back-off
  std::chrono::seconds message_id_ttl{24 * 3600};           // clientMessageId idempotency
  std::chrono::seconds create_key_ttl{24 * 3600};           // createConversation clientRequestId
  int update_attempts = 16;                                 // compare-and-set rounds before 503
  int vnodes = 160;                                         // hash ring points per shard
  size_t read_budget = 2000;                                // events one read script may scan
  std::chrono::seconds presence_keep{30 * 24 * 3600};       // an offline user's last_seen
  // Webhooks (broker/hooks/): whether a committed event of (tenant, type)
  // enters the shard's outbox stream `pl:hooks:outbox` in its commit
  // script. Null = no webhooks: the scripts get no outbox argument.
  std::function<bool(const std::string& tenant, const std::string& type)> outbox;
  // Redis Cluster: "HOST:PORT[,HOST:PORT...]" seed nodes; when set, `urls`
  // is not used and every key goes to its slot's master
  // (redis_engine_cluster.cpp).
  std::string cluster;
  // Sentinel mode (sentinel.hpp, redis_engine_ha.cpp): when `sentinels` is
  // set, `urls` is ignored and the one shard is the master they name.
  std::vector<std::string> sentinels;  // HOST:PORT each
  std::string master_name;
  // AUTH password of the cluster's nodes (`cluster`) or of the master the
  // sentinels name (`sentinels`); "" = none. `urls` carry their own.
  std::string password;
  // Acknowledged means replicated: every write a client is answered about
  // is followed by WAIT wait_replicas wait_timeout on its connection, and
  // answers 503 unless that many replicas confirmed it. 0: no WAIT.
  int wait_replicas = 0;
  std::chrono::milliseconds wait_timeout{500};
};

// Sentinel mode (redis_engine_ha.cpp): the name the one shard goes by (in
// logs and on the hash ring), and the sentinel watcher, null when
// `sentinels` is empty. Throws std::invalid_argument for a malformed
// HOST:PORT or a missing master name.
RedisAddress sentinel_shard_address(const RedisEngineOptions& o);
std::unique_ptr<Sentinel> make_sentinel(asio::any_io_executor ex, const RedisEngineOptions& o);

class RedisEngine : public Engine {
 public:
  // Throws std::invalid_argument for a malformed URL or no URL. Starts
  // connecting at once; ready() tells when every shard answers.
  explicit RedisEngine(RedisEngineOptions options);
  ~RedisEngine() override;
  RedisEngine(const RedisEngine&) = delete;
  RedisEngine& operator=(const RedisEngine&) = delete;

  std::string_view name() const override { return "redis"; }
  bool ready() const override;
  // parley_redis_command_duration_seconds (command_metrics.hpp).
  void render_metrics(std::string& out) const override { command_metrics_.render(out); }
  void set_sink(EventSink* sink) override { sink_.store(sink); }
  void watch(const ConvKey& key) override;
  void unwatch(const ConvKey& key) override;
  // Contract 14: the tenant's change channel, subscribed on every shard
  // while the tenant is watched (each commit script PUBLISHes on its own
  // shard).
  void watch_tenant(const std::string& tenant) override;
  void unwatch_tenant(const std::string& tenant) override;

  asio::awaitable<Result<Commit>> create(CreateRequest req) override;
  asio::awaitable<Result<Conversation>> get(ConvKey key) override;
  asio::awaitable<Result<Conversation>> get_by_external_id(std::string tenant,
                                                           std::string external_id) override;
  asio::awaitable<Result<Commit>> update(ConvKey key, UpdateRequest req) override;
  asio::awaitable<Result<Commit>> append(ConvKey key, AppendRequest req) override;
  asio::awaitable<Result<LogPage>> read(ConvKey key, ReadRequest req) override;
  asio::awaitable<Result<ListPage>> list(std::string tenant, ListRequest req) override;
  void publish_signal(const ConvKey& key, Signal signal) override;

  // Presence: redis_presence.cpp.
  asio::awaitable<Result<std::optional<PresenceChange>>> presence_touch(
      PresenceSocket socket, std::optional<PresenceStatus> status, Millis now,
      Millis expires_at) override;
  asio::awaitable<Result<std::optional<PresenceChange>>> presence_leave(PresenceSocket socket,
                                                                        Millis now) override;
  asio::awaitable<Result<std::vector<PresenceSocket>>> presence_refresh(
      std::vector<PresenceSocket> sockets, Millis now, Millis expires_at) override;
  asio::awaitable<Result<std::vector<PresenceChange>>> presence_sweep(Millis now,
                                                                      size_t limit) override;
  asio::awaitable<Result<std::vector<PresenceState>>> presence_get(
      std::string tenant, std::vector<std::string> user_ids, Millis now) override;

  // Timers: redis_timers.cpp.
  asio::awaitable<Status> timer_set(ConvKey key, TimerKind kind, Millis due) override;
  asio::awaitable<Status> timer_clear(ConvKey key, TimerKind kind,
                                      std::optional<Millis> if_due) override;
  asio::awaitable<Result<std::vector<DueTimer>>> timers_due(Millis now, size_t limit,
                                                            Millis lease) override;
  // Users: redis_users.cpp.
  asio::awaitable<Result<User>> user_put(UserPut put) override;
  asio::awaitable<Result<User>> user_get(std::string tenant, std::string user_id) override;
  asio::awaitable<Result<UserPage>> user_list(std::string tenant, UserListRequest req) override;

  // Blocks the calling thread (never an event-loop thread: for start-up and
  // tests) until every command and pub/sub connection is up, or `limit`.
  bool wait_until_ready(std::chrono::milliseconds limit) const;
  size_t shards() const { return shards_.size(); }
  // Cluster mode: whether a slot map was read, and how many were.
  bool cluster_mode() const { return cluster_ != nullptr; }
  uint64_t cluster_maps_read() const;

 private:
  // A shard's command connections. `cmd->` is the one for the calling
  // thread: its caller's, else the engine's own.
  struct Commands {
    std::shared_ptr<RedisConnection> own;
    std::vector<std::shared_ptr<RedisConnection>> per_caller;  // parallel to options_.callers
    const std::vector<asio::io_context*>* callers = nullptr;
    RedisConnection* operator->() const;
    bool all_up() const;
  };
  struct Shard {
    RedisAddress address;
    Commands cmd;
    std::shared_ptr<RedisSubscriber> sub;
  };
  class Dispatcher;  // the subscribers' listener: pub/sub -> EventSink
  struct Loaded {
    Conversation record;
    std::string creq;
    std::optional<Event> target;
  };

  Shard& shard_of(const ConvKeys& k);
  Shard& shard_of(const TenantKeys& k);
  Shard& shard_of_tag(std::string_view tag) { return shards_[shard_index(tag)]; }
  // Where the keys of {tag} live: the hash ring's shard, or in cluster mode
  // the master of the tag's slot.
  size_t shard_index(std::string_view tag) const;
  // Whether the keys of two tags can meet in one script.
  bool same_place(std::string_view tag_a, std::string_view tag_b) const;

  // ---- Redis Cluster (redis_engine_cluster.cpp) ----
  struct Cluster;
  RedisSubscriber::Listener* dispatcher() const;  // dispatcher_, where its type is known
  void cluster_start();
  void cluster_stop();
  // The shard (command connection) of a node, made on first use.
  Shard& cluster_shard(const RedisAddress& address);
  asio::awaitable<void> cluster_refresh_loop();
  asio::awaitable<bool> cluster_refresh();
  void cluster_refresh_soon();
  bool cluster_ready() const;
  // One command on *to, the master of its keys; in cluster mode following
  // the cluster's redirects (cluster_step(): MOVED, ASK, TRYAGAIN,
  // CLUSTERDOWN; after kClusterMaxRounds the last error reply is returned).
  // *to is left on the node that answered. `acked`: pipelined with WAIT
  // (send()). Every keyed command goes through here or routed_pipeline().
  asio::awaitable<Result<RedisReply>> routed(Shard*& to, std::vector<std::string> cmd,
                                             bool acked = false);
  asio::awaitable<Result<RedisReply>> routed(Shard& s, std::vector<std::string> cmd,
                                             bool acked = false) {
    Shard* to = &s;  // a coroutine's own: routed(to) outlives this call's frame otherwise
    co_return co_await routed(to, std::move(cmd), acked);
  }
  // Several commands pipelined on s; in cluster mode each one answered with
  // a redirect is sent again alone through routed(). One reply per command.
  asio::awaitable<std::vector<Result<RedisReply>>> routed_pipeline(
      Shard& s, std::vector<std::vector<std::string>> cmds);
  static bool cluster_retryable(const RedisReply& r) { return is_cluster_redirect(r); }
  // The script's source: in cluster mode the conversation channel is a
  // shard channel (SPUBLISH).
  std::string_view source_of(ScriptId id) const;
  // Timers and presence place their per-shard indexes in buckets in
  // cluster mode (redis_timers.cpp, redis_presence.cpp).
  std::string publish_verb() const { return cluster_ ? "SPUBLISH" : "PUBLISH"; }
  // redis_engine_ha.cpp: one command on s, once (routed() follows
  // redirects): after ASKING when `asking` (a cluster's -ASK), and when
  // `acked` and wait_replicas > 0 (a write the client is answered about:
  // a script's, or user_put's) pipelined with WAIT and 503 unless enough
  // replicas confirmed it.
  asio::awaitable<Result<RedisReply>> send(Shard& s, std::vector<std::string> cmd, bool asking,
                                           bool acked);
  // The SHA of a script on this engine's shards, loading it when unknown.
  asio::awaitable<Result<std::string>> script_sha(Shard& s, ScriptId id);
  // EVALSHA with SCRIPT LOAD on NOSCRIPT; an error reply becomes 503.
  asio::awaitable<Result<RedisReply>> eval(Shard& s, ScriptId id, std::vector<std::string> keys,
                                           std::vector<std::string> args);
  // Runs `id` once per call, pipelined on `s`; replies in call order. A call
  // Redis answered NOSCRIPT did not run and is sent again once loaded; an
  // error reply or a lost link fails the whole batch (503).
  struct ScriptCall {
    std::vector<std::string> keys, args;
  };
  asio::awaitable<Result<std::vector<RedisReply>>> eval_pipeline(Shard& s, ScriptId id,
                                                                 std::vector<ScriptCall> calls);
  asio::awaitable<Result<Loaded>> load(const ConvKey& key, uint64_t target_seq);
  // Whole records of `keys` (nullopt: no such conversation), pipelined per shard.
  asio::awaitable<Result<std::vector<std::optional<Conversation>>>> load_many(
      const std::vector<ConvKey>& keys);
  // Whether a claim held by `holder` is stale: its conversation does not
  // exist and no create of it is in progress (a pending mark under a minute).
  asio::awaitable<Result<bool>> claim_is_stale(const std::string& tenant, const std::string& holder,
                                               const RedisReply& pending_ms);
  struct Claimed {
    bool name = false, ext = false;  // newly written by this claim (to undo)
    std::string duplicate_of;        // create: an earlier create with this key
  };
  // Reserves `name`/`ext` (and, for create, `create_key`) for `id` on the
  // tenant's shard, all or nothing; 409 on a clash with a live conversation.
  asio::awaitable<Result<Claimed>> claim(const std::string& tenant, const std::string& id,
                                         const std::string& name, const std::string& ext,
                                         const std::string& create_key, bool mark_pending);
  // Drops the tenant index entries that still point at `id` (best effort).
  asio::awaitable<void> release(const std::string& tenant, const std::string& id,
                                const std::string& name, const std::string& ext,
                                const std::string& create_key, bool drop_listing);
  // Moves `id` in the tenant's updated-at index (never backwards).
  asio::awaitable<void> index_updated(std::string tenant, std::string id, Millis updated_at);

  // Every command connection's latency (its address is in
  // options_.connection.metrics); declared first, so it outlives them.
  CommandMetrics command_metrics_;
  const RedisEngineOptions options_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<Shard> shards_;
  HashRing ring_;
  SubscribeGate gate_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Sentinel> sentinel_;  // Sentinel mode only
  std::atomic<EventSink*> sink_{nullptr};
  std::mutex tenants_mu_;  // taken alone (the subscribers only post under it)
  std::unordered_map<std::string, size_t> watched_tenants_;  // tenant -> watch count
  mutable std::mutex sha_mu_;
  std::array<std::string, kScriptCount> shas_;
  std::vector<std::thread> threads_;
  std::unique_ptr<Cluster> cluster_;  // null unless options_.cluster is set
};

}  // namespace parley::redis
