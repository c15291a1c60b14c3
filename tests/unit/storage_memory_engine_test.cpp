// The memory engine: the shared contract, then what is particular to it
// (epochs, the lean append record, lock order under concurrent list and
// commits) and the helpers in protocol/write.cpp every engine shares.
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine_contract.hpp"
#include "engine_contract_inbox.hpp"
#include "engine_contract_local.hpp"
#include "memory/memory_engine.hpp"

namespace {

using namespace parley;
using namespace parley::contract;

struct MemoryFactory {
  static std::unique_ptr<Engine> make() { return std::make_unique<MemoryEngine>(); }
};

}  // namespace

PARLEY_ENGINE_CONTRACT(MemoryFactory)
PARLEY_ENGINE_CONTRACT_INBOX(MemoryFactory)
PARLEY_ENGINE_CONTRACT_LOCAL(MemoryFactory)

TEST_CASE("memory: identity and readiness") {
  MemoryEngine engine;
  CHECK(engine.name() == "memory");
  CHECK(engine.ready());
  engine.watch({"t", "c"});  // no-ops, and safe without a sink
  engine.unwatch({"t", "c"});
  engine.publish_signal({"t", "c"}, Signal{});
  auto c = run(engine.create(conversation("t", "c")));
  CHECK(c.ok());
}

TEST_CASE("memory: epochs are 12 hex digits and new after a restart") {
  std::string first;
  {
    Harness h(MemoryFactory::make());
    auto c = h.create(ConvKey{"t", "c"});
    REQUIRE(c.ok());
    first = c->record.epoch;
  }
  CHECK(first.size() == 12);
  CHECK(first.find_first_not_of("0123456789abcdef") == std::string::npos);
  Harness restarted(MemoryFactory::make());
  auto again = restarted.create(ConvKey{"t", "c"});
  REQUIRE(again.ok());
  CHECK(again->record.epoch != first);
}

TEST_CASE("memory: append returns a lean record") {
  Harness h(MemoryFactory::make());
  const ConvKey k{"t", "c"};
  CreateRequest rq = conversation(k.tenant, k.id);
  rq.record.metadata = R"({"big":true})";
  REQUIRE(h.create(std::move(rq)).ok());
  auto a = h.append(k, message("c1", "hi"));
  REQUIRE(a.ok());
  CHECK(a->record.id == "c");
  CHECK(a->record.tenant == "t");
  CHECK(a->record.epoch == h.get(k)->epoch);
  CHECK(a->record.last_seq == 3);
  CHECK(a->record.last_message.text == "hi");
  CHECK(a->record.version == h.get(k)->version);
  CHECK(a->record.members.empty());  // not copied on the hot path
  CHECK(a->record.metadata == "{}");
}

TEST_CASE("memory: signals go straight to the sink") {
  Harness h(MemoryFactory::make());
  Signal s;
  s.frame = std::make_shared<const std::string>("{}");
  s.from_user = "c1";
  h.engine().publish_signal({"t", "c"}, s);
  CHECK(h.sink.signals() == 1);
  CHECK(h.sink.gaps() == 0);
}

TEST_CASE("memory: an id is created once") {
  Harness h(MemoryFactory::make());
  REQUIRE(h.create(ConvKey{"t", "c"}).ok());
  auto again = h.create(ConvKey{"t", "c"});
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == code::conflict);
  CHECK(h.get({"t", "c"})->last_seq == 2);
}

TEST_CASE("memory: racing creates with one idempotency key make one conversation") {
  MemoryEngine engine;
  std::atomic<int> created{0}, duplicates{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      CreateRequest rq = conversation("t", "c" + std::to_string(i));
      rq.idempotency_key = "same";
      auto c = run(engine.create(std::move(rq)));
      CHECK(c.ok());  // CHECK, not REQUIRE: nothing may throw off a thread
      if (c.ok()) (c->duplicate ? duplicates : created)++;
    });
  for (auto& t : threads) t.join();
  CHECK(created == 1);
  CHECK(duplicates == 7);
  CHECK(engine.size("t") == 1);
}

TEST_CASE("memory: a rewrite replaces the stored event, never the published one") {
  Harness h(MemoryFactory::make());
  const ConvKey k{"t", "c"};
  REQUIRE(h.create(k).ok());
  auto sent = h.append(k, message("c1", "original"));
  REQUIRE(sent.ok());
  const EventPtr published = sent->events.at(0);
  auto edit = h.update(
      k,
      [](const Conversation& cur, const Event*) -> Result<Decision> {
        Decision d = keep(cur, {draft("message.edited", "c1", R"({"targetSeq":3,"text":"new"})")});
        d.target_body = text_body("new");
        d.target_text = "new";
        return d;
      },
      3);
  REQUIRE(edit.ok());
  CHECK(published->body == text_body("original"));  // frames already out stay intact
  ReadRequest rq;
  rq.from_seq = 3;
  rq.to_seq = 3;
  auto page = h.read(k, rq);
  REQUIRE(page->events.size() == 1);
  CHECK(page->events[0]->body == text_body("new"));
  CHECK(page->events[0]->ts == published->ts);
  CHECK(page->events[0]->messages_all == published->messages_all);
  CHECK(h.get(k)->last_message.text == "new");
}

