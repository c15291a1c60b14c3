#include "request_fields.hpp"

#include <algorithm>

namespace parley::detail {

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

bool http_url(std::string_view s) { return s.starts_with("https://") || s.starts_with("http://"); }

std::string_view type_reason(element_type want) {
  switch (want) {
    case element_type::STRING: return "expected string";
    case element_type::BOOL: return "expected boolean";
    case element_type::OBJECT: return "expected object";
    case element_type::ARRAY: return "expected array";
    default: return "expected integer";
  }
}

// A key that `obj` holds twice, if any.
std::optional<std::string_view> repeated_key(simdjson::dom::object obj) {
  std::vector<std::string_view> keys;
  keys.reserve(obj.size());
  for (auto field : obj) keys.push_back(field.key);
  std::sort(keys.begin(), keys.end());
  auto dup = std::adjacent_find(keys.begin(), keys.end());
  if (dup == keys.end()) return std::nullopt;
  return *dup;
}

// The path of a key held twice by an object anywhere inside `v` (`at` is
// v's path): "metadata.a.b", "quickReplies[2].k". The depth is bounded by
// the parser's (limits.json_depth).
std::optional<std::string> repeated_key_within(const element& v, const std::string& at) {
  simdjson::dom::object obj;
  simdjson::dom::array arr;
  auto member = [&](std::string_view key) {
    std::string p = at;
    p.append(".").append(first_code_points(key, 128));
    return p;
  };
  if (v.get_object().get(obj) == simdjson::SUCCESS) {
    if (auto dup = repeated_key(obj)) return member(*dup);
    for (auto field : obj)
      if (auto p = repeated_key_within(field.value, member(field.key))) return p;
  } else if (v.get_array().get(arr) == simdjson::SUCCESS) {
    size_t i = 0;
    for (element item : arr)
      if (auto p = repeated_key_within(item, at + "[" + std::to_string(i++) + "]")) return p;
  }
  return std::nullopt;
}

}  // namespace

FieldReader::FieldReader(std::optional<simdjson::dom::object> obj, const Limits& limits,
                         std::string prefix)
    : limits_(limits), prefix_(std::move(prefix)) {
  if (!obj) return;
  entries_.reserve(obj->size());
  for (auto field : *obj) entries_.push_back({field.key, field.value});
  // Duplicate keys are refused: parsers disagree on which one wins, and a
  // proxy that checked the first must not be bypassed with the second.
  if (auto dup = repeated_key(*obj))
    fail(invalid_params(path(first_code_points(*dup, 128)), "duplicate field"));
}

bool FieldReader::unique_keys(std::string_view key, const element& v) {
  auto dup = repeated_key_within(v, path(key));
  if (dup) fail(invalid_params(std::move(*dup), "duplicate field"));
  return !dup;
}

void FieldReader::fail(Error e) {
  if (!error_) error_ = std::move(e);
}

std::string FieldReader::path(std::string_view key) const {
  if (prefix_.empty()) return std::string(key);
  std::string p = prefix_;
  p.push_back('.');
  p.append(key);
  return p;
}

