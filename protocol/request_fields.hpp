// Internal to the request decoder: a strict reader of one JSON object of
// params. Every decoder reads its fields through it so that the rules of
// docs/protocol.md (types, ranges, limits, unknown fields) are applied the
// same way everywhere and the first error found is the one answered.
//
// Values are copied out into std::string; the reader itself refers to the
// parser's document and must not outlive the decode_frame call.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "error.hpp"
#include "limits.hpp"
#include "request.hpp"

namespace parley::detail {

class FieldReader {
 public:
  // `obj` is nullopt for absent params (read as {}). `prefix` names the
  // object in error data ("filter", "participants[2]"); empty at top level.
  FieldReader(std::optional<simdjson::dom::object> obj, const Limits& limits,
              std::string prefix = {});

  const Limits& limits() const { return limits_; }
  bool ok() const { return !error_.has_value(); }
  // Records `e` unless an earlier error is already recorded.
  void fail(Error e);
  // The error data name of `key` in this object ("filter.state").
  std::string path(std::string_view key) const;

  // Marks `key` read. Returns its value; nullopt when absent. A null value
  // is returned by take_any and treated as absent by take: a client may
  // send null for any optional field (e.g. `cursor: nextCursor`).
  std::optional<simdjson::dom::element> take_any(std::string_view key);
  std::optional<simdjson::dom::element> take(std::string_view key);
  // True when `key` is present with a non-null value; does not mark it read.
  bool has(std::string_view key) const;

  // Ids and names: non-empty strings of at most limits.name_chars code points.
  void id(std::string_view key, std::string& out);                 // required
  void id(std::string_view key, std::optional<std::string>& out);  // optional
  // updateConversation style: absent leaves `out` unset, null sets it to an
  // empty inner optional.
  void nullable_id(std::string_view key, std::optional<std::optional<std::string>>& out);
  // A non-empty string of at most `max_bytes` bytes (token, imageUrl).
  void bytes(std::string_view key, std::optional<std::string>& out, size_t max_bytes);
  void nullable_bytes(std::string_view key, std::optional<std::optional<std::string>>& out,
                      size_t max_bytes);
  // As bytes / nullable_bytes, and an http:// or https:// URL (imageUrl,
  // sendFile's url): other clients load it, so never javascript:, data:, file:.
  void url(std::string_view key, std::optional<std::string>& out, size_t max_bytes);
  void nullable_url(std::string_view key, std::optional<std::optional<std::string>>& out,
                    size_t max_bytes);
  // Message text: required, non-empty, at most `max_chars` code points.
  void text(std::string_view key, std::string& out, size_t max_chars);
  // Free-form JSON (metadata, rich content, custom event data...): false,
  // after recording the error, when an object inside `v` (at any depth)
  // holds a key twice; its path names it.
  bool unique_keys(std::string_view key, const simdjson::dom::element& v);
  // A JSON object, stored minified; over `max_bytes` serialized is 413.
  void json_object(std::string_view key, std::optional<std::string>& out, size_t max_bytes);
  // A JSON array, stored minified; over `max_chars` code points serialized is 413.
  void json_array(std::string_view key, std::optional<std::string>& out, size_t max_chars);
  // An array of ids (each as `id`), at most `max_items` of them (413).
  void id_array(std::string_view key, std::vector<std::string>& out, size_t max_items);

  // Integers in [min, max]; a fraction is "expected integer", outside the
  // range (negative included) "out of range".
  void unsigned_int(std::string_view key, uint64_t& out, uint64_t min, uint64_t max);
  void unsigned_int(std::string_view key, std::optional<uint64_t>& out, uint64_t min, uint64_t max);
  void signed_int(std::string_view key, std::optional<int64_t>& out, int64_t min, int64_t max);
  void nullable_signed_int(std::string_view key, std::optional<std::optional<int64_t>>& out,
                           int64_t min, int64_t max);
  void boolean(std::string_view key, std::optional<bool>& out);
  // A string among `choices`; returns its index. Absent: nullopt, or the
  // error "required" when `required`.
  std::optional<size_t> one_of(std::string_view key, std::span<const std::string_view> choices,
                               bool required = false);

  // A nested object or array, for the caller to read further.
  std::optional<simdjson::dom::object> object(std::string_view key);
  std::optional<simdjson::dom::array> array(std::string_view key);

  // Ends reading: an unread key is "unknown field". Returns ok().
  bool finish();
  // The recorded error (only when !ok()).
  Error take_error() { return std::move(*error_); }

 private:
  struct Entry {
    std::string_view key;
    simdjson::dom::element value;
    bool read = false;
  };
  Entry* find(std::string_view key);
  const Entry* find(std::string_view key) const;
  // Type-checks a string value; nullopt after recording the error.
  std::optional<std::string_view> string_value(std::string_view key,
                                               const simdjson::dom::element& v);
  // A non-empty string of at most `max_bytes`; nullopt after recording the error.
  std::optional<std::string_view> bounded_bytes(std::string_view key,
                                                const simdjson::dom::element& v, size_t max_bytes);
  // The id rule on an already type-checked string.
  bool check_id(std::string_view key, std::string_view s);
  std::optional<int64_t> integer_in(std::string_view key, const simdjson::dom::element& v,
                                    int64_t min, int64_t max);

  std::vector<Entry> entries_;
  const Limits& limits_;
  std::string prefix_;
  std::optional<Error> error_;
};

}  // namespace parley::detail
