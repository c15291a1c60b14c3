// A WebSocket client for the integration tests, synchronous to the test:
// every call waits at most its time-out and then throws, so no test hangs.
//
// Underneath, a thread runs the socket's io_context and keeps one read
// posted (unless paused), queueing every frame it receives; waiting for a
// frame is waiting on that queue, so a time-out never disturbs the stream.
// `request` skips the server pushes that arrive before its response and
// stashes them, in order, for `next_push` / `expect_push` / `read_frame`.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "json.hpp"

namespace parley::it {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// How long a test waits for anything the broker should do promptly. Only a
// bound on waiting; nothing asserts how long something took.
inline constexpr Millis kWait{5000};

class Timeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How a connection ended.
struct CloseInfo {
  int code = -1;       // the close frame's code; -1 when it ended without one
  std::string reason;  // the close frame's reason
  std::string error;   // the transport error when there was no close frame
  std::string describe() const;
};

class WsClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  explicit WsClient(std::string name = "client");
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Connects to 127.0.0.1:port and upgrades at `target`. `rcvbuf` > 0 sets
  // SO_RCVBUF before connecting. Throws when the upgrade fails.
  void connect(uint16_t port, std::string target = "/ws", Headers headers = {}, int rcvbuf = 0);
  // Same, but returns the upgrade's HTTP status (101 when upgraded, 0 when
  // no HTTP answer came) instead of throwing.
  int try_connect(uint16_t port, std::string target = "/ws", Headers headers = {}, int rcvbuf = 0);

  // Sends a request with the next id and returns its response (the whole
  // frame), stashing pushes that come first. Throws Timeout, or when the
  // connection ends or an unrelated frame arrives.
  Json request(std::string_view method, std::string params = "{}", Millis timeout = kWait);
  // request() that must succeed: returns the response's `result`; throws
  // with the frame when the response is an error.
  Json call(std::string_view method, std::string params = "{}", Millis timeout = kWait);
  // Sends `text` and returns the next frame that is not a push (a
  // response, an array of responses): for batches and malformed input.
  Json exchange_raw(std::string text, Millis timeout = kWait);
  // A notification: a request without id.
  void notify(std::string_view method, std::string params = "{}");
  void send_raw(std::string text, Millis timeout = kWait);

  // The next frame, stashed pushes first; nullopt when none came in time
  // or the connection ended.
  std::optional<Json> read_frame(Millis timeout = kWait);
  // The next push; throws Timeout when none comes in time.
  Json next_push(Millis timeout = kWait);
  // The next push with this method, skipping (and dropping) other push
  // methods (presence, chatState, ...); a response arriving is an error.
  Json expect_push(std::string_view method, Millis timeout = kWait);
  Json expect_event(Millis timeout = kWait) { return expect_push("event", timeout); }

  // Waits until the connection ends and says how; the frames that came
  // before the end stay queued (take_frames). Resumes reading when
  // paused. Throws Timeout.
  CloseInfo expect_close(Millis timeout = kWait);
  // The raw frames received and not yet consumed, oldest first (stashed
  // pushes included), emptying the queues.
  std::vector<std::string> take_frames();
  // How the connection ended, if it did.
  std::optional<CloseInfo> ended() const;

  // Stops posting reads: the socket's receive buffer fills and the server's
  // writes to it back up. At most one frame is still read after this.
  void pause_reading();
  void resume_reading();

  // Graceful close (close frame, wait for the server's), bounded.
  void close(uint16_t code = 1000, Millis timeout = kWait);

  // Pushes stashed by request() and not consumed yet.
  const std::deque<Json>& stashed() const { return stash_; }
  int native_handle();
  const std::string& name() const { return name_; }
  int64_t last_id() const { return next_id_ - 1; }

 private:
  // io thread only.
  void start_read();
  void on_read(boost::beast::error_code ec);
  // test thread.
  std::optional<std::string> pop_raw(Clock::time_point deadline);
  template <typename F>
  void run_on_io(F&& f, Millis timeout, const char* what);
  [[noreturn]] void fail_ended(std::string_view waiting_for);

  std::string name_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::thread io_thread_;
  bool connected_ = false;

  // Owned by the io thread.
  bool paused_ = false;
  bool reading_ = false;

  // Shared between the io thread and the test thread.
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> inbox_;
  std::optional<CloseInfo> ended_;

  // Test thread only.
  std::deque<Json> stash_;
  int64_t next_id_ = 1;
};

}  // namespace parley::it
