// The web UI's files (broker/net/web_files.hpp): the pure target mapping,
// content types, ETag matching and CORS by tables; then WebFiles on a
// temporary web root, symlinks out of it included.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "net/web_files.hpp"
#include "web_root.hpp"

using namespace parley;
using parley::testing::WebRoot;
namespace fs = std::filesystem;

TEST_CASE("web: targets that map to a file under the root") {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"/", "index.html"},
      {"/?utm=1", "index.html"},
      {"/widget.js", "widget/widget.js"},
      {"/widget.js?v=3#x", "widget/widget.js"},
      {"/sdk/parley.js", "sdk/parley.js"},
      {"/console/", "console/index.html"},
      {"/console", "console"},  // a directory: WebFiles answers 301 to /console/
      {"/widget/x.js", "widget/x.js"},
      {"/index.html", "index.html"},
      {"/a%20b.css", "a b.css"},
      {"/c++.js", "c++.js"},  // '+' is no space in a path
      {"/%C3%A9t%C3%A9.svg", "\xC3\xA9t\xC3\xA9.svg"},
      {"/a..b/c.d.ts", "a..b/c.d.ts"},  // dots inside a name are fine
      {"/console/index.html?x=/../y", "console/index.html"},  // the query is not the path
  };
  for (const auto& [target, path] : table) {
    CAPTURE(target);
    WebTarget t = map_web_target(target);
    CHECK(t.refused == 0);
    CHECK(t.path == path);
  }
}

TEST_CASE("web: targets that are refused before any file is looked at") {
  const std::string segment_max(kWebSegmentMax, 'a');
  const std::vector<std::pair<std::string, unsigned>> table = {
      // Leaving the root: dot segments, raw or encoded, anywhere.
      {"/..", 400},
      {"/../etc/passwd", 400},
      {"/sdk/../../etc/passwd", 400},
      {"/sdk/..", 400},
      {"/sdk/../", 400},
      {"/./index.html", 400},
      {"/%2e%2e/etc/passwd", 400},
      {"/%2E%2E/etc/passwd", 400},
      {"/.%2e/etc/passwd", 400},
      {"/%2e/index.html", 400},
      // An encoded slash or backslash would change the segments.
      {"/..%2fetc%2fpasswd", 400},
      {"/sdk%2F..%2F..%2Fetc/passwd", 400},
      {"/..\\etc\\passwd", 400},
      {"/sdk\\parley.js", 400},
      {"/%5c..%5cetc", 400},
      // NUL and other control bytes, raw or encoded.
      {std::string("/index.html\0.js", 15), 400},
      {"/index.html%00.js", 400},
      {"/a%0d%0aSet-Cookie:x", 400},
      {"/a%7f", 400},
      // Absolute paths in disguise, and targets that are no path at all.
      {"//etc/passwd", 400},
      {"/sdk//parley.js", 400},
      {"//", 400},
      {"http://127.0.0.1:8080/index.html", 400},
      {"*", 400},
      {"", 400},
      {"C:\\Windows\\win.ini", 400},
      {"etc/passwd", 400},
      // Malformed escapes.
      {"/a%2", 400},
      {"/a%zz", 400},
      {"/%", 400},
      // Dotfiles are not served.
      {"/.git/config", 404},
      {"/.env", 404},
      {"/sdk/.secret", 404},
      // Overlong.
      {"/" + segment_max + "a", 414},
      {"/" + std::string(3 * kWebPathMax + 1, 'a'), 414},
      {"/" + std::string(kWebPathMax / 2, 'a') + "/" + std::string(kWebPathMax / 2, 'b'), 414},
  };
  for (const auto& [target, status] : table) {
    CAPTURE(target);
    WebTarget t = map_web_target(target);
    CHECK(t.refused == status);
    CHECK(t.path.empty());
  }
  // Just within the limits.
  CHECK(map_web_target("/" + segment_max).refused == 0);
  const std::string s250(250, 'b');  // 4 × 250 + 4 slashes + 20 = kWebPathMax
  const std::string longest = "/" + s250 + "/" + s250 + "/" + s250 + "/" + s250 + "/" +
                              std::string(kWebPathMax - 4 * 251, 'c');
  CHECK(map_web_target(longest).path.size() == kWebPathMax);
  CHECK(map_web_target(longest).refused == 0);
  CHECK(map_web_target(longest + "c").refused == 414);
}

