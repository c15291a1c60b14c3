// parse_config: the settings read from the command line, the environment
// and the --config file (the option table is config_options.cpp), each
// checked and applied to the Config.
#include "config.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/address_v6.hpp>
#include <boost/program_options.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/jwks.hpp"
#include "config_options.hpp"
#include "redis/cluster_slots.hpp"
#include "redis/redis_url.hpp"
#include "redis/sentinel.hpp"

namespace parley {

namespace po = boost::program_options;

namespace {

using config_options::limit_flags;
using config_options::number_text;
using config_options::setting;

Error config_error(std::string message) {
  return Error{code::invalid_params, std::move(message), {}};
}

// Whole-string integer parse: "12x", "", " 1" and "-" are all refused.
std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<double> parse_real(std::string_view s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

Result<int64_t> int_setting(std::string_view flag, const std::string& text, int64_t min,
                            int64_t max) {
  auto v = parse_int(text);
  if (!v || *v < min || *v > max)
    return config_error(setting(flag) + ": expected a whole number from " + std::to_string(min) +
                        " to " + std::to_string(max) + ", got \"" + text + "\"");
  return *v;
}

std::string default_node_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "parley");
  return std::string(host) + "-" + std::to_string(getpid());
}

// The environment, as options: PARLEY_* variables that name an option.
// Other PARLEY_* variables are ignored, so tools may use the prefix too.
po::parsed_options parse_env(const po::options_description& desc, char** envp) {
  po::parsed_options out(&desc);
  for (char** e = envp; e && *e; ++e) {
    std::string_view entry(*e);
    if (!entry.starts_with("PARLEY_")) continue;
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name;
    for (char c : entry.substr(7, eq - 7))
      name.push_back(c == '_' ? '-' : static_cast<char>(std::tolower(c)));
    if (name == "help" || name == "print-openapi" || !desc.find_nothrow(name, false)) continue;
    std::string value(entry.substr(eq + 1));
    std::vector<std::string> values;
    if (name == "allowed-origin" || name == "redis") {
      std::stringstream ss(value);
      for (std::string item; std::getline(ss, item, ',');)
        if (!item.empty()) values.push_back(item);
    } else {
      values.push_back(value);
    }
    for (auto& v : values) {
      po::option opt;
      opt.string_key = name;
      opt.value.push_back(v);
      opt.original_tokens = {std::string(entry.substr(0, eq)), v};
      out.options.push_back(std::move(opt));
    }
  }
  return out;
}

Result<std::string> read_secret_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return config_error(setting("jwt-secret-file") + ": cannot read \"" + path + "\"");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string secret = ss.str();
  // Files written by `echo` or editors end with a newline that is not part
  // of the secret.
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty())
    return config_error(setting("jwt-secret-file") + ": \"" + path + "\" is empty");
  return secret;
}

// The web root, canonical; --no-web turns serving off whatever the root.
Status apply_web(const po::variables_map& vm, Config& cfg) {
  if (auto it = vm.find("no-web"); it != vm.end()) cfg.web = !it->second.as<bool>();
  auto it = vm.find("web-root");
  if (!cfg.web) return Ok{};
  if (it == vm.end()) {
    cfg.web_root = default_web_root();
    return Ok{};
  }
  const auto& dir = it->second.as<std::string>();
  std::error_code ec;
  auto canonical = std::filesystem::canonical(dir, ec);
  if (dir.empty() || ec || !std::filesystem::is_directory(canonical, ec))
    return config_error(setting("web-root") + ": not a directory: \"" + dir + "\"");
  cfg.web_root = canonical.string();
  return Ok{};
}

// Sentinel mode: --redis-sentinel HOST:PORT[,...] with --redis-master-name,
// instead of --redis.
Status apply_sentinel(const po::variables_map& vm, Config& cfg) {
  auto it = vm.find("redis-sentinel");
  auto name = vm.find("redis-master-name");
  if (it == vm.end()) {
    if (name != vm.end())
      return config_error(setting("redis-master-name") + " goes with --redis-sentinel");
    return Ok{};
  }
  if (!cfg.redis_urls.empty())
    return config_error("set either --redis or --redis-sentinel, not both");
  if (name == vm.end() || name->second.as<std::string>().empty())
    return config_error(setting("redis-sentinel") + " needs --redis-master-name");
  cfg.redis_master_name = name->second.as<std::string>();
  std::stringstream ss(it->second.as<std::string>());
  for (std::string item; std::getline(ss, item, ',');) {
    if (!redis::parse_sentinel_address(item))
      return config_error(setting("redis-sentinel") + ": expected HOST:PORT, got \"" + item + "\"");
    cfg.redis_sentinels.push_back(item);
  }
  if (cfg.redis_sentinels.empty())
    return config_error(setting("redis-sentinel") + ": no sentinel given");
  return Ok{};
}

