// RS256 and ES256 tokens verified with a JWKS file's keys (broker/api/jwks.cpp,
// auth.cpp): the kid picks the key, the key pins the algorithm, SIGHUP's
// reload swaps the keys. The keys are made by OpenSSL here (test_keys.hpp).
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "api/auth.hpp"
#include "api/jwks.hpp"
#include "test_keys.hpp"

using namespace parley;
using namespace parley::test;

namespace {

constexpr Millis now = 1'700'000'000'000;
const std::string hs_secret = "unit-test-secret-of-a-decent-length";

// Made once: RSA key generation takes a moment.
const TestKey& rsa1() {
  static const TestKey k = make_rsa_key("rsa-1");
  return k;
}
const TestKey& rsa2() {
  static const TestKey k = make_rsa_key("rsa-2");
  return k;
}
const TestKey& ec1() {
  static const TestKey k = make_ec_key("ec-1");
  return k;
}

// A JWKS file in the temp directory, removed with it.
struct JwksFile {
  std::string path;
  explicit JwksFile(const std::string& json) {
    char name[] = "/tmp/parley-jwks-XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    close(fd);
    path = name;
    write(json);
  }
  ~JwksFile() { std::remove(path.c_str()); }
  void write(const std::string& json) const { std::ofstream(path, std::ios::trunc) << json; }
};

std::string refusal(const Authenticator& a, const std::string& token) {
  auto r = a.verify(token, now);
  if (r.ok()) return "accepted";
  CHECK(r.error().code == 401);
  return r.error().message;
}

std::string jwks_error(const std::string& json) {
  std::string why;
  auto keys = parse_jwks(json, why);
  return keys ? "parsed" : why;
}

}  // namespace

TEST_CASE("jwks: RSA and EC keys become RS256 and ES256 keys by kid") {
  std::string why;
  auto keys = parse_jwks(jwks_of({rsa1(), ec1()}), why);
  REQUIRE_MESSAGE(keys, why);
  REQUIRE(keys->size() == 2);
  CHECK(keys->at("rsa-1").alg == JWT_ALG_RS256);
  CHECK(keys->at("ec-1").alg == JWT_ALG_ES256);
  // The PEM made from n/e and x/y is the key OpenSSL wrote itself.
  CHECK(keys->at("rsa-1").pem == rsa1().public_pem);
  CHECK(keys->at("ec-1").pem == ec1().public_pem);
}

TEST_CASE("jwks: bad documents are refused with the reason") {
  CHECK(jwks_error("[]") == "not a JWKS document (a JSON object with a \"keys\" array)");
  CHECK(jwks_error(R"({"keys":[]})") == "no keys");
  CHECK(jwks_error(R"({"keys":[1]})") == "keys[0]: not a JSON object");
  CHECK(jwks_error(R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]})").find("\"kid\" is missing") !=
        std::string::npos);
  CHECK(jwks_error(R"({"keys":[{"kid":"a","kty":"oct","k":"c2VjcmV0"}]})") ==
        "keys[0]: kid \"a\": \"kty\" must be \"RSA\" (RS256) or \"EC\" (ES256)");
  CHECK(jwks_error(R"({"keys":[{"kid":"a","kty":"RSA","n":"AQAB","e":"AQAB"}]})") ==
        "keys[0]: kid \"a\": RSA key: modulus under 2048 bits");
  CHECK(jwks_error(R"({"keys":[{"kid":"a","kty":"EC","crv":"P-384","x":"AA","y":"AA"}]})") ==
        "keys[0]: kid \"a\": EC key: only crv \"P-256\" (ES256) is supported");
  CHECK(jwks_error(R"({"keys":[{"kid":"a","kty":"RSA","n":"**","e":"AQAB"}]})") ==
        "keys[0]: kid \"a\": \"n\" is not base64url");
  // A point that is not on the curve.
  const std::string zeros(43, 'A');
  CHECK(jwks_error(R"({"keys":[{"kid":"a","kty":"EC","crv":"P-256","x":")" + zeros +
                    R"(","y":")" + zeros + R"("}]})") ==
        "keys[0]: kid \"a\": EC key: not a point on P-256");
  // alg and use must fit the key.
  std::string jwk = ec1().jwk;
  jwk.insert(1, R"("alg":"RS256",)");
  CHECK(jwks_error(R"({"keys":[)" + jwk + "]}") ==
        "keys[0]: kid \"ec-1\": \"alg\" \"RS256\" does not fit the key (only ES256)");
  jwk = ec1().jwk;
  jwk.insert(1, R"("use":"enc",)");
  CHECK(jwks_error(R"({"keys":[)" + jwk + "]}") ==
        "keys[0]: kid \"ec-1\": \"use\" is \"enc\", not \"sig\"");
  CHECK(jwks_error(jwks_of({ec1(), ec1()})) == "keys[1]: kid \"ec-1\" appears twice");
}

