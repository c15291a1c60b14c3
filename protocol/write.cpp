// What every engine does the same way with a write: the hot path's
// preconditions and how an appended event moves a record's engine-owned
// fields. Keeping them here means the memory and Redis engines (and the
// rules' tests, which apply decisions the way the engines do) cannot drift
// apart on what a counter or a read horizon means.
#include "write.hpp"

#include <algorithm>

#include "error.hpp"

namespace parley {

namespace {

// lastMessage.text is a preview: PROTOCOL §4 caps it at 200 code points.
constexpr size_t kPreviewCodePoints = 200;

// The preview text of a message body: its "text", else a file's "caption",
// else "" (rich content has no text). The body was validated when the
// request was decoded; a body that does not parse still yields "" rather
// than failing a commit that is already decided.
std::string preview_text(const std::string& body) {
  return message_preview(body_string(body, {"text", "caption"}));
}

}  // namespace

std::string message_preview(std::string_view text) {
  return std::string(first_code_points(text, kPreviewCodePoints));
}

Status check_append(const Conversation& conv, const AppendRequest& req) {
  // Who may act first, then the state (the order of every rule): a sender
  // that may not send learns nothing of the conversation's state.
  const Member* m = conv.active_member(req.event.from_user);
  if (!m) return forbidden("member", "not an active member of the conversation");
  if (req.sender_roles != 0 && (req.sender_roles & (1u << static_cast<int>(m->role))) == 0)
    return forbidden("role", "role not allowed");
  if (req.require_open && conv.state != ConvState::open) {
    std::string msg = "conversation is ";
    msg.append(to_string(conv.state));
    return conflict(to_string(conv.state), msg);
  }
  return Ok{};
}

void apply_appended(Conversation& conv, const Event& e) {
  conv.last_seq = e.seq;
  const bool is_public = e.visibility == Visibility::all;
  if (is_public) conv.last_public_seq = e.seq;
  if (is_message_type(e.type)) {
    ++conv.messages_all;
    // TTR counts from the consumer's last message (from_role is the seat).
    if (e.from_role == "CONSUMER") conv.last_consumer_message_at = e.ts;
    if (is_public) {
      ++conv.messages_public;
      conv.last_message.seq = e.seq;
      conv.last_message.from = e.from_user;
      conv.last_message.text = preview_text(e.body);
      conv.last_message.ts = e.ts;
      conv.last_message_at = e.ts;
    }
  }
  conv.updated_at = e.ts;
}

void stamp_appended(Conversation& conv, Event& e) {
  e.seq = conv.last_seq + 1;
  e.prev_public_seq = conv.last_public_seq;
  apply_appended(conv, e);
  e.messages_all = conv.messages_all;
  e.messages_public = conv.messages_public;
}

void mark_read_to(Member& m, const Event& e) {
  // Horizons only move forward: a late mark must not undo a newer read.
  if (e.seq > m.last_read_seq) m.last_read_seq = e.seq;
  m.read_messages_all = std::max(m.read_messages_all, e.messages_all);
  m.read_messages_public = std::max(m.read_messages_public, e.messages_public);
}

}  // namespace parley
