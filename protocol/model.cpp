#include "model.hpp"

#include <simdjson.h>

#include <algorithm>

namespace parley {

namespace {
constexpr std::string_view kAccountRoles[] = {"consumer", "agent", "manager", "bot", "admin"};
constexpr std::string_view kParticipantRoles[] = {"CONSUMER", "ASSIGNED_AGENT", "AGENT",
                                                  "MANAGER",  "READER",         "BOT"};
constexpr std::string_view kMemberStates[] = {"INVITED", "SUGGESTED", "ACTIVE", "LEFT"};
constexpr std::string_view kConvStates[] = {"OPEN", "CLOSE", "LOCKED"};
}  // namespace

std::string_view to_string(AccountRole r) { return kAccountRoles[static_cast<int>(r)]; }
std::string_view to_string(ParticipantRole r) { return kParticipantRoles[static_cast<int>(r)]; }
std::string_view to_string(MemberState s) { return kMemberStates[static_cast<int>(s)]; }
std::string_view to_string(ConvState s) { return kConvStates[static_cast<int>(s)]; }
std::string_view to_string(Visibility v) { return v == Visibility::all ? "all" : "agents"; }

std::optional<AccountRole> account_role_from(std::string_view s) {
  for (size_t i = 0; i < std::size(kAccountRoles); ++i)
    if (kAccountRoles[i] == s) return static_cast<AccountRole>(i);
  return std::nullopt;
}

std::optional<ParticipantRole> participant_role_from(std::string_view s) {
  for (size_t i = 0; i < std::size(kParticipantRoles); ++i)
    if (kParticipantRoles[i] == s) return static_cast<ParticipantRole>(i);
  return std::nullopt;
}

std::optional<ConvState> conv_state_from(std::string_view s) {
  for (size_t i = 0; i < std::size(kConvStates); ++i)
    if (kConvStates[i] == s) return static_cast<ConvState>(i);
  return std::nullopt;
}

bool is_agent_side(AccountRole r) {
  return r == AccountRole::agent || r == AccountRole::manager || r == AccountRole::admin;
}

bool is_agent_side(ParticipantRole r) { return r != ParticipantRole::consumer; }

ParticipantRole default_participant_role(AccountRole r) {
  switch (r) {
    case AccountRole::consumer: return ParticipantRole::consumer;
    case AccountRole::agent: return ParticipantRole::agent;
    case AccountRole::manager: return ParticipantRole::manager;
    case AccountRole::bot: return ParticipantRole::bot;
    case AccountRole::admin: return ParticipantRole::manager;
  }
  return ParticipantRole::consumer;
}

const Member* Conversation::member(std::string_view user_id) const {
  auto it = std::find_if(members.begin(), members.end(),
                         [&](const Member& m) { return m.user_id == user_id; });
  return it == members.end() ? nullptr : &*it;
}

Member* Conversation::member(std::string_view user_id) {
  auto it = std::find_if(members.begin(), members.end(),
                         [&](const Member& m) { return m.user_id == user_id; });
  return it == members.end() ? nullptr : &*it;
}

const Member* Conversation::active_member(std::string_view user_id) const {
  const Member* m = member(user_id);
  return m && m->state == MemberState::active ? m : nullptr;
}

const Member* Conversation::consumer() const {
  for (const auto& m : members)
    if (m.state == MemberState::active && m.role == ParticipantRole::consumer) return &m;
  return nullptr;
}

const Member* Conversation::assigned_agent() const {
  for (const auto& m : members)
    if (m.state == MemberState::active && m.role == ParticipantRole::assigned_agent) return &m;
  return nullptr;
}

size_t Conversation::active_members() const {
  return static_cast<size_t>(std::count_if(members.begin(), members.end(), [](const Member& m) {
    return m.state == MemberState::active;
  }));
}

const std::string& Conversation::current_dialog_id() const {
  static const std::string main = "MAIN";
  if (const Dialog* d = open_dialog()) return d->dialog_id;
  return dialogs.empty() ? main : dialogs.back().dialog_id;
}

const Dialog* Conversation::open_dialog() const {
  for (auto it = dialogs.rbegin(); it != dialogs.rend(); ++it)
    if (it->open) return &*it;
  return nullptr;
}

Millis Conversation::closed_at() const {
  Millis t = 0;
  for (const Dialog& d : dialogs) t = std::max(t, d.closed_at);
  return t;
}

int64_t TtrSeconds::of(std::string_view type, std::optional<int64_t> custom) const {
  if (type == "NORMAL") return normal;
  if (type == "PRIORITIZED") return prioritized;
  if (type == "URGENT") return urgent;
  return custom.value_or(normal);
}

Millis Conversation::ttr_deadline(const TtrSeconds& s) const {
  const Millis base = last_consumer_message_at ? last_consumer_message_at : created_at;
  return base + s.of(ttr_type, ttr_value) * 1000;
}

Millis Conversation::ttr_effective(const TtrSeconds& s) const {
  return ttr_manual ? ttr_manual : ttr_deadline(s);
}

bool is_message_type(std::string_view type) {
  return type == "message" || type == "message.private" || type == "message.rich" ||
         type == "message.file";
}

Audience audience_of(const Identity& who, const Conversation* conv) {
  if (is_agent_side(who.role) || who.role == AccountRole::bot) return Audience::agents;
  if (conv) {
    if (const Member* m = conv->active_member(who.user_id); m && is_agent_side(m->role))
      return Audience::agents;
  }
  return Audience::consumers;
}

size_t code_points(std::string_view utf8) {
  size_t n = 0;
  for (unsigned char c : utf8) n += (c & 0xC0) != 0x80;
  return n;
}

std::string_view first_code_points(std::string_view utf8, size_t n) {
  size_t seen = 0;
  for (size_t i = 0; i < utf8.size(); ++i) {
    if ((static_cast<unsigned char>(utf8[i]) & 0xC0) != 0x80) {
      if (seen == n) return utf8.substr(0, i);
      ++seen;
    }
  }
  return utf8;
}

std::string body_string(std::string_view body, std::initializer_list<std::string_view> fields) {
  // One parser and one padded buffer per thread: commits and searches run on
  // many threads, and simdjson parsers are not shareable.
  thread_local simdjson::ondemand::parser parser;
  thread_local std::string buffer;
  buffer.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  buffer.assign(body);
  simdjson::padded_string_view view(buffer.data(), buffer.size(), buffer.capacity());
  simdjson::ondemand::document doc;
  if (parser.iterate(view).get(doc) != simdjson::SUCCESS) return {};
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return {};
  for (std::string_view field : fields) {
    auto value = obj.find_field_unordered(field);
    if (value.error() == simdjson::NO_SUCH_FIELD) continue;
    std::string_view s;
    if (value.get_string().get(s) != simdjson::SUCCESS) return {};
    return std::string(s);
  }
  return {};
}

}  // namespace parley
