#include "ws_client.hpp"

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/error.hpp>
#include <future>
#include <memory>

namespace parley::it {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

std::string shorten(std::string_view s) {
  constexpr size_t kMax = 1500;
  if (s.size() <= kMax) return std::string(s);
  return std::string(s.substr(0, kMax)) + "...(" + std::to_string(s.size()) + " bytes)";
}

}  // namespace

std::string CloseInfo::describe() const {
  if (code >= 0) return "close frame " + std::to_string(code) + " '" + reason + "'";
  return "ended without a close frame (" + error + ")";
}

WsClient::WsClient(std::string name)
    : name_(std::move(name)), work_(net::make_work_guard(ioc_)), ws_(ioc_) {
  io_thread_ = std::thread([this] { ioc_.run(); });
}

WsClient::~WsClient() {
  // Hard close: every pending operation completes with an error, then the
  // io thread runs out of work.
  net::post(ioc_, [this] {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).socket().close(ec);
  });
  work_.reset();
  io_thread_.join();
}

// Runs `start(done)` on the io thread and waits for it to call done(ec).
// On time-out the socket is closed (the stream is unusable anyway).
template <typename F>
void WsClient::run_on_io(F&& start, Millis timeout, const char* what) {
  auto done = std::make_shared<std::promise<beast::error_code>>();
  auto result = done->get_future();
  net::post(ioc_, [start = std::forward<F>(start), done]() mutable {
    start([done](beast::error_code ec) { done->set_value(ec); });
  });
  if (result.wait_for(timeout) != std::future_status::ready) {
    net::post(ioc_, [this] {
      beast::error_code ec;
      beast::get_lowest_layer(ws_).socket().close(ec);
    });
    throw Timeout(name_ + ": " + what + " did not complete within " +
                  std::to_string(timeout.count()) + " ms");
  }
  if (auto ec = result.get()) throw std::runtime_error(name_ + ": " + what + ": " + ec.message());
}

int WsClient::try_connect(uint16_t port, std::string target, Headers headers, int rcvbuf) {
  auto done = std::make_shared<std::promise<beast::error_code>>();
  auto result = done->get_future();
  auto response = std::make_shared<websocket::response_type>();
  response->result(0u);
  net::post(ioc_, [this, port, target, headers, rcvbuf, done, response] {
    auto& socket = beast::get_lowest_layer(ws_).socket();
    beast::error_code ec;
    socket.open(tcp::v4(), ec);
    if (!ec && rcvbuf > 0) socket.set_option(net::socket_base::receive_buffer_size(rcvbuf), ec);
    if (ec) return done->set_value(ec);
    tcp::endpoint endpoint(net::ip::address_v4::loopback(), port);
    beast::get_lowest_layer(ws_).async_connect(
        endpoint, [this, port, target, headers, done, response](beast::error_code ec) {
          if (ec) return done->set_value(ec);
          // As browsers do: no Nagle delay between the pieces of a frame.
          beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ec);
          ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
            for (const auto& [field, value] : headers) req.set(field, value);
          }));
          ws_.text(true);
          ws_.auto_fragment(false);
          ws_.write_buffer_bytes(64 * 1024);
          ws_.async_handshake(*response, "127.0.0.1:" + std::to_string(port), target,
                              [done](beast::error_code ec) { done->set_value(ec); });
        });
  });
  if (result.wait_for(kWait) != std::future_status::ready) {
    net::post(ioc_, [this] {
      beast::error_code ec;
      beast::get_lowest_layer(ws_).socket().close(ec);
    });
    throw Timeout(name_ + ": connect/upgrade did not complete in time");
  }
  if (result.get()) return static_cast<int>(response->result_int());
  connected_ = true;
  net::post(ioc_, [this] { start_read(); });
  return 101;
}

void WsClient::connect(uint16_t port, std::string target, Headers headers, int rcvbuf) {
  int status = try_connect(port, target, std::move(headers), rcvbuf);
  if (status != 101) {
    throw std::runtime_error(name_ + ": WebSocket upgrade at " + target + " failed (HTTP status " +
                             std::to_string(status) + ")");
  }
}

void WsClient::start_read() {
  if (paused_ || reading_) return;
  {
    std::lock_guard lock(mutex_);
    if (ended_) return;
  }
  reading_ = true;
  ws_.async_read(buffer_, [this](beast::error_code ec, size_t) { on_read(ec); });
}

void WsClient::on_read(beast::error_code ec) {
  reading_ = false;
  {
    std::lock_guard lock(mutex_);
    if (ec) {
      CloseInfo info;
      if (ec == websocket::error::closed) {
        info.code = ws_.reason().code;
        info.reason = std::string(ws_.reason().reason.data(), ws_.reason().reason.size());
      } else {
        info.error = ec.message();
      }
      ended_ = std::move(info);
      cv_.notify_all();
      return;
    }
    inbox_.push_back(beast::buffers_to_string(buffer_.data()));
    cv_.notify_all();
  }
  buffer_.consume(buffer_.size());
  start_read();
}

std::optional<std::string> WsClient::pop_raw(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  cv_.wait_until(lock, deadline, [this] { return !inbox_.empty() || ended_.has_value(); });
  if (inbox_.empty()) return std::nullopt;
  std::string frame = std::move(inbox_.front());
  inbox_.pop_front();
  return frame;
}

std::optional<CloseInfo> WsClient::ended() const {
  std::lock_guard lock(mutex_);
  return ended_;
}

