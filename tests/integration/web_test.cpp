// The web UI served by the real broker over real sockets: routes, types,
// caching, CORS, methods, the paths the broker keeps for itself, --no-web,
// the default root; and no request, however encoded, reaching a file
// outside the web root (links out of it included).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness.hpp"
#include "web_root.hpp"

using namespace parley::it;
using parley::testing::WebRoot;

namespace {

std::vector<std::string> web_args(const WebRoot& root, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"--dev", "--web-root", root.root.string()};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// The broker's output once it holds `text` (the line after the start line
// may come a moment after it), or as it is when it never does.
std::string output_with(BrokerProcess& broker, const std::string& text) {
  wait_until([&] { return broker.output().find(text) != std::string::npos; });
  return broker.output();
}

std::string header_or_none(const HttpResult& r, std::string_view name) {
  return r.header(name).value_or("(none)");
}

}  // namespace

TEST_CASE("web UI: the demo page, the widget alias, the SDK, the console") {
  WebRoot root;
  BrokerProcess broker(web_args(root));
  const std::string line = "web UI at http://127.0.0.1:" + std::to_string(broker.port()) + "/";
  CHECK(output_with(broker, line).find(line) != std::string::npos);

  HttpResult index = http_get(broker.port(), "/");
  CHECK(index.status == 200);
  CHECK(index.body == "<h1>shop</h1>");
  CHECK(header_or_none(index, "Content-Type") == "text/html; charset=utf-8");
  CHECK(header_or_none(index, "Content-Length") == "13");
  CHECK(header_or_none(index, "Cache-Control") == "no-cache");
  CHECK(header_or_none(index, "Access-Control-Allow-Origin") == "*");
  CHECK(header_or_none(index, "Vary") == "Origin");

  HttpResult widget = http_get(broker.port(), "/widget.js");
  CHECK(widget.status == 200);
  CHECK(widget.body == "import '../sdk/parley.js';");
  CHECK(header_or_none(widget, "Content-Type") == "text/javascript; charset=utf-8");
  // What the widget imports, resolved against /widget.js.
  HttpResult sdk = http_get(broker.port(), "/sdk/parley.js");
  CHECK(sdk.status == 200);
  CHECK(sdk.body == "export const sdk = 1;");
  CHECK(http_get(broker.port(), "/widget/widget.js").body == widget.body);

  HttpResult console = http_get(broker.port(), "/console");
  CHECK(console.status == 301);
  CHECK(header_or_none(console, "Location") == "/console/");
  CHECK(http_get(broker.port(), "/console/").body == "console");
  CHECK(http_get(broker.port(), "/alias.js").body == sdk.body);  // a link inside the root
  CHECK(http_get(broker.port(), "/no-such-file.js").status == 404);
}

