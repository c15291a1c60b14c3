// The storage engine interface and its contract. Two implementations sit
// beside it: memory_engine (embedded default) and redis/redis_engine.
// The contract tests in tests/unit/engine_contract.hpp run against each.
//
// THE CONTRACT
//  1. Atomic commit per conversation. create(), update() and append() either
//     happen whole — sequence assignment, log append, record update, and
//     hand-off to the EventSink (locally and, for shared engines, to the other
//     nodes) — or not at all, and then answer an Error (503 when storage is
//     unreachable: nothing was written, the caller may retry).
//  2. Dense sequence numbers. Each conversation's events are numbered 1, 2, 3…
//     with no gap and no reuse; `Conversation::last_seq` is the highest.
//  3. Ordered hand-off. The sink receives every committed event exactly once
//     per node that watches the conversation, in seq order per conversation
//     (a shared engine may lose pub/sub messages: it then says so through
//     EventSink::on_gap and the hub re-reads the log). Item 15 adds, with a
//     shared engine, an earlier copy of what append() committed on this node.
//  4. Epoch. `Conversation::epoch` is set at creation and changes only when
//     the engine lost the conversation's log; a subscriber holding an old
//     epoch must refetch.
//  5. Idempotency. append() with a non-empty client_message_id returns the
//     first result for (conversation, from_user, client_message_id) with
//     `duplicate = true` and appends nothing. create() does the same for
//     CreateRequest::idempotency_key within the tenant.
//  6. Optimistic state changes. update() calls `decide` with the current
//     record and commits its Decision only if the record is still that
//     version; otherwise it calls `decide` again with the newer record.
//     `decide` must therefore be pure.
//  7. Hot path. append() checks its preconditions (check_append) inside the
//     atomic step and never rewrites the whole record. It labels the event's
//     from_role with the sender's participant role in the conversation, and
//     its dialog_id with the conversation's current dialog
//     (Conversation::current_dialog_id: a message sent during the post-survey
//     belongs to POST_SURVEY).
//  8. Engine-owned fields. The engine sets, whatever a Decision says:
//     epoch, last_seq, last_public_seq, messages_all, messages_public,
//     last_message, last_message_at, last_consumer_message_at, version, and
//     updated_at (= the commit time when events were appended).
//  9. Uniqueness. `name` and `external_id`, when set, are unique in the
//     tenant among live conversations (409 on a clash, nothing written).
// 10. Tenancy. Every lookup is by (tenant, id); a conversation of another
//     tenant does not exist (404).
// 11. Presence (the presence_* calls; PresenceSocket below). A user's
//     presence is the set of its live socket entries plus a status:
//     a. An entry lives until its `expires_at` unless presence_refresh()
//        moves it on; presence_leave() removes it at once. An entry past
//        its expiry no longer counts, swept or not.
//     b. A user with no live entry is `offline`. When the first live entry
//        appears the user becomes `online`; presence_touch() with a status
//        sets `online`, `away` or `busy` for the user (all its sockets); the
//        status is forgotten when the user goes offline.
//     c. Each change of a user's status is reported exactly once, by the
//        call that made it: presence_touch() (offline -> online, or a new
//        status), presence_leave() (the last live entry gone -> offline),
//        or presence_sweep() (every entry expired -> offline). Calls racing
//        on one user, on any number of nodes, are serialized by the engine,
//        so two callers never both report one change; the caller that got
//        it announces it.
//     d. last_seen is the time (the callers' `now`) of the latest touch,
//        refresh or leave of the user; a user whose entries expired keeps
//        the last refresh's time. 0 means never seen.
//     e. Times are the callers' clocks: nodes are assumed to agree within
//        a few seconds, well under the expiry.
// 12. Users (the user_* calls; users.hpp). A per-tenant registry of users:
//     a. user_put() is one atomic step per (tenant, user): it creates the
//        user or changes only the fields the UserPut sets, and returns the
//        stored user. Two puts racing on one user never lose a field that
//        only one of them set. updated_at moves only when a field changed
//        (a repeated put writes nothing new); created_at never moves.
//     b. user_get() of an unknown user (or one of another tenant) is 404.
//     c. user_list() returns the users passing the request's filters in
//        user_id order (byte-wise), after the cursor, at most `limit`, with
//        has_next; a role filter costs reads of those roles' users only.
//     d. A user's role may change with a put; listings by role follow it.
// 13. Timers (the timer_* calls; TimerKind below). Durable per-conversation
//     timers, at most one of each kind per conversation:
//     a. timer_set() gives the (key, kind) timer a due time, replacing an
//        earlier one and any claim on it. timer_clear() removes it; with
//        `if_due`, only while its due time is still that one (a node that
//        finished an old timer never removes a newer one).
//     b. timers_due(now, limit, lease) hands out at most `limit` timers due
//        by `now`, earliest first, and claims each until now + lease: no
//        caller, on any node, gets a claimed timer again before its lease
//        ends unless it is set again. A timer that is neither cleared nor
//        set is handed out again after its lease (its claimer died).
//     c. Timers survive the process with a durable engine, and outlive
//        their conversation (the caller finds it gone and clears them).
// 14. Tenant watch (watch_tenant / unwatch_tenant; EventSink::on_changed,
//     EventSink::on_tenant_gap). While a tenant is watched on a node (the
//     calls are reference-counted: watched from the first watch_tenant to
//     the matching last unwatch_tenant), every committed create(), update()
//     (not a noop), append() (not a duplicate) and erase of a conversation
//     of that tenant, made on ANY node, calls on_changed(key, erased) on
//     that node, after the commit, at least once (a shared engine may
//     repeat one). It says only "this conversation changed": the sink
//     re-reads it with get(). It carries no order guarantee across
//     conversations and may be coalesced by the reader. When a shared
//     engine may have lost such notices (the pub/sub link dropped and came
//     back, or a watch took effect after commits already ran), it calls
//     on_tenant_gap(tenant) once the watch is in force again: anything in
//     the tenant may have changed. An unwatched tenant costs its commits
//     nothing beyond, for a shared engine, one PUBLISH to a channel nobody
//     listens to.
// 15. Local hand-off. When append() returns a commit (not a duplicate),
//     this node's sink has already been given its event, from the caller's
//     thread: the memory engine by on_events (item 3; it has no other
//     copy), a shared engine by EventSink::on_local_events, before the
//     on_events copy that pub/sub brings every node, this one included.
//     So the sink may get an event twice (the same seq and epoch), and the
//     local copies of commits that finished on different threads may come
//     out of seq order, or after their pub/sub copy: the sink drops a seq it
//     already has and holds one that comes early until the seqs before it
//     arrive (pub/sub brings them in order, or on_gap says they were lost).
// All calls may be made from any thread; the awaitables resume on the
// caller's executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "error.hpp"
#include "model.hpp"
#include "users.hpp"

