// The client-frame parser (broker/ws_frame.cpp) over arbitrary bytes.
//
// Input: one byte for the message limit, one for how the stream is cut,
// then the stream. The stream is fed in pieces, each in a heap block of its
// own size (so ASan sees a read past a piece), and again all at once to a
// second parser; both must report the same events with the same payloads.
// Every call consumes no more than it was given, every message stays within
// the limit, every control frame within 125 bytes, and every message, framed
// again (masked, in one frame or in fragments), parses back to itself.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "net/ws_frame.hpp"

namespace {

using parley::ws::Parsed;
using parley::ws::FrameParser;

struct Seen {
  Parsed event;
  int opcode = 0;
  std::string payload;
  uint16_t code = 0;
  bool operator==(const Seen&) const = default;
};

// Feeds `n` bytes at `p` (a block of exactly that size) to `parser`,
// collecting every event but need_more.
void feed(FrameParser& parser, size_t limit, const char* p, size_t n, std::vector<Seen>& out) {
  while (true) {
    const char* before = p;
    const size_t size_before = n;
    Parsed e = parser.next(p, n);
    FUZZ_CHECK(n <= size_before);
    FUZZ_CHECK(p >= before && static_cast<size_t>(p - before) == size_before - n);
    Seen s{e, 0, {}, 0};
    switch (e) {
      case Parsed::need_more:
        FUZZ_CHECK(n == 0);
        return;
      case Parsed::message:
        FUZZ_CHECK(parser.message().size() <= limit);
        FUZZ_CHECK(parser.message_opcode() == parley::ws::text ||
                   parser.message_opcode() == parley::ws::binary);
        s.opcode = parser.message_opcode();
        s.payload = std::move(parser.message());
        break;
      case Parsed::control:
        FUZZ_CHECK(parser.control().size() <= 125);
        s.opcode = parser.control_opcode();
        s.payload = parser.control();
        break;
      case Parsed::too_big:
        break;
      case Parsed::error:
        FUZZ_CHECK(parser.error_code() == 1002 || parser.error_code() == 1007);
        FUZZ_CHECK(parser.error_text() != nullptr && *parser.error_text() != '\0');
        s.code = parser.error_code();
        out.push_back(std::move(s));
        return;  // the stream is unusable after an error
    }
    // An event may end exactly at the end of the bytes: the next call
    // must then ask for more.
    out.push_back(std::move(s));
  }
}

// Feeds `bytes` cut at the given points, each piece in its own heap block.
std::vector<Seen> run_pieces(size_t limit, std::string_view bytes, const std::vector<size_t>& cuts) {
  FrameParser parser(limit);
  std::vector<Seen> out;
  size_t at = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : bytes.size();
    const size_t n = end - at;
    auto block = std::make_unique<char[]>(n == 0 ? 1 : n);
    std::memcpy(block.get(), bytes.data() + at, n);
    feed(parser, limit, block.get(), n, out);
    at = end;
    if (!out.empty() && out.back().event == Parsed::error) break;
    if (i % 3 == 2) parser.release_memory();
  }
  return out;
}

// A masked client frame: the server's header (server_header) with the mask
// bit and key added, fin cleared when asked.
std::string frame(bool fin, int opcode, std::string_view payload, const uint8_t key[4]) {
  uint8_t header[parley::ws::kMaxHeader];
  const size_t n =
      parley::ws::server_header(header, static_cast<parley::ws::Opcode>(opcode), payload.size());
  if (!fin) header[0] &= 0x7F;
  header[1] |= 0x80;
  std::string out(reinterpret_cast<const char*>(header), n);
  out.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < payload.size(); ++i) out.push_back(static_cast<char>(payload[i] ^ key[i & 3]));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  parley::fuzz::Input in(data, size);
  // Limits from tiny (every message too big) to the broker's default.
  static constexpr size_t kLimits[] = {0, 1, 7, 125, 126, 300, 65536, 64 * 1024 * 1024};
  const size_t limit = kLimits[in.below(8)];
  const uint8_t cut_seed = in.byte();
  const std::string stream(in.rest());

  // Cut points: a few from the seed, spread over the stream (sorted, unique).
  std::vector<size_t> cuts;
  if (!stream.empty()) {
    size_t step = 1 + (cut_seed % 17);
    for (size_t at = (cut_seed >> 4) % stream.size() + 1; at < stream.size(); at += step) {
      cuts.push_back(at);
      step = step * 2 + (cut_seed & 1);
    }
  }
  const std::vector<Seen> pieces = run_pieces(limit, stream, cuts);
  const std::vector<Seen> whole = run_pieces(limit, stream, {});
  FUZZ_CHECK(pieces == whole);

  // Every message and control frame, framed again, parses back to itself:
  // the payload length and the unmasking agree with the writer's.
  const uint8_t key[4] = {static_cast<uint8_t>(cut_seed), 0x5a, 0x00,
                          static_cast<uint8_t>(~cut_seed)};
  for (const Seen& s : whole) {
    if (s.event != Parsed::message && s.event != Parsed::control) continue;
    std::string again;
    if (s.event == Parsed::message && s.payload.size() > 2) {
      // In three fragments, a ping between the first two.
      const size_t a = s.payload.size() / 3, b = 2 * s.payload.size() / 3;
      again = frame(false, s.opcode, std::string_view(s.payload).substr(0, a), key);
      again += frame(true, parley::ws::ping, "p", key);
      again += frame(false, 0, std::string_view(s.payload).substr(a, b - a), key);
      again += frame(true, 0, std::string_view(s.payload).substr(b), key);
    } else {
      again = frame(true, s.opcode, s.payload, key);
    }
    const std::vector<Seen> back = run_pieces(limit, again, {again.size() / 2});
    FUZZ_CHECK(!back.empty());
    FUZZ_CHECK(back.back() == s);
  }
  return 0;
}
