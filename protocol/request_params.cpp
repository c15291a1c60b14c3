// The params decoder of every method (PROTOCOL.md §5), one function each,
// all reading through FieldReader so the rules of §2/§6 apply uniformly.
#include <array>
#include <limits>

#include "json_writer.hpp"
#include "request_fields.hpp"
#include "request_users.hpp"
#include "request_inbox.hpp"
#include "request_workflow.hpp"
#include "skills.hpp"

namespace parley::detail {

namespace {

// Limits that are protocol constants rather than configuration.
constexpr size_t kTokenBytes = 8192;
constexpr size_t kImageUrlBytes = 2048;
constexpr size_t kMaxTypes = 64;  // queryMessages.types entries
constexpr size_t kMaxPresenceUsers = 100;  // getPresence.userIds (PROTOCOL §5)
// ttl is in seconds and becomes milliseconds: a century keeps it far from overflow.
constexpr int64_t kMaxTtl = int64_t{100} * 365 * 24 * 3600;
constexpr int64_t kMaxMillis = std::numeric_limits<int64_t>::max();
constexpr uint64_t kMaxSeq = std::numeric_limits<uint64_t>::max();

constexpr std::array<std::string_view, 5> kAccountRoles = {"consumer", "agent", "manager", "bot",
                                                           "admin"};
constexpr std::array<std::string_view, 6> kParticipantRoles = {
    "CONSUMER", "ASSIGNED_AGENT", "AGENT", "MANAGER", "READER", "BOT"};
constexpr std::array<std::string_view, 3> kConvStates = {"OPEN", "CLOSE", "LOCKED"};
constexpr std::array<std::string_view, 4> kStatuses = {"open", "pending", "snoozed", "resolved"};
constexpr std::array<std::string_view, 2> kOrders = {"asc", "desc"};
constexpr std::array<std::string_view, 5> kChatStates = {"COMPOSING", "PAUSE", "ACTIVE", "INACTIVE",
                                                         "GONE"};
constexpr std::array<std::string_view, 2> kReceipts = {"READ", "ACCEPT"};
constexpr std::array<std::string_view, 1> kMemberOf = {"me"};
// "offline" is what a user is without sockets, not something to set.
constexpr std::array<std::string_view, 3> kPresenceStatuses = {"online", "away", "busy"};

// Ends a decoder: unknown fields are checked last, the first error wins.
Result<Params> done(FieldReader& r, Params p) {
  if (!r.finish()) return r.take_error();
  return p;
}

// Reads a nested object through its own reader and carries its error up.
template <class Fn>
void nested(FieldReader& parent, simdjson::dom::object obj, std::string prefix, Fn&& read) {
  FieldReader child(obj, parent.limits(), std::move(prefix));
  read(child);
  if (!child.finish()) parent.fail(child.take_error());
}

Result<Params> decode_authenticate(FieldReader& r) {
  params::Authenticate p;
  const bool has_token = r.has("token");
  r.bytes("token", p.token, kTokenBytes);
  // Two ways to authenticate; mixing them would leave which one counted to guesswork.
  if (has_token)
    for (std::string_view key : {"userId", "role", "tenant", "name", "skills"})
      if (r.has(key)) r.fail(invalid_params(key, "not allowed with token"));
  r.id("userId", p.user_id);
  if (auto i = r.one_of("role", kAccountRoles)) p.role = std::string(kAccountRoles[*i]);
  r.id("tenant", p.tenant);
  r.id("name", p.name);
  if (auto skills = r.take("skills")) {
    if (auto list = read_skills(*skills))
      p.skills = std::move(*list);
    else
      r.fail(invalid_params("skills", "expected an array of non-empty strings of at most " +
                                          std::to_string(kSkillChars) + " characters"));
  }
  if (!has_token && !p.user_id && r.ok()) r.fail(invalid_params("token", "required"));
  return done(r, std::move(p));
}

Result<Params> decode_ping(FieldReader& r) { return done(r, params::Ping{}); }

Result<Params> decode_create_conversation(FieldReader& r) {
  params::CreateConversation p;
  const Limits& l = r.limits();
  r.id("name", p.name);
  r.id("displayName", p.display_name);
  r.url("imageUrl", p.image_url, kImageUrlBytes);
  r.id("externalId", p.external_id);
  r.id("channel", p.channel);
  r.id("campaignId", p.campaign_id);
  r.id("skillId", p.skill_id);
  r.json_object("metadata", p.metadata, l.metadata_bytes);
  r.signed_int("ttl", p.ttl, 1, kMaxTtl);
  std::optional<bool> post_survey;
  r.boolean("postSurvey", post_survey);
  p.post_survey = post_survey.value_or(false);
  if (auto arr = r.array("participants")) {
    if (arr->size() > l.members) r.fail(too_large(r.path("participants"), l.members));
    size_t i = 0;
    for (simdjson::dom::element item : *arr) {
      if (!r.ok()) break;
      std::string prefix = r.path("participants") + "[" + std::to_string(i++) + "]";
      simdjson::dom::object obj;
      if (item.get_object().get(obj)) {
        r.fail(invalid_params(prefix, "expected object"));
        break;
      }
      params::Participant part;
      nested(r, obj, std::move(prefix), [&](FieldReader& pr) {
        pr.id("userId", part.user_id);
        if (auto role = pr.one_of("role", kParticipantRoles, true))
          part.role = *participant_role_from(kParticipantRoles[*role]);
      });
      p.participants.push_back(std::move(part));
    }
  }
  r.id("clientRequestId", p.client_request_id);
  return done(r, std::move(p));
}

Result<Params> decode_get_conversation(FieldReader& r) {
  params::GetConversation p;
  r.id("conversationId", p.conversation_id);
  r.id("externalId", p.external_id);
  if (r.ok() && p.conversation_id.has_value() == p.external_id.has_value())
    r.fail(invalid_params("conversationId", "exactly one of conversationId, externalId"));
  return done(r, std::move(p));
}

}  // namespace

void read_filter(FieldReader& f, params::ListFilter& out) {
  if (auto i = f.one_of("state", kConvStates)) out.state = conv_state_from(kConvStates[*i]);
  if (auto i = f.one_of("status", kStatuses)) out.status = std::string(kStatuses[*i]);
  f.id("channel", out.channel);
  f.id("skillId", out.skill_id);
  f.id("campaignId", out.campaign_id);
  f.id("assignedTo", out.assigned_to);
  out.member_of_me = f.one_of("memberOf", kMemberOf).has_value();
  f.signed_int("since", out.since, 0, kMaxMillis);
  f.signed_int("until", out.until, 0, kMaxMillis);
  f.boolean("archived", out.archived);
}

namespace {

Result<Params> decode_list_conversations(FieldReader& r) {
  params::ListConversations p;
  if (auto filter = r.object("filter"))
    nested(r, *filter, r.path("filter"), [&](FieldReader& f) { read_filter(f, p.filter); });
  if (auto i = r.one_of("order", kOrders)) p.descending = *i == 1;
  std::optional<uint64_t> limit, offset;
  r.unsigned_int("limit", limit, 1, r.limits().page_max);
  if (limit) p.paging.limit = static_cast<size_t>(*limit);
  r.id("cursor", p.paging.cursor);
  r.unsigned_int("offset", offset, 0, std::numeric_limits<size_t>::max());
  if (offset) p.paging.offset = static_cast<size_t>(*offset);
  return done(r, std::move(p));
}

Result<Params> decode_update_conversation(FieldReader& r) {
  params::UpdateConversation p;
  const Limits& l = r.limits();
  r.id("conversationId", p.conversation_id);
  r.nullable_id("name", p.name);
  r.nullable_id("displayName", p.display_name);
  r.nullable_url("imageUrl", p.image_url, kImageUrlBytes);
  r.json_object("metadata", p.metadata, l.metadata_bytes);
  r.json_object("metadataPatch", p.metadata_patch, l.metadata_bytes);
  // Replace and merge at once has no obvious order; refuse rather than guess.
  if (p.metadata && p.metadata_patch)
    r.fail(invalid_params("metadataPatch", "not allowed with metadata"));
  r.nullable_signed_int("ttl", p.ttl, 1, kMaxTtl);
  return done(r, std::move(p));
}

Result<Params> decode_conversation_ref(FieldReader& r) {
  params::ConversationRef p;
  r.id("conversationId", p.conversation_id);
  return done(r, std::move(p));
}

Result<Params> decode_join(FieldReader& r) {
  params::Join p;
  r.id("conversationId", p.conversation_id);
  if (auto i = r.one_of("role", kParticipantRoles))
    p.role = participant_role_from(kParticipantRoles[*i]);
  return done(r, std::move(p));
}

Result<Params> decode_send_message(FieldReader& r) {
  params::SendMessage p;
  const Limits& l = r.limits();
  r.id("conversationId", p.conversation_id);
  r.text("text", p.text, l.text_chars);
  r.json_object("metadata", p.metadata, l.metadata_bytes);
  r.json_array("quickReplies", p.quick_replies, l.rich_content_chars);
  if (r.has("mentions")) {
    std::vector<std::string> mentions;
    r.id_array("mentions", mentions, l.members);
    JsonWriter w;
    w.begin_array();
    for (const auto& m : mentions) w.value(m);
    w.end_array();
    p.mentions = w.take();
  } else {
    r.take_any("mentions");  // null: same as absent
  }
  r.id("clientMessageId", p.client_message_id);
  return done(r, std::move(p));
}

// sendPrivateMessage: sendMessage's params, but quick replies are offered
// to consumers, who never see a private message.
Result<Params> decode_send_private_message(FieldReader& r) {
  if (r.has("quickReplies"))
    r.fail(invalid_params("quickReplies", "not allowed in a private message"));
  return decode_send_message(r);
}

Result<Params> decode_edit_message(FieldReader& r) {
  params::EditMessage p;
  r.id("conversationId", p.conversation_id);
  r.unsigned_int("seq", p.seq, 0, kMaxSeq);
  r.text("text", p.text, r.limits().text_chars);
  return done(r, std::move(p));
}

Result<Params> decode_delete_message(FieldReader& r) {
  params::DeleteMessage p;
  r.id("conversationId", p.conversation_id);
  r.unsigned_int("seq", p.seq, 0, kMaxSeq);
  return done(r, std::move(p));
}

Result<Params> decode_query_messages(FieldReader& r) {
  params::QueryMessages p;
  r.id("conversationId", p.conversation_id);
  r.unsigned_int("fromSeq", p.from_seq, 0, kMaxSeq);
  r.unsigned_int("toSeq", p.to_seq, 0, kMaxSeq);
  r.signed_int("since", p.since, 0, kMaxMillis);
  r.signed_int("until", p.until, 0, kMaxMillis);
  r.id_array("types", p.types, kMaxTypes);
  if (auto i = r.one_of("order", kOrders)) p.descending = *i == 1;
  std::optional<uint64_t> limit;
  r.unsigned_int("limit", limit, 1, r.limits().query_max);
  if (limit) p.limit = static_cast<size_t>(*limit);
  return done(r, std::move(p));
}

Result<Params> decode_subscribe(FieldReader& r) {
  params::Subscribe p;
  r.id("conversationId", p.conversation_id);
  r.unsigned_int("sinceSeq", p.since_seq, 0, kMaxSeq);
  r.id("epoch", p.epoch);
  return done(r, std::move(p));
}

Result<Params> decode_set_chat_state(FieldReader& r) {
  params::SetChatState p;
  r.id("conversationId", p.conversation_id);
  if (auto i = r.one_of("state", kChatStates, true)) p.state = std::string(kChatStates[*i]);
  return done(r, std::move(p));
}

Result<Params> decode_mark_read(FieldReader& r) {
  params::MarkRead p;
  r.id("conversationId", p.conversation_id);
  r.unsigned_int("seq", p.seq, 0, kMaxSeq);
  if (auto i = r.one_of("status", kReceipts)) p.accept = *i == 1;
  return done(r, std::move(p));
}

Result<Params> decode_set_presence(FieldReader& r) {
  params::SetPresence p;
  if (auto i = r.one_of("status", kPresenceStatuses, true))
    p.status = std::string(kPresenceStatuses[*i]);
  return done(r, std::move(p));
}

Result<Params> decode_get_presence(FieldReader& r) {
  params::GetPresence p;
  if (!r.has("userIds")) {
    r.take_any("userIds");
    r.fail(invalid_params("userIds", "required"));
  }
  r.id_array("userIds", p.user_ids, kMaxPresenceUsers);
  return done(r, std::move(p));
}

struct MethodEntry {
  std::string_view name;
  ParamsDecoder decode;
};

constexpr MethodEntry kMethods[] = {
    {"authenticate", decode_authenticate},
    {"ping", decode_ping},
    {"createConversation", decode_create_conversation},
    {"getConversation", decode_get_conversation},
    {"listConversations", decode_list_conversations},
    {"updateConversation", decode_update_conversation},
    {"deleteConversation", decode_conversation_ref},
    {"join", decode_join},
    {"leave", decode_conversation_ref},
    {"listMembers", decode_conversation_ref},
    {"sendMessage", decode_send_message},
    {"editMessage", decode_edit_message},
    {"deleteMessage", decode_delete_message},
    {"queryMessages", decode_query_messages},
    {"subscribe", decode_subscribe},
    {"unsubscribe", decode_conversation_ref},
    {"setChatState", decode_set_chat_state},
    {"markRead", decode_mark_read},
    // contact-centre workflow (request_params_workflow.cpp)
    {"closeConversation", decode_close_conversation},
    {"reopenConversation", decode_conversation_ref},
    {"lockConversation", decode_conversation_ref},
    {"setStatus", decode_set_status},
    {"invite", decode_invite},
    {"removeMember", decode_member_ref},
    {"assign", decode_member_ref},
    {"transfer", decode_transfer},
    {"setGroup", decode_set_group},
    {"consumerTakeover", decode_consumer_takeover},
    {"sendPrivateMessage", decode_send_private_message},
    {"sendRichContent", decode_send_rich_content},
    {"sendFile", decode_send_file},
    {"sendEvent", decode_send_event},
    {"setNote", decode_set_note},
    {"listNotes", decode_list_notes},
    {"setCsat", decode_set_csat},
    {"setTtr", decode_set_ttr},
    {"setManualEttr", decode_set_manual_ettr},
    {"setPresence", decode_set_presence},
    {"getPresence", decode_get_presence},
    // users, drafts, archive
    {"upsertUser", decode_upsert_user},
    {"getUser", decode_get_user},
    {"listUsers", decode_list_users},
    {"listUserConversations", decode_list_user_conversations},
    {"getInvitableUsers", decode_get_invitable_users},
    {"saveDraft", decode_save_draft},
    {"getDraft", decode_get_draft},
    {"archiveConversation", decode_archive_conversation},
    // listings and the inbox (request_params_inbox.cpp)
    {"countConversations", decode_count_conversations},
    {"searchConversations", decode_search_conversations},
    {"subscribeInbox", decode_subscribe_inbox},
    {"unsubscribeInbox", decode_unsubscribe_inbox},
};

}  // namespace

ParamsDecoder find_decoder(std::string_view method) {
  for (const auto& m : kMethods)
    if (m.name == method) return m.decode;
  return nullptr;
}

}  // namespace parley::detail

namespace parley {

const std::vector<std::string_view>& known_methods() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const auto& m : detail::kMethods) v.push_back(m.name);
    return v;
  }();
  return names;
}

}  // namespace parley
