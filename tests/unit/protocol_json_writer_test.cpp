// json_writer.hpp: string escaping.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "json_writer.hpp"

using namespace parley;

TEST_CASE("append_json_string escapes wherever the byte sits (word-at-a-time scan)") {
  // The reference: one byte at a time.
  auto reference = [](std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else if (c == '\t') out += "\\t";
      else if (c == '\b') out += "\\b";
      else if (c == '\f') out += "\\f";
      else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else out.push_back(static_cast<char>(c));
    }
    return out + "\"";
  };
  for (char special : {'"', '\\', '\n', '\x01', '\x1f', ' ', '\x7f', '\x80', '\xff'}) {
    for (size_t len : {1, 7, 8, 9, 15, 16, 17, 40}) {
      for (size_t at = 0; at < len; ++at) {
        std::string s(len, 'a');
        s[at] = special;
        std::string got;
        append_json_string(got, s);
        CHECK_MESSAGE(got == reference(s), "special " << int(special) << " at " << at);
      }
    }
  }
  std::string utf8 = "h\xC3\xA9llo w\xC3\xB6rld, \xE2\x82\xAC and \xF0\x9F\x98\x80";
  std::string got;
  append_json_string(got, utf8);
  CHECK(got == "\"" + utf8 + "\"");
}
