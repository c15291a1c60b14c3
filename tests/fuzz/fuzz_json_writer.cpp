// The JSON writer (protocol/json_writer.cpp): a value built from the fuzz
// input is written, parsed back with simdjson and compared.
//
// The input is a little program: each byte picks what comes next (object,
// array, string of arbitrary bytes, int64, uint64, double, bool, null, an
// already-serialized value through raw()), the following bytes its content.
// When every string is valid UTF-8 the output must parse and equal the
// value (strings byte for byte, numbers exactly, keys in order, duplicates
// kept, non-finite doubles as null); when one is not, simdjson must refuse
// the output for its UTF-8 only (the escaping kept the structure intact).
#include <simdjson.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "json_writer.hpp"

namespace {

using parley::JsonWriter;
using parley::fuzz::Input;

// The value as built, to compare with what simdjson reads back.
struct Value {
  enum Kind { object, array, string, int64, uint64, dbl, boolean, null } kind = null;
  std::string text;  // string (object keys in `keys`)
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  bool b = false;
  std::vector<std::string> keys;
  std::vector<Value> items;
};

constexpr int kMaxDepth = 24;  // under simdjson's default 1024, and a small stack

Value build(Input& in, JsonWriter& w, int depth, bool& utf8) {
  Value v;
  const uint8_t op = in.byte();
  switch (depth >= kMaxDepth ? 2 + op % 7 : op % 9) {
    case 0:
    case 1: {
      const bool obj = op % 9 == 0;
      v.kind = obj ? Value::object : Value::array;
      obj ? w.begin_object() : w.begin_array();
      const size_t n = in.below(6);
      for (size_t k = 0; k < n && !in.empty(); ++k) {
        if (obj) {
          v.keys.push_back(in.bytes(12));
          utf8 &= simdjson::validate_utf8(v.keys.back().data(), v.keys.back().size());
          w.key(v.keys.back());
        }
        v.items.push_back(build(in, w, depth + 1, utf8));
      }
      obj ? w.end_object() : w.end_array();
      break;
    }
    case 2:
      v.kind = Value::string;
      v.text = in.bytes(40);
      utf8 &= simdjson::validate_utf8(v.text.data(), v.text.size());
      w.value(v.text);
      break;
    case 3:
      v.kind = Value::int64;
      v.i = static_cast<int64_t>(in.u64());
      w.value(v.i);
      break;
    case 4:
      v.kind = Value::uint64;
      v.u = in.u64();
      w.value(v.u);
      break;
    case 5: {
      v.kind = Value::dbl;
      const uint64_t bits = in.u64();
      std::memcpy(&v.d, &bits, sizeof bits);
      if (!std::isfinite(v.d)) v.kind = Value::null;
      w.value(v.d);
      break;
    }
    case 6:
      v.kind = Value::boolean;
      v.b = in.flag();
      w.value(v.b);
      break;
    case 7:
      v.kind = Value::null;
      w.null();
      break;
    default: {
      // raw(): a string written by append_json_string, spliced verbatim.
      v.kind = Value::string;
      v.text = in.bytes(20);
      utf8 &= simdjson::validate_utf8(v.text.data(), v.text.size());
      std::string serialized;
      parley::append_json_string(serialized, v.text);
      w.raw(serialized);
      break;
    }
  }
  return v;
}

// A number read back as the value it was written from. The writer prints
// doubles in their shortest round-trip form ("1" for 1.0, "1e+300"), which
// simdjson may read as an integer.
bool same_number(const Value& v, simdjson::dom::element e) {
  int64_t i;
  uint64_t u;
  double d;
  switch (v.kind) {
    case Value::int64:
      return !e.get_int64().get(i) && i == v.i;
    case Value::uint64:
      return !e.get_uint64().get(u) && u == v.u;
    case Value::dbl:
      // Digits only (a whole double is printed so when that is shortest):
      // the integer read back must round to the same double.
      if (e.is_int64()) return static_cast<double>(e.get_int64().value_unsafe()) == v.d;
      if (e.is_uint64()) return static_cast<double>(e.get_uint64().value_unsafe()) == v.d;
      return !e.get_double().get(d) && d == v.d;
    default:
      return false;
  }
}

bool same(const Value& v, simdjson::dom::element e) {
  switch (v.kind) {
    case Value::object: {
      simdjson::dom::object o;
      if (e.get_object().get(o)) return false;
      size_t k = 0;
      for (auto field : o) {
        if (k >= v.items.size() || field.key != v.keys[k] || !same(v.items[k], field.value))
          return false;
        ++k;
      }
      return k == v.items.size();
    }
    case Value::array: {
      simdjson::dom::array a;
      if (e.get_array().get(a)) return false;
      size_t k = 0;
      for (auto item : a) {
        if (k >= v.items.size() || !same(v.items[k], item)) return false;
        ++k;
      }
      return k == v.items.size();
    }
    case Value::string: {
      std::string_view s;
      return !e.get_string().get(s) && s == v.text;
    }
    case Value::boolean: {
      bool b;
      return !e.get_bool().get(b) && b == v.b;
    }
    case Value::null:
      return e.is_null();
    default:
      return same_number(v, e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  JsonWriter w;
  bool utf8 = true;
  const Value v = build(in, w, 0, utf8);
  const std::string& out = w.str();

  static simdjson::dom::parser parser;
  simdjson::dom::element root;
  const auto err = parser.parse(out.data(), out.size()).get(root);
  if (!utf8) {
    FUZZ_CHECK(err == simdjson::UTF8_ERROR);
    return 0;
  }
  if (err) {
    std::fprintf(stderr, "simdjson: %s on %s\n", simdjson::error_message(err), out.c_str());
    FUZZ_CHECK(!err);
  }
  if (!same(v, root)) {
    std::fprintf(stderr, "read back differs: %s\n", out.c_str());
    FUZZ_CHECK(false);
  }
  // Written again after clear(), the writer gives the same bytes.
  const std::string first = out;
  w.clear();
  Input again(data, size);
  bool ignored = true;
  build(again, w, 0, ignored);
  FUZZ_CHECK(w.str() == first);
  return 0;
}
