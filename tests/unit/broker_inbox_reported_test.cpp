// The bounded set of conversations an inbox subscription reports
// (broker/live/inbox.hpp, InboxReported): versions kept, the cap, and which one
// is dropped at the cap.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "live/inbox.hpp"

using namespace parley;

namespace {

std::set<std::string> ids_of(const InboxReported& r) {
  std::set<std::string> out;
  r.for_each_id([&](const std::string& id) { out.insert(id); });
  return out;
}

}  // namespace

TEST_CASE("inbox reported: keeps the version last pushed; erase forgets it") {
  InboxReported r(10);
  CHECK_FALSE(r.version("a").has_value());
  CHECK_FALSE(r.put("a", 1, 100).has_value());
  CHECK_FALSE(r.put("a", 3, 300).has_value());
  CHECK(r.version("a") == 3u);
  CHECK(r.size() == 1);
  r.erase("a");
  r.erase("never-there");
  CHECK_FALSE(r.version("a").has_value());
  CHECK(r.size() == 0);
}

TEST_CASE("inbox reported: at the cap a new one drops the oldest updatedAt") {
  InboxReported r(3);
  CHECK_FALSE(r.put("a", 1, 100).has_value());
  CHECK_FALSE(r.put("b", 1, 300).has_value());
  CHECK_FALSE(r.put("c", 1, 200).has_value());
  // Updating one already reported never drops anything, and moves it.
  CHECK_FALSE(r.put("a", 2, 400).has_value());
  CHECK(r.size() == 3);
  // c (200) is now the oldest.
  CHECK(r.put("d", 1, 50) == std::optional<std::string>("c"));
  CHECK(ids_of(r) == std::set<std::string>{"a", "b", "d"});
  CHECK_FALSE(r.version("c").has_value());
  // d (50) next, even though it came last.
  CHECK(r.put("e", 1, 500) == std::optional<std::string>("d"));
  CHECK(ids_of(r) == std::set<std::string>{"a", "b", "e"});
  // Ties on updatedAt: the smallest id goes first.
  InboxReported t(2);
  t.put("y", 1, 100);
  t.put("x", 1, 100);
  CHECK(t.put("z", 1, 100) == std::optional<std::string>("x"));
  // An erased one frees its place.
  r.erase("b");
  CHECK_FALSE(r.put("f", 1, 10).has_value());
  CHECK(r.size() == 3);
}

TEST_CASE("inbox reported: many puts never hold more than the cap") {
  InboxReported r(kInboxMaxReported);
  size_t dropped = 0;
  const size_t n = kInboxMaxReported + 250;
  for (size_t i = 0; i < n; ++i)
    if (r.put("c" + std::to_string(i), 1, static_cast<Millis>(i))) ++dropped;
  CHECK(r.size() == kInboxMaxReported);
  CHECK(dropped == 250);
  // The most recently updated ones are kept.
  CHECK(r.version("c" + std::to_string(n - 1)).has_value());
  CHECK_FALSE(r.version("c249").has_value());
  CHECK(r.version("c250").has_value());
}
