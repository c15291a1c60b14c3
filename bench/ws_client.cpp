#include "ws_client.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <iterator>
#include <vector>

namespace bench {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kResponsePrefix = R"({"jsonrpc":"2.0","id":)";
// One wake-up reads at most this many scratch buffers, so that one busy
// connection cannot starve the others on its thread.
constexpr int kReadsPerWakeup = 4;

std::vector<char>& scratch() {
  thread_local std::vector<char> buf(256 * 1024);
  return buf;
}

void append_header(std::string& out, int opcode, size_t len) {
  out.push_back(static_cast<char>(0x80 | opcode));
  if (len < 126) {
    out.push_back(static_cast<char>(0x80 | len));
  } else if (len <= 0xFFFF) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(len & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
  }
  // The masking key: zero, so the payload goes out as it is.
  out.append(4, '\0');
}

// The key every upgrade sends, and the Sec-WebSocket-Accept the server must
// answer it with: base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")),
// RFC 6455 §4.2.2 (a constant, since the key is).
constexpr std::string_view kKey = "cGFybGV5LWJlbmNoLWtleQ==";
constexpr std::string_view kAccept = "s62GE7EIJSbR1qmRrdYpNosk+lQ=";
constexpr size_t kMaxResponseHead = 16 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// The value of header `name` (lower case) in a response head whose lines
// each end in CRLF, trimmed; "" when absent.
std::string_view header_value(std::string_view head, std::string_view name) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    pos += 2;
    size_t eol = head.find("\r\n", pos);
    std::string_view line = head.substr(pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && iequals(line.substr(0, colon), name)) {
      std::string_view v = line.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      return v;
    }
    pos = eol;
  }
  return {};
}

uint64_t parse_id(std::string_view frame) {
  uint64_t v = 0;
  for (size_t i = kResponsePrefix.size(); i < frame.size(); ++i) {
    char c = frame[i];
    if (c < '0' || c > '9') break;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

WsClient::WsClient(asio::io_context& io) : io_(io), socket_(io) {}

WsClient::~WsClient() = default;

asio::awaitable<std::string> WsClient::connect(tcp::endpoint broker, asio::ip::address source,
                                               std::string_view path) {
  boost::system::error_code ec;
  socket_.open(broker.protocol(), ec);
  if (ec) co_return "socket: " + ec.message();
  if (!source.is_unspecified()) {
    // Let connect() pick the port, so one source address serves every
    // destination (IP_BIND_ADDRESS_NO_PORT).
    int one = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    socket_.bind(tcp::endpoint(source, 0), ec);
    if (ec) co_return "bind " + source.to_string() + ": " + ec.message();
  }
  auto [cec] = co_await socket_.async_connect(broker, use_tuple);
  if (cec) co_return "connect: " + cec.message();
  socket_.set_option(tcp::no_delay(true), ec);
  const int fd = socket_.native_handle();

  std::string req;
  req.reserve(160 + path.size());
  req.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ");
  req.append(broker.address().to_string()).push_back(':');
  req.append(std::to_string(broker.port()));
  req.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
  req.append(kKey).append("\r\nSec-WebSocket-Version: 13\r\n\r\n");
  // A fresh socket's send buffer takes the request whole: one send, no wait.
  ssize_t sent = ::send(fd, req.data(), req.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    co_return std::string("upgrade write: ") + std::strerror(errno);
  if (sent < static_cast<ssize_t>(req.size())) {
    size_t done = sent > 0 ? static_cast<size_t>(sent) : 0;
    auto [wec, wn] = co_await asio::async_write(socket_, asio::buffer(req.data() + done,
                                                                      req.size() - done),
                                                use_tuple);
    if (wec) co_return "upgrade write: " + wec.message();
  }

  // The answer cannot be there yet: wait for readability before reading
  // (no read that is sure to find nothing). It almost always comes in one
  // piece; `head` only keeps a piece while the rest is on its way.
  auto& buf = scratch();
  std::string head;
  for (;;) {
    auto [rec] = co_await socket_.async_wait(tcp::socket::wait_read, use_tuple);
    if (rec) co_return "upgrade read: " + rec.message();
    ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n < 0) co_return std::string("upgrade read: ") + std::strerror(errno);
    if (n == 0) co_return "upgrade read: end of stream";
    std::string_view data(buf.data(), static_cast<size_t>(n));
    if (!head.empty()) {
      head.append(data);
      data = head;
    }
    size_t end = data.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (data.size() > kMaxResponseHead) co_return "upgrade read: response head too long";
      if (head.empty()) head.assign(data);
      continue;
    }
    std::string_view response = data.substr(0, end + 2);
    if (response.compare(0, 12, "HTTP/1.1 101") != 0)
      co_return "upgrade refused: " + std::string(response.substr(0, response.find('\r')));
    if (header_value(response, "sec-websocket-accept") != kAccept)
      co_return "upgrade: wrong Sec-WebSocket-Accept";
    open_ = true;
    // Frames that came with the 101 are the start of the stream.
    std::string rest(data.substr(end + 4));
    if (!rest.empty()) consume(rest.data(), rest.size());
    start_read();
    co_return std::string();
  }
}

//------------------------------------------------------------------------------
// Sending

void WsClient::queue_frame(int opcode, std::string_view payload) {
  append_header(tx_, opcode, payload.size());
  tx_.append(payload);
  schedule_flush();
}

void WsClient::send_text(std::string_view payload) {
  if (!open_) return;
  queue_frame(0x1, payload);
}

uint64_t WsClient::send_request(std::string_view method, std::string_view params_json) {
  uint64_t id = next_id_++;
  std::string req;
  req.reserve(64 + method.size() + params_json.size());
  req.append(R"({"jsonrpc":"2.0","id":)").append(std::to_string(id));
  req.append(R"(,"method":")").append(method).append(R"(","params":)");
  req.append(params_json).push_back('}');
  send_text(req);
  return id;
}

asio::awaitable<std::string> WsClient::call(std::string_view method, std::string_view params_json) {
  if (!open_) co_return std::string();
  uint64_t id = send_request(method, params_json);
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::string)>(
      [this, id](auto handler) { awaited_.emplace(id, std::move(handler)); },
      asio::use_awaitable);
}

