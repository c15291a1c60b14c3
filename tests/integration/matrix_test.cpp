// The permission matrix (issue 12, §4), generated from the method table:
// every method the decoder knows (parley::known_methods()) must have a row
// below, or the test fails naming it. Each row gives valid sample params
// and the expected answer of every caller: the five account roles, each as
// a member of the conversation in its natural seat and as a non-member,
// in the conversation's three states, and the five roles of another
// tenant (404 for every method that names a conversation: PROTOCOL §2).
//
// After every call the leak check runs (matrix_support.hpp): the frames
// each principal receives are scanned, and the principals with a
// restricted view (consumer and bot accounts, and another tenant's)
// probe every read path of the conversation — getConversation (its
// lastMessage, unread, skillId, groupId, manual ETTR), queryMessages,
// listMembers, the replay of a subscribe from seq 0 and the live pushes
// that follow — and the tenant-wide ones: listConversations,
// searchConversations, queryMessages across conversations,
// countConversations (exact, against the model) and the inbox pushes.
//
// To re-derive a row (a new method, a changed rule): run with
// PARLEY_MATRIX_RECORD=1 and the observed rows are printed in the table's
// syntax; check each answer against PROTOCOL.md and docs/protocol.md
// before pasting it.
#include <request.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "matrix_driver.hpp"

using namespace parley::it;
using namespace parley::it::matrix;

