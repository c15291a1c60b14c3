// subscribeInbox / unsubscribeInbox, searchConversations and
// countConversations over real WebSockets. Inbox pushes reflect the latest
// state (intermediate ones may be coalesced away), so each step waits for
// the push that shows it before the next step.
#include <functional>
#include <map>
#include <set>

#include "redis_support.hpp"
#include "workflow_support.hpp"

using namespace parley::it;

namespace {

// The next `inbox` push of subscription `sub` about conversation `id` for
// which `wanted` holds. Every inbox push read on the way goes through
// `each` (the checks that must hold for all of them) and is then skipped.
Json expect_inbox(WsClient& client, const std::string& sub, const std::string& id,
                  const std::function<bool(const Json&)>& wanted,
                  const std::function<void(const Json&)>& each = {}) {
  const auto until = Clock::now() + Millis(10000);
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(until - Clock::now());
    if (left <= Millis(0)) throw Timeout(client.name() + ": no such inbox push about " + id);
    Json p = client.expect_push("inbox", left).at("/params");
    if (each) each(p);
    if (p.get_string("/subscriptionId") == sub && p.get_string("/conversation/id") == id &&
        wanted(p))
      return p;
  }
}

bool upsert(const Json& p) { return p.get_string("/change") == "UPSERT"; }
bool removal(const Json& p) { return p.get_string("/change") == "DELETE"; }

// An UPSERT whose conversation has the object `object` (not null) with
// `key` equal to `value`: upsert_where("lastMessage", "text", "hi").
std::function<bool(const Json&)> upsert_where(const std::string& object, const std::string& key,
                                              const std::string& value) {
  return [=](const Json& p) {
    const std::string at = "/conversation/" + object;
    return upsert(p) && !p.is_null(at) && p.get_string(at + "/" + key) == value;
  };
}

// subscribeInbox; returns the result.
Json subscribe_inbox(WsClient& client, std::string params = "{}") {
  Json r = client.call("subscribeInbox", std::move(params));
  REQUIRE(r.is_string("/subscriptionId"));
  REQUIRE(r.is_array("/snapshot/data"));
  REQUIRE(r.is_int("/snapshot/total"));
  return r;
}

std::set<std::string> ids_of(const Json& list, std::string_view pointer = "/data") {
  std::set<std::string> out;
  for (const Json& c : list.items(pointer)) out.insert(c.get_string("/id"));
  return out;
}

}  // namespace

TEST_CASE("inbox: an agent console sees create, message, assignment, transfer, close, delete") {
  BrokerProcess broker(jwt_args());
  const uint16_t port = broker.port();
  auto ann = login(port, "ann", "consumer", "acme");
  auto alice = login(port, "alice", "agent", "acme");
  auto bob = login(port, "bob", "agent", "acme");
  auto mia = login(port, "mia", "manager", "acme");
  auto other = login(port, "olga", "consumer", "elsewhere");

  const std::string before = create_conversation(*ann).get_string("/id");
  Json sub = subscribe_inbox(*alice, obj({{"filter", raw(R"({"state":"OPEN"})")}}));
  const std::string sid = sub.get_string("/subscriptionId");
  CHECK(sub.get_int("/snapshot/total") == 1);
  CHECK(ids_of(sub, "/snapshot/data") == std::set<std::string>{before});

  // Created: UPSERT.
  create_conversation(*other);  // another tenant: never in this inbox
  const std::string id = create_conversation(*ann, obj({{"skillId", "billing"}})).get_string("/id");
  auto same_tenant = [&](const Json& p) {
    CHECK(p.get_string("/subscriptionId") == sid);
    const std::string cid = p.get_string("/conversation/id");
    CHECK((cid == id || cid == before));
  };
  Json created = expect_inbox(*alice, sid, id, upsert, same_tenant);
  CHECK(created.get_string("/conversation/state") == "OPEN");
  CHECK(created.get_int("/updatedAt") == created.get_int("/conversation/updatedAt"));

  // A message: UPSERT with it as lastMessage.
  send_message(*ann, id, "Where is my parcel?");
  expect_inbox(*alice, sid, id, upsert_where("lastMessage", "text", "Where is my parcel?"),
               same_tenant);

  // Assignment, then a transfer accepted by bob.
  alice->call("assign", obj({{"conversationId", id}, {"userId", "alice"}}));
  expect_inbox(*alice, sid, id, upsert_where("assignedAgent", "userId", "alice"), same_tenant);
  alice->call("transfer", obj({{"conversationId", id}, {"agentId", "bob"}}));
  bob->call("join", obj({{"conversationId", id}}));
  expect_inbox(*alice, sid, id, upsert_where("assignedAgent", "userId", "bob"), same_tenant);

  // Closed: no longer OPEN, so DELETE, carrying only the id.
  bob->call("closeConversation", obj({{"conversationId", id}}));
  Json gone = expect_inbox(*alice, sid, id, removal, same_tenant);
  CHECK(gone.size("/conversation") == 1);

  // Deleted: DELETE.
  mia->call("deleteConversation", obj({{"conversationId", before}}));
  expect_inbox(*alice, sid, before, removal, same_tenant);

  // Unsubscribed: nothing more for it. (A second inbox on the same socket
  // is the witness: its push comes after anything the first one would send.)
  CHECK(alice->call("unsubscribeInbox", obj({{"subscriptionId", sid}})).size() == 0);
  CHECK(alice->call("unsubscribeInbox", obj({{"subscriptionId", sid}})).size() == 0);
  const std::string witness_sub = subscribe_inbox(*alice).get_string("/subscriptionId");
  const std::string later = create_conversation(*ann).get_string("/id");
  expect_inbox(*alice, witness_sub, later, upsert,
               [&](const Json& p) { CHECK(p.get_string("/subscriptionId") == witness_sub); });
}

