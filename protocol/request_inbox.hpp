// Internal to the request decoder: the params decoders of the listing and
// inbox methods (countConversations, searchConversations, subscribeInbox,
// unsubscribeInbox), defined in request_params_inbox.cpp and listed in
// request_params.cpp's method table.
#pragma once

#include "request_fields.hpp"

namespace parley::detail {

// listConversations' `filter` object (request_params.cpp), shared.
void read_filter(FieldReader& f, params::ListFilter& out);

Result<Params> decode_count_conversations(FieldReader& r);
Result<Params> decode_search_conversations(FieldReader& r);
Result<Params> decode_subscribe_inbox(FieldReader& r);
Result<Params> decode_unsubscribe_inbox(FieldReader& r);

}  // namespace parley::detail
