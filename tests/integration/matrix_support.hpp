// The permission matrix's machinery (matrix_test.cpp holds the table): the
// principals and their sockets, a model of who may read which
// conversation, and the leak scan every frame a principal receives goes
// through.
//
// The scan is what makes "nothing a role may not see is reachable" cheap to
// check after every call: every agents-only payload the test seeds carries
// the word "secret" (private text, note, custom data, skill, group, the
// suggested agent), so no frame a consumer account receives may hold it;
// and every conversation id found in a frame a principal receives must be
// one the model says it may read (or a late event it could read when it
// was sent, or the notice that its access ended).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "harness.hpp"
#include "workflow_support.hpp"

namespace parley::it::matrix {

inline constexpr const char* kTenant = "acme";
inline constexpr const char* kOtherTenant = "globex";

// One caller of the matrix: an account role, in the conversations' tenant
// (a member in its natural seat, or not a member) or in another tenant.
struct Principal {
  std::string key;   // the table's column: cm cx am ax mm mx bm bx dm dx gc ga gm gb gd
  std::string user;  // its user id
  std::string role;  // account role
  std::string tenant;
  bool member = false;  // a member of every conversation the test seeds
  std::string prev;     // the token's `prev` (consumerTakeover), "" when none
  std::unique_ptr<WsClient> ws;

  bool consumer() const { return role == "consumer"; }
  // Reads any conversation of its tenant, member or not (PROTOCOL §3).
  bool agent_side_account() const {
    return role == "agent" || role == "manager" || role == "admin";
  }
  Claims claims() const {
    Claims c(user);
    c.tenant_(tenant).role_(role);
    if (!prev.empty()) c.prev_(prev);
    return c;
  }
};

// What the test knows of a conversation: its tenant, whether it was
// deleted, the principals with a restricted view (consumer and bot
// accounts) that are active members, and for each principal that lost
// access the last seq it could still be sent.
struct ConvModel {
  std::string tenant;
  bool deleted = false;
  std::set<std::string> members;           // principal keys, restricted accounts only
  std::map<std::string, int64_t> cut;      // principal key -> last seq it may receive
};

class Model {
 public:
  void add(const std::string& id, ConvModel m) { convs_[id] = std::move(m); }
  ConvModel* find(const std::string& id) {
    auto it = convs_.find(id);
    return it == convs_.end() ? nullptr : &it->second;
  }
  bool may_read(const Principal& p, const ConvModel& c) const {
    if (c.deleted || c.tenant != p.tenant) return false;
    return p.agent_side_account() || c.members.count(p.key) > 0;
  }
  // Conversations `p` may read now, as countConversations counts them
  // (restricted accounts: those it is an active member of).
  int64_t readable_count(const Principal& p) const {
    int64_t n = 0;
    for (const auto& [id, c] : convs_) n += may_read(p, c) ? 1 : 0;
    return n;
  }
  const std::unordered_map<std::string, ConvModel>& all() const { return convs_; }

 private:
  std::unordered_map<std::string, ConvModel> convs_;
};

// The UUIDs (8-4-4-4-12 hex) in `text`: conversation ids, among others.
inline std::vector<std::string_view> uuids_in(std::string_view text) {
  auto hex = [](char ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
  };
  std::vector<std::string_view> out;
  for (size_t i = 0; i + 36 <= text.size(); ++i) {
    bool ok = true;
    for (size_t k = 0; k < 36 && ok; ++k) {
      const char ch = text[i + k];
      ok = (k == 8 || k == 13 || k == 18 || k == 23) ? ch == '-' : hex(ch);
    }
    if (ok) {
      out.push_back(text.substr(i, 36));
      i += 35;
    }
  }
  return out;
}

// The marker of every agents-only payload the test writes.
inline constexpr std::string_view kSecret = "secret";

// Counts and the first failures of the leak scan, for the report.
struct ScanStats {
  int64_t frames = 0;
  int64_t ids_checked = 0;
  int64_t leaks = 0;
};

// Scans one frame received by `p` (a response, a batch answer or a push).
// `context` says which cell it follows, for the failure message.
inline void scan_frame(Model& model, const Principal& p, const Json& frame,
                       const std::string& context, ScanStats& stats) {
  if (frame.is_array()) {
    for (const Json& item : frame.items()) scan_frame(model, p, item, context, stats);
    return;
  }
  ++stats.frames;
  const std::string text = frame.dump();
  auto leak = [&](const std::string& what) {
    ++stats.leaks;
    FAIL_CHECK("LEAK to " << p.key << " (" << p.role << "@" << p.tenant << ") after " << context
                          << ": " << what << "\n  frame: " << text.substr(0, 1500));
  };
  const bool push = frame.is_push();
  const std::string method = push ? frame.method() : "";
  if (p.consumer()) {
    if (text.find(kSecret) != std::string::npos) leak("agents-only content");
    if (method == "event") {
      Json e = frame.at("/params");
      const std::string type = e.get_string("/type");
      for (const auto& hidden : agents_only_types())
        if (type == hidden) leak("agents-only event type " + type);
      if (e.get_string("/visibility") != "all") leak("visibility " + e.get_string("/visibility"));
    }
  }
  const bool error = !push && frame.has("/error");
  if (error) return;  // an error names nothing but what was asked
  for (std::string_view id : uuids_in(text)) {
    ConvModel* c = model.find(std::string(id));
    if (!c) continue;  // a note id, a session id, ...
    ++stats.ids_checked;
    if (c->deleted || model.may_read(p, *c)) continue;
    auto cut = c->cut.find(p.key);
    const int64_t last = cut == c->cut.end() ? 0 : cut->second;
    if (push && last > 0) {
      // It could read the conversation until `last`: events up to it and
      // the notices of the end (subscriptionEnded, inbox DELETE, a late
      // receipt) may still arrive; a later event may not.
      if (method == "event" && frame.get_int("/params/seq") > last)
        leak("event seq " + std::to_string(frame.get_int("/params/seq")) +
             " after its access ended at seq " + std::to_string(last));
      continue;
    }
    leak("conversation " + std::string(id) + " it may not read");
  }
}

// A batch of requests, ids 1..n, as one frame.
inline std::string batch_frame(const std::vector<std::pair<std::string, std::string>>& calls) {
  std::vector<std::string> items;
  for (size_t i = 0; i < calls.size(); ++i)
    items.push_back(obj({{"jsonrpc", "2.0"},
                         {"id", static_cast<int64_t>(i + 1)},
                         {"method", calls[i].first},
                         {"params", raw(calls[i].second)}}));
  return arr(items);
}

// The one-letter outcome of a response, as the table writes it: A (a
// result), or the error: P -32602, 1 401, 3 403, 4 404, 9 409, T 413,
// R 429, M -32601, X anything else.
inline char outcome_of(const Json& response) {
  if (!response.has("/error")) return 'A';
  switch (response.get_int("/error/code")) {
    case -32602: return 'P';
    case -32601: return 'M';
    case 401: return '1';
    case 403: return '3';
    case 404: return '4';
    case 409: return '9';
    case 413: return 'T';
    case 429: return 'R';
    default: return 'X';
  }
}

}  // namespace parley::it::matrix
