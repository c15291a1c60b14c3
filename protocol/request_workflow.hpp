// Internal to the request decoder: the params decoders of the contact-centre
// methods (PROTOCOL.md §5 "Contact-centre workflow", the member routing
// methods and the rich message kinds), defined in request_params_workflow.cpp
// and listed in request_params.cpp's method table with every other decoder.
#pragma once

#include "request_fields.hpp"

namespace parley::detail {

Result<Params> decode_close_conversation(FieldReader& r);
Result<Params> decode_set_status(FieldReader& r);
Result<Params> decode_invite(FieldReader& r);
Result<Params> decode_member_ref(FieldReader& r);  // removeMember, assign
Result<Params> decode_transfer(FieldReader& r);
Result<Params> decode_set_group(FieldReader& r);
Result<Params> decode_consumer_takeover(FieldReader& r);
Result<Params> decode_send_rich_content(FieldReader& r);
Result<Params> decode_send_file(FieldReader& r);
Result<Params> decode_send_event(FieldReader& r);
Result<Params> decode_set_note(FieldReader& r);
Result<Params> decode_list_notes(FieldReader& r);
Result<Params> decode_set_csat(FieldReader& r);
Result<Params> decode_set_ttr(FieldReader& r);
Result<Params> decode_set_manual_ettr(FieldReader& r);

}  // namespace parley::detail