namespace parley {

namespace asio = boost::asio;

struct ConvKey {
  std::string tenant;
  std::string id;
  bool operator==(const ConvKey&) const = default;
};
struct ConvKeyHash {
  size_t operator()(const ConvKey& k) const;
};

using EventPtr = std::shared_ptr<const Event>;

// An ephemeral signal (chatState, receipt): not stored, not sequenced.
struct Signal {
  std::shared_ptr<const std::string> frame;  // the full JSON-RPC notification
  std::string from_user;                     // the user who caused it
  bool skip_sender = false;                  // not delivered to from_user's sockets
  bool agents_only = false;                  // not delivered to consumer audiences
};

// Where committed events go (the hub). Called in seq order per conversation,
// from whichever thread committed (memory) or read pub/sub (shared engines);
// implementations must be thread-safe and must not call back into the engine
// synchronously.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_events(const ConvKey& key, const std::string& epoch,
                         const std::vector<EventPtr>& events) = 0;
  // Contract 15: a shared engine's early copy of events append() committed
  // on this node, on the committing thread. Not ordered with on_events nor
  // between threads; on_events brings the same events again.
  virtual void on_local_events(const ConvKey& /*key*/, const std::string& /*epoch*/,
                               const std::vector<EventPtr>& /*events*/) {}
  virtual void on_signal(const ConvKey& key, const Signal& signal) = 0;
  // Events may have been missed for `key` (pub/sub dropped); re-read the log.
  virtual void on_gap(const ConvKey& key) = 0;
  // Contract 14: a conversation of a watched tenant was committed (erased:
  // it no longer exists). Same threading rules as on_events.
  virtual void on_changed(const ConvKey& /*key*/, bool /*erased*/) {}
  // Contract 14: changes in a watched tenant may have gone unreported.
  virtual void on_tenant_gap(const std::string& /*tenant*/) {}
};

struct CreateRequest {
  Conversation record;               // tenant, id and fields; engine-owned ones are ignored
  std::vector<EventDraft> events;    // e.g. conversation.created, member.joined
  std::string idempotency_key;       // "" = none; scoped to the tenant
};

// The outcome of a committed change.
struct Commit {
  Conversation record;               // after the change (for an erase: its last state,
                                     // final events applied); append() returns a lean
                                     // record: see AppendRequest
  std::vector<EventPtr> events;      // what was appended, seq assigned
  bool duplicate = false;            // an idempotent repeat: nothing appended
  uint64_t seq = 0;                  // append/duplicate: the message's seq
  Millis ts = 0;                     // append/duplicate: the message's time
};