// The write goes out after the current handler has queued everything it
// wants to send.
void WsClient::schedule_flush() {
  if (writing_ || flush_posted_) return;
  flush_posted_ = true;
  asio::post(io_, [self = shared_from_this()] {
    self->flush_posted_ = false;
    self->flush();
  });
}

void WsClient::flush() {
  if (writing_ || ended_) return;
  if (tx_.empty()) {
    // close(): everything is out, the close frame last; the broker answers
    // and drops the connection, which ends the read loop.
    if (shutdown_pending_) {
      shutdown_pending_ = false;
      boost::system::error_code ec;
      socket_.shutdown(tcp::socket::shutdown_send, ec);
    }
    return;
  }
  writing_ = true;
  tx_out_.clear();
  std::swap(tx_, tx_out_);
  asio::async_write(socket_, asio::buffer(tx_out_),
                    [self = shared_from_this()](boost::system::error_code ec, size_t) {
                      self->writing_ = false;
                      if (ec) {
                        self->end();
                        return;
                      }
                      self->flush();
                    });
}

void WsClient::close() {
  if (!open_) {
    if (!shutdown_pending_) end();
    return;
  }
  open_ = false;
  // Close 1000 after whatever is queued.
  std::string payload = {'\x03', '\xE8'};
  queue_frame(0x8, payload);
  shutdown_pending_ = true;
}

void WsClient::end() {
  if (ended_) return;
  ended_ = true;
  open_ = false;
  boost::system::error_code ec;
  socket_.close(ec);
  // Awaiting coroutines learn that no answer will come.
  auto waiting = std::move(awaited_);
  awaited_.clear();
  for (auto& [id, h] : waiting) asio::post(io_, [h = std::move(h)]() mutable { std::move(h)(""); });
  for (auto& h : push_waiter_)
    asio::post(io_, [h = std::move(h)]() mutable { std::move(h)(""); });
  push_waiter_.clear();
  if (on_end) on_end();
}

//------------------------------------------------------------------------------
// Receiving

void WsClient::start_read() {
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](
                                                 boost::system::error_code ec) {
    self->on_readable(ec);
  });
}

