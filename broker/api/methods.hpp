// The method table: every method of the protocol, its handler, and what the
// handler needs of its caller.
//
// How a call reaches its handler:
//   - protocol/ names every method once, as a params type of its own that
//     carries the method's name (protocol/params.hpp), listed in the Params
//     variant (protocol/request.hpp); decode_frame finds the method's index
//     in Params by name and runs the decoder made for that type
//     (protocol/request_params.cpp).
//   - Here, kHandlers holds one entry per alternative of Params, in the same
//     order (checked at compile time): the dispatcher (dispatcher.cpp) runs
//     kHandlers[params.index()]. No method name is compared after decoding.
//   - A handler is a free function of namespace `methods`, in the
//     methods_<family>.cpp of its family:
//         asio::awaitable<Reply> name(Context& ctx, const params::X& p);
//     It takes SocketContext& instead when it acts on the caller's socket
//     (its subscriptions, its presence, its identity): the entry then needs
//     a socket, and a transport without one (HTTP) is refused before the
//     handler runs. Needs{} says the rest: `anonymous` (callable before
//     authentication), `tenant_read` (costs limits.expensive_read_cost rate
//     tokens).
//
// Adding a method: its params type in protocol/params.hpp (deriving from a
// shape that has a reader, or with a reader of its own), its line in
// Params; here its handler's declaration and its entry; the handler in its
// family's file.
#pragma once

#include <cstddef>
#include <iterator>
#include <type_traits>

#include "api/conversation_io.hpp"
#include "request.hpp"

