// Every message kind built the same way; private, rich, file and custom
// events; notes; CSAT; TTR and the manual ETTR: the exact events, records
// and errors.
#include <functional>

#include "rules_fixtures.hpp"

namespace parley::rules_test {
namespace {

using AR = AccountRole;
using PR = ParticipantRole;

uint32_t mask(std::initializer_list<PR> roles) {
  uint32_t m = 0;
  for (PR r : roles) m |= 1u << static_cast<unsigned>(r);
  return m;
}

Conversation content_fixture() {
  return conv(ConvState::open, {member("c0", PR::consumer), member("a0", PR::agent),
                                member("r0", PR::reader), member("b0", PR::bot)});
}

// One row per appended kind, all sent by agent a0 with clientMessageId
// "m-1" where the method takes one: the append's shape but for the body.
struct KindRow {
  const char* method;
  std::function<AppendRequest(const Identity&)> build;
  const char* type;
  Visibility visibility;
  uint32_t sender_roles;
  bool mark_read;
  const char* cmid;
};

std::vector<KindRow> kind_table() {
  const uint32_t writers =
      mask({PR::consumer, PR::assigned_agent, PR::agent, PR::manager, PR::bot});
  const uint32_t agent_writers = mask({PR::assigned_agent, PR::agent, PR::manager, PR::bot});
  params::SendMessage text;
  text.text = "t";
  text.client_message_id = "m-1";
  params::SendRichContent rich;
  rich.content = "{}";
  rich.client_message_id = "m-1";
  params::SendFile file;
  file.url = "https://x/y";
  file.name = "y";
  file.client_message_id = "m-1";
  params::SendEvent event;
  event.name = "n";
  event.data = "1";
  params::SendEvent private_event = event;
  private_event.visibility = Visibility::agents;
  using W = const Identity&;
  // clang-format off
  return {
    {"sendMessage",        [=](W w) { return rules::send_message(w, text); },         "message",         Visibility::all,    writers,       true,  "m-1"},
    {"sendPrivateMessage", [=](W w) { return rules::send_private_message(w, text); }, "message.private", Visibility::agents, agent_writers, true,  "m-1"},
    {"sendRichContent",    [=](W w) { return rules::send_rich_content(w, rich); },    "message.rich",    Visibility::all,    writers,       true,  "m-1"},
    {"sendFile",           [=](W w) { return rules::send_file(w, file); },            "message.file",    Visibility::all,    writers,       true,  "m-1"},
    {"sendEvent all",      [=](W w) { return rules::send_event(w, event); },          "custom",          Visibility::all,    writers,       false, ""},
    {"sendEvent agents",   [=](W w) { return rules::send_event(w, private_event); },  "custom",          Visibility::agents, agent_writers, false, ""},
  };
  // clang-format on
}

TEST_CASE("every message kind, sendMessage included, is built the same way") {
  const Identity who = ident("a0", AR::agent);
  for (const KindRow& row : kind_table()) {
    INFO("method: ", row.method);
    const AppendRequest req = row.build(who);
    CHECK(req.event.type == row.type);
    CHECK(req.event.visibility == row.visibility);
    CHECK(req.event.from_user == "a0");
    CHECK(req.event.from_role == "AGENT");  // the account's default seat; the engine labels it
    CHECK(req.event.dialog_id == "MAIN");
    CHECK(req.event.client_message_id == row.cmid);
    CHECK(req.sender_roles == row.sender_roles);
    CHECK(req.require_open);
    CHECK(req.mark_read == row.mark_read);
  }
}

TEST_CASE("sendPrivateMessage: agents-only, from the agent side's writing seats") {
  params::SendMessage p;
  p.text = "psst";
  p.metadata = R"({"k":1})";
  p.mentions = R"(["a1"])";
  p.client_message_id = "m-1";
  auto req = rules::send_private_message(ident("a0", AR::agent), p);
  CHECK(
      line(req.event) ==
      R"(message.private a0/AGENT agents MAIN cmid=m-1 {"text":"psst","metadata":{"k":1},"mentions":["a1"]})");
  CHECK(req.sender_roles == mask({PR::assigned_agent, PR::agent, PR::manager, PR::bot}));
  CHECK(req.require_open);
  CHECK(req.mark_read);
}

TEST_CASE("sendRichContent, sendFile: consumer-visible messages") {
  params::SendRichContent rich;
  rich.content = R"({"type":"card","title":"Hi"})";
  rich.quick_replies = R"([{"title":"yes"}])";
  auto r = rules::send_rich_content(ident("b0", AR::bot), rich);
  CHECK(
      line(r.event) ==
      R"(message.rich b0/BOT all MAIN {"content":{"type":"card","title":"Hi"},"quickReplies":[{"title":"yes"}]})");
  const uint32_t writers =
      mask({PR::consumer, PR::assigned_agent, PR::agent, PR::manager, PR::bot});
  CHECK(r.sender_roles == writers);

  params::SendFile f;
  f.url = "https://files/x.pdf";
  f.name = "x.pdf";
  f.mime_type = "application/pdf";
  f.size = 1234;
  f.caption = "the invoice";
  auto file = rules::send_file(ident("c0", AR::consumer), f);
  CHECK(line(file.event) ==
        R"(message.file c0/CONSUMER all MAIN {"url":"https://files/x.pdf","name":"x.pdf",)"
        R"("mimeType":"application/pdf","size":1234,"caption":"the invoice"})");
  CHECK(file.sender_roles == writers);
  CHECK(file.mark_read);
}

TEST_CASE("sendEvent: custom {name, data}; agents-only ones from agent seats; not a message") {
  params::SendEvent p;
  p.name = "cobrowse";
  p.data = R"({"on":true})";
  auto all = rules::send_event(ident("c0", AR::consumer), p);
  CHECK(line(all.event) == R"(custom c0/CONSUMER all MAIN {"name":"cobrowse","data":{"on":true}})");
  CHECK_FALSE(all.mark_read);
  CHECK(outcome(check_append(content_fixture(), all)) == "ok");
  p.visibility = Visibility::agents;
  auto agents = rules::send_event(ident("c0", AR::consumer), p);
  CHECK(agents.event.visibility == Visibility::agents);
  CHECK(outcome(check_append(content_fixture(), agents)) == "403 role");
  CHECK(outcome(check_append(content_fixture(), rules::send_event(ident("b0", AR::bot), p))) ==
        "ok");
}

TEST_CASE("setNote: note.added for the agent side; the conversation counts its bytes") {
  params::SetNote p;
  p.text = "called back";
  p.is_auto_summary = true;
  auto r =
      rules::set_note(content_fixture(), ident("a0", AR::agent, "Al"), p, "n-1", kNow, Limits{});
  REQUIRE(r);
  CHECK(r->next.notes_count == 1);
  CHECK(r->next.notes_bytes == 11);
  CHECK(lines(r->events) ==
        expect_lines(
            {R"(note.added a0/AGENT agents MAIN {"noteId":"n-1","agentId":"a0",)"
             R"("name":"Al","text":"called back","isAutoSummary":true,"truncated":false})"}));
  // Allowed in CLOSE, refused in LOCKED.
  Conversation closed = content_fixture();
  closed.state = ConvState::close;
  CHECK(outcome(rules::set_note(closed, ident("a0", AR::agent), p, "n", kNow, Limits{})) == "ok");
  closed.state = ConvState::locked;
  CHECK(outcome(rules::set_note(closed, ident("a0", AR::agent), p, "n", kNow, Limits{})) ==
        "409 LOCKED");
}

TEST_CASE("setNote: over note_chars truncated (in code points), or 413; over notes_bytes 409") {
  Limits limits;
  limits.note_chars = 3;
  limits.notes_bytes = 10;
  params::SetNote p;
  p.text = "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9";  // "éééé": 4 code points, 8 bytes
  auto r = rules::set_note(content_fixture(), ident("a0", AR::agent), p, "n", kNow, limits);
  REQUIRE(r);
  CHECK(r->next.notes_bytes == 6);
  CHECK(r->events[0].body.find(R"("text":"ééé")") != std::string::npos);
  CHECK(r->events[0].body.find(R"("truncated":true)") != std::string::npos);
  CHECK(rules::clip_note(p.text, 3).text == "ééé");

  p.truncate = false;
  auto refused = rules::set_note(content_fixture(), ident("a0", AR::agent), p, "n", kNow, limits);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == 413);
  CHECK(refused.error().data == R"({"field":"text","limit":3})");

