#include "serialize.hpp"

#include "json_merge.hpp"

namespace parley {

namespace {

void optional_string(JsonWriter& w, std::string_view key, const std::optional<std::string>& v) {
  if (v)
    w.field(key, *v);
  else
    w.field_null(key);
}

// Millisecond times where 0 means "never": null on the wire.
void optional_time(JsonWriter& w, std::string_view key, Millis t) {
  if (t)
    w.field(key, t);
  else
    w.field_null(key);
}

void member_ref(JsonWriter& w, std::string_view key, const Member* m) {
  w.key(key);
  if (!m) {
    w.null();
    return;
  }
  w.begin_object().field("userId", m->user_id).field("name", m->name).end_object();
}

void write_dialog(JsonWriter& w, const Dialog& d) {
  w.begin_object()
      .field("dialogId", d.dialog_id)
      .field("type", d.type)
      .field("state", d.open ? "OPEN" : "CLOSE")
      .field("openedAt", d.opened_at);
  if (!d.open) {
    w.field("closedAt", d.closed_at);
    if (!d.closed_cause.empty()) w.field("closedCause", d.closed_cause);
  }
  w.end_object();
}

// {"type","value","effective","manualEffective"}. The manual ETTR is the
// agent side's (setManualEttr, ettr.changed): consumers get the deadline
// their TTR type gives, and no manualEffective.
void write_ttr(JsonWriter& w, const Conversation& c, const ViewerState& viewer) {
  const bool agents = viewer.audience == Audience::agents;
  w.key("ttr").begin_object().field("type", c.ttr_type);
  w.field("value", viewer.ttr.of(c.ttr_type, c.ttr_value));
  if (agents) {
    w.field("effective", c.ttr_effective(viewer.ttr));
    optional_time(w, "manualEffective", c.ttr_manual);
  } else {
    w.field("effective", c.ttr_deadline(viewer.ttr));
    w.field_null("manualEffective");
  }
  w.end_object();
}

// {"csatRate","csatResolutionConfirmation","csatStatus","setAt"} or null.
void write_csat(JsonWriter& w, const std::optional<Csat>& csat) {
  w.key("csat");
  if (!csat) {
    w.null();
    return;
  }
  w.begin_object()
      .field("csatRate", static_cast<int64_t>(csat->rate))
      .field("csatResolutionConfirmation", csat->resolution_confirmation)
      .field("csatStatus", csat->status)
      .field("setAt", csat->set_at)
      .end_object();
}

}  // namespace

void write_conversation(JsonWriter& w, const Conversation& c, const ViewerState& viewer) {
  w.begin_object().field("id", c.id);
  optional_string(w, "name", c.name);
  optional_string(w, "displayName", c.display_name);
  optional_string(w, "imageUrl", c.image_url);
  optional_string(w, "externalId", c.external_id);
  w.field("channel", c.channel);
  optional_string(w, "campaignId", c.campaign_id);
  // The routing is the agent side's (transfer.skill and group.changed are
  // agents-only events).
  if (viewer.audience == Audience::agents) {
    optional_string(w, "skillId", c.skill_id);
    optional_string(w, "groupId", c.group_id);
  } else {
    w.field_null("skillId").field_null("groupId");
  }
  w.field_raw("metadata", c.metadata.empty() ? std::string_view("{}") : c.metadata);
  w.field("state", to_string(c.state)).field("status", c.status);
  w.key("dialogs").begin_array();
  for (const auto& d : c.dialogs) write_dialog(w, d);
  w.end_array();
  member_ref(w, "consumer", c.consumer());
  member_ref(w, "assignedAgent", c.assigned_agent());
  write_ttr(w, c, viewer);
  write_csat(w, c.csat);
  w.field("epoch", c.epoch).field("lastSeq", c.last_seq);
  w.key("lastMessage");
  if (c.last_message.seq == 0) {
    w.null();
  } else {
    w.begin_object()
        .field("seq", c.last_message.seq)
        .field("from", c.last_message.from)
        .field("text", c.last_message.text)
        .field("ts", c.last_message.ts)
        .end_object();
  }
  w.field("createdAt", c.created_at).field("updatedAt", c.updated_at);
  optional_time(w, "lastMessageAt", c.last_message_at);
  w.field("unread", viewer.unread).field("archived", viewer.archived);
  if (c.ttl)
    w.field("ttl", *c.ttl);
  else
    w.field_null("ttl");
  w.end_object();
}

void write_member(JsonWriter& w, const Member& m, const Conversation& c) {
  w.begin_object()
      .field("userId", m.user_id)
      .field("name", m.name)
      .field("role", to_string(m.role))
      .field("state", to_string(m.state));
  optional_time(w, "joinedAt", m.joined_at);
  optional_time(w, "leftAt", m.left_at);
  w.field("lastReadSeq", m.last_read_seq)
      .field("lastAcceptSeq", m.last_accept_seq)
      .field("unread", unread_of(m, c))
      .end_object();
}

void write_event(JsonWriter& w, const Event& e, std::string_view conversation_id,
                 std::string_view epoch, Audience audience) {
  w.begin_object()
      .field("conversationId", conversation_id)
      .field("epoch", epoch)
      .field("seq", e.seq)
      .field("prevSeq", e.prev_seq(audience))
      .field("type", e.type)
      .field("dialogId", e.dialog_id);
  w.key("from");
  if (e.from_user.empty())
    w.null();
  else
    w.begin_object().field("userId", e.from_user).field("role", e.from_role).end_object();
  w.field("ts", e.ts).field("visibility", to_string(e.visibility));
  if (!e.client_message_id.empty()) w.field("clientMessageId", e.client_message_id);
  std::string_view body = e.body.empty() ? std::string_view("{}") : e.body;
  // The skill is the agent side's routing: consumers read it null here too,
  // as in the Conversation object.
  std::string consumers_body;
  if (audience == Audience::consumers && e.type == "conversation.created")
    body = consumers_body = set_fields(body, {{"skillId", "null"}});
  w.field_raw("body", body);
  w.end_object();
}

std::string response_result(std::string_view id_json, std::string_view result_json) {
  JsonWriter w;
  w.begin_object()
      .field("jsonrpc", "2.0")
      .field_raw("id", id_json)
      .field_raw("result", result_json)
      .end_object();
  return w.take();
}

std::string response_error(std::string_view id_json, const Error& e) {
  JsonWriter w;
  w.begin_object().field("jsonrpc", "2.0").field_raw("id", id_json);
  w.key("error").begin_object().field("code", e.code).field("message", e.message);
  if (!e.data.empty()) w.field_raw("data", e.data);
  w.end_object().end_object();
  return w.take();
}

std::string notification(std::string_view method, std::string_view params_json) {
  JsonWriter w;
  w.begin_object()
      .field("jsonrpc", "2.0")
      .field("method", method)
      .field_raw("params", params_json)
      .end_object();
  return w.take();
}

// The envelope and the event in one buffer, sized once: this runs for every
// event an audience receives.
std::shared_ptr<const std::string> event_frame(const Event& e, std::string_view conversation_id,
                                               std::string_view epoch, Audience audience) {
  std::string buffer;
  buffer.reserve(256 + e.body.size() + conversation_id.size() + e.from_user.size() +
                 e.client_message_id.size());
  JsonWriter w(std::move(buffer));
  w.begin_object().field("jsonrpc", "2.0").field("method", "event").key("params");
  write_event(w, e, conversation_id, epoch, audience);
  w.end_object();
  return std::make_shared<const std::string>(w.take());
}

uint64_t unread_of(const Member& m, const Conversation& c) {
  // Agent-side members count every message; consumers only those they can see.
  if (is_agent_side(m.role))
    return c.messages_all > m.read_messages_all ? c.messages_all - m.read_messages_all : 0;
  return c.messages_public > m.read_messages_public ? c.messages_public - m.read_messages_public
                                                    : 0;
}

}  // namespace parley
