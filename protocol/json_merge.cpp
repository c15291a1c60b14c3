#include "json_merge.hpp"

#include <simdjson.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "json_writer.hpp"

namespace parley {

namespace {

// One top-level key to set (value: serialized JSON) or, without a value, to remove.
struct Change {
  std::string_view key;
  std::optional<std::string> value;
  bool written = false;
};

// Parses `json` as an object with `parser`; nullopt when it is not one.
std::optional<simdjson::dom::object> parse_object(simdjson::dom::parser& parser,
                                                  std::string_view json) {
  simdjson::dom::object obj;
  if (parser.parse(json.data(), json.size(), true).get_object().get(obj)) return std::nullopt;
  return obj;
}

// Records a change; a later change of the same key replaces an earlier one.
void add_change(std::vector<Change>& changes, std::string_view key,
                std::optional<std::string> value) {
  auto it =
      std::find_if(changes.begin(), changes.end(), [&](const Change& c) { return c.key == key; });
  if (it != changes.end())
    it->value = std::move(value);
  else
    changes.push_back({key, std::move(value)});
}

void append_member(std::string& out, bool& first, std::string_view key, std::string_view value) {
  if (!first) out.push_back(',');
  first = false;
  append_json_string(out, key);
  out.push_back(':');
  out.append(value);
}

// Writes `base_obj` with `changes` applied. The base is parsed with its own
// parser: the changes may still point into the patch's document.
std::string apply(std::string_view base_obj, std::vector<Change>& changes) {
  thread_local simdjson::dom::parser base_parser;
  std::string out = "{";
  bool first = true;
  std::vector<std::string_view> seen;
  if (auto base = parse_object(base_parser, base_obj)) {
    for (auto field : *base) {
      if (std::find(seen.begin(), seen.end(), field.key) != seen.end()) continue;
      seen.push_back(field.key);
      auto change = std::find_if(changes.begin(), changes.end(),
                                 [&](const Change& c) { return c.key == field.key; });
      if (change == changes.end()) {
        append_member(out, first, field.key, simdjson::minify(field.value));
        continue;
      }
      change->written = true;
      if (change->value) append_member(out, first, field.key, *change->value);
    }
  }
  for (const auto& c : changes)
    if (!c.written && c.value) append_member(out, first, c.key, *c.value);
  out.push_back('}');
  return out;
}

}  // namespace

std::string merge_object(std::string_view base_obj, std::string_view patch_obj) {
  thread_local simdjson::dom::parser patch_parser;
  std::vector<Change> changes;
  if (auto patch = parse_object(patch_parser, patch_obj)) {
    for (auto field : *patch) {
      if (field.value.is_null())
        add_change(changes, field.key, std::nullopt);
      else
        add_change(changes, field.key, simdjson::minify(field.value));
    }
  }
  return apply(base_obj, changes);
}

std::string set_fields(
    std::string_view base_obj,
    std::initializer_list<std::pair<std::string_view, std::string_view>> fields_json) {
  std::vector<Change> changes;
  for (const auto& [key, value] : fields_json) add_change(changes, key, std::string(value));
  return apply(base_obj, changes);
}

}  // namespace parley
