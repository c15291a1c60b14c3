// Conversations end to end: live fan-out between two users, idempotent
// sends, edits and deletions as reads see them, read horizons.
#include <algorithm>
#include <map>

#include "harness.hpp"

using namespace parley::it;

namespace {

// The events of queryMessages, by seq.
std::map<int64_t, Json> events_by_seq(const Json& query_result) {
  std::map<int64_t, Json> out;
  for (auto& event : query_result.items("/data")) out.emplace(event.get_int("/seq"), event);
  return out;
}

}  // namespace

TEST_CASE("two users converse live: dense seq, prevSeq, and each response before its push") {
  BrokerProcess broker(jwt_args());
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  auto bob = login(broker.port(), "bob", "agent", "acme");

  Json conversation = create_conversation(*ann, obj({{"displayName", "Billing question"}}));
  const std::string id = conversation.get_string("/id");
  const std::string epoch = conversation.get_string("/epoch");
  INFO("conversation " << conversation.frame());
  CHECK(conversation.get_string("/state") == "OPEN");
  CHECK(conversation.get_string("/consumer/userId") == "ann");
  CHECK(conversation.get_int("/lastSeq") >= 1);

  Subscription ann_sub = subscribe(*ann, id);
  CHECK(ann_sub.epoch == epoch);
  CHECK(ann_sub.last_seq == conversation.get_int("/lastSeq"));
  CHECK(ann_sub.replayed == 0);
  EventFollower ann_events(*ann, id, ann_sub.last_seq);

  // Bob joins; Ann, subscribed, sees it.
  Json member = bob->call("join", obj({{"conversationId", id}}));
  CHECK(member.get_string("/userId") == "bob");
  CHECK(member.get_string("/state") == "ACTIVE");
  const std::string bob_role = member.get_string("/role");
  CHECK((bob_role == "AGENT" || bob_role == "ASSIGNED_AGENT"));
  Json joined = ann_events.next();
  CHECK(joined.get_string("/type") == "member.joined");
  CHECK(joined.get_string("/body/userId") == "bob");
  CHECK(joined.get_string("/epoch") == epoch);

  Subscription bob_sub = subscribe(*bob, id);
  CHECK(bob_sub.epoch == epoch);
  CHECK(bob_sub.last_seq == ann_events.last_seq());
  EventFollower bob_events(*bob, id, bob_sub.last_seq);

  struct Turn {
    WsClient* sender;
    std::string user;
    std::string role;
    std::string text;
  };
  const std::vector<Turn> turns = {
      {ann.get(), "ann", "CONSUMER", "Hi, my invoice is wrong"},
      {bob.get(), "bob", bob_role, "Sorry to hear that. Which one?"},
      {ann.get(), "ann", "CONSUMER", "INV-42"},
      {ann.get(), "ann", "CONSUMER", "the one from March \xE2\x80\x94 \xF0\x9F\x99\x82"},
      {bob.get(), "bob", bob_role, "Found it, fixing"},
      {bob.get(), "bob", bob_role, "Done."},
  };
  int64_t first_message_seq = 0;
  for (const auto& turn : turns) {
    CAPTURE(turn.text);
    Json sent = send_message(*turn.sender, id, turn.text);
    const int64_t seq = sent.get_int("/seq");
    if (!first_message_seq) first_message_seq = seq;
    CHECK(sent.get_bool("/duplicate") == false);
    CHECK(sent.get_string("/epoch") == epoch);
    CHECK(sent.is_int("/ts"));
    // The response was read before any push it caused: nothing stashed
    // while waiting for it carries its seq.
    for (const auto& early : turn.sender->stashed()) {
      bool caused_by_this_send = early.method() == "event" && early.get_int("/params/seq") == seq;
      CHECK_MESSAGE(!caused_by_this_send, "push before its response: " << early.frame());
    }
    for (EventFollower* follower : {&ann_events, &bob_events}) {
      Json event = follower->next();
      INFO("event " << event.dump());
      CHECK(event.get_int("/seq") == seq);
      CHECK(event.get_string("/epoch") == epoch);
      CHECK(event.get_string("/type") == "message");
      CHECK(event.get_string("/from/userId") == turn.user);
      CHECK(event.get_string("/from/role") == turn.role);
      CHECK(event.get_string("/body/text") == turn.text);
      CHECK(event.get_int("/ts") == sent.get_int("/ts"));
      CHECK(event.get_string("/visibility") == "all");
      CHECK(event.get_string("/dialogId") == "MAIN");
    }
  }

  // The log as queryMessages reads it: the same seqs, texts, senders.
  Json log =
      ann->call("queryMessages",
                obj({{"conversationId", id}, {"fromSeq", first_message_seq}, {"limit", 100}}));
  CHECK(log.get_string("/epoch") == epoch);
  CHECK(log.get_int("/lastSeq") == bob_events.last_seq());
  auto data = log.items("/data");
  REQUIRE_MESSAGE(data.size() == turns.size(), log.frame());
  for (size_t i = 0; i < turns.size(); ++i) {
    CHECK(data[i].get_int("/seq") == first_message_seq + static_cast<int64_t>(i));
    CHECK(data[i].get_string("/body/text") == turns[i].text);
    CHECK(data[i].get_string("/from/userId") == turns[i].user);
  }
  Json fetched = bob->call("getConversation", obj({{"conversationId", id}}));
  CHECK(fetched.get_int("/lastSeq") == bob_events.last_seq());
  CHECK(fetched.get_int("/lastMessage/seq") == bob_events.last_seq());
  CHECK(fetched.get_string("/lastMessage/text") == "Done.");
}