// What a state change decides, given the current record.
struct Decision {
  Conversation next;                        // the new record
  std::vector<EventDraft> events;           // appended in order
  std::optional<std::string> target_body;   // new body of the target event (edit, redaction)
  std::optional<std::string> target_text;   // its new text ("" when redacted): when the target
                                            // is the last message, last_message.text follows it
  bool erase = false;                       // delete the conversation after appending `events`
  bool noop = false;                        // nothing to commit (an idempotent repeat):
                                            // Commit.record is the current record
};
using Decide = std::function<Result<Decision>(const Conversation& current, const Event* target)>;

struct UpdateRequest {
  uint64_t target_seq = 0;  // > 0: load that event and pass it to decide (404 if absent)
  Decide decide;
};

// Preconditions of the hot path, checked atomically by append().
// append()'s Commit.record is lean, so the hot path never copies members or
// metadata: it holds tenant, id, state, status, created_at, epoch and the
// engine-owned fields after the append (last_seq, last_public_seq, counters,
// last_message, last_message_at, last_consumer_message_at, updated_at,
// version); every other field is default.
// Call get() for the whole record.
struct AppendRequest {
  EventDraft event;                  // event.from_user is the sender
  uint32_t sender_roles = 0;         // bit (1 << ParticipantRole) per allowed role; 0 = any active member
  bool require_open = true;          // the conversation must be OPEN
  bool mark_read = true;             // the sender's read horizon moves to this event
};
// The preconditions every engine applies to an AppendRequest: 409 unless
// OPEN (when required), 403 unless the sender is an ACTIVE member in an
// allowed role, 413 over the member limit is not checked here.
Status check_append(const Conversation& conv, const AppendRequest& req);
// Applies an appended event to the record's engine-owned fields (counters,
// last_seq, last_message, updated_at) — shared by the engines.
void apply_appended(Conversation& conv, const Event& e);
// Turns a drafted event (ts already set) into the next log entry of `conv`:
// seq = last_seq + 1, prev_public_seq, then apply_appended, then the event's
// messages_all/public = the record's counters after it. The one place an
// engine numbers an event.
void stamp_appended(Conversation& conv, Event& e);
// The sender's read horizon after appending its own message.
void mark_read_to(Member& m, const Event& e);

struct ReadRequest {
  uint64_t from_seq = 1;                                  // inclusive
  uint64_t to_seq = std::numeric_limits<uint64_t>::max(); // inclusive
  Millis since = 0;                                       // ts >= since
  Millis until = std::numeric_limits<Millis>::max();      // ts <= until
  bool descending = false;
  size_t limit = 200;
  std::vector<std::string> types;                         // empty = every type
  std::optional<Audience> audience;                       // consumers: skip agents-only events
};

struct LogPage {
  std::string epoch;
  uint64_t last_seq = 0;
  std::vector<EventPtr> events;  // edits and redactions applied
  bool has_more = false;         // more events match beyond `limit`
};

struct ListRequest {
  std::function<bool(const Conversation&)> match;  // null = every conversation
  bool descending = true;                          // by (updated_at, id)
  std::optional<std::pair<Millis, std::string>> after;  // keyset cursor, exclusive
  size_t offset = 0;
  size_t limit = 20;
  // Examine at most this many conversations (0 = no bound): a listing with
  // a selective `match` then costs a bounded amount of storage reads. When
  // the bound stops it, has_next is true.
  size_t scan_limit = 0;
};

struct ListPage {
  std::vector<Conversation> data;
  bool has_next = false;
};

// ---- presence (contract 11) -------------------------------------------------

enum class PresenceStatus : uint8_t { offline, online, away, busy };
std::string_view to_string(PresenceStatus s);  // "offline", "online", "away", "busy"
std::optional<PresenceStatus> presence_status_from(std::string_view s);

// One socket of a user, as presence counts it. `socket_id` is unique across
// nodes and restarts (the broker makes it from its node id, a per-start
// nonce and the session id).
struct PresenceSocket {
  std::string tenant;
  std::string user_id;
  std::string socket_id;
  bool operator==(const PresenceSocket&) const = default;
};

struct PresenceState {
  std::string user_id;
  PresenceStatus status = PresenceStatus::offline;
  Millis last_seen = 0;  // 0: never seen
};

// A status change made by a presence call, for its caller to announce.
struct PresenceChange {
  std::string tenant;
  PresenceState state;
};

// ---- timers (contract 13) ----------------------------------------------------

enum class TimerKind : uint8_t {
  auto_lock,  // lock a CLOSE conversation (PROTOCOL §5 lockConversation)
  ttl,        // delete a conversation that has no message (createConversation ttl)
};
inline constexpr size_t kTimerKinds = 2;
std::string_view to_string(TimerKind k);  // "auto_lock", "ttl"
std::optional<TimerKind> timer_kind_from(std::string_view s);

