// SIGTERM's drain on the listener's side (listener.hpp): the draining flag
// that /readyz and the upgrade path read, and the close of every session
// spread over a window.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/listener.hpp"
#include "net/session.hpp"
#include "tuning.hpp"

namespace parley {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

void Listener::start_draining() { draining_.store(true, std::memory_order_release); }

// The sessions a spread close still has to close, and its pace.
struct Listener::Spread {
  explicit Spread(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  std::vector<std::shared_ptr<Session>> sessions;
  size_t closed = 0;
  uint16_t code = 1012;
  std::string reason;
  Clock::time_point start;
  std::chrono::milliseconds window{0};
};

void Listener::close_spread(uint16_t code, std::string_view reason,
                            std::chrono::milliseconds window) {
  {
    std::lock_guard lk(mu_);
    close_code_ = code;
    close_reason_ = std::string(reason);
    closing_all_.store(true);
  }
  auto spread = std::make_shared<Spread>(executors_.front());
  spread->sessions = open_sessions();
  spread->code = code;
  spread->reason = std::string(reason);
  spread->start = Clock::now();
  spread->window = window;
  asio::dispatch(executors_.front(),
                 [self = shared_from_this(), spread] { self->close_next(spread); });
}

// Closes the share of the sessions that the time elapsed so far calls for,
// then waits a tick; the last tick closes the rest.
void Listener::close_next(std::shared_ptr<Spread> spread) {
  const auto n = spread->sessions.size();
  const auto elapsed = Clock::now() - spread->start;
  size_t due = n;
  if (elapsed < spread->window) {
    const double share = std::chrono::duration<double>(elapsed) / spread->window;
    due = static_cast<size_t>(static_cast<double>(n) * share);
  }
  for (; spread->closed < due; ++spread->closed) {
    auto& s = spread->sessions[spread->closed];
    s->close(spread->code, spread->reason);
    s.reset();
  }
  if (spread->closed == n) return;
  spread->timer.expires_after(kDrainSpreadTick);
  spread->timer.async_wait([self = shared_from_this(), spread](boost::system::error_code ec) {
    if (!ec) self->close_next(spread);
  });
}

}  // namespace parley
