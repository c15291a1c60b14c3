// The changing part of the storage contract (conversation_store.hpp:
// update() and erase()) as doctest cases, run against every engine through
// PARLEY_ENGINE_CONTRACT (engine_contract.hpp).
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine_contract_support.hpp"

namespace parley::contract {

template <class F>
void update_error_and_noop_change_nothing() {
  Harness h(fresh_engine<F>());
  const ConvKey k{"t1", "c-upd"};
  REQUIRE(h.create(k).ok());
  const Conversation before = h.get(k).value();
  bool saw_current = false;
  auto refused = h.update(k, [&](const Conversation& cur, const Event* target) -> Result<Decision> {
    saw_current = cur.last_seq == before.last_seq && target == nullptr;
    return forbidden("role");
  });
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == code::forbidden);
  CHECK(saw_current);
  auto noop = h.update(k, [](const Conversation& cur, const Event*) -> Result<Decision> {
    Decision d = keep(cur);
    d.next.display_name = "ignored";
    d.noop = true;
    return d;
  });
  REQUIRE(noop.ok());
  CHECK(noop->events.empty());
  CHECK(noop->record.version == before.version);
  const Conversation after = h.get(k).value();
  CHECK(after.version == before.version);
  CHECK(after.last_seq == before.last_seq);
  CHECK_FALSE(after.display_name.has_value());
  auto missing = h.update({"t1", "no-such"}, close_conversation());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == code::not_found);
  CHECK(h.sink.seqs(k) == iota(1, 2));
}

template <class F>
void update_keeps_engine_owned_fields() {
  Harness h(fresh_engine<F>());
  const ConvKey k{"t1", "c-owned"};
  REQUIRE(h.create(k).ok());
  REQUIRE(h.append(k, message("c1", "hello")).ok());
  const Conversation before = h.get(k).value();
  auto c = h.update(k, [](const Conversation& cur, const Event*) -> Result<Decision> {
    Decision d = keep(cur, {draft("conversation.updated", "", R"({"changes":{}})")});
    d.next.display_name = "Office";
    d.next.epoch = "forged";
    d.next.last_seq = 999;
    d.next.messages_all = 77;
    d.next.last_message = {};
    d.next.version = 0;
    d.next.updated_at = 1;
    return d;
  });
  REQUIRE(c.ok());
  REQUIRE(c->events.size() == 1);
  CHECK(c->events[0]->seq == before.last_seq + 1);
  const Conversation after = h.get(k).value();
  CHECK(after.display_name == std::optional<std::string>("Office"));
  CHECK(after.epoch == before.epoch);
  CHECK(after.last_seq == before.last_seq + 1);
  CHECK(after.messages_all == 1);
  CHECK(after.last_message.text == "hello");
  CHECK(after.version == before.version + 1);
  CHECK(after.updated_at == c->events[0]->ts);
  CHECK(c->record.version == after.version);
}

template <class F>
void update_rewrites_the_target() {
  Harness h(fresh_engine<F>());
  const ConvKey k{"t1", "c-target"};
  REQUIRE(h.create(k).ok());
  REQUIRE(h.append(k, message("c1", "secret")).ok());  // seq 3
  REQUIRE(h.append(k, message("c1", "latest")).ok());  // seq 4, the last message
  auto gone = h.update(
      k,
      [](const Conversation&, const Event*) -> Result<Decision> {
        FAIL("decide must not run without its target");
        return not_found();
      },
      99);
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().code == code::not_found);

  auto redact = [](const std::string& expect, std::string text) {
    return [expect, text](const Conversation& cur, const Event* target) -> Result<Decision> {
      REQUIRE(target != nullptr);
      CHECK(target->body.find(expect) != std::string::npos);
      Decision d = keep(cur, {draft("message.deleted", "c1", R"({"targetSeq":1})")});
      d.target_body = text.empty() ? R"({"redacted":true})" : text_body(text);
      d.target_text = text;
      return d;
    };
  };
  auto del = h.update(k, redact("secret", ""), 3);
  REQUIRE(del.ok());
  CHECK(del->events.size() == 1);
  auto page = h.read(k);
  REQUIRE(page.ok());
  REQUIRE(page->events.size() == 5);
  CHECK(page->events[2]->seq == 3);
  CHECK(page->events[2]->type == "message");
  CHECK(page->events[2]->body == R"({"redacted":true})");
  for (const auto& e : page->events) CHECK(e->body.find("secret") == std::string::npos);
  CHECK(h.get(k)->last_message.text == "latest");  // not the last message: unchanged

  REQUIRE(h.update(k, redact("latest", "edited"), 4).ok());
  const Conversation after = h.get(k).value();
  CHECK(after.last_message.seq == 4);
  CHECK(after.last_message.text == "edited");
  CHECK(h.read(k)->events[3]->body == text_body("edited"));
}

template <class F>
void erase_publishes_then_removes() {
  Harness h(fresh_engine<F>());
  const ConvKey k{"t1", "c-erase"};
  CreateRequest rq = conversation(k.tenant, k.id);
  rq.record.name = "erased-name";
  rq.record.external_id = "erased-ext";
  REQUIRE(h.create(std::move(rq)).ok());
  REQUIRE(h.append(k, message("c1", "hi")).ok());
  auto c = h.update(k, erase_conversation());
  REQUIRE(c.ok());
  REQUIRE(c->events.size() == 1);
  CHECK(c->events[0]->seq == 4);
  CHECK(c->record.id == k.id);
  REQUIRE(h.sink.wait_for(k, 4));
  CHECK(h.sink.events(k).back()->type == "conversation.deleted");
  CHECK(h.sink.seqs(k) == iota(1, 4));
  CHECK(h.get(k).error().code == code::not_found);
  CHECK(h.read(k).error().code == code::not_found);
  CHECK(h.append(k, message("c1", "late")).error().code == code::not_found);
  CHECK(h.update(k, close_conversation()).error().code == code::not_found);
  CHECK(run(h.engine().get_by_external_id("t1", "erased-ext")).error().code == code::not_found);
  CHECK(h.list("t1")->data.empty());
  // Its name and externalId are free again.
  CreateRequest again = conversation(k.tenant, "c-erase-2");
  again.record.name = "erased-name";
  again.record.external_id = "erased-ext";
  CHECK(h.create(std::move(again)).ok());
}

}  // namespace parley::contract