TEST_CASE("inbox: a consumer sees only its own conversations and nothing agents-only") {
  BrokerProcess broker(jwt_args());
  const uint16_t port = broker.port();
  auto ann = login(port, "ann", "consumer", "acme");
  auto carl = login(port, "carl", "consumer", "acme");
  auto alice = login(port, "alice", "agent", "acme");

  const std::string carls = create_conversation(*carl).get_string("/id");
  Json sub = subscribe_inbox(*ann);
  const std::string sid = sub.get_string("/subscriptionId");
  CHECK(sub.get_int("/snapshot/total") == 0);

  const std::string mine = create_conversation(*ann).get_string("/id");
  auto never_leaks = [&](const Json& p) {
    CHECK(p.get_string("/conversation/id") != carls);
    if (p.has("/conversation/lastMessage") && !p.is_null("/conversation/lastMessage"))
      CHECK(p.get_string("/conversation/lastMessage/text") != "secret plan");
  };
  expect_inbox(*ann, sid, mine, upsert, never_leaks);
  send_message(*carl, carls, "carl's own business");
  alice->call("join", obj({{"conversationId", mine}}));
  alice->call("sendPrivateMessage", obj({{"conversationId", mine}, {"text", "secret plan"}}));
  send_message(*alice, mine, "public reply");
  Json shown = expect_inbox(*ann, sid, mine, upsert_where("lastMessage", "text", "public reply"),
                            never_leaks);
  // unread is ann's own.
  CHECK(shown.get_int("/conversation/unread") >= 1);
  // A consumer's snapshot holds its own conversations only.
  Json again = subscribe_inbox(*ann);
  CHECK(again.get_int("/snapshot/total") == 1);
  CHECK(ids_of(again, "/snapshot/data") == std::set<std::string>{mine});
  // Removed from it: no longer readable, so DELETE with the id only.
  alice->call("removeMember", obj({{"conversationId", mine}, {"userId", "ann"}}));
  Json gone = expect_inbox(*ann, sid, mine, removal, never_leaks);
  CHECK(gone.size("/conversation") == 1);
}

TEST_CASE("inbox: at most the configured number of inbox subscriptions per socket") {
  BrokerProcess broker(jwt_args({"--max-inbox-subscriptions", "3"}));
  auto alice = login(broker.port(), "alice", "agent", "acme");
  std::vector<std::string> subs;
  for (int i = 0; i < 3; ++i) subs.push_back(subscribe_inbox(*alice).get_string("/subscriptionId"));
  Json refused = expect_error(*alice, "subscribeInbox", "{}", 413);
  CHECK(refused.get_string("/error/data/field") == "inboxSubscriptions");
  CHECK(refused.get_int("/error/data/limit") == 3);
  alice->call("unsubscribeInbox", obj({{"subscriptionId", subs[0]}}));
  subscribe_inbox(*alice);
  // Another socket has its own allowance.
  auto again = login(broker.port(), "alice", "agent", "acme");
  subscribe_inbox(*again);
}

