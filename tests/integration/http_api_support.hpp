// The HTTP server API from a test: an API keys file in a temporary folder,
// and POSTs to /api/v1/ (docs/server-api.md).
#pragma once

#include <openssl/sha.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "harness.hpp"

namespace parley::it {

inline std::string sha256_hex(const std::string& key) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), h);
  std::string out;
  char buf[3];
  for (unsigned char c : h) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

// One line of the keys file for `key`.
inline std::string key_line(const std::string& name, const std::string& tenant,
                            const std::string& role, const std::string& user,
                            const std::string& rate, const std::string& key) {
  return name + " " + tenant + " " + role + " " + user + " " + rate + " " + sha256_hex(key) + "\n";
}

// A keys file that goes with the test.
class KeysFile {
 public:
  explicit KeysFile(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("parley-keys-" + std::to_string(::getpid()) + "-" + std::to_string(++counter()));
    write(text);
  }
  ~KeysFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  void write(const std::string& text) {
    std::ofstream(path_, std::ios::trunc) << text;
  }
  std::string path() const { return path_.string(); }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path path_;
};

// POST /api/v1/<method> with `body`; `key` empty: no Authorization.
inline HttpResult api_post(uint16_t port, const std::string& method, const std::string& body,
                           const std::string& key,
                           const std::string& content_type = "application/json") {
  std::string req = "POST /api/v1/" + method + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                    "Connection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  if (!key.empty()) req += "Authorization: Bearer " + key + "\r\n";
  if (!content_type.empty()) req += "Content-Type: " + content_type + "\r\n";
  return http_exchange(port, req + "\r\n" + body);
}

}  // namespace parley::it
