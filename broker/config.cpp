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
#include <functional>
#include <sstream>
#include <thread>

#include "redis/redis_url.hpp"

namespace parley {

namespace po = boost::program_options;

namespace {

Error config_error(std::string message) {
  return Error{code::invalid_params, std::move(message), {}};
}

// "--max-frame-bytes" -> "PARLEY_MAX_FRAME_BYTES".
std::string env_name(std::string_view flag) {
  std::string out = "PARLEY_";
  for (char c : flag) out.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  return out;
}

// How a bad value is named in messages: the flag and its environment
// variable, since the user may have set either (or the config file key,
// which is the flag without its dashes).
std::string setting(std::string_view flag) {
  return "--" + std::string(flag) + " (" + env_name(flag) + ")";
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

// One Limits field exposed as a flag. Integral fields take whole numbers;
// the two rate fields take decimals.
struct LimitFlag {
  const char* name;
  const char* help;
  double min;
  double max;
  bool real;
  std::function<void(Limits&, double)> set;
  std::function<double(const Limits&)> get;
};

template <class T>
LimitFlag limit_flag(const char* name, T Limits::*member, double min, double max,
                     const char* help) {
  return {name,
          help,
          min,
          max,
          std::is_floating_point_v<T>,
          [member](Limits& l, double v) { l.*member = static_cast<T>(v); },
          [member](const Limits& l) { return static_cast<double>(l.*member); }};
}

const std::vector<LimitFlag>& limit_flags() {
  constexpr double MiB = 1024.0 * 1024.0;
  static const std::vector<LimitFlag> flags = {
      limit_flag("max-frame-bytes", &Limits::frame_bytes, 1024, 64 * MiB,
                 "largest inbound frame in bytes; a bigger one closes the socket 1009"),
      limit_flag("max-text-chars", &Limits::text_chars, 1, 1e6,
                 "message text, in Unicode code points"),
      limit_flag("max-rich-content-chars", &Limits::rich_content_chars, 1, 1e6,
                 "rich content, serialized, in characters"),
      limit_flag("max-note-chars", &Limits::note_chars, 1, 1e6, "one agent note, in characters"),
      limit_flag("max-notes-bytes", &Limits::notes_bytes, 1, 64 * MiB,
                 "all agent notes of one conversation, in bytes"),
      limit_flag("max-metadata-bytes", &Limits::metadata_bytes, 2, 16 * MiB,
                 "serialized metadata / custom event data, in bytes"),
      limit_flag("max-name-chars", &Limits::name_chars, 1, 1e4,
                 "name, displayName and ids, in characters"),
      limit_flag("max-members", &Limits::members, 2, 1e6, "active members per conversation"),
      limit_flag("max-batch", &Limits::batch, 1, 1e4, "requests in one batch"),
      limit_flag("max-subscriptions", &Limits::subscriptions, 1, 1e6,
                 "conversation subscriptions per socket"),
      limit_flag("max-inbox-subscriptions", &Limits::inbox_subscriptions, 1, 1e4,
                 "inbox subscriptions per socket"),
      limit_flag("rate-per-sec", &Limits::rate_per_sec, 0.001, 1e6,
                 "sustained requests per second per socket (decimals allowed)"),
      limit_flag("rate-burst", &Limits::rate_burst, 1, 1e6,
                 "request burst per socket: the token bucket's size"),
      limit_flag("max-replay", &Limits::replay_events, 0, 1e7,
                 "most events replayed on subscribe; beyond it recovered=false"),
      limit_flag("max-outbound-bytes", &Limits::outbound_bytes, 1024, 1024 * MiB,
                 "bytes queued for one socket before it is closed 4008 (slow consumer)"),
      limit_flag("max-json-depth", &Limits::json_depth, 2, 1024,
                 "nesting depth of an inbound JSON frame"),
      limit_flag("max-page", &Limits::page_max, 1, 1e4, "largest `limit` of the list methods"),
      limit_flag("max-query", &Limits::query_max, 1, 1e4, "largest `limit` of queryMessages"),
      limit_flag("rate-abuse-strikes", &Limits::rate_abuse_strikes, 1, 1e9,
                 "429 answers in a row before the socket is closed 4029"),
      limit_flag("max-open-conversations-per-user", &Limits::open_conversations_per_user, 0, 1e9,
                 "OPEN conversations a consumer may hold (as their consumer); 0 = no limit"),
      limit_flag("max-creations-per-min", &Limits::creations_per_min, 0, 1e9,
                 "createConversation per user per minute, counted per node; 0 = no limit"),
      limit_flag("max-tenant-creations-per-min", &Limits::tenant_creations_per_min, 0, 1e9,
                 "createConversation per tenant per minute, counted per node; 0 = no limit"),
      limit_flag("expensive-read-cost", &Limits::expensive_read_cost, 1, 1e6,
                 "request-rate tokens that listConversations, countConversations, "
                 "searchConversations, listUserConversations and subscribeInbox take "
                 "(decimals allowed)"),
  };
  return flags;
}

std::string number_text(double v) {
  if (v == static_cast<double>(static_cast<int64_t>(v)))
    return std::to_string(static_cast<int64_t>(v));
  std::ostringstream os;
  os << v;
  return os.str();
}

std::string default_node_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "parley");
  return std::string(host) + "-" + std::to_string(getpid());
}

// Every option, grouped as --help shows them. Defaults are described in the
// help text but not registered with program_options: the Config struct is
// the one place that holds them, and a value present in the variables_map
// then always means "the user set it".
po::options_description describe() {
  constexpr unsigned width = 100;
  const Config d;
  auto add = [](po::options_description& group, const char* name, const char* arg,
                const std::string& help) {
    group.add_options()(name, po::value<std::string>()->value_name(arg), help.c_str());
  };
  auto dflt = [](int64_t v) { return " (default " + std::to_string(v) + ")"; };

  po::options_description server("Server", width);
  add(server, "listen", "HOST:PORT",
      "address to listen on (default 127.0.0.1:8080; port 0 picks a free port; IPv6 as "
      "[::1]:8080)");
  add(server, "threads", "N", "I/O threads (default 0 = one per core)");
  add(server, "node-id", "ID", "this node's name (default hostname-pid)");
  add(server, "log-level", "LEVEL", "trace|debug|info|warn|error (default info)");
  server.add_options()("allowed-origin",
                       po::value<std::vector<std::string>>()->value_name("ORIGIN"),
                       "an Origin allowed to open a WebSocket; repeat for more (default: any)");
  add(server, "web-root", "DIR",
      "serve the web UI (the demo page, widget, SDK and console) from DIR (default: " +
          std::string(PARLEY_SOURCE_WEB_ROOT) + " if it exists, else " +
          PARLEY_INSTALLED_WEB_ROOT + ")");
  server.add_options()("no-web", po::bool_switch(),
                       "serve no web UI: every path but /ws, /healthz, /readyz, /metrics is 404");
  add(server, "config", "FILE", "read settings from FILE (`name = value` lines)");
  server.add_options()("help", po::bool_switch(), "print this help and exit");

  po::options_description auth("Authentication", width);
  add(auth, "jwt-secret", "SECRET", "HS256 secret that signs the tokens");
  add(auth, "jwt-secret-file", "FILE",
      "read the HS256 secret from FILE (trailing newline trimmed)");
  add(auth, "jwt-issuer", "ISS", "require this `iss` claim");
  add(auth, "jwt-audience", "AUD", "require this `aud` claim");
  auth.add_options()("dev", po::bool_switch(),
                     "development mode: `authenticate {userId}` works without a token");

  po::options_description timers("Timers (milliseconds)", width);
  add(timers, "auth-timeout-ms", "MS",
      "close a socket still unauthenticated after this" + dflt(d.auth_timeout_ms));
  add(timers, "ping-interval-ms", "MS", "server ping period" + dflt(d.ping_interval_ms));
  add(timers, "idle-timeout-ms", "MS",
      "close a peer silent for this long" + dflt(d.idle_timeout_ms));
  add(timers, "chat-state-interval-ms", "MS",
      "forward at most one chatState per user and conversation per this" +
          dflt(d.chat_state_interval_ms));
  add(timers, "presence-ttl-ms", "MS",
      "a socket's presence entry lives this long unless renewed" + dflt(d.presence_ttl_ms));
  add(timers, "timer-poll-ms", "MS",
      "poll storage for due automatic locks and ttl deletions this often" +
          dflt(d.timer_poll_ms));

  po::options_description storage("Storage", width);
  storage.add_options()("redis", po::value<std::vector<std::string>>()->value_name("URL"),
                        "redis://HOST[:PORT][/DB]: use the Redis engine; repeat for more "
                        "shards (default: the memory engine)");
  add(storage, "redis-timeout-ms", "MS",
      "time-out of one Redis command; then the request answers 503" + dflt(d.redis_timeout_ms));

  po::options_description workflow("Contact-centre workflow (seconds)", width);
  add(workflow, "lock-after-sec", "S",
      "lock a CLOSE conversation this long after it closed; 0 never" + dflt(d.lock_after_sec));
  add(workflow, "ttr-normal-sec", "S", "time to respond of TTR NORMAL" + dflt(d.ttr.normal));
  add(workflow, "ttr-prioritized-sec", "S",
      "time to respond of TTR PRIORITIZED" + dflt(d.ttr.prioritized));
  add(workflow, "ttr-urgent-sec", "S", "time to respond of TTR URGENT" + dflt(d.ttr.urgent));

  po::options_description listing("Search", width);
  add(listing, "search-max-conversations", "N",
      "conversations one searchConversations call examines, most recently updated first" +
          dflt(d.listing.search_conversations));
  add(listing, "search-max-events", "N",
      "message events a search reads per conversation, newest first" +
          dflt(d.listing.search_events));

  po::options_description limits("Limits (PROTOCOL.md section 6)", width);
  for (const auto& f : limit_flags())
    add(limits, f.name, f.real ? "X" : "N",
        std::string(f.help) + " (default " + number_text(f.get(d.limits)) + ")");

  po::options_description all(width);
  all.add(server).add(auth).add(timers).add(storage).add(workflow).add(listing).add(limits);
  return all;
}

// Settings for tests, accepted like the others but left out of --help.
po::options_description describe_hidden() {
  po::options_description hidden;
  hidden.add_options()("close-grace-ms", po::value<std::string>()->value_name("MS"),
                       "wait this long for a closing handshake, then drop TCP (default 1000)");
  return hidden;
}

const char* const help_footer =
    "\nEvery option can also be set by the environment variable PARLEY_<NAME> (upper case,\n"
    "dashes as underscores: --max-frame-bytes is PARLEY_MAX_FRAME_BYTES; PARLEY_ALLOWED_ORIGIN\n"
    "and PARLEY_REDIS take comma-separated lists; PARLEY_DEV=1 turns on --dev), or by a\n"
    "`name = value` line in the --config file. Command-line flags beat the environment, which\n"
    "beats the file.\n";

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
    if (name == "help" || !desc.find_nothrow(name, false)) continue;
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
    static const char* const levels[] = {"trace", "debug", "info", "warn", "error"};
    if (std::find(std::begin(levels), std::end(levels), *v) == std::end(levels))
      return config_error(setting("log-level") +
                          ": expected trace, debug, info, warn or error, got \"" + *v + "\"");
    cfg.log_level = *v;
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

