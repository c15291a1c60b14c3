// A WebSocket session's lifecycle (session.hpp): its phases and the legal
// moves between them, pure, so that a table pins them down
// (tests/unit/broker_session_phase_test.cpp).
#pragma once

#include <cstdint>

namespace parley {

// The order matters: every phase from `closing` on counts as closing
// (nothing new is queued, nothing more is handed to the Handler).
//
//   handshake ─► open ─► closing ─► close_sent ─► closed
//                 │         │                      ▲
//                 └─────────┴─────► peer_closed ───┘
//   and from every phase ─► finished (the socket is gone)
//
// A failed or refused upgrade (400, 426, a broken socket) goes from
// handshake to finished; a refused WebSocket (a bad token, a foreign
// Origin: the 101, then a close code) opens, then closes as any other.
// peer_closed lasts only while the session queues its answer to the peer's
// close frame.
enum class SessionPhase : uint8_t {
  handshake,    // the 101 (or a refusal) is being written
  open,         // upgraded: requests go to the Handler
  closing,      // close() was called: our close frame is about to be queued
  peer_closed,  // the peer's close frame came first: ours is about to answer it
  close_sent,   // our close frame is queued: waiting for the peer's
  closed,       // both close frames: TCP goes once ours is written
  finished,     // the socket is gone (the Handler was told, if it knew it)
};

constexpr bool legal_move(SessionPhase from, SessionPhase to) {
  using enum SessionPhase;
  if (to == finished) return from != finished;
  switch (from) {
    case handshake:
      return to == open;
    case open:
      return to == closing || to == peer_closed;
    case closing:
      return to == peer_closed || to == close_sent;
    case peer_closed:
    case close_sent:
      return to == closed;
    case closed:
    case finished:
      return false;
  }
  return false;
}

}  // namespace parley