namespace parley {

namespace methods {

// methods_session.cpp
asio::awaitable<Reply> authenticate(SocketContext& ctx, const params::Authenticate& p);
asio::awaitable<Reply> ping(Context& ctx, const params::Ping& p);
// methods_conversations.cpp
asio::awaitable<Reply> create_conversation(Context& ctx, const params::CreateConversation& p);
asio::awaitable<Reply> get_conversation(Context& ctx, const params::GetConversation& p);
asio::awaitable<Reply> list_conversations(Context& ctx, const params::ListConversations& p);
asio::awaitable<Reply> update_conversation(Context& ctx, const params::UpdateConversation& p);
asio::awaitable<Reply> delete_conversation(Context& ctx, const params::DeleteConversation& p);
asio::awaitable<Reply> join(Context& ctx, const params::Join& p);
asio::awaitable<Reply> leave(Context& ctx, const params::Leave& p);
asio::awaitable<Reply> list_members(Context& ctx, const params::ListMembers& p);
asio::awaitable<Reply> get_conversation_stats(Context& ctx, const params::GetConversationStats& p);
// methods_messages.cpp
asio::awaitable<Reply> send_message(Context& ctx, const params::SendMessage& p);
asio::awaitable<Reply> edit_message(Context& ctx, const params::EditMessage& p);
asio::awaitable<Reply> delete_message(Context& ctx, const params::DeleteMessage& p);
asio::awaitable<Reply> query_messages(Context& ctx, const params::QueryMessages& p);
asio::awaitable<Reply> set_chat_state(SocketContext& ctx, const params::SetChatState& p);
asio::awaitable<Reply> mark_read(Context& ctx, const params::MarkRead& p);
// methods_subscriptions.cpp
asio::awaitable<Reply> subscribe(SocketContext& ctx, const params::Subscribe& p);
asio::awaitable<Reply> unsubscribe(SocketContext& ctx, const params::Unsubscribe& p);
// methods_workflow.cpp
asio::awaitable<Reply> close_conversation(Context& ctx, const params::CloseConversation& p);
asio::awaitable<Reply> reopen_conversation(Context& ctx, const params::ReopenConversation& p);
asio::awaitable<Reply> lock_conversation(Context& ctx, const params::LockConversation& p);
asio::awaitable<Reply> set_status(Context& ctx, const params::SetStatus& p);
asio::awaitable<Reply> set_note(Context& ctx, const params::SetNote& p);
asio::awaitable<Reply> list_notes(Context& ctx, const params::ListNotes& p);
asio::awaitable<Reply> set_csat(Context& ctx, const params::SetCsat& p);
asio::awaitable<Reply> set_ttr(Context& ctx, const params::SetTtr& p);
asio::awaitable<Reply> set_manual_ettr(Context& ctx, const params::SetManualEttr& p);
// methods_routing.cpp
asio::awaitable<Reply> invite(Context& ctx, const params::Invite& p);
asio::awaitable<Reply> remove_member(Context& ctx, const params::RemoveMember& p);
asio::awaitable<Reply> assign(Context& ctx, const params::Assign& p);
asio::awaitable<Reply> transfer(Context& ctx, const params::Transfer& p);
asio::awaitable<Reply> set_group(Context& ctx, const params::SetGroup& p);
asio::awaitable<Reply> consumer_takeover(Context& ctx, const params::ConsumerTakeover& p);
// methods_content.cpp
asio::awaitable<Reply> send_private_message(Context& ctx, const params::SendPrivateMessage& p);
asio::awaitable<Reply> send_rich_content(Context& ctx, const params::SendRichContent& p);
asio::awaitable<Reply> send_file(Context& ctx, const params::SendFile& p);
asio::awaitable<Reply> send_event(Context& ctx, const params::SendEvent& p);
// methods_presence.cpp
asio::awaitable<Reply> set_presence(SocketContext& ctx, const params::SetPresence& p);
asio::awaitable<Reply> get_presence(Context& ctx, const params::GetPresence& p);
// methods_users.cpp
asio::awaitable<Reply> upsert_user(Context& ctx, const params::UpsertUser& p);
asio::awaitable<Reply> get_user(Context& ctx, const params::GetUser& p);
asio::awaitable<Reply> list_users(Context& ctx, const params::ListUsers& p);
asio::awaitable<Reply> list_user_conversations(Context& ctx,
                                               const params::ListUserConversations& p);
asio::awaitable<Reply> get_invitable_users(Context& ctx, const params::GetInvitableUsers& p);
asio::awaitable<Reply> save_draft(Context& ctx, const params::SaveDraft& p);
asio::awaitable<Reply> get_draft(Context& ctx, const params::GetDraft& p);
asio::awaitable<Reply> archive_conversation(Context& ctx, const params::ArchiveConversation& p);
// methods_inbox.cpp
asio::awaitable<Reply> count_conversations(Context& ctx, const params::CountConversations& p);
asio::awaitable<Reply> search_conversations(Context& ctx, const params::SearchConversations& p);
asio::awaitable<Reply> subscribe_inbox(SocketContext& ctx, const params::SubscribeInbox& p);
asio::awaitable<Reply> unsubscribe_inbox(SocketContext& ctx, const params::UnsubscribeInbox& p);
// methods_hooks.cpp
asio::awaitable<Reply> list_webhook_dead_letters(Context& ctx,
                                                 const params::ListWebhookDeadLetters& p);
asio::awaitable<Reply> replay_webhook_dead_letter(Context& ctx,
                                                  const params::ReplayWebhookDeadLetter& p);
// methods_admin.cpp
asio::awaitable<Reply> disconnect_user(Context& ctx, const params::DisconnectUser& p);
asio::awaitable<Reply> publish_system_event(Context& ctx, const params::PublishSystemEvent& p);

}  // namespace methods

// What a handler needs of its caller besides a socket (which its signature says).
struct Needs {
  bool anonymous = false;    // callable before authentication
  bool tenant_read = false;  // a tenant-wide read: costs limits.expensive_read_cost tokens
};

// One entry of the table.
struct MethodHandler {
  size_t index = 0;  // the method's alternative in Params
  asio::awaitable<Reply> (*run)(Context& ctx, const Params& p) = nullptr;
  bool socket = false;  // takes SocketContext: refused without a socket
  Needs needs;
};

namespace detail {

template <class F>
struct HandlerTraits;
template <class P>
struct HandlerTraits<asio::awaitable<Reply> (*)(Context&, const P&)> {
  using ParamsType = P;
  static constexpr bool socket = false;
};
template <class P>
struct HandlerTraits<asio::awaitable<Reply> (*)(SocketContext&, const P&)> {
  using ParamsType = P;
  static constexpr bool socket = true;
};

// Runs Fn on the alternative it takes; returns its awaitable (no frame of
// its own). Only called with that alternative, and with a socket when Fn
// needs one (dispatch checks both).
template <auto Fn>
asio::awaitable<Reply> run(Context& ctx, const Params& p) {
  using H = HandlerTraits<decltype(Fn)>;
  const auto& typed = *std::get_if<typename H::ParamsType>(&p);
  if constexpr (H::socket)
    return Fn(*ctx.socket, typed);
  else
    return Fn(ctx, typed);
}

}  // namespace detail

// The entry of the handler Fn: its method is the params type it takes.
template <auto Fn>
constexpr MethodHandler handler(Needs needs = {}) {
  using H = detail::HandlerTraits<decltype(Fn)>;
  return {method_index_of<typename H::ParamsType>(), &detail::run<Fn>, H::socket, needs};
}

// In the order of Params (protocol/request.hpp).
inline constexpr MethodHandler kHandlers[] = {
    handler<methods::authenticate>({.anonymous = true}),
    handler<methods::ping>(),
    handler<methods::create_conversation>(),
    handler<methods::get_conversation>(),
    handler<methods::list_conversations>({.tenant_read = true}),
    handler<methods::update_conversation>(),
    handler<methods::delete_conversation>(),
    handler<methods::join>(),
    handler<methods::leave>(),
    handler<methods::list_members>(),
    handler<methods::send_message>(),
    handler<methods::edit_message>(),
    handler<methods::delete_message>(),
    handler<methods::query_messages>(),
    handler<methods::subscribe>(),
    handler<methods::unsubscribe>(),
    handler<methods::set_chat_state>(),
    handler<methods::mark_read>(),
    // contact-centre workflow
    handler<methods::close_conversation>(),
    handler<methods::reopen_conversation>(),
    handler<methods::lock_conversation>(),
    handler<methods::set_status>(),
    handler<methods::invite>(),
    handler<methods::remove_member>(),
    handler<methods::assign>(),
    handler<methods::transfer>(),
    handler<methods::set_group>(),
    handler<methods::consumer_takeover>(),
    handler<methods::send_private_message>(),
    handler<methods::send_rich_content>(),
    handler<methods::send_file>(),
    handler<methods::send_event>(),
    handler<methods::set_note>(),
    handler<methods::list_notes>(),
    handler<methods::set_csat>(),
    handler<methods::set_ttr>(),
    handler<methods::set_manual_ettr>(),
    handler<methods::set_presence>(),
    handler<methods::get_presence>(),
    // users, drafts, archive
    handler<methods::upsert_user>(),
    handler<methods::get_user>(),
    handler<methods::list_users>(),
    handler<methods::list_user_conversations>({.tenant_read = true}),
    handler<methods::get_invitable_users>(),
    handler<methods::save_draft>(),
    handler<methods::get_draft>(),
    handler<methods::archive_conversation>(),
    // listings and the inbox
    handler<methods::count_conversations>({.tenant_read = true}),
    handler<methods::search_conversations>({.tenant_read = true}),
    handler<methods::subscribe_inbox>({.tenant_read = true}),
    handler<methods::unsubscribe_inbox>(),
    // for back ends
    handler<methods::get_conversation_stats>(),
    handler<methods::disconnect_user>(),
    handler<methods::publish_system_event>(),
    // webhooks
    handler<methods::list_webhook_dead_letters>(),
    handler<methods::replay_webhook_dead_letter>(),
};

namespace detail {
constexpr bool in_params_order() {
  if (std::size(kHandlers) != kMethodCount) return false;
  for (size_t i = 0; i < kMethodCount; ++i)
    if (kHandlers[i].index != i) return false;
  return true;
}
static_assert(
    in_params_order(),
    "kHandlers: one entry per alternative of Params, in its order (protocol/request.hpp)");
}  // namespace detail

}  // namespace parley
