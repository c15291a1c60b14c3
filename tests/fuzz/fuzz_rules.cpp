// The dialog rules (broker/rules*.cpp) driven by random sequences of
// methods, callers and times, their decisions applied as an engine applies
// them (protocol/write.hpp: stamp_appended, check_append), the way the
// tables of tests/unit/rules_*.cpp call them.
//
// Input: six users' account roles and `prev` claims, the creation (creator,
// participants, post-survey, ttl), then one step per few bytes: the method,
// the caller, the time that passed and the arguments.
//
// Invariants after every step:
//   - the log's seqs are dense (1..last_seq), last_public_seq is the last
//     consumer-visible seq and every prev_public_seq chains over the
//     consumer-visible events; ts never decreases;
//   - nothing agents-only reaches consumers: the agents-only event types
//     (docs/protocol.md "What consumers never see") and the member.left of
//     a withdrawn suggestion are agents-only; the Conversation object for a
//     consumer has groupId and manualEffective null, and its lastMessage is
//     a consumer-visible event;
//   - states move only along the documented transitions (OPEN→CLOSE,
//     CLOSE→OPEN by reopen, CLOSE→LOCKED), a state change comes with exactly
//     one state.changed, CLOSE and LOCKED are "resolved", OPEN has an open
//     dialog; LOCKED changes nothing but deletion (and read horizons);
//   - a noop appends nothing, an error is one of 403/404/409/413/-32602,
//     at most one active consumer and one active assigned agent, member ids
//     unique, bodies are JSON objects, the consumer's view serializes.
#include <simdjson.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "dialog/rules.hpp"
#include "dialog/workflow.hpp"
#include "serialize.hpp"

