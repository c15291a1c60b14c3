// Internals of the Router shared by its method files (router.cpp: envelope,
// dispatch and session methods; methods_*.cpp: one family of methods each).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "live/inbox.hpp"
#include "live/presence.hpp"
#include "api/quota.hpp"
#include "request.hpp"
#include "api/router.hpp"
#include "live/timer_service.hpp"
#include "live/user_registration.hpp"

namespace parley {

// chatState coalescing for one (socket, conversation).
struct ChatStateSlot {
  Millis last_sent = 0;
  std::string pending;  // state waiting for the window to pass; "" = none
  bool timer_armed = false;
};

// Request-layer state of one socket, kept in Connection::context.
struct ClientState {
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<Subscription>> subs;  // by conversation id
  std::unordered_map<std::string, ChatStateSlot> chat;
};

std::string conversation_json(const Conversation& c, const Identity& who, const TtrSeconds& ttr);

// The result JSON of a method, or its error.
using Reply = Result<std::string>;

struct Router::Impl : std::enable_shared_from_this<Router::Impl> {
  Impl(const Config& c, Engine& e, Hub& h, Metrics& m, const Authenticator& a)
      : cfg(c),
        engine(e),
        hub(h),
        metrics(m),
        auth(a),
        timers(e, TimerService::Options{c.lock_after_sec * 1000, c.timer_poll_ms}),
        creations(c.limits.creations_per_min, c.limits.tenant_creations_per_min),
        presence(std::make_shared<PresenceTracker>(e, c)),
        registrar(std::make_shared<UserRegistrar>(e, kRegistrations, kRegistrationRefreshMs)),
        inbox(std::make_shared<InboxManager>(
            e,
            [ttr = c.ttr](const Conversation& conv, const Identity& who) {
              return conversation_json(conv, who, ttr);
            },
            c.limits.inbox_subscriptions)) {
    h.set_change_listener(inbox);
  }
  ~Impl() { hub.set_change_listener(nullptr); }

  const Config& cfg;
  Engine& engine;
  Hub& hub;
  Metrics& metrics;
  const Authenticator& auth;
  TimerService timers;  // the automatic lock and the ttl deletion
  CreationQuota creations;  // createConversation per user and per tenant, this node's count
  std::shared_ptr<PresenceTracker> presence;
  // Users registered from their tokens (user_registration.hpp): how many
  // this node remembers, and how long a registration counts as recent.
  static constexpr size_t kRegistrations = 100'000;
  static constexpr Millis kRegistrationRefreshMs = 10 * 60 * 1000;
  std::shared_ptr<UserRegistrar> registrar;
  std::shared_ptr<InboxManager> inbox;  // subscribeInbox (inbox.hpp)

  // What a method gets besides its params.
  struct Ctx {
    std::shared_ptr<Connection> conn;
    ClientState& state;
    Identity who;  // empty user_id before authentication
    Millis now;
    ConvKey key(const std::string& id) const { return {who.tenant, id}; }
  };

  asio::awaitable<std::string> run_call(std::shared_ptr<Connection> conn, Call& call);
  asio::awaitable<Reply> dispatch(Ctx& ctx, const std::string& method, Params& p);
  asio::awaitable<Reply> dispatch_workflow(Ctx& ctx, const std::string& method, Params& p);

  // router.cpp
  asio::awaitable<Reply> authenticate(Ctx& ctx, const params::Authenticate& p);
  // methods_conversations.cpp
  asio::awaitable<Reply> create_conversation(Ctx& ctx, const params::CreateConversation& p);
  // The quotas a creation by the caller must pass (quota.hpp): OK or 429.
  asio::awaitable<Status> creation_quotas(Ctx& ctx);
  asio::awaitable<Reply> get_conversation(Ctx& ctx, const params::GetConversation& p);
  asio::awaitable<Reply> list_conversations(Ctx& ctx, const params::ListConversations& p);
  asio::awaitable<Reply> update_conversation(Ctx& ctx, const params::UpdateConversation& p);
  asio::awaitable<Reply> delete_conversation(Ctx& ctx, const params::ConversationRef& p);
  asio::awaitable<Reply> join(Ctx& ctx, const params::Join& p);
  asio::awaitable<Reply> leave(Ctx& ctx, const params::ConversationRef& p);
  asio::awaitable<Reply> list_members(Ctx& ctx, const params::ConversationRef& p);
  // methods_messages.cpp
  asio::awaitable<Reply> send_message(Ctx& ctx, const params::SendMessage& p);
  asio::awaitable<Reply> edit_message(Ctx& ctx, const params::EditMessage& p);
  asio::awaitable<Reply> delete_message(Ctx& ctx, const params::DeleteMessage& p);
  asio::awaitable<Reply> query_messages(Ctx& ctx, const params::QueryMessages& p);
  asio::awaitable<Reply> mark_read(Ctx& ctx, const params::MarkRead& p);
  asio::awaitable<Reply> set_chat_state(Ctx& ctx, const params::SetChatState& p);
  // methods_subscriptions.cpp
  asio::awaitable<Reply> subscribe(Ctx& ctx, const params::Subscribe& p);
  asio::awaitable<Reply> unsubscribe(Ctx& ctx, const params::ConversationRef& p);
  void drop_subscriptions(ClientState& state);
  // A re-authentication: each subscription keeps the audience `who` has,
  // or ends (subscriptionEnded) when `who` may no longer read.
  void reauthorize_subscriptions(ClientState& state, const Identity& who);
  // methods_workflow.cpp
  asio::awaitable<Reply> close_conversation(Ctx& ctx, const params::CloseConversation& p);
  asio::awaitable<Reply> reopen_conversation(Ctx& ctx, const params::ConversationRef& p);
  asio::awaitable<Reply> lock_conversation(Ctx& ctx, const params::ConversationRef& p);
  asio::awaitable<Reply> set_status(Ctx& ctx, const params::SetStatus& p);
  asio::awaitable<Reply> set_note(Ctx& ctx, const params::SetNote& p);
  asio::awaitable<Reply> list_notes(Ctx& ctx, const params::ListNotes& p);
  asio::awaitable<Reply> set_csat(Ctx& ctx, const params::SetCsat& p);
  asio::awaitable<Reply> set_ttr(Ctx& ctx, const params::SetTtr& p);
  asio::awaitable<Reply> set_manual_ettr(Ctx& ctx, const params::SetManualEttr& p);
  // methods_routing.cpp
  asio::awaitable<Reply> invite(Ctx& ctx, const params::Invite& p);
  asio::awaitable<Reply> remove_member(Ctx& ctx, const params::MemberRef& p);
  asio::awaitable<Reply> assign(Ctx& ctx, const params::MemberRef& p);
  asio::awaitable<Reply> transfer(Ctx& ctx, const params::Transfer& p);
  asio::awaitable<Reply> set_group(Ctx& ctx, const params::SetGroup& p);
  asio::awaitable<Reply> consumer_takeover(Ctx& ctx, const params::ConsumerTakeover& p);
  // methods_content.cpp
  asio::awaitable<Reply> send_private_message(Ctx& ctx, const params::SendMessage& p);
  asio::awaitable<Reply> send_rich_content(Ctx& ctx, const params::SendRichContent& p);
  asio::awaitable<Reply> send_file(Ctx& ctx, const params::SendFile& p);
  asio::awaitable<Reply> send_event(Ctx& ctx, const params::SendEvent& p);

