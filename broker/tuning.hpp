// The broker's fixed knobs: the limits, timeouts and sizes that no flag
// sets, each with its value and why, in one place. What an operator may set
// is in Config (config.hpp: timers, the close grace) and Limits (limits.hpp,
// PROTOCOL.md §6). Moving a knob from here to a flag is a line in each.
#pragma once

#include <chrono>
#include <cstddef>
#include <sys/types.h>

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

}  // namespace parley
