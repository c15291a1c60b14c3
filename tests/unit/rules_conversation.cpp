// createConversation, updateConversation, deleteConversation: the exact
// records and events of the allowed cases, the noops and the errors.
#include "rules_fixtures.hpp"

namespace parley::rules_test {
namespace {

using AR = AccountRole;
using PR = ParticipantRole;

// The record create() should produce before any field is set.
Conversation fresh(const std::string& id) {
  Conversation c;
  c.tenant = "t1";
  c.id = id;
  c.dialogs.push_back(Dialog{"MAIN", "MAIN", true, kNow, 0, {}});
  c.created_at = kNow;
  c.updated_at = kNow;
  return c;
}

Member joined_now(std::string user, std::string name, PR role) {
  Member m = member(std::move(user), role);
  m.name = std::move(name);
  m.joined_at = kNow;
  return m;
}

params::Participant participant(std::string user, PR role) { return {std::move(user), role}; }

TEST_CASE("create: a consumer's conversation with every default") {
  auto r = rules::create(ident("c1", AR::consumer, "Ann"), {}, "new-1", kNow, Limits{});
  REQUIRE(r);
  Conversation want = fresh("new-1");
  want.members.push_back(joined_now("c1", "Ann", PR::consumer));
  CHECK(dump(r->record) == dump(want));
  CHECK(lines(r->events) ==
        expect_lines({
            R"(conversation.created c1/CONSUMER all MAIN {"name":null,"displayName":null,)"
            R"("imageUrl":null,"externalId":null,"channel":"web","campaignId":null,)"
            R"("skillId":null,"metadata":{},"ttl":null})",
            R"(member.joined c1/CONSUMER all MAIN {"userId":"c1","role":"CONSUMER",)"
            R"("previouslySuggested":false})",
        }));
  CHECK(r->idempotency_key.empty());
}

TEST_CASE("create: an agent's conversation with every field and participants") {
  params::CreateConversation p;
  p.name = "office \"A\"";
  p.display_name = "Office";
  p.image_url = "https://img/x.png";
  p.external_id = "ext-9";
  p.channel = "sms";
  p.campaign_id = "camp";
  p.skill_id = "billing";
  p.metadata = R"({"k":[1,2]})";
  p.ttl = 3600;
  p.post_survey = true;
  p.participants = {participant("c1", PR::consumer), participant("b1", PR::bot)};
  p.client_request_id = "req-1";

  auto r = rules::create(ident("a1", AR::agent, "Bob"), p, "new-2", kNow, Limits{});
  REQUIRE(r);
  Conversation want = fresh("new-2");
  want.name = "office \"A\"";
  want.display_name = "Office";
  want.image_url = "https://img/x.png";
  want.external_id = "ext-9";
  want.channel = "sms";
  want.campaign_id = "camp";
  want.skill_id = "billing";
  want.metadata = R"({"k":[1,2]})";
  want.ttl = 3600;
  want.post_survey = true;
  want.members = {joined_now("a1", "Bob", PR::agent), joined_now("c1", "", PR::consumer),
                  joined_now("b1", "", PR::bot)};
  CHECK(dump(r->record) == dump(want));
  CHECK(lines(r->events) ==
        expect_lines({
            R"(conversation.created a1/AGENT all MAIN {"name":"office \"A\"","displayName":)"
            R"("Office","imageUrl":"https://img/x.png","externalId":"ext-9","channel":"sms",)"
            R"("campaignId":"camp","skillId":"billing","metadata":{"k":[1,2]},"ttl":3600})",
            R"(member.joined a1/AGENT all MAIN {"userId":"a1","role":"AGENT",)"
            R"("previouslySuggested":false})",
            R"(member.joined a1/AGENT all MAIN {"userId":"c1","role":"CONSUMER",)"
            R"("previouslySuggested":false})",
            R"(member.joined a1/AGENT all MAIN {"userId":"b1","role":"BOT",)"
            R"("previouslySuggested":false})",
        }));
  CHECK(r->idempotency_key == std::string("a1\x1freq-1"));
}

TEST_CASE("create: the caller joins with its account's default role") {
  struct Row {
    AR account;
    const char* role;
  };
  for (Row row : {Row{AR::consumer, "CONSUMER"}, Row{AR::agent, "AGENT"},
                  Row{AR::manager, "MANAGER"}, Row{AR::bot, "BOT"}, Row{AR::admin, "MANAGER"}}) {
    INFO(to_string(row.account));
    auto r = rules::create(ident("u", row.account), {}, "n", kNow, Limits{});
    REQUIRE(r);
    REQUIRE(r->record.members.size() == 1);
    CHECK(to_string(r->record.members[0].role) == row.role);
    CHECK(r->events[0].from_role == row.role);
    CHECK(r->record.tenant == "t1");
  }
}

TEST_CASE("create: refused participant lists") {
  const Identity agent = ident("a1", AR::agent);
  auto with = [&](std::vector<params::Participant> list, Limits limits = {}) {
    params::CreateConversation p;
    p.participants = std::move(list);
    return outcome(rules::create(agent, p, "n", kNow, limits));
  };
  CHECK(with({participant("a1", PR::reader)}) == "-32602 participants");
  CHECK(with({participant("x", PR::agent), participant("x", PR::reader)}) == "-32602 participants");
  CHECK(with({participant("c1", PR::consumer), participant("c2", PR::consumer)}) == "409 OPEN");
  CHECK(with({participant("g1", PR::assigned_agent), participant("g2", PR::assigned_agent)}) ==
        "409 OPEN");
  CHECK(with({participant("c1", PR::consumer), participant("g1", PR::assigned_agent)}) == "ok");

  Limits two;
  two.members = 2;
  CHECK(with({participant("x", PR::agent)}, two) == "ok");
  CHECK(with({participant("x", PR::agent), participant("y", PR::agent)}, two) ==
        "413 participants");
  params::CreateConversation three;
  three.participants = {participant("x", PR::agent), participant("y", PR::agent)};
  auto r = rules::create(agent, three, "n", kNow, two);
  REQUIRE_FALSE(r);
  CHECK(r.error().data == R"({"field":"participants","limit":2})");

  // A consumer may not bring anyone, not even a valid participant.
  params::CreateConversation p;
  p.participants = {participant("a1", PR::agent)};
  auto c = rules::create(ident("c1", AR::consumer), p, "n", kNow, Limits{});
  REQUIRE_FALSE(c);
  CHECK(c.error().code == 403);
  CHECK(c.error().data == R"({"required":"agent"})");
}

// --- update ---------------------------------------------------------------

Conversation update_fixture() {
  Conversation c =
      conv(ConvState::open, {member("c0", PR::consumer), member("a0", PR::agent),
                             member("g0", PR::assigned_agent), member("r0", PR::reader)});
  c.display_name = "Office";
  c.ttl = 60;
  return c;
}

Result<Decision> update_as(const Identity& who, const params::UpdateConversation& p,
                           Limits limits = {}) {
  return rules::update(update_fixture(), who, p, kNow, limits);
}

using Text = std::optional<std::string>;

TEST_CASE("update: each field alone, and the record after it") {
  struct Row {
    const char* what;
    void (*set)(params::UpdateConversation&);
    const char* changes;
    void (*apply)(Conversation&);
  };
  using P = params::UpdateConversation;
  const Row rows[] = {
      {"name", [](P& p) { p.name = Text("new"); }, R"({"name":"new"})",
       [](Conversation& c) { c.name = "new"; }},
      {"name cleared", [](P& p) { p.name = Text(); }, R"({"name":null})",
       [](Conversation& c) { c.name.reset(); }},
      {"displayName cleared", [](P& p) { p.display_name = Text(); }, R"({"displayName":null})",
       [](Conversation& c) { c.display_name.reset(); }},
      {"imageUrl", [](P& p) { p.image_url = Text("u"); }, R"({"imageUrl":"u"})",
       [](Conversation& c) { c.image_url = "u"; }},
      {"metadata", [](P& p) { p.metadata = R"({"b":2})"; }, R"({"metadata":{"b":2}})",
       [](Conversation& c) { c.metadata = R"({"b":2})"; }},
      {"ttl", [](P& p) { p.ttl = std::optional<int64_t>(90); }, R"({"ttl":90})",
       [](Conversation& c) { c.ttl = 90; }},
      {"ttl cleared", [](P& p) { p.ttl = std::optional<int64_t>(); }, R"({"ttl":null})",
       [](Conversation& c) { c.ttl.reset(); }},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    params::UpdateConversation p;
    row.set(p);
    auto r = update_as(ident("a0", AR::agent), p);
    REQUIRE(r);
    CHECK_FALSE(r->noop);
    CHECK_FALSE(r->erase);
    Conversation want = update_fixture();
    row.apply(want);
    want.updated_at = kNow;
    CHECK(dump(r->next) == dump(want));
    CHECK(lines(r->events) == expect_lines({std::string("conversation.updated a0/AGENT all MAIN ") +
                                            R"({"changes":)" + row.changes + "}"}));
  }
}

TEST_CASE("update: several fields, in a fixed order, only the changed ones") {
  params::UpdateConversation p;
  p.ttl = std::optional<int64_t>();
  p.metadata = R"({"a":1})";  // the same as now: not a change
  p.display_name = Text("Office");
  p.name = Text("n2");
  p.image_url = Text("i");
  auto r = update_as(ident("m9", AR::manager), p);
  REQUIRE(r);
  CHECK(lines(r->events) ==
        expect_lines({R"(conversation.updated m9/MANAGER all MAIN {"changes":{"name":"n2",)"
                      R"("imageUrl":"i","ttl":null}})"}));
}

TEST_CASE("update: nothing changed is a noop with the record untouched") {
  params::UpdateConversation same;
  same.name = Text("office");
  same.display_name = Text("Office");
  same.image_url = Text();
  same.metadata = R"({"a":1})";
  same.ttl = std::optional<int64_t>(60);
  for (const auto& p : {params::UpdateConversation{}, same}) {
    auto r = update_as(ident("c0", AR::consumer), p);
    REQUIRE(r);
    CHECK(r->noop);
    CHECK(r->events.empty());
    CHECK(dump(r->next) == dump(update_fixture()));
  }
}

TEST_CASE("update: the event's from is the caller's role here, or its default") {
  params::UpdateConversation p;
  p.name = Text("x");
  auto from = [&](const Identity& who) {
    auto r = update_as(who, p);
    REQUIRE(r);
    return r->events.at(0).from_user + "/" + r->events.at(0).from_role;
  };
  CHECK(from(ident("c0", AR::consumer)) == "c0/CONSUMER");
  CHECK(from(ident("g0", AR::agent)) == "g0/ASSIGNED_AGENT");
  CHECK(from(ident("a7", AR::agent)) == "a7/AGENT");
  CHECK(from(ident("ad", AR::admin)) == "ad/MANAGER");
}

TEST_CASE("update: who may, beyond the role table") {
  params::UpdateConversation p;
  p.name = Text("x");
  // READER is read only: a bot seated as READER may not write...
  CHECK(outcome(update_as(ident("r0", AR::bot), p)) == "403 agent");
  // ...but an agent account may, whatever seat it holds.
  CHECK(outcome(update_as(ident("r0", AR::agent), p)) == "ok");
  // A consumer that left is no longer the conversation's consumer.
  Conversation c = update_fixture();
  c.member("c0")->state = MemberState::left;
  CHECK(outcome(rules::update(c, ident("c0", AR::consumer), p, kNow, Limits{})) == "403 agent");
}

TEST_CASE("update: metadata over the limit") {
  Limits small;
  small.metadata_bytes = 8;
  params::UpdateConversation p;
  p.metadata = R"({"b":22})";  // 8 bytes: at the limit
  CHECK(outcome(update_as(ident("a0", AR::agent), p, small)) == "ok");
  p.metadata = R"({"b":222})";
  auto r = update_as(ident("a0", AR::agent), p, small);
  REQUIRE_FALSE(r);
  CHECK(r.error().data == R"({"field":"metadata","limit":8})");
}

TEST_CASE("update: metadataPatch merges top-level keys, after any replacement") {
  struct Row {
    std::optional<std::string> metadata, patch;
    const char* expect;  // the changes, or "noop"
  };
  const Row rows[] = {
      {{}, R"({"b":2})", R"({"metadata":{"a":1,"b":2}})"},
      {{}, R"({"a":null})", R"({"metadata":{}})"},
      {{}, R"({"a":1})", "noop"},
      {R"({"x":0})", R"({"y":1})", R"({"metadata":{"x":0,"y":1}})"},
      {R"({"x":0})", R"({"x":null,"a":1})", "noop"},  // back where it was
  };
  for (const Row& row : rows) {
    INFO(row.metadata.value_or("-"), " + ", row.patch.value_or("-"));
    params::UpdateConversation p;
    p.metadata = row.metadata;
    p.metadata_patch = row.patch;
    auto r = update_as(ident("a0", AR::agent), p);
    REQUIRE(r);
    if (std::string_view(row.expect) == "noop") {
      CHECK(r->noop);
      continue;
    }
    REQUIRE(r->events.size() == 1);
    CHECK(r->events[0].body == std::string(R"({"changes":)") + row.expect + "}");
  }
  Limits small;
  small.metadata_bytes = 10;
  params::UpdateConversation p;
  p.metadata_patch = R"({"bb":2})";  // {"a":1,"bb":2}: 14 bytes
  CHECK(outcome(update_as(ident("a0", AR::agent), p, small)) == "413 metadata");
}

// --- remove ---------------------------------------------------------------

TEST_CASE("remove: conversation.deleted, then erase") {
  for (AR role : {AR::manager, AR::admin}) {
    auto r = rules::remove(update_fixture(), ident("boss", role), kNow);
    REQUIRE(r);
    CHECK(r->erase);
    CHECK_FALSE(r->noop);
    CHECK(lines(r->events) == expect_lines({"conversation.deleted boss/MANAGER all MAIN {}"}));
    Conversation want = update_fixture();
    want.updated_at = kNow;
    CHECK(dump(r->next) == dump(want));
  }
  auto denied = rules::remove(update_fixture(), ident("a0", AR::agent), kNow);
  REQUIRE_FALSE(denied);
  CHECK(denied.error().data == R"({"required":"manager"})");
}

}  // namespace
}  // namespace parley::rules_test
