#include "api/auth.hpp"

#include <jwt.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "skills.hpp"

namespace parley {

namespace {

// Tokens are small; anything this big is not one of ours and is refused
// before libjwt base64-decodes it.
constexpr size_t max_token_bytes = 8192;
constexpr size_t max_id_chars = 128;       // sub, tenant (PROTOCOL.md §3)
constexpr size_t max_name_chars = 200;     // name (skills: skills.hpp)
constexpr double max_time_seconds = 1e11;  // year ~5000: keeps exp * 1000 far from overflow
// `iat` may run ahead of our clock by this much (clock skew between the
// token issuer and this host) before the token is refused.
constexpr int64_t iat_skew_ms = 60'000;

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

struct CharFree {
  void operator()(char* p) const { std::free(p); }
};

JwtPtr decode(const std::string& token, const std::string* key) {
  jwt_t* j = nullptr;
  int rc = key ? jwt_decode(&j, token.c_str(), reinterpret_cast<const unsigned char*>(key->data()),
                            static_cast<int>(key->size()))
               : jwt_decode(&j, token.c_str(), nullptr, 0);
  if (rc != 0) {
    if (j) jwt_free(j);
    return nullptr;
  }
  return JwtPtr(j);
}

// A NumericDate claim (seconds, integer or not), if present.
Result<std::optional<double>> time_claim(simdjson::dom::object claims, const char* name) {
  simdjson::dom::element e;
  if (claims[name].get(e) != simdjson::SUCCESS) return std::optional<double>{};
  double v = 0;
  if (e.is_int64()) {
    v = static_cast<double>(int64_t(e.get_int64()));
  } else if (e.is_uint64()) {
    v = static_cast<double>(uint64_t(e.get_uint64()));
  } else if (e.is_double()) {
    v = double(e.get_double());
  } else {
    return unauthenticated(std::string("bad claim: ") + name + " must be a number");
  }
  return std::optional<double>(std::clamp(v, -max_time_seconds, max_time_seconds));
}

// A string claim, if present; an error when present with another type or
// over `max_chars`.
Result<std::optional<std::string>> string_claim(simdjson::dom::object claims, const char* name,
                                                size_t max_chars) {
  simdjson::dom::element e;
  if (claims[name].get(e) != simdjson::SUCCESS) return std::optional<std::string>{};
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS)
    return unauthenticated(std::string("bad claim: ") + name + " must be a string");
  if (code_points(s) > max_chars)
    return unauthenticated(std::string("bad claim: ") + name + " is over " +
                           std::to_string(max_chars) + " characters");
  return std::optional<std::string>(std::string(s));
}

}  // namespace

Authenticator::Authenticator(AuthConfig cfg)
    : cfg_(std::move(cfg)), keys_(std::make_shared<const JwtKeys>()) {}

bool Authenticator::reload(std::string& error) {
  if (cfg_.jwks_file.empty()) return true;
  auto loaded = read_jwks_file(cfg_.jwks_file, error);
  if (!loaded) return false;
  auto next = std::make_shared<const JwtKeys>(std::move(*loaded));
  std::lock_guard lk(mu_);
  keys_ = std::move(next);
  return true;
}

size_t Authenticator::key_count() const { return keys()->size(); }

std::shared_ptr<const JwtKeys> Authenticator::keys() const {
  std::lock_guard lk(mu_);
  return keys_;
}