void WsClient::fail_ended(std::string_view waiting_for) {
  auto info = ended();
  throw std::runtime_error(name_ + ": connection " + (info ? info->describe() : "ended") +
                           " while waiting for " + std::string(waiting_for));
}

void WsClient::send_raw(std::string text, Millis timeout) {
  auto frame = std::make_shared<std::string>(std::move(text));
  run_on_io(
      [this, frame](auto done) {
        ws_.async_write(net::buffer(*frame),
                        [frame, done](beast::error_code ec, size_t) { done(ec); });
      },
      timeout, "write");
}

Json WsClient::request(std::string_view method, std::string params, Millis timeout) {
  int64_t id = next_id_++;
  std::string what = "the response to " + std::string(method) + " (id " + std::to_string(id) + ")";
  send_raw("{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(id) + ",\"method\":" + quote(method) +
               ",\"params\":" + params + "}",
           timeout);
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto raw = pop_raw(deadline);
    if (!raw) {
      if (ended()) fail_ended(what);
      throw Timeout(name_ + ": no " + what + " within " + std::to_string(timeout.count()) + " ms");
    }
    Json frame = Json::parse(std::move(*raw));
    if (frame.is_push()) {
      stash_.push_back(std::move(frame));
      continue;
    }
    if (frame.is_object() && frame.has("/id") && frame.is_int("/id") &&
        frame.get_int("/id") == id) {
      return frame;
    }
    throw std::runtime_error(name_ + ": waiting for " + what + ", got " + shorten(frame.frame()));
  }
}

Json WsClient::call(std::string_view method, std::string params, Millis timeout) {
  std::string sent = params;
  Json response = request(method, std::move(params), timeout);
  if (!response.has("/result")) {
    throw std::runtime_error(name_ + ": " + std::string(method) + " " + shorten(sent) +
                             " failed: " + shorten(response.frame()));
  }
  return response.at("/result");
}

Json WsClient::exchange_raw(std::string text, Millis timeout) {
  send_raw(std::move(text), timeout);
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto raw = pop_raw(deadline);
    if (!raw) {
      if (ended()) fail_ended("an answer to a raw frame");
      throw Timeout(name_ + ": no answer to a raw frame in time");
    }
    Json frame = Json::parse(std::move(*raw));
    if (frame.is_push()) {
      stash_.push_back(std::move(frame));
      continue;
    }
    return frame;
  }
}

void WsClient::notify(std::string_view method, std::string params) {
  send_raw("{\"jsonrpc\":\"2.0\",\"method\":" + quote(method) + ",\"params\":" + params + "}");
}

std::optional<Json> WsClient::read_frame(Millis timeout) {
  if (!stash_.empty()) {
    Json frame = std::move(stash_.front());
    stash_.pop_front();
    return frame;
  }
  auto raw = pop_raw(Clock::now() + timeout);
  if (!raw) return std::nullopt;
  return Json::parse(std::move(*raw));
}

Json WsClient::next_push(Millis timeout) {
  auto deadline = Clock::now() + timeout;
  auto frame = read_frame(std::chrono::duration_cast<Millis>(deadline - Clock::now()));
  if (!frame) {
    if (ended()) fail_ended("a push");
    throw Timeout(name_ + ": no push within " + std::to_string(timeout.count()) + " ms");
  }
  if (!frame->is_push()) {
    throw std::runtime_error(name_ + ": expected a push, got " + shorten(frame->frame()));
  }
  return *frame;
}

Json WsClient::expect_push(std::string_view method, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    if (left.count() < 0) left = Millis(0);
    Json push = [&] {
      try {
        return next_push(left);
      } catch (const Timeout&) {
        throw Timeout(name_ + ": no '" + std::string(method) + "' push within " +
                      std::to_string(timeout.count()) + " ms");
      }
    }();
    if (push.method() == method) return push;
  }
}

CloseInfo WsClient::expect_close(Millis timeout) {
  resume_reading();
  std::unique_lock lock(mutex_);
  if (!cv_.wait_for(lock, timeout, [this] { return ended_.has_value(); })) {
    throw Timeout(name_ + ": connection still open after " + std::to_string(timeout.count()) +
                  " ms (" + std::to_string(inbox_.size()) + " frames received meanwhile)");
  }
  return *ended_;
}

std::vector<std::string> WsClient::take_frames() {
  std::vector<std::string> frames;
  for (auto& j : stash_) frames.push_back(j.frame());
  stash_.clear();
  std::lock_guard lock(mutex_);
  for (auto& f : inbox_) frames.push_back(std::move(f));
  inbox_.clear();
  return frames;
}

void WsClient::pause_reading() {
  run_on_io(
      [this](auto done) {
        paused_ = true;
        done({});
      },
      kWait, "pause");
}

void WsClient::resume_reading() {
  if (!connected_) return;
  run_on_io(
      [this](auto done) {
        paused_ = false;
        start_read();
        done({});
      },
      kWait, "resume");
}

void WsClient::close(uint16_t code, Millis timeout) {
  if (!connected_ || ended()) return;
  // A close that fails (the server already went) is as good as done.
  run_on_io(
      [this, code](auto done) {
        ws_.async_close(websocket::close_reason(code), [done](beast::error_code) { done({}); });
      },
      timeout, "close");
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [this] { return ended_.has_value(); });
}

int WsClient::native_handle() { return beast::get_lowest_layer(ws_).socket().native_handle(); }

}  // namespace parley::it
