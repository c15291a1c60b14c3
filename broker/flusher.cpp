#include "flusher.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "session.hpp"

namespace parley {

void Flusher::schedule(std::shared_ptr<Session> session) {
  {
    std::lock_guard lk(mu_);
    pending_.push_back(std::move(session));
    if (posted_) return;
    posted_ = true;
  }
  boost::asio::post(executor_, [this] { run(); });
}

void Flusher::run() {
  if (Clock::now() < hold_until_) {
    // The last run was busy and recent: let more frames gather. The timer
    // owns itself through its handler (a Flusher lives as long as its
    // io_context runs, like the posted run above).
    auto t = std::make_shared<boost::asio::steady_timer>(executor_, hold_until_);
    t->async_wait([this, t](boost::system::error_code) { write(); });
    return;
  }
  write();
}

void Flusher::write() {
  const auto started = Clock::now();
  {
    std::lock_guard lk(mu_);
    running_.swap(pending_);
    posted_ = false;
  }
  for (auto& s : running_) s->flush();
  hold_until_ = running_.size() >= kBusySessions ? started + kBusyGap : Clock::time_point{};
  running_.clear();
}

}  // namespace parley
