// Valid JSON that the parser (simdjson) refuses: numbers beyond 64 bits (an
// integer past the int64 / uint64 range, a float past double's, like 1e400)
// and strings with a lone UTF-16 surrogate escape ("\ud800"). RFC 8259
// allows both; they are bad values, not bad JSON, and are answered as such
// (-32600 for an id, -32602 for a param) rather than as -32700.
//
// Used only after the parser refused a frame, so the common path pays
// nothing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace parley {

// One value the parser cannot hold, and where it is.
struct UnrepresentableValue {
  // From the root: an array index or an object key (a key itself when the
  // value is a key with a lone surrogate).
  std::vector<std::variant<size_t, std::string>> path;
  std::string reason;  // "number out of range", "lone surrogate escape"
};

struct PatchedJson {
  // `text` with every such value replaced by a representable one of the
  // same length (a number by 0 and spaces, a lone surrogate escape by
  // \ufffd), so that it parses and every offset is kept.
  std::string text;
  std::vector<UnrepresentableValue> values;  // in text order, at least one
};

// nullopt when `text` is not JSON (RFC 8259), is nested deeper than
// `max_depth` containers, or holds no such value (the parser refused it
// for another reason).
std::optional<PatchedJson> patch_unrepresentable(std::string_view text, size_t max_depth);

// "a.b[2].c": a path as FieldReader names fields (keys cut to 128 code
// points, as every echoed key is).
std::string field_path(const std::vector<std::variant<size_t, std::string>>& path, size_t from);

}  // namespace parley
