// The pure parts of the hooks (broker/hooks/): the signature, URLs, the
// webhook entries and the delivery id.
#include <doctest/doctest.h>

#include "hooks/delivery.hpp"
#include "hooks/hooks_config.hpp"
#include "hooks/outbox.hpp"
#include "hooks/signature.hpp"

using namespace parley;
using namespace parley::hooks;

TEST_CASE("hooks: HMAC-SHA256 and the Parley-Signature header") {
  // RFC 4231, test case 2.
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const std::string h = signature_header("Jefe", 1700000000, "{}");
  CHECK(h == "t=1700000000,v1=" + hmac_sha256_hex("Jefe", "1700000000.{}"));
  CHECK(h != signature_header("other", 1700000000, "{}"));
  CHECK(h != signature_header("Jefe", 1700000001, "{}"));
}

TEST_CASE("hooks: http and https URLs") {
  auto u = parse_http_url("https://crm.example.com/in?x=1");
  REQUIRE(u);
  CHECK(u->tls);
  CHECK(u->host == "crm.example.com");
  CHECK(u->port == "443");
  CHECK(u->target == "/in?x=1");
  u = parse_http_url("http://127.0.0.1:9000");
  REQUIRE(u);
  CHECK_FALSE(u->tls);
  CHECK(u->port == "9000");
  CHECK(u->target == "/");
  u = parse_http_url("http://[::1]:81/a");
  REQUIRE(u);
  CHECK(u->host == "::1");
  for (const char* bad : {"ftp://x/", "http://", "http://:80/", "http://h:99999/", "http://h:8x/",
                          "http://u:p@h/", "http://h/a b", "h/a"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_http_url(bad));
  }
}

TEST_CASE("hooks: webhook entries") {
  auto w = parse_webhook("tenant=acme url=http://h/in secret=s events=message,conversation.closed",
                         0);
  REQUIRE(w.ok());
  CHECK(w->name == "acme-1");
  CHECK(w->wants("message"));
  CHECK(w->wants("conversation.closed"));
  CHECK_FALSE(w->wants("member.joined"));
  auto all = parse_webhook("tenant=acme url=http://h/in secret=s events=* name=all", 3);
  REQUIRE(all.ok());
  CHECK(all->name == "all");
  CHECK(all->wants("member.joined"));
  for (const char* bad : {"url=http://h/ secret=s", "tenant=a secret=s", "tenant=a url=http://h/",
                          "tenant=a url=mailto:x secret=s", "tenant=a url=http://h/ secret=s x",
                          "tenant=a url=http://h/ secret=s colour=red"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_webhook(bad, 0).ok());
  }
  HooksConfig cfg;
  cfg.webhooks = {*w};
  CHECK(cfg.wants("acme", "message"));
  CHECK_FALSE(cfg.wants("acme", "member.joined"));
  CHECK_FALSE(cfg.wants("other", "message"));
  CHECK(cfg.any("acme"));
  CHECK_FALSE(cfg.any("other"));
}

TEST_CASE("hooks: the delivery id is stable and tells deliveries apart") {
  ConvKey k{"acme", "c1"};
  CHECK(delivery_id(k, 7, "crm") == delivery_id(k, 7, "crm"));
  CHECK(delivery_id(k, 7, "crm") != delivery_id(k, 8, "crm"));
  CHECK(delivery_id(k, 7, "crm") != delivery_id(k, 7, "other"));
  CHECK(delivery_id(k, 7, "crm") != delivery_id({"acme2", "c1"}, 7, "crm"));
  CHECK(delivery_id(k, 7, "crm").starts_with("whd_"));
}

TEST_CASE("hooks: a dead letter survives its JSON") {
  DeadLetter d{"whd_1", "acme", "c1", 7, "message", "crm", "http://h/", 5, 1000, 2000, "HTTP 500"};
  auto back = DeadLetter::from_json(d.to_json());
  REQUIRE(back);
  CHECK(back->to_json() == d.to_json());
  CHECK_FALSE(DeadLetter::from_json("{}"));
  CHECK_FALSE(DeadLetter::from_json("not json"));
}
