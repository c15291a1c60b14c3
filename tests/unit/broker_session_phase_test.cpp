// A session's lifecycle (broker/net/session_phase.hpp): every move between
// two phases, legal or not, and the paths a real socket takes.
#include <doctest/doctest.h>

#include <cstddef>
#include <set>
#include <utility>
#include <vector>

#include "net/session_phase.hpp"

using namespace parley;
using P = SessionPhase;

namespace {

const std::vector<P> kAll = {P::handshake,  P::open,   P::closing, P::peer_closed,
                             P::close_sent, P::closed, P::finished};

bool walk(const std::vector<P>& path) {
  for (std::size_t i = 1; i < path.size(); ++i)
    if (!legal_move(path[i - 1], path[i])) return false;
  return true;
}

}  // namespace

TEST_CASE("session phase: the legal moves, and no other") {
  const std::set<std::pair<P, P>> legal = {
      {P::handshake, P::open},       {P::open, P::closing},          {P::open, P::peer_closed},
      {P::closing, P::peer_closed},  {P::closing, P::close_sent},    {P::peer_closed, P::closed},
      {P::close_sent, P::closed},    {P::handshake, P::finished},    {P::open, P::finished},
      {P::closing, P::finished},     {P::peer_closed, P::finished},  {P::close_sent, P::finished},
      {P::closed, P::finished},
  };
  for (P from : kAll)
    for (P to : kAll) {
      CAPTURE(static_cast<int>(from));
      CAPTURE(static_cast<int>(to));
      CHECK(legal_move(from, to) == legal.contains({from, to}));
    }
}

TEST_CASE("session phase: the paths a socket takes") {
  // We close first (idle, slow consumer, token expired), the peer answers.
  CHECK(walk({P::handshake, P::open, P::closing, P::close_sent, P::closed, P::finished}));
  // The peer closes first; we answer.
  CHECK(walk({P::handshake, P::open, P::peer_closed, P::closed, P::finished}));
  // We decided to close, and the peer's close arrived before ours was queued.
  CHECK(walk({P::handshake, P::open, P::closing, P::peer_closed, P::closed, P::finished}));
  // A refused socket (bad token on the upgrade): the 101, then our close.
  CHECK(walk({P::handshake, P::open, P::closing, P::close_sent, P::finished}));
  // A failed upgrade (400, 426) or a broken socket at any point.
  CHECK(walk({P::handshake, P::finished}));
  CHECK(walk({P::handshake, P::open, P::finished}));
  // Our close frame goes once; nothing comes back from finished.
  CHECK_FALSE(walk({P::close_sent, P::close_sent}));
  CHECK_FALSE(walk({P::closed, P::close_sent}));
  CHECK_FALSE(walk({P::finished, P::finished}));
  CHECK_FALSE(walk({P::finished, P::open}));
}

TEST_CASE("session phase: from closing on, a session counts as closing") {
  for (P p : kAll) {
    bool closing = p >= P::closing;
    CHECK(closing == (p != P::handshake && p != P::open));
  }
}
