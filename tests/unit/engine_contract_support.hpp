// What the engine contract cases (engine_contract.hpp) are built from: a
// synchronous runner for awaitables, a recording EventSink, a Harness that
// owns one engine, and builders for the conversation and messages the cases
// use. Engine-neutral: it only knows the Engine interface.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine.hpp"
#include "json_writer.hpp"

namespace parley::contract {

using namespace std::chrono_literals;

// Runs an awaitable to completion on its own io_context. (Not use_future:
// co_spawn wants a default-constructible result, and Result<T> is not.)
template <class T>
T run(asio::awaitable<T> a) {
  asio::io_context ctx;
  std::optional<T> out;
  std::exception_ptr failure;
  asio::co_spawn(
      ctx, [&]() -> asio::awaitable<void> { out.emplace(co_await std::move(a)); },
      [&](std::exception_ptr e) { failure = e; });
  ctx.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*out);
}

// An EventSink that remembers everything, in arrival order.
class RecordingSink : public EventSink {
 public:
  void on_events(const ConvKey& key, const std::string& epoch,
                 const std::vector<EventPtr>& events) override {
    std::lock_guard lk(mu_);
    for (const auto& e : events) events_.push_back({key, epoch, e});
    cv_.notify_all();
  }
  void on_signal(const ConvKey& key, const Signal& signal) override {
    std::lock_guard lk(mu_);
    signals_.emplace_back(key, signal);
    cv_.notify_all();
  }
  void on_gap(const ConvKey& key) override {
    std::lock_guard lk(mu_);
    gaps_.push_back(key);
  }
  // The events received for `key`, in arrival order.
  std::vector<EventPtr> events(const ConvKey& key) const {
    std::lock_guard lk(mu_);
    std::vector<EventPtr> out;
    for (const auto& r : events_)
      if (r.key == key) out.push_back(r.event);
    return out;
  }
  std::vector<uint64_t> seqs(const ConvKey& key) const {
    std::vector<uint64_t> out;
    for (const auto& e : events(key)) out.push_back(e->seq);
    return out;
  }
  std::vector<std::string> epochs(const ConvKey& key) const {
    std::lock_guard lk(mu_);
    std::vector<std::string> out;
    for (const auto& r : events_)
      if (r.key == key) out.push_back(r.epoch);
    return out;
  }
  size_t signals() const {
    std::lock_guard lk(mu_);
    return signals_.size();
  }
  size_t gaps() const {
    std::lock_guard lk(mu_);
    return gaps_.size();
  }
  // Waits (bounded) until an event with seq >= `seq` arrived for `key`.
  bool wait_for(const ConvKey& key, uint64_t seq, std::chrono::milliseconds limit = 5s) const {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, limit, [&] {
      return std::any_of(events_.begin(), events_.end(),
                         [&](const Record& r) { return r.key == key && r.event->seq >= seq; });
    });
  }

 private:
  struct Record {
    ConvKey key;
    std::string epoch;
    EventPtr event;
  };
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<Record> events_;
  std::vector<std::pair<ConvKey, Signal>> signals_;
  std::vector<ConvKey> gaps_;
};

inline std::string text_body(std::string_view text) {
  JsonWriter w;
  w.begin_object().field("text", text).end_object();
  return w.take();
}

inline Member member(std::string user, ParticipantRole role,
                     MemberState state = MemberState::active) {
  Member m;
  m.user_id = std::move(user);
  m.name = m.user_id;
  m.role = role;
  m.state = state;
  return m;
}

inline EventDraft draft(std::string type, std::string from = {}, std::string body = "{}",
                        Visibility v = Visibility::all) {
  EventDraft d;
  d.type = std::move(type);
  d.from_role = from.empty() ? "SYSTEM" : "CONSUMER";
  d.from_user = std::move(from);
  d.body = std::move(body);
  d.visibility = v;
  return d;
}

