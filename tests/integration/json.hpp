// JSON for the integration tests: reading frames (simdjson DOM, addressed
// by JSON pointers) and writing request params (a tiny builder).
//
// Every accessor that does not find what it expects throws JsonError
// with the pointer and the whole frame, so a failing test shows exactly
// what the broker sent.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace parley::it {

class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One parsed JSON value. Cheap to copy: copies share the parsed document.
// `at(pointer)` returns a sub-value of the same document.
class Json {
 public:
  // Parses `text`; throws JsonError when it is not one valid JSON value.
  static Json parse(std::string text);

  // The frame this value came from, exactly as received.
  const std::string& frame() const { return *text_; }
  // This value, minified.
  std::string dump() const;

  bool has(std::string_view pointer) const;
  bool is_null(std::string_view pointer = "") const;
  bool is_object(std::string_view pointer = "") const;
  bool is_array(std::string_view pointer = "") const;
  bool is_string(std::string_view pointer = "") const;
  bool is_int(std::string_view pointer = "") const;

  Json at(std::string_view pointer) const;
  int64_t get_int(std::string_view pointer) const;
  std::string get_string(std::string_view pointer) const;
  bool get_bool(std::string_view pointer) const;
  double get_double(std::string_view pointer) const;
  // Number of elements of an array (or members of an object).
  size_t size(std::string_view pointer = "") const;
  // The elements of an array.
  std::vector<Json> items(std::string_view pointer = "") const;

  // Server push helpers: a frame is a push when it has "method" and no "id".
  bool is_push() const;
  bool is_response() const;
  std::string method() const;  // "" when none

 private:
  Json() = default;
  simdjson::dom::element find(std::string_view pointer) const;
  [[noreturn]] void fail(std::string_view pointer, std::string_view what) const;

  std::shared_ptr<const std::string> text_;
  std::shared_ptr<simdjson::dom::document> doc_;
  simdjson::dom::element element_;
};

// Free-function spellings of the accessors, as used in the tests:
// get_int(response, "/result/seq").
inline int64_t get_int(const Json& j, std::string_view p) { return j.get_int(p); }
inline std::string get_string(const Json& j, std::string_view p) { return j.get_string(p); }
inline bool get_bool(const Json& j, std::string_view p) { return j.get_bool(p); }

// Writing: `obj({{"conversationId", id}, {"seq", 3}, {"metadata", raw("{}")}})`.
std::string quote(std::string_view s);  // a JSON string literal

class JVal {
 public:
  JVal(const char* s) : json_(quote(s)) {}
  JVal(const std::string& s) : json_(quote(s)) {}
  JVal(std::string_view s) : json_(quote(s)) {}
  JVal(bool b) : json_(b ? "true" : "false") {}
  JVal(std::nullptr_t) : json_("null") {}
  template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) JVal(T n)
      : json_(std::to_string(n)) {}

  static JVal raw(std::string json) {
    JVal v(nullptr);
    v.json_ = std::move(json);
    return v;
  }
  const std::string& json() const { return json_; }

 private:
  std::string json_;
};

inline JVal raw(std::string json) { return JVal::raw(std::move(json)); }
std::string obj(std::initializer_list<std::pair<std::string_view, JVal>> members);
std::string arr(std::initializer_list<JVal> items);
std::string arr(const std::vector<std::string>& raw_items);

}  // namespace parley::it
