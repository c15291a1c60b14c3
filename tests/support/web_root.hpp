// A web root for the web UI's tests (the unit tests of broker/web_files.*
// and the integration tests against the real broker): a fresh temporary
// folder `base` holding the root `base/web`, and beside it what must never
// be served, with links that point at it from inside the root. Removed with
// everything in it.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace parley::testing {

struct WebRoot {
  std::filesystem::path base;
  std::filesystem::path root;  // base/web

  WebRoot() {
    namespace fs = std::filesystem;
    static int n = 0;
    base = fs::temp_directory_path() /
           ("parley-web-root-" + std::to_string(getpid()) + "-" + std::to_string(++n));
    root = base / "web";
    fs::create_directories(root / "console");
    fs::create_directories(root / "sdk");
    fs::create_directories(root / "widget");
    write(root / "index.html", "<h1>shop</h1>");
    write(root / "console" / "index.html", "console");
    write(root / "sdk" / "parley.js", "export const sdk = 1;");
    write(root / "widget" / "widget.js", "import '../sdk/parley.js';");
    write(root / ".env", "SECRET=1");
    // Outside the root: every one holds the word "secret".
    write(base / "secret.txt", "top secret");
    fs::create_directories(base / "elsewhere");
    write(base / "elsewhere" / "index.html", "top secret too");
    fs::create_symlink("../secret.txt", root / "leak.txt");      // a file outside
    fs::create_symlink(base / "secret.txt", root / "abs.txt");   // the same, absolute
    fs::create_symlink("../elsewhere", root / "out");            // a folder outside
    // Inside the root: followed.
    fs::create_symlink("sdk/parley.js", root / "alias.js");
    fs::create_symlink("../sdk", root / "widget" / "sdk-link");
  }
  ~WebRoot() {
    std::error_code ec;
    std::filesystem::remove_all(base, ec);
  }
  WebRoot(const WebRoot&) = delete;
  WebRoot& operator=(const WebRoot&) = delete;

  static void write(const std::filesystem::path& p, const std::string& content) {
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
  }
};

}  // namespace parley::testing
