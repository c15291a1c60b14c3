// Typed parameters of each method, as the decoder (request.hpp) produces
// them after checking types, ranges, limits and unknown fields. Handlers
// never see raw JSON params.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model.hpp"

namespace parley::params {

struct Authenticate {
  std::optional<std::string> token;
  // --dev form (no token)
  std::optional<std::string> user_id, role, tenant, name;
  std::vector<std::string> skills;  // skills.hpp's rule
};

struct Ping {};

struct Participant {
  std::string user_id;
  ParticipantRole role = ParticipantRole::agent;
};

struct CreateConversation {
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
  ListFilter filter;
  bool descending = true;  // order: "desc" (default) | "asc"
  Paging paging;
};

struct UpdateConversation {
  std::string conversation_id;
  // outer optional: field present; inner optional: null clears it
  std::optional<std::optional<std::string>> name, display_name, image_url;
  std::optional<std::string> metadata;        // replaces the whole object
  std::optional<std::string> metadata_patch;  // merged into it (top-level keys; null removes)
  std::optional<std::optional<int64_t>> ttl;
};

struct ConversationRef {  // deleteConversation, leave, listMembers, unsubscribe, ...
  std::string conversation_id;
};

struct Join {
  std::string conversation_id;
  std::optional<ParticipantRole> role;
};

struct SendMessage {
  std::string conversation_id;
  std::string text;
  std::optional<std::string> metadata;       // serialized JSON object
  std::optional<std::string> quick_replies;  // serialized JSON array
  std::optional<std::string> mentions;       // serialized JSON array of user ids
  std::optional<std::string> client_message_id;
};

struct EditMessage {
  std::string conversation_id;
  uint64_t seq = 0;
  std::string text;
};

struct DeleteMessage {
  std::string conversation_id;
  uint64_t seq = 0;
};

struct QueryMessages {
  std::optional<std::string> conversation_id;
  std::optional<uint64_t> from_seq, to_seq;
  std::optional<Millis> since, until;
  std::vector<std::string> types;
  bool descending = false;  // order: "asc" (default) | "desc"
  size_t limit = 20;
};

struct Subscribe {
  std::string conversation_id;
  std::optional<uint64_t> since_seq;
  std::optional<std::string> epoch;
};

struct SetChatState {
  std::string conversation_id;
  std::string state;  // COMPOSING | PAUSE | ACTIVE | INACTIVE | GONE
};

struct MarkRead {
  std::string conversation_id;
  uint64_t seq = 0;
  bool accept = false;  // status: "ACCEPT" (default "READ")
};

// ---- contact-centre workflow (PROTOCOL §5) ----------------------------------

struct CloseConversation {
  std::string conversation_id;
  std::optional<std::string> closed_cause;
};

struct SetStatus {
  std::string conversation_id;
  std::string status;  // open | pending | snoozed | resolved
};

struct Invite {
  std::string conversation_id;
  std::string user_id;
  ParticipantRole role = ParticipantRole::agent;  // never ASSIGNED_AGENT (that is assign)
};

struct MemberRef {  // removeMember, assign
  std::string conversation_id;
  std::string user_id;
};

struct Transfer {  // at least one of agent_id, skill_id
  std::string conversation_id;
  std::optional<std::string> agent_id;
  std::optional<std::string> skill_id;
};

struct SetGroup {
  std::string conversation_id;
  std::optional<std::string> group_id;  // null clears
};

struct ConsumerTakeover {
  std::string conversation_id;
  std::optional<std::string> new_consumer_user_id;  // admins and bots only
};

struct SendRichContent {
  std::string conversation_id;
  std::string content;                       // serialized JSON object
  std::optional<std::string> metadata;       // serialized JSON object
  std::optional<std::string> quick_replies;  // serialized JSON array
  std::optional<std::string> client_message_id;
};

struct SendFile {
  std::string conversation_id;
  std::string url;  // http(s)
  std::string name;
  std::optional<std::string> mime_type;
  std::optional<uint64_t> size;
  std::optional<std::string> caption;
  std::optional<std::string> client_message_id;
};

struct SendEvent {
  std::string conversation_id;
  std::string name;
  std::string data;  // any serialized JSON value
  Visibility visibility = Visibility::all;
};

struct SetNote {
  std::string conversation_id;
  std::string text;  // not yet clipped to limits.note_chars: the rules decide
  bool is_auto_summary = false;
  bool truncate = true;  // false: a note over the limit is 413 instead of truncated
};

struct ListNotes {
  std::string conversation_id;
  Paging paging;  // cursor: the seq of the last note served
};

struct SetCsat {
  std::string conversation_id;
  int rate = 0;  // 1..5
  bool resolution_confirmation = false;
  std::string status = "FILLED";  // FILLED | SKIPPED | PARTIALLY_FILLED
};

struct SetTtr {
  std::string conversation_id;
  std::string type;              // NORMAL | URGENT | PRIORITIZED | CUSTOM
  std::optional<int64_t> value;  // seconds, exactly when CUSTOM
};

struct SetManualEttr {
  std::string conversation_id;
  std::optional<Millis> time;  // null clears
};

struct SetPresence {
  std::string status;  // online | away | busy
};

struct GetPresence {
  std::vector<std::string> user_ids;  // at most 100
};

// ---- users, drafts, archive (PROTOCOL §5) --------------------------------

struct UpsertUser {
  std::optional<std::string> user_id;  // absent: the caller
  std::optional<std::string> name;
  // outer optional: field present; inner optional: null clears it
  std::optional<std::optional<std::string>> display_name, image_url;
};

struct GetUser {
  std::string user_id;
};

struct ListUsers {
  std::optional<AccountRole> role;
  std::vector<std::string> words;  // q split on white space
  Paging paging;                   // cursor: the last user id served; no offset
};

struct ListUserConversations {
  std::string user_id;
  Paging paging;  // listConversations' cursor and offset
};

struct GetInvitableUsers {
  std::string conversation_id;
  Paging paging;  // cursor: the last user id served; no offset
};

struct SaveDraft {
  std::string conversation_id;
  std::string text;  // "" clears the draft
};

struct GetDraft {
  std::string conversation_id;
};

struct ArchiveConversation {
  std::string conversation_id;
  bool archived = true;
};

// ---- listings and the inbox (PROTOCOL §5) -----------------------------------

struct CountConversations {
  ListFilter filter;
};

struct SearchConversations {
  std::string q;  // at least one word
  ListFilter filter;
  Paging paging;  // limit and cursor (no offset)
};

struct SubscribeInbox {
  ListFilter filter;
  size_t limit = 20;  // snapshot rows
};

struct UnsubscribeInbox {
  std::string subscription_id;
};

}  // namespace parley::params
