// Users, drafts and archive over real WebSockets: registration from tokens,
// getUser / listUsers / upsertUser / listUserConversations,
// getInvitableUsers, saveDraft / getDraft, archiveConversation and the
// archived filter; and, on Redis, a user registered on one node seen from
// another.
#include <algorithm>

#include "redis_support.hpp"

using namespace parley::it;

namespace {

// Registration runs in the background: wait (bounded) until `user` shows,
// optionally with `name`.
Json wait_for_user(WsClient& client, const std::string& user, const std::string& name = {}) {
  std::optional<Json> found;
  const bool ok = wait_until([&] {
    Json r = client.request("getUser", obj({{"userId", user}}));
    if (!r.has("/result")) return false;
    if (!name.empty() && (r.is_null("/result/name") || r.get_string("/result/name") != name))
      return false;
    found = r.at("/result");
    return true;
  });
  REQUIRE_MESSAGE(ok, "user " << user << " was not registered");
  return *found;
}

std::vector<std::string> ids_of(const Json& page, const char* field = "/userId") {
  std::vector<std::string> out;
  for (const Json& item : page.items("/data")) out.push_back(item.get_string(field));
  return out;
}

using Ids = std::vector<std::string>;

Ids sorted(Ids v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("users: registration, getUser, listUsers, upsertUser") {
  BrokerProcess broker{jwt_args()};
  const uint16_t port = broker.port();
  auto ann = login(port, Claims("ann").tenant_("acme").name_("Ann Lee"));
  auto bob = login(port, Claims("bob").tenant_("acme").role_("agent").name_("Bob"));
  auto mia = login(port, Claims("mia").tenant_("acme").role_("manager").name_("Mia Lee"));
  auto zed = login(port, Claims("zed").tenant_("acme").role_("agent").name_("Zed"));
  auto cid = login(port, Claims("cid").tenant_("acme").role_("admin").name_("Cid"));
  auto far = login(port, Claims("ann").tenant_("other").role_("agent").name_("Other Ann"));

  Json a = wait_for_user(*bob, "ann");
  CHECK(a.get_string("/userId") == "ann");
  CHECK(a.get_string("/name") == "Ann Lee");
  CHECK(a.get_string("/role") == "consumer");
  CHECK(a.is_null("/displayName"));
  CHECK(a.is_null("/imageUrl"));
  CHECK(a.is_int("/createdAt"));
  CHECK(a.get_int("/updatedAt") >= a.get_int("/createdAt"));
  for (const char* u : {"bob", "mia", "zed", "cid"}) wait_for_user(*bob, u);
  CHECK(wait_for_user(*far, "ann").get_string("/name") == "Other Ann");  // tenants apart
  expect_error(*far, "getUser", obj({{"userId", "bob"}}), 404);
  expect_error(*bob, "getUser", obj({{"userId", "nobody"}}), 404);

  // listUsers: the agent side; by id; role and q filters; paging.
  CHECK(ids_of(bob->call("listUsers")) == Ids{"ann", "bob", "cid", "mia", "zed"});
  CHECK(ids_of(bob->call("listUsers", obj({{"role", "agent"}}))) == Ids{"bob", "zed"});
  CHECK(ids_of(bob->call("listUsers", obj({{"q", "LEE"}}))) == Ids{"ann", "mia"});
  CHECK(ids_of(bob->call("listUsers", obj({{"q", "lee mi"}}))) == Ids{"mia"});
  Json p1 = bob->call("listUsers", obj({{"limit", 2}}));
  CHECK(ids_of(p1) == Ids{"ann", "bob"});
  CHECK(p1.get_bool("/hasNext"));
  CHECK_FALSE(p1.get_bool("/hasPrev"));
  Json p2 = bob->call("listUsers", obj({{"limit", 2}, {"cursor", p1.get_string("/nextCursor")}}));
  CHECK(ids_of(p2) == Ids{"cid", "mia"});
  CHECK(p2.get_bool("/hasPrev"));
  Json p3 = bob->call("listUsers", obj({{"limit", 2}, {"cursor", p2.get_string("/nextCursor")}}));
  CHECK(ids_of(p3) == Ids{"zed"});
  CHECK_FALSE(p3.get_bool("/hasNext"));
  CHECK(p3.is_null("/nextCursor"));
  expect_error(*ann, "listUsers", "{}", 403);

  // upsertUser: yourself; admins anyone.
  Json mine = ann->call("upsertUser", obj({{"displayName", "Annie"}, {"imageUrl", "https://i/a"}}));
  CHECK(mine.get_string("/userId") == "ann");
  CHECK(mine.get_string("/displayName") == "Annie");
  CHECK(mine.get_string("/imageUrl") == "https://i/a");
  CHECK(mine.get_string("/name") == "Ann Lee");
  CHECK(mine.get_string("/role") == "consumer");
  expect_error(*ann, "upsertUser", obj({{"userId", "bob"}, {"displayName", "x"}}), 403);
  expect_error(*bob, "upsertUser", obj({{"userId", "ann"}, {"displayName", "x"}}), 403);
  Json by_admin = cid->call("upsertUser", obj({{"userId", "bob"}, {"displayName", "Bobby"}}));
  CHECK(by_admin.get_string("/displayName") == "Bobby");
  CHECK(by_admin.get_string("/role") == "agent");
  CHECK(ids_of(bob->call("listUsers", obj({{"q", "annie"}}))) == Ids{"ann"});
  // null clears.
  CHECK(ann->call("upsertUser", obj({{"imageUrl", nullptr}})).is_null("/imageUrl"));

  // A new token with a new name re-registers: the name follows the token,
  // what upsertUser set stays.
  auto ann2 = login(port, Claims("ann").tenant_("acme").name_("Ann Lee-Smith"));
  Json renamed = wait_for_user(*bob, "ann", "Ann Lee-Smith");
  CHECK(renamed.get_string("/displayName") == "Annie");
  CHECK(renamed.get_string("/role") == "consumer");

  expect_error(*ann, "getUser", "{}", -32602);
  expect_error(*ann, "upsertUser", obj({{"role", "admin"}}), -32602);
}

TEST_CASE("users: listUserConversations, getInvitableUsers, drafts, archive") {
  BrokerProcess broker{jwt_args()};
  const uint16_t port = broker.port();
  auto ann = login(port, Claims("ann").tenant_("acme").name_("Ann"));
  auto bob = login(port, Claims("bob").tenant_("acme").role_("agent"));
  auto mia = login(port, Claims("mia").tenant_("acme").role_("manager"));
  auto zed = login(port, Claims("zed").tenant_("acme").role_("agent"));
  auto cid = login(port, Claims("cid").tenant_("acme").role_("admin"));
  auto eve = login(port, Claims("eve").tenant_("acme"));
  for (const char* u : {"ann", "bob", "mia", "zed", "cid", "eve"}) wait_for_user(*bob, u);

  const std::string c1 = create_conversation(*ann).get_string("/id");
  const std::string c2 = create_conversation(*ann).get_string("/id");
  const std::string c3 = create_conversation(*eve).get_string("/id");
  bob->call("join", obj({{"conversationId", c1}}));

  // listUserConversations: yourself; the agent side anyone.
  auto convs_of = [](WsClient& who, const std::string& user) {
    return ids_of(who.call("listUserConversations", obj({{"userId", user}})), "/id");
  };
  const Ids anns = sorted({c1, c2});
  CHECK(sorted(convs_of(*ann, "ann")) == anns);
  CHECK(sorted(convs_of(*bob, "ann")) == anns);
  CHECK(convs_of(*zed, "bob") == Ids{c1});
  CHECK(convs_of(*bob, "eve") == Ids{c3});
  expect_error(*ann, "listUserConversations", obj({{"userId", "eve"}}), 403);
  // Paged like listConversations: the pages make up the whole list.
  Json paged = ann->call("listUserConversations", obj({{"userId", "ann"}, {"limit", 1}}));
  REQUIRE(paged.size("/data") == 1);
  CHECK(paged.get_bool("/hasNext"));
  Json rest = ann->call("listUserConversations",
                        obj({{"userId", "ann"}, {"cursor", paged.get_string("/nextCursor")}}));
  CHECK_FALSE(rest.get_bool("/hasNext"));
  CHECK(sorted({ids_of(paged, "/id").at(0), ids_of(rest, "/id").at(0)}) == anns);
  CHECK(rest.size("/data") == 1);

  // getInvitableUsers: agents and managers not active in it.
  CHECK(ids_of(bob->call("getInvitableUsers", obj({{"conversationId", c1}}))) ==
        Ids{"mia", "zed"});
  CHECK(ids_of(mia->call("getInvitableUsers", obj({{"conversationId", c3}}))) ==
        Ids{"bob", "mia", "zed"});
  expect_error(*ann, "getInvitableUsers", obj({{"conversationId", c1}}), 403);
  expect_error(*bob, "getInvitableUsers", obj({{"conversationId", "nope"}}), 404);

  // Drafts: the caller's own, no event, updatedAt untouched.
  Json before = ann->call("getConversation", obj({{"conversationId", c1}}));
  Json none = ann->call("getDraft", obj({{"conversationId", c1}}));
  CHECK(none.get_string("/text") == "");
  CHECK(none.is_null("/updatedAt"));
  CHECK(ann->call("saveDraft", obj({{"conversationId", c1}, {"text", "half a thought"}})).size() ==
        0);
  Json d = ann->call("getDraft", obj({{"conversationId", c1}}));
  CHECK(d.get_string("/text") == "half a thought");
  CHECK(d.is_int("/updatedAt"));
  CHECK(bob->call("getDraft", obj({{"conversationId", c1}})).get_string("/text") == "");
  expect_error(*zed, "getDraft", obj({{"conversationId", c1}}), 403);
  expect_error(*zed, "saveDraft", obj({{"conversationId", c1}, {"text", "x"}}), 403);
  expect_error(*ann, "getDraft", obj({{"conversationId", "nope"}}), 404);
  Json after = ann->call("getConversation", obj({{"conversationId", c1}}));
  CHECK(after.get_int("/lastSeq") == before.get_int("/lastSeq"));
  CHECK(after.get_int("/updatedAt") == before.get_int("/updatedAt"));
  ann->call("saveDraft", obj({{"conversationId", c1}, {"text", ""}}));
  CHECK(ann->call("getDraft", obj({{"conversationId", c1}})).is_null("/updatedAt"));

  // Archive: the caller's own flag, in getConversation and the list filter.
  CHECK_FALSE(after.get_bool("/archived"));
  ann->call("archiveConversation", obj({{"conversationId", c1}, {"archived", true}}));
  CHECK(ann->call("getConversation", obj({{"conversationId", c1}})).get_bool("/archived"));
  CHECK_FALSE(bob->call("getConversation", obj({{"conversationId", c1}})).get_bool("/archived"));
  auto listed = [](WsClient& who, bool archived) {
    return ids_of(who.call("listConversations", obj({{"filter", raw(obj({{"archived", archived}}))}})),
                  "/id");
  };
  CHECK(listed(*ann, true) == Ids{c1});
  CHECK(listed(*ann, false) == Ids{c2});
  CHECK(sorted(ids_of(ann->call("listConversations"), "/id")) == anns);  // no filter: all
  CHECK(listed(*bob, true).empty());
  expect_error(*zed, "archiveConversation", obj({{"conversationId", c1}, {"archived", true}}),
               403);
  ann->call("archiveConversation", obj({{"conversationId", c1}, {"archived", false}}));
  CHECK(listed(*ann, true).empty());
  expect_error(*ann, "archiveConversation", obj({{"conversationId", c1}}), -32602);
  // Neither appends an event.
  CHECK(ann->call("getConversation", obj({{"conversationId", c1}})).get_int("/lastSeq") ==
        before.get_int("/lastSeq"));

  // LOCKED is read only for drafts (409); archiving still works there.
  bob->call("closeConversation", obj({{"conversationId", c2}}));
  REQUIRE(mia->call("lockConversation", obj({{"conversationId", c2}})).get_string("/state") ==
          "LOCKED");
  Json locked = ann->call("getConversation", obj({{"conversationId", c2}}));
  expect_error(*ann, "saveDraft", obj({{"conversationId", c2}, {"text", "too late"}}), 409);
  CHECK(ann->call("getDraft", obj({{"conversationId", c2}})).get_string("/text") == "");
  ann->call("archiveConversation", obj({{"conversationId", c2}, {"archived", true}}));
  Json archived = ann->call("getConversation", obj({{"conversationId", c2}}));
  CHECK(archived.get_bool("/archived"));
  CHECK(archived.get_int("/lastSeq") == locked.get_int("/lastSeq"));
}

TEST_CASE("redis: a user registered on one node is seen from another") {
  TwoNodes c;
  auto ann = login(c.node1->port(), Claims("ann").tenant_("acme").name_("Ann"));
  auto bob = login(c.node2->port(), Claims("bob").tenant_("acme").role_("agent").name_("Bob"));
  CHECK(wait_for_user(*bob, "ann").get_string("/name") == "Ann");
  ann->call("upsertUser", obj({{"displayName", "Annie"}}));
  CHECK(bob->call("getUser", obj({{"userId", "ann"}})).get_string("/displayName") == "Annie");
  wait_for_user(*bob, "bob");
  CHECK(ids_of(bob->call("listUsers", obj({{"role", "agent"}}))) == Ids{"bob"});
  const std::string id = create_conversation(*ann).get_string("/id");
  ann->call("saveDraft", obj({{"conversationId", id}, {"text", "kept in Redis"}}));
  ann->call("archiveConversation", obj({{"conversationId", id}, {"archived", true}}));
  auto ann2 = login(c.node2->port(), Claims("ann").tenant_("acme").name_("Ann"));
  CHECK(ann2->call("getDraft", obj({{"conversationId", id}})).get_string("/text") ==
        "kept in Redis");
  CHECK(ann2->call("getConversation", obj({{"conversationId", id}})).get_bool("/archived"));
}
