#include "json_writer.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

namespace parley {

namespace {

// Whether any of the 8 bytes in `v` must be escaped: below 0x20, '"' or
// '\\'. Exact (bit tricks of "Bit Twiddling Hacks": haszero / hasless).
inline bool needs_escape8(uint64_t v) {
  constexpr uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  uint64_t below = (v - ones * 0x20) & ~v & highs;
  uint64_t q = v ^ (ones * '"');
  uint64_t bs = v ^ (ones * '\\');
  uint64_t quote = (q - ones) & ~q & highs;
  uint64_t slash = (bs - ones) & ~bs & highs;
  return (below | quote | slash) != 0;
}

// The length of the prefix of `s` that needs no escaping.
size_t plain_prefix(std::string_view s) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t v;
    std::memcpy(&v, s.data() + i, 8);
    if (needs_escape8(v)) break;
  }
  for (; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\') break;
  }
  return i;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  // Most strings (keys, ids, plain text) need no escape at all: one append.
  size_t plain = plain_prefix(s);
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  out.append(s.data(), plain);
  size_t start = plain;
  for (size_t i = plain; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
        out.append(esc, 6);
      }
    }
  }
  out.append(s.data() + start, s.size() - start);
  out.push_back('"');
}

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!need_comma_.empty()) {
    if (need_comma_.back()) out_.push_back(',');
    need_comma_.back() = true;
  }
}

JsonWriter& JsonWriter::begin_object() {
  separate();
  out_.push_back('{');
  need_comma_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  out_.push_back('}');
  need_comma_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  separate();
  out_.push_back('[');
  need_comma_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  out_.push_back(']');
  need_comma_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  separate();
  append_json_string(out_, name);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  separate();
  append_json_string(out_, s);
  return *this;
}

JsonWriter& JsonWriter::value(int64_t n) {
  separate();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::value(uint64_t n) {
  separate();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::value(double d) {
  separate();
  if (!std::isfinite(d)) {
    out_.append("null");
    return *this;
  }
  char buf[32];
  // The shortest form of a whole double of 2^63 or more may be its digits
  // ("-18592506990983380992"), an integer beyond 64 bits that simdjson (and
  // so Parley itself) refuses to read: those are written with an exponent.
  auto r = std::fabs(d) < 0x1p63 ? std::to_chars(buf, buf + sizeof buf, d)
                                 : std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  separate();
  out_.append(b ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::null() {
  separate();
  out_.append("null");
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  separate();
  out_.append(json);
  return *this;
}

}  // namespace parley
