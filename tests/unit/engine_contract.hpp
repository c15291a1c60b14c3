// The storage contract (storage/engine.hpp and its four stores) as doctest
// cases, run against every engine. An engine's test file instantiates it with
//
//   struct MyFactory {
//     static std::unique_ptr<parley::Engine> make();  // a fresh engine
//     static void reset();                             // optional: wipe storage first
//   };
//   PARLEY_ENGINE_CONTRACT(MyFactory)
//
// The cases only use the Engine interface. They watch() a conversation before
// creating it and wait (bounded) for the sink, so an engine that delivers
// through pub/sub passes them unchanged. Each awaitable runs to completion on
// a fresh io_context; an engine that needs its own I/O threads runs them.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine_contract_presence.hpp"
#include "engine_contract_reads.hpp"
#include "engine_contract_support.hpp"
#include "engine_contract_updates.hpp"
#include "engine_contract_timers.hpp"
#include "engine_contract_users.hpp"
#include "engine_contract_workflow.hpp"

namespace parley::contract {

// ---- the cases --------------------------------------------------------------

template <class F>
void create_is_dense_and_published() {
  Harness h(fresh_engine<F>());
  const ConvKey k{"t1", "c-create"};
  CreateRequest rq = conversation(k.tenant, k.id);
  rq.events.push_back(draft("member.joined", "", R"({"userId":"a1"})"));
  rq.record.epoch = "forged";  // engine-owned: ignored
  rq.record.last_seq = 77;
  auto c = h.create(std::move(rq));
  REQUIRE(c.ok());
  CHECK_FALSE(c->duplicate);
  REQUIRE(c->events.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(c->events[i]->seq == i + 1);
    CHECK(c->events[i]->ts == c->events[0]->ts);
  }
  CHECK(c->record.last_seq == 3);
  CHECK(c->record.last_public_seq == 3);
  CHECK(c->record.epoch != "forged");
  CHECK_FALSE(c->record.epoch.empty());
  CHECK(c->record.version >= 1);
  CHECK(c->record.updated_at == c->events[0]->ts);
  REQUIRE(h.sink.wait_for(k, 3));
  CHECK(h.sink.seqs(k) == iota(1, 3));
  for (const auto& ep : h.sink.epochs(k)) CHECK(ep == c->record.epoch);
  auto g = h.get(k);
  REQUIRE(g.ok());
  CHECK(g->epoch == c->record.epoch);
  CHECK(g->last_seq == 3);
  CHECK(g->members.size() == 6);
  CHECK(h.read_seqs(k) == iota(1, 3));
}

template <class F>
void append_is_dense_under_concurrency() {
  Harness h(fresh_engine<F>());
  const ConvKey k{"t1", "c-dense"};
  REQUIRE(h.create(k).ok());
  constexpr size_t kThreads = 4, kEach = 500;
  const char* users[kThreads] = {"c1", "a1", "a2", "a3"};
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < kEach; ++i) {
        auto c = h.append(k, message(users[t], "m" + std::to_string(i)));
        if (c.ok()) got[t].push_back(c->seq);
      }
    });
  for (auto& t : threads) t.join();
  std::vector<uint64_t> all;
  for (const auto& g : got) {
    CHECK(g.size() == kEach);
    CHECK(std::is_sorted(g.begin(), g.end()));  // one caller's appends keep its order
    all.insert(all.end(), g.begin(), g.end());
  }
  std::sort(all.begin(), all.end());
  const uint64_t last = 2 + kThreads * kEach;
  CHECK(all == iota(3, last));
  REQUIRE(h.sink.wait_for(k, last));
  CHECK(h.sink.seqs(k) == iota(1, last));  // exactly once, strictly in order
  ReadRequest rq;
  rq.limit = 10000;
  CHECK(h.read_seqs(k, rq) == iota(1, last));
  auto g = h.get(k);
  REQUIRE(g.ok());
  CHECK(g->last_seq == last);
  CHECK(g->messages_all == kThreads * kEach);
}