  // 6 bytes stored; 6 more would pass 10.
  p.truncate = true;
  auto full = rules::set_note(r->next, ident("a0", AR::agent), p, "n", kNow, limits);
  REQUIRE_FALSE(full);
  CHECK(full.error().code == 409);
  CHECK(full.error().message == "no room left to add agent note");
  p.text = "abcd";  // 4 more: exactly 10
  CHECK(outcome(rules::set_note(r->next, ident("a0", AR::agent), p, "n", kNow, limits)) == "ok");
}

TEST_CASE("setCsat: csat.set for everyone; a finished survey closes the post-survey") {
  Conversation c = content_fixture();
  c.post_survey = true;
  auto closing = rules::close(c, ident("a0", AR::agent), std::nullopt, kNow);
  REQUIRE(closing);
  auto r = rules::set_csat(closing->next, ident("c0", AR::consumer), {"conv-1", 4, true, "FILLED"},
                           kNow + 5);
  REQUIRE(r);
  REQUIRE(r->next.csat);
  CHECK(*r->next.csat == Csat{4, true, "FILLED", kNow + 5});
  CHECK(r->next.state == ConvState::close);
  CHECK(
      lines(r->events) ==
      expect_lines({
          R"(csat.set c0/CONSUMER all POST_SURVEY {"csatRate":4,"csatResolutionConfirmation":true,"csatStatus":"FILLED"})",
          R"(dialog.closed c0/CONSUMER all POST_SURVEY {"dialogId":"POST_SURVEY","type":"POST_SURVEY"})",
          R"(state.changed c0/CONSUMER all POST_SURVEY {"from":"OPEN","to":"CLOSE"})",
      }));
  CHECK(outcome(rules::set_csat(r->next, ident("c0", AR::consumer), {"conv-1", 4, true, "FILLED"},
                                kNow)) == "noop");
  // Changing the answer while CLOSE is allowed.
  auto changed =
      rules::set_csat(r->next, ident("c0", AR::consumer), {"conv-1", 2, false, "FILLED"}, kNow + 9);
  REQUIRE(changed);
  CHECK(changed->events.size() == 1);
}

TEST_CASE("setTtr: the type's seconds, CUSTOM's own; the consumer may ask NORMAL or URGENT") {
  Conversation c = content_fixture();
  c.created_at = 1'000'000;
  TtrSeconds ttr;
  ttr.urgent = 60;
  auto r = rules::set_ttr(c, ident("c0", AR::consumer), {"conv-1", "URGENT", {}}, kNow, ttr);
  REQUIRE(r);
  CHECK(r->next.ttr_type == "URGENT");
  CHECK(lines(r->events) ==
        expect_lines({R"(ttr.changed c0/CONSUMER all MAIN {"ttrType":"URGENT","ttrValue":60,)"
                      R"("ttrEffective":1060000})"}));
  CHECK(outcome(rules::set_ttr(c, ident("c0", AR::consumer), {"conv-1", "CUSTOM", 5}, kNow, ttr)) ==
        "403 agent");
  // From the consumer's last message once there is one.
  c.last_consumer_message_at = 2'000'000;
  auto custom = rules::set_ttr(c, ident("a0", AR::agent), {"conv-1", "CUSTOM", 90}, kNow, ttr);
  REQUIRE(custom);
  CHECK(custom->next.ttr_value == 90);
  CHECK(custom->events[0].body == R"({"ttrType":"CUSTOM","ttrValue":90,"ttrEffective":2090000})");
  CHECK(outcome(rules::set_ttr(custom->next, ident("a0", AR::agent), {"conv-1", "CUSTOM", 90}, kNow,
                               ttr)) == "noop");
  // Back to NORMAL: the custom value goes.
  auto normal =
      rules::set_ttr(custom->next, ident("a0", AR::agent), {"conv-1", "NORMAL", {}}, kNow, ttr);
  REQUIRE(normal);
  CHECK_FALSE(normal->next.ttr_value);
}

TEST_CASE("setManualEttr: the agent side's deadline wins over the type's; null clears") {
  Conversation c = content_fixture();
  c.created_at = 1'000'000;
  auto r = rules::set_manual_ettr(c, ident("a0", AR::agent), 5'000'000, kNow, {});
  REQUIRE(r);
  CHECK(r->next.ttr_manual == 5'000'000);
  CHECK(r->next.ttr_effective({}) == 5'000'000);
  CHECK(lines(r->events) ==
        expect_lines({R"(ettr.changed a0/AGENT agents MAIN {"ttrEffectiveManual":5000000,)"
                      R"("ttrEffective":5000000})"}));
  auto cleared = rules::set_manual_ettr(r->next, ident("a0", AR::agent), std::nullopt, kNow, {});
  REQUIRE(cleared);
  CHECK(cleared->events[0].body == R"({"ttrEffectiveManual":null,"ttrEffective":4600000})");
  CHECK(outcome(rules::set_manual_ettr(c, ident("a0", AR::agent), std::nullopt, kNow, {})) ==
        "noop");
  CHECK(outcome(rules::set_manual_ettr(c, ident("c0", AR::consumer), 1, kNow, {})) == "403 agent");
}

}  // namespace
}  // namespace parley::rules_test
