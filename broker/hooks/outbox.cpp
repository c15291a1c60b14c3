#include "hooks/outbox.hpp"

#include <simdjson.h>

#include "json_writer.hpp"

namespace parley::hooks {

std::string DeadLetter::to_json() const {
  JsonWriter w;
  w.begin_object()
      .field("id", id)
      .field("tenant", tenant)
      .field("conversationId", conversation_id)
      .field("seq", seq)
      .field("type", type)
      .field("webhook", webhook)
      .field("url", url)
      .field("attempts", attempts)
      .field("firstAttemptAt", first_attempt_at)
      .field("failedAt", failed_at)
      .field("error", error)
      .end_object();
  return w.take();
}

std::optional<DeadLetter> DeadLetter::from_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(json).get_object().get(o) != simdjson::SUCCESS) return std::nullopt;
  DeadLetter d;
  auto str = [&](const char* k, std::string& out) {
    std::string_view v;
    if (o[k].get_string().get(v) != simdjson::SUCCESS) return false;
    out = std::string(v);
    return true;
  };
  auto num = [&](const char* k, auto& out) {
    int64_t v = 0;
    if (o[k].get_int64().get(v) != simdjson::SUCCESS) return false;
    out = static_cast<std::remove_reference_t<decltype(out)>>(v);
    return true;
  };
  if (!str("id", d.id) || !str("tenant", d.tenant) || !str("conversationId", d.conversation_id) ||
      !num("seq", d.seq) || !str("type", d.type) || !str("webhook", d.webhook) ||
      !str("url", d.url) || !num("attempts", d.attempts) ||
      !num("firstAttemptAt", d.first_attempt_at) || !num("failedAt", d.failed_at) ||
      !str("error", d.error))
    return std::nullopt;
  return d;
}

}  // namespace parley::hooks
