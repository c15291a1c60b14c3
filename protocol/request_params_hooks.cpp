#include "request_params_hooks.hpp"

namespace parley::detail {

void read(FieldReader&, params::ListWebhookDeadLetters&) {}

void read(FieldReader& r, params::ReplayWebhookDeadLetter& p) { r.id("id", p.id); }

}  // namespace parley::detail
