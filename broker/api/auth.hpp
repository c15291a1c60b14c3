// Token verification through libjwt: HS256 with the shared secret, RS256
// and ES256 with an identity provider's keys (a JWKS file, jwks.hpp) that
// the token's `kid` selects. The algorithm is pinned by the key, never
// taken from the token; exp/nbf checked, iss/aud checked when configured
// (PROTOCOL.md §3).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "api/jwks.hpp"

#include "config.hpp"
#include "error.hpp"
#include "model.hpp"

namespace parley {

class Authenticator {
 public:
  explicit Authenticator(AuthConfig cfg);
  // The identity a token proves, or 401 with the reason ("token expired",
  // "bad signature", "algorithm not allowed", "missing sub", ...). `now`
  // is milliseconds since the epoch.
  Result<Identity> verify(std::string_view token, Millis now) const;
  bool enabled() const { return !cfg_.jwt_secret.empty() || !cfg_.jwks_file.empty(); }

  // (Re)reads the JWKS file (--jwt-jwks-file; nothing to do without one).
  // On success the new keys replace the old ones for every token verified
  // from now on: a token whose kid is still in the file keeps working. On
  // failure the keys in use stay, and `error` says why. Thread-safe.
  bool reload(std::string& error);
  // How many JWKS keys are in use.
  size_t key_count() const;

 private:
  std::shared_ptr<const JwtKeys> keys() const;

  AuthConfig cfg_;
  mutable std::mutex mu_;
  std::shared_ptr<const JwtKeys> keys_;  // under mu_; never null
};

}  // namespace parley
