// What a write to a conversation asks of the storage engine, as plain data:
// the rules build these, the engines (storage/conversation_store.hpp) commit
// them. No I/O here, so the rules depend on the protocol layer only. The
// functions below are the arithmetic every engine applies to a write the
// same way (write.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "model.hpp"

namespace parley {

struct CreateRequest {
  Conversation record;               // tenant, id and fields; engine-owned ones are ignored
  std::vector<EventDraft> events;    // e.g. conversation.created, member.joined
  std::string idempotency_key;       // "" = none; scoped to the tenant
};

// What a state change decides, given the current record.
struct Decision {
  Conversation next;                        // the new record
  std::vector<EventDraft> events;           // appended in order
  std::optional<std::string> target_body;   // new body of the target event (edit, redaction)
  std::optional<std::string> target_text;   // its new text ("" when redacted): when the target
                                            // is the last message, last_message.text follows it
  bool erase = false;                       // delete the conversation after appending `events`
  bool noop = false;                        // nothing to commit (an idempotent repeat):
                                            // Commit.record is the current record
};

// Preconditions of the hot path, checked atomically by append().
// append()'s Commit.record is lean, so the hot path never copies members or
// metadata: it holds tenant, id, state, status, created_at, epoch and the
// engine-owned fields after the append (last_seq, last_public_seq, counters,
// last_message, last_message_at, last_consumer_message_at, updated_at,
// version); every other field is default.
// Call get() for the whole record.
struct AppendRequest {
  EventDraft event;                  // event.from_user is the sender
  uint32_t sender_roles = 0;         // bit (1 << ParticipantRole) per allowed role; 0 = any active member
  bool require_open = true;          // the conversation must be OPEN
  bool mark_read = true;             // the sender's read horizon moves to this event
};

// The preconditions every engine applies to an AppendRequest, in the order
// of the rules: 403 unless the sender is an ACTIVE member (member) in an
// allowed role (role), then 409 unless OPEN (when required). The member
// limit (413) is not checked here.
Status check_append(const Conversation& conv, const AppendRequest& req);
// Applies an appended event to the record's engine-owned fields (counters,
// last_seq, last_message, updated_at) — shared by the engines.
void apply_appended(Conversation& conv, const Event& e);
// Turns a drafted event (ts already set) into the next log entry of `conv`:
// seq = last_seq + 1, prev_public_seq, then apply_appended, then the event's
// messages_all/public = the record's counters after it. The one place an
// engine numbers an event.
void stamp_appended(Conversation& conv, Event& e);
// The sender's read horizon after appending its own message.
void mark_read_to(Member& m, const Event& e);

// lastMessage.text for a message whose text is `text`: a preview of its
// first code points (PROTOCOL §4).
std::string message_preview(std::string_view text);

}  // namespace parley
