// Configuration (broker/config.cpp, its option table broker/config_options.cpp): flags,
// PARLEY_* environment, the --config file, their precedence, and the errors for bad values.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "broker_config_support.hpp"
#include "config.hpp"
#include "test_keys.hpp"

using namespace parley;
using namespace parley::config_testing;

TEST_CASE("config: the defaults") {
  Config c = ok({"--dev"});
  const Config d;
  CHECK(c.dev);
  CHECK(c.listen_host == "127.0.0.1");
  CHECK(c.listen_port == 8080);
  CHECK(c.threads == 0);
  CHECK(c.log_level == "info");
  CHECK(c.allowed_origins.empty());
  CHECK(c.auth_timeout_ms == 10000);
  CHECK(c.ping_interval_ms == 25000);
  CHECK(c.idle_timeout_ms == 60000);
  CHECK(c.chat_state_interval_ms == 1000);
  CHECK(c.presence_ttl_ms == 20000);
  CHECK(c.timer_poll_ms == 1000);
  CHECK(c.redis_urls.empty());  // the memory engine
  CHECK(c.redis_timeout_ms == 1000);
  CHECK(c.auth.jwt_secret.empty());
  CHECK_FALSE(c.auth.issuer.has_value());
  CHECK_FALSE(c.auth.audience.has_value());
  CHECK(c.limits.frame_bytes == d.limits.frame_bytes);
  CHECK(c.limits.outbound_bytes == d.limits.outbound_bytes);
  // hostname-pid
  CHECK(contains(c.node_id, "-" + std::to_string(getpid())));
}

TEST_CASE("config: no secret and no --dev refuses to start") {
  CHECK(error({}) ==
        "refusing to start: set --jwt-secret / --jwt-secret-file (PARLEY_JWT_SECRET), "
        "--jwt-jwks-file, or run with --dev");
  CHECK_FALSE(ok({"--jwt-secret", "s"}).dev);
  CHECK(ok({"--jwt-secret", "s"}).auth.jwt_secret == "s");
}

TEST_CASE("config: --help answers the usage, listing every flag") {
  auto r = parse({"--help"});
  REQUIRE(r.ok());
  REQUIRE(r->help.has_value());
  for (const char* flag : {"--listen",
                           "--jwt-secret",
                           "--jwt-secret-file",
                           "--jwt-issuer",
                           "--jwt-audience",
                           "--dev",
                           "--threads",
                           "--node-id",
                           "--log-level",
                           "--allowed-origin",
                           "--web-root",
                           "--no-web",
                           "--auth-timeout-ms",
                           "--ping-interval-ms",
                           "--idle-timeout-ms",
                           "--chat-state-interval-ms",
                           "--presence-ttl-ms",
                           "--timer-poll-ms",
                           "--redis",
                           "--redis-timeout-ms",
                           "--redis-sentinel",
                           "--redis-master-name",
                           "--redis-password",
                           "--redis-wait-replicas",
                           "--redis-wait-timeout-ms",
                           "--config",
                           "--max-frame-bytes",
                           "--max-text-chars",
                           "--max-rich-content-chars",
                           "--max-note-chars",
                           "--max-notes-bytes",
                           "--max-metadata-bytes",
                           "--max-name-chars",
                           "--max-members",
                           "--max-batch",
                           "--max-subscriptions",
                           "--max-inbox-subscriptions",
                           "--rate-per-sec",
                           "--rate-burst",
                           "--max-replay",
                           "--max-outbound-bytes",
                           "--max-json-depth",
                           "--max-page",
                           "--max-query",
                           "--rate-abuse-strikes"})
    CHECK_MESSAGE(contains(*r->help, flag), flag);
}

TEST_CASE("config: unknown and abbreviated flags are errors") {
  CHECK(contains(error({"--dev", "--nope"}), "--nope"));
  CHECK(contains(error({"--dev", "--list", "1.2.3.4:1"}), "--list"));
  CHECK(contains(error({"--dev", "stray"}), "positional"));
  CHECK(contains(error({"--dev", "--threads", "1", "--threads", "2"}), "threads"));
}

