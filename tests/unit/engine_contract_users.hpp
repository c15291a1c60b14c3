// The users registry part of the storage contract (user_store.hpp, contract 12)
// and the member's own state (archived, draft) that update() carries without
// events, as doctest cases run against every engine through
// PARLEY_ENGINE_CONTRACT (engine_contract.hpp).
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine_contract_support.hpp"

namespace parley::contract {

inline constexpr Millis kUserT0 = 1'700'000'000'000;

inline UserPut user_put_of(std::string tenant, std::string id, Millis now) {
  UserPut p;
  p.tenant = std::move(tenant);
  p.user_id = std::move(id);
  p.now = now;
  return p;
}

inline User put_user(Engine& e, UserPut p) {
  auto r = run(e.user_put(std::move(p)));
  REQUIRE(r.ok());
  return *r;
}

inline User put_user(Engine& e, const std::string& tenant, const std::string& id,
                     AccountRole role, const std::string& name, Millis now = kUserT0) {
  UserPut p = user_put_of(tenant, id, now);
  p.role = role;
  p.name = name;
  return put_user(e, std::move(p));
}

inline std::vector<std::string> user_ids(const UserPage& p) {
  std::vector<std::string> out;
  for (const auto& u : p.data) out.push_back(u.user_id);
  return out;
}

inline UserPage list_users(Engine& e, const std::string& tenant, UserListRequest rq) {
  auto r = run(e.user_list(tenant, std::move(rq)));
  REQUIRE(r.ok());
  return *r;
}

template <class F>
void users_put_merges_fields() {
  Harness h(fresh_engine<F>());
  Engine& e = h.engine();
  CHECK(run(e.user_get("t1", "u1")).error().code == 404);

  User u = put_user(e, "t1", "u1", AccountRole::agent, "Ann");
  CHECK(u.tenant == "t1");
  CHECK(u.user_id == "u1");
  CHECK(u.name == "Ann");
  CHECK(u.role == AccountRole::agent);
  CHECK_FALSE(u.display_name.has_value());
  CHECK_FALSE(u.image_url.has_value());
  CHECK(u.created_at == kUserT0);
  CHECK(u.updated_at == kUserT0);

  // Only the fields a put sets change (12a).
  UserPut dn = user_put_of("t1", "u1", kUserT0 + 10);
  dn.display_name = std::optional<std::string>("Ann B.");
  dn.image_url = std::optional<std::string>("https://img/a.png");
  u = put_user(e, dn);
  CHECK(u.name == "Ann");
  CHECK(u.role == AccountRole::agent);
  CHECK(u.display_name == std::optional<std::string>("Ann B."));
  CHECK(u.image_url == std::optional<std::string>("https://img/a.png"));
  CHECK(u.created_at == kUserT0);
  CHECK(u.updated_at == kUserT0 + 10);

  // A registration-like put keeps what upsertUser set; the same values again
  // change nothing, updated_at included.
  u = put_user(e, "t1", "u1", AccountRole::agent, "Ann", kUserT0 + 20);
  CHECK(u.display_name == std::optional<std::string>("Ann B."));
  CHECK(u.updated_at == kUserT0 + 10);

  // Clearing one optional field leaves the other.
  UserPut clear = user_put_of("t1", "u1", kUserT0 + 30);
  clear.display_name = std::optional<std::string>();
  u = put_user(e, clear);
  CHECK_FALSE(u.display_name.has_value());
  CHECK(u.image_url == std::optional<std::string>("https://img/a.png"));
  CHECK(u.updated_at == kUserT0 + 30);

  auto got = run(e.user_get("t1", "u1"));
  REQUIRE(got.ok());
  CHECK(*got == u);

  // A put without a name or role makes a consumer with no name.
  User bare = put_user(e, user_put_of("t1", "u:{2}", kUserT0));
  CHECK(bare.name.empty());
  CHECK(bare.role == AccountRole::consumer);
  CHECK(run(e.user_get("t1", "u:{2}")).ok());

  // Tenancy (12b).
  CHECK(run(e.user_get("t2", "u1")).error().code == 404);
  CHECK(list_users(e, "t2", {}).data.empty());
}

template <class F>
void users_list_orders_filters_and_pages() {
  Harness h(fresh_engine<F>());
  Engine& e = h.engine();
  put_user(e, "t1", "d-agent", AccountRole::agent, "Dora Smith");
  put_user(e, "t1", "a-cons", AccountRole::consumer, "Alice");
  put_user(e, "t1", "c-man", AccountRole::manager, "Carl SMITH");
  put_user(e, "t1", "b-agent", AccountRole::agent, "Bob");
  put_user(e, "t1", "e-admin", AccountRole::admin, "Eve");
  put_user(e, "t2", "b-other", AccountRole::agent, "Other tenant");

  // Everyone, by id, paged by the cursor (12c).
  UserListRequest rq;
  rq.limit = 2;
  UserPage p = list_users(e, "t1", rq);
  CHECK(user_ids(p) == std::vector<std::string>{"a-cons", "b-agent"});
  CHECK(p.has_next);
  CHECK(p.next_after == "b-agent");
  rq.after = p.next_after;
  p = list_users(e, "t1", rq);
  CHECK(user_ids(p) == std::vector<std::string>{"c-man", "d-agent"});
  CHECK(p.has_next);
  rq.after = p.next_after;
  p = list_users(e, "t1", rq);
  CHECK(user_ids(p) == std::vector<std::string>{"e-admin"});
  CHECK_FALSE(p.has_next);

  // Several roles merge in id order.
  UserListRequest staff;
  staff.roles = {AccountRole::manager, AccountRole::agent};
  CHECK(user_ids(list_users(e, "t1", staff)) ==
        std::vector<std::string>{"b-agent", "c-man", "d-agent"});
  staff.limit = 1;
  staff.after = "b-agent";
  p = list_users(e, "t1", staff);
  CHECK(user_ids(p) == std::vector<std::string>{"c-man"});
  CHECK(p.has_next);
  staff.limit = 20;
  staff.after.reset();
  staff.exclude = {"c-man"};
  CHECK(user_ids(list_users(e, "t1", staff)) == std::vector<std::string>{"b-agent", "d-agent"});

  // Words: every one, case-insensitively, in id, name or displayName.
  UserListRequest q;
  q.words = {"smith"};
  CHECK(user_ids(list_users(e, "t1", q)) == std::vector<std::string>{"c-man", "d-agent"});
  q.words = {"SMITH", "dora"};
  CHECK(user_ids(list_users(e, "t1", q)) == std::vector<std::string>{"d-agent"});
  q.words = {"AGENT"};
  CHECK(user_ids(list_users(e, "t1", q)) == std::vector<std::string>{"b-agent", "d-agent"});
  UserPut dn = user_put_of("t1", "a-cons", kUserT0 + 1);
  dn.display_name = std::optional<std::string>("Smithers");
  put_user(e, dn);
  q.words = {"smith"};
  CHECK(user_ids(list_users(e, "t1", q)) ==
        std::vector<std::string>{"a-cons", "c-man", "d-agent"});

  // A role change moves the user between role listings (12d).
  put_user(e, "t1", "a-cons", AccountRole::agent, "Alice", kUserT0 + 2);
  UserListRequest agents;
  agents.roles = {AccountRole::agent};
  CHECK(user_ids(list_users(e, "t1", agents)) ==
        std::vector<std::string>{"a-cons", "b-agent", "d-agent"});
  UserListRequest consumers;
  consumers.roles = {AccountRole::consumer};
  CHECK(list_users(e, "t1", consumers).data.empty());

  // The scan bound stops a selective listing with a cursor to go on from.
  UserListRequest bounded;
  bounded.words = {"eve"};
  bounded.scan_limit = 2;
  p = list_users(e, "t1", bounded);
  CHECK(p.data.empty());
  CHECK(p.has_next);
  CHECK(p.next_after == "b-agent");
  bounded.after = p.next_after;
  bounded.scan_limit = 0;
  CHECK(user_ids(list_users(e, "t1", bounded)) == std::vector<std::string>{"e-admin"});
}

// archiveConversation / saveDraft: a Decision that changes a member and
// appends nothing commits, publishes nothing and leaves updated_at alone.
template <class F>
void member_own_state_commits_without_events() {
  Harness h(fresh_engine<F>());
  const ConvKey key{"t1", "c-own"};
  REQUIRE(h.create(key).ok());
  auto before = h.get(key);
  REQUIRE(before.ok());
  const size_t published = h.sink.events(key).size();

  auto set_own = [](std::string user, bool archived, std::string text, Millis at) -> Decide {
    return [=](const Conversation& cur, const Event*) -> Result<Decision> {
      Decision d = keep(cur);
      Member* m = d.next.member(user);
      if (!m) return not_found("no such member");
      m->archived = archived;
      m->draft = text;
      m->draft_at = at;
      return d;
    };
  };
  auto c = h.update(key, set_own("c1", true, "half | written\n", kUserT0));
  REQUIRE(c.ok());
  CHECK(c->events.empty());
  CHECK(c->record.last_seq == before->last_seq);
  CHECK(c->record.updated_at == before->updated_at);
  CHECK(h.sink.events(key).size() == published);

  auto after = h.get(key);
  REQUIRE(after.ok());
  CHECK(after->last_seq == before->last_seq);
  CHECK(after->updated_at == before->updated_at);
  const Member* m = after->member("c1");
  REQUIRE(m != nullptr);
  CHECK(m->archived);
  CHECK(m->draft == "half | written\n");
  CHECK(m->draft_at == kUserT0);
  CHECK(m->name == "c1");
  const Member* other = after->member("a1");
  REQUIRE(other != nullptr);
  CHECK_FALSE(other->archived);
  CHECK(other->draft.empty());

  // The hot path moves the sender's read horizon and keeps its own state.
  REQUIRE(h.append(key, message("c1", "hello")).ok());
  after = h.get(key);
  REQUIRE(after.ok());
  m = after->member("c1");
  REQUIRE(m != nullptr);
  CHECK(m->last_read_seq == after->last_seq);
  CHECK(m->archived);
  CHECK(m->draft == "half | written\n");

  // list() records carry it too.
  auto page = h.list("t1");
  REQUIRE(page.ok());
  REQUIRE(page->data.size() == 1);
  REQUIRE(page->data[0].member("c1") != nullptr);
  CHECK(page->data[0].member("c1")->archived);

  // Cleared again, and a name starting with the codec's marker byte survives.
  c = h.update(key, [](const Conversation& cur, const Event*) -> Result<Decision> {
    Decision d = keep(cur);
    Member* a = d.next.member("a1");
    a->name = "\x1e" "4:odd";
    Member* cm = d.next.member("c1");
    cm->archived = false;
    cm->draft.clear();
    cm->draft_at = 0;
    return d;
  });
  REQUIRE(c.ok());
  after = h.get(key);
  REQUIRE(after.ok());
  CHECK_FALSE(after->member("c1")->archived);
  CHECK(after->member("c1")->draft.empty());
  CHECK(after->member("a1")->name == "\x1e" "4:odd");
}

}  // namespace parley::contract

#define PARLEY_ENGINE_CONTRACT_USERS(F)                              \
  PARLEY_ENGINE_CONTRACT_CASE(F, users_put_merges_fields)            \
  PARLEY_ENGINE_CONTRACT_CASE(F, users_list_orders_filters_and_pages) \
  PARLEY_ENGINE_CONTRACT_CASE(F, member_own_state_commits_without_events)
