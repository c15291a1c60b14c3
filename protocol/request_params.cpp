// The params readers of the session, conversation and message methods
// (docs/protocol.md, "Methods served"), all reading through FieldReader so
// the rules of the envelope and the limits apply uniformly; and the table of
// every method's decoder (request_params.hpp).
#include "request_params.hpp"

#include <array>
#include <limits>
#include <utility>

#include "json_writer.hpp"
#include "request_params_hooks.hpp"
#include "request_params_admin.hpp"
#include "request_params_inbox.hpp"
#include "request_params_users.hpp"
#include "request_params_workflow.hpp"
#include "skills.hpp"

namespace parley::detail {

namespace {

// Limits that are protocol constants rather than configuration.
constexpr size_t kTokenBytes = 8192;
constexpr size_t kImageUrlBytes = 2048;
constexpr size_t kMaxTypes = 64;  // queryMessages.types entries
constexpr size_t kMaxPresenceUsers = 100;  // getPresence.userIds (docs/protocol.md, "Presence")
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

// Reads a nested object through its own reader and carries its error up.
template <class Fn>
void nested(FieldReader& parent, simdjson::dom::object obj, std::string prefix, Fn&& read) {
  FieldReader child(obj, parent.limits(), std::move(prefix));
  read(child);
  if (!child.finish()) parent.fail(child.take_error());
}

void read(FieldReader& r, params::Authenticate& p) {
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
}

void read(FieldReader&, params::Ping&) {}

void read(FieldReader& r, params::CreateConversation& p) {
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
}

void read(FieldReader& r, params::GetConversation& p) {
  r.id("conversationId", p.conversation_id);
  r.id("externalId", p.external_id);
  if (r.ok() && p.conversation_id.has_value() == p.external_id.has_value())
    r.fail(invalid_params("conversationId", "exactly one of conversationId, externalId"));
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

void read(FieldReader& r, params::ListConversations& p) {
  if (auto filter = r.object("filter"))
    nested(r, *filter, r.path("filter"), [&](FieldReader& f) { read_filter(f, p.filter); });
  if (auto i = r.one_of("order", kOrders)) p.descending = *i == 1;
  std::optional<uint64_t> limit, offset;
  r.unsigned_int("limit", limit, 1, r.limits().page_max);
  if (limit) p.paging.limit = static_cast<size_t>(*limit);
  r.id("cursor", p.paging.cursor);
  r.unsigned_int("offset", offset, 0, std::numeric_limits<size_t>::max());
  if (offset) p.paging.offset = static_cast<size_t>(*offset);
}

void read(FieldReader& r, params::UpdateConversation& p) {
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
}

void read(FieldReader& r, params::ConversationRef& p) { r.id("conversationId", p.conversation_id); }

void read(FieldReader& r, params::Join& p) {
  r.id("conversationId", p.conversation_id);
  if (auto i = r.one_of("role", kParticipantRoles))
    p.role = participant_role_from(kParticipantRoles[*i]);
}

void read(FieldReader& r, params::SendMessage& p) {
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
}

// sendPrivateMessage: sendMessage's params, but quick replies are offered
// to consumers, who never see a private message.
void read(FieldReader& r, params::SendPrivateMessage& p) {
  if (r.has("quickReplies"))
    r.fail(invalid_params("quickReplies", "not allowed in a private message"));
  read(r, static_cast<params::SendMessage&>(p));
}

void read(FieldReader& r, params::EditMessage& p) {
  r.id("conversationId", p.conversation_id);
  r.unsigned_int("seq", p.seq, 0, kMaxSeq);
  r.text("text", p.text, r.limits().text_chars);
}

void read(FieldReader& r, params::DeleteMessage& p) {
  r.id("conversationId", p.conversation_id);
  r.unsigned_int("seq", p.seq, 0, kMaxSeq);
}

void read(FieldReader& r, params::QueryMessages& p) {
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
}

void read(FieldReader& r, params::Subscribe& p) {
  r.id("conversationId", p.conversation_id);
  r.unsigned_int("sinceSeq", p.since_seq, 0, kMaxSeq);
  r.id("epoch", p.epoch);
}

void read(FieldReader& r, params::SetChatState& p) {
  r.id("conversationId", p.conversation_id);
  if (auto i = r.one_of("state", kChatStates, true)) p.state = std::string(kChatStates[*i]);
}

void read(FieldReader& r, params::MarkRead& p) {
  r.id("conversationId", p.conversation_id);
  r.unsigned_int("seq", p.seq, 0, kMaxSeq);
  if (auto i = r.one_of("status", kReceipts)) p.accept = *i == 1;
}

void read(FieldReader& r, params::SetPresence& p) {
  if (auto i = r.one_of("status", kPresenceStatuses, true))
    p.status = std::string(kPresenceStatuses[*i]);
}

void read(FieldReader& r, params::GetPresence& p) {
  if (!r.has("userIds")) {
    r.take_any("userIds");
    r.fail(invalid_params("userIds", "required"));
  }
  r.id_array("userIds", p.user_ids, kMaxPresenceUsers);
}

// The decoder of the method P: its reader (the overload of read() for P or
// for the shape P derives from), then the unknown-field check; the first
// error wins.
template <class P>
Result<Params> decode(FieldReader& r) {
  Params out(std::in_place_type<P>);
  read(r, *std::get_if<P>(&out));
  if (!r.finish()) return r.take_error();
  return out;
}

using Decoder = Result<Params> (*)(FieldReader& r);

// The decoder of every method, by index in Params.
constexpr auto kDecoders = []<size_t... I>(std::index_sequence<I...>) {
  return std::array<Decoder, kMethodCount>{&decode<std::variant_alternative_t<I, Params>>...};
}
(std::make_index_sequence<kMethodCount>());

}  // namespace

Result<Params> decode_params(size_t index, FieldReader& r) { return kDecoders[index](r); }

}  // namespace parley::detail

namespace parley {

std::optional<size_t> method_index(std::string_view name) {
  for (size_t i = 0; i < kMethodNames.size(); ++i)
    if (kMethodNames[i] == name) return i;
  return std::nullopt;
}

const std::vector<std::string_view>& known_methods() {
  static const std::vector<std::string_view> names(kMethodNames.begin(), kMethodNames.end());
  return names;
}

}  // namespace parley
