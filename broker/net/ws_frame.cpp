#include "net/ws_frame.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace parley::ws {

namespace {

std::string base64(const uint8_t* p, size_t n) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = uint32_t{p[i]} << 16;
    if (i + 1 < n) v |= uint32_t{p[i + 1]} << 8;
    if (i + 2 < n) v |= p[i + 2];
    out.push_back(kDigits[(v >> 18) & 63]);
    out.push_back(kDigits[(v >> 12) & 63]);
    out.push_back(i + 1 < n ? kDigits[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < n ? kDigits[v & 63] : '=');
  }
  return out;
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

// OpenSSL's one-shot SHA1() looks its implementation up on every call,
// which cost more than the rest of the upgrade: this is plain FIPS 180-4.
std::array<uint8_t, 20> sha1(std::string_view data) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  auto rol = [](uint32_t v, int n) { return (v << n) | (v >> (32 - n)); };
  auto block = [&](const uint8_t* p) {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i)
      w[i] = (uint32_t{p[4 * i]} << 24) | (uint32_t{p[4 * i + 1]} << 16) |
             (uint32_t{p[4 * i + 2]} << 8) | uint32_t{p[4 * i + 3]};
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      uint32_t f, k;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDC;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6;
      }
      uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d;
      d = c;
      c = rol(b, 30);
      b = a;
      a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  };
  size_t whole = data.size() / 64 * 64;
  for (size_t i = 0; i < whole; i += 64) block(reinterpret_cast<const uint8_t*>(data.data()) + i);
  // The tail, the 0x80 marker and the length in bits, in one or two blocks.
  uint8_t tail[128] = {};
  size_t rest = data.size() - whole;
  std::memcpy(tail, data.data() + whole, rest);
  tail[rest] = 0x80;
  size_t end = rest + 1 + 8 <= 64 ? 64 : 128;
  uint64_t bits = uint64_t{data.size()} * 8;
  for (int i = 0; i < 8; ++i) tail[end - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
  block(tail);
  if (end == 128) block(tail + 64);
  std::array<uint8_t, 20> out;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 4; ++j) out[4 * i + j] = static_cast<uint8_t>(h[i] >> (24 - 8 * j));
  return out;
}

std::string accept_key(std::string_view client_key) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string in;
  in.reserve(client_key.size() + kGuid.size());
  in.append(client_key).append(kGuid);
  auto digest = sha1(in);
  return base64(digest.data(), digest.size());
}

bool valid_client_key(std::string_view key) {
  // 16 bytes in base64: 22 characters and "==".
  if (key.size() != 24 || key.substr(22) != "==") return false;
  return std::all_of(key.begin(), key.begin() + 22, is_base64_char);
}

size_t server_header(uint8_t* out, Opcode op, size_t n) {
  out[0] = static_cast<uint8_t>(0x80 | op);
  if (n < 126) {
    out[1] = static_cast<uint8_t>(n);
    return 2;
  }
  if (n <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<uint8_t>(n >> 8);
    out[3] = static_cast<uint8_t>(n);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<uint8_t>(uint64_t{n} >> (56 - 8 * i));
  return 10;
}

std::string close_payload(uint16_t code, std::string_view reason) {
  std::string out;
  out.reserve(2 + reason.size());
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  out.append(reason);
  return out;
}

void unmask(char* p, size_t n, const uint8_t key[4], size_t offset) {
  uint8_t k[4];
  for (size_t i = 0; i < 4; ++i) k[i] = key[(offset + i) & 3];
  // Eight bytes at a time: the key repeated twice.
  uint64_t wide;
  uint8_t pattern[8] = {k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]};
  std::memcpy(&wide, pattern, 8);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    v ^= wide;
    std::memcpy(p + i, &v, 8);
  }
  for (; i < n; ++i) p[i] = static_cast<char>(p[i] ^ k[i & 3]);
}