// HOST:PORT, [IPV6]:PORT. The host is resolved when the server binds; here
// it is only checked for shape.
Status parse_listen(const std::string& text, Config& cfg) {
  auto bad = [&](std::string_view why) {
    return config_error(setting("listen") + ": " + std::string(why) + ", got \"" + text + "\"");
  };
  std::string host, port;
  if (text.starts_with("[")) {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return bad("expected [IPV6]:PORT");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    boost::system::error_code ec;
    boost::asio::ip::make_address_v6(host, ec);
    if (ec) return bad("not an IPv6 address");
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return bad("expected HOST:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string::npos)
      return bad("an IPv6 address needs brackets: [::1]:8080");
    if (host.empty()) return bad("the host is missing (0.0.0.0 listens on every interface)");
    for (char c : host)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-')
        return bad("the host is not a name or an IPv4 address");
  }
  auto p = parse_int(port);
  if (!p || *p < 0 || *p > 65535) return bad("the port must be a number from 0 to 65535");
  cfg.listen_host = host;
  cfg.listen_port = static_cast<uint16_t>(*p);
  return Ok{};
}

// Applies the stored values to the Config, checking each.
Status apply_settings(const po::variables_map& vm, Config& cfg) {
  auto get = [&](const char* name) -> const std::string* {
    auto it = vm.find(name);
    return it == vm.end() ? nullptr : &it->second.as<std::string>();
  };

  if (auto* v = get("listen")) {
    if (auto st = parse_listen(*v, cfg); !st.ok()) return st;
  }
  if (auto* v = get("threads")) {
    auto n = int_setting("threads", *v, 0, 1024);
    if (!n.ok()) return n.error();
    cfg.threads = static_cast<unsigned>(*n);
  }
  cfg.node_id = default_node_id();
  if (auto* v = get("node-id")) {
    bool ok = !v->empty() && v->size() <= 64;
    for (char c : *v)
      ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_');
    if (!ok)
      return config_error(setting("node-id") +
                          ": 1 to 64 characters of letters, digits, '.', '-' or '_', got \"" + *v +
                          "\"");
    cfg.node_id = *v;
  }
  if (auto* v = get("log-level")) {
    static const char* const kLevels[] = {"trace", "debug", "info", "warn", "error"};
    if (std::find(std::begin(kLevels), std::end(kLevels), *v) == std::end(kLevels))
      return config_error(setting("log-level") +
                          ": expected trace, debug, info, warn or error, got \"" + *v + "\"");
    cfg.log_level = *v;
  }
  if (auto* v = get("log-format")) {
    if (*v != "text" && *v != "json")
      return config_error(setting("log-format") + ": expected text or json, got \"" + *v + "\"");
    cfg.log_format = *v;
  }
  if (auto it = vm.find("allowed-origin"); it != vm.end()) {
    for (const auto& origin : it->second.as<std::vector<std::string>>()) {
      if (origin.empty()) return config_error(setting("allowed-origin") + ": empty origin");
      cfg.allowed_origins.push_back(origin);
    }
  }

  if (auto st = apply_web(vm, cfg); !st.ok()) return st;

  // Storage.
  if (auto it = vm.find("redis"); it != vm.end()) {
    std::vector<std::string> shards;  // host:port/db: one shard must not count twice
    for (const auto& url : it->second.as<std::vector<std::string>>()) {
      auto address = redis::parse_redis_url(url);
      if (!address)
        return config_error(setting("redis") +
                            ": expected redis://HOST[:PORT][/DB] (IPv6 in brackets), got \"" + url +
                            "\"");
      if (std::find(shards.begin(), shards.end(), address->id()) != shards.end())
        return config_error(setting("redis") + ": " + address->id() + " is given twice");
      shards.push_back(address->id());
      cfg.redis_urls.push_back(url);
    }
  }
  if (auto* v = get("redis-cluster")) {
    if (!cfg.redis_urls.empty())
      return config_error("set either --redis or --redis-cluster, not both");
    if (!redis::parse_seed_list(*v))
      return config_error(setting("redis-cluster") +
                          ": expected HOST:PORT[,HOST:PORT...] (IPv6 in brackets), got \"" + *v +
                          "\"");
    cfg.redis_cluster = *v;
  }

  if (auto st = apply_sentinel(vm, cfg); !st.ok()) return st;
  if (auto* v = get("redis-password")) {
    if (cfg.redis_cluster.empty() && cfg.redis_sentinels.empty())
      return config_error(setting("redis-password") +
                          " goes with --redis-cluster or --redis-sentinel (a --redis URL carries "
                          "its own: redis://:PASSWORD@HOST)");
    cfg.redis_password = *v;
  }

  // Authentication.
  if (get("jwt-secret") && get("jwt-secret-file"))
    return config_error("set either --jwt-secret or --jwt-secret-file, not both");
  if (auto* v = get("jwt-secret")) cfg.auth.jwt_secret = *v;
  if (auto* v = get("jwt-secret-file")) {
    auto secret = read_secret_file(*v);
    if (!secret.ok()) return secret.error();
    cfg.auth.jwt_secret = std::move(secret.value());
  }
  if (auto* v = get("jwt-jwks-file"); v && !v->empty()) {
    std::string why;
    if (!read_jwks_file(*v, why)) return config_error(setting("jwt-jwks-file") + ": " + why);
    cfg.auth.jwks_file = *v;
  }
  if (auto* v = get("jwt-issuer"); v && !v->empty()) cfg.auth.issuer = *v;
  if (auto* v = get("jwt-audience"); v && !v->empty()) cfg.auth.audience = *v;
  if (auto it = vm.find("dev"); it != vm.end()) cfg.dev = it->second.as<bool>();
  if (auto* v = get("api-keys-file"); v && !v->empty()) cfg.api_keys_file = *v;

  // Timers.
  struct Timer {
    const char* name;
    int64_t Config::*field;
    int64_t min;
  };
  static const Timer kTimers[] = {{"auth-timeout-ms", &Config::auth_timeout_ms, 100},
                                  {"ping-interval-ms", &Config::ping_interval_ms, 100},
                                  {"idle-timeout-ms", &Config::idle_timeout_ms, 100},
                                  {"chat-state-interval-ms", &Config::chat_state_interval_ms, 0},
                                  {"close-grace-ms", &Config::close_grace_ms, 100},
                                  {"presence-ttl-ms", &Config::presence_ttl_ms, 200},
                                  {"timer-poll-ms", &Config::timer_poll_ms, 10},
                                  {"redis-timeout-ms", &Config::redis_timeout_ms, 10},
                                  {"redis-wait-replicas", &Config::redis_wait_replicas, 0},
                                  {"redis-wait-timeout-ms", &Config::redis_wait_timeout_ms, 1}};
  for (const auto& t : kTimers) {
    if (auto* v = get(t.name)) {
      auto n = int_setting(t.name, *v, t.min, 24LL * 3600 * 1000);
      if (!n.ok()) return n.error();
      cfg.*t.field = *n;
    }
  }
  if (cfg.redis_wait_replicas > 0 && cfg.redis_wait_timeout_ms >= cfg.redis_timeout_ms)
    return config_error(setting("redis-wait-timeout-ms") + " must be below --redis-timeout-ms");
  // Contact-centre workflow, in seconds (ten years at most: far from any
  // overflow once in milliseconds).
  struct Seconds {
    const char* name;
    int64_t* field;
    int64_t min;
  };
  const Seconds seconds[] = {{"lock-after-sec", &cfg.lock_after_sec, 0},
                             {"drain-sec", &cfg.drain_sec, 0},
                             {"drain-spread-sec", &cfg.drain_spread_sec, 0},
                             {"ttr-normal-sec", &cfg.ttr.normal, 1},
                             {"ttr-prioritized-sec", &cfg.ttr.prioritized, 1},
                             {"ttr-urgent-sec", &cfg.ttr.urgent, 1}};
  for (const auto& t : seconds) {
    if (auto* v = get(t.name)) {
      auto n = int_setting(t.name, *v, t.min, 10LL * 365 * 24 * 3600);
      if (!n.ok()) return n.error();
      *t.field = *n;
    }
  }
  // searchConversations' bounds (a count each, not seconds).
  const Seconds listing[] = {{"search-max-conversations", &cfg.listing.search_conversations, 1},
                             {"search-max-events", &cfg.listing.search_events, 1}};
  for (const auto& t : listing) {
    if (auto* v = get(t.name)) {
      auto n = int_setting(t.name, *v, t.min, 1'000'000);
      if (!n.ok()) return n.error();
      *t.field = *n;
    }
  }
  // A healthy but quiet client only answers pings: it must get one before
  // it counts as idle.
  if (cfg.idle_timeout_ms <= cfg.ping_interval_ms)
    return config_error(setting("idle-timeout-ms") + " (" + std::to_string(cfg.idle_timeout_ms) +
                        ") must be greater than " + setting("ping-interval-ms") + " (" +
                        std::to_string(cfg.ping_interval_ms) + ")");

  // Limits.
  for (const auto& f : limit_flags()) {
    auto* v = get(f.name);
    if (!v) continue;
    std::optional<double> x;
    if (f.real) {
      x = parse_real(*v);
    } else if (auto i = parse_int(*v)) {
      x = static_cast<double>(*i);
    }
    if (!x || *x < f.min || *x > f.max)
      return config_error(setting(f.name) + ": expected " +
                          (f.real ? "a number" : "a whole number") + " from " + number_text(f.min) +
                          " to " + number_text(f.max) + ", got \"" + *v + "\"");
    f.set(cfg.limits, *x);
  }

  if (auto st = hooks::apply(vm, cfg.hooks); !st.ok()) return st;
  // The durable outbox is one stream per --redis shard, outside any
  // conversation's slot: a cluster refuses it, and with Sentinel the outbox
  // would not follow the master (docs/webhooks.md, Limits).
  if (!cfg.hooks.webhooks.empty() && (!cfg.redis_cluster.empty() || !cfg.redis_sentinels.empty()))
    return config_error(setting("webhook") + " is not supported with " +
                        (cfg.redis_cluster.empty() ? "--redis-sentinel" : "--redis-cluster") +
                        " yet: use --redis (docs/webhooks.md, Limits)");

  if (cfg.auth.jwt_secret.empty() && cfg.auth.jwks_file.empty() && !cfg.dev)
    return config_error(
        "refusing to start: set --jwt-secret / --jwt-secret-file (PARLEY_JWT_SECRET), "
        "--jwt-jwks-file, or run with --dev");
  return Ok{};
}

}  // namespace