Result<Identity> Authenticator::verify(std::string_view token, Millis now) const {
  if (!enabled()) return unauthenticated("token authentication is not configured");
  if (token.empty()) return unauthenticated("missing token");
  if (token.size() > max_token_bytes) return unauthenticated("token too long");
  if (token.find('\0') != std::string_view::npos) return unauthenticated("malformed token");
  const std::string tok(token);  // libjwt wants a NUL-terminated string

  // 1. Pin the algorithm before trusting anything. Decoding without a key
  // only splits and parses the token; its header says which key (`kid`)
  // and which algorithm the sender claims. A kid names a JWKS key, whose
  // algorithm (RS256 or ES256) the token must state; no kid means the
  // shared secret, and HS256. `none` (unsigned) and every other mismatch
  // stop here, whatever libjwt would make of them: an HS256 token naming an
  // RSA key would otherwise be checked with the public key as its secret.
  JwtPtr unverified = decode(tok, nullptr);
  if (!unverified) return unauthenticated("malformed token");
  const char* alg = jwt_get_header(unverified.get(), "alg");
  const char* kid = jwt_get_header(unverified.get(), "kid");
  if (!alg) return unauthenticated("algorithm not allowed");
  JwtPtr jwt;
  if (kid) {
    // Held while in use: a reload meanwhile does not free the key.
    std::shared_ptr<const JwtKeys> held = keys();
    auto it = held->find(std::string_view(kid));
    if (it == held->end()) return unauthenticated("unknown key id");
    if (std::string_view(alg) != jwt_alg_str(it->second.alg))
      return unauthenticated("algorithm does not match the key");
    // 2. The signature, with the key's own algorithm (jwks.cpp). The token
    // has three parts: libjwt split it above.
    const std::string_view whole(tok);
    const size_t dot = whole.rfind('.');
    if (!verify_signature(it->second, whole.substr(0, dot), whole.substr(dot + 1)))
      return unauthenticated("bad signature");
    jwt = std::move(unverified);
  } else {
    if (std::string_view(alg) != "HS256") {
      // RS256/ES256 need a kid; anything else is refused outright.
      if (!cfg_.jwks_file.empty() &&
          (std::string_view(alg) == "RS256" || std::string_view(alg) == "ES256"))
        return unauthenticated("missing kid");
      return unauthenticated("algorithm not allowed");
    }
    if (cfg_.jwt_secret.empty()) return unauthenticated("algorithm not allowed");
    // 2. The signature, with the secret; and check again that libjwt
    // verified it as HS256.
    jwt = decode(tok, &cfg_.jwt_secret);
    if (!jwt) return unauthenticated("bad signature");
    if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return unauthenticated("algorithm not allowed");
  }

  // 3. Claims, type-checked: a claim of the wrong type is refused rather
  // than read as absent.
  std::unique_ptr<char, CharFree> json(jwt_get_grants_json(jwt.get(), nullptr));
  if (!json) return unauthenticated("malformed token: no claims");
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object claims;
  if (parser.parse(std::string_view(json.get())).get_object().get(claims) != simdjson::SUCCESS)
    return unauthenticated("malformed token: claims are not a JSON object");

  // Time: exp, nbf, iat (seconds since the epoch).
  auto exp = time_claim(claims, "exp");
  if (!exp.ok()) return exp.error();
  auto nbf = time_claim(claims, "nbf");
  if (!nbf.ok()) return nbf.error();
  auto iat = time_claim(claims, "iat");
  if (!iat.ok()) return iat.error();
  Identity who;
  if (*exp) {
    who.expires_at = static_cast<Millis>(**exp * 1000.0);
    if (who.expires_at <= now) return unauthenticated("token expired");
  }
  if (*nbf && static_cast<Millis>(**nbf * 1000.0) > now)
    return unauthenticated("token not yet valid");
  if (*iat && static_cast<Millis>(**iat * 1000.0) > now + iat_skew_ms)
    return unauthenticated("token issued in the future");

  // Issuer and audience, only when configured.
  if (cfg_.issuer) {
    std::string_view iss;
    if (claims["iss"].get_string().get(iss) != simdjson::SUCCESS || iss != *cfg_.issuer)
      return unauthenticated("issuer mismatch");
  }
  if (cfg_.audience) {
    // `aud` is a string or an array of strings (RFC 7519 §4.1.3).
    bool match = false;
    simdjson::dom::element aud;
    if (claims["aud"].get(aud) == simdjson::SUCCESS) {
      std::string_view one;
      simdjson::dom::array many;
      if (aud.get_string().get(one) == simdjson::SUCCESS) {
        match = one == *cfg_.audience;
      } else if (aud.get_array().get(many) == simdjson::SUCCESS) {
        for (auto item : many) {
          std::string_view s;
          if (item.get_string().get(s) == simdjson::SUCCESS && s == *cfg_.audience) match = true;
        }
      }
    }
    if (!match) return unauthenticated("audience mismatch");
  }

  // Who.
  auto sub = string_claim(claims, "sub", max_id_chars);
  if (!sub.ok()) return sub.error();
  if (!*sub || (*sub)->empty()) return unauthenticated("missing sub");
  who.user_id = std::move(**sub);

  auto tenant = string_claim(claims, "tenant", max_id_chars);
  if (!tenant.ok()) return tenant.error();
  if (*tenant) {
    if ((*tenant)->empty()) return unauthenticated("bad claim: tenant is empty");
    who.tenant = std::move(**tenant);
  }

  auto role = string_claim(claims, "role", max_id_chars);
  if (!role.ok()) return role.error();
  if (*role) {
    auto r = account_role_from(**role);
    if (!r) return unauthenticated("unknown role \"" + **role + "\"");
    who.role = *r;
  }

  auto name = string_claim(claims, "name", max_name_chars);
  if (!name.ok()) return name.error();
  // Like the dev form of `authenticate`: no name shows the user id.
  who.name = *name ? std::move(**name) : who.user_id;

  auto prev = string_claim(claims, "prev", max_id_chars);
  if (!prev.ok()) return prev.error();
  if (*prev) who.prev = std::move(**prev);

  simdjson::dom::element skills;
  if (claims["skills"].get(skills) == simdjson::SUCCESS) {
    auto list = read_skills(skills);
    if (!list) return unauthenticated("bad claim: skills must be an array of strings");
    who.skills = std::move(*list);
  }
  return who;
}

}  // namespace parley
