// Fixtures for the rules tables: small builders for identities, members,
// conversations and log events, and a compact "outcome" string for a
// decision ("ok", "noop", "403 member", "409 LOCKED", "413 metadata", ...)
// so that a table row reads like the protocol's error table.
#pragma once

#include <doctest/doctest.h>

#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "dialog/rules.hpp"

namespace parley::rules_test {

inline constexpr Millis kNow = 1'700'000'000'000;
inline constexpr Millis kCreated = kNow - 60'000;

inline Identity ident(std::string user, AccountRole role, std::string name = {}) {
  Identity who;
  who.tenant = "t1";
  who.user_id = std::move(user);
  who.name = std::move(name);
  who.role = role;
  return who;
}

inline Member member(std::string user, ParticipantRole role,
                     MemberState state = MemberState::active) {
  Member m;
  m.user_id = std::move(user);
  m.name = m.user_id + "-name";
  m.role = role;
  m.state = state;
  m.joined_at = kCreated;
  if (state == MemberState::left) m.left_at = kCreated + 1;
  return m;
}

// An existing conversation in `state` with the given members and a log of
// ten events, engine-owned fields filled as an engine would.
inline Conversation conv(ConvState state, std::vector<Member> members) {
  Conversation c;
  c.tenant = "t1";
  c.id = "conv-1";
  c.name = "office";
  c.channel = "web";
  c.metadata = R"({"a":1})";
  c.state = state;
  c.status = state == ConvState::open ? "open" : "resolved";
  c.dialogs.push_back(Dialog{"MAIN", "MAIN", state == ConvState::open, kCreated, 0, {}});
  c.members = std::move(members);
  c.epoch = "ep1";
  c.last_seq = 10;
  c.last_public_seq = 10;
  c.messages_all = 6;
  c.messages_public = 5;
  c.created_at = kCreated;
  c.updated_at = kCreated + 500;
  c.version = 7;
  return c;
}

// A stored log event.
inline Event event(uint64_t seq, std::string from, std::string type = "message",
                   std::string body = R"({"text":"hi"})", Visibility visibility = Visibility::all) {
  Event e;
  e.seq = seq;
  e.type = std::move(type);
  e.from_user = std::move(from);
  e.from_role = "AGENT";
  e.visibility = visibility;
  e.body = std::move(body);
  e.ts = kCreated + static_cast<Millis>(seq);
  e.messages_all = seq / 2;
  e.messages_public = seq / 3;
  return e;
}

// "ok" / "noop" / "<code> <first data value>" ("403 member", "409 CLOSE").
inline std::string outcome_of_error(const Error& e) {
  std::string out = std::to_string(e.code);
  // data is {"<key>":"<value>",...} or {"<key>":<number>}: its first value
  // is what a table needs (required / state / field).
  auto colon = e.data.find(':');
  if (colon != std::string::npos) {
    auto start = colon + 1;
    if (e.data[start] == '"') ++start;
    auto end = e.data.find_first_of("\",}", start);
    out += ' ';
    out += e.data.substr(start, end - start);
  }
  return out;
}
inline std::string outcome(const Result<Decision>& r) {
  if (!r) return outcome_of_error(r.error());
  return r->noop ? "noop" : "ok";
}
inline std::string outcome(const Result<CreateRequest>& r) {
  return r ? "ok" : outcome_of_error(r.error());
}
inline std::string outcome(const Status& r) { return r ? "ok" : outcome_of_error(r.error()); }

// Every field of a record on its own line, so that CHECK(dump(a) ==
// dump(b)) both compares whole records and shows where they differ.
inline std::string dump(const Conversation& c) {
  std::ostringstream o;
  auto opt = [&](const char* k, const std::optional<std::string>& v) {
    o << k << '=' << (v ? '"' + *v + '"' : std::string("null")) << '\n';
  };
  o << "tenant=" << c.tenant << "\nid=" << c.id << '\n';
  opt("name", c.name);
  opt("displayName", c.display_name);
  opt("imageUrl", c.image_url);
  opt("externalId", c.external_id);
  opt("campaignId", c.campaign_id);
  opt("skillId", c.skill_id);
  opt("groupId", c.group_id);
  o << "channel=" << c.channel << "\nmetadata=" << c.metadata << "\nstate=" << to_string(c.state)
    << "\nstatus=" << c.status << '\n';
  for (const Dialog& d : c.dialogs)
    o << "dialog " << d.dialog_id << ' ' << d.type << ' ' << d.open << ' ' << d.opened_at << ' '
      << d.closed_at << ' ' << d.closed_cause << '\n';
  for (const Member& m : c.members)
    o << "member " << m.user_id << " name=" << m.name << ' ' << to_string(m.role) << ' '
      << to_string(m.state) << " joined=" << m.joined_at << " left=" << m.left_at
      << " read=" << m.last_read_seq << " accept=" << m.last_accept_seq
      << " counters=" << m.read_messages_all << '/' << m.read_messages_public << '\n';
  o << "epoch=" << c.epoch << "\nlast_seq=" << c.last_seq << '/' << c.last_public_seq
    << "\nmessages=" << c.messages_all << '/' << c.messages_public
    << "\nlast_message=" << c.last_message.seq << ' ' << c.last_message.from << ' '
    << c.last_message.text << ' ' << c.last_message.ts << "\ncreated=" << c.created_at
    << "\nupdated=" << c.updated_at << "\nlast_message_at=" << c.last_message_at
    << "\nttl=" << (c.ttl ? std::to_string(*c.ttl) : "null") << "\npost_survey=" << c.post_survey
    << "\nversion=" << c.version << '\n';
  o << "ttr=" << c.ttr_type << ' ' << (c.ttr_value ? std::to_string(*c.ttr_value) : "-") << ' '
    << c.ttr_manual << " lcm=" << c.last_consumer_message_at << '\n';
  if (c.csat)
    o << "csat=" << c.csat->rate << ' ' << c.csat->resolution_confirmation << ' ' << c.csat->status
      << ' ' << c.csat->set_at << '\n';
  o << "notes=" << c.notes_count << '/' << c.notes_bytes << "\nformer_consumers=";
  for (const auto& u : c.former_consumers) o << u << ' ';
  o << '\n';
  return o.str();
}

// One event draft as a line: "type from/role visibility cmid body".
inline std::string line(const EventDraft& e) {
  std::string s = e.type + ' ' + e.from_user + '/' + e.from_role + ' ' +
                  std::string(to_string(e.visibility)) + ' ' + e.dialog_id;
  if (!e.client_message_id.empty()) s += " cmid=" + e.client_message_id;
  return s + ' ' + e.body;
}
// All events, one per line, so that a mismatch prints readably.
inline std::string lines(const std::vector<EventDraft>& events) {
  std::string out;
  for (const EventDraft& e : events) out += line(e) + '\n';
  return out;
}
inline std::string expect_lines(std::initializer_list<std::string> l) {
  std::string out;
  for (const std::string& s : l) out += s + '\n';
  return out;
}

}  // namespace parley::rules_test