TEST_CASE("config: --listen") {
  Config c = ok({"--dev", "--listen", "0.0.0.0:9000"});
  CHECK(c.listen_host == "0.0.0.0");
  CHECK(c.listen_port == 9000);
  c = ok({"--dev", "--listen", "[::1]:0"});
  CHECK(c.listen_host == "::1");
  CHECK(c.listen_port == 0);
  c = ok({"--dev", "--listen", "localhost:80"});
  CHECK(c.listen_host == "localhost");
  for (const char* bad : {"8080", ":8080", "host:", "host:x", "host:65536", "host:-1", "::1:80",
                          "[::1]80", "[nope]:80", "a b:80"}) {
    std::string e = error({"--dev", "--listen", bad});
    CHECK_MESSAGE(contains(e, "--listen (PARLEY_LISTEN)"), e);
  }
}

TEST_CASE("config: every limit flag sets its field") {
  struct Case {
    const char* flag;
    const char* value;
    std::function<bool(const Limits&)> check;
  };
  const std::vector<Case> cases = {
      {"--max-frame-bytes", "2048", [](const Limits& l) { return l.frame_bytes == 2048; }},
      {"--max-text-chars", "10", [](const Limits& l) { return l.text_chars == 10; }},
      {"--max-rich-content-chars", "11",
       [](const Limits& l) { return l.rich_content_chars == 11; }},
      {"--max-note-chars", "12", [](const Limits& l) { return l.note_chars == 12; }},
      {"--max-notes-bytes", "13", [](const Limits& l) { return l.notes_bytes == 13; }},
      {"--max-metadata-bytes", "14", [](const Limits& l) { return l.metadata_bytes == 14; }},
      {"--max-name-chars", "15", [](const Limits& l) { return l.name_chars == 15; }},
      {"--max-members", "16", [](const Limits& l) { return l.members == 16; }},
      {"--max-batch", "17", [](const Limits& l) { return l.batch == 17; }},
      {"--max-subscriptions", "18", [](const Limits& l) { return l.subscriptions == 18; }},
      {"--max-inbox-subscriptions", "19",
       [](const Limits& l) { return l.inbox_subscriptions == 19; }},
      {"--rate-per-sec", "2.5", [](const Limits& l) { return l.rate_per_sec == 2.5; }},
      {"--rate-burst", "7", [](const Limits& l) { return l.rate_burst == 7; }},
      {"--max-replay", "0", [](const Limits& l) { return l.replay_events == 0; }},
      {"--max-outbound-bytes", "4096", [](const Limits& l) { return l.outbound_bytes == 4096; }},
      {"--max-json-depth", "8", [](const Limits& l) { return l.json_depth == 8; }},
      {"--max-page", "21", [](const Limits& l) { return l.page_max == 21; }},
      {"--max-query", "22", [](const Limits& l) { return l.query_max == 22; }},
      {"--rate-abuse-strikes", "23", [](const Limits& l) { return l.rate_abuse_strikes == 23; }},
  };
  for (const auto& c : cases) {
    Config cfg = ok({"--dev", c.flag, c.value});
    CHECK_MESSAGE(c.check(cfg.limits), c.flag);
  }
}

TEST_CASE("config: bad numbers name the setting") {
  CHECK(error({"--dev", "--max-frame-bytes", "12x"}) ==
        "--max-frame-bytes (PARLEY_MAX_FRAME_BYTES): expected a whole number from 1024 to "
        "67108864, got \"12x\"");
  CHECK(contains(error({"--dev", "--max-frame-bytes", "-1"}), "--max-frame-bytes"));
  CHECK(contains(error({"--dev", "--max-frame-bytes", "100"}), "from 1024"));
  CHECK(contains(error({"--dev", "--max-batch", "1.5"}), "--max-batch"));
  CHECK(contains(error({"--dev", "--rate-per-sec", "0"}), "--rate-per-sec"));
  CHECK(contains(error({"--dev", "--rate-per-sec", "nan"}), "--rate-per-sec"));
  CHECK(contains(error({"--dev", "--rate-burst", "0.5"}), "--rate-burst"));
  CHECK(contains(error({"--dev", "--threads", "-2"}), "--threads (PARLEY_THREADS)"));
  CHECK(contains(error({"--dev", "--threads", "abc"}), "--threads"));
  CHECK(contains(error({"--dev", "--auth-timeout-ms", "0"}), "--auth-timeout-ms"));
  CHECK(contains(error({"--dev", "--max-outbound-bytes", ""}), "--max-outbound-bytes"));
  CHECK(contains(error({"--dev", "--log-level", "loud"}), "--log-level"));
  CHECK(contains(error({"--dev", "--node-id", "has space"}), "--node-id"));
  CHECK(ok({"--dev", "--log-level", "debug"}).log_level == "debug");
  CHECK(ok({"--dev", "--threads", "3"}).threads == 3);
  CHECK(ok({"--dev", "--node-id", "node-a_1.x"}).node_id == "node-a_1.x");
}

