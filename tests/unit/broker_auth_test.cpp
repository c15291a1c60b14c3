// Token verification (broker/api/auth.cpp, PROTOCOL.md §3) with tokens minted
// by libjwt itself, and the token's way in on the upgrade request
// (broker/net/http.cpp: ?token= and Authorization: Bearer).
#include <doctest/doctest.h>
#include <jwt.h>

#include <cstdlib>
#include <string>

#include "api/auth.hpp"
#include "net/http.hpp"

using namespace parley;

namespace {

const std::string secret = "unit-test-secret-of-a-decent-length";
constexpr Millis now = 1'700'000'000'000;  // 2023-11-14, in ms
constexpr long now_s = now / 1000;

// Signs `claims` (a JSON object) with libjwt.
std::string mint(const std::string& claims, jwt_alg_t alg = JWT_ALG_HS256,
                 const std::string& key = secret) {
  jwt_t* j = nullptr;
  REQUIRE(jwt_new(&j) == 0);
  REQUIRE(jwt_add_grants_json(j, claims.c_str()) == 0);
  int rc = alg == JWT_ALG_NONE
               ? jwt_set_alg(j, alg, nullptr, 0)
               : jwt_set_alg(j, alg, reinterpret_cast<const unsigned char*>(key.data()),
                             static_cast<int>(key.size()));
  REQUIRE(rc == 0);
  char* s = jwt_encode_str(j);
  REQUIRE(s != nullptr);
  std::string out(s);
  std::free(s);
  jwt_free(j);
  return out;
}

Authenticator make(std::optional<std::string> issuer = {},
                   std::optional<std::string> audience = {}) {
  return Authenticator(AuthConfig{secret, std::move(issuer), std::move(audience), {}});
}

// The 401 message of a refused token, or "accepted".
std::string refusal(const Authenticator& a, const std::string& token) {
  auto r = a.verify(token, now);
  if (r.ok()) return "accepted";
  CHECK(r.error().code == 401);
  return r.error().message;
}

}  // namespace

TEST_CASE("auth: a valid HS256 token gives its identity") {
  auto a = make();
  std::string tok = mint(R"({"sub":"u1","tenant":"acme","role":"agent","name":"Ann",)"
                         R"("skills":["billing","sales"],"prev":"c0","exp":)" +
                         std::to_string(now_s + 3600) + "}");
  auto r = a.verify(tok, now);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->user_id == "u1");
  CHECK(r->tenant == "acme");
  CHECK(r->role == AccountRole::agent);
  CHECK(r->name == "Ann");
  CHECK(r->skills == std::vector<std::string>{"billing", "sales"});
  CHECK(r->prev == "c0");
  CHECK(r->expires_at == (now_s + 3600) * 1000);
}

TEST_CASE("auth: defaults for the optional claims") {
  auto r = make().verify(mint(R"({"sub":"u2"})"), now);
  REQUIRE(r.ok());
  CHECK(r->tenant == "default");
  CHECK(r->role == AccountRole::consumer);
  CHECK(r->name == "u2");  // no name: the user id shows
  CHECK(r->skills.empty());
  CHECK(r->prev.empty());
  CHECK(r->expires_at == 0);  // no exp: no expiry
}

TEST_CASE("auth: every account role is accepted, nothing else") {
  auto a = make();
  for (const char* role : {"consumer", "agent", "manager", "bot", "admin"}) {
    auto r = a.verify(mint(std::string(R"({"sub":"u","role":")") + role + "\"}"), now);
    REQUIRE_MESSAGE(r.ok(), role);
    CHECK(to_string(r->role) == role);
  }
  CHECK(refusal(a, mint(R"({"sub":"u","role":"root"})")) == "unknown role \"root\"");
  CHECK(refusal(a, mint(R"({"sub":"u","role":"Agent"})")) == "unknown role \"Agent\"");
  CHECK(refusal(a, mint(R"({"sub":"u","role":7})")) == "bad claim: role must be a string");
}

