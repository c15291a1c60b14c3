#include "redis_url.hpp"

#include <charconv>

namespace parley::redis {

namespace {

// A whole decimal number in [lo, hi], or nullopt.
std::optional<int> parse_int(std::string_view s, int lo, int hi) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v < lo || v > hi)
    return std::nullopt;
  return v;
}

}  // namespace

std::string RedisAddress::id() const {
  std::string out = host.find(':') == std::string::npos ? host : "[" + host + "]";
  out.append(":").append(std::to_string(port)).append("/").append(std::to_string(db));
  return out;
}

std::optional<RedisAddress> parse_redis_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme) return std::nullopt;
  url.remove_prefix(scheme.size());
  RedisAddress a;

  // Credentials: "[user]:password@"; a user name (ACL) is not supported.
  if (auto at = url.rfind('@'); at != std::string_view::npos) {
    std::string_view cred = url.substr(0, at);
    url.remove_prefix(at + 1);
    auto colon = cred.find(':');
    if (colon == std::string_view::npos || colon != 0) return std::nullopt;
    a.password = std::string(cred.substr(colon + 1));
  }

  std::string_view hostport = url;
  if (auto slash = url.find('/'); slash != std::string_view::npos) {
    hostport = url.substr(0, slash);
    std::string_view db = url.substr(slash + 1);
    if (!db.empty()) {
      auto n = parse_int(db, 0, 1 << 20);
      if (!n) return std::nullopt;
      a.db = *n;
    }
  }
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {
    auto close = hostport.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    a.host = std::string(hostport.substr(1, close - 1));
    std::string_view rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else if (auto colon = hostport.find(':'); colon != std::string_view::npos) {
    a.host = std::string(hostport.substr(0, colon));
    port = hostport.substr(colon + 1);
  } else {
    a.host = std::string(hostport);
  }
  if (a.host.empty()) return std::nullopt;
  if (!port.empty()) {
    auto n = parse_int(port, 1, 65535);
    if (!n) return std::nullopt;
    a.port = *n;
  }
  return a;
}

}  // namespace parley::redis