template <class F>
void append_is_idempotent() {
  Harness h(fresh_engine<F>());
  const ConvKey k{"t1", "c-idem"};
  REQUIRE(h.create(k).ok());
  auto first = h.append(k, message("c1", "hi", "m-1"));
  REQUIRE(first.ok());
  CHECK(first->seq == 3);
  CHECK_FALSE(first->duplicate);
  auto again = h.append(k, message("c1", "hi again", "m-1"));
  REQUIRE(again.ok());
  CHECK(again->duplicate);
  CHECK(again->seq == 3);
  CHECK(again->ts == first->ts);
  CHECK(again->events.empty());
  CHECK(again->record.epoch == first->record.epoch);
  auto other = h.append(k, message("a1", "hi", "m-1"));  // another sender: its own key
  REQUIRE(other.ok());
  CHECK_FALSE(other->duplicate);
  CHECK(other->seq == 4);
  auto plain = h.append(k, message("c1", "no id"));
  REQUIRE(plain.ok());
  CHECK(plain->seq == 5);
  // The first result stands even once the conversation has closed.
  REQUIRE(h.update(k, close_conversation()).ok());
  auto late = h.append(k, message("c1", "hi", "m-1"));
  REQUIRE(late.ok());
  CHECK(late->duplicate);
  CHECK(late->seq == 3);
  REQUIRE(h.sink.wait_for(k, 6));
  CHECK(h.sink.seqs(k) == iota(1, 6));
  CHECK(h.get(k)->last_seq == 6);
}

template <class F>
void append_checks_preconditions() {
  Harness h(fresh_engine<F>());
  const ConvKey k{"t1", "c-pre"};
  REQUIRE(h.create(k).ok());
  auto stranger = h.append(k, message("zz", "hi"));
  REQUIRE_FALSE(stranger.ok());
  CHECK(stranger.error().code == code::forbidden);
  auto gone = h.append(k, message("x1", "hi"));  // LEFT
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().code == code::forbidden);

  AppendRequest by_reader = message("r1", "hi");
  by_reader.sender_roles = ~role_bit(ParticipantRole::reader);
  auto reader = h.append(k, by_reader);
  REQUIRE_FALSE(reader.ok());
  CHECK(reader.error().code == code::forbidden);
  AppendRequest by_consumer = message("c1", "hi");
  by_consumer.sender_roles = role_bit(ParticipantRole::consumer);
  CHECK(h.append(k, by_consumer).ok());
  CHECK(h.append(k, message("r1", "any role")).ok());  // mask 0: any active member

  REQUIRE(h.update(k, close_conversation()).ok());
  const uint64_t last = h.get(k)->last_seq;
  auto closed = h.append(k, message("c1", "hi"));
  REQUIRE_FALSE(closed.ok());
  CHECK(closed.error().code == code::conflict);
  CHECK(closed.error().message == "conversation is CLOSE");
  AppendRequest anyway = message("c1", "survey answer");
  anyway.require_open = false;
  CHECK(h.append(k, anyway).ok());

  auto missing = h.append({"t1", "no-such"}, message("c1", "hi"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == code::not_found);
  CHECK(h.get(k)->last_seq == last + 1);  // the refusals appended nothing
}

template <class F>
void names_are_unique_in_a_tenant() {
  Harness h(fresh_engine<F>());
  auto named = [](std::string tenant, std::string id, std::optional<std::string> name,
                  std::optional<std::string> ext) {
    CreateRequest rq = conversation(std::move(tenant), std::move(id));
    rq.record.name = std::move(name);
    rq.record.external_id = std::move(ext);
    return rq;
  };
  REQUIRE(h.create(named("t1", "a", "office", "ext-a")).ok());
  auto same_name = h.create(named("t1", "b", "office", std::nullopt));
  REQUIRE_FALSE(same_name.ok());
  CHECK(same_name.error().code == code::conflict);
  auto same_ext = h.create(named("t1", "b", std::nullopt, "ext-a"));
  REQUIRE_FALSE(same_ext.ok());
  CHECK(same_ext.error().code == code::conflict);
  CHECK(h.get({"t1", "b"}).error().code == code::not_found);  // nothing written
  REQUIRE(h.create(named("t1", "b", "lobby", "ext-b")).ok());
  CHECK(h.create(named("t2", "a", "office", "ext-a")).ok());  // another tenant

  auto rename = [](std::optional<std::string> name, std::optional<std::string> ext) {
    return [=](const Conversation& cur, const Event*) -> Result<Decision> {
      Decision d = keep(cur, {draft("conversation.updated", "", R"({"changes":{}})")});
      d.next.name = name;
      d.next.external_id = ext;
      return d;
    };
  };
  const ConvKey b{"t1", "b"};
  const uint64_t version = h.get(b)->version;
  auto clash = h.update(b, rename("office", "ext-b"));
  REQUIRE_FALSE(clash.ok());
  CHECK(clash.error().code == code::conflict);
  CHECK(h.update(b, rename("lobby", "ext-a")).error().code == code::conflict);
  CHECK(h.get(b)->version == version);
  CHECK(h.get(b)->name == std::optional<std::string>("lobby"));
  REQUIRE(h.update(b, rename("hall", "ext-c")).ok());
  auto by_ext = run(h.engine().get_by_external_id("t1", "ext-c"));
  REQUIRE(by_ext.ok());
  CHECK(by_ext->id == "b");
  CHECK(run(h.engine().get_by_external_id("t1", "ext-b")).error().code == code::not_found);
  // The old name is free once renamed away.
  CHECK(h.create(named("t1", "c", "lobby", "ext-b")).ok());
}

