#include "redis_connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <charconv>
#include <optional>

namespace parley::redis {

namespace {

// The command in the Redis protocol (RESP: an array of bulk strings), ready
// for redisAsyncFormattedCommand. hiredis's own formatter (the Argv form)
// builds it with sdscatfmt, one printf-like call per argument: for a
// script call with twenty arguments that was most of the client's cost.
void append_resp(std::string& out, const std::vector<std::string>& argv) {
  char num[24];
  auto put_number = [&](char tag, size_t n) {
    out.push_back(tag);
    auto r = std::to_chars(num, num + sizeof num, n);
    out.append(num, r.ptr);
    out.append("\r\n", 2);
  };
  size_t total = 16;
  for (const auto& a : argv) total += a.size() + 16;
  out.reserve(out.size() + total);
  put_number('*', argv.size());
  for (const auto& a : argv) {
    put_number('$', a.size());
    out.append(a);
    out.append("\r\n", 2);
  }
}

}  // namespace

// A batch of commands and whoever waits for it. Each slot is filled once:
// by its reply, by the deadline, or by the link going down, whichever comes
// first; the last slot filled completes the handler.
struct RedisConnection::Request {
  // Handlers are move-constructed, never move-assigned: Boost 1.81's
  // any_completion_handler::operator=(&&) copies itself into itself.
  Request(Handler&& o, BatchHandler&& m) : one(std::move(o)), many(std::move(m)) {}

  std::vector<std::vector<std::string>> argv;
  std::vector<std::optional<Reply>> results;
  size_t remaining = 0;
  Clock::time_point deadline;  // accepted + command_timeout
  Handler one;
  BatchHandler many;
  asio::any_io_executor io;            // the connection's executor
  asio::any_completion_executor work;  // the caller's executor, its work tracked until done

  bool done(size_t i) const { return results[i].has_value(); }

  void set(size_t i, Reply r) {
    if (results[i]) return;  // timed out already: a late reply is dropped
    results[i].emplace(std::move(r));
    if (--remaining == 0) complete();
  }

  // A 503 for slot i. Not inlined: GCC 12 then warns (wrongly) that the
  // variant's reply alternative may be moved from uninitialized.
  [[gnu::noinline]] void fail(size_t i, const std::string& why) { set(i, unavailable(why)); }

  // Hands the results to the caller: posted through the engine's own
  // executor, then run on the handler's associated executor (never inline
  // inside hiredis), which Asio keeps from running out of work meanwhile.
  void complete() {
    auto ex = std::move(work);
    if (one) {
      asio::post(
          io, asio::bind_executor(ex, [h = std::move(one), r = std::move(*results[0])]() mutable {
            std::move(h)(std::move(r));
          }));
    } else {
      Replies all;
      all.reserve(results.size());
      for (auto& r : results) all.push_back(std::move(*r));
      asio::post(io, asio::bind_executor(ex, [h = std::move(many), all = std::move(all)]() mutable {
                   std::move(h)(std::move(all));
                 }));
    }
  }
};

RedisConnection::RedisConnection(asio::any_io_executor ex, RedisAddress address,
                                 ConnectionOptions options, std::string name)
    : RedisLink(ex, std::move(address), options.link, std::move(name)),
      options_(options),
      io_ex_(ex),
      deadline_timer_(strand()) {}

RedisConnection::~RedisConnection() { close_now(); }

void RedisConnection::submit(std::vector<std::vector<std::string>> cmds, Handler one,
                             BatchHandler many) {
  asio::any_completion_executor ex = one ? asio::get_associated_executor(one, io_ex_)
                                         : asio::get_associated_executor(many, io_ex_);
  auto req = std::make_shared<Request>(std::move(one), std::move(many));
  req->remaining = cmds.size();
  req->results.resize(cmds.size());
  req->argv = std::move(cmds);
  req->work = asio::prefer(ex, asio::execution::outstanding_work.tracked);
  req->io = io_ex_;
  req->deadline = Clock::now() + options_.command_timeout;
  if (req->remaining == 0) {
    req->complete();
    return;
  }
  auto self = std::static_pointer_cast<RedisConnection>(shared_from_this());
  asio::dispatch(strand(), [self, req] { self->send(req); });
}

void RedisConnection::send(const std::shared_ptr<Request>& req) {
  if (!up() || !context()) {
    // Fail fast: nothing is queued behind a dead link.
    for (size_t i = 0; i < req->argv.size(); ++i)
      req->fail(i, "redis " + address().id() + " is unreachable");
    return;
  }
  if (!waiting_.empty() || inflight_.size() >= options_.window) {
    waiting_.push_back(req);
    arm_deadline();  // its deadline runs while it waits
    return;
  }
  write(req);
}

void RedisConnection::fail_waiting(const std::string& why) {
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& req : waiting)
    for (size_t i = 0; i < req->argv.size(); ++i) req->fail(i, why);
}

void RedisConnection::fail_all(const std::string& why) {
  // set() only posts the completion: nothing here re-enters the queue.
  for (auto& f : inflight_) f.req->fail(f.index, why);
  inflight_.clear();
  fail_waiting(why);
  timer_at_ = Clock::time_point::max();
  deadline_timer_.cancel();
}

