// What broker/observe adds: the per-method request metrics (which series
// appear, the errors by code, "unknown" for a call with no method) and the
// log's fields and request ids.
#include <doctest/doctest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <sstream>
#include <string>

#include "observe/logging.hpp"
#include "observe/request_metrics.hpp"
#include "request.hpp"

using namespace parley;
using namespace std::chrono_literals;

TEST_CASE("request metrics: a method's series appear once it is called, per transport") {
  observe::RequestMetrics m;
  const auto send = method_index("sendMessage");
  REQUIRE(send);
  std::string before;
  m.render(before);
  CHECK(before.find("method=\"sendMessage\"") == std::string::npos);

  m.observe(observe::Transport::ws, send, 0, 2ms);
  m.observe(observe::Transport::ws, send, code::forbidden, 30ms);
  m.observe(observe::Transport::http, send, 0, 1ms);
  m.observe(observe::Transport::http, std::nullopt, code::method_not_found, 1ms);
  CHECK(m.latency(observe::Transport::ws, send).count() == 2);
  CHECK(m.latency(observe::Transport::http, send).count() == 1);
  CHECK(m.errors(send, code::forbidden) == 1);
  CHECK(m.errors(send, code::conflict) == 0);
  CHECK(m.errors(std::nullopt, code::method_not_found) == 1);
  m.observe(observe::Transport::ws, send, 4242, 1ms);  // a code counted as "other"
  CHECK(m.errors(send, 4242) == 1);

  std::string out;
  m.render(out);
  CHECK(out.find("parley_request_duration_seconds_count{method=\"sendMessage\",transport=\"ws\"} "
                 "3\n") != std::string::npos);
  CHECK(out.find("parley_request_duration_seconds_count{method=\"sendMessage\",transport=\"http\"}"
                 " 1\n") != std::string::npos);
  CHECK(out.find("parley_request_duration_seconds_count{method=\"unknown\",transport=\"http\"} "
                 "1\n") != std::string::npos);
  CHECK(out.find("parley_request_method_errors_total{method=\"sendMessage\",code=\"403\"} 1\n") !=
        std::string::npos);
  CHECK(out.find("parley_request_method_errors_total{method=\"sendMessage\",code=\"other\"} 1\n") !=
        std::string::npos);
  CHECK(out.find("parley_request_method_errors_total{method=\"unknown\",code=\"-32601\"} 1\n") !=
        std::string::npos);
  CHECK(out.find("method=\"ping\"") == std::string::npos);
}

TEST_CASE("request ids: X-Request-Id is kept to safe characters and 64 of them") {
  CHECK(observe::request_id_from_header("abc-123_x.y:z") == "abc-123_x.y:z");
  CHECK(observe::request_id_from_header("a b\"c\n\rd{}") == "abcd");
  CHECK(observe::request_id_from_header(std::string(100, 'q')) == std::string(64, 'q'));
  const std::string fresh = observe::request_id_from_header(" \"\n");
  CHECK(fresh.size() == 16);
  CHECK(fresh != observe::new_request_id());
}

TEST_CASE("log format: fields follow the message, nested scopes outermost first") {
  std::ostringstream text;
  auto logger = std::make_shared<spdlog::logger>(
      "obs-test", std::make_shared<spdlog::sinks::ostream_sink_st>(text));
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);

  observe::set_log_format(observe::LogFormat::text, "n1");
  {
    observe::LogFields outer{{"request_id", "r-1"}};
    observe::LogFields inner{{"method", "ping"}, {"note", "two words"}};
    spdlog::info("hello");
  }
  spdlog::info("plain");
  const std::string t = text.str();
  CHECK(t.find("] hello request_id=r-1 method=ping note=\"two words\"\n") != std::string::npos);
  CHECK(t.find("] plain\n") != std::string::npos);

  text.str("");
  observe::set_log_format(observe::LogFormat::json, "n1");
  {
    observe::LogFields f{{"request_id", "r-2"}};
    spdlog::warn("quote \" and \xff byte");
  }
  const std::string j = text.str();
  CHECK(j.starts_with("{\"ts\":\""));
  CHECK(j.find("\"level\":\"warning\",\"msg\":\"quote \\\" and ? byte\",\"node\":\"n1\","
               "\"request_id\":\"r-2\"}\n") != std::string::npos);
  spdlog::set_default_logger(previous);
}
