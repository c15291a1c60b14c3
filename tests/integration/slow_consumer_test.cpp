// A subscriber that stops reading is cut off (4008) once its outbound queue
// passes --max-outbound-bytes, and nobody else is slowed by it.
#include <poll.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <thread>

#include "harness.hpp"

using namespace parley::it;

namespace {

// True when the kernel already reports the connection dead (a reset, or
// the peer's FIN) although the client has not read what is queued.
bool connection_dropped(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLRDHUP));
}

// The most a socket's kernel send buffer grows to (tcp_wmem's maximum):
// what the kernel alone may absorb before the broker's queue grows.
size_t kernel_send_buffer_max() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_wmem");
  size_t min = 0, initial = 0, max = 0;
  if (in >> min >> initial >> max) return max;
  return 4u << 20;
}

// The broker's count of 4008 closes, from /metrics; only a hint to stop
// sending early (0 when the metric is not there).
int64_t slow_consumer_closes(uint16_t port) {
  const std::string name = "parley_slow_consumer_closes_total ";
  std::string body = http_get(port, "/metrics").body;
  auto at = body.find("\n" + name);
  if (at == std::string::npos) return 0;
  return std::atoll(body.c_str() + at + 1 + name.size());
}

// What C received: every message event's text, in order, and whether the
// sequence promise held throughout.
struct Received {
  std::vector<std::string> texts;
  std::string failure;
  std::atomic<size_t> count{0};  // texts.size(), for the sender's pacing
  std::atomic<bool> done{false};  // the reader returned
};

// How many of B's messages C may be behind before B waits: C's share of
// the broker's queue stays far below --max-outbound-bytes however slowly
// C's thread is scheduled, so only A, which never reads, can pass it.
constexpr size_t kHealthyWindow = 4;

}  // namespace

TEST_CASE("slow consumer: closed 4008 past its outbound limit; other subscribers get everything") {
  // No rate limit in the way of the sender: the point is the fan-out.
  BrokerProcess broker(jwt_args(
      {"--max-outbound-bytes", "65536", "--rate-per-sec", "1000000", "--rate-burst", "1000000"}));
  auto ann = login(broker.port(), "ann", "consumer", "acme");
  const std::string id = create_conversation(*ann).get_string("/id");
  auto bob = login(broker.port(), "bob", "agent", "acme");  // B, the sender
  bob->call("join", obj({{"conversationId", id}}));

  // A: a tiny receive buffer, subscribed, then never reads.
  WsClient slow("slow");
  slow.connect(broker.port(), "/ws", {}, 4096);
  slow.call("authenticate",
            obj({{"token", mint_token(Claims("sam").tenant_("acme").role_("agent"))}}));
  subscribe(slow, id);
  slow.pause_reading();

  // C: reads everything, on its own thread, until the last message.
  auto carol = login(broker.port(), "carol", "agent", "acme");
  Subscription carol_sub = subscribe(*carol, id);
  Received received;
  std::thread reader([&] {
    try {
      EventFollower follow(*carol, id, carol_sub.last_seq);
      for (;;) {
        Json event = follow.next(std::chrono::seconds(20));
        if (event.get_string("/type") != "message") continue;
        received.texts.push_back(event.get_string("/body/text"));
        received.count.store(received.texts.size());
        if (received.texts.back() == "last") break;
      }
    } catch (const std::exception& e) {
      received.failure = e.what();
    } catch (...) {
      received.failure = "a failed check";
    }
    received.done.store(true);
  });
  // B waits while C is kHealthyWindow messages behind (or C's reader ended).
  auto pace = [&](size_t sent_count) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (sent_count > received.count.load() + kHealthyWindow && !received.done.load() &&
           std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  };

  // B sends ~6 KB messages until A is gone (the kernel reports a reset, or
  // the broker counts a 4008 close), or until far more than A's buffers and
  // queue can hold: the kernel alone may absorb its send buffer's maximum.
  // B keeps pace with C (kHealthyWindow), never with A.
  const std::string padding(6000, 'p');
  const size_t cap_bytes = 2 * kernel_send_buffer_max() + (4u << 20);
  std::vector<std::string> sent;
  size_t sent_bytes = 0;
  std::string stopped_because = "sent " + std::to_string(cap_bytes) + " bytes";
  try {
    while (sent_bytes < cap_bytes) {
      std::string text = "m" + std::to_string(sent.size()) + " " + padding;
      send_message(*bob, id, text);
      sent_bytes += text.size();
      sent.push_back(std::move(text));
      pace(sent.size());
      if (sent.size() % 32 != 0) continue;
      if (connection_dropped(slow.native_handle())) {
        stopped_because = "the kernel reports A's connection dropped";
        break;
      }
      if (slow_consumer_closes(broker.port()) > 0) {
        stopped_because = "the broker counts a slow-consumer close";
        break;
      }
    }
    send_message(*bob, id, "last");
    sent.push_back("last");
  } catch (...) {
    reader.join();
    throw;
  }
  reader.join();
  MESSAGE("B sent " << sent.size() << " messages, " << sent_bytes
                    << " bytes; stopped: " << stopped_because);

  // C got every one of B's messages, in order, with no gap.
  CHECK_MESSAGE(received.failure.empty(), received.failure);
  CHECK(received.texts.size() == sent.size());
  CHECK(received.texts == sent);

  // A's connection has ended: reading now drains what was in flight, then
  // the 4008 close (or a reset / end of stream after the broker gave up).
  CloseInfo closed = slow.expect_close(std::chrono::seconds(20));
  size_t slow_events = 0;
  for (const auto& frame : slow.take_frames()) {
    if (frame.find("\"method\":\"event\"") != std::string::npos) ++slow_events;
  }
  MESSAGE("A: " << closed.describe() << " after " << slow_events << " events");
  CHECK_MESSAGE((closed.code == 4008 || closed.code == -1), closed.describe());
  // Its queue was dropped: it did not get everything.
  CHECK(slow_events < sent.size());

  // The broker is fine: the sender and C still work.
  CHECK(bob->call("ping").is_int("/serverTime"));
  CHECK(carol->call("ping").is_int("/serverTime"));
}
