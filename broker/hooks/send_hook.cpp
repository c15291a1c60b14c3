#include "hooks/send_hook.hpp"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "hooks/signature.hpp"
#include "json_writer.hpp"
#include "observe/logging.hpp"

namespace parley::hooks {

SendHook::SendHook(const HooksConfig& cfg, HookMetrics& metrics, size_t max_text_chars)
    : cfg_(cfg), metrics_(metrics), max_text_chars_(max_text_chars) {
  if (cfg_.send_hook && cfg_.send_hook->tls) tls_ = make_tls_context(cfg_.ca_file);
}

bool SendHook::applies_to(const Identity& who) {
  return who.role == AccountRole::consumer || who.role == AccountRole::agent ||
         who.role == AccountRole::manager;
}

Result<std::optional<std::string>> SendHook::failure(std::string why, bool overload,
                                                    std::string_view request_id) {
  (overload ? metrics_.send_hook_overload : metrics_.send_hook_error)
      .fetch_add(1, std::memory_order_relaxed);
  observe::LogFields fields{{"request_id", request_id}, {"method", "sendMessage"}};
  spdlog::warn("send hook: {} ({})", why, cfg_.send_hook_fail_open ? "fail-open: committed as sent"
                                                                   : "fail-closed: refused");
  if (cfg_.send_hook_fail_open) return std::optional<std::string>{};
  JsonWriter w;
  w.begin_object().field("reason", std::string_view("moderation unavailable")).end_object();
  return Error{code::unavailable, "moderation unavailable: " + why, w.take()};
}

asio::awaitable<Result<std::optional<std::string>>> SendHook::check(const Identity& who,
                                                                   const params::SendMessage& p,
                                                                   std::string request_id) {
  if (!cfg_.send_hook || !applies_to(who)) co_return std::optional<std::string>{};
  // The cap: a call beyond it is not made.
  if (inflight_.fetch_add(1) >= cfg_.send_hook_max_inflight) {
    inflight_.fetch_sub(1);
    co_return failure("over --send-hook-max-inflight", true, request_id);
  }
  metrics_.send_hook_inflight.fetch_add(1, std::memory_order_relaxed);
  struct Release {
    SendHook& h;
    ~Release() {
      h.inflight_.fetch_sub(1);
      h.metrics_.send_hook_inflight.fetch_sub(1, std::memory_order_relaxed);
    }
  } release{*this};
  co_return co_await call(who, p, request_id);
}

asio::awaitable<Result<std::optional<std::string>>> SendHook::call(const Identity& who,
                                                                  const params::SendMessage& p,
                                                                  std::string_view request_id) {
  JsonWriter w;
  w.begin_object()
      .field("type", std::string_view("message.send"))
      .field("tenant", who.tenant)
      .field("conversationId", p.conversation_id);
  w.key("from").begin_object().field("userId", who.user_id).field("role", to_string(who.role));
  w.end_object();
  w.field("text", p.text);
  if (p.metadata) w.field_raw("metadata", *p.metadata);
  if (p.client_message_id) w.field("clientMessageId", *p.client_message_id);
  w.end_object();
  std::string body = w.take();

  const auto now = std::chrono::system_clock::now();
  const int64_t t =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Parley-Signature", signature_header(cfg_.send_hook_secret, t, body)},
      {"Parley-Event", "message.send"},
      {"Parley-Delivery-Id", "mod_" + sha256_hex(body).substr(0, 32)}};
  PostOptions o;
  o.total_timeout = std::chrono::milliseconds(cfg_.send_hook_timeout_ms);
  o.connect_timeout = std::min(o.connect_timeout, o.total_timeout);

  const auto start = std::chrono::steady_clock::now();
  auto r = co_await http_post(*cfg_.send_hook, headers, std::move(body), o, tls_.get());
  metrics_.observe_send_hook(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                            start)
          .count()));
  if (!r.ok()) co_return failure(r.error().message, false, request_id);
  if (r->status < 200 || r->status > 299)
    co_return failure("answered HTTP " + std::to_string(r->status), false, request_id);

  simdjson::dom::parser parser;
  simdjson::dom::object answer;
  if (parser.parse(r->body).get_object().get(answer) != simdjson::SUCCESS)
    co_return failure("the answer is not a JSON object", false, request_id);
  std::string_view action;
  if (answer["action"].get_string().get(action) != simdjson::SUCCESS)
    co_return failure("the answer has no \"action\" string", false, request_id);
  if (action == "allow") {
    metrics_.send_hook_allow.fetch_add(1, std::memory_order_relaxed);
    co_return std::optional<std::string>{};
  }
  if (action == "reject") {
    std::string_view reason = "rejected by moderation";
    if (answer["reason"].get_string().get(reason) != simdjson::SUCCESS)
      reason = "rejected by moderation";
    metrics_.send_hook_reject.fetch_add(1, std::memory_order_relaxed);
    JsonWriter d;
    d.begin_object().field("reason", reason).end_object();
    co_return Error{code::forbidden, "rejected by moderation", d.take()};
  }
  if (action == "rewrite") {
    std::string_view text;
    if (answer["text"].get_string().get(text) != simdjson::SUCCESS)
      co_return failure("a rewrite without a \"text\" string", false, request_id);
    if (text.empty() || code_points(text) > max_text_chars_)
      co_return failure("a rewrite's text is empty or over the text limit", false, request_id);
    metrics_.send_hook_rewrite.fetch_add(1, std::memory_order_relaxed);
    co_return std::optional<std::string>(std::string(text));
  }
  co_return failure("unknown action \"" + std::string(action) + "\"", false, request_id);
}

}  // namespace parley::hooks
