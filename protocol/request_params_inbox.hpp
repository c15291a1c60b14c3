// Internal to the request decoder: the params readers of the listing and
// inbox methods (countConversations, searchConversations, subscribeInbox,
// unsubscribeInbox; docs/protocol.md, "Inbox, search, count"), defined in
// request_params_inbox.cpp. request_params.cpp makes their decoders.
#pragma once

#include "request_fields.hpp"

namespace parley::detail {

void read(FieldReader& r, params::CountConversations& p);
void read(FieldReader& r, params::SearchConversations& p);
void read(FieldReader& r, params::SubscribeInbox& p);
void read(FieldReader& r, params::UnsubscribeInbox& p);

}  // namespace parley::detail
