// The params readers of the admin methods (request_params_admin.hpp), with
// the strictness of every other reader.
#include "request_params_admin.hpp"

namespace parley::detail {

namespace {
// A WebSocket close frame's reason fits in 123 bytes.
constexpr size_t kReasonBytes = 120;
}  // namespace

void read(FieldReader& r, params::DisconnectUser& p) {
  r.id("userId", p.user_id);
  r.bytes("reason", p.reason, kReasonBytes);
}

void read(FieldReader& r, params::PublishSystemEvent& p) {
  r.id("conversationId", p.conversation_id);
  r.text("text", p.text, r.limits().text_chars);
  r.json_object("data", p.data, r.limits().metadata_bytes);
}

}  // namespace parley::detail
