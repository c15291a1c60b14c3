// The contact-centre rules as two tables (rules_workflow.hpp):
//  1. every new method, and every message kind (sendMessage included), ×
//     every account role and seat (or none): allowed, or the exact error;
//  2. every transition × every state (OPEN in MAIN, OPEN in POST_SURVEY,
//     CLOSE, LOCKED): the new state and the exact event types, a noop, or
//     the error.
// The exact bodies of the allowed cases are in rules_workflow_test.cpp,
// rules_routing_test.cpp and rules_content_test.cpp.
#include <array>
#include <functional>

#include "rules_fixtures.hpp"

namespace parley::rules_test {
namespace {

using AR = AccountRole;
using PR = ParticipantRole;

// ---- 1. who may ------------------------------------------------------------

// The caller "u" in a conversation of consumer c0 (unless u is the
// consumer) and agent a0, nobody assigned (in the queue). `seat`: u's seat
// when it is an ACTIVE member.
Conversation seat_fixture(ConvState state, std::optional<PR> seat) {
  std::vector<Member> ms{member("a0", PR::agent)};
  if (seat != PR::consumer) ms.push_back(member("c0", PR::consumer));
  if (seat) ms.push_back(member("u", *seat));
  Conversation c = conv(state, std::move(ms));
  c.post_survey = true;
  return c;
}

struct Callers {
  Conversation open, closed;
  Identity who;
};

using Column = std::function<std::string(const Callers&)>;

template <class R>
std::string out(const R& r) {
  return outcome(r);
}

params::SendMessage text_params() {
  params::SendMessage p;
  p.text = "t";
  return p;
}

const std::vector<std::pair<const char*, Column>>& columns() {
  static const std::vector<std::pair<const char*, Column>> cols = {
      {"close", [](const Callers& x) { return out(rules::close(x.open, x.who, {}, kNow)); }},
      {"reopen", [](const Callers& x) { return out(rules::reopen(x.closed, x.who, kNow)); }},
      {"lock", [](const Callers& x) { return out(rules::lock(x.closed, x.who, kNow)); }},
      {"setStatus",
       [](const Callers& x) { return out(rules::set_status(x.open, x.who, "pending", kNow)); }},
      {"invite",
       [](const Callers& x) {
         return out(rules::invite(x.open, x.who, {"conv-1", "a9", PR::agent}, kNow, Limits{}));
       }},
      {"removeMember",
       [](const Callers& x) { return out(rules::remove_member(x.open, x.who, "a0", kNow)); }},
      {"assign self",
       [](const Callers& x) { return out(rules::assign(x.open, x.who, "u", kNow, Limits{})); }},
      {"assign other",
       [](const Callers& x) { return out(rules::assign(x.open, x.who, "a0", kNow, Limits{})); }},
      {"transfer skill",
       [](const Callers& x) {
         return out(rules::transfer(x.open, x.who, {"conv-1", std::nullopt, "s2"}, kNow, Limits{}));
       }},
      {"transfer agent",
       [](const Callers& x) {
         return out(rules::transfer(x.open, x.who, {"conv-1", "a9", std::nullopt}, kNow, Limits{}));
       }},
      {"setGroup",
       [](const Callers& x) { return out(rules::set_group(x.open, x.who, "g1", kNow)); }},
      {"takeover",
       [](const Callers& x) {
         // Admins and bots name the new consumer; the others take it themselves.
         std::optional<std::string> target;
         if (x.who.role == AR::admin || x.who.role == AR::bot) target = "n1";
         return out(rules::consumer_takeover(x.open, x.who, target, kNow, Limits{}));
       }},
      {"message",
       [](const Callers& x) {
         return out(check_append(x.open, rules::send_message(x.who, text_params())));
       }},
      {"private",
       [](const Callers& x) {
         return out(check_append(x.open, rules::send_private_message(x.who, text_params())));
       }},
      {"rich",
       [](const Callers& x) {
         params::SendRichContent p;
         p.content = "{}";
         return out(check_append(x.open, rules::send_rich_content(x.who, p)));
       }},
      {"event agents",
       [](const Callers& x) {
         params::SendEvent p;
         p.name = "n";
         p.data = "1";
         p.visibility = Visibility::agents;
         return out(check_append(x.open, rules::send_event(x.who, p)));
       }},
      {"setNote",
       [](const Callers& x) {
         params::SetNote p;
         p.text = "note";
         return out(rules::set_note(x.open, x.who, p, "n-1", kNow, Limits{}));
       }},
      {"listNotes", [](const Callers& x) { return out(rules::may_read_notes(x.open, x.who)); }},
      {"setCsat",
       [](const Callers& x) {
         return out(rules::set_csat(x.closed, x.who, {"conv-1", 5, true, "FILLED"}, kNow));
       }},
      {"setTtr URGENT",
       [](const Callers& x) {
         return out(rules::set_ttr(x.open, x.who, {"conv-1", "URGENT", {}}, kNow, {}));
       }},
      {"setTtr PRIORITIZED",
       [](const Callers& x) {
         return out(rules::set_ttr(x.open, x.who, {"conv-1", "PRIORITIZED", {}}, kNow, {}));
       }},
      {"setManualEttr",
       [](const Callers& x) { return out(rules::set_manual_ettr(x.open, x.who, kNow, kNow, {})); }},
  };
  return cols;
}

struct RoleRow {
  AR role;
  std::optional<PR> seat;  // nullopt: not a member
  std::array<const char*, 22> expect;
};

// clang-format off
const RoleRow kRoleTable[] = {
  //                      close         reopen       lock           setStatus    invite       removeMember assign self    assign other   transfer sk. transfer ag. setGroup     takeover     message        private        rich          event agents   setNote      listNotes    setCsat          URGENT        PRIORITIZED  manualEttr
  {AR::consumer, PR::consumer, {"ok",   "403 agent", "403 manager", "403 agent", "403 agent", "403 agent", "403 manager", "403 manager", "403 agent", "403 agent", "403 agent", "noop",      "ok",          "403 role",    "ok",         "403 role",    "403 agent", "403 agent", "ok",            "ok",         "403 agent", "403 agent"}},
  {AR::consumer, {},           {"403 member", "403 agent", "403 manager", "403 agent", "403 agent", "403 agent", "403 manager", "403 manager", "403 agent", "403 agent", "403 agent", "ok",       "403 member",  "403 member", "403 member", "403 member", "403 agent", "403 agent", "403 consumer", "403 member", "403 member", "403 agent"}},
  {AR::agent,    PR::agent,    {"ok",   "ok",        "403 manager", "ok",        "ok",        "ok",        "ok",          "403 manager", "ok",        "ok",        "ok",        "403 admin", "ok",          "ok",          "ok",         "ok",          "ok",        "ok",        "403 consumer", "ok",         "ok",        "ok"}},
  {AR::agent,    PR::reader,   {"ok",   "ok",        "403 manager", "ok",        "ok",        "ok",        "ok",          "403 manager", "ok",        "ok",        "ok",        "403 admin", "403 role",    "403 role",    "403 role",   "403 role",    "ok",        "ok",        "403 consumer", "ok",         "ok",        "ok"}},
  {AR::agent,    {},           {"ok",   "ok",        "403 manager", "ok",        "ok",        "ok",        "ok",          "403 manager", "ok",        "ok",        "ok",        "403 admin", "403 member",  "403 member",  "403 member", "403 member",  "ok",        "ok",        "403 consumer", "ok",         "ok",        "ok"}},
  {AR::manager,  PR::manager,  {"ok",   "ok",        "ok",          "ok",        "ok",        "ok",        "ok",          "ok",          "ok",        "ok",        "ok",        "403 admin", "ok",          "ok",          "ok",         "ok",          "ok",        "ok",        "403 consumer", "ok",         "ok",        "ok"}},
  {AR::manager,  {},           {"ok",   "ok",        "ok",          "ok",        "ok",        "ok",        "ok",          "ok",          "ok",        "ok",        "ok",        "403 admin", "403 member",  "403 member",  "403 member", "403 member",  "ok",        "ok",        "403 consumer", "ok",         "ok",        "ok"}},
  {AR::bot,      PR::bot,      {"ok",   "ok",        "403 manager", "ok",        "ok",        "ok",        "403 manager", "403 manager", "ok",        "ok",        "ok",        "ok",        "ok",          "ok",          "ok",         "ok",          "ok",        "ok",        "403 consumer", "ok",         "ok",        "ok"}},
  {AR::bot,      {},           {"403 agent", "403 agent", "403 manager", "403 agent", "403 agent", "403 agent", "403 manager", "403 manager", "403 agent", "403 agent", "403 agent", "ok",     "403 member",  "403 member",  "403 member", "403 member",  "403 agent", "403 agent", "403 consumer", "403 agent",  "403 agent", "403 agent"}},
  {AR::admin,    PR::manager,  {"ok",   "ok",        "ok",          "ok",        "ok",        "ok",        "ok",          "ok",          "ok",        "ok",        "ok",        "ok",        "ok",          "ok",          "ok",         "ok",          "ok",        "ok",        "403 consumer", "ok",         "ok",        "ok"}},
  {AR::admin,    {},           {"ok",   "ok",        "ok",          "ok",        "ok",        "ok",        "ok",          "ok",          "ok",        "ok",        "ok",        "ok",        "403 member",  "403 member",  "403 member", "403 member",  "ok",        "ok",        "403 consumer", "ok",         "ok",        "ok"}},
};
// clang-format on

TEST_CASE("contact-centre rules: every method x account role x seat") {
  REQUIRE(columns().size() == std::size(kRoleTable[0].expect));
  for (const RoleRow& row : kRoleTable) {
    INFO("account ", to_string(row.role), " seat ",
         row.seat ? std::string(to_string(*row.seat)) : std::string("none"));
    Callers x{seat_fixture(ConvState::open, row.seat), seat_fixture(ConvState::close, row.seat),
              ident("u", row.role)};
    x.closed.dialogs[0].open = false;
    x.who.prev = "c0";  // consumerTakeover: u stepped up from c0
    for (size_t i = 0; i < columns().size(); ++i) {
      INFO("method: ", columns()[i].first);
      CHECK(columns()[i].second(x) == row.expect[i]);
    }
  }
}

// ---- 2. which state ----------------------------------------------------------

enum Phase { kOpen, kSurvey, kClose, kLocked };
constexpr const char* kPhaseNames[] = {"OPEN", "OPEN in POST_SURVEY", "CLOSE", "LOCKED"};

// Consumer c0, assigned agent g0, agent a0, manager m0, a9 SUGGESTED (a
// transfer waiting), with a post-survey. The phases as the rules leave them.
Conversation phase_fixture(Phase phase) {
  Member suggested = member("a9", PR::assigned_agent, MemberState::suggested);
  suggested.joined_at = 0;
  Conversation c = conv(phase == kOpen ? ConvState::open : ConvState::close,
                        {member("c0", PR::consumer), member("g0", PR::assigned_agent),
                         member("a0", PR::agent), member("m0", PR::manager), suggested});
  c.post_survey = true;
  c.status = phase == kOpen ? "open" : "resolved";
  if (phase == kOpen) return c;
  c.dialogs[0].open = false;
  c.dialogs[0].closed_at = kNow - 5000;
  c.dialogs.push_back(Dialog{"POST_SURVEY", "POST_SURVEY", true, kNow - 5000, 0, {}});
  if (phase == kSurvey) {
    c.state = ConvState::open;
    return c;
  }
  c.dialogs[1].open = false;
  c.dialogs[1].closed_at = kNow - 4000;
  if (phase == kLocked) c.state = ConvState::locked;
  return c;
}

// "-> STATE type type ...", "noop", or the error.
std::string transition(const Result<Decision>& r) {
  if (!r || r->noop) return outcome(r);
  std::string s = "-> " + std::string(to_string(r->next.state));
  for (const EventDraft& e : r->events) s += ' ' + e.type;
  return s;
}

struct StateRow {
  const char* what;
  std::function<std::string(const Conversation&)> run;
  std::array<const char*, 4> expect;
};

const Identity kConsumer = ident("c0", AR::consumer);
const Identity kAgent = ident("a0", AR::agent);
const Identity kAssigned = ident("g0", AR::agent);
const Identity kManager = ident("m0", AR::manager);

Conversation without_survey(Conversation c) {
  c.post_survey = false;
  return c;
}

// clang-format off
const StateRow kStateTable[] = {
  {"close (agent)", [](const Conversation& c) { return transition(rules::close(c, kAgent, {}, kNow)); },
   {"-> OPEN dialog.closed dialog.opened status.changed", "-> CLOSE dialog.closed state.changed", "noop", "noop"}},
  {"close (consumer)", [](const Conversation& c) { return transition(rules::close(c, kConsumer, {}, kNow)); },
   {"-> OPEN dialog.closed dialog.opened status.changed", "-> CLOSE dialog.closed state.changed", "noop", "noop"}},
  {"close (no post-survey)", [](const Conversation& c) { return transition(rules::close(without_survey(c), kAgent, {}, kNow)); },
   {"-> CLOSE dialog.closed state.changed status.changed", "-> CLOSE dialog.closed state.changed", "noop", "noop"}},
  {"reopen", [](const Conversation& c) { return transition(rules::reopen(c, kAgent, kNow)); },
   {"noop", "noop", "-> OPEN dialog.opened state.changed status.changed", "409 LOCKED"}},
  {"lock", [](const Conversation& c) { return transition(rules::lock(c, kManager, kNow)); },
   {"409 OPEN", "409 OPEN", "-> LOCKED state.changed", "noop"}},
  {"auto lock, due", [](const Conversation& c) { return transition(rules::auto_lock(c, kNow, 4000)); },
   {"noop", "noop", "-> LOCKED state.changed", "noop"}},
  {"auto lock, not yet", [](const Conversation& c) { return transition(rules::auto_lock(c, kNow, 4001)); },
   {"noop", "noop", "noop", "noop"}},
  {"setStatus pending", [](const Conversation& c) { return transition(rules::set_status(c, kAgent, "pending", kNow)); },
   {"-> OPEN status.changed", "-> OPEN status.changed", "409 CLOSE", "409 LOCKED"}},
  {"setStatus resolved", [](const Conversation& c) { return transition(rules::set_status(c, kAgent, "resolved", kNow)); },
   {"-> OPEN dialog.closed dialog.opened status.changed", "noop", "noop", "noop"}},
  {"invite", [](const Conversation& c) { return transition(rules::invite(c, kAgent, {"conv-1", "r9", PR::reader}, kNow, Limits{})); },
   {"-> OPEN member.invited", "-> OPEN member.invited", "-> CLOSE member.invited", "409 LOCKED"}},
  {"removeMember", [](const Conversation& c) { return transition(rules::remove_member(c, kManager, "a0", kNow)); },
   {"-> OPEN member.left", "-> OPEN member.left", "-> CLOSE member.left", "409 LOCKED"}},
  {"removeMember (assigned)", [](const Conversation& c) { return transition(rules::remove_member(c, kManager, "g0", kNow)); },
   {"-> OPEN member.left queue.returned", "-> OPEN member.left", "-> CLOSE member.left", "409 LOCKED"}},
  {"leave (assigned)", [](const Conversation& c) { return transition(rules::leave(c, kAssigned, kNow)); },
   {"-> OPEN member.left queue.returned", "-> OPEN member.left", "-> CLOSE member.left", "409 LOCKED"}},
  {"assign", [](const Conversation& c) { return transition(rules::assign(c, kManager, "a0", kNow, Limits{})); },
   {"-> OPEN member.joined member.left", "-> OPEN member.joined member.left", "409 CLOSE", "409 LOCKED"}},
  {"transfer skill", [](const Conversation& c) { return transition(rules::transfer(c, kAgent, {"conv-1", std::nullopt, "s2"}, kNow, Limits{})); },
   {"-> OPEN transfer.skill member.left", "-> OPEN transfer.skill member.left", "409 CLOSE", "409 LOCKED"}},
  {"transfer agent", [](const Conversation& c) { return transition(rules::transfer(c, kAgent, {"conv-1", "a8", std::nullopt}, kNow, Limits{})); },
   {"-> OPEN member.suggested transfer.agent", "-> OPEN member.suggested transfer.agent", "409 CLOSE", "409 LOCKED"}},
  {"join (suggested)", [](const Conversation& c) { return transition(rules::join(c, ident("a9", AR::agent), std::nullopt, kNow, Limits{})); },
   {"-> OPEN member.joined member.left", "-> OPEN member.joined member.left", "-> CLOSE member.joined member.left", "409 LOCKED"}},
  {"setGroup", [](const Conversation& c) { return transition(rules::set_group(c, kAgent, "g1", kNow)); },
   {"-> OPEN group.changed", "-> OPEN group.changed", "-> CLOSE group.changed", "409 LOCKED"}},
  {"consumerTakeover", [](const Conversation& c) {
     Identity n1 = ident("n1", AR::consumer);
     n1.prev = "c0";
     return transition(rules::consumer_takeover(c, n1, std::nullopt, kNow, Limits{})); },
   {"-> OPEN consumer.steppedUp member.left member.joined", "-> OPEN consumer.steppedUp member.left member.joined",
    "-> CLOSE consumer.steppedUp member.left member.joined", "409 LOCKED"}},
  {"setNote", [](const Conversation& c) {
     params::SetNote p;
     p.text = "n";
     return transition(rules::set_note(c, kAgent, p, "n-1", kNow, Limits{})); },
   {"-> OPEN note.added", "-> OPEN note.added", "-> CLOSE note.added", "409 LOCKED"}},
  {"setCsat FILLED", [](const Conversation& c) { return transition(rules::set_csat(c, kConsumer, {"conv-1", 5, true, "FILLED"}, kNow)); },
   {"409 OPEN", "-> CLOSE csat.set dialog.closed state.changed", "-> CLOSE csat.set", "409 LOCKED"}},
  {"setCsat SKIPPED", [](const Conversation& c) { return transition(rules::set_csat(c, kConsumer, {"conv-1", 1, false, "SKIPPED"}, kNow)); },
   {"409 OPEN", "-> CLOSE csat.set dialog.closed state.changed", "-> CLOSE csat.set", "409 LOCKED"}},
  {"setCsat PARTIALLY_FILLED", [](const Conversation& c) { return transition(rules::set_csat(c, kConsumer, {"conv-1", 3, true, "PARTIALLY_FILLED"}, kNow)); },
   {"409 OPEN", "-> OPEN csat.set", "-> CLOSE csat.set", "409 LOCKED"}},
  {"setTtr", [](const Conversation& c) { return transition(rules::set_ttr(c, kConsumer, {"conv-1", "URGENT", {}}, kNow, {})); },
   {"-> OPEN ttr.changed", "-> OPEN ttr.changed", "409 CLOSE", "409 LOCKED"}},
  {"setManualEttr", [](const Conversation& c) { return transition(rules::set_manual_ettr(c, kAgent, kNow + 60000, kNow, {})); },
   {"-> OPEN ettr.changed", "-> OPEN ettr.changed", "409 CLOSE", "409 LOCKED"}},
  {"sendMessage", [](const Conversation& c) { return outcome(check_append(c, rules::send_message(kConsumer, text_params()))); },
   {"ok", "ok", "409 CLOSE", "409 LOCKED"}},
  {"sendPrivateMessage", [](const Conversation& c) { return outcome(check_append(c, rules::send_private_message(kAgent, text_params()))); },
   {"ok", "ok", "409 CLOSE", "409 LOCKED"}},
  {"sendFile", [](const Conversation& c) {
     params::SendFile p;
     p.url = "https://x/y";
     p.name = "y";
     return outcome(check_append(c, rules::send_file(kConsumer, p))); },
   {"ok", "ok", "409 CLOSE", "409 LOCKED"}},
  {"sendEvent", [](const Conversation& c) {
     params::SendEvent p;
     p.name = "n";
     p.data = "{}";
     return outcome(check_append(c, rules::send_event(kConsumer, p))); },
   {"ok", "ok", "409 CLOSE", "409 LOCKED"}},
};
// clang-format on

TEST_CASE("contact-centre rules: every transition x state") {
  for (const StateRow& row : kStateTable) {
    for (Phase phase : {kOpen, kSurvey, kClose, kLocked}) {
      INFO(row.what, " in ", kPhaseNames[phase]);
      CHECK(row.run(phase_fixture(phase)) == row.expect[phase]);
    }
  }
}

}  // namespace
}  // namespace parley::rules_test