FieldReader::Entry* FieldReader::find(std::string_view key) {
  for (auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

const FieldReader::Entry* FieldReader::find(std::string_view key) const {
  for (const auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

std::optional<element> FieldReader::take_any(std::string_view key) {
  Entry* e = find(key);
  if (!e) return std::nullopt;
  e->read = true;
  return e->value;
}

std::optional<element> FieldReader::take(std::string_view key) {
  auto v = take_any(key);
  if (v && v->is_null()) return std::nullopt;
  return v;
}

bool FieldReader::has(std::string_view key) const {
  const Entry* e = find(key);
  return e && !e->value.is_null();
}

std::optional<std::string_view> FieldReader::string_value(std::string_view key, const element& v) {
  std::string_view s;
  if (v.get_string().get(s)) {
    fail(invalid_params(path(key), type_reason(element_type::STRING)));
    return std::nullopt;
  }
  return s;
}

bool FieldReader::check_id(std::string_view key, std::string_view s) {
  if (s.empty()) {
    fail(invalid_params(path(key), "empty"));
    return false;
  }
  if (code_points(s) > limits_.name_chars) {
    fail(too_large(path(key), limits_.name_chars));
    return false;
  }
  return true;
}

void FieldReader::id(std::string_view key, std::string& out) {
  auto v = take(key);
  if (!v) return fail(invalid_params(path(key), "required"));
  auto s = string_value(key, *v);
  if (s && check_id(key, *s)) out.assign(*s);
}

void FieldReader::id(std::string_view key, std::optional<std::string>& out) {
  auto v = take(key);
  if (!v) return;
  auto s = string_value(key, *v);
  if (s && check_id(key, *s)) out.emplace(*s);
}

void FieldReader::nullable_id(std::string_view key,
                              std::optional<std::optional<std::string>>& out) {
  auto v = take_any(key);
  if (!v) return;
  if (v->is_null()) {  // null clears the value
    out.emplace(std::nullopt);
    return;
  }
  auto s = string_value(key, *v);
  if (s && check_id(key, *s)) out.emplace(std::string(*s));
}

std::optional<std::string_view> FieldReader::bounded_bytes(std::string_view key, const element& v,
                                                           size_t max_bytes) {
  auto s = string_value(key, v);
  if (!s) return std::nullopt;
  if (s->empty()) {
    fail(invalid_params(path(key), "empty"));
    return std::nullopt;
  }
  if (s->size() > max_bytes) {
    fail(too_large(path(key), max_bytes));
    return std::nullopt;
  }
  return s;
}

void FieldReader::bytes(std::string_view key, std::optional<std::string>& out, size_t max_bytes) {
  auto v = take(key);
  if (!v) return;
  if (auto s = bounded_bytes(key, *v, max_bytes)) out.emplace(*s);
}

void FieldReader::nullable_bytes(std::string_view key,
                                 std::optional<std::optional<std::string>>& out, size_t max_bytes) {
  auto v = take_any(key);
  if (!v) return;
  if (v->is_null()) {  // null clears the value
    out.emplace(std::nullopt);
    return;
  }
  if (auto s = bounded_bytes(key, *v, max_bytes)) out.emplace(std::string(*s));
}

void FieldReader::url(std::string_view key, std::optional<std::string>& out, size_t max_bytes) {
  bytes(key, out, max_bytes);
  if (out && !http_url(*out)) {
    fail(invalid_params(path(key), "expected an http(s) URL"));
    out.reset();
  }
}

void FieldReader::nullable_url(std::string_view key,
                               std::optional<std::optional<std::string>>& out, size_t max_bytes) {
  nullable_bytes(key, out, max_bytes);
  if (out && *out && !http_url(**out)) {
    fail(invalid_params(path(key), "expected an http(s) URL"));
    out.reset();
  }
}

void FieldReader::text(std::string_view key, std::string& out, size_t max_chars) {
  auto v = take(key);
  if (!v) return fail(invalid_params(path(key), "required"));
  auto s = string_value(key, *v);
  if (!s) return;
  if (s->empty()) return fail(invalid_params(path(key), "empty"));
  // The limit is in code points, not bytes: 8000 "é" are 16000 bytes.
  if (code_points(*s) > max_chars) return fail(too_large(path(key), max_chars));
  out.assign(*s);
}

void FieldReader::json_object(std::string_view key, std::optional<std::string>& out,
                              size_t max_bytes) {
  auto v = take(key);
  if (!v) return;
  if (!v->is_object()) return fail(invalid_params(path(key), type_reason(element_type::OBJECT)));
  if (!unique_keys(key, *v)) return;
  std::string json = simdjson::minify(*v);
  if (json.size() > max_bytes) return fail(too_large(path(key), max_bytes));
  out.emplace(std::move(json));
}

void FieldReader::json_array(std::string_view key, std::optional<std::string>& out,
                             size_t max_chars) {
  auto v = take(key);
  if (!v) return;
  if (!v->is_array()) return fail(invalid_params(path(key), type_reason(element_type::ARRAY)));
  if (!unique_keys(key, *v)) return;
  std::string json = simdjson::minify(*v);
  if (code_points(json) > max_chars) return fail(too_large(path(key), max_chars));
  out.emplace(std::move(json));
}

void FieldReader::id_array(std::string_view key, std::vector<std::string>& out, size_t max_items) {
  auto arr = array(key);
  if (!arr) return;
  if (arr->size() > max_items) return fail(too_large(path(key), max_items));
  std::vector<std::string> items;
  size_t i = 0;
  for (element item : *arr) {
    std::string item_key = std::string(key) + "[" + std::to_string(i++) + "]";
    auto s = string_value(item_key, item);
    if (!s || !check_id(item_key, *s)) return;
    items.emplace_back(*s);
  }
  out = std::move(items);
}

void FieldReader::unsigned_int(std::string_view key, uint64_t& out, uint64_t min, uint64_t max) {
  std::optional<uint64_t> v;
  if (!has(key)) {
    take_any(key);
    return fail(invalid_params(path(key), "required"));
  }
  unsigned_int(key, v, min, max);
  if (v) out = *v;
}

void FieldReader::unsigned_int(std::string_view key, std::optional<uint64_t>& out, uint64_t min,
                               uint64_t max) {
  auto v = take(key);
  if (!v) return;
  uint64_t n = 0;
  switch (v->type()) {
    case element_type::UINT64: n = v->get_uint64().value_unsafe(); break;
    case element_type::INT64: {
      int64_t i = v->get_int64().value_unsafe();
      if (i < 0) return fail(invalid_params(path(key), "out of range"));
      n = static_cast<uint64_t>(i);
      break;
    }
    default: return fail(invalid_params(path(key), type_reason(element_type::INT64)));
  }
  if (n < min || n > max) return fail(invalid_params(path(key), "out of range"));
  out = n;
}

std::optional<int64_t> FieldReader::integer_in(std::string_view key, const element& v, int64_t min,
                                               int64_t max) {
  if (v.type() == element_type::UINT64) {  // above INT64_MAX, so above any max
    fail(invalid_params(path(key), "out of range"));
    return std::nullopt;
  }
  if (v.type() != element_type::INT64) {
    fail(invalid_params(path(key), type_reason(element_type::INT64)));
    return std::nullopt;
  }
  int64_t n = v.get_int64().value_unsafe();
  if (n < min || n > max) {
    fail(invalid_params(path(key), "out of range"));
    return std::nullopt;
  }
  return n;
}

void FieldReader::signed_int(std::string_view key, std::optional<int64_t>& out, int64_t min,
                             int64_t max) {
  auto v = take(key);
  if (!v) return;
  if (auto n = integer_in(key, *v, min, max)) out = *n;
}

void FieldReader::nullable_signed_int(std::string_view key,
                                      std::optional<std::optional<int64_t>>& out, int64_t min,
                                      int64_t max) {
  auto v = take_any(key);
  if (!v) return;
  if (v->is_null()) {  // null clears the value
    out.emplace(std::nullopt);
    return;
  }
  if (auto n = integer_in(key, *v, min, max)) out.emplace(*n);
}

void FieldReader::boolean(std::string_view key, std::optional<bool>& out) {
  auto v = take(key);
  if (!v) return;
  bool b = false;
  if (v->get_bool().get(b)) return fail(invalid_params(path(key), type_reason(element_type::BOOL)));
  out = b;
}

std::optional<size_t> FieldReader::one_of(std::string_view key,
                                          std::span<const std::string_view> choices,
                                          bool required) {
  auto v = take(key);
  if (!v) {
    if (required) fail(invalid_params(path(key), "required"));
    return std::nullopt;
  }
  auto s = string_value(key, *v);
  if (!s) return std::nullopt;
  for (size_t i = 0; i < choices.size(); ++i)
    if (choices[i] == *s) return i;
  std::string reason = "must be one of ";
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i) reason.push_back('|');
    reason.append(choices[i]);
  }
  fail(invalid_params(path(key), reason));
  return std::nullopt;
}

std::optional<simdjson::dom::object> FieldReader::object(std::string_view key) {
  auto v = take(key);
  if (!v) return std::nullopt;
  simdjson::dom::object obj;
  if (v->get_object().get(obj)) {
    fail(invalid_params(path(key), type_reason(element_type::OBJECT)));
    return std::nullopt;
  }
  return obj;
}

std::optional<simdjson::dom::array> FieldReader::array(std::string_view key) {
  auto v = take(key);
  if (!v) return std::nullopt;
  simdjson::dom::array arr;
  if (v->get_array().get(arr)) {
    fail(invalid_params(path(key), type_reason(element_type::ARRAY)));
    return std::nullopt;
  }
  return arr;
}

bool FieldReader::finish() {
  for (const auto& e : entries_) {
    if (!e.read) {
      // Bounded: the key is echoed back in the error data.
      fail(invalid_params(path(first_code_points(e.key, 128)), "unknown field"));
      break;
    }
  }
  return ok();
}

}  // namespace parley::detail