TEST_CASE("config: the idle timeout must exceed the ping interval") {
  std::string e = error({"--dev", "--ping-interval-ms", "5000", "--idle-timeout-ms", "5000"});
  CHECK(contains(e, "--idle-timeout-ms"));
  CHECK(contains(e, "--ping-interval-ms"));
  Config c = ok({"--dev", "--ping-interval-ms", "100", "--idle-timeout-ms", "250",
                 "--auth-timeout-ms", "300", "--chat-state-interval-ms", "0"});
  CHECK(c.ping_interval_ms == 100);
  CHECK(c.idle_timeout_ms == 250);
  CHECK(c.auth_timeout_ms == 300);
  CHECK(c.chat_state_interval_ms == 0);
}

TEST_CASE("config: the environment, PARLEY_ + upper snake case") {
  Config c = ok(
      {}, {"PARLEY_DEV=1", "PARLEY_LISTEN=0.0.0.0:1234", "PARLEY_MAX_FRAME_BYTES=4096",
           "PARLEY_JWT_ISSUER=idp", "PARLEY_JWT_AUDIENCE=aud",
           "PARLEY_ALLOWED_ORIGIN=https://a.example,https://b.example", "PARLEY_RATE_PER_SEC=0.5",
           "PARLEY_UNRELATED_TOOL_SETTING=x", "OTHER=1", "PARLEY_HELP=1"});
  CHECK(c.dev);
  CHECK(c.listen_port == 1234);
  CHECK(c.limits.frame_bytes == 4096);
  CHECK(c.limits.rate_per_sec == 0.5);
  CHECK(c.auth.issuer == "idp");
  CHECK(c.auth.audience == "aud");
  CHECK(c.allowed_origins == std::vector<std::string>{"https://a.example", "https://b.example"});
  CHECK(ok({}, {"PARLEY_JWT_SECRET=from-env"}).auth.jwt_secret == "from-env");
  CHECK_FALSE(ok({"--jwt-secret", "s"}, {"PARLEY_DEV=false"}).dev);
  CHECK(contains(error({}, {"PARLEY_DEV=1", "PARLEY_THREADS=many"}), "PARLEY_THREADS"));
}

TEST_CASE("config: flags beat the environment, which beats the file") {
  TempFile file(
      "# a comment\n"
      "dev = true\n"
      "listen = 10.0.0.1:1\n"
      "threads = 1\n"
      "max-batch = 5\n"
      "allowed-origin = https://file.example\n"
      "allowed-origin = https://file2.example\n");
  Config c = ok({"--config", file.name(), "--threads", "3"},
                {"PARLEY_THREADS=2", "PARLEY_LISTEN=10.0.0.2:2"});
  CHECK(c.dev);                        // file only
  CHECK(c.limits.batch == 5);          // file only
  CHECK(c.listen_host == "10.0.0.2");  // env over file
  CHECK(c.threads == 3);               // flag over env and file
  CHECK(c.allowed_origins ==
        std::vector<std::string>{"https://file.example", "https://file2.example"});

  // A repeated flag is a list; the list from the command line replaces the
  // environment's and the file's rather than adding to them.
  c = ok(
      {"--config", file.name(), "--allowed-origin", "https://x", "--allowed-origin", "https://y"},
      {"PARLEY_ALLOWED_ORIGIN=https://env"});
  CHECK(c.allowed_origins == std::vector<std::string>{"https://x", "https://y"});

  // The file may be named by the environment too.
  CHECK(ok({}, {"PARLEY_CONFIG=" + file.name()}).limits.batch == 5);
}

