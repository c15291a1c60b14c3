// The settings of the hooks (docs/webhooks.md): the webhooks (`webhook`
// entries, usually in the --config file) and the moderation hook
// (--send-hook). config.cpp adds describe() to the option table and calls
// apply() with what was read.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "hooks/http_client.hpp"

namespace parley::hooks {

// One `webhook` entry: `tenant=T url=URL secret=S [events=a,b] [name=N]`.
struct Webhook {
  std::string name;                 // default: "<tenant>-<n>"; unique
  std::string tenant;
  HttpTarget url;
  std::string secret;
  std::vector<std::string> events;  // event types; empty = every type
  bool wants(std::string_view type) const;
};
// Parses one entry; `index` names it when it has no name.
Result<Webhook> parse_webhook(std::string_view text, size_t index);

struct HooksConfig {
  std::vector<Webhook> webhooks;
  // A failed delivery waits retry_base_ms, then twice that, ... (at most
  // retry_max_ms) until retry_budget_ms after its first attempt; then it
  // goes to the dead-letter list.
  int64_t retry_base_ms = 1000;
  int64_t retry_max_ms = 3600 * 1000;
  int64_t retry_budget_ms = 24 * 3600 * 1000;
  // Redis engine: one node per shard delivers, holding a lease this long
  // (renewed at a third of it); a node killed holds it until it expires.
  int64_t lease_ms = 10000;
  int64_t max_parallel = 64;  // deliveries in flight per node
  std::string ca_file;        // CAs for https:// receivers ("" = the system's)

  // The moderation hook (send_hook.hpp); no URL = none.
  std::optional<HttpTarget> send_hook;
  std::string send_hook_secret;
  int64_t send_hook_timeout_ms = 1000;
  bool send_hook_fail_open = false;
  int64_t send_hook_max_inflight = 256;

  // Does any webhook of `tenant` want events of `type`?
  bool wants(std::string_view tenant, std::string_view type) const;
  bool any(std::string_view tenant) const;
};

boost::program_options::options_description describe();
boost::program_options::options_description describe_hidden();
Status apply(const boost::program_options::variables_map& vm, HooksConfig& out);

}  // namespace parley::hooks
