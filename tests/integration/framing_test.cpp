// The broker's own RFC 6455 framing, seen from a raw TCP socket: the
// upgrade's refusals, control frames, close codes, and many requests in
// one TCP segment answered in order.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <fstream>

#include "harness.hpp"

using namespace parley::it;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A blocking client that writes handmade frames and reads the server's.
class RawSocket {
 public:
  explicit RawSocket(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{5, 0};  // no test waits forever
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  // Sends the upgrade request; returns the response head.
  std::string upgrade(const std::string& version = "13",
                      const std::string& key = "dGhlIHNhbXBsZSBub25jZQ==") {
    std::string req = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: " + key +
                      "\r\nSec-WebSocket-Version: " + version + "\r\n\r\n";
    asio::write(socket_, asio::buffer(req));
    asio::read_until(socket_, asio::dynamic_buffer(in_), "\r\n\r\n");
    auto end = in_.find("\r\n\r\n") + 4;
    std::string head = in_.substr(0, end);
    in_.erase(0, end);
    return head;
  }

  // A masked client frame.
  void send(uint8_t first_byte, std::string_view payload) {
    std::string f;
    f.push_back(static_cast<char>(first_byte));
    if (payload.size() < 126) {
      f.push_back(static_cast<char>(0x80 | payload.size()));
    } else {
      f.push_back(static_cast<char>(0x80 | 126));
      f.push_back(static_cast<char>(payload.size() >> 8));
      f.push_back(static_cast<char>(payload.size() & 0xFF));
    }
    const char key[4] = {0x0A, 0x0B, 0x0C, 0x0D};
    f.append(key, 4);
    for (size_t i = 0; i < payload.size(); ++i) f.push_back(payload[i] ^ key[i % 4]);
    pending_ += f;
  }
  void flush() {
    asio::write(socket_, asio::buffer(pending_));
    pending_.clear();
  }

  // The next server frame: opcode and payload; opcode -1 at end of stream.
  std::pair<int, std::string> read() {
    auto need = [&](size_t n) {
      while (in_.size() < n) {
        char buf[4096];
        boost::system::error_code ec;
        size_t got = socket_.read_some(asio::buffer(buf), ec);
        if (ec) return false;
        in_.append(buf, got);
      }
      return true;
    };
    if (!need(2)) return {-1, ""};
    auto b = [&](size_t i) { return static_cast<uint8_t>(in_[i]); };
    REQUIRE_MESSAGE((b(1) & 0x80) == 0, "server frames are never masked");
    size_t len = b(1) & 0x7F, at = 2;
    if (len == 126) {
      if (!need(4)) return {-1, ""};
      len = (b(2) << 8) | b(3);
      at = 4;
    } else if (len == 127) {
      if (!need(10)) return {-1, ""};
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | b(2 + i);
      at = 10;
    }
    if (!need(at + len)) return {-1, ""};
    int opcode = b(0) & 0x0F;
    std::string payload = in_.substr(at, len);
    in_.erase(0, at + len);
    return {opcode, payload};
  }

  // After the last frame: how the stream ends, waiting at most kWait. eof
  // when the server closed TCP; timed_out when it did not; invalid_argument
  // when more bytes came. (Asio's blocking reads ignore SO_RCVTIMEO: they
  // poll again without a limit, so this polls itself.)
  boost::system::error_code read_end() {
    if (!in_.empty()) return asio::error::invalid_argument;
    pollfd p{socket_.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(kWait.count())) <= 0) return asio::error::timed_out;
    char buf[64];
    ssize_t got = ::recv(socket_.native_handle(), buf, sizeof buf, MSG_DONTWAIT);
    if (got == 0) return asio::error::eof;
    if (got > 0) return asio::error::invalid_argument;
    return boost::system::error_code(errno, boost::system::system_category());
  }

  // Reads until the server's close frame; returns its code (-1: none).
  int read_close() {
    for (;;) {
      auto [op, payload] = read();
      if (op == -1) return -1;
      if (op == 0x8)
        return payload.size() >= 2 ? (static_cast<uint8_t>(payload[0]) << 8) |
                                         static_cast<uint8_t>(payload[1])
                                   : 1005;
    }
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  std::string in_;
  std::string pending_;
};

// The peak resident memory of process `pid` so far, in KiB (VmHWM).
long peak_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

std::string request(int id, const std::string& method, const std::string& params) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method +
         R"(","params":)" + params + "}";
}

}  // namespace

TEST_CASE("framing: the upgrade answers 101 with the accept key, 426 and 400 otherwise") {
  BrokerProcess broker({"--dev"});
  {
    RawSocket s(broker.port());
    std::string head = s.upgrade();
    CHECK_MESSAGE(head.rfind("HTTP/1.1 101", 0) == 0, head);
    CHECK_MESSAGE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != std::string::npos,
                  head);
  }
  {
    RawSocket s(broker.port());
    std::string head = s.upgrade("8");
    CHECK_MESSAGE(head.rfind("HTTP/1.1 426", 0) == 0, head);
    CHECK_MESSAGE(head.find("Sec-WebSocket-Version: 13") != std::string::npos, head);
  }
  {
    RawSocket s(broker.port());
    std::string head = s.upgrade("13", "short");
    CHECK_MESSAGE(head.rfind("HTTP/1.1 400", 0) == 0, head);
  }
}