TEST_CASE("config: file errors") {
  CHECK(contains(error({"--dev", "--config", "/nonexistent/parley.conf"}), "--config"));
  TempFile unknown("dev = true\nno-such-setting = 1\n");
  CHECK(contains(error({"--config", unknown.name()}), "no-such-setting"));
  TempFile bad("dev = true\nmax-batch = lots\n");
  CHECK(contains(error({"--config", bad.name()}), "--max-batch"));
}

TEST_CASE("config: --jwt-secret-file") {
  TempFile secret("s3cret-from-file\n");
  Config c = ok({"--jwt-secret-file", secret.name()});
  CHECK(c.auth.jwt_secret == "s3cret-from-file");
  TempFile crlf("with-crlf\r\n");
  CHECK(ok({"--jwt-secret-file", crlf.name()}).auth.jwt_secret == "with-crlf");
  TempFile inner("two\nlines\n");
  CHECK(ok({"--jwt-secret-file", inner.name()}).auth.jwt_secret == "two\nlines");
  TempFile empty("\n");
  CHECK(contains(error({"--jwt-secret-file", empty.name()}), "empty"));
  CHECK(contains(error({"--jwt-secret-file", "/nonexistent/secret"}), "--jwt-secret-file"));
  CHECK(contains(error({"--jwt-secret", "a", "--jwt-secret-file", secret.name()}), "not both"));
}

TEST_CASE("config: issuer and audience") {
  Config c = ok({"--jwt-secret", "s", "--jwt-issuer", "https://idp", "--jwt-audience", "parley"});
  CHECK(c.auth.issuer == "https://idp");
  CHECK(c.auth.audience == "parley");
  // Empty means "not checked".
  c = ok({"--jwt-secret", "s", "--jwt-issuer", ""});
  CHECK_FALSE(c.auth.issuer.has_value());
}

TEST_CASE("config: the contact-centre workflow settings") {
  Config d = ok({"--dev"});
  CHECK(d.lock_after_sec == 86400);
  CHECK(d.ttr.normal == 3600);
  CHECK(d.ttr.prioritized == 600);
  CHECK(d.ttr.urgent == 300);
  Config c = ok(
      {"--dev", "--lock-after-sec", "0", "--ttr-normal-sec", "7200", "--ttr-prioritized-sec", "60"},
      {"PARLEY_TTR_URGENT_SEC=30"});
  CHECK(c.lock_after_sec == 0);
  CHECK(c.ttr.normal == 7200);
  CHECK(c.ttr.prioritized == 60);
  CHECK(c.ttr.urgent == 30);
  CHECK(error({"--dev", "--ttr-urgent-sec", "0"}) ==
        "--ttr-urgent-sec (PARLEY_TTR_URGENT_SEC): expected a whole number from 1 to 315360000, "
        "got \"0\"");
  CHECK(contains(error({"--dev", "--lock-after-sec", "-1"}), "--lock-after-sec"));
  auto help = parse({"--help"});
  REQUIRE(help.ok());
  for (const char* flag :
       {"--lock-after-sec", "--ttr-normal-sec", "--ttr-prioritized-sec", "--ttr-urgent-sec"})
    CHECK_MESSAGE(contains(*help->help, flag), flag);
}

TEST_CASE("config: the timer poll period") {
  CHECK(ok({"--dev", "--timer-poll-ms", "250"}).timer_poll_ms == 250);
  CHECK(ok({"--dev"}, {"PARLEY_TIMER_POLL_MS=40"}).timer_poll_ms == 40);
  CHECK(contains(error({"--dev", "--timer-poll-ms", "5"}), "--timer-poll-ms"));
  CHECK(contains(error({"--dev", "--timer-poll-ms", "x"}), "--timer-poll-ms"));
}

TEST_CASE("config: the search bounds") {
  Config d = ok({"--dev"});
  CHECK(d.listing.search_conversations == 500);
  CHECK(d.listing.search_events == 1000);
  Config c = ok({"--dev", "--search-max-conversations", "20"}, {"PARLEY_SEARCH_MAX_EVENTS=5"});
  CHECK(c.listing.search_conversations == 20);
  CHECK(c.listing.search_events == 5);
  CHECK(contains(error({"--dev", "--search-max-events", "0"}), "--search-max-events"));
  auto help = parse({"--help"});
  REQUIRE(help.ok());
  for (const char* flag : {"--search-max-conversations", "--search-max-events"})
    CHECK_MESSAGE(contains(*help->help, flag), flag);
}