void FrameParser::release_memory() {
  if (!in_message_) std::string().swap(message_);
  if (!in_frame_) std::string().swap(control_);
}

Parsed FrameParser::fail(uint16_t code, const char* text) {
  error_code_ = code;
  error_text_ = text;
  return Parsed::error;
}

// The header in header_ is complete: check it and set up the frame.
Parsed FrameParser::start_frame() {
  const uint8_t b0 = header_[0], b1 = header_[1];
  fin_ = b0 & 0x80;
  opcode_ = static_cast<Opcode>(b0 & 0x0F);
  uint64_t len = b1 & 0x7F;
  size_t at = 2;
  if (len == 126) {
    len = (uint64_t{header_[2]} << 8) | header_[3];
    at = 4;
  } else if (len == 127) {
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | header_[2 + i];
    at = 10;
    if (len >> 63) return fail(1002, "frame length out of range");
  }
  std::memcpy(mask_, header_ + at, 4);
  header_len_ = 0;
  if (b0 & 0x70) return fail(1002, "reserved bits set");
  if (!(b1 & 0x80)) return fail(1002, "client frames must be masked");
  switch (opcode_) {
    case close:
    case ping:
    case pong:
      if (!fin_) return fail(1002, "fragmented control frame");
      if (len > 125) return fail(1002, "control frame too long");
      control_opcode_ = opcode_;
      control_.clear();
      break;
    case continuation:
      if (!in_message_) return fail(1002, "continuation outside a message");
      break;
    case text:
    case binary:
      if (in_message_) return fail(1002, "a new message inside a fragmented one");
      in_message_ = true;
      skipping_ = false;
      message_opcode_ = opcode_;
      message_.clear();
      break;
    default:
      return fail(1002, "unknown opcode");
  }
  in_frame_ = true;
  remaining_ = len;
  offset_ = 0;
  if (opcode_ < close && !skipping_) {
    if (message_.size() + len > limit_) {
      skipping_ = true;
      std::string().swap(message_);
      return Parsed::too_big;
    }
    message_.reserve(message_.size() + len);
  }
  return Parsed::need_more;
}

Parsed FrameParser::next(const char*& data, size_t& size) {
  for (;;) {
    if (!in_frame_) {
      // The header: 2 bytes, then the extended length and the mask key.
      while (size > 0) {
        header_[header_len_++] = static_cast<uint8_t>(*data++);
        --size;
        if (header_len_ < 2) continue;
        uint8_t len7 = header_[1] & 0x7F;
        size_t want = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((header_[1] & 0x80) ? 4 : 0);
        if (header_len_ == want) break;
      }
      if (header_len_ < 2) return Parsed::need_more;
      uint8_t len7 = header_[1] & 0x7F;
      size_t want = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((header_[1] & 0x80) ? 4 : 0);
      if (header_len_ < want) return Parsed::need_more;
      // (An unmasked header has no key: start_frame refuses it.)
      Parsed e = start_frame();
      if (e != Parsed::need_more) return e;
    }
    // The payload, as much of it as is here.
    size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, size));
    if (opcode_ >= close) {
      size_t at = control_.size();
      control_.append(data, take);
      unmask(control_.data() + at, take, mask_, offset_);
    } else if (!skipping_) {
      size_t at = message_.size();
      message_.append(data, take);
      unmask(message_.data() + at, take, mask_, offset_);
    }
    data += take;
    size -= take;
    remaining_ -= take;
    offset_ += take;
    if (remaining_ > 0) return Parsed::need_more;

    // The frame is complete.
    in_frame_ = false;
    if (opcode_ >= close) return Parsed::control;
    if (!fin_) continue;
    in_message_ = false;
    if (skipping_) {
      skipping_ = false;
      continue;
    }
    if (message_opcode_ == text && !simdjson::validate_utf8(message_.data(), message_.size()))
      return fail(1007, "invalid UTF-8 in a text message");
    return Parsed::message;
  }
}

}  // namespace parley::ws