// A timer handed out by timers_due().
struct DueTimer {
  ConvKey key;
  TimerKind kind = TimerKind::auto_lock;
  Millis due = 0;  // the time timer_set() gave it (what timer_clear's if_due compares)
  bool operator==(const DueTimer&) const = default;
};

class Engine {
 public:
  virtual ~Engine() = default;

  virtual std::string_view name() const = 0;
  // Whether storage answers now (GET /readyz).
  virtual bool ready() const = 0;
  // Where committed events and signals go. Set once, before serving.
  virtual void set_sink(EventSink* sink) = 0;
  // The hub has local subscribers for `key` (first watch) / none any more
  // (last unwatch). Shared engines subscribe to the other nodes' events.
  virtual void watch(const ConvKey& key) = 0;
  virtual void unwatch(const ConvKey& key) = 0;
  // Contract 14: report every commit in `tenant` through on_changed (from
  // the first watch_tenant to the matching last unwatch_tenant).
  virtual void watch_tenant(const std::string& tenant) = 0;
  virtual void unwatch_tenant(const std::string& tenant) = 0;

  virtual asio::awaitable<Result<Commit>> create(CreateRequest req) = 0;
  virtual asio::awaitable<Result<Conversation>> get(ConvKey key) = 0;
  virtual asio::awaitable<Result<Conversation>> get_by_external_id(std::string tenant,
                                                                   std::string external_id) = 0;
  virtual asio::awaitable<Result<Commit>> update(ConvKey key, UpdateRequest req) = 0;
  virtual asio::awaitable<Result<Commit>> append(ConvKey key, AppendRequest req) = 0;
  virtual asio::awaitable<Result<LogPage>> read(ConvKey key, ReadRequest req) = 0;
  virtual asio::awaitable<Result<ListPage>> list(std::string tenant, ListRequest req) = 0;
  // Delivers an ephemeral signal to every node's subscribers of `key`.
  virtual void publish_signal(const ConvKey& key, Signal signal) = 0;

  // Presence (contract 11). `now` and the expiries are the caller's clock.
  //
  // Adds or renews `socket`'s entry until `expires_at`; with `status`, sets
  // the user's status. Returns the change it made, if any.
  virtual asio::awaitable<Result<std::optional<PresenceChange>>> presence_touch(
      PresenceSocket socket, std::optional<PresenceStatus> status, Millis now,
      Millis expires_at) = 0;
  // Removes `socket`'s entry (absent: nothing to remove). Returns the
  // change it made (the user's last live entry gone: offline), if any.
  virtual asio::awaitable<Result<std::optional<PresenceChange>>> presence_leave(
      PresenceSocket socket, Millis now) = 0;
  // Renews the entries of `sockets` that still exist until `expires_at`; it
  // never re-creates one (a socket that left, or whose entry was swept,
  // stays gone). Returns the sockets it did not find, so the caller can
  // register those that are still open with presence_touch().
  virtual asio::awaitable<Result<std::vector<PresenceSocket>>> presence_refresh(
      std::vector<PresenceSocket> sockets, Millis now, Millis expires_at) = 0;
  // Drops expired entries of up to `limit` users whose every entry expired
  // by `now`, and returns the offline changes this call made.
  virtual asio::awaitable<Result<std::vector<PresenceChange>>> presence_sweep(Millis now,
                                                                              size_t limit) = 0;
  // The presence of `user_ids` in `tenant` at `now`, in the order asked.
  virtual asio::awaitable<Result<std::vector<PresenceState>>> presence_get(
      std::string tenant, std::vector<std::string> user_ids, Millis now) = 0;

  // Timers (contract 13). Sets (or moves) the `kind` timer of `key` to `due`.
  virtual asio::awaitable<Status> timer_set(ConvKey key, TimerKind kind, Millis due) = 0;
  // Removes it; with `if_due`, only while its due time is still that.
  virtual asio::awaitable<Status> timer_clear(ConvKey key, TimerKind kind,
                                              std::optional<Millis> if_due) = 0;
  // Claims up to `limit` timers due by `now` until now + lease.
  virtual asio::awaitable<Result<std::vector<DueTimer>>> timers_due(Millis now, size_t limit,
                                                                    Millis lease) = 0;

  // Users (contract 12).
  virtual asio::awaitable<Result<User>> user_put(UserPut put) = 0;
  virtual asio::awaitable<Result<User>> user_get(std::string tenant, std::string user_id) = 0;
  virtual asio::awaitable<Result<UserPage>> user_list(std::string tenant, UserListRequest req) = 0;
};

}  // namespace parley
