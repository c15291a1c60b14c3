// The API keys of the HTTP server API (docs/server-api.md): read from
// --api-keys-file, one key a line, each stored as the SHA-256 of the key
// (never the key itself) with the service identity it acts as and its
// request rate:
//
//     # name     tenant   role   user-id   rate/s  sha256-hex-of-the-key
//     crm        acme     bot    crm-bot   50      9f86d081884c7d65...
//
// A presented key is hashed and compared with every stored hash in constant
// time (CRYPTO_memcmp, no early exit), so neither the key nor which entry
// matched leaks through timing. The file is reloaded on SIGHUP: a file
// that does not parse leaves the keys in force unchanged.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "model.hpp"
#include "net/rate_limiter.hpp"

namespace parley {

using Sha256 = std::array<unsigned char, 32>;

struct ApiKey {
  std::string name;  // for logs and metrics; unique in the file
  Identity identity;  // tenant, role (bot or admin), user id; name = the key's name
  double rate_per_sec = 10;  // requests a second (burst: the same number, at least 1)
  Sha256 hash{};
};

// SHA-256 of `data`.
Sha256 sha256(std::string_view data);
// Lower-case hex of a hash.
std::string to_hex(const Sha256& h);

// Parses the file's text; the error names the line ("line 3: ..."). Blank
// lines and lines starting with '#' are skipped.
Result<std::vector<ApiKey>> parse_api_keys(std::string_view text);

class ApiKeyStore {
 public:
  // Replaces the keys with those of `path`; on an error nothing changes.
  // A key that stays (same hash) keeps its rate limiter's state.
  Status load(const std::string& path);
  // Replaces the keys (tests).
  void set(std::vector<ApiKey> keys);
  size_t size() const;

  // The key that `presented` is, if any (constant time in the key).
  std::optional<ApiKey> find(std::string_view presented) const;
  // Takes `cost` from the key's request rate.
  RateLimiter::Verdict admit(const ApiKey& key, double cost, RateLimiter::Clock::time_point now);

 private:
  struct Entry {
    ApiKey key;
    std::shared_ptr<std::mutex> mu = std::make_shared<std::mutex>();
    std::shared_ptr<RateLimiter> limiter;
  };
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

}  // namespace parley