// A conversation with consumer c1, assigned agent a1, agents a2 and a3,
// reader r1 and a consumer x1 who left. Its creation appends two events.
inline CreateRequest conversation(std::string tenant, std::string id) {
  CreateRequest rq;
  rq.record.tenant = std::move(tenant);
  rq.record.id = std::move(id);
  rq.record.members = {member("c1", ParticipantRole::consumer),
                       member("a1", ParticipantRole::assigned_agent),
                       member("a2", ParticipantRole::agent),
                       member("a3", ParticipantRole::agent),
                       member("r1", ParticipantRole::reader),
                       member("x1", ParticipantRole::consumer, MemberState::left)};
  rq.events = {draft("conversation.created"), draft("member.joined", "", R"({"userId":"c1"})")};
  return rq;
}

inline AppendRequest message(std::string from, std::string text, std::string cmid = {},
                             std::string type = "message", Visibility v = Visibility::all) {
  AppendRequest rq;
  rq.event = draft(std::move(type), std::move(from), text_body(text), v);
  rq.event.client_message_id = std::move(cmid);
  return rq;
}

inline uint32_t role_bit(ParticipantRole r) { return 1u << static_cast<int>(r); }

// A Decision that keeps the record and appends `events`.
inline Decision keep(const Conversation& cur, std::vector<EventDraft> events = {}) {
  Decision d;
  d.next = cur;
  d.events = std::move(events);
  return d;
}

inline Decide close_conversation() {
  return [](const Conversation& cur, const Event*) -> Result<Decision> {
    Decision d = keep(cur, {draft("state.changed", "", R"({"from":"OPEN","to":"CLOSE"})")});
    d.next.state = ConvState::close;
    return d;
  };
}

inline Decide erase_conversation() {
  return [](const Conversation& cur, const Event*) -> Result<Decision> {
    Decision d = keep(cur, {draft("conversation.deleted")});
    d.erase = true;
    return d;
  };
}

// One engine, its sink, and the calls the cases make, run synchronously.
class Harness {
 public:
  explicit Harness(std::unique_ptr<Engine> engine) : engine_(std::move(engine)) {
    engine_->set_sink(&sink);
  }
  ~Harness() { engine_.reset(); }  // before the sink it points at

  Engine& engine() { return *engine_; }
  Result<Commit> create(CreateRequest rq) {
    engine_->watch({rq.record.tenant, rq.record.id});
    return run(engine_->create(std::move(rq)));
  }
  Result<Commit> create(const ConvKey& key) { return create(conversation(key.tenant, key.id)); }
  Result<Commit> append(const ConvKey& key, AppendRequest rq) {
    return run(engine_->append(key, std::move(rq)));
  }
  Result<Commit> update(const ConvKey& key, Decide decide, uint64_t target_seq = 0) {
    return run(engine_->update(key, UpdateRequest{target_seq, std::move(decide)}));
  }
  Result<Conversation> get(const ConvKey& key) { return run(engine_->get(key)); }
  Result<LogPage> read(const ConvKey& key, ReadRequest rq = {}) {
    return run(engine_->read(key, std::move(rq)));
  }
  Result<ListPage> list(const std::string& tenant, ListRequest rq = {}) {
    return run(engine_->list(tenant, std::move(rq)));
  }
  std::vector<uint64_t> read_seqs(const ConvKey& key, ReadRequest rq = {}) {
    auto page = read(key, std::move(rq));
    REQUIRE(page.ok());
    std::vector<uint64_t> out;
    for (const auto& e : page->events) out.push_back(e->seq);
    return out;
  }

  RecordingSink sink;

 private:
  std::unique_ptr<Engine> engine_;
};

template <class F>
std::unique_ptr<Engine> fresh_engine() {
  if constexpr (requires { F::reset(); }) F::reset();
  return F::make();
}

inline std::vector<uint64_t> iota(uint64_t from, uint64_t to) {
  std::vector<uint64_t> v;
  for (uint64_t s = from; s <= to; ++s) v.push_back(s);
  return v;
}

}  // namespace parley::contract