TEST_CASE("framing: many requests in one segment, fragmented ones too, answered in order") {
  BrokerProcess broker({"--dev"});
  RawSocket s(broker.port());
  s.upgrade();
  s.send(0x81, request(1, "authenticate", R"({"userId":"ann"})"));
  for (int id = 2; id <= 40; ++id) s.send(0x81, request(id, "ping", "{}"));
  // A fragmented request, and a ping in the middle of it.
  std::string frag = request(41, "ping", "{}");
  s.send(0x01, frag.substr(0, 10));
  s.send(0x89, "hello");
  s.send(0x80, frag.substr(10));
  s.flush();
  int next = 1;
  bool pong = false;
  while (next <= 41) {
    auto [op, payload] = s.read();
    REQUIRE_MESSAGE(op != -1, "the connection ended at id " << next);
    if (op == 0xA) {
      CHECK(payload == "hello");
      pong = true;
      continue;
    }
    REQUIRE(op == 0x1);
    Json r = Json::parse(payload);
    CHECK(r.get_int("/id") == next);
    ++next;
  }
  CHECK(pong);
}

TEST_CASE("framing: invalid UTF-8 closes 1007, a binary frame 1003, a client close is echoed") {
  BrokerProcess broker({"--dev"});
  {
    RawSocket s(broker.port());
    s.upgrade();
    s.send(0x81, "{\"bad\":\"\xC3\x28\"}");
    s.flush();
    CHECK(s.read_close() == 1007);
  }
  {
    RawSocket s(broker.port());
    s.upgrade();
    s.send(0x82, request(1, "ping", "{}"));
    s.flush();
    CHECK(s.read_close() == 1003);
  }
  {
    RawSocket s(broker.port());
    s.upgrade();
    s.send(0x88, std::string("\x0B\xB8", 2) + "bye");  // 3000
    s.flush();
    CHECK(s.read_close() == 3000);
    // Then the server drops the connection.
    CHECK(s.read().first == -1);
  }
  {
    RawSocket s(broker.port());
    s.upgrade();
    s.send(0x81, request(1, "ping", "{}"));
    s.send(0x01, "{");  // unmasked frames, reserved bits... one protocol error is enough:
    s.send(0x81, "x");  // a new message inside a fragmented one
    s.flush();
    CHECK(s.read_close() == 1002);
  }
}

TEST_CASE("framing: pings from a peer that never reads keep at most one pong waiting") {
  BrokerProcess broker({"--dev"});
  RawSocket s(broker.port());
  s.upgrade();
  s.send(0x81, request(1, "authenticate", R"({"userId":"ann"})"));
  s.flush();
  const long before = peak_rss_kib(broker.pid());
  REQUIRE(before > 0);
  // 200,000 pings of the largest payload (26 MB of pongs owed), not read
  // while they are sent: the socket's buffers fill after a few MB.
  const std::string payload(124, 'p');  // and a digit: 125, the most a control frame holds
  for (int i = 1; i <= 200000; ++i) {
    s.send(0x89, payload + std::to_string(i % 10));
    if (i % 1000 == 0) s.flush();
  }
  // A request after them: its answer comes once every ping was handled.
  s.send(0x81, request(2, "ping", "{}"));
  s.flush();
  size_t pongs = 0;
  for (;;) {
    auto [op, body] = s.read();
    REQUIRE_MESSAGE(op != -1, "the connection ended after " << pongs << " pongs");
    if (op == 0xA) {
      ++pongs;
      continue;
    }
    REQUIRE_MESSAGE(op == 0x1, "opcode " << op << " after " << pongs << " pongs: " << body);
    if (Json::parse(body).get_int("/id") == 2) break;
  }
  // Queued pongs would take tens of MB; one waiting pong and the kernel's
  // buffers take none of the broker's memory.
  const long grown = peak_rss_kib(broker.pid()) - before;
  INFO("pongs received: " << pongs << ", peak RSS grew by " << grown << " KiB");
#ifndef __SANITIZE_ADDRESS__
  // Not under AddressSanitizer: its quarantine keeps freed blocks (up to
  // 256 MB), so there the peak RSS grows with what was freed, not with
  // what is queued. The normal build's run of this test bounds the memory.
  CHECK(grown < 10 * 1024);
#endif
  CHECK(pongs < 200000);
}

// RFC 6455 §7.1.1: once the closing handshake is complete the server closes
// TCP first. With a close grace of ten minutes, an EOF within the test's
// wait can only come from the handshake, not from the grace timer.
TEST_CASE("framing: the server closes TCP as soon as it has answered a client's close") {
  BrokerProcess broker({"--dev", "--close-grace-ms", "600000"});
  {
    // The client closes first; the answer is written at once.
    RawSocket s(broker.port());
    s.upgrade();
    s.send(0x88, std::string("\x03\xE8", 2) + "bye");  // 1000
    s.flush();
    CHECK(s.read_close() == 1000);
    boost::system::error_code end = s.read_end();
    CHECK_MESSAGE(end == asio::error::eof, "the stream ended with: " << end.message());
  }
  {
    // A ping just before the close: the pong, then the close answered.
    RawSocket s(broker.port());
    s.upgrade();
    s.send(0x89, "last");
    s.send(0x88, std::string("\x0B\xB8", 2));  // 3000
    s.flush();
    auto [op, body] = s.read();
    CHECK(op == 0xA);
    CHECK(body == "last");
    CHECK(s.read_close() == 3000);
    boost::system::error_code end = s.read_end();
    CHECK_MESSAGE(end == asio::error::eof, "the stream ended with: " << end.message());
  }
  {
    // The server closes first (a binary message: 1003); the client's
    // answer completes the handshake.
    RawSocket s(broker.port());
    s.upgrade();
    s.send(0x82, "binary");
    s.flush();
    CHECK(s.read_close() == 1003);
    s.send(0x88, std::string("\x03\xEB", 2));  // 1003
    s.flush();
    boost::system::error_code end = s.read_end();
    CHECK_MESSAGE(end == asio::error::eof, "the stream ended with: " << end.message());
  }
}
