// Internal to the request decoder: the params readers of the contact-centre
// methods (docs/protocol.md, "The contact-centre workflow": the workflow, the
// member routing methods and the rich message kinds), defined in
// request_params_workflow.cpp. request_params.cpp makes their decoders.
#pragma once

#include "request_fields.hpp"

namespace parley::detail {

void read(FieldReader& r, params::CloseConversation& p);
void read(FieldReader& r, params::SetStatus& p);
void read(FieldReader& r, params::Invite& p);
void read(FieldReader& r, params::MemberRef& p);  // removeMember, assign
void read(FieldReader& r, params::Transfer& p);
void read(FieldReader& r, params::SetGroup& p);
void read(FieldReader& r, params::ConsumerTakeover& p);
void read(FieldReader& r, params::SendRichContent& p);
void read(FieldReader& r, params::SendFile& p);
void read(FieldReader& r, params::SendEvent& p);
void read(FieldReader& r, params::SetNote& p);
void read(FieldReader& r, params::ListNotes& p);
void read(FieldReader& r, params::SetCsat& p);
void read(FieldReader& r, params::SetTtr& p);
void read(FieldReader& r, params::SetManualEttr& p);

}  // namespace parley::detail
