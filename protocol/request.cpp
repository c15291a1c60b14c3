// Frame and envelope decoding (docs/protocol.md, "Envelope"). The params of
// each method are decoded in request_params.cpp through the strict reader of
// request_fields.cpp.
#include "request.hpp"

#include <simdjson.h>

#include <algorithm>

#include "json_unrepresentable.hpp"
#include "json_writer.hpp"
#include "request_fields.hpp"
#include "request_params.hpp"

namespace parley {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr size_t kIdChars = 64;    // longest string id (docs/protocol.md, "Envelope")
constexpr size_t kEchoChars = 64;  // longest piece of input echoed in a message

Call invalid(Call call, std::string message) {
  call.notification = false;  // an invalid request is answered, id or not
  call.params = invalid_request(message);
  return call;
}

// Decodes one request object of a frame (or the frame's single value). A
// problem with the envelope is -32600 and is answered even without an id,
// with the id when it could be read, as JSON-RPC 2.0 asks.
Call decode_call(element el, const Limits& limits) {
  Call call;
  call.id = "null";
  simdjson::dom::object obj;
  if (el.get_object().get(obj)) return invalid(std::move(call), "invalid request: not an object");

  std::optional<element> jsonrpc, method, id, params;
  std::string member_problem;
  bool id_repeated = false;
  for (auto field : obj) {
    std::optional<element>* slot = field.key == "jsonrpc"  ? &jsonrpc
                                   : field.key == "method" ? &method
                                   : field.key == "id"     ? &id
                                   : field.key == "params" ? &params
                                                           : nullptr;
    std::string_view what = !slot ? "unknown" : *slot ? "duplicate" : "";
    if (what.empty()) {
      *slot = field.value;
      continue;
    }
    id_repeated |= slot == &id;
    if (member_problem.empty()) {
      member_problem.append("invalid request: ").append(what).append(" member ");
      append_json_string(member_problem, first_code_points(field.key, kEchoChars));
    }
  }

  // The id first, so that every later error can carry it.
  if (id && !id_repeated) {
    switch (id->type()) {
      case element_type::INT64:
      case element_type::UINT64:
      case element_type::DOUBLE: call.id = simdjson::minify(*id); break;
      case element_type::NULL_VALUE: break;
      case element_type::STRING: {
        std::string_view s = id->get_string().value_unsafe();
        if (code_points(s) > kIdChars)
          return invalid(std::move(call), "invalid request: string id over 64 characters");
        call.id.clear();
        append_json_string(call.id, s);
        break;
      }
      default:
        return invalid(std::move(call), "invalid request: id must be a number, a string or null");
    }
  }
  if (!member_problem.empty()) return invalid(std::move(call), std::move(member_problem));
  std::string_view version;
  if (!jsonrpc || jsonrpc->get_string().get(version) || version != "2.0")
    return invalid(std::move(call), R"(invalid request: jsonrpc must be "2.0")");
  std::string_view name;
  if (!method || method->get_string().get(name))
    return invalid(std::move(call), "invalid request: method must be a string");
  call.method.assign(name);
  // Params by position (an array) are well-formed JSON-RPC that this
  // protocol does not use: that is invalid params, checked after the method.
  if (params && !params->is_object() && !params->is_array())
    return invalid(std::move(call), "invalid request: params must be an object");

  call.notification = !id.has_value();
  call.index = method_index(call.method);
  if (!call.index) {
    call.params = method_not_found(first_code_points(call.method, 128));
    return call;
  }
  std::optional<simdjson::dom::object> params_obj;
  if (params) {
    if (params->get_object().get(params_obj.emplace())) {
      call.params = invalid_params("params", "expected object");
      return call;
    }
  }
  detail::FieldReader reader(params_obj, limits);
  call.params = detail::decode_params(*call.index, reader);
  return call;
}

Error parse_failure(simdjson::error_code e) {
  switch (e) {
    case simdjson::DEPTH_ERROR: return parse_error("parse error: nesting too deep");
    case simdjson::UTF8_ERROR: return parse_error("parse error: invalid UTF-8");
    default: return parse_error();
  }
}

// Refuses the calls holding a value the parser could not (patched in the
// frame that was decoded): a param is -32602 with its path, the id or any
// other part of the envelope -32600. The first such value of a call wins;
// an envelope already refused, or an unknown method, stays as it was.
void refuse_unrepresentable(RequestFrame& frame, const std::vector<UnrepresentableValue>& values) {
  std::vector<bool> refused(frame.calls.size(), false);
  for (const auto& v : values) {
    size_t at = 0, index = 0;
    if (frame.batch) {
      const size_t* i = v.path.empty() ? nullptr : std::get_if<size_t>(&v.path[0]);
      if (!i || *i >= frame.calls.size()) continue;
      index = *i;
      at = 1;
    }
    if (refused[index]) continue;
    refused[index] = true;
    Call& call = frame.calls[index];
    const std::string* member = at < v.path.size() ? std::get_if<std::string>(&v.path[at]) : nullptr;
    const int was = call.params.ok() ? 0 : call.params.error().code;
    if (member && *member == "params" && v.path.size() > at + 1) {
      if (was == 0 || was == code::invalid_params)
        call.params = invalid_params(field_path(v.path, at + 1), v.reason);
      continue;
    }
    if (member && *member == "id") {
      call.id = "null";
      call = invalid(std::move(call), "invalid request: id: " + v.reason);
    } else if (was != code::invalid_request) {
      std::string message = "invalid request: ";
      if (member) message.append(first_code_points(*member, kEchoChars)).append(": ");
      call = invalid(std::move(call), message + v.reason);
    }
  }
}

}  // namespace

Result<RequestFrame> decode_frame(std::string_view text, const Limits& limits) {
  thread_local simdjson::dom::parser parser;
  // simdjson counts a value inside the innermost container as one more
  // level: json_depth nested containers with content need json_depth + 1.
  const size_t depth = limits.json_depth + 1;
  if (parser.capacity() == 0 || parser.max_depth() != depth) {
    if (parser.allocate(std::max(text.size(), limits.frame_bytes), depth) != simdjson::SUCCESS)
      return Error{code::internal_error, "internal error: parser allocation failed", {}};
  }
  // realloc_if_needed: the frame is copied into the parser's padded buffer,
  // so `text` needs no SIMDJSON_PADDING of its own.
  element root;
  if (auto err = parser.parse(text.data(), text.size(), true).get(root)) {
    // Valid JSON the parser cannot hold (a number beyond 64 bits, a lone
    // surrogate escape) is a bad value, not "not JSON": decode the frame
    // with those values replaced, then refuse the calls that held them.
    if (err == simdjson::DEPTH_ERROR || err == simdjson::UTF8_ERROR) return parse_failure(err);
    auto patched = patch_unrepresentable(text, limits.json_depth + 1);
    if (!patched) return parse_failure(err);
    auto frame = decode_frame(patched->text, limits);
    if (frame.ok()) refuse_unrepresentable(*frame, patched->values);
    return frame;
  }

  RequestFrame frame;
  simdjson::dom::array batch;
  if (root.get_array().get(batch) == simdjson::SUCCESS) {
    frame.batch = true;
    const size_t n = batch.size();  // saturates at 2^24 - 1, still over any limit
    if (n == 0) return invalid_request("invalid request: empty batch");
    if (n > limits.batch) return invalid_request("invalid request: batch too large");
    frame.calls.reserve(n);
    for (element el : batch) frame.calls.push_back(decode_call(el, limits));
  } else {
    frame.calls.push_back(decode_call(root, limits));
  }
  return frame;
}

}  // namespace parley
