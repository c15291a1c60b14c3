// The fixed knobs of the broker and its engines: the limits, timeouts,
// batch sizes and scan bounds that no flag sets, each with its value and
// why, in one place. What an operator may set is in Config
// (broker/config.hpp: timers, the close grace) and Limits (limits.hpp,
// PROTOCOL.md §6). Moving a knob from here to a flag is a line in each.
#pragma once

#include <chrono>
#include <cstddef>
#include <sys/types.h>

#include "model.hpp"

namespace parley {

//------------------------------------------------------------------------------
// HTTP on the WebSocket port (net/listener.cpp, net/web_files.cpp)

// A client gets this long to send its request head (slowloris guard), and
// a plain HTTP answer this long to be written.
inline constexpr std::chrono::seconds kHttpReadTimeout{10};
// The largest request head, request line and headers together (400 past it).
inline constexpr size_t kHttpHeaderBytes = 16 * 1024;
// Nothing served takes a body; one this small is tolerated and ignored.
inline constexpr size_t kHttpBodyBytes = 16 * 1024;
// The most bytes of a decoded web path (414 past it), and of one segment.
inline constexpr size_t kWebPathMax = 1024;
inline constexpr size_t kWebSegmentMax = 255;
// A web asset is small; a file past this is not read into memory (500).
inline constexpr off_t kWebFileMax = 16 * 1024 * 1024;

//------------------------------------------------------------------------------
// Accepting (net/listener.cpp)

// After a failed accept (out of file descriptors and the like) the acceptor
// waits this long instead of spinning.
inline constexpr std::chrono::milliseconds kAcceptBackoff{100};
// How many more sessions than the least loaded thread the accepting thread
// may have before it hands new connections over: the threads take
// connections as they get round to them, which keeps them close to even on
// its own; this bounds the drift.
inline constexpr size_t kImbalanceSlack = 32;

//------------------------------------------------------------------------------
// WebSocket sessions (net/session*.cpp). The close grace, ping, idle and
// authentication deadlines are settings (Config).

// The opening handshake (writing the 101) must not hang either.
inline constexpr std::chrono::seconds kHandshakeTimeout{10};
// One read takes at most this much, into a per-thread buffer; what a
// request pipeline sends beyond it waits in the kernel until the requests
// read so far are handled.
inline constexpr size_t kReadScratchBytes = 64 * 1024;
// Frames per gather-write: two buffers each (header, payload), well under
// the kernel's IOV_MAX (1024).
inline constexpr size_t kFramesPerWrite = 64;

//------------------------------------------------------------------------------
// Memory (server.cpp)

// Every kHeapTrimInterval the broker hands the heap's free pages back to the
// system (glibc's malloc_trim). glibc's malloc keeps what a peak freed: the
// soak (tests/soak, docs/reliability.md) measured RSS +31 % and +45 % after
// 10 minutes of 10,000 sockets churning, all of it free heap (trimmed, the
// broker held less than after the warm-up).
inline constexpr std::chrono::seconds kHeapTrimInterval{10};

//------------------------------------------------------------------------------
// Subscriptions (live/subscription.cpp)

// A subscription whose re-read of the log failed (storage unavailable)
// tries again after kRefillRetryFirst, doubling up to kRefillRetryMax.
inline constexpr std::chrono::milliseconds kRefillRetryFirst{100};
inline constexpr std::chrono::milliseconds kRefillRetryMax{5000};

//------------------------------------------------------------------------------
// Start and shutdown (broker/server.cpp)

// How long a shutdown waits for sessions to finish their close handshakes
// (each gives up after its own one-second grace) before stopping anyway.
inline constexpr std::chrono::seconds kDrainTimeout{3};
// SIGTERM's spread close (--drain-spread-sec, net/listener.cpp) closes the
// share of the sockets that is due every this often.
inline constexpr std::chrono::milliseconds kDrainSpreadTick{50};
// Users registered from their tokens (live/user_registration.hpp): how many
// this node remembers, and how long a registration counts as recent.
inline constexpr size_t kRegistrations = 100'000;
inline constexpr Millis kRegistrationRefreshMs = 10 * 60 * 1000;

//------------------------------------------------------------------------------
// Presence announcements (live/presence.*): a user's change of status is
// announced to the conversations it is in.

// The most conversations of a user one change is announced to, and the
// most of the tenant's conversations looked at to find them.
inline constexpr size_t kAnnounceConversations = 100;
inline constexpr size_t kAnnounceScan = 1000;
// Changes waiting to be announced (more are dropped, and counted).
inline constexpr size_t kMaxQueuedAnnouncements = 10000;
// Listings in flight at once, and users per sweep call.
inline constexpr size_t kAnnouncers = 4;
inline constexpr size_t kSweepBatch = 1000;

//------------------------------------------------------------------------------
// Conversation timers (live/timer_service.*)

// A claimed timer is another node's after this; timers claimed per call.
inline constexpr Millis kTimerLease = 30'000;
inline constexpr size_t kTimerBatch = 100;
// Only deadlines this close are kept for the fast path: a later one gains
// nothing from it (the poll finds it within a period), and the set stays
// small whatever --lock-after-sec is.
inline constexpr Millis kTimerLocalHorizon = 60'000;

//------------------------------------------------------------------------------
// The inbox (live/inbox.*)

// How many conversations one subscription reports at most (InboxReported).
inline constexpr size_t kInboxMaxReported = 1000;
// A re-read that storage refuses (503) is tried again this many times,
// with back-off, before the notice is dropped (a later one brings it back).
inline constexpr int kInboxReadAttempts = 6;

//------------------------------------------------------------------------------
// Scan bounds: how much a request may read to answer (api/, storage/)

// The tenant's most recently updated conversations the open-conversation
// count looks at: a consumer's conversations idle longer than that do not
// count (one that floods the tenant has its conversations on top).
inline constexpr size_t kOpenScan = 10'000;
// Conversations one list() call hands a search at a time, and events one
// read() call hands it.
inline constexpr size_t kSearchBatch = 50;
inline constexpr size_t kSearchEventPage = 200;
// At most this many of the caller's conversations are scanned by a
// queryMessages without conversationId.
inline constexpr size_t kCrossConversationScan = 100;
// Users one listing examines at most: a selective q over a large tenant
// answers a short page with a cursor instead of reading every user.
inline constexpr size_t kUserScanLimit = 5000;
// Conversation ids the Redis engine's list() takes from the index per
// round; keys the memory engine's list() copies per tenant-lock hold.
inline constexpr size_t kRedisListBatch = 64;
inline constexpr size_t kMemoryListBatch = 128;
// User ids the Redis engine reads per ZRANGE (and records per pipeline).
inline constexpr size_t kRedisUserBatch = 100;

}  // namespace parley
