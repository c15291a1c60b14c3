// Presence, the engine's second concern: which users have live sockets,
// and their status. Part of Engine (engine.hpp), with contract item 11.
//
// THE CONTRACT (presence)
// 11. Presence (the presence_* calls; PresenceSocket below). A user's
//     presence is the set of its live socket entries plus a status:
//     a. An entry lives until its `expires_at` unless presence_refresh()
//        moves it on; presence_leave() removes it at once. An entry past
//        its expiry no longer counts, swept or not.
//     b. A user with no live entry is `offline`. When the first live entry
//        appears the user becomes `online`; presence_touch() with a status
//        sets `online`, `away` or `busy` for the user (all its sockets); the
//        status is forgotten when the user goes offline.
//     c. Each change of a user's status is reported exactly once, by the
//        call that made it: presence_touch() (offline -> online, or a new
//        status), presence_leave() (the last live entry gone -> offline),
//        or presence_sweep() (every entry expired -> offline). Calls racing
//        on one user, on any number of nodes, are serialized by the engine,
//        so two callers never both report one change; the caller that got
//        it announces it.
//     d. last_seen is the time (the callers' `now`) of the latest touch,
//        refresh or leave of the user; a user whose entries expired keeps
//        the last refresh's time. 0 means never seen.
//     e. Times are the callers' clocks: nodes are assumed to agree within
//        a few seconds, well under the expiry.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "model.hpp"

namespace parley {

namespace asio = boost::asio;

enum class PresenceStatus : uint8_t { offline, online, away, busy };
std::string_view to_string(PresenceStatus s);  // "offline", "online", "away", "busy"
std::optional<PresenceStatus> presence_status_from(std::string_view s);

// One socket of a user, as presence counts it. `socket_id` is unique across
// nodes and restarts (the broker makes it from its node id, a per-start
// nonce and the session id).
struct PresenceSocket {
  std::string tenant;
  std::string user_id;
  std::string socket_id;
  bool operator==(const PresenceSocket&) const = default;
};

struct PresenceState {
  std::string user_id;
  PresenceStatus status = PresenceStatus::offline;
  Millis last_seen = 0;  // 0: never seen
};

// A status change made by a presence call, for its caller to announce.
struct PresenceChange {
  std::string tenant;
  PresenceState state;
};

class PresenceStore {
 public:
  virtual ~PresenceStore() = default;

  // Presence (contract 11). `now` and the expiries are the caller's clock.
  //
  // Adds or renews `socket`'s entry until `expires_at`; with `status`, sets
  // the user's status. Returns the change it made, if any.
  virtual asio::awaitable<Result<std::optional<PresenceChange>>> presence_touch(
      PresenceSocket socket, std::optional<PresenceStatus> status, Millis now,
      Millis expires_at) = 0;
  // Removes `socket`'s entry (absent: nothing to remove). Returns the
  // change it made (the user's last live entry gone: offline), if any.
  virtual asio::awaitable<Result<std::optional<PresenceChange>>> presence_leave(
      PresenceSocket socket, Millis now) = 0;
  // Renews the entries of `sockets` that still exist until `expires_at`; it
  // never re-creates one (a socket that left, or whose entry was swept,
  // stays gone). Returns the sockets it did not find, so the caller can
  // register those that are still open with presence_touch().
  virtual asio::awaitable<Result<std::vector<PresenceSocket>>> presence_refresh(
      std::vector<PresenceSocket> sockets, Millis now, Millis expires_at) = 0;
  // Drops expired entries of up to `limit` users whose every entry expired
  // by `now`, and returns the offline changes this call made.
  virtual asio::awaitable<Result<std::vector<PresenceChange>>> presence_sweep(Millis now,
                                                                              size_t limit) = 0;
  // The presence of `user_ids` in `tenant` at `now`, in the order asked.
  virtual asio::awaitable<Result<std::vector<PresenceState>>> presence_get(
      std::string tenant, std::vector<std::string> user_ids, Millis now) = 0;
};

}  // namespace parley
