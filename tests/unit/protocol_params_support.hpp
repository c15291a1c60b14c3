// What the params decoding tests share: a call of one method decoded
// through decode_frame, its typed params, or its error as text.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "request.hpp"

namespace parley::testing {

// A JSON-RPC request of `method` with `params` (raw JSON) and id 1.
inline std::string request(std::string_view method, std::string_view params) {
  std::string s = R"({"jsonrpc":"2.0","id":1,"method":")";
  s.append(method).append(R"(","params":)").append(params).append("}");
  return s;
}

// A JSON string literal of `s` (no escaping: test text only).
inline std::string jstr(std::string_view s) { return "\"" + std::string(s) + "\""; }

// The params of that request as decode_frame gives them (or their error).
inline Result<Params> decode_params(std::string_view method, std::string_view params,
                                    const Limits& limits = {}) {
  auto f = decode_frame(request(method, params), limits);
  REQUIRE(f.ok());
  REQUIRE(f->calls.size() == 1);
  return f->calls[0].params;
}

// The typed params of a call that must decode: of type T, or of the method's
// own type derived from the shape T (params::ConversationRef for leave).
template <class T>
T ok(std::string_view method, std::string_view params, const Limits& limits = {}) {
  auto p = decode_params(method, params, limits);
  if (!p.ok()) FAIL_CHECK("unexpected error: " << p.error().message << " " << p.error().data);
  REQUIRE(p.ok());
  const T* typed = std::visit(
      [](const auto& v) -> const T* {
        if constexpr (std::is_base_of_v<T, std::decay_t<decltype(v)>>)
          return &v;
        else
          return nullptr;
      },
      p.value());
  REQUIRE(typed != nullptr);
  return *typed;
}

// The error's code and data, as "-32602 {...}"; "ok" when it decoded.
inline std::string error(std::string_view method, std::string_view params,
                         const Limits& limits = {}) {
  auto p = decode_params(method, params, limits);
  if (p.ok()) return "ok";
  return std::to_string(p.error().code) + " " + p.error().data;
}

}  // namespace parley::testing
