// Internal to the request decoder: the params readers of the users, drafts
// and archive methods (docs/protocol.md, "Users, drafts, archive"), defined
// in request_params_users.cpp. request_params.cpp makes their decoders.
#pragma once

#include "request_fields.hpp"

namespace parley::detail {

void read(FieldReader& r, params::UpsertUser& p);
void read(FieldReader& r, params::GetUser& p);
void read(FieldReader& r, params::ListUsers& p);
void read(FieldReader& r, params::ListUserConversations& p);
void read(FieldReader& r, params::GetInvitableUsers& p);
void read(FieldReader& r, params::SaveDraft& p);
void read(FieldReader& r, params::GetDraft& p);
void read(FieldReader& r, params::ArchiveConversation& p);

}  // namespace parley::detail
