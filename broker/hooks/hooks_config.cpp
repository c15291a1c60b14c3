#include "hooks/hooks_config.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "config_options.hpp"

namespace parley::hooks {

namespace po = boost::program_options;
using config_options::setting;

namespace {

Error bad(std::string message) { return Error{code::invalid_params, std::move(message), {}}; }

Result<int64_t> whole(std::string_view flag, const std::string& text, int64_t min, int64_t max) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
    return bad(setting(flag) + ": expected a whole number from " + std::to_string(min) + " to " +
               std::to_string(max) + ", got \"" + text + "\"");
  return v;
}

}  // namespace

bool Webhook::wants(std::string_view type) const {
  return events.empty() || std::find(events.begin(), events.end(), type) != events.end();
}

bool HooksConfig::wants(std::string_view tenant, std::string_view type) const {
  return std::any_of(webhooks.begin(), webhooks.end(),
                     [&](const Webhook& w) { return w.tenant == tenant && w.wants(type); });
}

bool HooksConfig::any(std::string_view tenant) const {
  return std::any_of(webhooks.begin(), webhooks.end(),
                     [&](const Webhook& w) { return w.tenant == tenant; });
}

Result<Webhook> parse_webhook(std::string_view text, size_t index) {
  Webhook w;
  std::istringstream in{std::string(text)};
  auto fail = [&](const std::string& why) {
    return bad(setting("webhook") + ": " + why + " in \"" + std::string(text) + "\"");
  };
  bool has_url = false;
  for (std::string word; in >> word;) {
    auto eq = word.find('=');
    if (eq == std::string::npos) return fail("expected key=value words, got \"" + word + "\"");
    std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "tenant") {
      w.tenant = value;
    } else if (key == "url") {
      auto u = parse_http_url(value);
      if (!u) return fail("url must be http://HOST[:PORT]/PATH or https://...");
      w.url = std::move(*u);
      has_url = true;
    } else if (key == "secret") {
      w.secret = value;
    } else if (key == "name") {
      w.name = value;
    } else if (key == "events") {
      std::stringstream ss(value);
      for (std::string type; std::getline(ss, type, ',');)
        if (!type.empty() && type != "*") w.events.push_back(type);
    } else {
      return fail("unknown key \"" + key + "\" (tenant, url, secret, events, name)");
    }
  }
  if (w.tenant.empty()) return fail("tenant= is missing");
  if (!has_url) return fail("url= is missing");
  if (w.secret.empty()) return fail("secret= is missing");
  if (w.name.empty()) w.name = w.tenant + "-" + std::to_string(index + 1);
  return w;
}

po::options_description describe() {
  po::options_description d("Webhooks and the moderation hook (docs/webhooks.md)", 100);
  auto add = [&](const char* name, const char* arg, const char* help) {
    d.add_options()(name, po::value<std::string>()->value_name(arg), help);
  };
  d.add_options()("webhook", po::value<std::vector<std::string>>()->value_name("ENTRY"),
                  "a webhook: \"tenant=T url=URL secret=S [events=message,conversation.closed] "
                  "[name=N]\"; repeat for more (usually `webhook = ...` lines in --config)");
  add("webhook-retry-base-ms", "MS", "first retry delay, doubled each time (default 1000)");
  add("webhook-retry-max-ms", "MS", "longest retry delay (default 3600000)");
  add("webhook-retry-budget-sec", "S",
      "retry a delivery this long, then dead-letter it (default 86400)");
  add("webhook-ca-file", "FILE", "CAs that https:// receivers are verified with (default: the "
                                 "system's)");
  add("webhook-max-parallel", "N", "deliveries in flight per node (default 64)");
  add("send-hook", "URL", "moderation hook: POST each consumer's and agent's message here "
                          "before it is committed");
  add("send-hook-secret", "SECRET", "the key of the moderation hook's Parley-Signature");
  add("send-hook-timeout-ms", "MS", "time-out of one moderation call (default 1000)");
  add("send-hook-max-inflight", "N",
      "moderation calls in flight per node; beyond, as on a failure (default 256)");
  d.add_options()("send-hook-fail-open", po::bool_switch(),
                  "on a time-out or failure of the hook, commit the message unchanged");
  d.add_options()("send-hook-fail-closed", po::bool_switch(),
                  "on a time-out or failure of the hook, refuse it with 503 (the default)");
  return d;
}

po::options_description describe_hidden() {
  po::options_description d;
  d.add_options()("webhook-lease-ms", po::value<std::string>()->value_name("MS"),
                  "Redis engine: the delivering node's lease (default 10000)");
  d.add_options()("webhook-retry-budget-ms", po::value<std::string>()->value_name("MS"),
                  "the retry budget in milliseconds (tests)");
  return d;
}

Status apply(const po::variables_map& vm, HooksConfig& out) {
  auto get = [&](const char* name) -> const std::string* {
    auto it = vm.find(name);
    return it == vm.end() ? nullptr : &it->second.as<std::string>();
  };
  if (auto it = vm.find("webhook"); it != vm.end()) {
    for (const auto& entry : it->second.as<std::vector<std::string>>()) {
      auto w = parse_webhook(entry, out.webhooks.size());
      if (!w.ok()) return w.error();
      for (const auto& other : out.webhooks)
        if (other.name == w->name)
          return bad(setting("webhook") + ": the name \"" + w->name + "\" is given twice");
      out.webhooks.push_back(std::move(w.value()));
    }
  }
  struct Number {
    const char* name;
    int64_t* field;
    int64_t min, max, scale;
  };
  const Number numbers[] = {
      {"webhook-retry-base-ms", &out.retry_base_ms, 1, 86400000, 1},
      {"webhook-retry-max-ms", &out.retry_max_ms, 1, 86400000, 1},
      {"webhook-retry-budget-sec", &out.retry_budget_ms, 0, 30LL * 86400, 1000},
      {"webhook-retry-budget-ms", &out.retry_budget_ms, 0, 30LL * 86400 * 1000, 1},
      {"webhook-lease-ms", &out.lease_ms, 300, 3600000, 1},
      {"webhook-max-parallel", &out.max_parallel, 1, 100000, 1},
      {"send-hook-timeout-ms", &out.send_hook_timeout_ms, 1, 60000, 1},
      {"send-hook-max-inflight", &out.send_hook_max_inflight, 1, 1000000, 1}};
  for (const auto& n : numbers) {
    if (auto* v = get(n.name)) {
      auto x = whole(n.name, *v, n.min, n.max);
      if (!x.ok()) return x.error();
      *n.field = *x * n.scale;
    }
  }
  if (auto* v = get("webhook-ca-file")) out.ca_file = *v;
  if (auto* v = get("send-hook"); v && !v->empty()) {
    auto u = parse_http_url(*v);
    if (!u) return bad(setting("send-hook") + ": expected an http:// or https:// URL, got \"" + *v +
                       "\"");
    out.send_hook = std::move(*u);
  }
  if (auto* v = get("send-hook-secret")) out.send_hook_secret = *v;
  const bool open = vm.count("send-hook-fail-open") && vm["send-hook-fail-open"].as<bool>();
  const bool closed = vm.count("send-hook-fail-closed") && vm["send-hook-fail-closed"].as<bool>();
  if (open && closed)
    return bad("set either --send-hook-fail-open or --send-hook-fail-closed, not both");
  out.send_hook_fail_open = open;
  if (out.send_hook && out.send_hook_secret.empty())
    return bad(setting("send-hook-secret") + " is required with --send-hook (requests are signed)");
  return Ok{};
}

}  // namespace parley::hooks