void WsClient::on_readable(boost::system::error_code ec) {
  if (ec || ended_) {
    end();
    return;
  }
  auto self = shared_from_this();  // a callback may drop the last owner
  auto& buf = scratch();
  batch_time_ = Clock::now();
  for (int round = 0; round < kReadsPerWakeup; ++round) {
    // MSG_DONTWAIT: no switch of the socket to non-blocking mode (a syscall).
    ssize_t got = ::recv(socket_.native_handle(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
    if (got <= 0) {
      end();
      return;
    }
    size_t n = static_cast<size_t>(got);
    consume(buf.data(), n);
    if (ended_) return;
    if (n < buf.size()) break;
  }
  start_read();
}

void WsClient::consume(const char* data, size_t n) {
  if (!rx_.empty()) {
    rx_.append(data, n);
    size_t used = parse(rx_.data(), rx_.size());
    rx_.erase(0, used);
    // A big frame grew the buffer: give the memory back once it is used.
    if (rx_.empty() && rx_.capacity() > 64 * 1024) std::string().swap(rx_);
    return;
  }
  size_t used = parse(data, n);
  if (used < n) rx_.assign(data + used, n - used);
}

// Parses complete server frames (unmasked) from the front of `data`;
// returns how many bytes they took.
size_t WsClient::parse(const char* data, size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  size_t off = 0;
  while (!ended_ && n - off >= 2) {
    const bool fin = p[off] & 0x80;
    const int opcode = p[off] & 0x0F;
    const bool masked = p[off + 1] & 0x80;
    uint64_t len = p[off + 1] & 0x7F;
    size_t hdr = 2;
    if (len == 126) {
      if (n - off < 4) break;
      len = (uint64_t{p[off + 2]} << 8) | p[off + 3];
      hdr = 4;
    } else if (len == 127) {
      if (n - off < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | p[off + 2 + i];
      hdr = 10;
    }
    if (masked) {  // a server never masks: the stream is broken
      end();
      return n;
    }
    if (n - off - hdr < len) break;
    std::string_view payload(data + off + hdr, len);
    off += hdr + len;
    if (opcode >= 0x8) {
      on_frame(opcode, payload);
    } else if (fin && opcode != 0 && fragment_.empty()) {
      on_frame(opcode, payload);
    } else {
      if (opcode != 0) fragment_opcode_ = opcode;
      fragment_.append(payload);
      if (fin) {
        std::string whole = std::move(fragment_);
        fragment_.clear();
        on_frame(fragment_opcode_, whole);
      }
    }
  }
  return off;
}

void WsClient::on_frame(int opcode, std::string_view payload) {
  switch (opcode) {
    case 0x1:
    case 0x2:
      on_text(payload);
      break;
    case 0x8:  // close: note the code, answer, done
      close_code_ = payload.size() >= 2 ? (static_cast<unsigned char>(payload[0]) << 8) |
                                              static_cast<unsigned char>(payload[1])
                                        : 1005;
      if (open_) close();
      break;
    case 0x9:  // ping
      queue_frame(0xA, payload);
      break;
    default:
      break;
  }
}

void WsClient::on_text(std::string_view frame) {
  if (frame.substr(0, kResponsePrefix.size()) == kResponsePrefix) {
    uint64_t id = parse_id(frame);
    if (auto it = awaited_.find(id); it != awaited_.end()) {
      auto h = std::move(it->second);
      awaited_.erase(it);
      asio::post(io_, [h = std::move(h), f = std::string(frame)]() mutable {
        std::move(h)(std::move(f));
      });
      return;
    }
    if (on_response) on_response(id, frame);
    return;
  }
  if (on_push) {
    on_push(frame);
  } else if (hold_pushes_) {
    if (!push_waiter_.empty()) {
      asio::post(io_, [h = std::move(push_waiter_.back()), f = std::string(frame)]() mutable {
        std::move(h)(std::move(f));
      });
      push_waiter_.clear();
    } else {
      held_.emplace_back(frame);
    }
  }
}

std::vector<std::string> WsClient::take_held() {
  std::vector<std::string> out(std::make_move_iterator(held_.begin() + static_cast<long>(held_next_)),
                               std::make_move_iterator(held_.end()));
  held_.clear();
  held_next_ = 0;
  return out;
}

asio::awaitable<std::string> WsClient::next_push() {
  if (held_next_ < held_.size()) {
    std::string f = std::move(held_[held_next_++]);
    if (held_next_ == held_.size()) held_.clear(), held_next_ = 0;
    co_return f;
  }
  if (ended_) co_return std::string();
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::string)>(
      [this](auto handler) { push_waiter_.emplace_back(std::move(handler)); },
      asio::use_awaitable);
}

}  // namespace bench
