// Tokens, events, members and pub/sub messages (redis_codec.hpp). Records
// are in redis_record_codec.cpp.
#include "redis_codec.hpp"

#include <cstdio>

namespace parley::redis {

namespace {

// Starts the extended tail of a member encoding (see redis_codec.hpp).
constexpr char kMemberExt = '\x1e';

void append_number(std::string& out, uint64_t n) { append_token(out, std::to_string(n)); }
void append_number(std::string& out, int64_t n) { append_token(out, std::to_string(n)); }

}  // namespace

// ---- tokens ------------------------------------------------------------------

void append_fixed(std::string& out, uint64_t n) {
  char buf[32];
  const int len = std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(n));
  out.append(buf, static_cast<size_t>(len));
}

void append_fixed(std::string& out, int64_t n) {
  char buf[32];
  const int len = std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(n));
  out.append(buf, static_cast<size_t>(len));
}

void append_token(std::string& out, std::string_view value) {
  out.append(std::to_string(value.size())).push_back(':');
  out.append(value);
}

bool TokenReader::next(std::string_view& out) {
  const auto colon = rest_.find(':');
  size_t n = 0;
  if (colon == std::string_view::npos || !parse_number(rest_.substr(0, colon), n) ||
      rest_.size() - colon - 1 < n)
    return false;
  out = rest_.substr(colon + 1, n);
  rest_.remove_prefix(colon + 1 + n);
  return true;
}

bool TokenReader::next_uint(uint64_t& out) {
  std::string_view s;
  return next(s) && parse_number(s, out);
}

bool TokenReader::next_int(int64_t& out) {
  std::string_view s;
  return next(s) && parse_number(s, out);
}

// ---- events ------------------------------------------------------------------

std::string encode_event_tail(const EventDraft& d) {
  std::string out;
  out.reserve(d.body.size() + d.type.size() + d.from_user.size() + 64);
  append_token(out, d.type);
  append_token(out, d.dialog_id);
  append_token(out, d.from_user);
  append_token(out, d.from_role);
  append_token(out, to_string(d.visibility));
  append_token(out, d.client_message_id);
  append_token(out, d.body);
  return out;
}

std::string encode_event(const Event& e) {
  std::string out;
  append_number(out, e.seq);
  append_number(out, e.prev_public_seq);
  append_number(out, static_cast<int64_t>(e.ts));
  append_number(out, e.messages_all);
  append_number(out, e.messages_public);
  out.append(encode_event_tail(e));
  return out;
}

std::optional<Event> decode_event(std::string_view enc) {
  TokenReader r(enc);
  Event e;
  int64_t ts = 0;
  std::string_view type, dialog, from, role, vis, cmid, body;
  if (!r.next_uint(e.seq) || !r.next_uint(e.prev_public_seq) || !r.next_int(ts) ||
      !r.next_uint(e.messages_all) || !r.next_uint(e.messages_public) || !r.next(type) ||
      !r.next(dialog) || !r.next(from) || !r.next(role) || !r.next(vis) || !r.next(cmid) ||
      !r.next(body))
    return std::nullopt;
  e.ts = ts;
  e.type = type;
  e.dialog_id = dialog;
  e.from_user = from;
  e.from_role = role;
  e.visibility = vis == "agents" ? Visibility::agents : Visibility::all;
  e.client_message_id = cmid;
  e.body = body;
  return e;
}

// ---- members -----------------------------------------------------------------

std::string encode_member(const Member& m, size_t ordinal) {
  std::string out;
  out.reserve(m.name.size() + kMemberHead);
  out.push_back(static_cast<char>('0' + static_cast<int>(m.role)));
  out.push_back(static_cast<char>('0' + static_cast<int>(m.state)));
  append_fixed(out, m.last_read_seq);
  append_fixed(out, m.read_messages_all);
  append_fixed(out, m.read_messages_public);
  append_fixed(out, m.joined_at);
  append_fixed(out, m.left_at);
  append_fixed(out, m.last_accept_seq);
  append_fixed(out, static_cast<uint64_t>(ordinal));
  // The member's own state rides in an extended tail; a member without any
  // keeps the plain name tail, the format records had before it existed.
  const bool extended = m.archived || !m.draft.empty() || m.draft_at != 0 ||
                        (!m.name.empty() && m.name.front() == kMemberExt);
  if (!extended) {
    out.append(m.name);
    return out;
  }
  out.push_back(kMemberExt);
  append_token(out, m.name);
  append_token(out, m.archived ? "1" : "0");
  append_token(out, std::to_string(m.draft_at));
  append_token(out, m.draft);
  return out;
}

