// One command connection to one Redis shard, shared by every session: all
// commands are pipelined on it, in the order they are submitted.
//
// At most ConnectionOptions::window commands are in flight; the rest wait
// their turn in order (see there).
//
// Each command has a deadline, command_timeout counted from when the
// connection accepted it (submit), whether it is then sent at once or waits
// behind the window. When it passes, the caller gets 503 `unavailable()` at
// once: "command timed out" for a command sent (it may still run; its
// reply, if it comes later, is dropped), "command timed out before it was
// sent" for one that waited behind the window (it never reaches Redis).
// While the link is down, commands fail fast with 503 instead of queueing;
// when it drops or is closed, every command in flight or waiting fails
// with 503 at once. If the oldest command has waited stall_timeout with
// nothing received, the server is taken for gone and the link reconnects
// (replies arrive in order, so a server that answers anything is alive).
// So every command completes exactly once, by its deadline at the latest,
// whatever happens to the connection.
//
// Completions resume on the caller's executor (the handler's associated
// executor), whose outstanding work is held until then: a caller running
// its own io_context does not see it run out of work while Redis answers.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <string>
#include <vector>

#include "asio_redis.hpp"
#include "command_metrics.hpp"
#include "error.hpp"
#include "redis_reply.hpp"

namespace parley::redis {

struct ConnectionOptions {
  LinkOptions link;
  std::chrono::milliseconds command_timeout{1000};
  std::chrono::milliseconds stall_timeout{5000};
  // Commands sent and not answered, at most (a batch is sent whole once it
  // starts). The rest wait here, in order: under overload the queue forms
  // in the broker instead of in Redis, where commands that wait past their
  // time-out answer 503 and still run. A command that times out while it
  // waits here is dropped from the queue unsent. Commands that timed out
  // after they were sent keep their place in the window until Redis
  // answers them (or the stall reset drops the connection).
  size_t window = 128;
  // Where each command's latency goes (command_metrics.hpp); null: nowhere.
  CommandMetrics* metrics = nullptr;
};

class RedisConnection : public RedisLink {
 public:
  using Reply = Result<RedisReply>;
  using Replies = std::vector<Result<RedisReply>>;
  using Handler = asio::any_completion_handler<void(Reply)>;
  using BatchHandler = asio::any_completion_handler<void(Replies)>;

  RedisConnection(asio::any_io_executor ex, RedisAddress address, ConnectionOptions options,
                  std::string name = "parley");
  ~RedisConnection() override;

  // Sends one command; completes with its reply (an error reply is a reply:
  // only transport failures and time-outs are Errors, all 503).
  template <class Token>
  auto async_command(std::vector<std::string> argv, Token&& token) {
    return asio::async_initiate<Token, void(Reply)>(
        [this](auto handler, std::vector<std::string> argv) {
          std::vector<std::vector<std::string>> one;
          one.push_back(std::move(argv));
          submit(std::move(one), Handler(std::move(handler)), {});
        },
        token, std::move(argv));
  }
  // Sends several commands back to back; completes once all are answered,
  // with one result per command, in order.
  template <class Token>
  auto async_pipeline(std::vector<std::vector<std::string>> cmds, Token&& token) {
    return asio::async_initiate<Token, void(Replies)>(
        [this](auto handler, std::vector<std::vector<std::string>> cmds) {
          submit(std::move(cmds), {}, BatchHandler(std::move(handler)));
        },
        token, std::move(cmds));
  }
  asio::awaitable<Reply> command(std::vector<std::string> argv) {
    return async_command(std::move(argv), asio::use_awaitable);
  }
  asio::awaitable<Replies> pipeline(std::vector<std::vector<std::string>> cmds) {
    return async_pipeline(std::move(cmds), asio::use_awaitable);
  }

  const ConnectionOptions& options() const { return options_; }

 protected:
  void on_up() override;
  void on_down() override;
  void on_close() override;

 private:
  struct Request;
  struct Inflight {
    std::shared_ptr<Request> req;
    size_t index;
    Clock::time_point sent;
    Clock::time_point deadline;  // the request's: from when it was accepted
    CommandMetrics::Kind kind = CommandMetrics::command;  // for its latency (sent to reply)
  };

  void submit(std::vector<std::vector<std::string>> cmds, Handler one, BatchHandler many);
  void send(const std::shared_ptr<Request>& req);
  void write(const std::shared_ptr<Request>& req);
  void fail_waiting(const std::string& why);
  // Fails every command in flight or waiting (the link dropped or closed).
  void fail_all(const std::string& why);
  // The deadline timer wakes at the earliest of: the first pending deadline
  // of a command sent, the deadline of the oldest command waiting, the
  // stall check. Re-armed earlier whenever something new needs it sooner.
  void arm_deadline();
  void on_deadline();
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);

  const ConnectionOptions options_;
  asio::any_io_executor io_ex_;
  std::deque<Inflight> inflight_;  // in hiredis's reply order
  std::deque<std::shared_ptr<Request>> waiting_;  // beyond the window, not sent yet
  asio::steady_timer deadline_timer_;
  Clock::time_point timer_at_ = Clock::time_point::max();  // max: not armed
  Clock::time_point last_reply_at_;
};

}  // namespace parley::redis