TEST_CASE("searchConversations: words of messages and names, within the caller's read rules") {
  BrokerProcess broker(jwt_args());
  const uint16_t port = broker.port();
  auto ann = login(port, "ann", "consumer", "acme");
  auto carl = login(port, "carl", "consumer", "acme");
  auto alice = login(port, "alice", "agent", "acme");
  auto olga = login(port, "olga", "agent", "elsewhere");

  const std::string mine =
      create_conversation(*ann, obj({{"name", "conversation-office"}})).get_string("/id");
  send_message(*ann, mine, "My parcel Zebra-42 is late");
  alice->call("join", obj({{"conversationId", mine}}));
  alice->call("sendPrivateMessage", obj({{"conversationId", mine}, {"text", "escalate pineapple"}}));
  const std::string carls = create_conversation(*carl).get_string("/id");
  send_message(*carl, carls, "hello from carl, zebra lover");

  auto search = [](WsClient& c, const std::string& q) {
    return ids_of(c.call("searchConversations", obj({{"q", q}})));
  };
  using Ids = std::set<std::string>;
  CHECK(search(*alice, "zebra-42") == Ids{mine});
  CHECK(search(*alice, "  ZEBRA-42   parcel ") == Ids{mine});
  CHECK(search(*alice, "zebra") == Ids{mine, carls});
  CHECK(search(*alice, "zebra-42 submarine").empty());
  CHECK(search(*alice, "OFFICE late") == Ids{mine});  // a name word and a message word
  CHECK(search(*carl, "zebra-42").empty());           // not carl's conversation
  CHECK(search(*carl, "zebra") == Ids{carls});
  CHECK(search(*olga, "zebra").empty());              // another tenant
  // A private message is the agent side's.
  CHECK(search(*alice, "pineapple") == Ids{mine});
  CHECK(search(*ann, "pineapple").empty());
  CHECK(search(*ann, "parcel") == Ids{mine});
  // The filter applies too.
  CHECK(ids_of(alice->call("searchConversations",
                           obj({{"q", "zebra"}, {"filter", raw(R"({"memberOf":"me"})")}}))) ==
        Ids{mine});
  expect_error(*alice, "searchConversations", obj({{"q", "   "}}), -32602);
  expect_error(*alice, "searchConversations", obj({{"q", "x"}, {"cursor", "nope"}}), -32602);

  // Paging: one at a time, in listConversations' order (most recently
  // updated first; two commits in one millisecond are ordered by id).
  std::vector<std::string> order;
  for (const Json& c : alice->call("listConversations").items("/data"))
    if (c.get_string("/id") == mine || c.get_string("/id") == carls)
      order.push_back(c.get_string("/id"));
  REQUIRE(order.size() == 2);
  Json first = alice->call("searchConversations", obj({{"q", "zebra"}, {"limit", 1}}));
  CHECK(first.size("/data") == 1);
  CHECK(first.get_bool("/hasNext"));
  CHECK(first.get_string("/data/0/id") == order[0]);
  Json second = alice->call(
      "searchConversations",
      obj({{"q", "zebra"}, {"limit", 1}, {"cursor", first.get_string("/nextCursor")}}));
  CHECK(second.get_string("/data/0/id") == order[1]);
  CHECK(second.get_bool("/hasPrev"));
  CHECK_FALSE(second.get_bool("/hasNext"));
  CHECK(second.is_null("/nextCursor"));
}

TEST_CASE("countConversations: by state and status, within the caller's read rules") {
  BrokerProcess broker(jwt_args());
  const uint16_t port = broker.port();
  auto ann = login(port, "ann", "consumer", "acme");
  auto carl = login(port, "carl", "consumer", "acme");
  auto alice = login(port, "alice", "agent", "acme");

  const std::string a1 = create_conversation(*ann).get_string("/id");
  const std::string a2 = create_conversation(*ann).get_string("/id");
  create_conversation(*carl);
  alice->call("join", obj({{"conversationId", a1}}));
  alice->call("setStatus", obj({{"conversationId", a1}, {"status", "pending"}}));
  alice->call("join", obj({{"conversationId", a2}}));
  Json closed = alice->call("closeConversation", obj({{"conversationId", a2}}));
  const std::string closed_status = closed.get_string("/status");

  Json all = alice->call("countConversations");
  CHECK(all.get_int("/total") == 3);
  CHECK(all.get_int("/byState/OPEN") == 2);
  CHECK(all.get_int("/byState/CLOSE") == 1);
  CHECK(all.get_int("/byState/LOCKED") == 0);
  CHECK(all.get_int("/byStatus/pending") == 1);
  CHECK(all.get_int("/byStatus/" + closed_status) == (closed_status == "open" ? 2 : 1));
  CHECK(all.get_int("/byStatus/open") + all.get_int("/byStatus/pending") +
            all.get_int("/byStatus/snoozed") + all.get_int("/byStatus/resolved") ==
        3);

  Json open_only =
      alice->call("countConversations", obj({{"filter", raw(R"({"state":"OPEN"})")}}));
  CHECK(open_only.get_int("/total") == 2);
  CHECK(open_only.get_int("/byState/CLOSE") == 0);
  // A consumer counts its own.
  CHECK(ann->call("countConversations").get_int("/total") == 2);
  CHECK(carl->call("countConversations").get_int("/total") == 1);
  expect_error(*alice, "countConversations", obj({{"filter", raw(R"({"state":"NOPE"})")}}),
               -32602);
}

