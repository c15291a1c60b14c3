// Every limit of PROTOCOL.md §6 with its default, in one place. The broker's
// configuration embeds this struct; each field has a CLI flag and a
// PARLEY_* environment variable (see docs/configuration.md).
#pragma once

#include <cstddef>
#include <cstdint>

namespace parley {

struct Limits {
  size_t frame_bytes = 64 * 1024;           // max inbound frame; larger closes 1009
  size_t text_chars = 8000;                 // message text, in code points
  size_t rich_content_chars = 15000;        // serialized rich content
  size_t note_chars = 5000;                 // one agent note
  size_t notes_bytes = 64 * 1024;           // all notes of a conversation
  size_t metadata_bytes = 4 * 1024;         // serialized metadata / custom data
  size_t name_chars = 200;                  // name, displayName, ids
  size_t members = 1000;                    // active members per conversation
  size_t batch = 50;                        // requests per batch
  size_t subscriptions = 1000;              // per socket
  size_t inbox_subscriptions = 10;          // per socket
  double rate_per_sec = 50;                 // sustained requests per socket
  double rate_burst = 100;                  // bucket size
  uint64_t replay_events = 1000;            // max events replayed on subscribe
  size_t outbound_bytes = 1024 * 1024;      // per-socket send queue; over: close 4008
  size_t json_depth = 32;                   // nesting depth of an inbound frame
  size_t page_max = 100;                    // list methods' max limit
  size_t query_max = 200;                   // queryMessages' max limit
  uint32_t rate_abuse_strikes = 200;        // 429s in a row before closing 4029
  // Quotas beyond the per-socket rate (broker/quota.hpp); 0 = no limit.
  uint64_t open_conversations_per_user = 100;  // OPEN conversations a consumer holds
  uint64_t creations_per_min = 30;             // createConversation per user and minute, per node
  uint64_t tenant_creations_per_min = 6000;    // createConversation per tenant and minute, per node
  double expensive_read_cost = 4;   // request tokens a tenant-wide read takes (list, count, search)
};

}  // namespace parley