  // Commits the decision of a rule on the conversation `id` (methods_workflow.cpp),
  // and arms its automatic lock when the commit left it CLOSE.
  using Rule = std::function<Result<Decision>(const Conversation&)>;
  asio::awaitable<Result<Commit>> commit_rule(Ctx& ctx, const std::string& id, Rule rule);
  // The answer of an append: {seq, ts, epoch, duplicate} (methods_content.cpp).
  asio::awaitable<Reply> append_reply(Ctx& ctx, const std::string& id, AppendRequest req);
  // methods_presence.cpp
  asio::awaitable<Reply> set_presence(Ctx& ctx, const params::SetPresence& p);
  asio::awaitable<Reply> get_presence(Ctx& ctx, const params::GetPresence& p);

  // methods_users.cpp: users, drafts, archive.
  asio::awaitable<Reply> user_page(Ctx& ctx, UserListRequest rq, const params::Paging& paging);
  asio::awaitable<Reply> upsert_user(Ctx& ctx, const params::UpsertUser& p);
  asio::awaitable<Reply> get_user(Ctx& ctx, const params::GetUser& p);
  asio::awaitable<Reply> list_users(Ctx& ctx, const params::ListUsers& p);
  asio::awaitable<Reply> list_user_conversations(Ctx& ctx, const params::ListUserConversations& p);
  asio::awaitable<Reply> get_invitable_users(Ctx& ctx, const params::GetInvitableUsers& p);
  asio::awaitable<Reply> save_draft(Ctx& ctx, const params::SaveDraft& p);
  asio::awaitable<Reply> get_draft(Ctx& ctx, const params::GetDraft& p);
  asio::awaitable<Reply> archive_conversation(Ctx& ctx, const params::ArchiveConversation& p);
  // listConversations' page (order, cursor, offset of `p`) of the
  // conversations `match` accepts (methods_conversations.cpp).
  asio::awaitable<Reply> list_page(Ctx& ctx, const params::ListConversations& p,
                                   std::function<bool(const Conversation&)> match);
  // methods_inbox.cpp
  asio::awaitable<Reply> count_conversations(Ctx& ctx, const params::CountConversations& p);
  asio::awaitable<Reply> search_conversations(Ctx& ctx, const params::SearchConversations& p);
  asio::awaitable<Result<bool>> search_matches(Ctx& ctx, const Conversation& c,
                                               std::vector<std::string> terms);
  asio::awaitable<Reply> subscribe_inbox(Ctx& ctx, const params::SubscribeInbox& p);
  asio::awaitable<Reply> unsubscribe_inbox(Ctx& ctx, const params::UnsubscribeInbox& p);

  // Loads a conversation the caller may read (404 / 403 otherwise).
  asio::awaitable<Result<Conversation>> readable(Ctx& ctx, const std::string& id);
};

std::string new_conversation_id();
// listConversations' keyset cursor "<updatedAt>:<id>" and filter predicate
// (methods_conversations.cpp), shared by the listings of methods_inbox.cpp.
std::string conversation_cursor(const Conversation& c);
std::optional<std::pair<Millis, std::string>> parse_conversation_cursor(std::string_view s);
std::function<bool(const Conversation&)> list_filter(const params::ListFilter& f,
                                                     const Identity& who);
// The Conversation object as `who` sees it (`ttr`: the configured TTR seconds).
std::string conversation_json(const Conversation& c, const Identity& who, const TtrSeconds& ttr);

}  // namespace parley
