// Decoding of inbound frames: JSON-RPC 2.0 envelopes (single or batch) into
// typed calls. Everything is decoded and copied out of simdjson before the
// caller runs any call, so nothing refers to the parser's buffers later.
//
// The methods of the protocol are the alternatives of Params, one per
// method, each a type of its own that names its method (params.hpp). The
// decoder of each is found by its index in Params (request_params.cpp);
// the broker's handler of each, by the same index (broker/api/methods.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "error.hpp"
#include "limits.hpp"
#include "params.hpp"

namespace parley {

// Every method the broker serves, once, in the order of docs/protocol.md.
using Params = std::variant<
    params::Authenticate, params::Ping, params::CreateConversation, params::GetConversation,
    params::ListConversations, params::UpdateConversation, params::DeleteConversation, params::Join,
    params::Leave, params::ListMembers, params::SendMessage, params::EditMessage,
    params::DeleteMessage, params::QueryMessages, params::Subscribe, params::Unsubscribe,
    params::SetChatState, params::MarkRead,
    // contact-centre workflow (request_params_workflow.cpp)
    params::CloseConversation, params::ReopenConversation, params::LockConversation,
    params::SetStatus, params::Invite, params::RemoveMember, params::Assign, params::Transfer,
    params::SetGroup, params::ConsumerTakeover, params::SendPrivateMessage, params::SendRichContent,
    params::SendFile, params::SendEvent, params::SetNote, params::ListNotes, params::SetCsat,
    params::SetTtr, params::SetManualEttr, params::SetPresence, params::GetPresence,
    // users, drafts, archive (request_params_users.cpp)
    params::UpsertUser, params::GetUser, params::ListUsers, params::ListUserConversations,
    params::GetInvitableUsers, params::SaveDraft, params::GetDraft, params::ArchiveConversation,
    // listings and the inbox (request_params_inbox.cpp)
    params::CountConversations, params::SearchConversations, params::SubscribeInbox,
    params::UnsubscribeInbox,
    // for back ends (request_params_admin.cpp)
    params::GetConversationStats, params::DisconnectUser, params::PublishSystemEvent,
    // webhooks (request_params_hooks.cpp)
    params::ListWebhookDeadLetters, params::ReplayWebhookDeadLetter>;

inline constexpr size_t kMethodCount = std::variant_size_v<Params>;

// The index in Params of the params type P.
template <class P, size_t I = 0>
constexpr size_t method_index_of() {
  static_assert(I < kMethodCount, "not a method's params type");
  if constexpr (std::is_same_v<P, std::variant_alternative_t<I, Params>>)
    return I;
  else
    return method_index_of<P, I + 1>();
}

// The method names, by index in Params.
inline constexpr std::array<std::string_view, kMethodCount> kMethodNames =
    []<size_t... I>(std::index_sequence<I...>) {
  return std::array<std::string_view, kMethodCount>{
      std::variant_alternative_t<I, Params>::method...};
}
(std::make_index_sequence<kMethodCount>());

namespace detail {
constexpr bool names_unique() {
  for (size_t i = 0; i < kMethodNames.size(); ++i)
    for (size_t j = i + 1; j < kMethodNames.size(); ++j)
      if (kMethodNames[i] == kMethodNames[j]) return false;
  return true;
}
static_assert(names_unique(), "two params types name the same method (params.hpp)");
}  // namespace detail

// The index in Params of the method `name`; nullopt when the broker does
// not serve it.
std::optional<size_t> method_index(std::string_view name);

// One request of a frame.
struct Call {
  std::string id;                 // the id as serialized JSON ("7", "\"a\""); "null" when unknown
  bool notification = false;      // no id: execute, answer nothing
  std::string method;
  std::optional<size_t> index;     // method's index in Params, when it names one
  Result<Params> params = Error{}; // the typed params, or the error to answer
                                   // (-32600, -32601, -32602, 413)
};

// A decoded text frame (not to be confused with the WebSocket frames of
// broker/net).
struct RequestFrame {
  bool batch = false;
  std::vector<Call> calls;  // a single request: exactly one
};

// Parses and validates one text frame. A frame that is not JSON (or nests
// deeper than limits.json_depth) answers -32700 with id null; an empty batch
// or one over limits.batch answers -32600. Every other problem is carried
// per call. Uses one reusable parser per thread.
Result<RequestFrame> decode_frame(std::string_view text, const Limits& limits);

// The methods decode_frame knows, for diagnostics and tests.
const std::vector<std::string_view>& known_methods();

}  // namespace parley
