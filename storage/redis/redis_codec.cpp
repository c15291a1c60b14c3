#include "redis_codec.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>

#include "json_writer.hpp"

namespace parley::redis {

namespace {

// Starts the extended tail of a member encoding (see redis_codec.hpp).
constexpr char kMemberExt = '\x1e';

template <class T>
bool parse_number(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && end == s.data() + s.size();
}

void append_number(std::string& out, uint64_t n) { append_token(out, std::to_string(n)); }
void append_number(std::string& out, int64_t n) { append_token(out, std::to_string(n)); }

void add(FieldList& f, std::string name, std::string value) {
  f.emplace_back(std::move(name), std::move(value));
}

// Values of an HGETALL reply, by field name.
const RedisReply* find_field(const RedisReply& hash, std::string_view name) {
  const auto& e = hash.elements();
  for (size_t i = 0; i + 1 < e.size(); i += 2)
    if (e[i].str() == name) return &e[i + 1];
  return nullptr;
}

template <class T>
bool field_number(const RedisReply* v, T& out) {
  return v && parse_number(v->str(), out);
}

void write_optional(JsonWriter& w, std::string_view key, const std::optional<std::string>& v) {
  if (v) w.field(key, *v);
}

}  // namespace

// ---- tokens ------------------------------------------------------------------

void append_token(std::string& out, std::string_view value) {
  out.append(std::to_string(value.size())).push_back(':');
  out.append(value);
}

bool TokenReader::next(std::string_view& out) {
  const auto colon = rest_.find(':');
  size_t n = 0;
  if (colon == std::string_view::npos || !parse_number(rest_.substr(0, colon), n) ||
      rest_.size() - colon - 1 < n)
    return false;
  out = rest_.substr(colon + 1, n);
  rest_.remove_prefix(colon + 1 + n);
  return true;
}

bool TokenReader::next_uint(uint64_t& out) {
  std::string_view s;
  return next(s) && parse_number(s, out);
}

bool TokenReader::next_int(int64_t& out) {
  std::string_view s;
  return next(s) && parse_number(s, out);
}

// ---- events ------------------------------------------------------------------

std::string encode_event_tail(const EventDraft& d) {
  std::string out;
  out.reserve(d.body.size() + d.type.size() + d.from_user.size() + 64);
  append_token(out, d.type);
  append_token(out, d.dialog_id);
  append_token(out, d.from_user);
  append_token(out, d.from_role);
  append_token(out, to_string(d.visibility));
  append_token(out, d.client_message_id);
  append_token(out, d.body);
  return out;
}

std::string encode_event(const Event& e) {
  std::string out;
  append_number(out, e.seq);
  append_number(out, e.prev_public_seq);
  append_number(out, static_cast<int64_t>(e.ts));
  append_number(out, e.messages_all);
  append_number(out, e.messages_public);
  out.append(encode_event_tail(e));
  return out;
}

std::optional<Event> decode_event(std::string_view enc) {
  TokenReader r(enc);
  Event e;
  int64_t ts = 0;
  std::string_view type, dialog, from, role, vis, cmid, body;
  if (!r.next_uint(e.seq) || !r.next_uint(e.prev_public_seq) || !r.next_int(ts) ||
      !r.next_uint(e.messages_all) || !r.next_uint(e.messages_public) || !r.next(type) ||
      !r.next(dialog) || !r.next(from) || !r.next(role) || !r.next(vis) || !r.next(cmid) ||
      !r.next(body))
    return std::nullopt;
  e.ts = ts;
  e.type = type;
  e.dialog_id = dialog;
  e.from_user = from;
  e.from_role = role;
  e.visibility = vis == "agents" ? Visibility::agents : Visibility::all;
  e.client_message_id = cmid;
  e.body = body;
  return e;
}

// ---- members -----------------------------------------------------------------

std::string encode_member(const Member& m, size_t ordinal) {
  std::string out;
  out.reserve(m.name.size() + 64);
  out.append(std::to_string(static_cast<int>(m.role))).push_back('|');
  out.append(std::to_string(static_cast<int>(m.state))).push_back('|');
  out.append(std::to_string(m.joined_at)).push_back('|');
  out.append(std::to_string(m.left_at)).push_back('|');
  out.append(std::to_string(m.last_read_seq)).push_back('|');
  out.append(std::to_string(m.last_accept_seq)).push_back('|');
  out.append(std::to_string(m.read_messages_all)).push_back('|');
  out.append(std::to_string(m.read_messages_public)).push_back('|');
  out.append(std::to_string(ordinal)).push_back('|');
  // The member's own state rides in an extended tail; a member without any
  // keeps the plain name tail, the format records had before it existed.
  const bool extended = m.archived || !m.draft.empty() || m.draft_at != 0 ||
                        (!m.name.empty() && m.name.front() == kMemberExt);
  if (!extended) {
    out.append(m.name);
    return out;
  }
  out.push_back(kMemberExt);
  append_token(out, m.name);
  append_token(out, m.archived ? "1" : "0");
  append_token(out, std::to_string(m.draft_at));
  append_token(out, m.draft);
  return out;
}

std::optional<std::pair<Member, uint64_t>> decode_member(std::string_view user_id,
                                                         std::string_view enc) {
  std::string_view parts[9];
  for (auto& p : parts) {
    const auto bar = enc.find('|');
    if (bar == std::string_view::npos) return std::nullopt;
    p = enc.substr(0, bar);
    enc.remove_prefix(bar + 1);
  }
  Member m;
  int role = 0, state = 0;
  uint64_t ordinal = 0;
  if (!parse_number(parts[8], ordinal) || !parse_number(parts[0], role) ||
      !parse_number(parts[1], state) || !parse_number(parts[2], m.joined_at) ||
      !parse_number(parts[3], m.left_at) || !parse_number(parts[4], m.last_read_seq) ||
      !parse_number(parts[5], m.last_accept_seq) || !parse_number(parts[6], m.read_messages_all) ||
      !parse_number(parts[7], m.read_messages_public) || role < 0 ||
      role > static_cast<int>(ParticipantRole::bot) || state < 0 ||
      state > static_cast<int>(MemberState::left))
    return std::nullopt;
  m.user_id = user_id;
  m.role = static_cast<ParticipantRole>(role);
  m.state = static_cast<MemberState>(state);
  m.name = enc;
  if (!enc.empty() && enc.front() == kMemberExt) {
    // The extended tail; a plain name that merely starts with the marker
    // does not parse as one and stays a name.
    TokenReader t(enc.substr(1));
    std::string_view name, archived, draft;
    int64_t draft_at = 0;
    if (t.next(name) && t.next(archived) && t.next_int(draft_at) && t.next(draft) && t.done() &&
        (archived == "0" || archived == "1")) {
      m.name = name;
      m.archived = archived == "1";
      m.draft_at = draft_at;
      m.draft = draft;
    }
  }
  return std::make_pair(std::move(m), ordinal);
}

// ---- records -----------------------------------------------------------------

const std::vector<std::string> kLeanFields = {
    "epoch",      "version",         "state",           "status",
    "last_seq",   "last_public_seq", "messages_all",    "messages_public",
    "updated_at", "created_at",      "last_message_at", "lm_seq",
    "lm_from",    "lm_text",         "lm_ts",           "lcm_at"};

std::string encode_rec(const Conversation& c) {
  JsonWriter w;
  w.begin_object();
  write_optional(w, "name", c.name);
  write_optional(w, "displayName", c.display_name);
  write_optional(w, "imageUrl", c.image_url);
  write_optional(w, "externalId", c.external_id);
  write_optional(w, "campaignId", c.campaign_id);
  write_optional(w, "skillId", c.skill_id);
  write_optional(w, "groupId", c.group_id);
  w.field("channel", c.channel);
  w.field_raw("metadata", c.metadata.empty() ? std::string_view("{}") : c.metadata);
  w.key("dialogs").begin_array();
  for (const auto& d : c.dialogs) {
    w.begin_object()
        .field("dialogId", d.dialog_id)
        .field("type", d.type)
        .field("open", d.open)
        .field("openedAt", static_cast<int64_t>(d.opened_at))
        .field("closedAt", static_cast<int64_t>(d.closed_at))
        .field("closedCause", d.closed_cause)
        .end_object();
  }
  w.end_array();
  if (c.ttl) w.field("ttl", *c.ttl);
  w.field("postSurvey", c.post_survey);
  w.field("ttrType", c.ttr_type);
  if (c.ttr_value) w.field("ttrValue", *c.ttr_value);
  if (c.ttr_manual) w.field("ttrManual", static_cast<int64_t>(c.ttr_manual));
  if (c.csat) {
    w.key("csat")
        .begin_object()
        .field("rate", static_cast<int64_t>(c.csat->rate))
        .field("resolved", c.csat->resolution_confirmation)
        .field("status", c.csat->status)
        .field("at", static_cast<int64_t>(c.csat->set_at))
        .end_object();
  }
  if (c.notes_count) {
    w.field("notesBytes", c.notes_bytes);
    w.field("notesCount", c.notes_count);
  }
  if (!c.former_consumers.empty()) {
    w.key("formerConsumers").begin_array();
    for (const auto& u : c.former_consumers) w.value(u);
    w.end_array();
  }
  w.end_object();
  return w.take();
}

bool decode_rec(std::string_view json, Conversation& c) {
  thread_local simdjson::ondemand::parser parser;
  thread_local std::string buffer;
  buffer.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  buffer.assign(json);
  simdjson::padded_string_view view(buffer.data(), buffer.size(), buffer.capacity());
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (parser.iterate(view).get(doc) || doc.get_object().get(obj)) return false;
  auto opt = [](simdjson::ondemand::value v, std::optional<std::string>& out) {
    std::string_view s;
    if (v.get_string().get(s)) return false;
    out = std::string(s);
    return true;
  };
  for (auto field : obj) {
    std::string_view key;
    simdjson::ondemand::value v;
    if (field.unescaped_key().get(key) || field.value().get(v)) return false;
    bool ok = true;
    if (key == "name")
      ok = opt(v, c.name);
    else if (key == "displayName")
      ok = opt(v, c.display_name);
    else if (key == "imageUrl")
      ok = opt(v, c.image_url);
    else if (key == "externalId")
      ok = opt(v, c.external_id);
    else if (key == "campaignId")
      ok = opt(v, c.campaign_id);
    else if (key == "skillId")
      ok = opt(v, c.skill_id);
    else if (key == "groupId")
      ok = opt(v, c.group_id);
    else if (key == "channel") {
      std::string_view s;
      ok = !v.get_string().get(s);
      c.channel = s;
    } else if (key == "metadata") {
      simdjson::ondemand::object m;
      std::string_view raw;
      ok = !v.get_object().get(m) && !m.raw_json().get(raw);
      c.metadata = raw;
    } else if (key == "dialogs") {
      simdjson::ondemand::array arr;
      if (v.get_array().get(arr)) return false;
      c.dialogs.clear();
      for (auto item : arr) {
        simdjson::ondemand::object o;
        if (item.get_object().get(o)) return false;
        Dialog d;
        std::string_view s;
        int64_t n = 0;
        bool b = false;
        if (o["dialogId"].get_string().get(s)) return false;
        d.dialog_id = s;
        if (o["type"].get_string().get(s)) return false;
        d.type = s;
        if (o["open"].get_bool().get(b)) return false;
        d.open = b;
        if (o["openedAt"].get_int64().get(n)) return false;
        d.opened_at = n;
        if (o["closedAt"].get_int64().get(n)) return false;
        d.closed_at = n;
        if (o["closedCause"].get_string().get(s)) return false;
        d.closed_cause = s;
        c.dialogs.push_back(std::move(d));
      }
    } else if (key == "ttl") {
      int64_t n = 0;
      ok = !v.get_int64().get(n);
      c.ttl = n;
    } else if (key == "postSurvey") {
      bool b = false;
      ok = !v.get_bool().get(b);
      c.post_survey = b;
    } else if (key == "ttrType") {
      std::string_view s;
      ok = !v.get_string().get(s);
      c.ttr_type = s;
    } else if (key == "ttrValue") {
      int64_t n = 0;
      ok = !v.get_int64().get(n);
      c.ttr_value = n;
    } else if (key == "ttrManual") {
      int64_t n = 0;
      ok = !v.get_int64().get(n);
      c.ttr_manual = n;
    } else if (key == "csat") {
      simdjson::ondemand::object o;
      if (v.get_object().get(o)) return false;
      Csat cs;
      int64_t n = 0;
      bool b = false;
      std::string_view s;
      if (o["rate"].get_int64().get(n)) return false;
      cs.rate = static_cast<int>(n);
      if (o["resolved"].get_bool().get(b)) return false;
      cs.resolution_confirmation = b;
      if (o["status"].get_string().get(s)) return false;
      cs.status = s;
      if (o["at"].get_int64().get(n)) return false;
      cs.set_at = n;
      c.csat = std::move(cs);
    } else if (key == "notesBytes") {
      ok = !v.get_uint64().get(c.notes_bytes);
    } else if (key == "notesCount") {
      ok = !v.get_uint64().get(c.notes_count);
    } else if (key == "formerConsumers") {
      simdjson::ondemand::array arr;
      if (v.get_array().get(arr)) return false;
      c.former_consumers.clear();
      for (auto item : arr) {
        std::string_view s;
        if (item.get_string().get(s)) return false;
        c.former_consumers.emplace_back(s);
      }
    }
    if (!ok) return false;
  }
  return true;
}

FieldList encode_meta(const Conversation& c) {
  FieldList f;
  f.reserve(18);
  add(f, "epoch", c.epoch);
  add(f, "version", std::to_string(c.version));
  add(f, "state", std::string(to_string(c.state)));
  add(f, "status", c.status);
  add(f, "last_seq", std::to_string(c.last_seq));
  add(f, "last_public_seq", std::to_string(c.last_public_seq));
  add(f, "messages_all", std::to_string(c.messages_all));
  add(f, "messages_public", std::to_string(c.messages_public));
  add(f, "updated_at", std::to_string(c.updated_at));
  add(f, "created_at", std::to_string(c.created_at));
  add(f, "last_message_at", std::to_string(c.last_message_at));
  add(f, "lm_seq", std::to_string(c.last_message.seq));
  add(f, "lm_from", c.last_message.from);
  add(f, "lm_text", c.last_message.text);
  add(f, "lm_ts", std::to_string(c.last_message.ts));
  add(f, "lcm_at", std::to_string(c.last_consumer_message_at));
  // The append script files each event under the dialog in progress.
  add(f, "dialog", c.current_dialog_id());
  add(f, "rec", encode_rec(c));
  return f;
}

bool decode_lean(const RedisReply& v, Conversation& c) {
  if (v.size() != kLeanFields.size() || v[0].is_nil()) return false;
  auto num = [&](size_t i, auto& out) { return parse_number(v[i].str(), out); };
  auto state = conv_state_from(v[2].str());
  if (!state) return false;
  c.epoch = v[0].str();
  c.state = *state;
  c.status = v[3].str();
  c.last_message.from = v[12].str();
  c.last_message.text = v[13].str();
  // lcm_at came after the first records were written: absent reads as never.
  c.last_consumer_message_at = 0;
  if (!v[15].is_nil() && !num(15, c.last_consumer_message_at)) return false;
  return num(1, c.version) && num(4, c.last_seq) && num(5, c.last_public_seq) &&
         num(6, c.messages_all) && num(7, c.messages_public) && num(8, c.updated_at) &&
         num(9, c.created_at) && num(10, c.last_message_at) && num(11, c.last_message.seq) &&
         num(14, c.last_message.ts);
}

bool decode_record(const RedisReply& meta, const RedisReply& members, Conversation& c,
                   std::string* creq) {
  RedisReply lean = RedisReply::make_array({});
  for (const auto& name : kLeanFields) {
    const RedisReply* v = find_field(meta, name);
    lean.elements().push_back(v ? *v : RedisReply());
  }
  if (!decode_lean(lean, c)) return false;
  const RedisReply* rec = find_field(meta, "rec");
  if (!rec || !decode_rec(rec->str(), c)) return false;
  if (creq) {
    const RedisReply* k = find_field(meta, "creq");
    *creq = k ? k->str() : std::string();
  }
  const auto& e = members.elements();
  std::vector<std::pair<Member, uint64_t>> all;
  all.reserve(e.size() / 2);
  for (size_t i = 0; i + 1 < e.size(); i += 2) {
    auto m = decode_member(e[i].str(), e[i + 1].str());
    if (!m) return false;
    all.push_back(std::move(*m));
  }
  // A hash has no order: put members back in the record's order.
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.second < b.second; });
  c.members.clear();
  c.members.reserve(all.size());
  for (auto& m : all) c.members.push_back(std::move(m.first));
  return true;
}

