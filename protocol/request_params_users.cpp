// The params readers of the users, drafts and archive methods
// (request_params_users.hpp). Same strictness as every other reader: types,
// ranges, limits, unknown fields, the first error wins.
#include "request_params_users.hpp"

#include <array>
#include <limits>

namespace parley::detail {

namespace {

constexpr size_t kImageUrlBytes = 2048;  // like a conversation's imageUrl
constexpr std::array<std::string_view, 5> kAccountRoles = {"consumer", "agent", "manager", "bot",
                                                           "admin"};

// limit and cursor; offset only where the listing has one.
void read_paging(FieldReader& r, params::Paging& out, bool with_offset) {
  std::optional<uint64_t> limit;
  r.unsigned_int("limit", limit, 1, r.limits().page_max);
  if (limit) out.limit = static_cast<size_t>(*limit);
  r.id("cursor", out.cursor);
  if (!with_offset) return;
  std::optional<uint64_t> offset;
  r.unsigned_int("offset", offset, 0, std::numeric_limits<size_t>::max());
  if (offset) out.offset = static_cast<size_t>(*offset);
}

std::vector<std::string> split_words(std::string_view q) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < q.size()) {
    while (i < q.size() && (q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r')) ++i;
    size_t j = i;
    while (j < q.size() && q[j] != ' ' && q[j] != '\t' && q[j] != '\n' && q[j] != '\r') ++j;
    if (j > i) words.emplace_back(q.substr(i, j - i));
    i = j;
  }
  return words;
}

}  // namespace

void read(FieldReader& r, params::UpsertUser& p) {
  r.id("userId", p.user_id);
  r.id("name", p.name);
  r.nullable_id("displayName", p.display_name);
  r.nullable_url("imageUrl", p.image_url, kImageUrlBytes);
}

void read(FieldReader& r, params::GetUser& p) { r.id("userId", p.user_id); }

void read(FieldReader& r, params::ListUsers& p) {
  if (auto i = r.one_of("role", kAccountRoles)) p.role = account_role_from(kAccountRoles[*i]);
  std::optional<std::string> q;
  r.id("q", q);
  if (q) p.words = split_words(*q);
  read_paging(r, p.paging, false);
}

void read(FieldReader& r, params::ListUserConversations& p) {
  r.id("userId", p.user_id);
  read_paging(r, p.paging, true);
}

void read(FieldReader& r, params::GetInvitableUsers& p) {
  r.id("conversationId", p.conversation_id);
  read_paging(r, p.paging, false);
}

void read(FieldReader& r, params::SaveDraft& p) {
  r.id("conversationId", p.conversation_id);
  // Unlike a message, an empty text is allowed: it clears the draft.
  auto v = r.take_any("text");
  std::string_view text;
  if (!v || v->is_null()) {
    r.fail(invalid_params(r.path("text"), "required"));
  } else if (v->get_string().get(text) != simdjson::SUCCESS) {
    r.fail(invalid_params(r.path("text"), "expected string"));
  } else if (code_points(text) > r.limits().text_chars) {
    r.fail(too_large(r.path("text"), r.limits().text_chars));
  } else {
    p.text = std::string(text);
  }
}

void read(FieldReader& r, params::GetDraft& p) { r.id("conversationId", p.conversation_id); }

void read(FieldReader& r, params::ArchiveConversation& p) {
  r.id("conversationId", p.conversation_id);
  std::optional<bool> archived;
  if (!r.has("archived")) {
    r.take_any("archived");
    r.fail(invalid_params(r.path("archived"), "required"));
  }
  r.boolean("archived", archived);
  if (archived) p.archived = *archived;
}

}  // namespace parley::detail
