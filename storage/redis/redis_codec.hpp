// How the Redis engine writes members and events as Redis values, and reads
// them back (records: redis_record_codec.hpp). The formats are shared with
// the Lua scripts (lua_scripts.hpp), which build and patch some of them in
// place.
//
// Token list: each value as <decimal byte length>:<bytes>, back to back, no
// separator. Lua builds one with string concatenation and reads one with
// string.find; binary-safe, nothing to escape.
//
// Event encoding (stream entry field `e`, override values, pub/sub), tokens:
//   seq, prev_public_seq, ts, messages_all, messages_public,   <- numbers: the script's
//   type, dialog_id, from_user, from_role, visibility ("all"|"agents"),
//   client_message_id, body                                    <- the tail: C++'s
// Pub/sub message, tokens: "E", epoch, event encoding...  (committed events)
//                          "S", from_user, flags, frame   (a signal; flags:
//                          1 skip_sender, 2 agents_only)
// Member encoding: the role and the state as one digit each (their enum
//   numbers), then seven fixed-width numbers (append_fixed): last_read_seq,
//   read_messages_all, read_messages_public, joined_at, left_at,
//   last_accept_seq, ordinal (the member's place in Conversation::members,
//   since a hash keeps no order), then the name, to the end. A member with
//   its own state (archived, a draft) ends instead, after the ordinal, with
//   the byte 0x1E and a token list: name, archived ("0"|"1"), draft_at,
//   draft. The append script reads the role and state at bytes 1 and 2 and
//   rewrites the read horizon (bytes 3..62: the first three numbers) with
//   string.sub and string.format, without parsing (lua_conversation_scripts.cpp).
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine.hpp"
#include "redis_reply.hpp"

namespace parley::redis {

void append_token(std::string& out, std::string_view value);

// A whole decimal number, nothing around it.
template <class T>
bool parse_number(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && end == s.data() + s.size();
}

// Fixed-width numbers (member entries, the meta hash's `hot`): 20
// characters, zero-padded, '-' first for a negative one (Lua's
// string.format('%020d') writes the same), so that a script finds a field at
// a fixed offset with string.sub and needs no pattern.
inline constexpr size_t kFixedWidth = 20;
void append_fixed(std::string& out, uint64_t n);
void append_fixed(std::string& out, int64_t n);
// The fixed-width number at byte `pos` of `s`.
template <class T>
bool read_fixed(std::string_view s, size_t pos, T& out) {
  return s.size() >= pos + kFixedWidth && parse_number(s.substr(pos, kFixedWidth), out);
}
// Member encoding: bytes before the name (see above).
inline constexpr size_t kMemberHead = 2 + 7 * kFixedWidth;

// Reads a token list front to back.
class TokenReader {
 public:
  explicit TokenReader(std::string_view s) : rest_(s) {}
  bool next(std::string_view& out);
  bool next_uint(uint64_t& out);
  bool next_int(int64_t& out);
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

std::string encode_event(const Event& e);
// The part of an event encoding known before the script numbers it.
std::string encode_event_tail(const EventDraft& d);
std::optional<Event> decode_event(std::string_view enc);

std::string encode_member(const Member& m, size_t ordinal);
// The member and its ordinal.
std::optional<std::pair<Member, uint64_t>> decode_member(std::string_view user_id,
                                                         std::string_view enc);

std::string events_message(std::string_view epoch, const std::vector<std::string>& encodings);
std::string signal_message(const Signal& s);

struct PubsubMessage {
  bool is_signal = false;
  std::string epoch;
  std::vector<EventPtr> events;
  Signal signal;
};
std::optional<PubsubMessage> decode_message(std::string_view payload);

}  // namespace parley::redis
