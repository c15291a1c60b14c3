// The permission matrix's driver (matrix_test.cpp holds the table): seeds
// the conversations, runs every cell of the table, checks its answer, and
// after each one runs the leak check of matrix_support.hpp.
#pragma once

#include <array>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "matrix_support.hpp"

namespace parley::it::matrix {

enum State { kOpen, kClose, kLocked };
inline constexpr std::array<const char*, 3> kStates = {"OPEN", "CLOSE", "LOCKED"};

// A seeded conversation of tenant acme.
struct Conv {
  std::string id;
  State state = kOpen;
  int64_t public_seq = 0;  // the consumer's public message
};

struct CellCtx {
  const Principal& p;
  const Conv* conv;  // null for the methods that name no conversation
};
using Sample = std::string (*)(const CellCtx&);

// {"conversationId":<the cell's>, extra}
inline std::string cref(const CellCtx& c, const std::string& extra = "") {
  std::string s = "{\"conversationId\":" + quote(c.conv->id);
  if (!extra.empty()) s += "," + extra;
  return s + "}";
}

// One method. `conv`: it names a conversation (then `expect` holds, for
// each of the ten same-tenant columns, its answer in OPEN, CLOSE and
// LOCKED; another tenant is 404, always); otherwise `expect` holds one
// answer for each of the fifteen principals. `mutates`: an allowed call
// changes the conversation, so each cell the table allows gets a fresh one
// (the refused ones share one conversation per state).
// Answers: A a result; P -32602; 1 401; 3 403; 4 404; 9 409; T 413; R 429.
struct Row {
  std::string_view method;
  bool conv;
  bool mutates;
  Sample sample;
  std::string_view expect;
  char other_tenant = '4';  // the answer of another tenant's callers (conversation rows)
};

inline std::string compact(std::string_view s) {
  std::string e;
  for (char ch : s)
    if (ch != ' ') e.push_back(ch);
  return e;
}

// The expected answer of one cell.
inline char expected(const Row& row, size_t principal, State state) {
  const std::string e = compact(row.expect);
  if (!row.conv) return principal < e.size() ? e[principal] : '?';
  if (principal >= 10) return row.other_tenant;
  const size_t at = principal * 3 + static_cast<size_t>(state);
  return at < e.size() ? e[at] : '?';
}

// The broker's flags: rates and quotas out of the way (the matrix makes
// thousands of calls and conversations), tokens as in production.
inline std::vector<std::string> broker_args() {
  return jwt_args({"--rate-per-sec", "1000000", "--rate-burst", "1000000",
                   "--max-creations-per-min", "0", "--max-tenant-creations-per-min", "0",
                   "--max-open-conversations-per-user", "0", "--max-subscriptions", "100000"});
}

class Driver {
 public:
  Driver(uint16_t port, const std::vector<Row>& rows) : port_(port), rows_(rows) {}

  struct Counts {
    int64_t cells = 0;
    int64_t calls = 0;  // every request the test made, probes and setup included
    int64_t probe_checks = 0;
    int64_t conversations = 0;
    int64_t revocations = 0;  // a restricted principal lost its access, then was watched
  };
  const Counts& counts() const { return counts_; }
  const ScanStats& scan_stats() const { return stats_; }

  // The principals, the setup admin, the sentinel conversation, and the
  // conversations every cell needs, seeded.
  void setup();
  // Every method of `methods` (the decoder's list) by its row, failing for
  // one without a row; conversation rows first (the listings and the inbox last,
  // so their extra inbox subscriptions do not multiply the pushes).
  void run(const std::vector<std::string_view>& methods);
  int64_t methods() const { return methods_; }
  // After a short settle: every inbox's final view against the model.
  void final_checks();
  // The observed answers, in the table's syntax.
  void print_observed(std::ostream& out) const;

 private:
  Principal& principal(const std::string& key);
  bool restricted(const Principal& p) const { return !p.agent_side_account(); }
  std::vector<Conv> seed(State state, size_t n);
  Conv take_fresh(State state);
  void run_cell(size_t row_index, size_t principal_index, State state);
  // After an allowed change of `conv`: who of the restricted principals
  // reads it now, and the revocation check for those that lost it.
  void update_model(const Conv& conv, const std::string& context);
  void after_revocation(const Conv& conv, const std::vector<Principal*>& losers,
                        const std::string& state, const std::string& context);
  void drain_all(const std::string& context);
  void handle_frame(Principal& p, const Json& frame, const std::string& context);
  void probe(const Conv* conv, bool tenant_wide, const std::string& context);
  void check_consumer_view(const Principal& w, const Conv& conv, const Json& get, const Json& query,
                           const Json& members, const std::vector<Json>& replay,
                           int64_t replayed, const std::string& context);
  void check_consumer_conversation(const Principal& w, const Json& c, const std::string& context);
  Json root_batch(const std::vector<std::pair<std::string, std::string>>& calls);
  static Json item(const Json& batch_answer, size_t id);

  uint16_t port_;
  const std::vector<Row>& rows_;
  std::vector<Principal> principals_;
  std::vector<Principal*> watchers_;  // those with a restricted view, probed after each cell
  std::unique_ptr<WsClient> root_;
  Model model_;
  ScanStats stats_;
  Counts counts_;
  std::array<Conv, 3> base_;
  std::array<std::deque<Conv>, 3> fresh_;
  Conv sentinel_;
  int64_t sentinel_n_ = 0;
  int64_t methods_ = 0;
  // principal key -> conversation id -> reported by its inbox (last push UPSERT)
  std::map<std::string, std::map<std::string, bool>> inbox_;
  std::vector<std::string> observed_;  // per row: the answers, compacted like `expect`
};

}  // namespace parley::it::matrix
