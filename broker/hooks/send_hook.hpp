// The moderation hook (--send-hook): before a consumer's or an agent's
// sendMessage is committed, the broker POSTs it, signed like a webhook, and
// the hook answers allow, reject (with a reason) or rewrite (with new text).
// See docs/webhooks.md for the contract.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>

#include "error.hpp"
#include "hooks/hook_metrics.hpp"
#include "hooks/hooks_config.hpp"
#include "model.hpp"
#include "params.hpp"

namespace parley::hooks {

class SendHook {
 public:
  // `max_text_chars`: a rewrite longer than the text limit is a failure.
  SendHook(const HooksConfig& cfg, HookMetrics& metrics, size_t max_text_chars);

  // Whether `who`'s messages go through the hook (consumers and the agent
  // side's people: agent, manager; not bots nor admins).
  static bool applies_to(const Identity& who);

  // nullopt: commit as sent; a string: commit this text instead; an Error:
  // refuse (403 with data {reason} when the hook rejected; 503 when the
  // hook failed, timed out or is over its in-flight cap and the hook fails
  // closed; with fail-open those commit as sent). `request_id` goes on the
  // log line of a failure.
  asio::awaitable<Result<std::optional<std::string>>> check(const Identity& who,
                                                           const params::SendMessage& p,
                                                           std::string request_id = {});

 private:
  asio::awaitable<Result<std::optional<std::string>>> call(const Identity& who,
                                                          const params::SendMessage& p,
                                                          std::string_view request_id);
  Result<std::optional<std::string>> failure(std::string why, bool overload,
                                             std::string_view request_id);

  const HooksConfig& cfg_;
  HookMetrics& metrics_;
  size_t max_text_chars_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::atomic<int64_t> inflight_{0};
};

}  // namespace parley::hooks