std::vector<std::string> default_web_roots() {
  return {PARLEY_SOURCE_WEB_ROOT, PARLEY_INSTALLED_WEB_ROOT};
}

std::string default_web_root() {
  for (const auto& dir : default_web_roots()) {
    std::error_code ec;
    auto canonical = std::filesystem::canonical(dir, ec);
    if (!ec && std::filesystem::is_directory(canonical, ec)) return canonical.string();
  }
  return {};
}

Result<ParsedConfig> parse_config(int argc, const char* const* argv, char** envp) {
  po::options_description visible = config_options::describe();
  po::options_description desc;
  desc.add(visible).add(config_options::describe_hidden());
  po::variables_map vm;
  try {
    // No abbreviations: `--list` must not silently mean `--listen`.
    auto style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    // No positional arguments either: an empty positional description
    // makes a stray word an error instead of being silently dropped.
    po::positional_options_description none;
    po::store(po::command_line_parser(argc, argv).options(desc).positional(none).style(style).run(),
              vm);
    if (vm["help"].as<bool>()) return ParsedConfig{Config{}, config_options::help_text(visible)};
    if (vm["print-openapi"].as<bool>()) return ParsedConfig{Config{}, std::nullopt, true};
    // store() keeps the first value it sees for an option, so the order of
    // the calls is the precedence: flags, then environment, then file.
    po::store(parse_env(desc, envp), vm);
    if (auto it = vm.find("config"); it != vm.end()) {
      const auto& path = it->second.as<std::string>();
      std::ifstream file(path);
      if (!file) return config_error(setting("config") + ": cannot read \"" + path + "\"");
      po::store(po::parse_config_file(file, desc, false), vm);
    }
  } catch (const po::error& e) {
    return config_error(e.what());
  }

  ParsedConfig out;
  if (auto st = apply_settings(vm, out.config); !st.ok()) return st.error();
  return out;
}

}  // namespace parley