template <class F>
void tenants_are_isolated() {
  Harness h(fresh_engine<F>());
  const ConvKey k{"t1", "shared-id"}, other{"t2", "shared-id"};
  CreateRequest rq = conversation(k.tenant, k.id);
  rq.record.external_id = "ext";
  REQUIRE(h.create(std::move(rq)).ok());
  REQUIRE(h.append(k, message("c1", "hi")).ok());
  CHECK(h.get(other).error().code == code::not_found);
  CHECK(h.append(other, message("c1", "hi")).error().code == code::not_found);
  CHECK(h.read(other).error().code == code::not_found);
  CHECK(h.update(other, close_conversation()).error().code == code::not_found);
  CHECK(run(h.engine().get_by_external_id("t2", "ext")).error().code == code::not_found);
  CHECK(h.list("t2")->data.empty());
  auto c = h.create(other);  // the same id elsewhere is another conversation
  REQUIRE(c.ok());
  CHECK(c->events.front()->seq == 1);
  CHECK(h.get(k)->last_seq == 3);
  CHECK(h.get(other)->last_seq == 2);
}

template <class F>
void counters_follow_messages() {
  Harness h(fresh_engine<F>());
  const ConvKey k{"t1", "c-count"};
  REQUIRE(h.create(k).ok());
  auto m1 = h.append(k, message("c1", "he said \"hi\""));
  REQUIRE(m1.ok());
  const Event& e1 = *m1->events.at(0);
  CHECK(e1.seq == 3);
  CHECK(e1.prev_public_seq == 2);
  CHECK(e1.messages_all == 1);
  CHECK(e1.messages_public == 1);
  auto m2 = h.append(k, message("a1", "note", "", "message.private", Visibility::agents));
  REQUIRE(m2.ok());
  CHECK(m2->events.at(0)->prev_public_seq == 3);
  CHECK(m2->events.at(0)->messages_all == 2);
  CHECK(m2->events.at(0)->messages_public == 1);
  AppendRequest custom = message("a1", "x", "", "custom");
  auto m3 = h.append(k, custom);
  REQUIRE(m3.ok());
  CHECK(m3->events.at(0)->prev_public_seq == 3);  // 4 was agents-only
  Conversation c = h.get(k).value();
  CHECK(c.messages_all == 2);
  CHECK(c.messages_public == 1);
  CHECK(c.last_public_seq == 5);
  CHECK(c.last_message.seq == 3);
  CHECK(c.last_message.from == "c1");
  CHECK(c.last_message.text == "he said \"hi\"");
  CHECK(c.last_message.ts == e1.ts);
  CHECK(c.last_message_at == e1.ts);
  // The sender's read horizon moves with its own message unless told not to.
  const Member* c1 = c.member("c1");
  CHECK(c1->last_read_seq == 3);
  CHECK(c1->read_messages_all == 1);
  CHECK(c.member("a1")->last_read_seq == 5);
  CHECK(c.member("a1")->read_messages_all == 2);
  AppendRequest unread = message("c1", "x");
  unread.mark_read = false;
  REQUIRE(h.append(k, unread).ok());
  CHECK(h.get(k)->member("c1")->last_read_seq == 3);

  std::string long_text;
  for (int i = 0; i < 250; ++i) long_text += "\xC3\xA9";  // é, two bytes
  REQUIRE(h.append(k, message("c1", long_text)).ok());
  c = h.get(k).value();
  CHECK(code_points(c.last_message.text) == 200);
  CHECK(c.last_message.text == long_text.substr(0, 400));
  AppendRequest file = message("c1", "");
  file.event.type = "message.file";
  file.event.body = R"({"url":"https://x/f.png","name":"f.png","caption":"a photo"})";
  REQUIRE(h.append(k, file).ok());
  CHECK(h.get(k)->last_message.text == "a photo");
  AppendRequest rich = message("c1", "");
  rich.event.type = "message.rich";
  rich.event.body = R"({"content":{"type":"card"}})";
  auto r = h.append(k, rich);
  REQUIRE(r.ok());
  c = h.get(k).value();
  CHECK(c.last_message.seq == r->seq);
  CHECK(c.last_message.text.empty());
  CHECK(c.messages_all == 6);
  CHECK(c.messages_public == 5);
}

