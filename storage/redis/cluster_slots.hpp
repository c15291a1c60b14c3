// Redis Cluster's key placement, as the cluster itself computes it: a key's
// slot is CRC16 (XMODEM: polynomial 0x1021, initial value 0) of its hash tag
// modulo 16384, where the hash tag is the text between the first '{' and
// the first '}' after it when that text is not empty, else the whole key.
// Every Parley key carries a tag (redis_keys.hpp), so all keys of one tag
// share a slot and a script over them runs on one node.
//
// SlotMap is one reading of CLUSTER SLOTS: which master serves each slot.
// Redirect is a parsed -MOVED / -ASK error reply; cluster_step() says what
// to do with any reply.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis_reply.hpp"
#include "redis_url.hpp"

namespace parley::redis {

inline constexpr uint16_t kClusterSlots = 16384;

uint16_t crc16_xmodem(std::string_view data);
// The slot of a whole key, hash tag rule included (what CLUSTER KEYSLOT says).
uint16_t key_slot(std::string_view key);
// The slot of the keys tagged {tag} (the text between the braces).
inline uint16_t tag_slot(std::string_view tag) { return crc16_xmodem(tag) % kClusterSlots; }

struct SlotMap {
  std::vector<RedisAddress> masters;                  // every master that serves a slot
  std::array<int16_t, kClusterSlots> owner{};         // slot -> index in masters, -1 none
  // Parses a CLUSTER SLOTS reply; `seed` stands in for a node that reports
  // an empty or unknown host ("" / "?"). Nullopt when the reply is not one.
  static std::optional<SlotMap> parse(const RedisReply& reply, const RedisAddress& seed);
  // Whether every slot has a master.
  bool complete() const;
};

// "-MOVED 3999 127.0.0.1:6381" and "-ASK 3999 127.0.0.1:6381".
struct Redirect {
  bool ask = false;
  uint16_t slot = 0;
  RedisAddress to;
};
std::optional<Redirect> parse_redirect(const RedisReply& reply, const RedisAddress& like);

// What a cluster client does with a reply, for every kind of command
// (scripts, plain commands, each command of a pipeline):
//  - done: a reply to keep (not an error, or an error that is not the
//    cluster's: it stands);
//  - moved: send it to `to`, and read the slot map again;
//  - ask: send ASKING and it back to back to `to`, this once;
//  - pause: -TRYAGAIN (a multi-key command while the slot's keys are split
//    between the two nodes of a migration) or -CLUSTERDOWN (a failover in
//    progress): wait a moment and send it again;
//  - give_up: `rounds` redirects and pauses were already followed
//    (kClusterMaxRounds): the caller answers 503.
// A command answered with any of these did not run, so sending it again
// never writes twice.
inline constexpr int kClusterMaxRounds = 50;
struct ClusterStep {
  enum class Kind { done, moved, ask, pause, give_up };
  Kind kind = Kind::done;
  RedisAddress to;  // moved, ask
};
ClusterStep cluster_step(const RedisReply& reply, const RedisAddress& at, int rounds);
// Whether cluster_step would send it again (MOVED, ASK, TRYAGAIN, CLUSTERDOWN).
bool is_cluster_redirect(const RedisReply& reply);

// "HOST:PORT[,HOST:PORT...]" (IPv6 hosts in brackets) -> addresses; nullopt
// on a malformed entry or an empty list.
std::optional<std::vector<RedisAddress>> parse_seed_list(std::string_view list);

}  // namespace parley::redis
