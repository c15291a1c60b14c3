// The option table: every flag with its group and --help text, and the
// Limits fields exposed as flags (config_options.hpp).
#include "config_options.hpp"

#include <cctype>
#include <sstream>
#include <type_traits>

#include "config.hpp"
#include "hooks/hooks_config.hpp"

namespace parley::config_options {

namespace po = boost::program_options;

std::string env_name(std::string_view flag) {
  std::string out = "PARLEY_";
  for (char c : flag) out.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  return out;
}

std::string setting(std::string_view flag) {
  return "--" + std::string(flag) + " (" + env_name(flag) + ")";
}

std::string number_text(double v) {
  if (v == static_cast<double>(static_cast<int64_t>(v)))
    return std::to_string(static_cast<int64_t>(v));
  std::ostringstream os;
  os << v;
  return os.str();
}

namespace {

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

}  // namespace

const std::vector<LimitFlag>& limit_flags() {
  constexpr double kMiB = 1024.0 * 1024.0;
  static const std::vector<LimitFlag> kFlags = {
      limit_flag("max-frame-bytes", &Limits::frame_bytes, 1024, 64 * kMiB,
                 "largest inbound frame in bytes; a bigger one closes the socket 1009"),
      limit_flag("max-text-chars", &Limits::text_chars, 1, 1e6,
                 "message text, in Unicode code points"),
      limit_flag("max-rich-content-chars", &Limits::rich_content_chars, 1, 1e6,
                 "rich content, serialized, in characters"),
      limit_flag("max-note-chars", &Limits::note_chars, 1, 1e6, "one agent note, in characters"),
      limit_flag("max-notes-bytes", &Limits::notes_bytes, 1, 64 * kMiB,
                 "all agent notes of one conversation, in bytes"),
      limit_flag("max-metadata-bytes", &Limits::metadata_bytes, 2, 16 * kMiB,
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
      limit_flag("max-outbound-bytes", &Limits::outbound_bytes, 1024, 1024 * kMiB,
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
  return kFlags;
}

// Defaults are described in the help text but not registered with
// program_options: the Config struct is the one place that holds them, and
// a value present in the variables_map then always means "the user set it".
po::options_description describe() {
  constexpr unsigned kWidth = 100;
  const Config d;
  auto add = [](po::options_description& group, const char* name, const char* arg,
                const std::string& help) {
    group.add_options()(name, po::value<std::string>()->value_name(arg), help.c_str());
  };
  auto dflt = [](int64_t v) { return " (default " + std::to_string(v) + ")"; };

  po::options_description server("Server", kWidth);
  add(server, "listen", "HOST:PORT",
      "address to listen on (default 127.0.0.1:8080; port 0 picks a free port; IPv6 as "
      "[::1]:8080)");
  add(server, "threads", "N", "I/O threads (default 0 = one per core)");
  add(server, "node-id", "ID", "this node's name (default hostname-pid)");
  add(server, "log-level", "LEVEL", "trace|debug|info|warn|error (default info)");
  add(server, "log-format", "FORMAT",
      "text|json: json writes one JSON object a line, with request ids (default text)");
  server.add_options()("allowed-origin",
                       po::value<std::vector<std::string>>()->value_name("ORIGIN"),
                       "an Origin allowed to open a WebSocket; repeat for more (default: any)");
  add(server, "web-root", "DIR",
      "serve the web UI (the demo page, widget, SDK and console) from DIR (default: " +
          default_web_roots()[0] + " if it exists, else " + default_web_roots()[1] + ")");
  server.add_options()("no-web", po::bool_switch(),
                       "serve no web UI: every path but /ws, /healthz, /readyz, /metrics is 404");
  add(server, "drain-sec", "SEC",
      "on SIGTERM: /readyz 503 and no new sockets at once, open sockets keep working this long" +
          dflt(d.drain_sec));
  add(server, "drain-spread-sec", "SEC",
      "then close them 1012 (service restart) spread over this window" +
          dflt(d.drain_spread_sec));
  add(server, "config", "FILE", "read settings from FILE (`name = value` lines)");
  server.add_options()("help", po::bool_switch(), "print this help and exit");
  server.add_options()("print-openapi", po::bool_switch(),
                       "print the HTTP API's OpenAPI document (docs/openapi.yaml) and exit");

  po::options_description auth("Authentication", kWidth);
  add(auth, "jwt-secret", "SECRET", "HS256 secret that signs the tokens");
  add(auth, "jwt-secret-file", "FILE",
      "read the HS256 secret from FILE (trailing newline trimmed)");
  add(auth, "jwt-jwks-file", "FILE",
      "RS256/ES256 public keys (a JWKS document); a token's `kid` picks one; re-read on SIGHUP");
  add(auth, "jwt-issuer", "ISS", "require this `iss` claim");
  add(auth, "jwt-audience", "AUD", "require this `aud` claim");
  add(auth, "api-keys-file", "FILE",
      "the HTTP API's keys: `name tenant role user-id rate sha256-hex` lines (docs/server-api.md); "
      "reloaded on SIGHUP");
  auth.add_options()("dev", po::bool_switch(),
                     "development mode: `authenticate {userId}` works without a token");

  po::options_description timers("Timers (milliseconds)", kWidth);
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

  po::options_description storage("Storage", kWidth);
  storage.add_options()("redis", po::value<std::vector<std::string>>()->value_name("URL"),
                        "redis://HOST[:PORT][/DB]: use the Redis engine; repeat for more "
                        "shards (default: the memory engine)");
  add(storage, "redis-cluster", "HOST:PORT[,...]",
      "use the Redis engine on a Redis Cluster, reached through these seed nodes "
      "(the slot map names the rest)");
  add(storage, "redis-timeout-ms", "MS",
      "time-out of one Redis command; then the request answers 503" + dflt(d.redis_timeout_ms));
  add(storage, "redis-sentinel", "HOST:PORT[,...]",
      "Sentinel mode: the sentinels to ask for the master (instead of --redis)");
  add(storage, "redis-master-name", "NAME", "Sentinel mode: the master's name in the sentinels");
  add(storage, "redis-password", "PASSWORD",
      "AUTH password of the --redis-cluster nodes or of the master the sentinels name (not "
      "the sentinels'); better PARLEY_REDIS_PASSWORD, out of `ps` (--redis URLs carry their own)");
  add(storage, "redis-wait-replicas", "N",
      "acknowledge a write only once WAIT confirms N replicas have it, else 503" +
          dflt(d.redis_wait_replicas));
  add(storage, "redis-wait-timeout-ms", "MS",
      "how long WAIT may take; below --redis-timeout-ms" + dflt(d.redis_wait_timeout_ms));

  po::options_description workflow("Contact-centre workflow (seconds)", kWidth);
  add(workflow, "lock-after-sec", "S",
      "lock a CLOSE conversation this long after it closed; 0 never" + dflt(d.lock_after_sec));
  add(workflow, "ttr-normal-sec", "S", "time to respond of TTR NORMAL" + dflt(d.ttr.normal));
  add(workflow, "ttr-prioritized-sec", "S",
      "time to respond of TTR PRIORITIZED" + dflt(d.ttr.prioritized));
  add(workflow, "ttr-urgent-sec", "S", "time to respond of TTR URGENT" + dflt(d.ttr.urgent));

  po::options_description listing("Search", kWidth);
  add(listing, "search-max-conversations", "N",
      "conversations one searchConversations call examines, most recently updated first" +
          dflt(d.listing.search_conversations));
  add(listing, "search-max-events", "N",
      "message events a search reads per conversation, newest first" +
          dflt(d.listing.search_events));

  po::options_description limits("Limits (PROTOCOL.md section 6)", kWidth);
  for (const auto& f : limit_flags())
    add(limits, f.name, f.real ? "X" : "N",
        std::string(f.help) + " (default " + number_text(f.get(d.limits)) + ")");

  po::options_description all(kWidth);
  all.add(server).add(auth).add(timers).add(storage).add(workflow).add(listing).add(limits);
  all.add(hooks::describe());
  return all;
}

po::options_description describe_hidden() {
  po::options_description hidden;
  hidden.add_options()("close-grace-ms", po::value<std::string>()->value_name("MS"),
                       "wait this long for a closing handshake, then drop TCP (default 1000)");
  hidden.add(hooks::describe_hidden());
  return hidden;
}

namespace {

const char* const kHelpFooter =
    "\nEvery option can also be set by the environment variable PARLEY_<NAME> (upper case,\n"
    "dashes as underscores: --max-frame-bytes is PARLEY_MAX_FRAME_BYTES; PARLEY_ALLOWED_ORIGIN\n"
    "and PARLEY_REDIS take comma-separated lists; PARLEY_DEV=1 turns on --dev), or by a\n"
    "`name = value` line in the --config file. Command-line flags beat the environment, which\n"
    "beats the file.\n";

}  // namespace

std::string help_text(const po::options_description& visible) {
  std::ostringstream os;
  os << "Usage: parley [options]\n\n" << visible << kHelpFooter;
  return os.str();
}

}  // namespace parley::config_options
