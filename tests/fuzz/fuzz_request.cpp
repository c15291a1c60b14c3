// The JSON-RPC frame decoder and every params decoder (protocol/request*.cpp)
// over arbitrary bytes: the whole input is one text frame.
//
// Invariants: the frame is either an error with a frame-level code (-32700
// not JSON / too deep, -32600 batch) or 1..limits.batch calls; each call
// holds typed params or an error with a JSON-RPC code the protocol allows
// for a call (-32600, -32601, -32602, 413). Every answer the broker would
// send (response_error with the call's id) is valid JSON, so nothing echoed
// from the input (ids, methods, field names) breaks the response. Decoding
// is deterministic: the same frame again (the parser is reused per thread)
// gives the same answers. Each frame is decoded with the default limits and
// with tight ones, so the limit checks (413, batch size) are reached too.
#include <simdjson.h>

#include <string>
#include <variant>

#include "fuzz_support.hpp"
#include "request.hpp"
#include "serialize.hpp"

namespace {

bool valid_json(std::string_view s) {
  static simdjson::dom::parser parser;
  simdjson::dom::element e;
  return !parser.parse(s.data(), s.size()).get(e);
}

// What the frame answers, as one string: errors serialized as the broker
// serializes them, typed params by their variant index.
std::string answers(std::string_view text, const parley::Limits& limits) {
  auto frame = parley::decode_frame(text, limits);
  if (!frame) {
    const parley::Error& e = frame.error();
    FUZZ_CHECK(e.code == parley::code::parse_error || e.code == parley::code::invalid_request);
    std::string r = parley::response_error("null", e);
    FUZZ_CHECK(valid_json(r));
    return r;
  }
  const auto& calls = frame.value().calls;
  FUZZ_CHECK(!calls.empty());
  FUZZ_CHECK(frame.value().batch ? calls.size() <= limits.batch : calls.size() == 1);
  std::string out;
  for (const parley::Call& c : calls) {
    FUZZ_CHECK(valid_json(c.id));
    if (c.params) {
      FUZZ_CHECK(!c.method.empty());
      out += c.id + ' ' + c.method + ' ' + std::to_string(c.params.value().index()) + '\n';
      continue;
    }
    const parley::Error& e = c.params.error();
    FUZZ_CHECK(e.code == parley::code::invalid_request || e.code == parley::code::method_not_found ||
               e.code == parley::code::invalid_params || e.code == parley::code::too_large);
    FUZZ_CHECK(e.data.empty() || valid_json(e.data));
    if (e.code == parley::code::invalid_request) FUZZ_CHECK(!c.notification);
    std::string r = parley::response_error(c.id, e);
    FUZZ_CHECK(valid_json(r));
    out += r + '\n';
  }
  return out;
}

parley::Limits tight_limits() {
  parley::Limits l;
  l.batch = 3;
  l.text_chars = 5;
  l.rich_content_chars = 12;
  l.note_chars = 6;
  l.metadata_bytes = 16;
  l.name_chars = 4;
  l.page_max = 3;
  l.query_max = 4;
  return l;  // json_depth as the default: the parser is not reallocated
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static const parley::Limits defaults;
  static const parley::Limits tight = tight_limits();
  const std::string first = answers(text, defaults);
  FUZZ_CHECK(answers(text, tight).size() > 0);
  FUZZ_CHECK(answers(text, defaults) == first);
  return 0;
}
