#include "cluster_slots.hpp"

#include <charconv>

namespace parley::redis {

namespace {

std::optional<int> to_port(std::string_view s) {
  int port = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), port);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || port < 1 || port > 65535)
    return std::nullopt;
  return port;
}

// "host:port" (the last colon splits; "[v6]:port" loses its brackets).
std::optional<std::pair<std::string, int>> host_port(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  auto port = to_port(s.substr(colon + 1));
  if (!port) return std::nullopt;
  std::string_view host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) return std::nullopt;
  return std::make_pair(std::string(host), *port);
}

}  // namespace

uint16_t crc16_xmodem(std::string_view data) {
  uint16_t crc = 0;
  for (unsigned char byte : data) {
    crc ^= static_cast<uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
  }
  return crc;
}

uint16_t key_slot(std::string_view key) {
  const auto open = key.find('{');
  if (open != std::string_view::npos) {
    const auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1)
      return tag_slot(key.substr(open + 1, close - open - 1));
  }
  return crc16_xmodem(key) % kClusterSlots;
}

std::optional<SlotMap> SlotMap::parse(const RedisReply& reply, const RedisAddress& seed) {
  if (!reply.is_array()) return std::nullopt;
  SlotMap map;
  map.owner.fill(-1);
  for (const auto& range : reply.elements()) {
    if (!range.is_array() || range.size() < 3 || !range[2].is_array() || range[2].size() < 2)
      return std::nullopt;
    const auto lo = range[0].as_int(), hi = range[1].as_int(), port = range[2][1].as_int();
    if (!lo || !hi || !port || *lo < 0 || *hi >= kClusterSlots || *lo > *hi || *port < 1 ||
        *port > 65535)
      return std::nullopt;
    RedisAddress a = seed;  // password and db as the seed's
    a.host = range[2][0].str();
    if (a.host.empty() || a.host == "?") a.host = seed.host;
    a.port = static_cast<int>(*port);
    int16_t index = -1;
    for (size_t i = 0; i < map.masters.size(); ++i)
      if (map.masters[i].host == a.host && map.masters[i].port == a.port)
        index = static_cast<int16_t>(i);
    if (index < 0) {
      index = static_cast<int16_t>(map.masters.size());
      map.masters.push_back(std::move(a));
    }
    for (int64_t s = *lo; s <= *hi; ++s) map.owner[static_cast<size_t>(s)] = index;
  }
  return map;
}

bool SlotMap::complete() const {
  for (auto o : owner)
    if (o < 0) return false;
  return true;
}

std::optional<Redirect> parse_redirect(const RedisReply& reply, const RedisAddress& like) {
  if (!reply.is_error()) return std::nullopt;
  std::string_view s = reply.str();
  Redirect r;
  if (s.starts_with("MOVED ")) {
    s.remove_prefix(6);
  } else if (s.starts_with("ASK ")) {
    r.ask = true;
    s.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  const auto space = s.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  int slot = -1;
  auto p = std::from_chars(s.data(), s.data() + space, slot);
  if (p.ec != std::errc() || p.ptr != s.data() + space || slot < 0 || slot >= kClusterSlots)
    return std::nullopt;
  auto hp = host_port(s.substr(space + 1));
  if (!hp) return std::nullopt;
  r.slot = static_cast<uint16_t>(slot);
  r.to = like;
  r.to.host = hp->first.empty() ? like.host : hp->first;
  r.to.port = hp->second;
  return r;
}

bool is_cluster_redirect(const RedisReply& reply) {
  return reply.error_is("MOVED") || reply.error_is("ASK") || reply.error_is("TRYAGAIN") ||
         reply.error_is("CLUSTERDOWN");
}

ClusterStep cluster_step(const RedisReply& reply, const RedisAddress& at, int rounds) {
  ClusterStep step;
  if (!is_cluster_redirect(reply)) return step;
  if (rounds >= kClusterMaxRounds) {
    step.kind = ClusterStep::Kind::give_up;
    return step;
  }
  if (reply.error_is("TRYAGAIN") || reply.error_is("CLUSTERDOWN")) {
    step.kind = ClusterStep::Kind::pause;
    return step;
  }
  auto r = parse_redirect(reply, at);
  if (!r) return step;  // a MOVED/ASK without a place to go: the error stands
  step.kind = r->ask ? ClusterStep::Kind::ask : ClusterStep::Kind::moved;
  step.to = std::move(r->to);
  return step;
}

std::optional<std::vector<RedisAddress>> parse_seed_list(std::string_view list) {
  std::vector<RedisAddress> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view one = list.substr(0, comma);
    auto hp = host_port(one);
    if (!hp) return std::nullopt;
    RedisAddress a;
    a.host = hp->first;
    a.port = hp->second;
    out.push_back(std::move(a));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
    if (list.empty()) return std::nullopt;  // a trailing comma
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace parley::redis