std::optional<std::pair<Member, uint64_t>> decode_member(std::string_view user_id,
                                                         std::string_view enc) {
  if (enc.size() < kMemberHead) return std::nullopt;
  Member m;
  const int role = enc[0] - '0', state = enc[1] - '0';
  uint64_t ordinal = 0;
  if (role < 0 || role > static_cast<int>(ParticipantRole::bot) || state < 0 ||
      state > static_cast<int>(MemberState::left) || !read_fixed(enc, 2, m.last_read_seq) ||
      !read_fixed(enc, 22, m.read_messages_all) || !read_fixed(enc, 42, m.read_messages_public) ||
      !read_fixed(enc, 62, m.joined_at) || !read_fixed(enc, 82, m.left_at) ||
      !read_fixed(enc, 102, m.last_accept_seq) || !read_fixed(enc, 122, ordinal))
    return std::nullopt;
  enc.remove_prefix(kMemberHead);
  m.user_id = user_id;
  m.role = static_cast<ParticipantRole>(role);
  m.state = static_cast<MemberState>(state);
  m.name = enc;
  if (!enc.empty() && enc.front() == kMemberExt) {
    // The extended tail; a plain name that merely starts with the marker
    // does not parse as one and stays a name.
    TokenReader t(enc.substr(1));
    std::string_view name, archived, draft;
    int64_t draft_at = 0;
    if (t.next(name) && t.next(archived) && t.next_int(draft_at) && t.next(draft) && t.done() &&
        (archived == "0" || archived == "1")) {
      m.name = name;
      m.archived = archived == "1";
      m.draft_at = draft_at;
      m.draft = draft;
    }
  }
  return std::make_pair(std::move(m), ordinal);
}

// ---- pub/sub -----------------------------------------------------------------

std::string events_message(std::string_view epoch, const std::vector<std::string>& encodings) {
  std::string out;
  append_token(out, "E");
  append_token(out, epoch);
  for (const auto& e : encodings) append_token(out, e);
  return out;
}

std::string signal_message(const Signal& s) {
  std::string out;
  append_token(out, "S");
  append_token(out, s.from_user);
  append_token(out, std::to_string((s.skip_sender ? 1 : 0) | (s.agents_only ? 2 : 0)));
  append_token(out, s.frame ? std::string_view(*s.frame) : std::string_view());
  return out;
}

std::optional<PubsubMessage> decode_message(std::string_view payload) {
  TokenReader r(payload);
  std::string_view kind;
  if (!r.next(kind)) return std::nullopt;
  PubsubMessage m;
  if (kind == "E") {
    std::string_view epoch, enc;
    if (!r.next(epoch)) return std::nullopt;
    m.epoch = epoch;
    while (!r.done()) {
      auto e = r.next(enc) ? decode_event(enc) : std::nullopt;
      if (!e) return std::nullopt;
      m.events.push_back(std::make_shared<const Event>(std::move(*e)));
    }
    return m;
  }
  if (kind == "S") {
    std::string_view from, frame;
    uint64_t flags = 0;
    if (!r.next(from) || !r.next_uint(flags) || !r.next(frame)) return std::nullopt;
    m.is_signal = true;
    m.signal.from_user = from;
    m.signal.skip_sender = flags & 1;
    m.signal.agents_only = flags & 2;
    m.signal.frame = std::make_shared<const std::string>(frame);
    return m;
  }
  return std::nullopt;
}

}  // namespace parley::redis
