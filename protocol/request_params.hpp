// Internal to the request decoder: the params decoder of each method.
//
// A method's params are read by an overload of read(FieldReader&, P&) for its
// type P, or for the shape P derives from (params::ConversationRef serves
// leave, listMembers...): request_params.cpp holds the readers of the
// session, conversation and message methods and the table of decoders,
// request_params_<family>.cpp the others (their headers declare them). The
// table is made from the Params variant: a method with a reader has a
// decoder, with nothing to list.
#pragma once

#include <cstddef>

#include "request_fields.hpp"

namespace parley::detail {

// Decodes the params of the method at `index` in Params: its reader, then
// the unknown-field check. The first error found is the one returned.
Result<Params> decode_params(size_t index, FieldReader& r);

// listConversations' `filter` object, shared by the listings
// (request_params_inbox.cpp).
void read_filter(FieldReader& f, params::ListFilter& out);

}  // namespace parley::detail
