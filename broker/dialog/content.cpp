// Content and the contact-centre's per-conversation data: messages, private,
// rich, file and custom events (the hot path), notes, CSAT and TTR
// (content.hpp).
#include <initializer_list>

#include "dialog/support.hpp"
#include "dialog/content.hpp"

namespace parley::rules {

using namespace detail;

namespace {

using PR = ParticipantRole;

uint32_t role_mask(std::initializer_list<PR> roles) {
  uint32_t mask = 0;
  for (PR r : roles) mask |= 1u << static_cast<unsigned>(r);
  return mask;
}

// Every seat that may write to the consumer (READER is read only).
const uint32_t kWriters =
    role_mask({PR::consumer, PR::assigned_agent, PR::agent, PR::manager, PR::bot});
// Every seat that may write to the agent side only.
const uint32_t kAgentWriters = role_mask({PR::assigned_agent, PR::agent, PR::manager, PR::bot});

// An append of `type` by `who`; the engine labels the seat and the dialog.
AppendRequest append_of(const Identity& who, std::string_view type, std::string body,
                        Visibility visibility, uint32_t roles,
                        const std::optional<std::string>& client_message_id) {
  AppendRequest req;
  req.event = draft(type, who, default_participant_role(who.role), std::move(body), visibility);
  if (client_message_id) req.event.client_message_id = *client_message_id;
  req.sender_roles = roles;
  req.require_open = true;
  req.mark_read = is_message_type(type);
  return req;
}

Error not_agent_side() { return forbidden("agent", "only the agent side may do this"); }

// The post-survey is in progress: OPEN with the POST_SURVEY dialog open.
bool in_post_survey(const Conversation& c) {
  const Dialog* d = c.open_dialog();
  return c.state == ConvState::open && d && d->type == "POST_SURVEY";
}

}  // namespace

AppendRequest send_message(const Identity& who, const params::SendMessage& p) {
  JsonWriter w;
  w.begin_object().field("text", p.text);
  if (p.metadata) w.field_raw("metadata", *p.metadata);
  if (p.quick_replies) w.field_raw("quickReplies", *p.quick_replies);
  if (p.mentions) w.field_raw("mentions", *p.mentions);
  w.end_object();
  return append_of(who, "message", w.take(), Visibility::all, kWriters, p.client_message_id);
}

AppendRequest send_private_message(const Identity& who, const params::SendMessage& p) {
  JsonWriter w;
  w.begin_object().field("text", p.text);
  if (p.metadata) w.field_raw("metadata", *p.metadata);
  if (p.mentions) w.field_raw("mentions", *p.mentions);
  w.end_object();
  return append_of(who, "message.private", w.take(), Visibility::agents, kAgentWriters,
                   p.client_message_id);
}

AppendRequest send_rich_content(const Identity& who, const params::SendRichContent& p) {
  JsonWriter w;
  w.begin_object().field_raw("content", p.content);
  if (p.metadata) w.field_raw("metadata", *p.metadata);
  if (p.quick_replies) w.field_raw("quickReplies", *p.quick_replies);
  w.end_object();
  return append_of(who, "message.rich", w.take(), Visibility::all, kWriters, p.client_message_id);
}

AppendRequest send_file(const Identity& who, const params::SendFile& p) {
  JsonWriter w;
  w.begin_object().field("url", p.url).field("name", p.name);
  if (p.mime_type) w.field("mimeType", *p.mime_type);
  if (p.size) w.field("size", *p.size);
  if (p.caption) w.field("caption", *p.caption);
  w.end_object();
  return append_of(who, "message.file", w.take(), Visibility::all, kWriters, p.client_message_id);
}

AppendRequest send_event(const Identity& who, const params::SendEvent& p) {
  JsonWriter w;
  w.begin_object().field("name", p.name).field_raw("data", p.data).end_object();
  const bool agents = p.visibility == Visibility::agents;
  return append_of(who, "custom", w.take(), p.visibility, agents ? kAgentWriters : kWriters,
                   std::nullopt);
}

NoteText clip_note(std::string_view text, size_t max_chars) {
  NoteText out;
  out.truncated = code_points(text) > max_chars;
  out.text = out.truncated ? std::string(first_code_points(text, max_chars)) : std::string(text);
  return out;
}

Result<Decision> set_note(const Conversation& c, const Identity& who, const params::SetNote& p,
                          std::string note_id, Millis now, const Limits& limits) {
  if (!agent_side_writer(c, who)) return not_agent_side();
  if (c.state == ConvState::locked) return state_conflict(c.state);
  NoteText note = clip_note(p.text, limits.note_chars);
  if (note.truncated && !p.truncate) return too_large("text", limits.note_chars);
  if (c.notes_bytes + note.text.size() > limits.notes_bytes)
    return conflict(to_string(c.state), "no room left to add agent note");

  Decision d;
  d.next = c;
  d.next.notes_bytes += note.text.size();
  d.next.notes_count += 1;
  d.next.updated_at = now;
  JsonWriter w;
  w.begin_object()
      .field("noteId", note_id)
      .field("agentId", who.user_id)
      .field("name", who.name)
      .field("text", note.text)
      .field("isAutoSummary", p.is_auto_summary)
      .field("truncated", note.truncated)
      .end_object();
  d.events.push_back(draft("note.added", who, acting_role(c, who), w.take(), Visibility::agents,
                           c.current_dialog_id()));
  return d;
}

Status may_read_notes(const Conversation& c, const Identity& who) {
  if (agent_side_reader(c, who)) return Ok{};
  return not_agent_side();
}

Result<Decision> set_csat(const Conversation& c, const Identity& who, const params::SetCsat& p,
                          Millis now) {
  if (!active_consumer(c, who))
    return forbidden("consumer", "only the conversation's consumer rates it");
  if (c.csat && c.csat->rate == p.rate &&
      c.csat->resolution_confirmation == p.resolution_confirmation && c.csat->status == p.status)
    return noop(c);
  if (c.state == ConvState::locked) return state_conflict(c.state);
  const bool survey = in_post_survey(c);
  if (c.state == ConvState::open && !survey) return state_conflict(c.state);

  Decision d;
  d.next = c;
  d.next.csat = Csat{p.rate, p.resolution_confirmation, p.status, now};
  d.next.updated_at = now;
  JsonWriter w;
  w.begin_object()
      .field("csatRate", static_cast<int64_t>(p.rate))
      .field("csatResolutionConfirmation", p.resolution_confirmation)
      .field("csatStatus", p.status)
      .end_object();
  d.events.push_back(draft("csat.set", who, ParticipantRole::consumer, w.take(), Visibility::all,
                           c.current_dialog_id()));
  // A finished survey (answered or skipped) ends the post-survey dialog; a
  // partial answer leaves it open for the rest.
  if (survey && p.status != "PARTIALLY_FILLED") close_open_dialog(d, c, who, std::nullopt, now);
  return d;
}

Result<Decision> set_ttr(const Conversation& c, const Identity& who, const params::SetTtr& p,
                         Millis now, const TtrSeconds& ttr) {
  if (!agent_side_writer(c, who)) {
    if (!active_consumer(c, who)) {
      if (who.role == AccountRole::consumer)
        return forbidden("member", "not the consumer of this conversation");
      return not_agent_side();
    }
    // The consumer asks for urgency; priorities and custom times are the
    // contact centre's.
    if (p.type != "NORMAL" && p.type != "URGENT")
      return forbidden("agent", "a consumer may set NORMAL or URGENT only");
  }
  const std::optional<int64_t> value = p.type == "CUSTOM" ? p.value : std::nullopt;
  if (c.ttr_type == p.type && c.ttr_value == value) return noop(c);
  if (c.state != ConvState::open) return state_conflict(c.state);

  Decision d;
  d.next = c;
  d.next.ttr_type = p.type;
  d.next.ttr_value = value;
  d.next.updated_at = now;
  JsonWriter w;
  w.begin_object()
      .field("ttrType", p.type)
      .field("ttrValue", ttr.of(p.type, value))
      .field("ttrEffective", d.next.ttr_deadline(ttr))
      .end_object();
  d.events.push_back(draft("ttr.changed", who, acting_role(c, who), w.take(), Visibility::all,
                           c.current_dialog_id()));
  return d;
}

Result<Decision> set_manual_ettr(const Conversation& c, const Identity& who,
                                 std::optional<Millis> time, Millis now, const TtrSeconds& ttr) {
  if (!agent_side_writer(c, who)) return not_agent_side();
  if (c.ttr_manual == time.value_or(0)) return noop(c);
  if (c.state != ConvState::open) return state_conflict(c.state);

  Decision d;
  d.next = c;
  d.next.ttr_manual = time.value_or(0);
  d.next.updated_at = now;
  JsonWriter w;
  w.begin_object();
  if (time)
    w.field("ttrEffectiveManual", *time);
  else
    w.field_null("ttrEffectiveManual");
  w.field("ttrEffective", d.next.ttr_effective(ttr)).end_object();
  d.events.push_back(draft("ettr.changed", who, acting_role(c, who), w.take(), Visibility::agents,
                           c.current_dialog_id()));
  return d;
}

}  // namespace parley::rules