namespace {

// Columns of the conversation rows, same tenant (member / non-member):
//   cm cx | am ax | mm mx | bm bx | dm dx      each: OPEN CLOSE LOCKED
// Columns of the other rows: the same ten, then another tenant's
//   gc ga gm gb gd (consumer, agent, manager, bot, admin).
// A line ending in "// <why>" records the broker's answer where the
// contract is silent; "// fixed:" marks a cell where the broker once gave
// an answer the contract forbids (docs/reliability.md, "Defects found").
const std::vector<Row>& table() {
  static const std::vector<Row> rows = {
      // ---- session, users, presence, listings (no conversation) ----
      {"authenticate", false, false,
       +[](const CellCtx& c) { return obj({{"token", mint_token(c.p.claims())}}); },
       "A A A A A A A A A A  A A A A A"},
      {"ping", false, false, +[](const CellCtx&) { return std::string("{}"); },
       "A A A A A A A A A A  A A A A A"},
      {"createConversation", false, true,
       +[](const CellCtx&) { return obj({{"displayName", "pubword created"}}); },
       "A A A A A A A A A A  A A A A A"},
      {"listConversations", false, false,
       +[](const CellCtx&) { return obj({{"limit", 100}}); },
       "A A A A A A A A A A  A A A A A"},
      {"countConversations", false, false, +[](const CellCtx&) { return std::string("{}"); },
       "A A A A A A A A A A  A A A A A"},
      {"searchConversations", false, false,
       +[](const CellCtx&) { return obj({{"q", "pubword"}}); },
       "A A A A A A A A A A  A A A A A"},
      {"subscribeInbox", false, false, +[](const CellCtx&) { return std::string("{}"); },
       "A A A A A A A A A A  A A A A A"},
      {"unsubscribeInbox", false, false,
       +[](const CellCtx&) { return obj({{"subscriptionId", "not-mine"}}); },
       "A A A A A A A A A A  A A A A A"},
      {"setPresence", false, false, +[](const CellCtx&) { return obj({{"status", "away"}}); },
       "A A A A A A A A A A  A A A A A"},
      {"getPresence", false, false,
       +[](const CellCtx&) { return obj({{"userIds", raw(R"(["cm"])")}}); },
       "A A A A A A A A A A  A A A A A"},
      {"upsertUser", false, false,
       +[](const CellCtx&) { return obj({{"userId", "cm"}, {"displayName", "Ann"}}); },
       "A 3 3 3 3 3 3 3 A A  A 3 3 3 A"},  // gc is user "cm" of globex: itself
      {"getUser", false, false, +[](const CellCtx&) { return obj({{"userId", "cm"}}); },
       "A A A A A A A A A A  A A A A A"},
      {"listUsers", false, false, +[](const CellCtx&) { return std::string("{}"); },
       "3 3 A A A A 3 3 A A  3 A A 3 A"},
      {"listUserConversations", false, false,
       +[](const CellCtx&) { return obj({{"userId", "cm"}}); },
       "A 3 A A A A 3 3 A A  A A A 3 A"},
      // Webhooks: admin only; no dead letter has that id (the broker runs no webhook).
      {"listWebhookDeadLetters", false, false, +[](const CellCtx&) { return std::string("{}"); },
       "3 3 3 3 3 3 3 3 A A  3 3 3 3 A"},
      {"replayWebhookDeadLetter", false, false,
       +[](const CellCtx&) { return obj({{"id", "whd_none"}}); },
       "3 3 3 3 3 3 3 3 4 4  3 3 3 3 4"},

      // ---- conversations ----
      //                 cm  cx  am  ax  mm  mx  bm  bx  dm  dx
      {"getConversation", true, false, +[](const CellCtx& c) { return cref(c); },
       "AAA 333 AAA AAA AAA AAA AAA 333 AAA AAA"},
      // The agent side's figures: agent-side accounts that may read it.
      {"getConversationStats", true, false, +[](const CellCtx& c) { return cref(c); },
       "333 333 AAA AAA AAA AAA AAA 333 AAA AAA"},
      {"updateConversation", true, true,
       +[](const CellCtx& c) { return cref(c, R"("displayName":"pubword renamed")"); },
       "AA9 333 AA9 AA9 AA9 AA9 AA9 333 AA9 AA9"},
      {"deleteConversation", true, true, +[](const CellCtx& c) { return cref(c); },
       "333 333 333 333 AAA AAA 333 333 AAA AAA"},
      {"archiveConversation", true, false,
       +[](const CellCtx& c) { return cref(c, R"("archived":true)"); },
       "AAA 333 AAA 333 AAA 333 AAA 333 AAA 333"},
      // ---- members ----
      // cx: 409, the consumer's seat is held (docs/protocol.md "join").
      {"join", true, true, +[](const CellCtx& c) { return cref(c); },
       "AAA 999 AAA AA9 AAA AA9 AAA AA9 AAA AA9"},
      // Non-members: 404, no such member (PROTOCOL §2).
      {"leave", true, true, +[](const CellCtx& c) { return cref(c); },
       "AA9 444 AA9 444 AA9 444 AA9 444 AA9 444"},
      {"invite", true, true,
       +[](const CellCtx& c) { return cref(c, R"("userId":"inv1","role":"AGENT")"); },
       "333 333 AA9 AA9 AA9 AA9 AA9 333 AA9 AA9"},
      {"removeMember", true, true,
       +[](const CellCtx& c) { return cref(c, R"("userId":"cm")"); },
       "333 333 AA9 AA9 AA9 AA9 AA9 333 AA9 AA9"},
      {"assign", true, true,
       +[](const CellCtx& c) { return cref(c, "\"userId\":" + quote(c.p.user)); },
       "333 333 AAA 999 A99 A99 333 333 A99 A99"},
      {"listMembers", true, false, +[](const CellCtx& c) { return cref(c); },
       "AAA 333 AAA AAA AAA AAA AAA 333 AAA AAA"},
      // fixed: another tenant's consumer and bot got 403 "listing users is
      // for the agent side" (the role is checked before the conversation is
      // looked up); PROTOCOL §2: another tenant's resource is 404, never 403.
      {"getInvitableUsers", true, false, +[](const CellCtx& c) { return cref(c); },
       "333 333 AAA AAA AAA AAA 333 333 AAA AAA"},
      // ---- messages ----
      // fixed (the five send methods): a sender that may not send got 409
      // {"state"} instead of 403 in CLOSE and LOCKED: check_append
      // (storage/engine.cpp) checked OPEN before the sender's seat, against
      // the order of checks of rules.hpp (who may act, then the state). For
      // cx and bx, which may not read the conversation, it discloses its
      // state (PROTOCOL §3: a consumer sees only its own conversations).
      // Expected here: 403, as everywhere else.
      {"sendMessage", true, true,
       +[](const CellCtx& c) { return cref(c, R"("text":"pubword cell")"); },
       "A99 333 A99 333 A99 333 A99 333 A99 333"},
      {"sendPrivateMessage", true, true,
       +[](const CellCtx& c) { return cref(c, R"("text":"secretword cell")"); },
       "333 333 A99 333 A99 333 A99 333 A99 333"},
      {"sendRichContent", true, true,
       +[](const CellCtx& c) { return cref(c, R"("content":{"k":"pubword rich"})"); },
       "A99 333 A99 333 A99 333 A99 333 A99 333"},
      {"sendFile", true, true,
       +[](const CellCtx& c) {
         return cref(c, R"("url":"https://files.example/f.png","name":"f.png")");
       },
       "A99 333 A99 333 A99 333 A99 333 A99 333"},
      {"sendEvent", true, true,
       +[](const CellCtx& c) {
         return cref(c, R"("name":"agents-only","data":{"s":"secretdata cell"},"visibility":"agents")");
       },
       "333 333 A99 333 A99 333 A99 333 A99 333"},
      {"editMessage", true, true,
       +[](const CellCtx& c) {
         return cref(c, "\"seq\":" + std::to_string(c.conv->public_seq) + R"(,"text":"pubword edited")");
       },
       "AA9 333 333 333 333 333 333 333 333 333"},
      {"deleteMessage", true, true,
       +[](const CellCtx& c) { return cref(c, "\"seq\":" + std::to_string(c.conv->public_seq)); },
       "AA9 333 333 333 AA9 AA9 333 333 AA9 AA9"},
      {"queryMessages", true, false,
       +[](const CellCtx& c) { return cref(c, R"("limit":200)"); },
       "AAA 333 AAA AAA AAA AAA AAA 333 AAA AAA"},
      {"setChatState", true, false,
       +[](const CellCtx& c) { return cref(c, R"("state":"COMPOSING")"); },
       "AAA 333 AAA AAA AAA AAA AAA 333 AAA AAA"},
      {"markRead", true, false,
       +[](const CellCtx& c) { return cref(c, "\"seq\":" + std::to_string(c.conv->public_seq)); },
       "AAA 333 AAA 333 AAA 333 AAA 333 AAA 333"},
      {"saveDraft", true, false,
       +[](const CellCtx& c) { return cref(c, R"("text":"a draft")"); },
       "AA9 333 AA9 333 AA9 333 AA9 333 AA9 333"},
      {"getDraft", true, false, +[](const CellCtx& c) { return cref(c); },
       "AAA 333 AAA 333 AAA 333 AAA 333 AAA 333"},
      // ---- subscriptions ----
      {"subscribe", true, false, +[](const CellCtx& c) { return cref(c, R"("sinceSeq":0)"); },
       "AAA 333 AAA AAA AAA AAA AAA 333 AAA AAA"},
      // {} for any id, readable or not, of any tenant: nothing to end and
      // nothing said of the conversation (docs/protocol.md, unsubscribeInbox
      // "like unsubscribe"), so no existence leaks either.
      {"unsubscribe", true, false, +[](const CellCtx& c) { return cref(c); },
       "AAA AAA AAA AAA AAA AAA AAA AAA AAA AAA", 'A'},
      // ---- contact-centre workflow ----
      {"closeConversation", true, true, +[](const CellCtx& c) { return cref(c); },
       "AAA 333 AAA AAA AAA AAA AAA 333 AAA AAA"},
      {"reopenConversation", true, true, +[](const CellCtx& c) { return cref(c); },
       "333 333 AA9 AA9 AA9 AA9 AA9 333 AA9 AA9"},
      {"lockConversation", true, true, +[](const CellCtx& c) { return cref(c); },
       "333 333 333 333 9AA 9AA 333 333 9AA 9AA"},
      {"setStatus", true, true,
       +[](const CellCtx& c) { return cref(c, R"("status":"snoozed")"); },
       "333 333 A99 A99 A99 A99 A99 333 A99 A99"},
      {"transfer", true, true,
       +[](const CellCtx& c) {
         return cref(c, R"("skillId":"secretskill3","agentId":"secretagent3")");
       },
       "333 333 A99 A99 A99 A99 A99 333 A99 A99"},
      {"setGroup", true, true,
       +[](const CellCtx& c) { return cref(c, R"("groupId":"secretgroup3")"); },
       "333 333 AA9 AA9 AA9 AA9 AA9 333 AA9 AA9"},
      // fixed: bx, a bot account that is not a member, took the seat over
      // (OPEN, CLOSE; 409 in LOCKED) and is answered the Conversation it may
      // not read; docs/protocol.md: "a bot acts as a BOT member (a bot
      // account that is not a member is refused)", consumerTakeover "BOT
      // seat: names the new one". Expected: 403.
      {"consumerTakeover", true, true,
       +[](const CellCtx& c) {
         // A consumer takes the seat itself (cx's token has prev "cm");
         // the others name the new consumer.
         return c.p.consumer() ? cref(c) : cref(c, R"("newConsumerUserId":"nc")");
       },
       "AAA AA9 333 333 333 333 AA9 333 AA9 AA9"},
      {"setNote", true, true,
       +[](const CellCtx& c) { return cref(c, R"("text":"secretnote cell")"); },
       "333 333 AA9 AA9 AA9 AA9 AA9 333 AA9 AA9"},
      {"listNotes", true, false, +[](const CellCtx& c) { return cref(c); },
       "333 333 AAA AAA AAA AAA AAA 333 AAA AAA"},
      {"setCsat", true, true,
       +[](const CellCtx& c) {
         return cref(c, R"("csatRate":5,"csatResolutionConfirmation":true)");
       },
       "9A9 333 333 333 333 333 333 333 333 333"},
      {"setTtr", true, true,
       +[](const CellCtx& c) { return cref(c, R"("ttrType":"URGENT")"); },
       "A99 333 A99 A99 A99 A99 A99 333 A99 A99"},
      {"setManualEttr", true, true,
       +[](const CellCtx& c) { return cref(c, R"("time":4102444800001)"); },
       "333 333 A99 A99 A99 A99 A99 333 A99 A99"},
      // ---- admin methods for back ends ----
      // A system event: admins and bots, members or not; not once LOCKED.
      {"publishSystemEvent", true, true,
       +[](const CellCtx& c) { return cref(c, R"("text":"pubword system")"); },
       "333 333 333 333 333 333 AA9 AA9 AA9 AA9"},
      // Admins only; a user no principal is, so no socket of the run closes.
      {"disconnectUser", false, false,
       +[](const CellCtx&) { return obj({{"userId", "nobody-here"}}); },
       "3 3 3 3 3 3 3 3 A A  3 3 3 3 A"},
  };
  return rows;
}

}  // namespace

TEST_CASE("permission matrix: every method x role x membership x state x tenant, leak-checked") {
  const auto started = std::chrono::steady_clock::now();
  BrokerProcess broker(broker_args());
  const auto& known = parley::known_methods();
  Driver driver(broker.port(), table());
  driver.setup();
  driver.run(std::vector<std::string_view>(known.begin(), known.end()));
  driver.final_checks();
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto& n = driver.counts();
  const auto& scan = driver.scan_stats();
  std::cerr << "permission matrix: " << driver.methods() << " methods, " << n.cells << " cells, "
            << n.conversations << " conversations, " << n.calls << " calls, " << n.probe_checks
            << " probe checks, " << scan.frames << " frames scanned (" << scan.ids_checked
            << " conversation ids), " << n.revocations << " revocations followed, " << scan.leaks << " leaks, " << seconds << " s\n";
  if (std::getenv("PARLEY_MATRIX_RECORD")) driver.print_observed(std::cout);
}
