// The method table (api/methods.hpp): every method decode_frame knows has
// one handler, found by its params type, and the table's flags.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "api/dispatcher.hpp"
#include "api/methods.hpp"

using namespace parley;

TEST_CASE("every method has a decoder and a handler, and no two share a name") {
  // Also compile-time facts (request.hpp, methods.hpp); pinned here too.
  std::set<std::string_view> names;
  for (size_t i = 0; i < kMethodCount; ++i) {
    std::string_view name = kMethodNames[i];
    CAPTURE(name);
    CHECK(names.insert(name).second);
    REQUIRE(method_index(name) == i);
    CHECK(kHandlers[i].index == i);
    const bool has_run = kHandlers[i].run != nullptr;
    CHECK(has_run);
    // The decoder: whatever is wrong with the (empty) params, the method is known.
    auto f = decode_frame(R"({"jsonrpc":"2.0","id":1,"method":")" + std::string(name) + R"("})",
                          Limits{});
    REQUIRE(f.ok());
    CHECK(f->calls[0].index == i);
    if (!f->calls[0].params.ok())
      CHECK(f->calls[0].params.error().code != code::method_not_found);
    else
      CHECK(f->calls[0].params.value().index() == i);
  }
  CHECK(names.size() == known_methods().size());
  CHECK_FALSE(method_index("fly"));
}

TEST_CASE("methods of one shape decode to types of their own") {
  for (std::string_view m : {"deleteConversation", "leave", "listMembers", "unsubscribe",
                             "reopenConversation", "lockConversation"}) {
    CAPTURE(m);
    auto f = decode_frame(R"({"jsonrpc":"2.0","id":1,"method":")" + std::string(m) +
                              R"(","params":{"conversationId":"c"}})",
                          Limits{});
    REQUIRE(f.ok());
    REQUIRE(f->calls[0].params.ok());
    CHECK(f->calls[0].params.value().index() == *method_index(m));
  }
}

TEST_CASE("the handlers that act on the socket need one; only authenticate is anonymous") {
  std::set<std::string_view> socket, anonymous;
  for (const auto& h : kHandlers) {
    if (h.socket) socket.insert(kMethodNames[h.index]);
    if (h.needs.anonymous) anonymous.insert(kMethodNames[h.index]);
  }
  CHECK(socket == std::set<std::string_view>{"authenticate", "subscribe", "unsubscribe",
                                             "setChatState", "setPresence", "subscribeInbox",
                                             "unsubscribeInbox"});
  CHECK(anonymous == std::set<std::string_view>{"authenticate"});
}

TEST_CASE("request_cost: the tenant-wide reads take expensive_read_cost tokens") {
  Limits l;
  l.expensive_read_cost = 7;
  for (const char* m : {"listConversations", "countConversations", "searchConversations",
                        "listUserConversations", "subscribeInbox"}) {
    CAPTURE(m);
    CHECK(request_cost(method_index(m), l) == 7);
  }
  for (const char* m : {"sendMessage", "getConversation", "queryMessages", "ping", "subscribe"}) {
    CAPTURE(m);
    CHECK(request_cost(method_index(m), l) == 1);
  }
  CHECK(request_cost(std::nullopt, l) == 1);  // no such method
}
