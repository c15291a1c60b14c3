#include "api/api_keys.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace parley {

namespace {

Error key_error(size_t line, std::string_view what) {
  return invalid_request("line " + std::to_string(line) + ": " + std::string(what));
}

std::optional<Sha256> from_hex(std::string_view s) {
  if (s.size() != 64) return std::nullopt;
  Sha256 h{};
  for (size_t i = 0; i < 32; ++i) {
    unsigned v = 0;
    auto r = std::from_chars(s.data() + 2 * i, s.data() + 2 * i + 2, v, 16);
    if (r.ec != std::errc() || r.ptr != s.data() + 2 * i + 2) return std::nullopt;
    h[i] = static_cast<unsigned char>(v);
  }
  return h;
}

}  // namespace

Sha256 sha256(std::string_view data) {
  Sha256 h{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h.data());
  return h;
}

std::string to_hex(const Sha256& h) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char c : h) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

Result<std::vector<ApiKey>> parse_api_keys(std::string_view text) {
  std::vector<ApiKey> keys;
  std::istringstream in{std::string(text)};
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    if (w.empty() || w[0].front() == '#') continue;
    if (w.size() != 6)
      return key_error(n, "want 6 fields: name tenant role user-id rate sha256-hex (got " +
                              std::to_string(w.size()) + ")");
    ApiKey k;
    k.name = w[0];
    k.identity.tenant = w[1];
    if (w[2] == "bot")
      k.identity.role = AccountRole::bot;
    else if (w[2] == "admin")
      k.identity.role = AccountRole::admin;
    else
      return key_error(n, "role must be bot or admin, not \"" + w[2] + "\"");
    k.identity.user_id = w[3];
    k.identity.name = w[0];
    double rate = 0;
    auto r = std::from_chars(w[4].data(), w[4].data() + w[4].size(), rate);
    if (r.ec != std::errc() || r.ptr != w[4].data() + w[4].size() || !(rate > 0) || rate > 1e6)
      return key_error(n, "rate must be a number of requests a second in (0, 1000000]");
    k.rate_per_sec = rate;
    std::string hex = w[5];
    std::transform(hex.begin(), hex.end(), hex.begin(),
                   [](char c) { return c >= 'A' && c <= 'F' ? char(c - 'A' + 'a') : c; });
    auto h = from_hex(hex);
    if (!h) return key_error(n, "the hash must be 64 hex digits (the SHA-256 of the key)");
    k.hash = *h;
    for (const auto& other : keys) {
      if (other.name == k.name) return key_error(n, "name \"" + k.name + "\" used twice");
      if (other.hash == k.hash) return key_error(n, "the same key is listed twice");
    }
    keys.push_back(std::move(k));
  }
  return keys;
}

Status ApiKeyStore::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return invalid_request("cannot read \"" + path + "\"");
  std::stringstream text;
  text << in.rdbuf();
  auto keys = parse_api_keys(text.str());
  if (!keys.ok()) return Error{keys.error().code, path + ": " + keys.error().message, ""};
  set(std::move(keys.value()));
  return Ok{};
}

void ApiKeyStore::set(std::vector<ApiKey> keys) {
  std::lock_guard lk(mu_);
  std::vector<Entry> next;
  next.reserve(keys.size());
  for (auto& k : keys) {
    Entry e;
    auto old = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& o) {
      return o.key.hash == k.hash && o.key.rate_per_sec == k.rate_per_sec;
    });
    if (old != entries_.end()) {
      e.mu = old->mu;
      e.limiter = old->limiter;
    } else {
      double burst = std::max(1.0, k.rate_per_sec);
      e.limiter = std::make_shared<RateLimiter>(k.rate_per_sec, burst, RateLimiter::Clock::now());
    }
    e.key = std::move(k);
    next.push_back(std::move(e));
  }
  entries_ = std::move(next);
}

size_t ApiKeyStore::size() const {
  std::lock_guard lk(mu_);
  return entries_.size();
}

std::optional<ApiKey> ApiKeyStore::find(std::string_view presented) const {
  const Sha256 h = sha256(presented);
  std::lock_guard lk(mu_);
  const Entry* match = nullptr;
  // Every entry is compared, whatever matched before.
  for (const auto& e : entries_)
    if (CRYPTO_memcmp(e.key.hash.data(), h.data(), h.size()) == 0) match = &e;
  if (!match) return std::nullopt;
  return match->key;
}

RateLimiter::Verdict ApiKeyStore::admit(const ApiKey& key, double cost,
                                        RateLimiter::Clock::time_point now) {
  std::shared_ptr<std::mutex> m;
  std::shared_ptr<RateLimiter> limiter;
  {
    std::lock_guard lk(mu_);
    for (const auto& e : entries_)
      if (e.key.hash == key.hash) m = e.mu, limiter = e.limiter;
  }
  if (!limiter) return {false, 1000, 1};  // reloaded away meanwhile
  std::lock_guard lk(*m);
  return limiter->admit(now, cost);
}

}  // namespace parley
