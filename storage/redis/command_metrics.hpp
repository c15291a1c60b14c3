// The Redis command latency /metrics shows:
// `parley_redis_command_duration_seconds{kind}`, from a command's send to
// its reply, on the command connections (redis_connection.cpp). The engine
// owns one and hands its address to every connection through
// ConnectionOptions::metrics; Engine::render_metrics renders it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "histogram.hpp"

namespace parley::redis {

struct CommandMetrics {
  // script: EVALSHA, EVAL, FCALL (every commit and most reads); wait: WAIT
  // (--redis-wait-replicas); command: the rest.
  enum Kind : uint8_t { script = 0, wait = 1, command = 2 };
  static constexpr std::array<std::string_view, 3> kKindNames = {"script", "wait", "command"};

  static Kind kind_of(std::string_view name) {
    auto is = [&](std::string_view want) {
      if (name.size() != want.size()) return false;
      for (size_t i = 0; i < name.size(); ++i)
        if ((name[i] | 0x20) != want[i]) return false;
      return true;
    };
    if (is("evalsha") || is("eval") || is("fcall") || is("evalsha_ro") || is("eval_ro"))
      return script;
    return is("wait") ? wait : command;
  }

  void render(std::string& out) const {
    LatencyHistogram::render_header(out, "parley_redis_command_duration_seconds",
                                    "From a Redis command's send to its reply, by kind.");
    for (size_t k = 0; k < by_kind.size(); ++k)
      by_kind[k].render(out, "parley_redis_command_duration_seconds",
                        "kind=\"" + std::string(kKindNames[k]) + "\"");
  }

  std::array<LatencyHistogram, 3> by_kind;
};

}  // namespace parley::redis