TEST_CASE("auth: a wrong signature is refused") {
  auto a = make();
  CHECK(refusal(a, mint(R"({"sub":"u"})", JWT_ALG_HS256, "another-secret")) == "bad signature");
  // A tampered payload: the signature no longer matches.
  std::string tok = mint(R"({"sub":"u","role":"consumer"})");
  std::string forged = mint(R"({"sub":"u","role":"admin"})", JWT_ALG_HS256, "x");
  auto dot1 = tok.find('.'), dot2 = tok.rfind('.');
  std::string spliced = forged.substr(0, forged.rfind('.')) + tok.substr(dot2);
  CHECK(dot1 != dot2);
  CHECK(refusal(a, spliced) == "bad signature");
}

TEST_CASE("auth: alg none is refused, with or without a signature part") {
  auto a = make();
  std::string none = mint(R"({"sub":"u","role":"admin"})", JWT_ALG_NONE);
  CHECK(none.back() == '.');  // unsigned
  CHECK(refusal(a, none) == "algorithm not allowed");
  // The HS256 signature of the same header and payload does not help.
  std::string signed_none = none + "c2lnbmF0dXJl";
  CHECK(refusal(a, signed_none) == "algorithm not allowed");
}

TEST_CASE("auth: algorithms other than HS256 are refused, even when signed with the secret") {
  auto a = make();
  CHECK(refusal(a, mint(R"({"sub":"u"})", JWT_ALG_HS512)) == "algorithm not allowed");
  CHECK(refusal(a, mint(R"({"sub":"u"})", JWT_ALG_HS384)) == "algorithm not allowed");
}

TEST_CASE("auth: exp in the past, nbf in the future, iat far ahead") {
  auto a = make();
  CHECK(refusal(a, mint(R"({"sub":"u","exp":)" + std::to_string(now_s - 1) + "}")) ==
        "token expired");
  CHECK(refusal(a, mint(R"({"sub":"u","exp":)" + std::to_string(now_s) + "}")) == "token expired");
  CHECK(refusal(a, mint(R"({"sub":"u","exp":)" + std::to_string(now_s + 1) + "}")) == "accepted");
  CHECK(refusal(a, mint(R"({"sub":"u","nbf":)" + std::to_string(now_s + 10) + "}")) ==
        "token not yet valid");
  CHECK(refusal(a, mint(R"({"sub":"u","nbf":)" + std::to_string(now_s) + "}")) == "accepted");
  CHECK(refusal(a, mint(R"({"sub":"u","iat":)" + std::to_string(now_s + 3600) + "}")) ==
        "token issued in the future");
  CHECK(refusal(a, mint(R"({"sub":"u","iat":)" + std::to_string(now_s - 10) + "}")) == "accepted");
  CHECK(refusal(a, mint(R"({"sub":"u","exp":"tomorrow"})")) == "bad claim: exp must be a number");
  // NumericDate may carry a fraction.
  auto r = a.verify(mint(R"({"sub":"u","exp":)" + std::to_string(now_s + 60) + ".5}"), now);
  REQUIRE(r.ok());
  CHECK(r->expires_at == (now_s + 60) * 1000 + 500);
}

TEST_CASE("auth: sub is required, a string, at most 128 characters") {
  auto a = make();
  CHECK(refusal(a, mint(R"({"role":"agent"})")) == "missing sub");
  CHECK(refusal(a, mint(R"({"sub":""})")) == "missing sub");
  CHECK(refusal(a, mint(R"({"sub":42})")) == "bad claim: sub must be a string");
  CHECK(refusal(a, mint(R"({"sub":")" + std::string(128, 'a') + "\"}")) == "accepted");
  CHECK(refusal(a, mint(R"({"sub":")" + std::string(129, 'a') + "\"}")) ==
        "bad claim: sub is over 128 characters");
  // Characters, not bytes: 128 two-byte characters are fine.
  std::string wide;
  for (int i = 0; i < 128; ++i) wide += "\xC3\xA9";
  CHECK(refusal(a, mint(R"({"sub":")" + wide + "\"}")) == "accepted");
}

