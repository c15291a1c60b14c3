// Quotas beyond the per-socket request rate (docs/protocol.md, "Limits"):
// open conversations per consumer (counted in storage, so across nodes),
// creations per minute per user and per tenant, and the cost of the
// tenant-wide reads. Each refusal is 429 with the quota it hit.
#include "redis_support.hpp"

using namespace parley::it;

namespace {

// A 429 of `quota` with its limit.
void expect_quota(WsClient& client, std::string_view method, std::string params,
                  const std::string& quota, int64_t limit) {
  Json r = expect_error(client, method, std::move(params), 429);
  CHECK_MESSAGE(r.get_string("/error/data/quota") == quota, r.frame());
  CHECK_MESSAGE(r.get_int("/error/data/limit") == limit, r.frame());
}

}  // namespace

TEST_CASE("quota: a consumer holds at most N open conversations; closing one makes room") {
  BrokerProcess broker(jwt_args({"--max-open-conversations-per-user", "3"}));
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(create_conversation(*ann).get_string("/id"));
  expect_quota(*ann, "createConversation", "{}", "openConversations", 3);
  // Another consumer, and the agent side, are not held back by ann's.
  auto carl = login(broker.port(), "carl", "consumer", "acme");
  create_conversation(*carl);
  auto bob = login(broker.port(), "bob", "agent", "acme");
  for (int i = 0; i < 4; ++i) create_conversation(*bob);
  // A closed conversation is no longer open.
  ann->call("closeConversation", obj({{"conversationId", ids[0]}}));
  create_conversation(*ann);
  expect_quota(*ann, "createConversation", "{}", "openConversations", 3);
}

TEST_CASE("quota: conversation creations per minute, per user and per tenant") {
  BrokerProcess broker(jwt_args(
      {"--max-creations-per-min", "2", "--max-tenant-creations-per-min", "3"}));
  auto ann = login(broker.port(), "ann", "agent", "acme");
  auto ann_too = login(broker.port(), "ann", "agent", "acme");  // the user, not the socket
  create_conversation(*ann);
  create_conversation(*ann_too);
  Json r = expect_error(*ann, "createConversation", "{}", 429);
  CHECK(r.get_string("/error/data/quota") == "userCreationsPerMin");
  CHECK(r.get_int("/error/data/limit") == 2);
  CHECK(r.get_int("/error/data/retryAfterMs") > 0);
  auto bob = login(broker.port(), "bob", "agent", "acme");
  create_conversation(*bob);
  expect_quota(*bob, "createConversation", "{}", "tenantCreationsPerMin", 3);
  // Another tenant has its own.
  auto dave = login(broker.port(), "dave", "agent", "globex");
  create_conversation(*dave);
  // The answer says what the limits are.
  Json limits = dave->call("authenticate", obj({{"token", mint_token(Claims("dave").tenant_(
                                                               "globex").role_("agent"))}}));
  CHECK(limits.get_int("/limits/creationsPerMin") == 2);
  CHECK(limits.get_int("/limits/tenantCreationsPerMin") == 3);
}

TEST_CASE("quota: a tenant-wide read takes --expensive-read-cost request tokens") {
  BrokerProcess broker(jwt_args(
      {"--expensive-read-cost", "40", "--rate-burst", "100", "--rate-per-sec", "0.01"}));
  auto bob = login(broker.port(), "bob", "agent", "acme");  // authenticate took 1 token
  bob->call("countConversations");
  bob->call("listConversations");
  // 19 tokens left: one more tenant-wide read is refused, cheap calls pass.
  Json r = expect_error(*bob, "searchConversations", obj({{"q", "x"}}), 429);
  CHECK(r.get_int("/error/data/retryAfterMs") > 0);
  bob->call("ping");
}

TEST_CASE("redis: open conversations are counted across nodes") {
  TwoNodes c({}, {"--max-open-conversations-per-user", "2"});
  auto ann1 = login(c.node1->port(), "ann", "consumer", "acme");
  auto ann2 = login(c.node2->port(), "ann", "consumer", "acme");
  create_conversation(*ann1);
  create_conversation(*ann2);
  expect_quota(*ann1, "createConversation", "{}", "openConversations", 2);
  expect_quota(*ann2, "createConversation", "{}", "openConversations", 2);
}