TEST_CASE("web: content types by ending") {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"index.html", "text/html; charset=utf-8"},
      {"INDEX.HTM", "text/html; charset=utf-8"},
      {"widget/widget.js", "text/javascript; charset=utf-8"},
      {"sdk/parley.mjs", "text/javascript; charset=utf-8"},
      {"console/console.css", "text/css; charset=utf-8"},
      {"logo.svg", "image/svg+xml"},
      {"shot.png", "image/png"},
      {"package.json", "application/json"},
      {"parley.js.map", "application/json"},
      {"favicon.ico", "image/x-icon"},
      {"font.woff2", "font/woff2"},
      {"sdk/parley.d.ts", "text/plain; charset=utf-8"},
      {"README.md", "text/plain; charset=utf-8"},
      {"photo.JPEG", "image/jpeg"},
      {"blob.bin", "application/octet-stream"},
      {"noext", "application/octet-stream"},
  };
  for (const auto& [path, type] : table) {
    CAPTURE(path);
    CHECK(web_content_type(path) == type);
  }
}

TEST_CASE("web: If-None-Match against an ETag") {
  const std::string tag = R"("c-18ee9581")";
  CHECK(etag_matches(tag, tag));
  CHECK(etag_matches("*", tag));
  CHECK(etag_matches(R"(W/"c-18ee9581")", tag));  // weak comparison
  CHECK(etag_matches(R"("x", "c-18ee9581")", tag));
  CHECK(etag_matches(R"("x",W/"c-18ee9581" , "y")", tag));
  CHECK_FALSE(etag_matches(R"("c-18ee9582")", tag));
  CHECK_FALSE(etag_matches(R"("x", "y")", tag));
  CHECK_FALSE(etag_matches("c-18ee9581", tag));  // unquoted: not the same tag
  CHECK_FALSE(etag_matches("", tag));
  CHECK_FALSE(etag_matches(" , ", tag));
}

TEST_CASE("web: the CORS origin") {
  const std::vector<std::string> none;
  const std::vector<std::string> shop = {"https://Shop.Example/", "https://other.example"};
  CHECK(cors_origin("https://anyone.example", none) == "*");
  CHECK(cors_origin("", none) == "*");
  CHECK(cors_origin("https://shop.example", shop) == "https://shop.example");
  CHECK(cors_origin("https://other.example", shop) == "https://other.example");
  CHECK(cors_origin("https://evil.example", shop).empty());
  CHECK(cors_origin("", shop).empty());
}