namespace {

using namespace parley;
using parley::fuzz::Input;

constexpr size_t kUsers = 6;
constexpr Millis kLockAfter = 86'400'000;

bool is_json_object(std::string_view s) {
  static simdjson::dom::parser parser;
  simdjson::dom::element e;
  return !parser.parse(s.data(), s.size()).get(e) && e.is_object();
}

bool agents_only_type(std::string_view type) {
  static const std::set<std::string_view> kTypes = {
      "message.private", "note.added",     "status.changed", "transfer.agent", "transfer.skill",
      "queue.returned",  "group.changed",  "ettr.changed",   "member.suggested"};
  return kTypes.count(type) > 0;
}

bool allowed_transition(ConvState from, ConvState to) {
  if (from == to) return true;
  return (from == ConvState::open && to == ConvState::close) ||
         (from == ConvState::close && to == ConvState::open) ||
         (from == ConvState::close && to == ConvState::locked);
}

struct World {
  Conversation conv;
  std::vector<Event> log;
  std::vector<Identity> users;
  Limits limits;
  TtrSeconds ttr;
  Millis now = 1'700'000'000'000;
  bool erased = false;
  // How far the log is checked (events are only appended), and what the
  // check carries from one event to the next.
  size_t checked = 0;
  uint64_t last_public = 0;
  Millis last_ts = 0;
  uint64_t viewed_version = 0;  // the record's version the consumer's view was checked at
};

// The user a member.left event names (its body's userId).
std::string left_user(const std::string& body) {
  static simdjson::dom::parser parser;
  simdjson::dom::element e;
  std::string_view s;
  if (parser.parse(body).get(e) || e["userId"].get_string().get(s)) return {};
  return std::string(s);
}

// Appends drafted events as an engine does: seq = last_seq + 1, counters.
std::vector<Event> stamp(World& w, Conversation& rec, std::vector<EventDraft> drafts) {
  std::vector<Event> out;
  const Millis ts = std::max(w.now, rec.updated_at);
  for (auto& d : drafts) {
    Event e;
    static_cast<EventDraft&>(e) = std::move(d);
    e.ts = ts;
    stamp_appended(rec, e);
    out.push_back(e);
  }
  return out;
}

void check_events(const Conversation& before, const std::vector<Event>& events) {
  for (const Event& e : events) {
    FUZZ_CHECK(is_json_object(e.body));
    if (agents_only_type(e.type)) FUZZ_CHECK(e.visibility == Visibility::agents);
    if (e.type == "member.left") {
      const Member* m = before.member(left_user(e.body));
      if (m && m->state == MemberState::suggested) FUZZ_CHECK(e.visibility == Visibility::agents);
    }
  }
}

void check_record(World& w) {
  const Conversation& c = w.conv;
  // Dense seqs and the consumer's chain.
  FUZZ_CHECK(c.last_seq == w.log.size());
  for (; w.checked < w.log.size(); ++w.checked) {
    const Event& e = w.log[w.checked];
    FUZZ_CHECK(e.seq == w.checked + 1);
    FUZZ_CHECK(e.prev_public_seq == w.last_public);
    FUZZ_CHECK(e.ts >= w.last_ts);
    w.last_ts = e.ts;
    if (e.visibility == Visibility::all) w.last_public = e.seq;
  }
  FUZZ_CHECK(c.last_public_seq == w.last_public);
  if (c.last_message.seq != 0) {
    FUZZ_CHECK(c.last_message.seq <= w.log.size());
    FUZZ_CHECK(w.log[c.last_message.seq - 1].visibility == Visibility::all);
  }
  // States.
  if (c.state != ConvState::open) FUZZ_CHECK(c.status == "resolved");
  FUZZ_CHECK((c.state == ConvState::open) == (c.open_dialog() != nullptr));
  // Members.
  std::set<std::string> ids;
  size_t consumers = 0, assigned = 0;
  for (const Member& m : c.members) {
    FUZZ_CHECK(ids.insert(m.user_id).second);
    if (m.state != MemberState::active) continue;
    consumers += m.role == ParticipantRole::consumer;
    assigned += m.role == ParticipantRole::assigned_agent;
  }
  FUZZ_CHECK(consumers <= 1 && assigned <= 1);
  FUZZ_CHECK(c.active_members() <= w.limits.members);
  // The consumer's view, once per version of the record.
  if (c.version == w.viewed_version) return;
  w.viewed_version = c.version;
  JsonWriter jw;
  ViewerState viewer;
  viewer.audience = Audience::consumers;
  write_conversation(jw, c, viewer);
  static simdjson::dom::parser parser;
  simdjson::dom::element view;
  FUZZ_CHECK(!parser.parse(jw.str()).get(view));
  FUZZ_CHECK(view["groupId"].is_null());
  FUZZ_CHECK(view["ttr"]["manualEffective"].is_null());
}

// Commits a decision (engine.update); returns false when nothing happened.
void commit(World& w, const Result<Decision>& r, const Event* target) {
  if (!r) {
    const int code = r.error().code;
    FUZZ_CHECK(code == code::forbidden || code == code::not_found || code == code::conflict ||
               code == code::too_large || code == code::invalid_params);
    return;
  }
  const Decision& d = r.value();
  if (d.noop) {
    FUZZ_CHECK(d.events.empty() && !d.erase);
    return;
  }
  const Conversation& cur = w.conv;
  Conversation next = d.next;
  // The engine's fields stay the engine's (contract 8).
  next.tenant = cur.tenant, next.id = cur.id, next.epoch = cur.epoch;
  next.last_seq = cur.last_seq, next.last_public_seq = cur.last_public_seq;
  next.messages_all = cur.messages_all, next.messages_public = cur.messages_public;
  next.last_message = cur.last_message, next.last_message_at = cur.last_message_at;
  next.last_consumer_message_at = cur.last_consumer_message_at;
  next.version = cur.version, next.updated_at = cur.updated_at;

  std::vector<Event> events = stamp(w, next, d.events);
  next.version = cur.version + 1;
  check_events(cur, events);

  FUZZ_CHECK(allowed_transition(cur.state, next.state));
  const size_t state_events = std::count_if(events.begin(), events.end(), [](const Event& e) {
    return e.type == "state.changed";
  });
  if (!d.erase) FUZZ_CHECK(state_events == (cur.state != next.state ? 1u : 0u));
  if (cur.state == ConvState::locked) FUZZ_CHECK(d.erase || events.empty());

  if (target && d.target_body) w.log[target->seq - 1].body = *d.target_body;
  if (target && d.target_body) FUZZ_CHECK(is_json_object(*d.target_body));
  if (target && d.target_text && next.last_message.seq == target->seq)
    next.last_message.text = *d.target_text;
  for (auto& e : events) w.log.push_back(std::move(e));
  w.conv = std::move(next);
  w.erased = d.erase;
}

// Commits a hot-path append (engine.append).
void append(World& w, AppendRequest req) {
  if (!check_append(w.conv, req)) return;
  Conversation& rec = w.conv;
  req.event.from_role = to_string(rec.active_member(req.event.from_user)->role);
  req.event.dialog_id = rec.current_dialog_id();
  const Conversation before = rec;
  std::vector<EventDraft> drafts{std::move(req.event)};
  std::vector<Event> events = stamp(w, rec, std::move(drafts));
  check_events(before, events);
  if (req.mark_read)
    if (Member* m = rec.member(events[0].from_user)) mark_read_to(*m, events[0]);
  ++rec.version;
  w.log.push_back(std::move(events[0]));
}

std::string user_id(size_t i) { return "u" + std::to_string(i); }

std::optional<std::string> some_text(Input& in) {
  static const char* kTexts[] = {"hi", "", "a longer text than the tight limits allow", "ünï"};
  const size_t k = in.below(5);
  if (k == 4) return std::nullopt;
  return std::string(kTexts[k]);
}

void step(World& w, Input& in) {
  const Identity& who = w.users[in.below(kUsers)];
  const size_t op = in.below(26);
  // Time passes: mostly seconds, sometimes a day (the automatic lock).
  const uint8_t t = in.byte();
  w.now += t == 255 ? kLockAfter : Millis{t} * 1000;
  const std::string other = user_id(in.below(kUsers));
  const auto role = static_cast<ParticipantRole>(in.below(6));
  const Event* target = w.log.empty() ? nullptr : &w.log[in.below(w.log.size())];
  const Conversation& c = w.conv;
  const Limits& L = w.limits;
  switch (op) {
    case 0: commit(w, rules::join(c, who, in.flag() ? std::optional(role) : std::nullopt, w.now, L), nullptr); break;
    case 1: commit(w, rules::leave(c, who, w.now), nullptr); break;
    case 2: commit(w, rules::close(c, who, some_text(in), w.now), nullptr); break;
    case 3: commit(w, rules::reopen(c, who, w.now), nullptr); break;
    case 4: commit(w, rules::lock(c, who, w.now), nullptr); break;
    case 5: commit(w, rules::auto_lock(c, w.now, kLockAfter), nullptr); break;
    case 6: {
      static const char* kStatus[] = {"open", "pending", "snoozed", "resolved"};
      commit(w, rules::set_status(c, who, kStatus[in.below(4)], w.now), nullptr);
      break;
    }
    case 7: commit(w, rules::invite(c, who, params::Invite{"conv-1", other, role}, w.now, L), nullptr); break;
    case 8: commit(w, rules::remove_member(c, who, other, w.now), nullptr); break;
    case 9: commit(w, rules::assign(c, who, other, w.now, L), nullptr); break;
    case 10: {
      params::Transfer p{"conv-1", {}, {}};
      const uint8_t b = in.byte();
      if (b & 1) p.agent_id = other;
      if (b & 2) p.skill_id = "skill" + std::to_string(b >> 6);
      commit(w, rules::transfer(c, who, p, w.now, L), nullptr);
      break;
    }
    case 11: commit(w, rules::set_group(c, who, some_text(in), w.now), nullptr); break;
    case 12: commit(w, rules::consumer_takeover(c, who, in.flag() ? std::optional(other) : std::nullopt, w.now, L), nullptr); break;
    case 13: {
      params::SetNote p{"conv-1", some_text(in).value_or("n"), in.flag(), in.flag()};
      commit(w, rules::set_note(c, who, p, "note-" + std::to_string(w.log.size()), w.now, L), nullptr);
      break;
    }
    case 14: {
      static const char* kCsat[] = {"FILLED", "SKIPPED", "PARTIALLY_FILLED"};
      params::SetCsat p{"conv-1", static_cast<int>(1 + in.below(5)), in.flag(), kCsat[in.below(3)]};
      commit(w, rules::set_csat(c, who, p, w.now), nullptr);
      break;
    }
    case 15: {
      static const char* kTtr[] = {"NORMAL", "URGENT", "PRIORITIZED", "CUSTOM"};
      params::SetTtr p{"conv-1", kTtr[in.below(4)], {}};
      if (p.type == "CUSTOM") p.value = 60 * (1 + in.below(100));
      commit(w, rules::set_ttr(c, who, p, w.now, w.ttr), nullptr);
      break;
    }
    case 16: {
      std::optional<Millis> at;
      if (in.flag()) at = w.now + Millis{in.byte()} * 60'000;
      commit(w, rules::set_manual_ettr(c, who, at, w.now, w.ttr), nullptr);
      break;
    }
    case 17:
    case 18: {
      params::SendMessage p;
      p.conversation_id = "conv-1";
      p.text = some_text(in).value_or("x");
      if (in.flag()) p.client_message_id = "m" + std::to_string(in.byte());
      append(w, op == 17 ? rules::send_message(who, p) : rules::send_private_message(who, p));
      break;
    }
    case 19: {
      params::SendEvent p{"conv-1", "typing", R"({"k":1})",
                          in.flag() ? Visibility::agents : Visibility::all};
      append(w, rules::send_event(who, p));
      break;
    }
    case 20:
      if (target) commit(w, rules::edit_message(c, who, *target, some_text(in).value_or("e"), w.now), target);
      break;
    case 21:
      if (target) commit(w, rules::delete_message(c, who, *target, w.now), target);
      break;
    case 22:
      if (target) commit(w, rules::mark_read(c, who, *target, in.flag()), target);
      break;
    case 23: commit(w, rules::remove(c, who, w.now), nullptr); break;
    case 24: commit(w, rules::expire_ttl(c, w.now), nullptr); break;
    default: {
      params::SendRichContent p;
      p.conversation_id = "conv-1";
      p.content = R"({"type":"card"})";
      append(w, rules::send_rich_content(who, p));
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  World w;
  w.limits.members = 4;
  w.limits.note_chars = 8;
  w.limits.notes_bytes = 40;
  for (size_t i = 0; i < kUsers; ++i) {
    Identity who;
    who.tenant = "t1";
    who.user_id = user_id(i);
    who.name = "name" + std::to_string(i);
    who.role = static_cast<AccountRole>(in.below(5));
    if (in.flag()) who.prev = user_id(in.below(kUsers));
    w.users.push_back(std::move(who));
  }
  // createConversation.
  const Identity& creator = w.users[in.below(kUsers)];
  params::CreateConversation p;
  p.post_survey = in.flag();
  if (in.flag()) p.ttl = 60;
  const uint8_t invited = in.byte();
  for (size_t i = 0; i < kUsers; ++i)
    if (invited & (1u << i) && user_id(i) != creator.user_id)
      p.participants.push_back(params::Participant{user_id(i), static_cast<ParticipantRole>(in.below(6))});
  auto created = rules::create(creator, p, "conv-1", w.now, w.limits);
  if (!created) return 0;
  w.conv = created.value().record;
  w.conv.epoch = "ep1";
  w.conv.version = 1;
  for (auto& e : stamp(w, w.conv, created.value().events)) w.log.push_back(std::move(e));
  check_events(Conversation{}, w.log);
  check_record(w);

  for (int n = 0; n < 64 && !in.empty() && !w.erased; ++n) {
    step(w, in);
    check_record(w);
  }
  return 0;
}
