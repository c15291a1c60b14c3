// On the Redis engine: /metrics shows the Redis command latency by kind,
// and every metric the Grafana dashboard (deploy/grafana-dashboard.json)
// queries is one this broker exports.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "metrics_support.hpp"
#include "redis_support.hpp"

using namespace parley::it;

TEST_CASE("redis /metrics: command latency by kind; the dashboard's metrics all exist") {
  RedisServer redis;
  BrokerProcess node(node_args(redis, "n1"));
  REQUIRE(storage_ready(node.port()));
  const auto port = node.port();
  const std::string script = "kind=\"script\"";
  const double scripts_before =
      value(scrape(port), "parley_redis_command_duration_seconds_count{" + script + "}");

  auto ann = login(port, "ann", "agent");
  Json conv = create_conversation(*ann);
  for (int i = 0; i < 3; ++i) send_message(*ann, conv.get_string("/id"), "hi");

  auto after = scrape(port);
  // Every commit is a script: at least the creation and three appends.
  CHECK(value(after, "parley_redis_command_duration_seconds_count{" + script + "}") -
            scripts_before >=
        4);
  check_buckets(after, "parley_redis_command_duration_seconds", script);
  check_buckets(after, "parley_redis_command_duration_seconds", "kind=\"command\"");

  // The dashboard: valid JSON, and each parley_* name in its queries exported.
  std::ifstream file(std::string(PARLEY_SOURCE_DIR) + "/deploy/grafana-dashboard.json");
  REQUIRE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  Json dashboard = Json::parse(text.str());
  const std::set<std::string> exported = exported_names(port);
  const std::regex name(R"(parley_[a-z0-9_]+)");
  size_t queries = 0;
  for (const Json& panel : dashboard.items("/panels")) {
    for (const Json& target : panel.items("/targets")) {
      const std::string expr = target.get_string("/expr");
      ++queries;
      for (std::sregex_iterator it(expr.begin(), expr.end(), name), end; it != end; ++it)
        CHECK_MESSAGE(exported.count(it->str()), panel.get_string("/title"), ": ", it->str(),
                      " is not in /metrics");
    }
  }
  CHECK(queries >= 12);
}