TEST_CASE("auth: skills must be an array of strings") {
  auto a = make();
  CHECK(refusal(a, mint(R"({"sub":"u","skills":"billing"})")) ==
        "bad claim: skills must be an array of strings");
  CHECK(refusal(a, mint(R"({"sub":"u","skills":["a",1]})")) ==
        "bad claim: skills must be an array of strings");
  // The rule the --dev form of authenticate shares (skills.hpp): each
  // non-empty, at most 200 code points.
  CHECK(refusal(a, mint(R"({"sub":"u","skills":[""]})")) ==
        "bad claim: skills must be an array of strings");
  const std::string longest(200, 's');
  CHECK(refusal(a, mint(R"({"sub":"u","skills":[")" + longest + "s\"]}")) ==
        "bad claim: skills must be an array of strings");
  CHECK(refusal(a, mint(R"({"sub":"u","skills":[")" + longest + "\"]}")) == "accepted");
  auto r = a.verify(mint(R"({"sub":"u","skills":[]})"), now);
  REQUIRE(r.ok());
  CHECK(r->skills.empty());
}

TEST_CASE("auth: iss is checked only when configured") {
  std::string with_iss = mint(R"({"sub":"u","iss":"https://idp.example"})");
  std::string without = mint(R"({"sub":"u"})");
  CHECK(refusal(make(), with_iss) == "accepted");
  auto a = make("https://idp.example");
  CHECK(refusal(a, with_iss) == "accepted");
  CHECK(refusal(a, without) == "issuer mismatch");
  CHECK(refusal(a, mint(R"({"sub":"u","iss":"https://evil.example"})")) == "issuer mismatch");
}

TEST_CASE("auth: aud is a string or an array, checked only when configured") {
  auto a = make({}, "parley");
  CHECK(refusal(a, mint(R"({"sub":"u","aud":"parley"})")) == "accepted");
  CHECK(refusal(a, mint(R"({"sub":"u","aud":["other","parley"]})")) == "accepted");
  CHECK(refusal(a, mint(R"({"sub":"u","aud":["other"]})")) == "audience mismatch");
  CHECK(refusal(a, mint(R"({"sub":"u","aud":"other"})")) == "audience mismatch");
  CHECK(refusal(a, mint(R"({"sub":"u"})")) == "audience mismatch");
  CHECK(refusal(make(), mint(R"({"sub":"u","aud":"whatever"})")) == "accepted");
}

TEST_CASE("auth: garbage is refused without crashing") {
  auto a = make();
  CHECK(refusal(a, "") == "missing token");
  CHECK(refusal(a, "not-a-jwt") == "malformed token");
  CHECK(refusal(a, "a.b.c") == "malformed token");
  CHECK(refusal(a, std::string(10000, 'a')) == "token too long");
  CHECK(refusal(a, std::string("abc\0def", 7)) == "malformed token");
}

TEST_CASE("auth: without a secret (--dev only) tokens are not accepted") {
  Authenticator a(AuthConfig{});
  CHECK_FALSE(a.enabled());
  auto r = a.verify(mint(R"({"sub":"u"})"), now);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == 401);
}

TEST_CASE("upgrade: the token from ?token= or Authorization: Bearer") {
  CHECK(query_param("/ws?token=abc", "token") == "abc");
  CHECK(query_param("/ws?x=1&token=a%2Eb%2ec&y=2", "token") == "a.b.c");
  CHECK(query_param("/ws?tokens=1&token=t", "token") == "t");
  CHECK(query_param("/ws?token=", "token") == "");
  CHECK(query_param("/ws?token", "token") == "");
  CHECK_FALSE(query_param("/ws", "token").has_value());
  CHECK_FALSE(query_param("/ws?x=1", "token").has_value());
  CHECK_FALSE(query_param("/ws?token=%zz", "token").has_value());
  CHECK(query_param("/ws?token=a#frag", "token") == "a");

  CHECK(url_decode("a+b%20c") == "a b c");
  CHECK_FALSE(url_decode("%4").has_value());
  CHECK_FALSE(url_decode("%").has_value());

  CHECK(bearer_token("Bearer abc") == "abc");
  CHECK(bearer_token("bearer  abc ") == "abc");
  CHECK_FALSE(bearer_token("Basic abc").has_value());
  CHECK_FALSE(bearer_token("Bearer").has_value());
  CHECK_FALSE(bearer_token("Bearer ").has_value());
  CHECK_FALSE(bearer_token("Bearerabc").has_value());

  CHECK(target_path("/ws?token=x") == "/ws");
  CHECK(target_path("/healthz") == "/healthz");
}
