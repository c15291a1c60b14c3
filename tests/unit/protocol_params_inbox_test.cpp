// decode_frame for the listing and inbox methods (countConversations,
// searchConversations, subscribeInbox, unsubscribeInbox): the typed params
// of valid calls and each method's own params errors.
#include <doctest/doctest.h>

#include <string>

#include "protocol_params_support.hpp"
#include "request.hpp"

using namespace parley;
using namespace parley::testing;

namespace {

// "CODE FIELD" of the error, e.g. "-32602 q".
std::string error_field(std::string_view method, std::string_view params) {
  auto p = decode_params(method, params);
  if (p.ok()) return "ok";
  const std::string& d = p.error().data;
  const std::string head = R"({"field":")";
  std::string field;
  if (d.rfind(head, 0) == 0) field = d.substr(head.size(), d.find('"', head.size()) - head.size());
  return std::to_string(p.error().code) + " " + field;
}

}  // namespace

TEST_CASE("inbox params: valid calls") {
  SUBCASE("countConversations") {
    auto p = ok<params::CountConversations>("countConversations", "{}");
    CHECK_FALSE(p.filter.state);
    p = ok<params::CountConversations>(
        "countConversations", R"({"filter":{"state":"CLOSE","assignedTo":"none","memberOf":"me"}})");
    CHECK(p.filter.state == ConvState::close);
    CHECK(p.filter.assigned_to == "none");
    CHECK(p.filter.member_of_me);
  }
  SUBCASE("searchConversations") {
    auto p = ok<params::SearchConversations>(
        "searchConversations",
        R"({"q":"  Refund  ORDER ","filter":{"status":"pending"},"limit":5,"cursor":"12:c"})");
    CHECK(p.q == "  Refund  ORDER ");
    CHECK(p.filter.status == "pending");
    CHECK(p.paging.limit == 5);
    CHECK(p.paging.cursor == "12:c");
    CHECK(ok<params::SearchConversations>("searchConversations", R"({"q":"x"})").paging.limit ==
          20);
  }
  SUBCASE("subscribeInbox") {
    auto p = ok<params::SubscribeInbox>("subscribeInbox", "{}");
    CHECK(p.limit == 20);
    p = ok<params::SubscribeInbox>("subscribeInbox",
                                   R"({"filter":{"skillId":"billing","channel":"web"},"limit":100})");
    CHECK(p.filter.skill_id == "billing");
    CHECK(p.filter.channel == "web");
    CHECK(p.limit == 100);
  }
  SUBCASE("unsubscribeInbox") {
    CHECK(ok<params::UnsubscribeInbox>("unsubscribeInbox", R"({"subscriptionId":"s-1"})")
              .subscription_id == "s-1");
  }
}

TEST_CASE("inbox params: errors") {
  // searchConversations: q is required and must hold a word.
  CHECK(error_field("searchConversations", "{}") == "-32602 q");
  CHECK(error_field("searchConversations", R"({"q":""})") == "-32602 q");
  CHECK(error_field("searchConversations", R"({"q":"   \t "})") == "-32602 q");
  CHECK(error_field("searchConversations", R"({"q":7})") == "-32602 q");
  CHECK(error_field("searchConversations", R"({"q":"a b c d e f g h i j k l m n o p q"})") ==
        "-32602 q");
  CHECK(error_field("searchConversations", R"({"q":")" + std::string(501, 'x') + R"("})") ==
        "413 q");
  CHECK(error_field("searchConversations", R"({"q":"x","limit":0})") == "-32602 limit");
  CHECK(error_field("searchConversations", R"({"q":"x","limit":101})") == "-32602 limit");
  CHECK(error_field("searchConversations", R"({"q":"x","offset":1})") == "-32602 offset");
  // The filter is listConversations' own.
  CHECK(error_field("countConversations", R"({"filter":{"state":"DONE"}})") == "-32602 filter.state");
  CHECK(error_field("countConversations", R"({"filter":{"memberOf":"you"}})") ==
        "-32602 filter.memberOf");
  CHECK(error_field("countConversations", R"({"filter":{"colour":"red"}})") == "-32602 filter.colour");
  CHECK(error_field("countConversations", R"({"filter":[]})") == "-32602 filter");
  CHECK(error_field("countConversations", R"({"limit":1})") == "-32602 limit");
  CHECK(error_field("subscribeInbox", R"({"limit":0})") == "-32602 limit");
  CHECK(error_field("subscribeInbox", R"({"cursor":"x"})") == "-32602 cursor");
  CHECK(error_field("subscribeInbox", R"({"filter":{"status":"closed"}})") == "-32602 filter.status");
  CHECK(error_field("unsubscribeInbox", "{}") == "-32602 subscriptionId");
  CHECK(error_field("unsubscribeInbox", R"({"subscriptionId":5})") == "-32602 subscriptionId");
}
