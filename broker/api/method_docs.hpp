// What the OpenAPI document (docs/openapi.yaml, `parley --print-openapi`,
// openapi.cpp) says of each method: a summary and the fields of its params,
// in the order of Params (protocol/request.hpp), checked at compile time
// against the method table's names. The decoders (protocol/
// request_params*.cpp) stay the authority on what is accepted; this is its
// description, kept next to the method table and tested against the
// committed document.
//
// Fields: space-separated `name:type`, a trailing `!` when required; types
// string, integer, boolean, object, array, any; `|null` when null is
// accepted (it clears the value).
#pragma once

#include <string_view>

#include "request.hpp"

namespace parley {

struct MethodDoc {
  std::string_view name;
  std::string_view summary;
  std::string_view fields;
};

inline constexpr MethodDoc kMethodDocs[] = {
    {"authenticate", "Authenticate a socket (WebSocket only)",
     "token:string userId:string role:string tenant:string name:string skills:array"},
    {"ping", "Check the connection", ""},
    {"createConversation", "Create a conversation",
     "name:string displayName:string imageUrl:string externalId:string channel:string "
     "campaignId:string skillId:string metadata:object ttl:integer postSurvey:boolean "
     "participants:array clientRequestId:string"},
    {"getConversation", "Get a conversation by id or external id",
     "conversationId:string externalId:string"},
    {"listConversations", "List the tenant's conversations",
     "filter:object order:string limit:integer cursor:string offset:integer"},
    {"updateConversation", "Update a conversation's fields",
     "conversationId:string! name:string|null displayName:string|null imageUrl:string|null "
     "metadata:object metadataPatch:object ttl:integer|null"},
    {"deleteConversation", "Delete a conversation", "conversationId:string!"},
    {"join", "Join a conversation", "conversationId:string! role:string"},
    {"leave", "Leave a conversation", "conversationId:string!"},
    {"listMembers", "List a conversation's members", "conversationId:string!"},
    {"sendMessage", "Send a message (clientMessageId makes it idempotent)",
     "conversationId:string! text:string! metadata:object quickReplies:array mentions:array "
     "clientMessageId:string"},
    {"editMessage", "Edit a message", "conversationId:string! seq:integer! text:string!"},
    {"deleteMessage", "Delete a message", "conversationId:string! seq:integer!"},
    {"queryMessages", "Read a conversation's log",
     "conversationId:string fromSeq:integer toSeq:integer since:integer until:integer "
     "types:array order:string limit:integer"},
    {"subscribe", "Subscribe to a conversation (WebSocket only)",
     "conversationId:string! sinceSeq:integer epoch:string"},
    {"unsubscribe", "Unsubscribe from a conversation (WebSocket only)", "conversationId:string!"},
    {"setChatState", "Send a chat state (WebSocket only)",
     "conversationId:string! state:string!"},
    {"markRead", "Mark a conversation read up to a seq",
     "conversationId:string! seq:integer! status:string"},
    {"closeConversation", "Close a conversation", "conversationId:string! closedCause:string"},
    {"reopenConversation", "Reopen a closed conversation", "conversationId:string!"},
    {"lockConversation", "Lock a closed conversation", "conversationId:string!"},
    {"setStatus", "Set a conversation's status", "conversationId:string! status:string!"},
    {"invite", "Invite a user", "conversationId:string! userId:string! role:string"},
    {"removeMember", "Remove a member", "conversationId:string! userId:string!"},
    {"assign", "Assign an agent", "conversationId:string! userId:string!"},
    {"transfer", "Transfer to an agent or a skill",
     "conversationId:string! agentId:string skillId:string"},
    {"setGroup", "Set a conversation's group", "conversationId:string! groupId:string|null"},
    {"consumerTakeover", "Take over a conversation as its consumer",
     "conversationId:string! newConsumerUserId:string"},
    {"sendPrivateMessage", "Send a message only the agent side sees",
     "conversationId:string! text:string! metadata:object mentions:array clientMessageId:string"},
    {"sendRichContent", "Send rich content",
     "conversationId:string! content:object! metadata:object quickReplies:array "
     "clientMessageId:string"},
    {"sendFile", "Send a file by URL",
     "conversationId:string! url:string! name:string! mimeType:string size:integer "
     "caption:string clientMessageId:string"},
    {"sendEvent", "Send a custom event",
     "conversationId:string! name:string! data:any visibility:string"},
    {"setNote", "Add an agent note",
     "conversationId:string! text:string! isAutoSummary:boolean truncate:boolean"},
    {"listNotes", "List agent notes",
     "conversationId:string! limit:integer cursor:string offset:integer"},
    {"setCsat", "Record customer satisfaction",
     "conversationId:string! csatRate:integer! csatResolutionConfirmation:boolean! csatStatus:string"},
    {"setTtr", "Set the time to respond", "conversationId:string! ttrType:string! value:integer"},
    {"setManualEttr", "Set the manual expected time to respond",
     "conversationId:string! time:integer|null"},
    {"setPresence", "Set the caller's presence (WebSocket only)", "status:string!"},
    {"getPresence", "Get users' presence", "userIds:array!"},
    {"upsertUser", "Create or update a user",
     "userId:string name:string displayName:string|null imageUrl:string|null"},
    {"getUser", "Get a user", "userId:string!"},
    {"listUsers", "List users", "role:string q:string limit:integer cursor:string"},
    {"listUserConversations", "List a user's conversations",
     "userId:string! limit:integer cursor:string offset:integer"},
    {"getInvitableUsers", "List the users who may be invited",
     "conversationId:string! limit:integer cursor:string"},
    {"saveDraft", "Save a draft", "conversationId:string! text:string!"},
    {"getDraft", "Get a draft", "conversationId:string!"},
    {"archiveConversation", "Archive or unarchive a conversation for the caller",
     "conversationId:string! archived:boolean"},
    {"countConversations", "Count conversations", "filter:object"},
    {"searchConversations", "Search conversations",
     "q:string! filter:object limit:integer cursor:string"},
    {"subscribeInbox", "Subscribe to an inbox (WebSocket only)", "filter:object limit:integer"},
    {"unsubscribeInbox", "Unsubscribe from an inbox (WebSocket only)", "subscriptionId:string!"},
    {"getConversationStats", "A conversation's counters", "conversationId:string!"},
    {"disconnectUser", "Close a user's sockets on every node (admin; close code 4010)",
     "userId:string! reason:string"},
    {"publishSystemEvent", "Commit a system event into a conversation's log (admin, bot)",
     "conversationId:string! text:string! data:object"},
    {"listWebhookDeadLetters", "List the tenant's dead-lettered webhook deliveries (admin)", ""},
    {"replayWebhookDeadLetter", "Deliver a dead-lettered webhook again (admin)", "id:string!"},
};

namespace detail {
constexpr bool docs_match_methods() {
  if (std::size(kMethodDocs) != kMethodCount) return false;
  for (size_t i = 0; i < kMethodCount; ++i)
    if (kMethodDocs[i].name != kMethodNames[i]) return false;
  return true;
}
static_assert(docs_match_methods(),
              "kMethodDocs: one entry per method, in the order of Params (protocol/request.hpp)");
}  // namespace detail

}  // namespace parley
