#include "redis_keys.hpp"

namespace parley::redis {

namespace {

constexpr std::string_view kPrefix = "pl:";
constexpr char kHex[] = "0123456789ABCDEF";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string key(std::string_view tag, std::string_view suffix) {
  std::string k;
  k.reserve(kPrefix.size() + tag.size() + suffix.size() + 3);
  k.append(kPrefix).append("{").append(tag).append("}:").append(suffix);
  return k;
}

}  // namespace

std::string escape_component(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '%' || c == ':' || c == '{' || c == '}' || c <= 0x20 || c == 0x7f) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::optional<std::string> unescape_component(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

ConvKeys::ConvKeys(const ConvKey& k)
    : tag("c:" + escape_component(k.tenant) + ":" + escape_component(k.id)),
      meta(key(tag, "meta")),
      members(key(tag, "members")),
      log(key(tag, "log")),
      ovr(key(tag, "ovr")),
      channel(key(tag, "ch")) {}

std::string ConvKeys::idempotency(std::string_view user, std::string_view client_message_id) const {
  return key(tag, "idem:" + escape_component(user) + ":" + escape_component(client_message_id));
}

TenantKeys::TenantKeys(std::string_view tenant)
    : tag("t:" + escape_component(tenant)),
      names(key(tag, "names")),
      ext(key(tag, "ext")),
      updated(key(tag, "updated")),
      pending(key(tag, "pending")),
      changes(key(tag, "chg")) {}

std::string TenantKeys::create_key(std::string_view idempotency_key) const {
  return key(tag, "creq:" + escape_component(idempotency_key));
}

std::optional<ConvKey> conv_of_channel(std::string_view channel) {
  constexpr std::string_view head = "pl:{c:", tail = "}:ch";
  if (channel.size() < head.size() + tail.size() || channel.substr(0, head.size()) != head ||
      channel.substr(channel.size() - tail.size()) != tail)
    return std::nullopt;
  std::string_view body = channel.substr(head.size(), channel.size() - head.size() - tail.size());
  const auto colon = body.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto tenant = unescape_component(body.substr(0, colon));
  auto id = unescape_component(body.substr(colon + 1));
  if (!tenant || !id) return std::nullopt;
  return ConvKey{std::move(*tenant), std::move(*id)};
}

std::optional<std::string> tenant_of_change_channel(std::string_view channel) {
  constexpr std::string_view head = "pl:{t:", tail = "}:chg";
  if (channel.size() < head.size() + tail.size() || channel.substr(0, head.size()) != head ||
      channel.substr(channel.size() - tail.size()) != tail)
    return std::nullopt;
  return unescape_component(
      channel.substr(head.size(), channel.size() - head.size() - tail.size()));
}

}  // namespace parley::redis
