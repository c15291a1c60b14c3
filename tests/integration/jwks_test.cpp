// Identity-provider keys on the real broker: --jwt-jwks-file with an RSA
// and an EC key (made by OpenSSL at test time, test_keys.hpp), tokens
// picked by kid, alg pinned by the key, and a rotation by SIGHUP while
// sockets are connected.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "harness.hpp"
#include "test_keys.hpp"

using namespace parley::it;
using namespace parley::test;

namespace {

struct TempFile {
  std::string path;
  TempFile() {
    char name[] = "/tmp/parley-it-jwks-XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
  }
  ~TempFile() { std::remove(path.c_str()); }
  void write(const std::string& text) const { std::ofstream(path, std::ios::trunc) << text; }
};

// authenticate {token} on a fresh socket: the response frame.
Json authenticate(uint16_t port, const std::string& token,
                  std::unique_ptr<WsClient>* keep = nullptr) {
  auto client = std::make_unique<WsClient>("jwks");
  client->connect(port);
  Json r = client->request("authenticate", obj({{"token", token}}));
  if (keep) *keep = std::move(client);
  return r;
}

std::string error_message(const Json& r) {
  return r.has("/error") ? r.get_string("/error/message") : "accepted";
}

// How many times the broker logged a successful reload.
size_t reloads(const BrokerProcess& broker) {
  const std::string out = broker.output();
  size_t n = 0;
  for (size_t at = out.find("JWKS keys reloaded"); at != std::string::npos;
       at = out.find("JWKS keys reloaded", at + 1))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("JWKS: RS256 and ES256 tokens by kid; alg is pinned by the key; SIGHUP rotates") {
  const TestKey rsa1 = make_rsa_key("rsa-1"), rsa2 = make_rsa_key("rsa-2");
  const TestKey ec1 = make_ec_key("ec-1");
  TempFile file;
  file.write(jwks_of({rsa1, ec1}));
  BrokerProcess broker({"--jwt-jwks-file", file.path});

  std::unique_ptr<WsClient> ann, bob;
  Json a = authenticate(broker.port(), sign_jwt(rsa1, R"({"sub":"ann","tenant":"acme"})"), &ann);
  REQUIRE_MESSAGE(a.has("/result"), a.dump());
  CHECK(a.get_string("/result/userId") == "ann");
  CHECK(a.get_string("/result/tenant") == "acme");
  Json b = authenticate(broker.port(), sign_jwt(ec1, R"({"sub":"bob"})"), &bob);
  REQUIRE_MESSAGE(b.has("/result"), b.dump());
  // A token on the upgrade URL goes the same way.
  WsClient cat("cat");
  cat.connect(broker.port(), "/ws?token=" + sign_jwt(ec1, R"({"sub":"cat"})"));
  CHECK(create_conversation(cat).get_string("/consumer/userId") == "cat");

  // Alg confusion and mismatches: refused, 401.
  const std::string claims = R"({"sub":"mallory","role":"admin"})";
  Json confused = authenticate(broker.port(), sign_hs256(rsa1.public_pem, claims, "rsa-1"));
  CHECK(error_code(confused) == 401);
  CHECK(error_message(confused) == "algorithm does not match the key");
  CHECK(error_message(authenticate(broker.port(), sign_jwt(ec1, claims, "rsa-1"))) ==
        "algorithm does not match the key");
  CHECK(error_message(authenticate(broker.port(), sign_jwt(rsa2, claims))) == "unknown key id");
  CHECK(error_message(authenticate(broker.port(), sign_jwt(rsa1, claims, ""))) == "missing kid");
  // No shared secret configured: HS256 is not accepted at all.
  CHECK(error_message(authenticate(broker.port(), sign_hs256("s3cret", claims, ""))) ==
        "algorithm not allowed");

  // Rotation while connected: rsa-2 comes in, rsa-1 goes, ec-1 stays.
  file.write(jwks_of({rsa2, ec1}));
  ::kill(broker.pid(), SIGHUP);
  REQUIRE_MESSAGE(wait_until([&] { return reloads(broker) == 1; }), broker.output());
  CHECK(authenticate(broker.port(), sign_jwt(rsa2, R"({"sub":"dan"})")).has("/result"));
  CHECK(authenticate(broker.port(), sign_jwt(ec1, R"({"sub":"bob"})")).has("/result"));
  CHECK(error_message(authenticate(broker.port(), sign_jwt(rsa1, R"({"sub":"ann"})"))) ==
        "unknown key id");
  // The sockets already in keep working.
  CHECK(create_conversation(*ann).get_string("/consumer/userId") == "ann");
  CHECK(create_conversation(*bob).get_string("/consumer/userId") == "bob");

  // A broken file on SIGHUP: logged, and the keys in use stay.
  file.write("{\"keys\":[");
  ::kill(broker.pid(), SIGHUP);
  REQUIRE_MESSAGE(wait_until([&] {
                    return broker.output().find("JWKS keys not reloaded") != std::string::npos;
                  }),
                  broker.output());
  CHECK(authenticate(broker.port(), sign_jwt(rsa2, R"({"sub":"dan"})")).has("/result"));
  CHECK(broker.running());
}

TEST_CASE("JWKS: a bad file refuses to start, naming the problem") {
  TempFile file;
  file.write(R"({"keys":[{"kid":"a","kty":"oct","k":"c2VjcmV0"}]})");
  std::string why;
  try {
    BrokerProcess broker({"--jwt-jwks-file", file.path});
  } catch (const std::runtime_error& e) {
    why = e.what();
  }
  CHECK_MESSAGE(why.find("\"kty\" must be \"RSA\" (RS256) or \"EC\" (ES256)") != std::string::npos,
                why);
}
