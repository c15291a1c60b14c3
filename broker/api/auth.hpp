// Token verification: JWT HS256 through libjwt, algorithm pinned, exp/nbf
// checked, iss/aud checked when configured (PROTOCOL.md §3).
#pragma once

#include <string_view>

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
  bool enabled() const { return !cfg_.jwt_secret.empty(); }

 private:
  AuthConfig cfg_;
};

}  // namespace parley