TEST_CASE("web UI: ETag revalidation (304), HEAD, and 405 for other methods") {
  WebRoot root;
  BrokerProcess broker(web_args(root));
  HttpResult first = http_get(broker.port(), "/sdk/parley.js");
  const std::string etag = header_or_none(first, "ETag");
  REQUIRE(etag.front() == '"');

  HttpResult again = http_request(broker.port(), "GET", "/sdk/parley.js", {{"If-None-Match", etag}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK_FALSE(again.header("Content-Length").has_value());
  CHECK(header_or_none(again, "ETag") == etag);
  CHECK(http_request(broker.port(), "GET", "/sdk/parley.js", {{"If-None-Match", R"("x")"}})
            .status == 200);

  // An edit makes a new tag: the browser's copy is not used.
  WebRoot::write(root.root / "sdk" / "parley.js", "export const sdk = 2; // edited");
  HttpResult edited =
      http_request(broker.port(), "GET", "/sdk/parley.js", {{"If-None-Match", etag}});
  CHECK(edited.status == 200);
  CHECK(edited.body == "export const sdk = 2; // edited");
  CHECK(header_or_none(edited, "ETag") != etag);

  HttpResult head = http_request(broker.port(), "HEAD", "/sdk/parley.js");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(header_or_none(head, "Content-Length") == std::to_string(edited.body.size()));
  CHECK(header_or_none(head, "Content-Type") == "text/javascript; charset=utf-8");

  for (std::string method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    HttpResult r = http_request(broker.port(), method, "/index.html", {{"Content-Length", "0"}});
    CHECK_MESSAGE(r.status == 405, method);
    CHECK_MESSAGE(header_or_none(r, "Allow") == "GET, HEAD", method);
  }
}

TEST_CASE("web UI: CORS with --allowed-origin") {
  WebRoot root;
  BrokerProcess broker(web_args(root, {"--allowed-origin", "https://shop.example"}));
  HttpResult listed =
      http_request(broker.port(), "GET", "/widget.js", {{"Origin", "https://shop.example"}});
  CHECK(listed.status == 200);
  CHECK(header_or_none(listed, "Access-Control-Allow-Origin") == "https://shop.example");
  CHECK(header_or_none(listed, "Vary") == "Origin");
  HttpResult other =
      http_request(broker.port(), "GET", "/widget.js", {{"Origin", "https://evil.example"}});
  CHECK_FALSE(other.header("Access-Control-Allow-Origin").has_value());
}

TEST_CASE("web UI: /ws, /healthz, /readyz and /metrics keep precedence over files") {
  WebRoot root;
  for (const char* name : {"ws", "healthz", "readyz", "metrics"})
    WebRoot::write(root.root / name, "a file");
  BrokerProcess broker(web_args(root));
  CHECK(http_get(broker.port(), "/healthz").body == "ok\n");
  CHECK(http_get(broker.port(), "/readyz").body == "ready\n");
  CHECK(http_get(broker.port(), "/metrics").body.find("parley_") != std::string::npos);
  HttpResult ws = http_get(broker.port(), "/ws");  // not an upgrade
  CHECK(ws.status == 404);
  CHECK(ws.body != "a file");
  auto ann = login_dev(broker.port(), "ann");  // and the upgrade still works
  CHECK(ann->call("ping").is_int("/serverTime"));
}

TEST_CASE("web UI: no request leaves the web root") {
  WebRoot root;
  BrokerProcess broker(web_args(root));
  const std::vector<std::string> targets = {
      "/../secret.txt",
      "/../../../../../../etc/passwd",
      "/%2e%2e/secret.txt",
      "/%2E%2E/secret.txt",
      "/.%2e/secret.txt",
      "/sdk/../../secret.txt",
      "/sdk/%2e%2e/%2e%2e/secret.txt",
      "/..%2fsecret.txt",
      "/sdk%2f..%2f..%2fsecret.txt",
      "/%2e%2e%2fsecret.txt",
      "/..\\secret.txt",
      "/%5c..%5csecret.txt",
      "/sdk/..%5c..%5csecret.txt",
      "/secret.txt%00.js",
      "/leak.txt%00",
      "/%00",
      "//etc/passwd",
      "//secret.txt",
      "/" + root.base.string() + "/secret.txt",  // the absolute name, as a path below the root
      "http://127.0.0.1/../secret.txt",          // absolute form
      "/leak.txt",                               // a link to a file outside
      "/abs.txt",                                // an absolute link
      "/out/index.html",                         // a link to a folder outside
      "/out/",
      "/out",
      "/.env",  // a dotfile
      "/" + std::string(5000, 'a'),
      "/" + std::string(2000, 'a') + "/../../secret.txt",
  };
  for (const auto& target : targets) {
    HttpResult r = http_request(broker.port(), "GET", target);
    const std::string what = target.substr(0, 80) + " -> " + std::to_string(r.status) + " " +
                             r.body.substr(0, 80);
    CHECK_MESSAGE(r.status != 200, what);
    CHECK_MESSAGE(r.status != 301, what);
    CHECK_MESSAGE(r.body.find("secret") == std::string::npos, what);
    CHECK_MESSAGE(r.body.find("SECRET") == std::string::npos, what);
    CHECK_MESSAGE(r.body.find("root:") == std::string::npos, what);
  }
  // A few by their exact answer.
  CHECK(http_get(broker.port(), "/%2e%2e/secret.txt").status == 400);
  CHECK(http_get(broker.port(), "/leak.txt").status == 404);
  CHECK(http_get(broker.port(), "/" + std::string(5000, 'a')).status == 414);

  // A raw NUL and a raw backslash in the request line.
  for (std::string target : {std::string("/index.html\0.js", 15), std::string("/..\\..\\x")}) {
    HttpResult r = http_exchange(broker.port(), "GET " + target +
                                                    " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(r.status == 400);
  }
  // The broker still serves after all that.
  CHECK(http_get(broker.port(), "/").status == 200);
}

TEST_CASE("web UI: --no-web serves no file") {
  WebRoot root;
  BrokerProcess broker(web_args(root, {"--no-web"}));
  CHECK(http_get(broker.port(), "/healthz").status == 200);  // the start is long over
  CHECK(broker.output().find("web UI at") == std::string::npos);
  for (const char* target : {"/", "/widget.js", "/sdk/parley.js", "/console/"})
    CHECK_MESSAGE(http_get(broker.port(), target).status == 404, target);
  CHECK(http_request(broker.port(), "POST", "/", {{"Content-Length", "0"}}).status == 404);
  CHECK(http_get(broker.port(), "/healthz").status == 200);
}

TEST_CASE("web UI: without --web-root, the web/ folder of the source tree it was built from") {
  BrokerProcess broker({"--dev"});
  const std::string mark = "/ (the console at /console/) from ";
  const std::string out = output_with(broker, mark);
  const auto at = out.find(mark);
  REQUIRE_MESSAGE(at != std::string::npos, out);
  const std::string dir = out.substr(at + mark.size(), out.find('\n', at) - at - mark.size());
  CHECK_MESSAGE(dir.ends_with("/web"), dir);
  const std::filesystem::path index = std::filesystem::path(dir) / "index.html";
  if (std::filesystem::exists(index)) {
    std::ifstream in(index, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    HttpResult r = http_get(broker.port(), "/");
    CHECK(r.status == 200);
    CHECK(r.body == content.str());
  }
}
