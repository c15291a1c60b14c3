// RFC 6455 framing, the server's side: the handshake's accept key, frame
// headers the server writes (never masked, so one pre-built payload serves
// every receiver), and the incremental parser of what clients send (always
// masked). Pure functions and one small state machine: no I/O, unit-tested
// in tests/unit/broker_ws_frame_test.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::ws {

enum Opcode : uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// SHA-1 of `data` (what the accept key is made of).
std::array<uint8_t, 20> sha1(std::string_view data);
// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
std::string accept_key(std::string_view client_key);
// Whether `key` is the base64 of 16 bytes (RFC 6455 §4.2.1).
bool valid_client_key(std::string_view key);

// The largest server frame header: 2 bytes + 8 of extended length.
constexpr size_t kMaxHeader = 10;
// Writes the header of one unfragmented, unmasked frame into `out`;
// returns its length (2, 4 or 10).
size_t server_header(uint8_t* out, Opcode op, size_t payload_size);
// A whole close frame's payload: the code (network order) and the reason.
std::string close_payload(uint16_t code, std::string_view reason);
// XORs `n` bytes at `p` with `key`, starting at position `offset` of the
// key (the payload's byte offset within its frame).
void unmask(char* p, size_t n, const uint8_t key[4], size_t offset);

// What one call of FrameParser::next found.
enum class Parsed {
  need_more,  // everything given was consumed; call again with more bytes
  message,    // a complete text or binary message: message(), message_opcode()
  control,    // a complete ping, pong or close frame: control(), control_opcode()
  too_big,    // the message being read passed the limit (reported once; the
              // rest of it is consumed and dropped)
  error,      // a protocol violation: error_code() (1002, 1007), error_text()
};

// Turns the client's byte stream into messages and control frames.
// Fragmented messages are joined; payloads are unmasked in place into the
// parser's own buffers. A message over `limit` bytes is never held: once
// known to be too big, its bytes are skipped as they arrive.
class FrameParser {
 public:
  explicit FrameParser(size_t limit) : limit_(limit) {}

  // Consumes bytes from `data` (advancing `data` and `size`) up to the next
  // thing found. After `error` the stream is unusable: failed() says so.
  Parsed next(const char*& data, size_t& size);

  // The last `message`'s payload (moved out by the caller) and kind.
  std::string& message() { return message_; }
  Opcode message_opcode() const { return message_opcode_; }
  // The last `control` frame.
  const std::string& control() const { return control_; }
  Opcode control_opcode() const { return control_opcode_; }
  uint16_t error_code() const { return error_code_; }
  bool failed() const { return error_code_ != 0; }
  const char* error_text() const { return error_text_; }
  // True while a frame or a message is half read.
  bool mid_message() const { return header_len_ > 0 || in_frame_ || in_message_; }
  // Drops the buffers' memory (an idle socket keeps none).
  void release_memory();

 private:
  Parsed fail(uint16_t code, const char* text);
  Parsed start_frame();

  const size_t limit_;
  // The header being read (it may arrive in pieces).
  uint8_t header_[14] = {};
  size_t header_len_ = 0;
  // The frame being read.
  bool in_frame_ = false;
  bool fin_ = false;
  Opcode opcode_ = continuation;
  uint8_t mask_[4] = {};
  uint64_t remaining_ = 0;  // payload bytes still to come
  uint64_t offset_ = 0;     // payload bytes already read (for the mask)
  // The message being assembled.
  bool in_message_ = false;
  bool skipping_ = false;  // over the limit: its bytes are dropped
  Opcode message_opcode_ = text;
  std::string message_;
  // The control frame being read.
  Opcode control_opcode_ = ping;
  std::string control_;
  uint16_t error_code_ = 0;
  const char* error_text_ = "";
};

}  // namespace parley::ws