void RedisConnection::write(const std::shared_ptr<Request>& req) {
  redisAsyncContext* ac = context();
  const auto now = Clock::now();
  thread_local std::string resp;
  for (size_t i = 0; i < req->argv.size(); ++i) {
    resp.clear();
    append_resp(resp, req->argv[i]);
    if (redisAsyncFormattedCommand(ac, &RedisConnection::on_reply, this, resp.data(),
                                   resp.size()) != REDIS_OK) {
      req->fail(i, "redis " + address().id() + " is disconnecting");
      continue;
    }
    inflight_.push_back({req, i, now, req->deadline,
                         options_.metrics && !req->argv[i].empty()
                             ? CommandMetrics::kind_of(req->argv[i][0])
                             : CommandMetrics::command});
  }
  req->argv.clear();
  req->argv.shrink_to_fit();
  arm_deadline();
}

void RedisConnection::on_reply(redisAsyncContext*, void* reply, void* privdata) {
  auto* self = static_cast<RedisConnection*>(privdata);
  if (self->inflight_.empty()) return;  // cannot happen: one entry per command sent
  Inflight f = std::move(self->inflight_.front());
  self->inflight_.pop_front();
  if (!reply) {
    f.req->fail(f.index, "redis " + self->address().id() + ": connection lost");
    return;
  }
  self->last_reply_at_ = Clock::now();
  if (auto* m = self->options_.metrics) m->by_kind[f.kind].observe(self->last_reply_at_ - f.sent);
  // Room in the window: what waits goes out, in order.
  while (!self->waiting_.empty() && self->inflight_.size() < self->options_.window) {
    auto next = std::move(self->waiting_.front());
    self->waiting_.pop_front();
    self->write(next);
  }
  if (f.req->done(f.index)) return;  // timed out: the late reply is dropped
  // Built by RedisReply::reader_functions() (on_up): moved out, not copied;
  // hiredis deletes the emptied shell after this returns.
  f.req->set(f.index, std::move(*static_cast<RedisReply*>(reply)));
}

// One timer serves the whole queue. Every command gets the same time-out
// from when it was accepted, and commands are sent in the order accepted and
// answered in the order sent, so deadlines only grow along inflight_ and
// then along waiting_: the earliest pending one is the first in flight not
// yet timed out, else the oldest waiting.
void RedisConnection::arm_deadline() {
  std::optional<Clock::time_point> at;
  auto sooner = [&at](Clock::time_point t) {
    if (!at || t < *at) at = t;
  };
  for (const auto& f : inflight_) {
    if (!f.req->done(f.index)) {
      sooner(f.deadline);
      break;
    }
  }
  if (!waiting_.empty()) sooner(waiting_.front()->deadline);
  // The stall check: the oldest command in flight, unanswered this long
  // with nothing received meanwhile, means a server that is gone.
  if (!inflight_.empty())
    sooner(std::max(inflight_.front().sent, last_reply_at_) + options_.stall_timeout);
  if (!at || *at >= timer_at_) return;  // nothing to wait for, or woken sooner already
  // expires_at() cancels a wait for a later time (its handler sees the
  // error and does nothing).
  timer_at_ = *at;
  deadline_timer_.expires_at(*at);
  auto self = std::static_pointer_cast<RedisConnection>(shared_from_this());
  deadline_timer_.async_wait([self, at = *at](boost::system::error_code ec) {
    if (ec) return;
    if (self->timer_at_ == at) self->timer_at_ = Clock::time_point::max();
    self->on_deadline();
  });
}

void RedisConnection::on_deadline() {
  const auto now = Clock::now();
  for (auto& f : inflight_) {
    if (f.deadline > now) break;
    if (!f.req->done(f.index))
      f.req->fail(f.index, "redis " + address().id() + ": command timed out");
  }
  // Waited behind the window past its deadline: never sent, never runs.
  while (!waiting_.empty() && waiting_.front()->deadline <= now) {
    auto req = std::move(waiting_.front());
    waiting_.pop_front();
    const std::string why = "redis " + address().id() + ": command timed out before it was sent (" +
                            std::to_string(inflight_.size()) + " commands in flight)";
    for (size_t i = 0; i < req->argv.size(); ++i) req->fail(i, why);
  }
  if (!inflight_.empty()) {
    const auto quiet_since = std::max(inflight_.front().sent, last_reply_at_);
    if (now - quiet_since >= options_.stall_timeout) {
      reset("no reply for " + std::to_string(options_.stall_timeout.count()) + " ms");
      return;
    }
  }
  arm_deadline();
}

void RedisConnection::on_up() {
  last_reply_at_ = Clock::now();
  // From here on the reader builds RedisReply values itself, in one pass.
  // The handshake's replies (read as hiredis redisReply) are all in, and
  // nothing else was sent yet, so no reply is half-built with the old ones.
  context()->c.reader->fn = RedisReply::reader_functions();
}

void RedisConnection::on_down() {
  // hiredis answered every pending callback with a null reply before the
  // context went; anything left here was never sent.
  fail_all("redis " + address().id() + ": connection lost");
}

}  // namespace parley::redis

namespace parley::redis {

void RedisConnection::on_close() { fail_all("redis " + address().id() + ": connection closed"); }

}  // namespace parley::redis
