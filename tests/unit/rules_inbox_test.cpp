// Tables for the listing rules (rules_inbox.hpp): the filter with its read
// rules, the words of a search, and what an inbox subscription pushes.
#include <doctest/doctest.h>

#include <functional>

#include "rules_fixtures.hpp"
#include "dialog/inbox.hpp"

using namespace parley;
using namespace parley::rules_test;

namespace {

Conversation sample() {
  Conversation c = conv(ConvState::open, {member("c1", ParticipantRole::consumer),
                                          member("a1", ParticipantRole::assigned_agent),
                                          member("a2", ParticipantRole::agent, MemberState::left)});
  c.skill_id = "billing";
  c.status = "pending";
  c.updated_at = 5000;
  return c;
}

params::ListFilter filter(std::function<void(params::ListFilter&)> set) {
  params::ListFilter f;
  set(f);
  return f;
}

}  // namespace

TEST_CASE("matches_filter: read rules and each filter field") {
  const Conversation c = sample();
  const Identity consumer = ident("c1", AccountRole::consumer);
  const Identity stranger = ident("c9", AccountRole::consumer);
  const Identity agent = ident("a1", AccountRole::agent);
  const Identity other_agent = ident("a3", AccountRole::agent);
  const Identity left_agent = ident("a2", AccountRole::agent);
  struct Row {
    const char* what;
    Identity who;
    params::ListFilter f;
    bool listed;
  };
  const Row rows[] = {
      {"a member consumer", consumer, {}, true},
      {"another consumer", stranger, {}, false},
      {"any agent of the tenant", other_agent, {}, true},
      {"memberOf me, not a member", other_agent, filter([](auto& f) { f.member_of_me = true; }),
       false},
      {"memberOf me, left", left_agent, filter([](auto& f) { f.member_of_me = true; }), false},
      {"memberOf me, active", agent, filter([](auto& f) { f.member_of_me = true; }), true},
      {"state OPEN", agent, filter([](auto& f) { f.state = ConvState::open; }), true},
      {"state CLOSE", agent, filter([](auto& f) { f.state = ConvState::close; }), false},
      {"status pending", agent, filter([](auto& f) { f.status = "pending"; }), true},
      {"status open", agent, filter([](auto& f) { f.status = "open"; }), false},
      {"skill billing", agent, filter([](auto& f) { f.skill_id = "billing"; }), true},
      {"skill sales", agent, filter([](auto& f) { f.skill_id = "sales"; }), false},
      {"channel web", agent, filter([](auto& f) { f.channel = "web"; }), true},
      {"channel sms", agent, filter([](auto& f) { f.channel = "sms"; }), false},
      {"assignedTo me", agent, filter([](auto& f) { f.assigned_to = "me"; }), true},
      {"assignedTo me, someone else's", other_agent,
       filter([](auto& f) { f.assigned_to = "me"; }), false},
      {"assignedTo a1", other_agent, filter([](auto& f) { f.assigned_to = "a1"; }), true},
      {"assignedTo none", agent, filter([](auto& f) { f.assigned_to = "none"; }), false},
      {"since before", agent, filter([](auto& f) { f.since = 4000; }), true},
      {"since after", agent, filter([](auto& f) { f.since = 6000; }), false},
      {"until before", agent, filter([](auto& f) { f.until = 4000; }), false},
      {"consumer, skill billing (agents-only)", consumer,
       filter([](auto& f) { f.skill_id = "billing"; }), false},
      {"consumer, state OPEN", consumer, filter([](auto& f) { f.state = ConvState::open; }), true},
      {"stranger, state OPEN", stranger, filter([](auto& f) { f.state = ConvState::open; }),
       false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    CHECK(rules::matches_filter(c, r.f, r.who) == r.listed);
  }
  Conversation unassigned = sample();
  unassigned.members[1].state = MemberState::left;
  CHECK(rules::matches_filter(unassigned, filter([](auto& f) { f.assigned_to = "none"; }), agent));
}

TEST_CASE("search_terms and strike_terms") {
  using V = std::vector<std::string>;
  CHECK(rules::search_terms("") == V{});
  CHECK(rules::search_terms(" \t\n ") == V{});
  CHECK(rules::search_terms("Refund") == V{"refund"});
  CHECK(rules::search_terms("  REFUND   order\tRefund ") == V{"refund", "order"});
  // ASCII folding only: other bytes compare as they are.
  CHECK(rules::search_terms("ÉTÉ Été") == V{"ÉtÉ", "Été"});
  CHECK(rules::fold_ascii("ÉTÉ") == "ÉtÉ");

  V terms{"refund", "order"};
  CHECK_FALSE(rules::strike_terms(terms, "Where is my ORDER?"));
  CHECK(terms == V{"refund"});
  CHECK_FALSE(rules::strike_terms(terms, ""));
  CHECK(rules::strike_terms(terms, "a REFUNDED parcel"));
  CHECK(terms.empty());
  CHECK(rules::strike_terms(terms, "anything"));
}

TEST_CASE("body_text reads a message body's text") {
  CHECK(rules::body_text(R"({"text":"hello there","metadata":{}})") == "hello there");
  CHECK(rules::body_text(R"({"metadata":{"text":"not this"}})").empty());
  CHECK(rules::body_text(R"({"redacted":true})").empty());
  CHECK(rules::body_text("not json").empty());
  CHECK(rules::body_text(R"({"text":7})").empty());
}

TEST_CASE("inbox_change: what a subscription pushes") {
  using rules::InboxChange;
  using rules::InboxSeen;
  struct Row {
    const char* what;
    std::optional<uint64_t> reported;
    InboxSeen seen;
    InboxChange change;
  };
  const Row rows[] = {
      {"new and matching", std::nullopt, {true, true, 3}, InboxChange::upsert},
      {"new, not matching", std::nullopt, {true, false, 3}, InboxChange::none},
      {"erased, never reported", std::nullopt, {false, false, 0}, InboxChange::none},
      {"reported, newer, matching", 3, {true, true, 4}, InboxChange::upsert},
      {"reported, same version", 3, {true, true, 3}, InboxChange::none},
      {"reported, an older read", 5, {true, false, 4}, InboxChange::none},
      {"reported, newer, stopped matching", 3, {true, false, 4}, InboxChange::remove},
      {"reported, erased", 3, {false, false, 0}, InboxChange::remove},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    CHECK(rules::inbox_change(r.reported, r.seen) == r.change);
  }
}