TEST_CASE("jwks: base64url without padding") {
  CHECK(base64url_decode("") == std::string());
  CHECK(base64url_decode("TQ") == std::string("M"));
  CHECK(base64url_decode("TWE") == std::string("Ma"));
  CHECK(base64url_decode("TWFu") == std::string("Man"));
  CHECK(base64url_decode("-_8") == std::string("\xfb\xff"));
  CHECK_FALSE(base64url_decode("TWFu="));
  CHECK_FALSE(base64url_decode("T"));
  CHECK_FALSE(base64url_decode("a+b/"));
}

TEST_CASE("auth: RS256 and ES256 tokens with a kid verify against the JWKS file") {
  JwksFile file(jwks_of({rsa1(), ec1()}));
  Authenticator a(AuthConfig{"", {}, {}, file.path});
  std::string why;
  REQUIRE_MESSAGE(a.reload(why), why);
  CHECK(a.enabled());
  auto r = a.verify(sign_jwt(rsa1(), R"({"sub":"ann","tenant":"acme","role":"agent"})"), now);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->user_id == "ann");
  CHECK(r->tenant == "acme");
  CHECK(r->role == AccountRole::agent);
  auto e = a.verify(sign_jwt(ec1(), R"({"sub":"bob"})"), now);
  REQUIRE_MESSAGE(e.ok(), e.error().message);
  CHECK(e->user_id == "bob");
  // The claims are checked as for HS256.
  CHECK(refusal(a, sign_jwt(ec1(), R"({"sub":"bob","exp":1})")) == "token expired");
}

TEST_CASE("auth: the key pins the algorithm, never the token") {
  JwksFile file(jwks_of({rsa1(), ec1()}));
  Authenticator a(AuthConfig{hs_secret, {}, {}, file.path});
  std::string why;
  REQUIRE(a.reload(why));
  const std::string claims = R"({"sub":"mallory","role":"admin"})";
  // Alg confusion: HS256 with the RSA public key (public, after all) as the
  // HMAC secret, naming the RSA key. libjwt alone would accept it.
  CHECK(refusal(a, sign_hs256(rsa1().public_pem, claims, "rsa-1")) ==
        "algorithm does not match the key");
  // The same without a kid goes to the shared secret, which it does not match.
  CHECK(refusal(a, sign_hs256(rsa1().public_pem, claims, "")) == "bad signature");
  // An ES256 token naming the RSA key, and the other way round.
  CHECK(refusal(a, sign_jwt(ec1(), claims, "rsa-1")) == "algorithm does not match the key");
  CHECK(refusal(a, sign_jwt(rsa1(), claims, "ec-1")) == "algorithm does not match the key");
  // Signed by another RSA key than the one its kid names.
  CHECK(refusal(a, sign_jwt(rsa2(), claims, "rsa-1")) == "bad signature");
  CHECK(refusal(a, sign_jwt(rsa2(), claims)) == "unknown key id");
  CHECK(refusal(a, sign_jwt(rsa1(), claims, "")) == "missing kid");
  // The shared secret still works for HS256 without a kid.
  CHECK(refusal(a, sign_hs256(hs_secret, R"({"sub":"ann"})", "")) == "accepted");
}

TEST_CASE("auth: a reload swaps the keys; a kid still in the file keeps working") {
  JwksFile file(jwks_of({rsa1(), ec1()}));
  Authenticator a(AuthConfig{"", {}, {}, file.path});
  std::string why;
  REQUIRE(a.reload(why));
  const std::string old_rsa = sign_jwt(rsa1(), R"({"sub":"ann"})");
  const std::string kept_ec = sign_jwt(ec1(), R"({"sub":"bob"})");
  const std::string new_rsa = sign_jwt(rsa2(), R"({"sub":"cat"})");
  CHECK(refusal(a, new_rsa) == "unknown key id");

  // Rotation: rsa-2 comes in, rsa-1 goes, ec-1 stays.
  file.write(jwks_of({rsa2(), ec1()}));
  REQUIRE_MESSAGE(a.reload(why), why);
  CHECK(a.key_count() == 2);
  CHECK(refusal(a, new_rsa) == "accepted");
  CHECK(refusal(a, kept_ec) == "accepted");
  CHECK(refusal(a, old_rsa) == "unknown key id");

  // A broken file is not loaded: the keys in use stay.
  file.write("{\"keys\":[");
  CHECK_FALSE(a.reload(why));
  CHECK(why.find("not a JWKS document") != std::string::npos);
  CHECK(refusal(a, new_rsa) == "accepted");
}
