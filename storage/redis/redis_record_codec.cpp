// Records: the meta hash of a conversation and its `rec` JSON
// (redis_record_codec.hpp).
#include "redis_record_codec.hpp"

#include <simdjson.h>

#include <algorithm>

#include "json_writer.hpp"

namespace parley::redis {

namespace {

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

void write_optional(JsonWriter& w, std::string_view key, const std::optional<std::string>& v) {
  if (v) w.field(key, *v);
}

}  // namespace

// ---- records -----------------------------------------------------------------

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

std::string encode_hot(const Conversation& c) {
  std::string h;
  h.reserve(kHotEpoch + c.epoch.size());
  append_fixed(h, c.version);
  append_fixed(h, c.last_seq);
  append_fixed(h, c.last_public_seq);
  append_fixed(h, c.messages_all);
  append_fixed(h, c.messages_public);
  append_fixed(h, c.updated_at);
  append_fixed(h, c.last_message_at);
  append_fixed(h, c.last_message.seq);
  append_fixed(h, c.last_message.ts);
  append_fixed(h, c.last_consumer_message_at);
  append_fixed(h, c.created_at);
  h.push_back(to_string(c.state).front());  // O(PEN), C(LOSE), L(OCKED)
  h.append(c.epoch);
  return h;
}

bool decode_hot(std::string_view h, Conversation& c) {
  constexpr size_t W = kFixedWidth;
  if (h.size() < kHotEpoch) return false;
  switch (h[kHotEpoch - 1]) {
    case 'O': c.state = ConvState::open; break;
    case 'C': c.state = ConvState::close; break;
    case 'L': c.state = ConvState::locked; break;
    default: return false;
  }
  c.epoch = h.substr(kHotEpoch);
  return read_fixed(h, 0, c.version) && read_fixed(h, W, c.last_seq) &&
         read_fixed(h, 2 * W, c.last_public_seq) && read_fixed(h, 3 * W, c.messages_all) &&
         read_fixed(h, 4 * W, c.messages_public) && read_fixed(h, 5 * W, c.updated_at) &&
         read_fixed(h, 6 * W, c.last_message_at) && read_fixed(h, 7 * W, c.last_message.seq) &&
         read_fixed(h, 8 * W, c.last_message.ts) &&
         read_fixed(h, 9 * W, c.last_consumer_message_at) && read_fixed(h, 10 * W, c.created_at);
}

std::string encode_last_message(const Conversation& c) {
  std::string lm;
  append_token(lm, c.last_message.from);
  append_token(lm, c.last_message.text);
  return lm;
}

FieldList encode_meta(const Conversation& c) {
  FieldList f;
  f.reserve(6);
  add(f, "hot", encode_hot(c));
  add(f, "status", c.status);
  add(f, "lm", encode_last_message(c));
  // The append script files each event under the dialog in progress.
  add(f, "dialog", c.current_dialog_id());
  add(f, "rec", encode_rec(c));
  return f;
}

bool decode_lean(std::string_view hot, std::string_view status, std::string_view lm,
                 Conversation& c) {
  TokenReader t(lm);
  std::string_view from, text;
  if (!decode_hot(hot, c) || !t.next(from) || !t.next(text) || !t.done()) return false;
  c.status = status;
  c.last_message.from = from;
  c.last_message.text = text;
  return true;
}

bool older_layout(const RedisReply& meta) {
  return !find_field(meta, "hot") && find_field(meta, "last_seq");
}

bool decode_record(const RedisReply& meta, const RedisReply& members, Conversation& c,
                   std::string* creq) {
  const RedisReply *hot = find_field(meta, "hot"), *status = find_field(meta, "status"),
                   *lm = find_field(meta, "lm");
  if (!hot || !status || !lm || !decode_lean(hot->str(), status->str(), lm->str(), c))
    return false;
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

}  // namespace parley::redis
