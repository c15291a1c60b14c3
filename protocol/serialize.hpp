// JSON writing of the protocol's objects (PROTOCOL.md §4) and of response
// and notification envelopes.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "error.hpp"
#include "json_writer.hpp"
#include "model.hpp"

namespace parley {

// Per-caller fields of a Conversation object, and what the caller may see.
struct ViewerState {
  uint64_t unread = 0;
  bool archived = false;
  // Consumers do not see the agent side's routing: skillId, groupId and the
  // manual ETTR are null for them (their change events are agents-only).
  Audience audience = Audience::agents;
  TtrSeconds ttr;  // the configured seconds of each TTR type
};

// The Conversation object as the viewer sees it.
void write_conversation(JsonWriter& w, const Conversation& c, const ViewerState& viewer);
// A member row of listMembers: {userId, name, role, state, joinedAt, leftAt,
// lastReadSeq, lastAcceptSeq, unread}; unread computed for the given audience.
// joinedAt is null for a member that never joined (INVITED, SUGGESTED).
void write_member(JsonWriter& w, const Member& m, const Conversation& c);
// An Event object; `prevSeq` as the audience sees it.
void write_event(JsonWriter& w, const Event& e, std::string_view conversation_id,
                 std::string_view epoch, Audience audience);

// {"jsonrpc":"2.0","id":ID,"result":RESULT}; `result_json` is serialized JSON.
std::string response_result(std::string_view id_json, std::string_view result_json);
// {"jsonrpc":"2.0","id":ID,"error":{"code","message","data"?}}
std::string response_error(std::string_view id_json, const Error& e);
// {"jsonrpc":"2.0","method":METHOD,"params":PARAMS}
std::string notification(std::string_view method, std::string_view params_json);
// The `event` push of one event for one audience, ready to share.
std::shared_ptr<const std::string> event_frame(const Event& e, std::string_view conversation_id,
                                               std::string_view epoch, Audience audience);

// Unread messages of a member for its audience.
uint64_t unread_of(const Member& m, const Conversation& c);

}  // namespace parley
