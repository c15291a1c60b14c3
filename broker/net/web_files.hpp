// The web UI's files, served on the broker's port (docs/configuration.md,
// "Web UI"): the demo page at /, the widget at /widget.js, the SDK, the
// console, anything else under the web root.
//
// Two layers. The pure ones (map_web_target, web_content_type,
// etag_matches, cors_origin) hold every decision about a request's text and
// are table-tested (tests/unit/broker_web_files_test.cpp). WebFiles adds the
// file system: it resolves the mapped path (symlinks included) and serves it
// only when the result is still inside the root. No Beast here: the listener
// turns the HttpReply into a response.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "net/http.hpp"
#include "tuning.hpp"

namespace parley {

// Where a request target leads, before the file system is asked.
struct WebTarget {
  // 0 for a path to look up; otherwise the refusal: 400 for a target that
  // is malformed or tries to leave the root, 404 for a path that is never
  // served (a dotfile), 414 for one that is too long.
  unsigned refused = 0;
  // Relative to the web root: '/'-separated decoded segments, no leading
  // '/', no empty, "." or ".." segment. A target ending in '/' names the
  // directory's index.html.
  std::string path;
};

// Maps a request target (origin form, query and fragment ignored):
//   /            -> index.html
//   /widget.js   -> widget/widget.js (an alias: the widget imports
//                   ../sdk/parley.js, which resolves to /sdk/parley.js)
//   /a/b/        -> a/b/index.html
//   /a/b.js      -> a/b.js
// Segments are %-decoded one by one ('+' stays a plus). Refused: a target
// not starting with '/' (absolute form, '*'), a bad %-escape, an encoded
// '/', a backslash (raw or encoded), NUL or another control byte, an empty
// segment ("//etc/passwd"), "." and ".." (raw or encoded), a segment
// starting with '.' (404), and a path over kWebPathMax bytes or a segment
// over kWebSegmentMax (414; both in tuning.hpp).
WebTarget map_web_target(std::string_view target);

// The Content-Type of a file by its name's ending (ASCII case ignored);
// application/octet-stream for an unknown one.
std::string_view web_content_type(std::string_view path);

// Whether an If-None-Match value matches `etag`: `*`, or any listed tag,
// compared weakly (a W/ prefix ignored), as RFC 9110 §13.1.2 asks.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// The Access-Control-Allow-Origin of a file: `*` when no origin is
// configured (--allowed-origin), the request's Origin when it is allowed,
// else "" (no header: the browser refuses the cross-origin read).
std::string cors_origin(std::string_view origin, const std::vector<std::string>& allowed);

struct WebRequest {
  std::string_view method;
  std::string_view target;
  std::string_view origin;         // Origin, "" when absent
  std::string_view if_none_match;  // If-None-Match, "" when absent
};

class WebFiles {
 public:
  // `root`: the directory to serve (made canonical here).
  WebFiles(std::string root, std::vector<std::string> allowed_origins);

  const std::string& root() const { return root_; }

  // The answer: 200 with the file, 304 when If-None-Match matches, 301 from
  // a directory without its trailing '/' to the one with it, 404 for what
  // is not there or resolves outside the root, the refusals of
  // map_web_target, 405 for a method other than GET and HEAD. Reads the
  // file on each request (small files, from the page cache).
  HttpReply reply(const WebRequest& request) const;

 private:
  std::string root_;
  std::vector<std::string> allowed_origins_;
};

}  // namespace parley