template <class F>
void epoch_is_stable_and_version_grows() {
  Harness h(fresh_engine<F>());
  const ConvKey k{"t1", "c-epoch"};
  auto c = h.create(k);
  REQUIRE(c.ok());
  const std::string epoch = c->record.epoch;
  uint64_t version = h.get(k)->version;
  CHECK(version == c->record.version);
  auto a = h.append(k, message("c1", "hi", "m1"));
  REQUIRE(a.ok());
  CHECK(a->record.epoch == epoch);
  CHECK(a->record.version == version + 1);
  CHECK(h.get(k)->version == ++version);
  REQUIRE(h.append(k, message("c1", "hi", "m1"))->duplicate);
  CHECK(h.get(k)->version == version);  // a duplicate commits nothing
  REQUIRE(h.update(k, close_conversation()).ok());
  CHECK(h.get(k)->version == ++version);
  CHECK(h.get(k)->epoch == epoch);
  CHECK(h.read(k)->epoch == epoch);
  auto other = h.create(ConvKey{"t1", "c-epoch-2"});
  REQUIRE(other.ok());
  CHECK(other->record.epoch != epoch);
}

template <class F>
void create_is_idempotent() {
  Harness h(fresh_engine<F>());
  CreateRequest rq = conversation("t1", "c-first");
  rq.idempotency_key = "k-1";
  auto first = h.create(rq);
  REQUIRE(first.ok());
  CHECK_FALSE(first->duplicate);
  CreateRequest retry = conversation("t1", "c-retry");
  retry.idempotency_key = "k-1";
  auto dup = h.create(retry);
  REQUIRE(dup.ok());
  CHECK(dup->duplicate);
  CHECK(dup->events.empty());
  CHECK(dup->record.id == "c-first");
  CHECK(dup->record.epoch == first->record.epoch);
  CHECK(h.get({"t1", "c-retry"}).error().code == code::not_found);
  CreateRequest elsewhere = conversation("t2", "c-retry");
  elsewhere.idempotency_key = "k-1";  // keys are scoped to the tenant
  auto other = h.create(elsewhere);
  REQUIRE(other.ok());
  CHECK_FALSE(other->duplicate);
  CHECK(h.sink.seqs({"t1", "c-retry"}).empty());
}

}  // namespace parley::contract

// Instantiates every contract case for an engine factory.
#define PARLEY_ENGINE_CONTRACT_CASE(F, fn) \
  TEST_CASE(#F " contract: " #fn) { ::parley::contract::fn<F>(); }

#define PARLEY_ENGINE_CONTRACT(F)                                      \
  PARLEY_ENGINE_CONTRACT_CASE(F, create_is_dense_and_published)        \
  PARLEY_ENGINE_CONTRACT_CASE(F, append_is_dense_under_concurrency)    \
  PARLEY_ENGINE_CONTRACT_CASE(F, append_is_idempotent)                 \
  PARLEY_ENGINE_CONTRACT_CASE(F, append_checks_preconditions)          \
  PARLEY_ENGINE_CONTRACT_CASE(F, update_error_and_noop_change_nothing) \
  PARLEY_ENGINE_CONTRACT_CASE(F, update_keeps_engine_owned_fields)     \
  PARLEY_ENGINE_CONTRACT_CASE(F, update_rewrites_the_target)           \
  PARLEY_ENGINE_CONTRACT_CASE(F, erase_publishes_then_removes)         \
  PARLEY_ENGINE_CONTRACT_CASE(F, names_are_unique_in_a_tenant)         \
  PARLEY_ENGINE_CONTRACT_CASE(F, tenants_are_isolated)                 \
  PARLEY_ENGINE_CONTRACT_CASE(F, read_filters_and_pages)               \
  PARLEY_ENGINE_CONTRACT_CASE(F, list_orders_and_pages)                \
  PARLEY_ENGINE_CONTRACT_CASE(F, counters_follow_messages)             \
  PARLEY_ENGINE_CONTRACT_CASE(F, epoch_is_stable_and_version_grows)    \
  PARLEY_ENGINE_CONTRACT_CASE(F, create_is_idempotent)                 \
  PARLEY_ENGINE_CONTRACT_CASE(F, append_labels_seat_and_dialog)        \
  PARLEY_ENGINE_CONTRACT_CASE(F, workflow_fields_round_trip)        \
  PARLEY_ENGINE_CONTRACT_PRESENCE(F)                                   \
  PARLEY_ENGINE_CONTRACT_TIMERS(F)                                     \
  PARLEY_ENGINE_CONTRACT_USERS(F)