  // Authentication.
  if (get("jwt-secret") && get("jwt-secret-file"))
    return config_error("set either --jwt-secret or --jwt-secret-file, not both");
  if (auto* v = get("jwt-secret")) cfg.auth.jwt_secret = *v;
  if (auto* v = get("jwt-secret-file")) {
    auto secret = read_secret_file(*v);
    if (!secret.ok()) return secret.error();
    cfg.auth.jwt_secret = std::move(secret.value());
  }
  if (auto* v = get("jwt-issuer"); v && !v->empty()) cfg.auth.issuer = *v;
  if (auto* v = get("jwt-audience"); v && !v->empty()) cfg.auth.audience = *v;
  if (auto it = vm.find("dev"); it != vm.end()) cfg.dev = it->second.as<bool>();

  // Timers.
  struct Timer {
    const char* name;
    int64_t Config::*field;
    int64_t min;
  };
  static const Timer timers[] = {{"auth-timeout-ms", &Config::auth_timeout_ms, 100},
                                 {"ping-interval-ms", &Config::ping_interval_ms, 100},
                                 {"idle-timeout-ms", &Config::idle_timeout_ms, 100},
                                 {"chat-state-interval-ms", &Config::chat_state_interval_ms, 0},
                                 {"close-grace-ms", &Config::close_grace_ms, 100},
                                 {"presence-ttl-ms", &Config::presence_ttl_ms, 200},
                                 {"timer-poll-ms", &Config::timer_poll_ms, 10},
                                 {"redis-timeout-ms", &Config::redis_timeout_ms, 10}};
  for (const auto& t : timers) {
    if (auto* v = get(t.name)) {
      auto n = int_setting(t.name, *v, t.min, 24LL * 3600 * 1000);
      if (!n.ok()) return n.error();
      cfg.*t.field = *n;
    }
  }
  // Contact-centre workflow, in seconds (ten years at most: far from any
  // overflow once in milliseconds).
  struct Seconds {
    const char* name;
    int64_t* field;
    int64_t min;
  };
  const Seconds seconds[] = {{"lock-after-sec", &cfg.lock_after_sec, 0},
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

  if (cfg.auth.jwt_secret.empty() && !cfg.dev)
    return config_error(
        "refusing to start: set --jwt-secret / --jwt-secret-file (PARLEY_JWT_SECRET) or run with "
        "--dev");
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
  po::options_description visible = describe();
  po::options_description desc;
  desc.add(visible).add(describe_hidden());
  po::variables_map vm;
  try {
    // No abbreviations: `--list` must not silently mean `--listen`.
    auto style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    // No positional arguments either: an empty positional description
    // makes a stray word an error instead of being silently dropped.
    po::positional_options_description none;
    po::store(po::command_line_parser(argc, argv).options(desc).positional(none).style(style).run(),
              vm);
    if (vm["help"].as<bool>()) {
      std::ostringstream os;
      os << "Usage: parley [options]\n\n" << visible << help_footer;
      return ParsedConfig{Config{}, os.str()};
    }
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
