// Typed parameters of each method, as the decoder (request.hpp) produces
// them after checking types, ranges, limits and unknown fields. Handlers
// never see raw JSON params. Every method has a type of its own, which
// names it (`method`); methods of one shape are Named<Shape, "name">, the
// shape a struct without a name (ConversationRef, MemberRef) or another
// method's (SendMessage). The list of the methods is the Params variant
// (request.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model.hpp"

namespace parley::params {

// A method whose params have the shape of another type: a type of its own
// (so that dispatch is by type), derived from the shape, that names it.
template <size_t N>
struct MethodName {
  constexpr MethodName(const char (&name)[N]) {  // NOLINT: implicit by design
    for (size_t i = 0; i < N; ++i) text[i] = name[i];
  }
  char text[N];
};
template <class Shape, MethodName kName>
struct Named : Shape {
  static constexpr std::string_view method{kName.text, sizeof(kName.text) - 1};
};

struct Authenticate {
  static constexpr std::string_view method = "authenticate";
  std::optional<std::string> token;
  // --dev form (no token)
  std::optional<std::string> user_id, role, tenant, name;
  std::vector<std::string> skills;  // skills.hpp's rule
};

struct Ping {
  static constexpr std::string_view method = "ping";
};

struct Participant {
  std::string user_id;
  ParticipantRole role = ParticipantRole::agent;
};

struct CreateConversation {
  static constexpr std::string_view method = "createConversation";
  std::optional<std::string> name, display_name, image_url, external_id, channel, campaign_id,
      skill_id;
  std::optional<std::string> metadata;  // serialized JSON object
  std::optional<int64_t> ttl;           // seconds, > 0
  bool post_survey = false;
  std::vector<Participant> participants;
  std::optional<std::string> client_request_id;
};

// exactly one of the two is set
struct GetConversation {
  static constexpr std::string_view method = "getConversation";
  std::optional<std::string> conversation_id;
  std::optional<std::string> external_id;
};

struct ListFilter {
  std::optional<ConvState> state;
  std::optional<std::string> status, channel, skill_id, campaign_id;
  std::optional<std::string> assigned_to;  // "me" | "none" | user id
  bool member_of_me = false;               // memberOf: "me"
  std::optional<Millis> since, until;      // on updatedAt
  std::optional<bool> archived;
};

struct Paging {
  size_t limit = 20;
  std::optional<std::string> cursor;  // opaque, from nextCursor
  size_t offset = 0;
};

struct ListConversations {
  static constexpr std::string_view method = "listConversations";
  ListFilter filter;
  bool descending = true;  // order: "desc" (default) | "asc"
  Paging paging;
};

struct UpdateConversation {
  static constexpr std::string_view method = "updateConversation";
  std::string conversation_id;
  // outer optional: field present; inner optional: null clears it
  std::optional<std::optional<std::string>> name, display_name, image_url;
  std::optional<std::string> metadata;        // replaces the whole object
  std::optional<std::string> metadata_patch;  // merged into it (top-level keys; null removes)
  std::optional<std::optional<int64_t>> ttl;
};

// The shape of the methods that name one conversation and nothing else.
struct ConversationRef {
  std::string conversation_id;
};
using DeleteConversation = Named<ConversationRef, "deleteConversation">;
using Leave = Named<ConversationRef, "leave">;
using ListMembers = Named<ConversationRef, "listMembers">;
using Unsubscribe = Named<ConversationRef, "unsubscribe">;
using ReopenConversation = Named<ConversationRef, "reopenConversation">;
using LockConversation = Named<ConversationRef, "lockConversation">;
using GetConversationStats = Named<ConversationRef, "getConversationStats">;

struct Join {
  static constexpr std::string_view method = "join";
  std::string conversation_id;
  std::optional<ParticipantRole> role;
};

struct SendMessage {
  static constexpr std::string_view method = "sendMessage";
  std::string conversation_id;
  std::string text;
  std::optional<std::string> metadata;       // serialized JSON object
  std::optional<std::string> quick_replies;  // serialized JSON array
  std::optional<std::string> mentions;       // serialized JSON array of user ids
  std::optional<std::string> client_message_id;
};

// sendMessage's params; its decoder refuses quickReplies (consumers never see
// a private message).
using SendPrivateMessage = Named<SendMessage, "sendPrivateMessage">;

struct EditMessage {
  static constexpr std::string_view method = "editMessage";
  std::string conversation_id;
  uint64_t seq = 0;
  std::string text;
};

struct DeleteMessage {
  static constexpr std::string_view method = "deleteMessage";
  std::string conversation_id;
  uint64_t seq = 0;
};

struct QueryMessages {
  static constexpr std::string_view method = "queryMessages";
  std::optional<std::string> conversation_id;
  std::optional<uint64_t> from_seq, to_seq;
  std::optional<Millis> since, until;
  std::vector<std::string> types;
  bool descending = false;  // order: "asc" (default) | "desc"
  size_t limit = 20;
};

struct Subscribe {
  static constexpr std::string_view method = "subscribe";
  std::string conversation_id;
  std::optional<uint64_t> since_seq;
  std::optional<std::string> epoch;
};

struct SetChatState {
  static constexpr std::string_view method = "setChatState";
  std::string conversation_id;
  std::string state;  // COMPOSING | PAUSE | ACTIVE | INACTIVE | GONE
};

struct MarkRead {
  static constexpr std::string_view method = "markRead";
  std::string conversation_id;
  uint64_t seq = 0;
  bool accept = false;  // status: "ACCEPT" (default "READ")
};

// ---- contact-centre workflow (docs/protocol.md, "The contact-centre workflow") ----

struct CloseConversation {
  static constexpr std::string_view method = "closeConversation";
  std::string conversation_id;
  std::optional<std::string> closed_cause;
};

struct SetStatus {
  static constexpr std::string_view method = "setStatus";
  std::string conversation_id;
  std::string status;  // open | pending | snoozed | resolved
};

struct Invite {
  static constexpr std::string_view method = "invite";
  std::string conversation_id;
  std::string user_id;
  ParticipantRole role = ParticipantRole::agent;  // never ASSIGNED_AGENT (that is assign)
};

// The shape of the methods that name a member of a conversation.
struct MemberRef {
  std::string conversation_id;
  std::string user_id;
};
using RemoveMember = Named<MemberRef, "removeMember">;
using Assign = Named<MemberRef, "assign">;

struct Transfer {  // at least one of agent_id, skill_id
  static constexpr std::string_view method = "transfer";
  std::string conversation_id;
  std::optional<std::string> agent_id;
  std::optional<std::string> skill_id;
};

struct SetGroup {
  static constexpr std::string_view method = "setGroup";
  std::string conversation_id;
  std::optional<std::string> group_id;  // null clears
};

struct ConsumerTakeover {
  static constexpr std::string_view method = "consumerTakeover";
  std::string conversation_id;
  std::optional<std::string> new_consumer_user_id;  // admins and bots only
};

struct SendRichContent {
  static constexpr std::string_view method = "sendRichContent";
  std::string conversation_id;
  std::string content;                       // serialized JSON object
  std::optional<std::string> metadata;       // serialized JSON object
  std::optional<std::string> quick_replies;  // serialized JSON array
  std::optional<std::string> client_message_id;
};

struct SendFile {
  static constexpr std::string_view method = "sendFile";
  std::string conversation_id;
  std::string url;  // http(s)
  std::string name;
  std::optional<std::string> mime_type;
  std::optional<uint64_t> size;
  std::optional<std::string> caption;
  std::optional<std::string> client_message_id;
};

struct SendEvent {
  static constexpr std::string_view method = "sendEvent";
  std::string conversation_id;
  std::string name;
  std::string data;  // any serialized JSON value
  Visibility visibility = Visibility::all;
};

struct SetNote {
  static constexpr std::string_view method = "setNote";
  std::string conversation_id;
  std::string text;  // not yet clipped to limits.note_chars: the rules decide
  bool is_auto_summary = false;
  bool truncate = true;  // false: a note over the limit is 413 instead of truncated
};

struct ListNotes {
  static constexpr std::string_view method = "listNotes";
  std::string conversation_id;
  Paging paging;  // cursor: the seq of the last note served
};

struct SetCsat {
  static constexpr std::string_view method = "setCsat";
  std::string conversation_id;
  int rate = 0;  // 1..5
  bool resolution_confirmation = false;
  std::string status = "FILLED";  // FILLED | SKIPPED | PARTIALLY_FILLED
};

struct SetTtr {
  static constexpr std::string_view method = "setTtr";
  std::string conversation_id;
  std::string type;              // NORMAL | URGENT | PRIORITIZED | CUSTOM
  std::optional<int64_t> value;  // seconds, exactly when CUSTOM
};

struct SetManualEttr {
  static constexpr std::string_view method = "setManualEttr";
  std::string conversation_id;
  std::optional<Millis> time;  // null clears
};

struct SetPresence {
  static constexpr std::string_view method = "setPresence";
  std::string status;  // online | away | busy
};

struct GetPresence {
  static constexpr std::string_view method = "getPresence";
  std::vector<std::string> user_ids;  // at most 100
};

// ---- users, drafts, archive (docs/protocol.md, "Users, drafts, archive") ----------

struct UpsertUser {
  static constexpr std::string_view method = "upsertUser";
  std::optional<std::string> user_id;  // absent: the caller
  std::optional<std::string> name;
  // outer optional: field present; inner optional: null clears it
  std::optional<std::optional<std::string>> display_name, image_url;
};

struct GetUser {
  static constexpr std::string_view method = "getUser";
  std::string user_id;
};

struct ListUsers {
  static constexpr std::string_view method = "listUsers";
  std::optional<AccountRole> role;
  std::vector<std::string> words;  // q split on white space
  Paging paging;                   // cursor: the last user id served; no offset
};

struct ListUserConversations {
  static constexpr std::string_view method = "listUserConversations";
  std::string user_id;
  Paging paging;  // listConversations' cursor and offset
};

struct GetInvitableUsers {
  static constexpr std::string_view method = "getInvitableUsers";
  std::string conversation_id;
  Paging paging;  // cursor: the last user id served; no offset
};

struct SaveDraft {
  static constexpr std::string_view method = "saveDraft";
  std::string conversation_id;
  std::string text;  // "" clears the draft
};

struct GetDraft {
  static constexpr std::string_view method = "getDraft";
  std::string conversation_id;
};

struct ArchiveConversation {
  static constexpr std::string_view method = "archiveConversation";
  std::string conversation_id;
  bool archived = true;
};

// ---- listings and the inbox (docs/protocol.md, "Inbox, search, count") ------------

struct CountConversations {
  static constexpr std::string_view method = "countConversations";
  ListFilter filter;
};

struct SearchConversations {
  static constexpr std::string_view method = "searchConversations";
  std::string q;  // at least one word
  ListFilter filter;
  Paging paging;  // limit and cursor (no offset)
};

struct SubscribeInbox {
  static constexpr std::string_view method = "subscribeInbox";
  ListFilter filter;
  size_t limit = 20;  // snapshot rows
};

struct UnsubscribeInbox {
  static constexpr std::string_view method = "unsubscribeInbox";
  std::string subscription_id;
};

// Webhooks, admin only (docs/webhooks.md; request_params_hooks.cpp).
struct ListWebhookDeadLetters {
  static constexpr std::string_view method = "listWebhookDeadLetters";
};
struct ReplayWebhookDeadLetter {
  static constexpr std::string_view method = "replayWebhookDeadLetter";
  std::string id;  // the dead letter's delivery id
};

// Admin methods for back ends (request_params_admin.cpp).
struct DisconnectUser {
  static constexpr std::string_view method = "disconnectUser";
  std::string user_id;
  std::optional<std::string> reason;  // the close frame's reason, at most 120 bytes
};

struct PublishSystemEvent {
  static constexpr std::string_view method = "publishSystemEvent";
  std::string conversation_id;
  std::string text;
  std::optional<std::string> data;  // serialized JSON object
};

}  // namespace parley::params
