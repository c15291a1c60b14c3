// The signature of every request Parley sends to a receiver (webhooks and
// the moderation hook): `Parley-Signature: t=<unix seconds>,v1=<hex
// HMAC-SHA256 of "t.body">`, keyed with the receiver's secret
// (docs/webhooks.md shows how a receiver checks it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace parley::hooks {

// Lower-case hex of HMAC-SHA256(key, data).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// "t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>">".
std::string signature_header(std::string_view secret, int64_t unix_seconds,
                             std::string_view body);
// Lower-case hex of SHA-256(data).
std::string sha256_hex(std::string_view data);

}  // namespace parley::hooks
