#include "json.hpp"

#include <cstdio>

namespace parley::it {

namespace {

// One parser per thread, reused; documents are owned by each Json.
simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

std::string shorten(const std::string& s) {
  constexpr size_t kMax = 2000;
  if (s.size() <= kMax) return s;
  return s.substr(0, kMax) + "...(" + std::to_string(s.size()) + " bytes)";
}

}  // namespace

Json Json::parse(std::string text) {
  Json j;
  j.text_ = std::make_shared<const std::string>(std::move(text));
  j.doc_ = std::make_shared<simdjson::dom::document>();
  auto result = thread_parser().parse_into_document(*j.doc_, j.text_->data(), j.text_->size());
  if (result.error()) {
    throw JsonError("not JSON (" + std::string(simdjson::error_message(result.error())) +
                    "): " + shorten(*j.text_));
  }
  j.element_ = result.value_unsafe();
  return j;
}

std::string Json::dump() const { return simdjson::minify(element_); }

void Json::fail(std::string_view pointer, std::string_view what) const {
  throw JsonError("JSON pointer '" + std::string(pointer) + "': " + std::string(what) +
                  " in frame " + shorten(*text_));
}

simdjson::dom::element Json::find(std::string_view pointer) const {
  if (pointer.empty()) return element_;
  auto r = element_.at_pointer(pointer);
  if (r.error()) fail(pointer, "missing");
  return r.value_unsafe();
}

bool Json::has(std::string_view pointer) const {
  if (pointer.empty()) return true;
  return !element_.at_pointer(pointer).error();
}

bool Json::is_null(std::string_view pointer) const { return find(pointer).is_null(); }
bool Json::is_object(std::string_view pointer) const { return find(pointer).is_object(); }
bool Json::is_array(std::string_view pointer) const { return find(pointer).is_array(); }
bool Json::is_string(std::string_view pointer) const { return find(pointer).is_string(); }
bool Json::is_int(std::string_view pointer) const {
  auto e = find(pointer);
  return e.is_int64() || e.is_uint64();
}

Json Json::at(std::string_view pointer) const {
  Json j = *this;
  j.element_ = find(pointer);
  return j;
}

int64_t Json::get_int(std::string_view pointer) const {
  auto e = find(pointer);
  int64_t v = 0;
  if (e.get_int64().get(v)) fail(pointer, "not an integer");
  return v;
}

std::string Json::get_string(std::string_view pointer) const {
  auto e = find(pointer);
  std::string_view v;
  if (e.get_string().get(v)) fail(pointer, "not a string");
  return std::string(v);
}

bool Json::get_bool(std::string_view pointer) const {
  auto e = find(pointer);
  bool v = false;
  if (e.get_bool().get(v)) fail(pointer, "not a boolean");
  return v;
}

double Json::get_double(std::string_view pointer) const {
  auto e = find(pointer);
  double v = 0;
  if (e.get_double().get(v)) fail(pointer, "not a number");
  return v;
}

size_t Json::size(std::string_view pointer) const {
  auto e = find(pointer);
  if (e.is_array()) return simdjson::dom::array(e).size();
  if (e.is_object()) return simdjson::dom::object(e).size();
  fail(pointer, "neither array nor object");
}

std::vector<Json> Json::items(std::string_view pointer) const {
  auto e = find(pointer);
  if (!e.is_array()) fail(pointer, "not an array");
  std::vector<Json> out;
  for (auto item : simdjson::dom::array(e)) {
    Json j = *this;
    j.element_ = item;
    out.push_back(std::move(j));
  }
  return out;
}

bool Json::is_push() const { return element_.is_object() && has("/method") && !has("/id"); }

bool Json::is_response() const {
  return element_.is_object() && has("/id") && (has("/result") || has("/error"));
}

std::string Json::method() const {
  if (!element_.is_object() || !has("/method") || !is_string("/method")) return "";
  return get_string("/method");
}

std::string quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string obj(std::initializer_list<std::pair<std::string_view, JVal>> members) {
  std::string out = "{";
  for (const auto& [key, value] : members) {
    if (out.size() > 1) out += ',';
    out += quote(key);
    out += ':';
    out += value.json();
  }
  out += '}';
  return out;
}

std::string arr(std::initializer_list<JVal> items) {
  std::string out = "[";
  for (const auto& item : items) {
    if (out.size() > 1) out += ',';
    out += item.json();
  }
  out += ']';
  return out;
}

std::string arr(const std::vector<std::string>& raw_items) {
  std::string out = "[";
  for (const auto& item : raw_items) {
    if (out.size() > 1) out += ',';
    out += item;
  }
  out += ']';
  return out;
}

}  // namespace parley::it
