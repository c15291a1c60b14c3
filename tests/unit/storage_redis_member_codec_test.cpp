// The Redis member encoding with the member's own state (archived, draft):
// the fixed-width head the append script slices, the extended tail
// round-trips any text, and a plain name that happens to start with the
// marker byte stays a name.
#include <doctest/doctest.h>

#include "redis/redis_codec.hpp"

using namespace parley;
using namespace parley::redis;

TEST_CASE("redis codec: a member without its own state ends with its plain name") {
  Member m;
  m.user_id = "c1";
  m.name = "Ann | Lee";
  m.role = ParticipantRole::consumer;
  m.joined_at = 1000;
  m.last_read_seq = 5;
  const std::string enc = encode_member(m, 2);
  // Role and state digits, then read seq, read counters, joined, left,
  // accept seq and ordinal at 20 digits each: the offsets the append script uses.
  CHECK(enc == "02" "00000000000000000005" "00000000000000000000" "00000000000000000000"
               "00000000000000001000" "00000000000000000000" "00000000000000000000"
               "00000000000000000002" "Ann | Lee");
  auto back = decode_member("c1", enc);
  REQUIRE(back.has_value());
  CHECK(back->first.name == "Ann | Lee");
  CHECK(back->second == 2);
  CHECK_FALSE(back->first.archived);
  CHECK(back->first.draft.empty());
}

TEST_CASE("redis codec: archived and draft round-trip in the extended tail") {
  Member m;
  m.user_id = "a1";
  m.name = "Bob|";
  m.role = ParticipantRole::agent;
  m.archived = true;
  m.draft = "line 1\n| 4:odd 1:x";
  m.draft_at = 1234;
  auto back = decode_member("a1", encode_member(m, 7));
  REQUIRE(back.has_value());
  CHECK(back->first.name == "Bob|");
  CHECK(back->first.archived);
  CHECK(back->first.draft == "line 1\n| 4:odd 1:x");
  CHECK(back->first.draft_at == 1234);
  CHECK(back->second == 7);

  // A name that starts with the marker is written extended, so it survives.
  Member odd;
  odd.user_id = "x";
  odd.name = "\x1e" "3:abc";
  back = decode_member("x", encode_member(odd, 0));
  REQUIRE(back.has_value());
  CHECK(back->first.name == "\x1e" "3:abc");
  // A name that merely starts with it, not followed by a token list, is read
  // as a plain name.
  back = decode_member("x", std::string(2 + 7 * 20, '0') + "\x1e" "garbage");
  REQUIRE(back.has_value());
  CHECK(back->first.name == "\x1e" "garbage");
  CHECK(back->first.draft.empty());
}
