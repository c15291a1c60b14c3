// The params readers of the contact-centre methods (request_params_workflow.hpp).
// Same strictness as every other reader: types, ranges, limits, unknown
// fields, the first error wins.
#include "request_params_workflow.hpp"

#include <array>
#include <limits>

namespace parley::detail {

namespace {

constexpr size_t kUrlBytes = 2048;  // sendFile url, like imageUrl
constexpr int64_t kMaxTtl = int64_t{100} * 365 * 24 * 3600;
// The manual ETTR is a time (ms): at most 9999-12-31T23:59:59.999Z, which
// every client's date type holds (and a JavaScript number exactly), as
// setTtr's value is at most a century of seconds.
constexpr int64_t kMaxEttrMillis = 253'402'300'799'999;

constexpr std::array<std::string_view, 4> kStatuses = {"open", "pending", "snoozed", "resolved"};
// Roles an invitation may carry: the ASSIGNED_AGENT seat is given by assign
// (or taken by accepting a transfer), never by an invitation.
constexpr std::array<std::string_view, 5> kInviteRoles = {"CONSUMER", "AGENT", "MANAGER", "READER",
                                                          "BOT"};
constexpr std::array<std::string_view, 2> kVisibilities = {"all", "agents"};
constexpr std::array<std::string_view, 3> kCsatStatuses = {"FILLED", "SKIPPED", "PARTIALLY_FILLED"};
constexpr std::array<std::string_view, 4> kTtrTypes = {"NORMAL", "URGENT", "PRIORITIZED", "CUSTOM"};

// A required boolean (FieldReader's boolean() is optional).
void required_boolean(FieldReader& r, std::string_view key, bool& out) {
  std::optional<bool> v;
  if (!r.has(key)) {
    r.take_any(key);
    return r.fail(invalid_params(r.path(key), "required"));
  }
  r.boolean(key, v);
  if (v) out = *v;
}

}  // namespace

void read(FieldReader& r, params::CloseConversation& p) {
  r.id("conversationId", p.conversation_id);
  r.id("closedCause", p.closed_cause);
}

void read(FieldReader& r, params::SetStatus& p) {
  r.id("conversationId", p.conversation_id);
  if (auto i = r.one_of("status", kStatuses, true)) p.status = std::string(kStatuses[*i]);
}

void read(FieldReader& r, params::Invite& p) {
  r.id("conversationId", p.conversation_id);
  r.id("userId", p.user_id);
  if (auto i = r.one_of("role", kInviteRoles, true))
    p.role = *participant_role_from(kInviteRoles[*i]);
}

void read(FieldReader& r, params::MemberRef& p) {
  r.id("conversationId", p.conversation_id);
  r.id("userId", p.user_id);
}

void read(FieldReader& r, params::Transfer& p) {
  r.id("conversationId", p.conversation_id);
  r.id("agentId", p.agent_id);
  r.id("skillId", p.skill_id);
  if (r.ok() && !p.agent_id && !p.skill_id)
    r.fail(invalid_params("agentId", "one of agentId, skillId required"));
}

void read(FieldReader& r, params::SetGroup& p) {
  r.id("conversationId", p.conversation_id);
  // Required, but null is a value: it takes the conversation out of its group.
  std::optional<std::optional<std::string>> group;
  r.nullable_id("groupId", group);
  if (r.ok() && !group) r.fail(invalid_params("groupId", "required"));
  if (group) p.group_id = *group;
}

void read(FieldReader& r, params::ConsumerTakeover& p) {
  r.id("conversationId", p.conversation_id);
  r.id("newConsumerUserId", p.new_consumer_user_id);
}

void read(FieldReader& r, params::SendRichContent& p) {
  const Limits& l = r.limits();
  r.id("conversationId", p.conversation_id);
  // The rich content limit counts characters of the serialized object.
  std::optional<std::string> content;
  const bool present = r.has("content");
  r.json_object("content", content, std::numeric_limits<size_t>::max());
  if (!present) r.fail(invalid_params("content", "required"));
  if (content && code_points(*content) > l.rich_content_chars)
    r.fail(too_large(r.path("content"), l.rich_content_chars));
  if (content) p.content = std::move(*content);
  r.json_object("metadata", p.metadata, l.metadata_bytes);
  r.json_array("quickReplies", p.quick_replies, l.rich_content_chars);
  r.id("clientMessageId", p.client_message_id);
}

void read(FieldReader& r, params::SendFile& p) {
  const Limits& l = r.limits();
  r.id("conversationId", p.conversation_id);
  std::optional<std::string> url;
  const bool has_url = r.has("url");
  r.url("url", url, kUrlBytes);
  if (!has_url) r.fail(invalid_params("url", "required"));
  if (url) p.url = std::move(*url);
  r.id("name", p.name);
  r.id("mimeType", p.mime_type);
  r.unsigned_int("size", p.size, 0, std::numeric_limits<int64_t>::max());
  if (r.has("caption")) {
    std::string caption;
    r.text("caption", caption, l.text_chars);
    p.caption = std::move(caption);
  } else {
    r.take_any("caption");  // null: same as absent
  }
  r.id("clientMessageId", p.client_message_id);
}

void read(FieldReader& r, params::SendEvent& p) {
  r.id("conversationId", p.conversation_id);
  r.id("name", p.name);
  // `data` is any JSON value, null included; only its size is bounded.
  if (auto data = r.take_any("data")) {
    r.unique_keys("data", *data);
    std::string json = simdjson::minify(*data);
    if (json.size() > r.limits().metadata_bytes)
      r.fail(too_large(r.path("data"), r.limits().metadata_bytes));
    p.data = std::move(json);
  } else {
    r.fail(invalid_params("data", "required"));
  }
  if (auto i = r.one_of("visibility", kVisibilities))
    p.visibility = *i == 0 ? Visibility::all : Visibility::agents;
}

void read(FieldReader& r, params::SetNote& p) {
  r.id("conversationId", p.conversation_id);
  // Not bounded here: over limits.note_chars a note is truncated or refused
  // (truncate: false), which is the rules' decision. The frame bounds it.
  r.text("text", p.text, std::numeric_limits<size_t>::max());
  std::optional<bool> summary, truncate;
  r.boolean("isAutoSummary", summary);
  r.boolean("truncate", truncate);
  p.is_auto_summary = summary.value_or(false);
  p.truncate = truncate.value_or(true);
}

void read(FieldReader& r, params::ListNotes& p) {
  r.id("conversationId", p.conversation_id);
  std::optional<uint64_t> limit, offset;
  r.unsigned_int("limit", limit, 1, r.limits().page_max);
  if (limit) p.paging.limit = static_cast<size_t>(*limit);
  r.id("cursor", p.paging.cursor);
  r.unsigned_int("offset", offset, 0, std::numeric_limits<size_t>::max());
  if (offset) p.paging.offset = static_cast<size_t>(*offset);
}

void read(FieldReader& r, params::SetCsat& p) {
  r.id("conversationId", p.conversation_id);
  uint64_t rate = 0;
  r.unsigned_int("csatRate", rate, 1, 5);
  p.rate = static_cast<int>(rate);
  required_boolean(r, "csatResolutionConfirmation", p.resolution_confirmation);
  if (auto i = r.one_of("csatStatus", kCsatStatuses)) p.status = std::string(kCsatStatuses[*i]);
}

void read(FieldReader& r, params::SetTtr& p) {
  r.id("conversationId", p.conversation_id);
  auto type = r.one_of("ttrType", kTtrTypes, true);
  if (type) p.type = std::string(kTtrTypes[*type]);
  r.signed_int("value", p.value, 1, kMaxTtl);
  // The value is CUSTOM's own; the other types take the configured seconds.
  const bool custom = type && kTtrTypes[*type] == "CUSTOM";
  if (r.ok() && custom && !p.value) r.fail(invalid_params("value", "required with CUSTOM"));
  if (r.ok() && !custom && p.value) r.fail(invalid_params("value", "only with CUSTOM"));
}

void read(FieldReader& r, params::SetManualEttr& p) {
  r.id("conversationId", p.conversation_id);
  std::optional<std::optional<int64_t>> time;
  r.nullable_signed_int("time", time, 1, kMaxEttrMillis);
  if (r.ok() && !time) r.fail(invalid_params("time", "required"));
  if (time) p.time = *time;
}

}  // namespace parley::detail
