// Decoding of inbound frames: JSON-RPC 2.0 envelopes (single or batch) into
// typed calls. Everything is decoded and copied out of simdjson before the
// caller runs any call, so nothing refers to the parser's buffers later.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "error.hpp"
#include "limits.hpp"
#include "params.hpp"

namespace parley {

// One variant alternative per method of the protocol that the broker serves.
using Params =
    std::variant<params::Authenticate, params::Ping, params::CreateConversation,
                 params::GetConversation, params::ListConversations, params::UpdateConversation,
                 params::ConversationRef, params::Join, params::SendMessage, params::EditMessage,
                 params::DeleteMessage, params::QueryMessages, params::Subscribe,
                 params::SetChatState, params::MarkRead,
                 // contact-centre workflow
                 params::CloseConversation, params::SetStatus, params::Invite, params::MemberRef,
                 params::Transfer, params::SetGroup, params::ConsumerTakeover,
                 params::SendRichContent, params::SendFile, params::SendEvent, params::SetNote,
                 params::ListNotes, params::SetCsat, params::SetTtr, params::SetManualEttr, params::SetPresence, params::GetPresence,
                 // users, drafts, archive
                 params::UpsertUser, params::GetUser, params::ListUsers,
                 params::ListUserConversations, params::GetInvitableUsers, params::SaveDraft,
                 params::GetDraft, params::ArchiveConversation,
                 // listings and the inbox
                 params::CountConversations, params::SearchConversations,
                 params::SubscribeInbox, params::UnsubscribeInbox>;

// One request of a frame.
struct Call {
  std::string id;                 // the id as serialized JSON ("7", "\"a\""); "null" when unknown
  bool notification = false;      // no id: execute, answer nothing
  std::string method;
  Result<Params> params = Error{}; // the typed params, or the error to answer
                                   // (-32600, -32601, -32602, 413)
};

struct Frame {
  bool batch = false;
  std::vector<Call> calls;  // a single request: exactly one
};

// Parses and validates one text frame. A frame that is not JSON (or nests
// deeper than limits.json_depth) answers -32700 with id null; an empty batch
// or one over limits.batch answers -32600. Every other problem is carried
// per call. Uses one reusable parser per thread.
Result<Frame> decode_frame(std::string_view text, const Limits& limits);

// The methods decode_frame knows, for diagnostics and tests.
const std::vector<std::string_view>& known_methods();

}  // namespace parley
