// Internal to the request decoder: the params readers of the webhook admin
// methods (docs/webhooks.md), defined in request_params_hooks.cpp.
// request_params.cpp makes their decoders.
#pragma once

#include "request_fields.hpp"

namespace parley::detail {

void read(FieldReader& r, params::ListWebhookDeadLetters& p);
void read(FieldReader& r, params::ReplayWebhookDeadLetter& p);

}  // namespace parley::detail
