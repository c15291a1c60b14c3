#include "net/flusher.hpp"

#include <boost/asio/post.hpp>

#include "net/session.hpp"

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
  {
    std::lock_guard lk(mu_);
    running_.swap(pending_);
    posted_ = false;
  }
  for (auto& s : running_) s->flush();
  running_.clear();
}

}  // namespace parley
