// Who may do what: every method against every account role, as an active
// member and as an outsider; and every method against every conversation
// state. The exact events of the allowed cases are checked in the other
// rules_*.cpp files.
#include <array>

#include "rules_fixtures.hpp"

namespace parley::rules_test {
namespace {

using AR = AccountRole;
using PR = ParticipantRole;

// The caller "u" (of `role`; an ACTIVE member with its default participant
// role when `is_member`) in an OPEN conversation with an agent a0 and, unless
// u is the consumer itself, a consumer c0.
Conversation role_fixture(AR role, bool is_member) {
  std::vector<Member> ms{member("a0", PR::agent)};
  if (!(role == AR::consumer && is_member)) ms.push_back(member("c0", PR::consumer));
  if (is_member) ms.push_back(member("u", default_participant_role(role)));
  return conv(ConvState::open, std::move(ms));
}

struct RoleRow {
  AR role;
  bool is_member;
  // create (with a participant), update, remove, join, leave, edit own
  // message, edit another's, delete own, delete another's, markRead, read.
  std::array<const char*, 11> expect;
};

// clang-format off
const RoleRow kRoleTable[] = {
  //                     create       update       remove         join        leave  edit own      edit other    del own       del other      markRead      may_read
  {AR::consumer, true,  {"403 agent", "ok",        "403 manager", "noop",     "ok",  "ok",         "403 author", "ok",         "403 manager", "ok",         "ok"}},
  {AR::consumer, false, {"403 agent", "403 agent", "403 manager", "409 OPEN", "404", "403 member", "403 member", "403 member", "403 member",  "403 member", "403 member"}},
  {AR::agent,    true,  {"ok",        "ok",        "403 manager", "noop",     "ok",  "ok",         "403 author", "ok",         "403 manager", "ok",         "ok"}},
  {AR::agent,    false, {"ok",        "ok",        "403 manager", "ok",       "404", "ok",         "403 author", "ok",         "403 manager", "403 member", "ok"}},
  {AR::manager,  true,  {"ok",        "ok",        "ok",          "noop",     "ok",  "ok",         "403 author", "ok",         "ok",          "ok",         "ok"}},
  {AR::manager,  false, {"ok",        "ok",        "ok",          "ok",       "404", "ok",         "403 author", "ok",         "ok",          "403 member", "ok"}},
  {AR::bot,      true,  {"ok",        "ok",        "403 manager", "noop",     "ok",  "ok",         "403 author", "ok",         "403 manager", "ok",         "ok"}},
  {AR::bot,      false, {"ok",        "403 agent", "403 manager", "ok",       "404", "403 member", "403 member", "403 member", "403 member",  "403 member", "403 member"}},
  {AR::admin,    true,  {"ok",        "ok",        "ok",          "noop",     "ok",  "ok",         "403 author", "ok",         "ok",          "ok",         "ok"}},
  {AR::admin,    false, {"ok",        "ok",        "ok",          "ok",       "404", "ok",         "403 author", "ok",         "ok",          "403 member", "ok"}},
};
// clang-format on

TEST_CASE("rules: every method x account role x membership") {
  const Limits limits;
  for (const RoleRow& row : kRoleTable) {
    INFO("account role ", to_string(row.role), (row.is_member ? ", member" : ", outsider"));
    const Conversation c = role_fixture(row.role, row.is_member);
    const Identity who = ident("u", row.role);
    const Event own = event(5, "u");
    const Event other = event(6, "a0");

    params::CreateConversation create_p;
    create_p.participants.push_back({"p1", PR::agent});
    params::UpdateConversation update_p;
    update_p.name = std::optional<std::string>("renamed");

    const std::array<std::string, 11> got{
        outcome(rules::create(who, create_p, "new-1", kNow, limits)),
        outcome(rules::update(c, who, update_p, kNow, limits)),
        outcome(rules::remove(c, who, kNow)),
        outcome(rules::join(c, who, std::nullopt, kNow, limits)),
        outcome(rules::leave(c, who, kNow)),
        outcome(rules::edit_message(c, who, own, "new text", kNow)),
        outcome(rules::edit_message(c, who, other, "new text", kNow)),
        outcome(rules::delete_message(c, who, own, kNow)),
        outcome(rules::delete_message(c, who, other, kNow)),
        outcome(rules::mark_read(c, who, other, false)),
        outcome(rules::may_read(c, who)),
    };
    static constexpr const char* kColumns[] = {
        "create",     "update",     "remove",       "join",     "leave",   "edit own",
        "edit other", "delete own", "delete other", "markRead", "may_read"};
    for (size_t i = 0; i < got.size(); ++i) {
      INFO("method: ", kColumns[i]);
      CHECK(got[i] == row.expect[i]);
    }
  }
}

// The conversation in `state`: consumer c0, agent a0, manager m0.
Conversation state_fixture(ConvState state) {
  return conv(state,
              {member("c0", PR::consumer), member("a0", PR::agent), member("m0", PR::manager)});
}

struct StateRow {
  const char* what;
  std::string (*run)(ConvState);
  std::array<const char*, 3> expect;  // OPEN, CLOSE, LOCKED
};

std::string update_by_manager(ConvState s) {
  params::UpdateConversation p;
  p.name = std::optional<std::string>("renamed");
  return outcome(rules::update(state_fixture(s), ident("m0", AR::manager), p, kNow, Limits{}));
}
std::string remove_by_manager(ConvState s) {
  return outcome(rules::remove(state_fixture(s), ident("m0", AR::manager), kNow));
}
std::string join_new_agent(ConvState s) {
  return outcome(
      rules::join(state_fixture(s), ident("a9", AR::agent), std::nullopt, kNow, Limits{}));
}
std::string join_new_consumer(ConvState s) {
  // No consumer yet: an agent-created conversation waiting for one.
  Conversation c = conv(s, {member("a0", PR::agent)});
  return outcome(rules::join(c, ident("c9", AR::consumer), std::nullopt, kNow, Limits{}));
}
std::string join_second_consumer(ConvState s) {
  return outcome(
      rules::join(state_fixture(s), ident("c9", AR::consumer), std::nullopt, kNow, Limits{}));
}
std::string join_active_member(ConvState s) {
  return outcome(
      rules::join(state_fixture(s), ident("a0", AR::agent), std::nullopt, kNow, Limits{}));
}
std::string leave_agent(ConvState s) {
  return outcome(rules::leave(state_fixture(s), ident("a0", AR::agent), kNow));
}
std::string edit_own(ConvState s) {
  return outcome(
      rules::edit_message(state_fixture(s), ident("c0", AR::consumer), event(4, "c0"), "x", kNow));
}
std::string edit_not_a_message(ConvState s) {
  Event joined = event(2, "c0", "member.joined", R"({"userId":"c0"})");
  return outcome(
      rules::edit_message(state_fixture(s), ident("c0", AR::consumer), joined, "x", kNow));
}
std::string delete_by_manager(ConvState s) {
  return outcome(
      rules::delete_message(state_fixture(s), ident("m0", AR::manager), event(4, "c0"), kNow));
}
std::string mark_read_consumer(ConvState s) {
  return outcome(
      rules::mark_read(state_fixture(s), ident("c0", AR::consumer), event(4, "a0"), false));
}
std::string read_consumer(ConvState s) {
  return outcome(rules::may_read(state_fixture(s), ident("c0", AR::consumer)));
}

// clang-format off
const StateRow kStateTable[] = {
  //                                             OPEN        CLOSE        LOCKED
  {"update",                 update_by_manager,    {"ok",       "ok",        "409 LOCKED"}},
  {"remove",                 remove_by_manager,    {"ok",       "ok",        "ok"}},
  {"join (agent)",           join_new_agent,       {"ok",       "ok",        "409 LOCKED"}},
  {"join (consumer)",        join_new_consumer,    {"ok",       "409 CLOSE", "409 LOCKED"}},
  {"join (second consumer)", join_second_consumer, {"409 OPEN", "409 CLOSE", "409 LOCKED"}},
  {"join (already active)",  join_active_member,   {"noop",     "noop",      "noop"}},
  {"leave",                  leave_agent,          {"ok",       "ok",        "409 LOCKED"}},
  {"edit",                   edit_own,             {"ok",       "ok",        "409 LOCKED"}},
  {"edit (not a message)",   edit_not_a_message,   {"409 OPEN", "409 CLOSE", "409 LOCKED"}},
  {"delete",                 delete_by_manager,    {"ok",       "ok",        "409 LOCKED"}},
  {"markRead",               mark_read_consumer,   {"ok",       "ok",        "ok"}},
  {"may_read",               read_consumer,        {"ok",       "ok",        "ok"}},
};
// clang-format on

TEST_CASE("rules: every method x conversation state") {
  for (const StateRow& row : kStateTable) {
    for (ConvState s : {ConvState::open, ConvState::close, ConvState::locked}) {
      INFO(row.what, " in ", to_string(s));
      CHECK(row.run(s) == row.expect[static_cast<size_t>(s)]);
    }
  }
}

TEST_CASE("rules: a state conflict names the state in message and data") {
  auto r = rules::leave(state_fixture(ConvState::locked), ident("a0", AR::agent), kNow);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == 409);
  CHECK(r.error().message == "conversation is LOCKED");
  CHECK(r.error().data == R"({"state":"LOCKED"})");

  auto j = rules::join(state_fixture(ConvState::close), ident("c9", AR::consumer), std::nullopt,
                       kNow, Limits{});
  REQUIRE_FALSE(j);
  CHECK(j.error().message == "conversation is CLOSE");
  CHECK(j.error().data == R"({"state":"CLOSE"})");
}

}  // namespace
}  // namespace parley::rules_test