TEST_CASE("retrying sendMessage with the same clientMessageId appends nothing") {
  BrokerProcess broker(jwt_args());
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  auto bob = login(broker.port(), "bob", "agent", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  bob->call("join", obj({{"conversationId", id}}));
  Subscription sub = subscribe(*bob, id);
  EventFollower bob_events(*bob, id, sub.last_seq);

  Json first = send_message(*ann, id, "pay by card?", "m-1");
  const int64_t seq = first.get_int("/seq");
  CHECK(first.get_bool("/duplicate") == false);

  Json retry = send_message(*ann, id, "pay by card?", "m-1");
  INFO("first " << first.dump() << " retry " << retry.dump());
  CHECK(retry.get_int("/seq") == seq);
  CHECK(retry.get_bool("/duplicate") == true);
  CHECK(retry.get_string("/epoch") == first.get_string("/epoch"));
  CHECK(retry.get_int("/ts") == first.get_int("/ts"));
  // Same id, other text: still the first message's answer.
  Json again = send_message(*ann, id, "different text, same id", "m-1");
  CHECK(again.get_int("/seq") == seq);
  CHECK(again.get_bool("/duplicate") == true);

  Json conversation = ann->call("getConversation", obj({{"conversationId", id}}));
  CHECK(conversation.get_int("/lastSeq") == seq);
  Json log = ann->call("queryMessages", obj({{"conversationId", id}, {"limit", 100}}));
  CHECK(log.get_int("/lastSeq") == seq);
  int copies = 0;
  for (auto& event : log.items("/data")) {
    if (event.has("/clientMessageId") && event.is_string("/clientMessageId") &&
        event.get_string("/clientMessageId") == "m-1") {
      ++copies;
    }
  }
  CHECK_MESSAGE(copies == 1, log.frame());

  // The subscriber got the message once; the next event is the next send.
  Json event = bob_events.next();
  CHECK(event.get_int("/seq") == seq);
  CHECK(event.get_string("/clientMessageId") == "m-1");
  Json next = send_message(*ann, id, "and another");
  CHECK(next.get_int("/seq") == seq + 1);
  CHECK(bob_events.next().get_string("/body/text") == "and another");

  // clientMessageId is per user: Bob's "m-1" is a message of its own.
  Json bobs = send_message(*bob, id, "bob's own m-1", "m-1");
  CHECK(bobs.get_bool("/duplicate") == false);
  CHECK(bobs.get_int("/seq") == seq + 2);
}

TEST_CASE("editMessage and deleteMessage are what queryMessages reads") {
  BrokerProcess broker(jwt_args());
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  auto bob = login(broker.port(), "bob", "agent", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  bob->call("join", obj({{"conversationId", id}}));

  const int64_t kept = send_message(*ann, id, "my card number is wrong").get_int("/seq");
  const int64_t gone = send_message(*ann, id, "SECRET-4111-1111").get_int("/seq");

  // Only the author edits.
  expect_error(*bob, "editMessage", obj({{"conversationId", id}, {"seq", kept}, {"text", "x"}}),
               403);

  Json edited = ann->call("editMessage",
                          obj({{"conversationId", id}, {"seq", kept}, {"text", "my address"}}));
  const int64_t edit_seq = edited.get_int("/seq");
  CHECK(edit_seq == gone + 1);
  Json deleted = ann->call("deleteMessage", obj({{"conversationId", id}, {"seq", gone}}));
  const int64_t delete_seq = deleted.get_int("/seq");
  CHECK(delete_seq == edit_seq + 1);

  for (WsClient* reader : {ann.get(), bob.get()}) {
    CAPTURE(reader->name());
    Json log = reader->call("queryMessages", obj({{"conversationId", id}, {"limit", 100}}));
    INFO("queryMessages " << log.frame());
    CHECK(log.get_int("/lastSeq") == delete_seq);
    auto events = events_by_seq(log);
    REQUIRE(events.count(kept) == 1);
    REQUIRE(events.count(gone) == 1);
    REQUIRE(events.count(edit_seq) == 1);
    REQUIRE(events.count(delete_seq) == 1);
    CHECK(events.at(kept).get_string("/type") == "message");
    CHECK(events.at(kept).get_string("/body/text") == "my address");
    CHECK(events.at(kept).is_int("/body/editedAt"));
    CHECK(events.at(gone).get_string("/type") == "message");
    CHECK(events.at(gone).at("/body").dump() == R"({"redacted":true})");
    CHECK(events.at(edit_seq).get_string("/type") == "message.edited");
    CHECK(events.at(edit_seq).get_int("/body/targetSeq") == kept);
    CHECK(events.at(delete_seq).get_string("/type") == "message.deleted");
    CHECK(events.at(delete_seq).get_int("/body/targetSeq") == gone);
    // Erased, not hidden.
    CHECK(log.frame().find("SECRET-4111") == std::string::npos);
  }
}

TEST_CASE("markRead moves the read horizon forward and pushes a receipt") {
  BrokerProcess broker(jwt_args());
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  auto bob = login(broker.port(), "bob", "agent", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  bob->call("join", obj({{"conversationId", id}}));
  subscribe(*ann, id);

  std::vector<int64_t> seqs;
  for (const char* text : {"one", "two", "three"}) {
    seqs.push_back(send_message(*ann, id, text).get_int("/seq"));
  }

  Json read = bob->call("markRead", obj({{"conversationId", id}, {"seq", seqs[0]}}));
  CHECK(read.get_int("/lastReadSeq") == seqs[0]);
  CHECK(read.get_int("/unread") == 2);
  Json receipt = ann->expect_push("receipt").at("/params");
  INFO("receipt " << receipt.dump());
  CHECK(receipt.get_string("/conversationId") == id);
  CHECK(receipt.get_string("/userId") == "bob");
  CHECK(receipt.get_string("/status") == "READ");
  CHECK(receipt.get_int("/seq") == seqs[0]);

  read = bob->call("markRead", obj({{"conversationId", id}, {"seq", seqs[2]}}));
  CHECK(read.get_int("/lastReadSeq") == seqs[2]);
  CHECK(read.get_int("/unread") == 0);
  // Backwards changes nothing.
  read = bob->call("markRead", obj({{"conversationId", id}, {"seq", seqs[0]}}));
  CHECK(read.get_int("/lastReadSeq") == seqs[2]);
  CHECK(read.get_int("/unread") == 0);

  send_message(*ann, id, "four");
  CHECK(bob->call("getConversation", obj({{"conversationId", id}})).get_int("/unread") == 1);
  // One's own messages are never unread.
  CHECK(ann->call("getConversation", obj({{"conversationId", id}})).get_int("/unread") == 0);
}
