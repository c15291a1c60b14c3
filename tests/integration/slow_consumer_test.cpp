// A subscriber that stops reading is cut off (4008) once its outbound queue
// passes --max-outbound-bytes, and nobody else is slowed by it.
#include <poll.h>

#include <exception>
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

// What C received: every message event's text, in order, and whether the
// sequence promise held throughout.
struct Received {
  std::vector<std::string> texts;
  std::string failure;
};

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
        if (received.texts.back() == "last") return;
      }
    } catch (const std::exception& e) {
      received.failure = e.what();
    } catch (...) {
      received.failure = "a failed check";
    }
  });

  // B sends ~6 KB messages until the kernel reports A gone, or until far
  // more than A's buffers and queue can hold (the kernel alone may absorb
  // ~4 MiB per socket: tcp_wmem's default maximum).
  const std::string padding(6000, 'p');
  constexpr size_t kCapBytes = 12u << 20;
  std::vector<std::string> sent;
  size_t sent_bytes = 0;
  bool dropped = false;
  try {
    while (sent_bytes < kCapBytes && !dropped) {
      std::string text = "m" + std::to_string(sent.size()) + " " + padding;
      send_message(*bob, id, text);
      sent_bytes += text.size();
      sent.push_back(std::move(text));
      if (sent.size() % 16 == 0) dropped = connection_dropped(slow.native_handle());
    }
    send_message(*bob, id, "last");
    sent.push_back("last");
  } catch (...) {
    reader.join();
    throw;
  }
  reader.join();
  MESSAGE("sent " << sent.size() << " messages, " << sent_bytes << " bytes; A "
                  << (dropped ? "seen dropped by the kernel" : "not seen dropped yet"));

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