// ---- pub/sub -----------------------------------------------------------------

std::string events_message(std::string_view epoch, const std::vector<std::string>& encodings) {
  std::string out;
  append_token(out, "E");
  append_token(out, epoch);
  for (const auto& e : encodings) append_token(out, e);
  return out;
}

std::string signal_message(const Signal& s) {
  std::string out;
  append_token(out, "S");
  append_token(out, s.from_user);
  append_token(out, std::to_string((s.skip_sender ? 1 : 0) | (s.agents_only ? 2 : 0)));
  append_token(out, s.frame ? std::string_view(*s.frame) : std::string_view());
  return out;
}

std::optional<PubsubMessage> decode_message(std::string_view payload) {
  TokenReader r(payload);
  std::string_view kind;
  if (!r.next(kind)) return std::nullopt;
  PubsubMessage m;
  if (kind == "E") {
    std::string_view epoch, enc;
    if (!r.next(epoch)) return std::nullopt;
    m.epoch = epoch;
    while (!r.done()) {
      auto e = r.next(enc) ? decode_event(enc) : std::nullopt;
      if (!e) return std::nullopt;
      m.events.push_back(std::make_shared<const Event>(std::move(*e)));
    }
    return m;
  }
  if (kind == "S") {
    std::string_view from, frame;
    uint64_t flags = 0;
    if (!r.next(from) || !r.next_uint(flags) || !r.next(frame)) return std::nullopt;
    m.is_signal = true;
    m.signal.from_user = from;
    m.signal.skip_sender = flags & 1;
    m.signal.agents_only = flags & 2;
    m.signal.frame = std::make_shared<const std::string>(frame);
    return m;
  }
  return std::nullopt;
}

}  // namespace parley::redis
