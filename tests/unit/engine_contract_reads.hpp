// The reading part of the storage contract (conversation_store.hpp: read() and list())
// as doctest cases, run against every engine through PARLEY_ENGINE_CONTRACT
// (engine_contract.hpp).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine_contract_support.hpp"

namespace parley::contract {

template <class F>
void read_filters_and_pages() {
  Harness h(fresh_engine<F>());
  const ConvKey k{"t1", "c-read"};
  REQUIRE(h.create(k).ok());                        // 1, 2
  REQUIRE(h.append(k, message("c1", "one")).ok());  // 3
  REQUIRE(h.append(k, message("a1", "private", "", "message.private",
                              Visibility::agents))
              .ok());  // 4
  AppendRequest custom = message("a1", "x", "", "custom", Visibility::agents);
  REQUIRE(h.append(k, custom).ok());                  // 5
  REQUIRE(h.append(k, message("a1", "two")).ok());    // 6
  REQUIRE(h.append(k, message("c1", "three")).ok());  // 7

  auto all = h.read(k);
  REQUIRE(all.ok());
  CHECK(all->last_seq == 7);
  CHECK(all->epoch == h.get(k)->epoch);
  CHECK_FALSE(all->has_more);
  ReadRequest rq;
  rq.from_seq = 3;
  rq.to_seq = 6;
  CHECK(h.read_seqs(k, rq) == std::vector<uint64_t>{3, 4, 5, 6});
  rq.limit = 2;
  auto page = h.read(k, rq);
  CHECK(page->has_more);
  CHECK(h.read_seqs(k, rq) == std::vector<uint64_t>{3, 4});
  rq.descending = true;
  CHECK(h.read_seqs(k, rq) == std::vector<uint64_t>{6, 5});
  rq = {};
  rq.limit = 3;
  rq.descending = true;
  CHECK(h.read_seqs(k, rq) == std::vector<uint64_t>{7, 6, 5});
  rq = {};
  rq.types = {"message", "message.private"};
  CHECK(h.read_seqs(k, rq) == std::vector<uint64_t>{3, 4, 6, 7});
  rq.audience = Audience::consumers;
  CHECK(h.read_seqs(k, rq) == std::vector<uint64_t>{3, 6, 7});
  rq.limit = 3;
  CHECK_FALSE(h.read(k, rq)->has_more);  // exactly `limit` matched
  rq = {};
  rq.audience = Audience::agents;
  CHECK(h.read_seqs(k, rq) == iota(1, 7));
  rq = {};
  rq.from_seq = 8;
  auto beyond = h.read(k, rq);
  CHECK(beyond->events.empty());
  CHECK_FALSE(beyond->has_more);
  CHECK(beyond->last_seq == 7);
  // The time window is inclusive on both ends.
  const Millis t4 = all->events[3]->ts;
  rq = {};
  rq.since = t4;
  rq.until = t4;
  auto at = h.read_seqs(k, rq);
  CHECK(std::find(at.begin(), at.end(), 4) != at.end());
  for (auto s : at) CHECK(all->events[s - 1]->ts == t4);
  rq = {};
  rq.since = all->events.back()->ts + 1;
  CHECK(h.read_seqs(k, rq).empty());
  rq = {};
  rq.until = all->events.front()->ts - 1;
  CHECK(h.read_seqs(k, rq).empty());
}

template <class F>
void list_orders_and_pages() {
  Harness h(fresh_engine<F>());
  const std::string t = "t-list";
  for (int i = 0; i < 5; ++i) {
    CreateRequest rq = conversation(t, "c" + std::to_string(i));
    rq.record.skill_id = i % 2 ? "billing" : "sales";
    REQUIRE(h.create(std::move(rq)).ok());
  }
  std::this_thread::sleep_for(3ms);  // a later updated_at than every create
  REQUIRE(h.append({t, "c0"}, message("c1", "bump")).ok());

  auto key_of = [](const Conversation& c) { return std::make_pair(c.updated_at, c.id); };
  auto ids = [](const ListPage& p) {
    std::vector<std::string> out;
    for (const auto& c : p.data) out.push_back(c.id);
    return out;
  };
  ListRequest rq;
  rq.limit = 10;
  auto desc = h.list(t, rq);
  REQUIRE(desc.ok());
  REQUIRE(desc->data.size() == 5);
  CHECK_FALSE(desc->has_next);
  CHECK(desc->data[0].id == "c0");
  for (size_t i = 1; i < 5; ++i) CHECK(key_of(desc->data[i - 1]) > key_of(desc->data[i]));
  rq.descending = false;
  auto asc = h.list(t, rq);
  auto expect_asc = ids(*desc);
  std::reverse(expect_asc.begin(), expect_asc.end());
  CHECK(ids(*asc) == expect_asc);

  // Keyset paging visits each conversation once.
  rq = {};
  rq.limit = 2;
  std::vector<std::string> seen;
  for (int pages = 0; pages < 10; ++pages) {
    auto p = h.list(t, rq);
    REQUIRE(p.ok());
    for (const auto& id : ids(*p)) seen.push_back(id);
    if (!p->has_next) break;
    CHECK(p->data.size() == 2);
    rq.after = key_of(p->data.back());
  }
  CHECK(seen == ids(*desc));

  rq = {};
  rq.offset = 1;
  rq.limit = 2;
  auto skipped = h.list(t, rq);
  CHECK(ids(*skipped) == std::vector<std::string>{desc->data[1].id, desc->data[2].id});
  CHECK(skipped->has_next);
  rq = {};
  rq.match = [](const Conversation& c) {
    return c.skill_id == std::optional<std::string>("billing");
  };
  auto billing = h.list(t, rq);
  REQUIRE(billing->data.size() == 2);
  for (const auto& c : billing->data) CHECK(c.skill_id == std::optional<std::string>("billing"));
  CHECK(billing->data[0].members.size() == 6);  // whole records
  rq.limit = 1;
  CHECK(h.list(t, rq)->has_next);
  CHECK(h.list("t-empty")->data.empty());
}

}  // namespace parley::contract
