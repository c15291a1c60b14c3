// The ways in: a token on the upgrade URL or header, `authenticate` with a
// token, or the --dev form; and the ways a token is refused.
#include "harness.hpp"

using namespace parley::it;

namespace {

// A conversation created by `client` names it as the consumer: proof of
// who the socket is, beyond "not 401".
void check_identity(WsClient& client, const std::string& user_id) {
  Json conversation = create_conversation(client);
  CHECK(conversation.get_string("/consumer/userId") == user_id);
}

// A token refused on the upgrade: the upgrade is declined (401) or the
// socket is closed 4001 right after it.
void check_refused_upgrade(uint16_t port, const std::string& target,
                           WsClient::Headers headers = {}) {
  WsClient client("refused");
  int status = client.try_connect(port, target, std::move(headers));
  if (status == 101) {
    CloseInfo closed = client.expect_close();
    CHECK_MESSAGE(closed.code == 4001, closed.describe());
  } else {
    CHECK(status == 401);
  }
}

}  // namespace

TEST_CASE("authenticate {token} answers who the socket is") {
  BrokerProcess broker(jwt_args());
  WsClient ann("ann");
  ann.connect(broker.port());
  Json me = ann.call(
      "authenticate",
      obj({{"token", mint_token(Claims("ann").tenant_("acme").role_("consumer").name_("Ann"))}}));
  INFO(me.dump());
  CHECK(me.get_string("/userId") == "ann");
  CHECK(me.get_string("/tenant") == "acme");
  CHECK(me.get_string("/role") == "consumer");
  CHECK(me.get_string("/name") == "Ann");
  CHECK(me.size("/skills") == 0);
  CHECK(me.is_string("/sessionId"));
  CHECK(me.is_string("/nodeId"));
  CHECK(me.is_int("/serverTime"));
  CHECK(me.is_object("/limits"));
  check_identity(ann, "ann");
}

TEST_CASE("a token on the upgrade URL authenticates the socket") {
  BrokerProcess broker(jwt_args());
  WsClient ann("ann");
  ann.connect(broker.port(), "/ws?token=" + mint_token(Claims("ann").tenant_("acme")));
  check_identity(ann, "ann");
}

TEST_CASE("Authorization: Bearer on the upgrade request authenticates the socket") {
  BrokerProcess broker(jwt_args());
  WsClient ann("ann");
  ann.connect(broker.port(), "/ws",
              {{"Authorization", "Bearer " + mint_token(Claims("ann").tenant_("acme"))}});
  check_identity(ann, "ann");
}

TEST_CASE("bad tokens are refused") {
  BrokerProcess broker(jwt_args());
  const std::string wrong_secret = mint_token("not-the-secret", Claims("mallory"));
  const std::string unsigned_token = mint_token(Claims("mallory").alg_none_());
  const std::string expired = mint_token(Claims("ann").exp_in_(-60));

  SUBCASE("by authenticate: 401, and the socket stays unauthenticated") {
    for (const auto& token : {wrong_secret, unsigned_token, expired, std::string("garbage")}) {
      CAPTURE(token);
      WsClient client("client");
      client.connect(broker.port());
      expect_error(client, "authenticate", obj({{"token", token}}), 401);
      expect_error(client, "ping", "{}", 401);
    }
  }

  SUBCASE("on the upgrade") {
    check_refused_upgrade(broker.port(), "/ws?token=" + wrong_secret);
    check_refused_upgrade(broker.port(), "/ws?token=" + unsigned_token);
    check_refused_upgrade(broker.port(), "/ws", {{"Authorization", "Bearer " + expired}});
  }
}

TEST_CASE("--dev: authenticate {userId, role} without a token") {
  BrokerProcess broker({"--dev"});
  auto ann = login_dev(broker.port(), "ann", "consumer");
  check_identity(*ann, "ann");
  auto bob = login_dev(broker.port(), "bob", "agent");
  CHECK(bob->call("ping").is_int("/serverTime"));
}

TEST_CASE("--dev: authenticate {userId, role, tenant, name, skills} gives the whole identity") {
  BrokerProcess broker({"--dev"});
  WsClient bob("bob");
  bob.connect(broker.port());
  Json me = bob.call("authenticate", R"({"userId":"bob","role":"agent","tenant":"acme",)"
                                     R"("name":"Bob B.","skills":["sales","billing"]})");
  INFO(me.dump());
  CHECK(me.get_string("/userId") == "bob");
  CHECK(me.get_string("/tenant") == "acme");
  CHECK(me.get_string("/role") == "agent");
  CHECK(me.get_string("/name") == "Bob B.");
  REQUIRE(me.size("/skills") == 2);
  CHECK(me.get_string("/skills/0") == "sales");
  CHECK(me.get_string("/skills/1") == "billing");

  // Skills follow the token claim's rule: strings, non-empty; the socket
  // stays unauthenticated after a refusal.
  for (std::string bad : {R"("sales")", R"(["sales",7])", R"([""])"}) {
    WsClient client("bad skills");
    client.connect(broker.port());
    Json r = expect_error(client, "authenticate", R"({"userId":"carl","skills":)" + bad + "}",
                          -32602);
    CHECK_MESSAGE(r.get_string("/error/data/field") == "skills", r.frame());
    expect_error(client, "ping", "{}", 401);
  }
}

TEST_CASE("without --dev the dev form does not authenticate") {
  BrokerProcess broker(jwt_args());
  WsClient ann("ann");
  ann.connect(broker.port());
  Json r = ann.request("authenticate", obj({{"userId", "ann"}, {"role", "admin"}}));
  CHECK_MESSAGE(r.has("/error"), r.frame());
  expect_error(ann, "ping", "{}", 401);
}
