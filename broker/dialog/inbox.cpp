#include "dialog/inbox.hpp"

#include <algorithm>

#include "dialog/rules.hpp"

namespace parley::rules {

bool matches_filter(const Conversation& c, const params::ListFilter& f, const Identity& who) {
  const bool only_mine = f.member_of_me || !is_agent_side(who.role);
  if (only_mine && !c.active_member(who.user_id)) return false;
  if (f.state && c.state != *f.state) return false;
  if (f.status && c.status != *f.status) return false;
  if (f.channel && c.channel != *f.channel) return false;
  // A consumer sees skillId null (the routing is the agent side's): its
  // filter on a skill matches nothing, so it cannot probe the skill.
  if (f.skill_id && (c.skill_id != f.skill_id || audience(c, who) != Audience::agents))
    return false;
  if (f.campaign_id && c.campaign_id != f.campaign_id) return false;
  if (f.assigned_to) {
    const Member* a = c.assigned_agent();
    if (*f.assigned_to == "none") {
      if (a) return false;
    } else {
      const std::string& want = *f.assigned_to == "me" ? who.user_id : *f.assigned_to;
      if (!a || a->user_id != want) return false;
    }
  }
  if (f.since && c.updated_at < *f.since) return false;
  if (f.until && c.updated_at > *f.until) return false;
  // Archiving is the caller's own flag, on its member entry (a left
  // member's included: it may still list its history).
  if (f.archived) {
    const Member* m = c.member(who.user_id);
    if ((m && m->archived) != *f.archived) return false;
  }
  return true;
}

std::string fold_ascii(std::string_view s) {
  std::string out(s);
  for (char& ch : out)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return out;
}

namespace {
bool is_space(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}
}  // namespace

std::vector<std::string> search_terms(std::string_view q) {
  std::vector<std::string> terms;
  size_t i = 0;
  while (i < q.size()) {
    while (i < q.size() && is_space(q[i])) ++i;
    size_t j = i;
    while (j < q.size() && !is_space(q[j])) ++j;
    if (j > i) {
      std::string t = fold_ascii(q.substr(i, j - i));
      if (std::find(terms.begin(), terms.end(), t) == terms.end()) terms.push_back(std::move(t));
    }
    i = j;
  }
  return terms;
}

bool strike_terms(std::vector<std::string>& terms, std::string_view text) {
  if (terms.empty()) return true;
  if (text.empty()) return false;
  const std::string folded = fold_ascii(text);
  std::erase_if(terms, [&](const std::string& t) { return folded.find(t) != std::string::npos; });
  return terms.empty();
}

std::string body_text(std::string_view body) { return body_string(body, {"text"}); }

InboxChange inbox_change(std::optional<uint64_t> reported, const InboxSeen& seen) {
  if (!seen.exists) return reported ? InboxChange::remove : InboxChange::none;
  if (reported && seen.version <= *reported) return InboxChange::none;
  if (seen.matches) return InboxChange::upsert;
  return reported ? InboxChange::remove : InboxChange::none;
}

}  // namespace parley::rules
