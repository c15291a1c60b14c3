#include "net/web_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <filesystem>
#include <utility>

namespace parley {

namespace {

bool ends_with_ascii_ci(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals_ascii(s.substr(s.size() - suffix.size()), suffix);
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view strip_weak(std::string_view tag) {
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  return tag;
}

// A byte no served path may hold once decoded: controls (NUL included),
// DEL, a '/' that came encoded (it would change the segments), a backslash.
bool forbidden_byte(unsigned char c) { return c < 0x20 || c == 0x7f || c == '/' || c == '\\'; }

std::string hex(unsigned long long v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[v & 0xF]);
    v >>= 4;
  } while (v);
  return out;
}

HttpReply plain(unsigned status, std::string body) {
  HttpReply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpReply refusal(unsigned status) {
  switch (status) {
    case 400:
      return plain(400, "bad request\n");
    case 414:
      return plain(414, "uri too long\n");
    default:
      return plain(404, "not found\n");
  }
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads `size` bytes (fewer when the file shrank meanwhile).
bool read_all(int fd, size_t size, std::string& out) {
  out.resize(size);
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd, out.data() + got, size - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return true;
}

}  // namespace

WebTarget map_web_target(std::string_view target) {
  WebTarget out;
  auto refuse = [&out](unsigned status) {
    out.refused = status;
    out.path.clear();
    return out;
  };
  const std::string_view path = target_path(target);
  if (path.empty() || path.front() != '/') return refuse(400);
  // Longer than the limit even if every byte were a %XX escape.
  if (path.size() > 3 * kWebPathMax) return refuse(414);
  if (path == "/") {
    out.path = "index.html";
    return out;
  }
  if (path == "/widget.js") {
    out.path = "widget/widget.js";
    return out;
  }
  const bool directory = path.back() == '/';
  std::string_view rest = path.substr(1, path.size() - (directory ? 2 : 1));
  bool hidden = false;
  for (;;) {
    const auto slash = rest.find('/');
    auto segment = url_decode(rest.substr(0, slash), false);
    if (!segment || segment->empty() || *segment == "." || *segment == "..") return refuse(400);
    for (unsigned char c : *segment)
      if (forbidden_byte(c)) return refuse(400);
    if (segment->size() > kWebSegmentMax) return refuse(414);
    hidden = hidden || segment->front() == '.';
    if (!out.path.empty()) out.path.push_back('/');
    out.path += *segment;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  if (directory) out.path += "/index.html";
  if (out.path.size() > kWebPathMax) return refuse(414);
  if (hidden) return refuse(404);
  return out;
}

std::string_view web_content_type(std::string_view path) {
  // Longer endings first where one ends another (.d.ts before .ts).
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".d.ts", "text/plain; charset=utf-8"},
      {".ts", "text/plain; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".md", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".wasm", "application/wasm"},
  }};
  for (const auto& [ending, type] : kTypes)
    if (ends_with_ascii_ci(path, ending)) return type;
  return "application/octet-stream";
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  etag = strip_weak(etag);
  for (;;) {
    const auto comma = if_none_match.find(',');
    const std::string_view item = trim_ows(if_none_match.substr(0, comma));
    if (item == "*" || (!item.empty() && strip_weak(item) == etag)) return true;
    if (comma == std::string_view::npos) return false;
    if_none_match.remove_prefix(comma + 1);
  }
}

std::string cors_origin(std::string_view origin, const std::vector<std::string>& allowed) {
  if (allowed.empty()) return "*";
  if (!origin.empty() && origin_allowed(origin, allowed)) return std::string(origin);
  return {};
}

WebFiles::WebFiles(std::string root, std::vector<std::string> allowed_origins)
    : allowed_origins_(std::move(allowed_origins)) {
  std::error_code ec;
  auto canonical = std::filesystem::canonical(root, ec);
  root_ = ec ? std::move(root) : canonical.string();
}

HttpReply WebFiles::reply(const WebRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpReply r = plain(405, "method not allowed\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  const WebTarget mapped = map_web_target(request.target);
  if (mapped.refused) return refusal(mapped.refused);

  // Every link resolved: what is served must still be inside the root.
  std::error_code ec;
  const auto real = std::filesystem::canonical(std::filesystem::path(root_) / mapped.path, ec);
  if (ec) return refusal(404);
  const std::string& name = real.native();
  const std::string prefix = root_.ends_with('/') ? root_ : root_ + "/";
  if (name != root_ && !name.starts_with(prefix)) return refusal(404);

  // The canonical name has no link left; O_NOFOLLOW refuses one put there since.
  Fd file{::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  struct stat st {};
  if (file.fd < 0 || ::fstat(file.fd, &st) != 0) return refusal(404);
  if (S_ISDIR(st.st_mode)) {
    // /console -> /console/, so the page's relative URLs resolve inside it.
    const std::string_view path = target_path(request.target);
    const std::string_view rest = request.target.substr(path.size());
    HttpReply r = plain(301, "moved permanently\n");
    r.headers.emplace_back("Location", std::string(path) + "/" +
                                           std::string(rest.substr(0, rest.find('#'))));
    return r;
  }
  if (!S_ISREG(st.st_mode)) return refusal(404);
  if (st.st_size > kWebFileMax) return plain(500, "file too large to serve\n");

  HttpReply r;
  // Strong: size and modification time (to the nanosecond) change with
  // every edit that matters to a browser's copy.
  const auto mtime_ns = static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1000000000ull +
                        static_cast<unsigned long long>(st.st_mtim.tv_nsec);
  const std::string etag =
      "\"" + hex(static_cast<unsigned long long>(st.st_size)) + "-" + hex(mtime_ns) + "\"";
  r.cache_control = "no-cache";  // keep a copy, but ask (If-None-Match) before using it
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("Vary", "Origin");
  if (auto allow = cors_origin(request.origin, allowed_origins_); !allow.empty())
    r.headers.emplace_back("Access-Control-Allow-Origin", std::move(allow));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (!request.if_none_match.empty() && etag_matches(request.if_none_match, etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  if (!read_all(file.fd, static_cast<size_t>(st.st_size), r.body)) return refusal(404);
  r.status = 200;
  r.content_type = web_content_type(mapped.path);
  return r;
}

}  // namespace parley
