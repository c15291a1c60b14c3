// Internal to the request decoder: the params decoders of the users, drafts
// and archive methods (PROTOCOL.md §5 "Presence and users", getInvitableUsers,
// saveDraft/getDraft, archiveConversation), defined in
// request_params_users.cpp and listed in request_params.cpp's method table.
#pragma once

#include "request_fields.hpp"

namespace parley::detail {

Result<Params> decode_upsert_user(FieldReader& r);
Result<Params> decode_get_user(FieldReader& r);
Result<Params> decode_list_users(FieldReader& r);
Result<Params> decode_list_user_conversations(FieldReader& r);
Result<Params> decode_get_invitable_users(FieldReader& r);
Result<Params> decode_save_draft(FieldReader& r);
Result<Params> decode_get_draft(FieldReader& r);
Result<Params> decode_archive_conversation(FieldReader& r);

}  // namespace parley::detail