TEST_CASE("inbox: a subscription reports at most 1000 conversations; one more DELETEs the oldest") {
  // No rate limit or quota in the way of a thousand creations, and room for
  // alice's pushes while she reads none.
  BrokerProcess broker(jwt_args(
      {"--rate-per-sec", "1000000", "--rate-burst", "1000000", "--max-outbound-bytes", "67108864",
       "--max-open-conversations-per-user", "0", "--max-creations-per-min", "0"}));
  const uint16_t port = broker.port();
  auto ann = login(port, "ann", "consumer", "acme");
  auto alice = login(port, "alice", "agent", "acme");
  const std::string sid = subscribe_inbox(*alice).get_string("/subscriptionId");

  constexpr size_t kCap = 1000;
  std::vector<std::string> created;
  for (size_t i = 0; i <= kCap; ++i) created.push_back(create_conversation(*ann).get_string("/id"));
  // Every creation is pushed; at the 1001st the one reported with the
  // oldest updatedAt is DELETEd (before that UPSERT).
  std::map<std::string, int64_t> updated;  // UPSERTed id -> updatedAt
  std::vector<std::string> deleted;
  std::string newcomer;  // the UPSERT right after the DELETE: the one that made room
  while (updated.size() < created.size()) {
    Json p = alice->expect_push("inbox").at("/params");
    REQUIRE(p.get_string("/subscriptionId") == sid);
    const std::string id = p.get_string("/conversation/id");
    if (upsert(p)) {
      CHECK(updated.count(id) == 0);
      updated[id] = p.get_int("/updatedAt");
      if (!deleted.empty() && newcomer.empty()) newcomer = id;
    } else {
      REQUIRE(updated.count(id) == 1);  // only what it reported
      deleted.push_back(id);
    }
  }
  REQUIRE(deleted.size() == 1);
  REQUIRE(!newcomer.empty());
  // It had the oldest updatedAt of the 1000 reported before the newcomer.
  for (const auto& [id, at] : updated)
    if (id != newcomer) CHECK(updated[deleted[0]] <= at);

  // The dropped one changes: it is reported again, and another goes.
  const std::string dropped = deleted[0];
  send_message(*ann, dropped, "back on top");
  Json back = expect_inbox(*alice, sid, dropped, upsert, [&](const Json& p) {
    if (removal(p)) {
      CHECK(p.get_string("/conversation/id") != dropped);
      deleted.push_back(p.get_string("/conversation/id"));
    }
  });
  CHECK(back.get_string("/conversation/lastMessage/text") == "back on top");
  CHECK(deleted.size() == 2);
}

TEST_CASE("redis: an inbox on node 2 sees a conversation and its message made on node 1") {
  TwoNodes c;
  auto ann = login(c.node1->port(), "ann", "consumer", "acme");
  auto alice = login(c.node2->port(), "alice", "agent", "acme");

  const std::string sid = subscribe_inbox(*alice).get_string("/subscriptionId");
  const std::string id = create_conversation(*ann).get_string("/id");
  expect_inbox(*alice, sid, id, upsert);
  send_message(*ann, id, "sent on node 1");
  expect_inbox(*alice, sid, id, upsert_where("lastMessage", "text", "sent on node 1"));
  // And a count and a search on node 2 see it too.
  CHECK(alice->call("countConversations").get_int("/total") == 1);
  CHECK(alice->call("searchConversations", obj({{"q", "NODE"}})).size("/data") == 1);
}
