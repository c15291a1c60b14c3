// Identity-provider keys for the tests, generated with OpenSSL when a test
// asks (none is committed): an RSA 2048 or EC P-256 key pair, its public
// half as a JWKS entry, and JWTs signed with it through libjwt.
#pragma once

#include <string>
#include <vector>

namespace parley::test {

struct TestKey {
  std::string kid;
  std::string kty;          // "RSA" or "EC"
  std::string alg;          // "RS256" or "ES256"
  std::string private_pem;  // PKCS#8
  std::string public_pem;   // SubjectPublicKeyInfo
  std::string jwk;          // the public key as one JWKS entry (a JSON object)
};

TestKey make_rsa_key(const std::string& kid);
TestKey make_ec_key(const std::string& kid);

// {"keys":[...]} of these keys' public halves.
std::string jwks_of(const std::vector<TestKey>& keys);

// A JWT with `claims` (a JSON object) signed by `key` with its algorithm,
// and `kid` in its header (the key's own unless given; "" for none).
std::string sign_jwt(const TestKey& key, const std::string& claims);
std::string sign_jwt(const TestKey& key, const std::string& claims, const std::string& kid);
// A JWT signed HS256 with `secret` as the HMAC key and `kid` in its header.
std::string sign_hs256(const std::string& secret, const std::string& claims,
                       const std::string& kid);

}  // namespace parley::test
