// An identity provider's public keys, from a JWKS document (RFC 7517):
// RSA keys (kty RSA, n and e) verify RS256 tokens, EC keys on P-256 (kty
// EC, crv P-256, x and y) verify ES256 ones. Each key needs a `kid`: the
// token's header names its key with it, and the key, never the token, says
// which algorithm is allowed (auth.cpp). The keys are turned into OpenSSL
// public keys once, here, and signatures are checked against them
// directly: through libjwt, every token paid for decoding the key's PEM
// again (OpenSSL 3's decoder), some 4 to 5 million instructions.
#pragma once

#include <jwt.h>
#include <openssl/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

struct JwtKey {
  jwt_alg_t alg = JWT_ALG_NONE;  // JWT_ALG_RS256 or JWT_ALG_ES256: pinned by the key
  std::string pem;               // SubjectPublicKeyInfo, PEM
  std::shared_ptr<EVP_PKEY> key;  // the same, parsed; used read-only by any thread
};

// Whether `signature` (base64url, as in a JWS compact token) is `key`'s
// signature of `signing_input` ("header.payload") under the key's
// algorithm: RS256 (PKCS#1 v1.5, SHA-256) or ES256 (P-256, SHA-256, the
// signature as r||s, 64 bytes). Thread-safe.
bool verify_signature(const JwtKey& key, std::string_view signing_input,
                      std::string_view signature);

// The keys of one JWKS document, by kid.
using JwtKeys = std::map<std::string, JwtKey, std::less<>>;

// The keys of a JWKS document, or nullopt with `error` saying what is wrong
// (the first bad key names its index and kid). A document with no usable
// key is an error; so is a key of another type or curve, an `alg` other
// than the one its type implies, `use` other than "sig", a duplicate kid,
// or an RSA modulus under 2048 bits.
std::optional<JwtKeys> parse_jwks(std::string_view json, std::string& error);

// Reads and parses the file at `path`; errors name the file.
std::optional<JwtKeys> read_jwks_file(const std::string& path, std::string& error);

// Base64url (RFC 4648 §5) without padding, as JOSE writes it; nullopt on
// anything else.
std::optional<std::string> base64url_decode(std::string_view in);

}  // namespace parley
