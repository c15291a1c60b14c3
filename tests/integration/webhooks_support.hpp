// What the webhook tests share: the broker flags of a webhook pointing at a
// HookReceiver, and the receiver's view of the deliveries.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"
#include "hook_receiver.hpp"

namespace parley::it {

inline constexpr const char* kWebhookSecret = "wh-secret";

// --webhook for tenant acme's messages, with fast retries.
inline std::vector<std::string> webhook_args(const HookReceiver& receiver,
                                             std::vector<std::string> more = {}) {
  std::vector<std::string> args = {
      "--webhook",
      "tenant=acme url=" + receiver.url("/events") + " secret=" + kWebhookSecret +
          " events=message name=crm",
      "--webhook-retry-base-ms", "50", "--webhook-retry-max-ms", "200"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// One delivery as the receiver saw it.
struct Seen {
  std::string delivery_id;
  std::string conversation_id;
  int64_t seq = 0;
  int status = 0;
  bool signed_ok = false;
};

inline std::vector<Seen> seen(const HookReceiver& receiver) {
  std::vector<Seen> out;
  for (const auto& [req, status] : receiver.requests()) {
    Json body = Json::parse(req.body);
    Seen s;
    s.delivery_id = req.header("parley-delivery-id");
    s.conversation_id = body.get_string("/conversationId");
    s.seq = body.get_int("/seq");
    s.status = status;
    s.signed_ok = signature_valid(req.header("parley-signature"), kWebhookSecret, req.body) &&
                  req.header("parley-event") == body.get_string("/type") &&
                  body.get_string("/id") == s.delivery_id;
    out.push_back(s);
  }
  return out;
}

// The seqs accepted (2xx) per conversation, duplicates dropped by delivery id,
// in the order they were accepted.
inline std::map<std::string, std::vector<int64_t>> accepted(const HookReceiver& receiver) {
  std::map<std::string, std::vector<int64_t>> out;
  std::set<std::string> ids;
  for (const auto& s : seen(receiver))
    if (s.status == 200 && ids.insert(s.delivery_id).second)
      out[s.conversation_id].push_back(s.seq);
  return out;
}

// listWebhookDeadLetters as `admin`, once it lists `n` letters (bounded).
inline Json dead_letters_when(WsClient& admin, size_t n) {
  Json letters = Json::parse("{}");
  REQUIRE(wait_until([&] {
    letters = admin.call("listWebhookDeadLetters");
    return letters.size("/data") == n;
  }));
  return letters;
}

}  // namespace parley::it
