// The params readers of the listing and inbox methods (request_params_inbox.hpp).
// Same strictness as every other reader: types, ranges, limits, unknown
// fields, the first error wins.
#include "request_params_inbox.hpp"

#include <limits>

#include "request_params.hpp"

namespace parley::detail {

namespace {

// searchConversations.q: a bounded number of characters and words keeps
// the work of one search bounded too.
constexpr size_t kQueryChars = 500;
constexpr size_t kQueryWords = 16;

void read_filter_field(FieldReader& r, params::ListFilter& out) {
  auto obj = r.object("filter");
  if (!obj) return;
  FieldReader f(*obj, r.limits(), r.path("filter"));
  read_filter(f, out);
  if (!f.finish()) r.fail(f.take_error());
}

size_t count_words(std::string_view q) {
  size_t n = 0;
  bool in_word = false;
  for (char ch : q) {
    const bool space = ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' ||
                       ch == '\v';
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

}  // namespace

void read(FieldReader& r, params::CountConversations& p) { read_filter_field(r, p.filter); }

void read(FieldReader& r, params::SearchConversations& p) {
  r.text("q", p.q, kQueryChars);
  if (r.ok()) {
    const size_t words = count_words(p.q);
    if (words == 0) r.fail(invalid_params("q", "no word to search for"));
    if (words > kQueryWords)
      r.fail(invalid_params("q", "more than " + std::to_string(kQueryWords) + " words"));
  }
  read_filter_field(r, p.filter);
  std::optional<uint64_t> limit;
  r.unsigned_int("limit", limit, 1, r.limits().page_max);
  if (limit) p.paging.limit = static_cast<size_t>(*limit);
  r.id("cursor", p.paging.cursor);
}

void read(FieldReader& r, params::SubscribeInbox& p) {
  read_filter_field(r, p.filter);
  std::optional<uint64_t> limit;
  r.unsigned_int("limit", limit, 1, r.limits().page_max);
  if (limit) p.limit = static_cast<size_t>(*limit);
}

void read(FieldReader& r, params::UnsubscribeInbox& p) {
  r.id("subscriptionId", p.subscription_id);
}

}  // namespace parley::detail
