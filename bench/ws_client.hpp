// A minimal WebSocket client (RFC 6455) for the load tool: cheap enough
// that thousands of them on one thread never become the bottleneck.
//
// Reads: the socket waits for readability (no buffer held while idle), then
// drains everything the kernel has into a per-thread scratch buffer and
// parses every complete frame in it; only an incomplete tail is copied into
// the connection. Writes: frames queued while a write is in flight, or
// within the same handler run, go out together in one write. Client frames
// carry the mask bit with a zero key, so masking is the identity.
//
// Responses are told from pushes by their prefix `{"jsonrpc":"2.0","id":`
// (the broker's field order). A response whose id was awaited by call()
// resumes that coroutine; every other response goes to on_response, every
// push to on_push. All of it runs on the connection's io_context thread.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// The tool's clock in nanoseconds: the send times the texts carry, and
// the moments frames were read (WsClient::batch_time()).
inline int64_t now_ns() { return Clock::now().time_since_epoch().count(); }
inline int64_t ns_of(Clock::time_point t) { return t.time_since_epoch().count(); }

class WsClient : public std::enable_shared_from_this<WsClient> {
 public:
  explicit WsClient(asio::io_context& io);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // TCP connect (from `source` unless it is unspecified) and upgrade at
  // `path` (Parley's /ws; the peers of bench/compare.sh have their own).
  // Returns "" when open, else what went wrong.
  asio::awaitable<std::string> connect(tcp::endpoint broker, asio::ip::address source,
                                       std::string_view path = "/ws");

  // Set-up of a peer's protocol (bench/peer.hpp): while on_push is unset,
  // pushed frames are kept, from the upgrade on, and handed out in order
  // by next_push() ("" once the connection has ended).
  void hold_pushes() { hold_pushes_ = true; }
  asio::awaitable<std::string> next_push();
  // The held pushes nobody asked for yet (to hand to on_push once it is set).
  std::vector<std::string> take_held();

  // Queues one text frame.
  void send_text(std::string_view payload);
  // Sends a request with the next id; returns the id. Its response goes to
  // on_response.
  uint64_t send_request(std::string_view method, std::string_view params_json);
  // Sends a request and waits for its response frame ("" when the
  // connection ended first).
  asio::awaitable<std::string> call(std::string_view method, std::string_view params_json);
  // Sends a close frame and ends the connection.
  void close();

  bool is_open() const { return open_; }
  int close_code() const { return close_code_; }  // -1: none received
  asio::io_context& io() { return io_; }

  // The moment the current batch of frames was read: every frame of one
  // read shares it (one clock read per batch).
  Clock::time_point batch_time() const { return batch_time_; }

  std::function<void(std::string_view frame)> on_push;
  std::function<void(uint64_t id, std::string_view frame)> on_response;
  // The connection ended (close frame, error or close()); once.
  std::function<void()> on_end;

 private:
  void start_read();
  void on_readable(boost::system::error_code ec);
  void consume(const char* data, size_t n);
  size_t parse(const char* data, size_t n);
  void on_frame(int opcode, std::string_view payload);
  void on_text(std::string_view frame);
  void queue_frame(int opcode, std::string_view payload);
  void schedule_flush();
  void flush();
  void end();

  asio::io_context& io_;
  tcp::socket socket_;
  std::string rx_;        // an incomplete frame carried over to the next read
  std::string fragment_;  // a fragmented message being assembled
  int fragment_opcode_ = 0;
  std::string tx_;      // frames waiting for the next write
  std::string tx_out_;  // the write in flight
  bool writing_ = false;
  bool flush_posted_ = false;
  bool shutdown_pending_ = false;  // close(): shut the socket once tx_ is written
  bool open_ = false;
  bool ended_ = false;
  int close_code_ = -1;
  uint64_t next_id_ = 1;
  Clock::time_point batch_time_{};
  std::unordered_map<uint64_t, asio::any_completion_handler<void(std::string)>> awaited_;
  bool hold_pushes_ = false;
  std::vector<std::string> held_;  // pushes not yet asked for (hold_pushes)
  size_t held_next_ = 0;
  // next_push() waiting (at most one; a vector because assigning to an
  // any_completion_handler recurses in Boost 1.81).
  std::vector<asio::any_completion_handler<void(std::string)>> push_waiter_;
};

}  // namespace bench