TEST_CASE("memory: list runs beside commits and erasures without deadlock") {
  Harness h(MemoryFactory::make());
  constexpr int kConvs = 20;
  for (int i = 0; i < kConvs; ++i) REQUIRE(h.create(ConvKey{"t", "c" + std::to_string(i)}).ok());
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w)
    writers.emplace_back([&, w] {
      for (int n = 0; n < 300; ++n) {
        const ConvKey k{"t", "c" + std::to_string((n * 7 + w) % kConvs)};
        (void)h.append(k, message("c1", "x"));
      }
    });
  writers.emplace_back([&] {
    for (int i = 0; i < kConvs; i += 4)
      (void)h.update({"t", "c" + std::to_string(i)}, erase_conversation());
  });
  size_t pages = 0;
  std::thread lister([&] {
    do {  // at least once, however fast the writers are
      ListRequest rq;
      rq.limit = 100;
      auto p = h.list("t", rq);
      CHECK(p.ok());
      if (!p.ok()) break;
      std::set<std::string> ids;
      for (size_t i = 0; i < p->data.size(); ++i) {
        CHECK(ids.insert(p->data[i].id).second);  // no conversation twice
        if (i > 0) {
          const auto& a = p->data[i - 1];
          const auto& b = p->data[i];
          CHECK(std::make_pair(a.updated_at, a.id) > std::make_pair(b.updated_at, b.id));
        }
      }
      ++pages;
    } while (!stop);
  });
  for (auto& t : writers) t.join();
  stop = true;
  lister.join();
  CHECK(pages > 0);
  auto final_page = h.list("t", ListRequest{nullptr, true, std::nullopt, 0, 100});
  REQUIRE(final_page.ok());
  CHECK(final_page->data.size() == kConvs - kConvs / 4);
  CHECK(dynamic_cast<MemoryEngine&>(h.engine()).size("t") == kConvs - kConvs / 4);
}

TEST_CASE("memory: timestamps never decrease along a log") {
  Harness h(MemoryFactory::make());
  const ConvKey k{"t", "c"};
  REQUIRE(h.create(k).ok());
  for (int i = 0; i < 200; ++i) REQUIRE(h.append(k, message("c1", "x")).ok());
  ReadRequest rq;
  rq.limit = 1000;
  auto page = h.read(k, rq);
  REQUIRE(page.ok());
  for (size_t i = 1; i < page->events.size(); ++i)
    CHECK(page->events[i - 1]->ts <= page->events[i]->ts);
}

// ---- the helpers every engine shares (protocol/write.cpp) -------------------

TEST_CASE("check_append: membership, role, then the state") {
  Conversation conv = conversation("t", "c").record;
  AppendRequest rq = message("c1", "hi");
  CHECK(check_append(conv, rq).ok());
  conv.state = ConvState::locked;
  auto locked = check_append(conv, rq);
  REQUIRE_FALSE(locked.ok());
  CHECK(locked.error().code == code::conflict);
  CHECK(locked.error().message == "conversation is LOCKED");
  CHECK(locked.error().data == R"({"state":"LOCKED"})");
  // Who may send comes before the state: a refused sender learns nothing of it.
  rq.sender_roles = role_bit(ParticipantRole::assigned_agent);
  auto role = check_append(conv, rq);
  REQUIRE_FALSE(role.ok());
  CHECK(role.error().code == code::forbidden);
  CHECK(role.error().data == R"({"required":"role"})");
  rq.event.from_user = "x1";
  auto member = check_append(conv, rq);
  REQUIRE_FALSE(member.ok());
  CHECK(member.error().code == code::forbidden);
  CHECK(member.error().data == R"({"required":"member"})");
}

TEST_CASE("stamp_appended numbers events and moves the counters") {
  Conversation conv;
  Event created;
  created.type = "conversation.created";
  created.ts = 10;
  stamp_appended(conv, created);
  CHECK(created.seq == 1);
  CHECK(created.prev_public_seq == 0);
  Event note;
  static_cast<EventDraft&>(note) =
      draft("message.private", "a1", text_body("n"), Visibility::agents);
  note.ts = 11;
  stamp_appended(conv, note);
  CHECK(note.seq == 2);
  CHECK(note.prev_public_seq == 1);
  CHECK(note.messages_all == 1);
  CHECK(note.messages_public == 0);
  CHECK(conv.last_public_seq == 1);
  CHECK(conv.last_message.seq == 0);  // private messages are no preview
  CHECK(conv.updated_at == 11);
  Event broken;
  static_cast<EventDraft&>(broken) = draft("message", "c1", "{not json");
  broken.ts = 12;
  stamp_appended(conv, broken);
  CHECK(conv.last_message.seq == 3);
  CHECK(conv.last_message.text.empty());
  CHECK(conv.last_message_at == 12);
  CHECK(broken.messages_public == 1);
}

TEST_CASE("mark_read_to only moves forward") {
  Member m;
  Event e;
  e.seq = 5;
  e.messages_all = 3;
  e.messages_public = 2;
  mark_read_to(m, e);
  CHECK(m.last_read_seq == 5);
  CHECK(m.read_messages_all == 3);
  CHECK(m.read_messages_public == 2);
  Event older;
  older.seq = 4;
  older.messages_all = 2;
  older.messages_public = 1;
  mark_read_to(m, older);
  CHECK(m.last_read_seq == 5);
  CHECK(m.read_messages_all == 3);
  CHECK(m.read_messages_public == 2);
}

TEST_CASE("ConvKeyHash tells tenants apart") {
  ConvKeyHash hash;
  CHECK(hash({"t1", "c"}) == hash({"t1", "c"}));
  CHECK(hash({"t1", "c"}) != hash({"t2", "c"}));
  CHECK(hash({"t1", "c"}) != hash({"t1", "d"}));
}
