// A small, allocation-frugal JSON writer for responses and events.
//
// It appends straight into one std::string. The caller is responsible for
// well-formedness (keys inside objects, values inside arrays); commas are
// inserted automatically. `raw()` splices already-serialized JSON (stored
// metadata, event bodies) without re-parsing it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

// Appends `s` to `out` as a JSON string literal (with quotes), escaping
// control characters, quotes and backslashes. Input is assumed to be UTF-8.
void append_json_string(std::string& out, std::string_view s);

class JsonWriter {
 public:
  JsonWriter() { out_.reserve(256); }
  explicit JsonWriter(std::string buffer) : out_(std::move(buffer)) { out_.clear(); }

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // Writes `"name":` inside an object; the next call writes its value.
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(int64_t n);
  JsonWriter& value(uint64_t n);
  JsonWriter& value(int n) { return value(static_cast<int64_t>(n)); }
  JsonWriter& value(unsigned n) { return value(static_cast<uint64_t>(n)); }
  JsonWriter& value(double d);
  JsonWriter& value(bool b);
  JsonWriter& null();
  // Already-serialized JSON value, copied verbatim.
  JsonWriter& raw(std::string_view json);

  // Shorthands for `key(k).value(v)`.
  template <class T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  JsonWriter& field_raw(std::string_view k, std::string_view json) {
    key(k);
    return raw(json);
  }
  JsonWriter& field_null(std::string_view k) {
    key(k);
    return null();
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }
  void clear() {
    out_.clear();
    need_comma_.clear();
    after_key_ = false;
  }

 private:
  void separate();

  std::string out_;
  std::vector<bool> need_comma_;  // one entry per open container
  bool after_key_ = false;
};

}  // namespace parley