namespace {

HttpReply get(const WebFiles& files, std::string_view target, std::string_view origin = "",
              std::string_view if_none_match = "", std::string_view method = "GET") {
  return files.reply(WebRequest{method, target, origin, if_none_match});
}

std::string header(const HttpReply& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

bool has_header(const HttpReply& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return true;
  return false;
}

}  // namespace

TEST_CASE("web: WebFiles serves the files under the root") {
  WebRoot t;
  WebFiles files(t.root.string(), {});
  CHECK(files.root() == fs::canonical(t.root).string());

  HttpReply index = get(files, "/");
  CHECK(index.status == 200);
  CHECK(index.body == "<h1>shop</h1>");
  CHECK(index.content_type == "text/html; charset=utf-8");
  CHECK(index.cache_control == "no-cache");
  CHECK(header(index, "Access-Control-Allow-Origin") == "*");
  CHECK(header(index, "Vary") == "Origin");
  CHECK(header(index, "X-Content-Type-Options") == "nosniff");
  const std::string etag = header(index, "ETag");
  CHECK(etag.size() > 2);
  CHECK(etag.front() == '"');
  CHECK(etag.back() == '"');

  HttpReply widget = get(files, "/widget.js");
  CHECK(widget.status == 200);
  CHECK(widget.body == "import '../sdk/parley.js';");
  CHECK(widget.content_type == "text/javascript; charset=utf-8");
  CHECK(get(files, "/widget/widget.js").body == widget.body);
  CHECK(get(files, "/sdk/parley.js").body == "export const sdk = 1;");
  CHECK(get(files, "/console/").body == "console");
  CHECK(get(files, "/console/index.html").body == "console");
  // Links that stay inside the root are followed.
  CHECK(get(files, "/alias.js").body == "export const sdk = 1;");
  CHECK(get(files, "/widget/sdk-link/parley.js").body == "export const sdk = 1;");
  CHECK(get(files, "/nothing.js").status == 404);
  CHECK(get(files, "/sdk/parley.js/x").status == 404);  // a file is no folder
}

TEST_CASE("web: a folder without its slash is redirected to it") {
  WebRoot t;
  WebFiles files(t.root.string(), {});
  HttpReply r = get(files, "/console");
  CHECK(r.status == 301);
  CHECK(header(r, "Location") == "/console/");
  CHECK(header(get(files, "/console?tab=inbox#top"), "Location") == "/console/?tab=inbox");
  CHECK(header(get(files, "/widget/sdk-link"), "Location") == "/widget/sdk-link/");
}

TEST_CASE("web: nothing outside the root is served, links included") {
  WebRoot t;
  WebFiles files(t.root.string(), {});
  for (std::string_view target :
       {"/leak.txt", "/abs.txt", "/out/", "/out/index.html", "/out", "/../secret.txt",
        "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/..\\secret.txt", "/.env",
        "/index.html%00.txt", "//secret.txt"}) {
    CAPTURE(target);
    HttpReply r = get(files, target);
    CHECK(r.status != 200);
    CHECK(r.status != 301);
    CHECK(r.body.find("secret") == std::string::npos);
  }
  CHECK(get(files, "/leak.txt").status == 404);
  CHECK(get(files, "/out/index.html").status == 404);
  CHECK(get(files, "/../secret.txt").status == 400);
}

TEST_CASE("web: ETag revalidation, HEAD, and methods other than GET and HEAD") {
  WebRoot t;
  WebFiles files(t.root.string(), {});
  const std::string etag = header(get(files, "/sdk/parley.js"), "ETag");
  HttpReply same = get(files, "/sdk/parley.js", "", etag);
  CHECK(same.status == 304);
  CHECK(same.body.empty());
  CHECK(same.content_type.empty());
  CHECK(header(same, "ETag") == etag);
  CHECK(header(same, "Access-Control-Allow-Origin") == "*");
  CHECK(get(files, "/sdk/parley.js", "", "W/" + etag).status == 304);
  CHECK(get(files, "/sdk/parley.js", "", R"("other")").status == 200);
  // Another file has another tag (another size here).
  CHECK(header(get(files, "/"), "ETag") != etag);
  // An edit changes the tag.
  WebRoot::write(t.root / "sdk" / "parley.js", "export const sdk = 22;");
  HttpReply edited = get(files, "/sdk/parley.js", "", etag);
  CHECK(edited.status == 200);
  CHECK(edited.body == "export const sdk = 22;");
  CHECK(header(edited, "ETag") != etag);

  HttpReply head = get(files, "/sdk/parley.js", "", "", "HEAD");
  CHECK(head.status == 200);  // the listener sends the headers only
  CHECK(head.body == edited.body);

  for (std::string_view method : {"POST", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
    CAPTURE(method);
    HttpReply r = get(files, "/", "", "", method);
    CHECK(r.status == 405);
    CHECK(header(r, "Allow") == "GET, HEAD");
  }
}

TEST_CASE("web: CORS follows --allowed-origin") {
  WebRoot t;
  WebFiles files(t.root.string(), {"https://shop.example"});
  HttpReply listed = get(files, "/widget.js", "https://SHOP.example");
  CHECK(header(listed, "Access-Control-Allow-Origin") == "https://SHOP.example");
  CHECK(header(listed, "Vary") == "Origin");
  HttpReply other = get(files, "/widget.js", "https://evil.example");
  CHECK(other.status == 200);  // served; the browser keeps it from the page
  CHECK_FALSE(has_header(other, "Access-Control-Allow-Origin"));
  CHECK(header(other, "Vary") == "Origin");
  CHECK_FALSE(has_header(get(files, "/widget.js"), "Access-Control-Allow-Origin"));
}
