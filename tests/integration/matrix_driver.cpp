#include "matrix_driver.hpp"

#include <request.hpp>

#include <algorithm>
#include <thread>

namespace parley::it::matrix {

namespace {

constexpr size_t kSpares = 8;

// The seeds of every conversation: all agents-only event kinds, each
// carrying "secret" where it has text, after one public message.
const char* const kParticipants =
    R"([{"userId":"cm","role":"CONSUMER"},{"userId":"am","role":"AGENT"},)"
    R"({"userId":"mm","role":"MANAGER"},{"userId":"bm","role":"BOT"},)"
    R"({"userId":"dm","role":"MANAGER"}])";

std::vector<std::pair<std::string, std::string>> agents_only_seeds(const std::string& id) {
  const std::string c = "{\"conversationId\":" + quote(id);
  return {
      {"transfer", c + R"(,"skillId":"secretskill2"})"},   // transfer.skill
      {"assign", c + R"(,"userId":"q1"})"},
      {"removeMember", c + R"(,"userId":"q1"})"},          // queue.returned
      {"assign", c + R"(,"userId":"am"})"},
      {"transfer", c + R"(,"agentId":"secretwithdrawn"})"},
      {"removeMember", c + R"(,"userId":"secretwithdrawn"})"},  // member.left, agents-only
      {"transfer", c + R"(,"agentId":"secretagent"})"},   // member.suggested, transfer.agent
      {"setGroup", c + R"(,"groupId":"secretgroup"})"},   // group.changed
      {"setManualEttr", c + R"(,"time":4102444800000})"},  // ettr.changed
      {"setStatus", c + R"(,"status":"pending"})"},        // status.changed
      {"sendPrivateMessage", c + R"(,"text":"secretword private"})"},
      {"setNote", c + R"(,"text":"secretnote"})"},
      {"sendEvent", c + R"(,"name":"agents-only","data":{"s":"secretdata"},"visibility":"agents"})"},
  };
}

// Sends `calls` as batches of at most 50 on `ws`; the answers in order.
std::vector<Json> batched(WsClient& ws, const std::vector<std::pair<std::string, std::string>>& calls,
                          int64_t& counter) {
  std::vector<Json> out;
  for (size_t at = 0; at < calls.size(); at += 50) {
    std::vector<std::pair<std::string, std::string>> part(
        calls.begin() + static_cast<std::ptrdiff_t>(at),
        calls.begin() + static_cast<std::ptrdiff_t>(std::min(calls.size(), at + 50)));
    Json answer = ws.exchange_raw(batch_frame(part), Millis(30000));
    counter += static_cast<int64_t>(part.size());
    REQUIRE_MESSAGE(answer.is_array(), answer.frame());
    REQUIRE(answer.size() == part.size());
    for (const Json& a : answer.items()) {
      REQUIRE_MESSAGE(!a.has("/error"), "setup call failed: " << a.dump());
      out.push_back(a.at("/result"));
    }
  }
  return out;
}

}  // namespace

Json Driver::item(const Json& batch_answer, size_t id) {
  for (const Json& a : batch_answer.items())
    if (a.is_int("/id") && a.get_int("/id") == static_cast<int64_t>(id)) return a;
  FAIL("no answer with id " << id << " in " << batch_answer.dump());
  return batch_answer;
}

Principal& Driver::principal(const std::string& key) {
  for (auto& p : principals_)
    if (p.key == key) return p;
  FAIL("no principal " << key);
  return principals_.front();
}

Json Driver::root_batch(const std::vector<std::pair<std::string, std::string>>& calls) {
  counts_.calls += static_cast<int64_t>(calls.size());
  return root_->exchange_raw(batch_frame(calls));
}

void Driver::setup() {
  struct Spec {
    const char* key;
    const char* user;
    const char* role;
    const char* tenant;
    bool member;
  };
  // The table's column order.
  const Spec specs[] = {
      {"cm", "cm", "consumer", kTenant, true},      {"cx", "cx", "consumer", kTenant, false},
      {"am", "am", "agent", kTenant, true},         {"ax", "ax", "agent", kTenant, false},
      {"mm", "mm", "manager", kTenant, true},       {"mx", "mx", "manager", kTenant, false},
      {"bm", "bm", "bot", kTenant, true},           {"bx", "bx", "bot", kTenant, false},
      {"dm", "dm", "admin", kTenant, true},         {"dx", "dx", "admin", kTenant, false},
      // Another tenant: the same user ids as the members, other users.
      {"gc", "cm", "consumer", kOtherTenant, false}, {"ga", "am", "agent", kOtherTenant, false},
      {"gm", "mm", "manager", kOtherTenant, false}, {"gb", "bm", "bot", kOtherTenant, false},
      {"gd", "dm", "admin", kOtherTenant, false},
  };
  principals_.reserve(std::size(specs));
  for (const Spec& s : specs) {
    // cx may step up into cm's seat (consumerTakeover with `prev`).
    Principal p{s.key, s.user, s.role, s.tenant, s.member, s.key == std::string("cx") ? "cm" : "",
                nullptr};
    p.ws = login(port_, p.claims());
    ++counts_.calls;
    principals_.push_back(std::move(p));
  }
  for (auto& p : principals_)
    if (restricted(p) || p.tenant != kTenant) watchers_.push_back(&p);
  // One per role is enough for the other tenant's probes: its consumer,
  // its bot and its admin (the widest view there is).
  std::erase_if(watchers_, [](Principal* p) { return p->key == "ga" || p->key == "gm"; });

  root_ = login(port_, Claims("root").tenant_(kTenant).role_("admin"));
  ++counts_.calls;

  // The sentinel: a conversation the restricted members follow, whose
  // message marks the end of what a revocation check waits for.
  sentinel_.id = create_conversation(*root_, obj({{"participants", raw(R"([{"userId":"cm","role":"CONSUMER"},{"userId":"bm","role":"BOT"}])")}}))
                     .get_string("/id");
  model_.add(sentinel_.id, ConvModel{kTenant, false, {"cm", "bm"}, {}});
  for (const char* key : {"cm", "bm"}) subscribe(*principal(key).ws, sentinel_.id);
  for (Principal* w : watchers_) w->ws->call("subscribeInbox", obj({{"limit", 100}}));
  counts_.calls += 3 + static_cast<int64_t>(watchers_.size());

  for (State s : {kOpen, kClose, kLocked}) {
    size_t fresh = 0;
    for (const Row& r : rows_)
      for (size_t i = 0; i < 10; ++i) fresh += r.conv && r.mutates && expected(r, i, s) == 'A';
    // One shared, the fresh ones, and spares to replace the shared one
    // when a call the table refuses changed it all the same.
    std::vector<Conv> convs = seed(s, fresh + 1 + kSpares);
    base_[s] = convs.back();
    convs.pop_back();
    // There is something to leak: every agents-only kind is in the log.
    Json log = root_->call("queryMessages", obj({{"conversationId", base_[s].id}, {"limit", 200}}));
    ++counts_.calls;
    std::set<std::string> kinds;
    for (const Json& e : log.items("/data"))
      kinds.insert(e.get_string("/type") + (e.get_string("/visibility") == "agents" ? "/agents" : ""));
    for (const auto& type : agents_only_types()) CHECK_MESSAGE(kinds.count(type + "/agents"), type);
    CHECK(kinds.count("custom/agents") == 1);
    CHECK(kinds.count("member.left/agents") == 1);
    fresh_[s].assign(convs.begin(), convs.end());
  }
  drain_all("setup");
}

std::vector<Conv> Driver::seed(State state, size_t n) {
  std::vector<std::pair<std::string, std::string>> creates(
      n, {"createConversation",
          obj({{"skillId", "secretskill1"}, {"participants", raw(kParticipants)}})});
  std::vector<Conv> convs;
  for (const Json& c : batched(*root_, creates, counts_.calls)) {
    Conv conv;
    conv.id = c.get_string("/id");
    conv.state = state;
    convs.push_back(conv);
    model_.add(conv.id, ConvModel{kTenant, false, {"cm", "bm"}, {}});
  }
  counts_.conversations += static_cast<int64_t>(n);

  std::vector<std::pair<std::string, std::string>> calls;
  for (const Conv& c : convs)
    calls.push_back({"sendMessage", obj({{"conversationId", c.id}, {"text", "pubword hello"}})});
  std::vector<Json> sent = batched(*principal("cm").ws, calls, counts_.calls);
  for (size_t i = 0; i < convs.size(); ++i) convs[i].public_seq = sent[i].get_int("/seq");

  calls.clear();
  for (const Conv& c : convs)
    for (auto& call : agents_only_seeds(c.id)) calls.push_back(std::move(call));
  batched(*root_, calls, counts_.calls);

  calls.clear();
  for (const Conv& c : convs) {
    const std::string by = obj({{"conversationId", c.id}});
    if (state != kOpen) calls.push_back({"closeConversation", by});
    if (state == kLocked) calls.push_back({"lockConversation", by});
  }
  batched(*root_, calls, counts_.calls);
  drain_all("seeding");
  return convs;
}

Conv Driver::take_fresh(State state) {
  REQUIRE_MESSAGE(!fresh_[state].empty(), "no fresh conversation left in " << kStates[state]);
  Conv c = fresh_[state].front();
  fresh_[state].pop_front();
  return c;
}

void Driver::run(const std::vector<std::string_view>& methods) {
  observed_.assign(rows_.size(), std::string());
  std::vector<size_t> order;
  for (std::string_view name : methods) {
    auto it = std::find_if(rows_.begin(), rows_.end(),
                           [&](const Row& r) { return r.method == name; });
    CHECK_MESSAGE(it != rows_.end(), "method " << name << " has no row in the permission matrix");
    if (it != rows_.end()) order.push_back(static_cast<size_t>(it - rows_.begin()));
  }
  for (const Row& r : rows_) {
    CHECK_MESSAGE(std::find(methods.begin(), methods.end(), r.method) != methods.end(),
                  "the permission matrix has a row for " << r.method
                                                         << ", which the decoder does not know");
    CHECK_MESSAGE(compact(r.expect).size() == (r.conv ? 30u : principals_.size()),
                  "the row of " << r.method << " has the wrong number of answers");
  }
  methods_ = static_cast<int64_t>(order.size());
  for (size_t r : order) {
    if (!rows_[r].conv) continue;
    observed_[r].assign(30, '.');
    for (State s : {kOpen, kClose, kLocked})
      for (size_t i = 0; i < principals_.size(); ++i) run_cell(r, i, s);
  }
  for (size_t r : order) {
    if (rows_[r].conv) continue;
    observed_[r].assign(principals_.size(), '.');
    for (size_t i = 0; i < principals_.size(); ++i) run_cell(r, i, kOpen);
  }
}

void Driver::run_cell(size_t r, size_t i, State s) {
  const Row& row = rows_[r];
  Principal& p = principals_[i];
  Conv conv;
  const char want = expected(row, i, s);
  if (row.conv) conv = (row.mutates && want == 'A' && i < 10) ? take_fresh(s) : base_[s];
  const std::string context = std::string(row.method) + " by " + p.key + " (" + p.role + ", " +
                              (p.tenant != kTenant ? "other tenant"
                                                   : p.member ? "member" : "non-member") +
                              ")" + (row.conv ? std::string(" in ") + kStates[s] : "");
  const std::string params = row.sample(CellCtx{p, row.conv ? &conv : nullptr});
  Json response = p.ws->request(row.method, params);
  ++counts_.cells;
  ++counts_.calls;
  const char got = outcome_of(response);
  if (row.conv && i < 10) observed_[r][i * 3 + s] = got;
  if (row.conv && i >= 10 && got != '4') observed_[r] += std::string(" ") + p.key + ":" + got;
  if (!row.conv) observed_[r][i] = got;
  CHECK_MESSAGE(got == want, context << ": expected " << want << ", got " << got << "\n  params "
                                     << params << "\n  answer " << response.frame());

  if (got == 'A' && row.method == "createConversation") {
    ConvModel m{p.tenant, false, {}, {}};
    if (restricted(p)) m.members.insert(p.key);
    model_.add(response.get_string("/result/id"), m);
  }
  if (got == 'A' && row.method == "subscribeInbox" &&
      std::find(watchers_.begin(), watchers_.end(), &p) == watchers_.end()) {
    // An agent-side inbox sees every change of the tenant: drop it.
    p.ws->call("unsubscribeInbox",
               obj({{"subscriptionId", response.get_string("/result/subscriptionId")}}));
    ++counts_.calls;
  }
  // A change the table did not allow happened on the shared conversation:
  // the model follows it all the same.
  if (got == 'A' && row.conv && row.mutates && p.tenant == kTenant) update_model(conv, context);
  // ... and the next cells get an unspoilt one, so a defect is reported
  // once, not again by every later cell of that state.
  if (got == 'A' && row.conv && row.mutates && want != 'A' && conv.id == base_[s].id)
    base_[s] = take_fresh(s);
  handle_frame(p, response, context);
  drain_all(context);
  // The conversation's read paths after every call; the tenant-wide ones
  // after every call that changed something (an allowed one: a refused
  // call changes nothing, which the conversation's probes confirm).
  probe(row.conv ? &conv : nullptr, got == 'A' || !row.conv, context);
}

void Driver::update_model(const Conv& conv, const std::string& context) {
  const std::string by = obj({{"conversationId", conv.id}});
  Json answer = root_batch({{"getConversation", by}, {"listMembers", by}});
  ConvModel* m = model_.find(conv.id);
  REQUIRE(m);
  Json get = item(answer, 1);
  if (get.has("/error")) {
    CHECK_MESSAGE(get.get_int("/error/code") == 404, get.dump());
    m->deleted = true;
    return;
  }
  const int64_t last_seq = get.get_int("/result/lastSeq");
  const std::string state = get.get_string("/result/state");
  Json members = item(answer, 2).at("/result/data");
  std::vector<Principal*> losers;
  for (auto& p : principals_) {
    if (!restricted(p) || p.tenant != kTenant) continue;
    bool active = false;
    for (const Json& mem : members.items())
      active = active || (mem.get_string("/userId") == p.user &&
                          mem.get_string("/state") == "ACTIVE");
    const bool was = m->members.count(p.key) > 0;
    if (active && !was) {
      m->members.insert(p.key);
      m->cut.erase(p.key);
    }
    if (!active && was) {
      m->members.erase(p.key);
      m->cut[p.key] = last_seq;
      losers.push_back(&p);
    }
  }
  if (!losers.empty()) after_revocation(conv, losers, state, context);
}

// A principal lost its access: something new happens in the conversation
// (a public message while OPEN, a note while CLOSE), then a message in the
// sentinel conversation; nothing of the first may reach the losers before
// the second (handle_frame fails any event after its cut).
void Driver::after_revocation(const Conv& conv, const std::vector<Principal*>& losers,
                              const std::string& state, const std::string& context) {
  if (state == "OPEN")
    root_->call("sendMessage", obj({{"conversationId", conv.id}, {"text", "pubword after"}}));
  else if (state == "CLOSE")
    root_->call("setNote", obj({{"conversationId", conv.id}, {"text", "secretnote after"}}));
  counts_.revocations += static_cast<int64_t>(losers.size());
  const std::string mark = "sentinel " + std::to_string(++sentinel_n_);
  root_->call("sendMessage", obj({{"conversationId", sentinel_.id}, {"text", mark}}));
  counts_.calls += 2;
  for (Principal* p : losers) {
    for (;;) {
      auto frame = p->ws->read_frame();
      REQUIRE_MESSAGE(frame, p->key << ": the sentinel never came after " << context);
      handle_frame(*p, *frame, context + " (after the revocation)");
      if (frame->method() == "event" &&
          frame->get_string("/params/conversationId") == sentinel_.id &&
          frame->get_string("/params/body/text") == mark)
        break;
    }
  }
}

void Driver::handle_frame(Principal& p, const Json& frame, const std::string& context) {
  scan_frame(model_, p, frame, context, stats_);
  if (frame.method() != "inbox") return;
  const std::string id = frame.get_string("/params/conversation/id");
  const bool upsert = frame.get_string("/params/change") == "UPSERT";
  inbox_[p.key][id] = upsert;
  if (upsert && p.consumer()) check_consumer_conversation(p, frame.at("/params/conversation"), context);
}

void Driver::drain_all(const std::string& context) {
  for (auto& p : principals_)
    for (std::string& raw : p.ws->take_frames()) handle_frame(p, Json::parse(std::move(raw)), context);
  root_->take_frames();
}

void Driver::check_consumer_conversation(const Principal& w, const Json& c,
                                         const std::string& context) {
  INFO(w.key << " after " << context << ": " << c.dump().substr(0, 1500));
  ++counts_.probe_checks;
  if (c.has("/skillId")) CHECK(c.is_null("/skillId"));
  if (c.has("/groupId")) CHECK(c.is_null("/groupId"));
  if (c.has("/ttr/manualEffective")) CHECK(c.is_null("/ttr/manualEffective"));
}

void Driver::final_checks() {
  // Inbox pushes follow changes by a moment: give them one.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  drain_all("the end");
  for (auto& [key, seen] : inbox_) {
    const Principal& p = principal(key);
    for (const auto& [id, reported] : seen) {
      ConvModel* m = model_.find(id);
      if (!m || !reported) continue;
      CHECK_MESSAGE(model_.may_read(p, *m), "LEAK: " << key << "'s inbox still reports " << id
                                                     << " at the end, which it may not read");
    }
  }
}

void Driver::print_observed(std::ostream& out) const {
  for (size_t r = 0; r < rows_.size(); ++r) {
    const std::string& o = observed_[r];
    out << "  " << rows_[r].method << ": \"";
    if (rows_[r].conv) {
      for (size_t i = 0; i < 30 && i < o.size(); ++i) out << (i && i % 3 == 0 ? " " : "") << o[i];
      out << "\"" << (o.size() > 30 ? "   other tenant:" + o.substr(30) : "") << "\n";
    } else {
      for (size_t i = 0; i < o.size(); ++i) out << (i ? (i == 10 ? "  " : " ") : "") << o[i];
      out << "\"\n";
    }
  }
}

}  // namespace parley::it::matrix
