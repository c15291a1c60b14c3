// The broker's configuration: one struct with every setting and its
// default. Filled from (highest first) command-line flags, PARLEY_*
// environment variables, and an optional --config file; see
// docs/configuration.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "error.hpp"
#include "hooks/hooks_config.hpp"
#include "limits.hpp"
#include "model.hpp"

namespace parley {

struct AuthConfig {
  std::string jwt_secret;               // HS256 secret (from --jwt-secret or --jwt-secret-file)
  std::optional<std::string> issuer;    // checked when set
  std::optional<std::string> audience;  // checked when set
  std::string jwks_file;                // RS256/ES256 keys (--jwt-jwks-file); empty: none
};

// The bounds of searchConversations (inbox subscriptions per socket are
// limits.inbox_subscriptions).
struct ListingConfig {
  int64_t search_conversations = 500;    // most recently updated conversations one search examines
  int64_t search_events = 1000;          // newest message events it reads per conversation
};

struct Config {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  AuthConfig auth;
  bool dev = false;             // accept `authenticate {userId,...}` without a token
  unsigned threads = 0;         // 0 = one per core
  std::string node_id;          // default: hostname-pid
  std::string log_level = "info";
  std::string log_format = "text";  // text | json (observe/logging.hpp)
  std::vector<std::string> allowed_origins;  // empty = any Origin
  // The web UI's files (web_files.hpp), served on the same port unless
  // --no-web. `web_root`: the canonical (absolute, symlink-free) directory;
  // empty when no root was given and neither default folder exists.
  bool web = true;
  std::string web_root;
  int64_t auth_timeout_ms = 10000;   // unauthenticated sockets are closed (4001) after this
  int64_t ping_interval_ms = 25000;  // server pings
  int64_t idle_timeout_ms = 60000;   // a silent peer is closed after this
  int64_t chat_state_interval_ms = 1000;  // chatState forwarded at most once per this
  // How long a closing socket waits for the close handshake before its TCP
  // connection is dropped. Hidden (not in --help): tests set it long, to
  // tell a teardown by the handshake from one by this timer.
  int64_t close_grace_ms = 1000;
  // Contact-centre workflow: a CLOSE conversation locks this long after it
  // closed (0 = never), and the seconds of each TTR type.
  int64_t lock_after_sec = 86400;
  // SIGTERM's drain (server.cpp): /readyz says 503 and no new socket is
  // taken at once; the open ones keep working for drain_sec, then close
  // 1012 spread evenly over drain_spread_sec.
  int64_t drain_sec = 0;
  int64_t drain_spread_sec = 0;
  TtrSeconds ttr;
  // A socket's presence entry lives this long unless renewed (every quarter
  // of it): a crashed node's users go offline within about 1.25 times this.
  int64_t presence_ttl_ms = 20000;
  // Every node polls the engine's due timers (automatic lock, ttl deletion)
  // this often: the precision of those deadlines.
  int64_t timer_poll_ms = 1000;
  // Storage: Redis shards (redis://HOST[:PORT][/DB]); none = the memory engine.
  std::vector<std::string> redis_urls;
  std::string redis_cluster;  // --redis-cluster seed list; set = Redis Cluster mode
  int64_t redis_timeout_ms = 1000;  // one Redis command's time-out (then 503)
  // The HTTP server API's keys (api/api_keys.hpp); empty: no keys, every
  // API request answers 401.
  std::string api_keys_file;
  // Sentinel mode: HOST:PORT of each sentinel and the master's name there.
  std::vector<std::string> redis_sentinels;
  std::string redis_master_name;
  // AUTH password of the cluster nodes or of the Sentinel-managed master.
  std::string redis_password;
  // WAIT this many replicas after each acknowledged write (0: no WAIT), for
  // at most redis_wait_timeout_ms (then 503).
  int64_t redis_wait_replicas = 0;
  int64_t redis_wait_timeout_ms = 500;
  ListingConfig listing;
  Limits limits;
  // Webhooks and the moderation hook (broker/hooks/, docs/webhooks.md).
  hooks::HooksConfig hooks;
};

// Parses argv and the environment into a Config. `--help` fills `help`
// with the usage text and returns ok. Errors describe the bad setting.
struct ParsedConfig {
  Config config;
  std::optional<std::string> help;
  bool print_openapi = false;  // --print-openapi: print docs/openapi.yaml and exit
};
Result<ParsedConfig> parse_config(int argc, const char* const* argv, char** envp);

// The folders the web UI is looked for in without --web-root, in order:
// the web/ folder of the source tree this binary was built from, then the
// installed share folder (CMake's DATADIR/parley/web).
std::vector<std::string> default_web_roots();
// The first of them that is a directory, canonical; "" when none is.
std::string default_web_root();

}  // namespace parley
