// The conversations and their logs, the engine's first concern: create,
// get, update, append, read, list; the EventSink that committed events and
// signals go to; the watches that say who listens. Part of Engine
// (engine.hpp), with contract items 1 to 10, 14 and 15 below.
//
// THE CONTRACT (conversations)
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
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "error.hpp"
#include "model.hpp"
#include "write.hpp"

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

// A sink in front of another: passes every call on to `next`, so a sink
// that looks at some calls overrides only those (and calls the base to pass
// them on).
class ForwardingSink : public EventSink {
 public:
  explicit ForwardingSink(EventSink& next) : next_(next) {}
  void on_events(const ConvKey& key, const std::string& epoch,
                 const std::vector<EventPtr>& events) override {
    next_.on_events(key, epoch, events);
  }
  void on_local_events(const ConvKey& key, const std::string& epoch,
                       const std::vector<EventPtr>& events) override {
    next_.on_local_events(key, epoch, events);
  }
  void on_signal(const ConvKey& key, const Signal& signal) override {
    next_.on_signal(key, signal);
  }
  void on_gap(const ConvKey& key) override { next_.on_gap(key); }
  void on_changed(const ConvKey& key, bool erased) override { next_.on_changed(key, erased); }
  void on_tenant_gap(const std::string& tenant) override { next_.on_tenant_gap(tenant); }

 private:
  EventSink& next_;
};

// The outcome of a committed change.
struct Commit {
  Conversation record;               // after the change (for an erase: its last state,
                                     // final events applied); append() returns a lean
                                     // record: see AppendRequest (write.hpp)
  std::vector<EventPtr> events;      // what was appended, seq assigned
  bool duplicate = false;            // an idempotent repeat: nothing appended
  uint64_t seq = 0;                  // append/duplicate: the message's seq
  Millis ts = 0;                     // append/duplicate: the message's time
};

using Decide = std::function<Result<Decision>(const Conversation& current, const Event* target)>;

struct UpdateRequest {
  uint64_t target_seq = 0;  // > 0: load that event and pass it to decide (404 if absent)
  Decide decide;
};

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

class ConversationStore {
 public:
  virtual ~ConversationStore() = default;

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
};

}  // namespace parley