TEST_CASE("config: the web UI's root, and --no-web") {
  namespace fs = std::filesystem;
  // Without --web-root: the source tree's web/ (this build's), else the
  // installed share folder; canonical either way.
  Config d = ok({"--dev"});
  CHECK(d.web);
  CHECK(d.web_root == default_web_root());
  REQUIRE(default_web_roots().size() == 2);
  CHECK(default_web_roots()[0].ends_with("/web"));
  CHECK(default_web_roots()[1].ends_with("/parley/web"));
  if (!d.web_root.empty()) CHECK(fs::path(d.web_root).is_absolute());

  // A folder given by flag, environment or file is made canonical.
  const fs::path dir =
      fs::temp_directory_path() / ("parley-config-web-" + std::to_string(getpid()));
  fs::create_directories(dir / "sub");
  const std::string canonical = fs::canonical(dir).string();
  const std::string winding = (dir / "sub" / "..").string();
  CHECK(ok({"--dev", "--web-root", winding}).web_root == canonical);
  CHECK(ok({"--dev"}, {"PARLEY_WEB_ROOT=" + winding}).web_root == canonical);
  TempFile file("dev = true\nweb-root = " + winding + "\n");
  CHECK(ok({"--config", file.name()}).web_root == canonical);

  // Not a folder: an error naming the setting.
  TempFile plain_file("x");
  for (const std::string& bad : {dir.string() + "/missing", plain_file.name(), std::string()}) {
    CAPTURE(bad);
    const std::string e = error({"--dev", "--web-root", bad});
    CHECK(contains(e, "--web-root (PARLEY_WEB_ROOT)"));
    CHECK(contains(e, "not a directory"));
  }

  // --no-web turns serving off, whatever the root (even one that is not there).
  for (const Config& off : {ok({"--dev", "--no-web"}), ok({"--dev"}, {"PARLEY_NO_WEB=1"}),
                            ok({"--dev", "--no-web", "--web-root", dir.string() + "/missing"})})
    CHECK_FALSE(off.web);
  CHECK(ok({"--dev"}, {"PARLEY_NO_WEB=0"}).web);
  fs::remove_all(dir);
}

TEST_CASE("config: the close grace, a setting for tests left out of --help") {
  CHECK(ok({"--dev"}).close_grace_ms == 1000);
  CHECK(ok({"--dev", "--close-grace-ms", "600000"}).close_grace_ms == 600000);
  CHECK(ok({"--dev"}, {"PARLEY_CLOSE_GRACE_MS=250"}).close_grace_ms == 250);
  CHECK_FALSE(parse({"--dev", "--close-grace-ms", "50"}).ok());
  auto help = parse({"--help"});
  REQUIRE(help.ok());
  CHECK_FALSE(contains(*help->help, "close-grace"));
}

TEST_CASE("config: the drain and the JWKS file") {
  Config c = ok({"--dev", "--drain-sec", "10"}, {"PARLEY_DRAIN_SPREAD_SEC=20"});
  CHECK(c.drain_sec == 10);
  CHECK(c.drain_spread_sec == 20);
  CHECK(ok({"--dev"}).drain_sec == 0);
  CHECK(contains(error({"--dev", "--drain-spread-sec", "-1"}), "--drain-spread-sec"));

  // A JWKS file alone is enough to start without --dev; it is checked now.
  TempFile jwks(parley::test::jwks_of({parley::test::make_ec_key("k1")}));
  Config j = ok({"--jwt-jwks-file", jwks.name()});
  CHECK(j.auth.jwks_file == jwks.name());
  CHECK(j.auth.jwt_secret.empty());
  TempFile bad(R"({"keys":[]})");
  CHECK(error({"--jwt-jwks-file", bad.name()}) ==
        "--jwt-jwks-file (PARLEY_JWT_JWKS_FILE): \"" + bad.name() + "\": no keys");
  CHECK(contains(error({"--jwt-jwks-file", "/no/such/jwks.json"}), "cannot read"));
  auto help = parse({"--help"});
  REQUIRE(help.ok());
  for (const char* flag : {"--drain-sec", "--drain-spread-sec", "--jwt-jwks-file"})
    CHECK_MESSAGE(contains(*help->help, flag), flag);
}
