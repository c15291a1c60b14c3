#include "net/http_head.hpp"

#include <algorithm>

#include "net/http.hpp"

namespace parley {

namespace {

constexpr std::string_view kCrlf = "\r\n";

// RFC 9110 §5.6.2 token characters.
bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// A comma-separated list of plain tokens that holds `want` (case-insensitive).
// Anything that is not such a list is "not sure": the full parser decides.
enum class ListHas { yes, no, unsure };
ListHas token_list_has(std::string_view value, std::string_view want) {
  bool found = false;
  while (true) {
    auto comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (item.empty()) return ListHas::unsure;
    for (char c : item)
      if (!is_tchar(c)) return ListHas::unsure;
    if (iequals_ascii(item, want)) found = true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return found ? ListHas::yes : ListHas::no;
}

// The fields the fast path needs; each may appear once.
enum Field { f_upgrade, f_connection, f_key, f_version, f_origin, f_authorization, f_count };

int field_of(std::string_view name) {
  switch (name.size()) {
    case 6:
      return iequals_ascii(name, "origin") ? f_origin : -1;
    case 7:
      return iequals_ascii(name, "upgrade") ? f_upgrade : -1;
    case 10:
      return iequals_ascii(name, "connection") ? f_connection : -1;
    case 13:
      return iequals_ascii(name, "authorization") ? f_authorization : -1;
    case 17:
      return iequals_ascii(name, "sec-websocket-key") ? f_key : -1;
    case 21:
      return iequals_ascii(name, "sec-websocket-version") ? f_version : -1;
    default:
      return -1;
  }
}

// A message body (or a framing the fast path does not handle) is "not sure".
bool announces_body(std::string_view name) {
  return iequals_ascii(name, "content-length") || iequals_ascii(name, "transfer-encoding");
}

}  // namespace

HeadVerdict parse_upgrade_head(std::string_view data, size_t limit, UpgradeHead& out) {
  // Rule the fast path out as early as the first bytes allow, so that other
  // requests go to the full parser without waiting for their blank line.
  constexpr std::string_view kStart = "GET /ws";
  if (data.substr(0, kStart.size()) != kStart.substr(0, std::min(data.size(), kStart.size())))
    return HeadVerdict::other;
  auto end = data.substr(0, limit).find("\r\n\r\n");
  if (end == std::string_view::npos)
    return data.size() >= limit ? HeadVerdict::other : HeadVerdict::incomplete;
  const std::string_view head = data.substr(0, end + 2);  // every line with its CRLF

  // The request line: GET SP target SP HTTP/1.1 CRLF, the target plain ASCII.
  auto eol = head.find(kCrlf);
  std::string_view line = head.substr(0, eol);
  constexpr std::string_view kVersion = " HTTP/1.1";
  if (line.size() < 4 + kVersion.size() || line.substr(line.size() - kVersion.size()) != kVersion)
    return HeadVerdict::other;
  std::string_view target = line.substr(4, line.size() - 4 - kVersion.size());
  if (target.empty()) return HeadVerdict::other;
  for (char c : target)
    if (c < 0x21 || c > 0x7E) return HeadVerdict::other;
  if (target_path(target) != "/ws") return HeadVerdict::other;

  std::string_view values[f_count];
  bool seen[f_count] = {};
  size_t pos = eol + 2;
  while (pos < head.size()) {
    eol = head.find(kCrlf, pos);
    line = head.substr(pos, eol - pos);
    pos = eol + 2;
    auto colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return HeadVerdict::other;
    std::string_view name = line.substr(0, colon);
    for (char c : name)
      if (!is_tchar(c)) return HeadVerdict::other;
    std::string_view value = line.substr(colon + 1);
    for (char c : value) {
      // Visible ASCII, space and tab only: a control byte, a bare CR or LF,
      // or obs-text is left to the full parser.
      if ((c < 0x20 && c != '\t') || c == 0x7F || static_cast<unsigned char>(c) >= 0x80)
        return HeadVerdict::other;
    }
    if (announces_body(name)) return HeadVerdict::other;
    int f = field_of(name);
    if (f < 0) continue;
    if (seen[f]) return HeadVerdict::other;
    seen[f] = true;
    values[f] = trim(value);
  }

  if (token_list_has(values[f_connection], "upgrade") != ListHas::yes ||
      token_list_has(values[f_upgrade], "websocket") != ListHas::yes)
    return HeadVerdict::other;
  out.target = target;
  out.key = values[f_key];
  out.version = values[f_version];
  out.origin = values[f_origin];
  out.authorization = values[f_authorization];
  out.size = end + 4;
  return HeadVerdict::upgrade;
}

}  // namespace parley
