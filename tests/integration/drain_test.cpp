// SIGTERM's zero-downtime drain on the real broker: /readyz 503 and new
// upgrades refused at once, the open sockets still served for --drain-sec,
// then closed 1012 (service restart) over --drain-spread-sec, and exit 0.
// (transport_test.cpp: without --drain-sec, and SIGINT's 1001.)
#include <sys/wait.h>

#include <csignal>

#include "harness.hpp"

using namespace parley::it;

TEST_CASE("SIGTERM drains: /readyz 503, no new socket, the open ones served, then 1012 spread") {
  BrokerProcess broker({"--dev", "--drain-sec", "1", "--drain-spread-sec", "2"});
  constexpr int kSockets = 20;
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < kSockets; ++i)
    clients.push_back(login_dev(broker.port(), "u" + std::to_string(i)));
  CHECK(http_get(broker.port(), "/readyz").status == 200);

  ::kill(broker.pid(), SIGTERM);
  REQUIRE_MESSAGE(wait_until([&] { return http_get(broker.port(), "/readyz").status == 503; }),
                  broker.output());
  // No new socket: the upgrade is refused (a proxy tries another node).
  WsClient late("late");
  CHECK(late.try_connect(broker.port()) == 503);
  // The open sockets still work: a request made now is answered.
  Json conv = create_conversation(*clients.back());
  CHECK(conv.get_string("/consumer/userId") == "u" + std::to_string(kSockets - 1));

  // Then each closes 1012, not all at once: when the first close arrives,
  // some of the others are still open.
  CloseInfo first = clients.front()->expect_close(std::chrono::seconds(10));
  size_t ended_with_first = 0;
  for (auto& c : clients) ended_with_first += c->ended().has_value();
  CHECK_MESSAGE(ended_with_first < kSockets, ended_with_first << " of " << kSockets);
  CHECK_MESSAGE(first.code == 1012, first.describe());
  for (auto& c : clients) {
    CloseInfo closed = c->expect_close(std::chrono::seconds(10));
    CHECK_MESSAGE(closed.code == 1012, closed.describe());
    CHECK(closed.reason == "service restart");
  }
  auto status = broker.signal_and_wait(0, std::chrono::seconds(10));
  REQUIRE_MESSAGE(status.has_value(), "still running 10 s after the drain");
  CHECK_MESSAGE((WIFEXITED(*status) && WEXITSTATUS(*status) == 0), "wait status " << *status);
}
