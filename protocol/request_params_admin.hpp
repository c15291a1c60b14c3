// Internal to the request decoder: the params readers of the admin methods
// for back ends (disconnectUser, publishSystemEvent; docs/protocol.md,
// "Admin methods"), defined in request_params_admin.cpp.
#pragma once

#include "request_fields.hpp"

namespace parley::detail {

void read(FieldReader& r, params::DisconnectUser& p);
void read(FieldReader& r, params::PublishSystemEvent& p);

}  // namespace parley::detail
