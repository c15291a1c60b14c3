// A small HTTP receiver for the hook tests: it listens on a free loopback
// port, records every request (target, headers, body, when), and answers
// each with what the test's policy says (status, body, an optional delay).
// One thread accepts; each connection is served on a thread of its own.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace parley::it {

struct HookRequest {
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HookAnswer {
  int status = 200;
  std::string body = "{}";
  std::chrono::milliseconds delay{0};
};

class HookReceiver {
 public:
  using Policy = std::function<HookAnswer(const HookRequest&)>;
  // `port` 0: a free one; else that port (a receiver back up where one
  // was stopped).
  explicit HookReceiver(Policy policy = {}, uint16_t port = 0);
  ~HookReceiver();
  HookReceiver(const HookReceiver&) = delete;
  HookReceiver& operator=(const HookReceiver&) = delete;

  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;
  void set_policy(Policy policy);
  // Every request so far, with the status it was answered with.
  std::vector<std::pair<HookRequest, int>> requests() const;

 private:
  void accept_loop();
  void serve(int fd);

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  Policy policy_;
  std::vector<std::pair<HookRequest, int>> requests_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

// HMAC-SHA256 of "t.body" with `secret`, as hex: what `v1=` must say.
std::string expected_signature(const std::string& secret, const std::string& t,
                               const std::string& body);
// Checks a Parley-Signature header against the body: true when v1 matches.
bool signature_valid(const std::string& header, const std::string& secret,
                     const std::string& body);

}  // namespace parley::it
