#include "net/listener.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.hpp"
#include "net/flusher.hpp"
#include "net/http.hpp"
#include "net/http_head.hpp"
#include "net/session.hpp"
#include "net/web_files.hpp"
#include "tuning.hpp"

namespace parley {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

using Clock = std::chrono::steady_clock;

// Where a request head is read: one buffer per thread, so a socket waiting
// for its request holds none.
std::vector<char>& scratch() {
  thread_local std::vector<char> buf(kHttpHeaderBytes + 4096);
  return buf;
}


}  // namespace

Listener::Listener(asio::any_io_executor accept_executor,
                   std::vector<asio::any_io_executor> session_executors, Deps deps)
    : deps_(deps), acceptor_(accept_executor), executors_(std::move(session_executors)) {
  for (const auto& ex : executors_) flushers_.push_back(std::make_unique<Flusher>(ex));
  shards_ = std::make_unique<Shard[]>(executors_.size());
  shared_ = std::make_unique<SessionShared>(
      SessionShared{deps_.cfg, deps_.handler, deps_.metrics,
                    [this](const std::shared_ptr<Session>& s) { add(s); },
                    [this](const Session* s) { remove(s); }});
}

Listener::~Listener() = default;

boost::system::error_code Listener::open(const asio::ip::tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  // Frames are small and latency matters more than packet count. Set on the
  // listening socket, TCP_NODELAY is inherited by every accepted one (one
  // setsockopt in all rather than one per connection).
  if (!ec) acceptor_.set_option(asio::ip::tcp::no_delay(true), ec);
  // Each thread accepts through its own descriptor for the one listening
  // socket (the first takes the original, the others a dup), registered with
  // its own io_context only: the opening acceptor lets go of it, so no
  // reactor is woken for a connection it will not accept.
  int listen_fd = -1;
  if (!ec) listen_fd = acceptor_.release(ec);
  for (size_t i = 0; !ec && i < executors_.size(); ++i) {
    int fd = i == 0 ? listen_fd : ::dup(listen_fd);
    if (fd < 0) {
      ec = boost::system::error_code(errno, boost::system::system_category());
      break;
    }
    auto a = std::make_unique<asio::ip::tcp::acceptor>(executors_[i]);
    a->assign(endpoint.protocol(), fd, ec);
    if (ec) ::close(fd);
    acceptors_.push_back(std::move(a));
  }
  if (ec) {
    boost::system::error_code ignored;
    if (acceptors_.empty() && listen_fd >= 0) ::close(listen_fd);
    for (auto& a : acceptors_) a->close(ignored);
    acceptors_.clear();
    acceptor_.close(ignored);
  }
  return ec;
}

asio::ip::tcp::endpoint Listener::local_endpoint() const {
  boost::system::error_code ec;
  if (acceptors_.empty()) return {};
  return acceptors_.front()->local_endpoint(ec);
}

void Listener::start() {
  for (size_t i = 0; i < acceptors_.size(); ++i)
    asio::co_spawn(executors_[i], accept_loop(i), asio::detached);
}

void Listener::stop() {
  // An acceptor is not thread-safe: each is closed on its own executor.
  for (size_t i = 0; i < acceptors_.size(); ++i) {
    asio::post(executors_[i], [self = shared_from_this(), i] {
      boost::system::error_code ec;
      self->acceptors_[i]->close(ec);
    });
  }
}

void Listener::close_all(uint16_t code, std::string_view reason) {
  {
    std::lock_guard lk(mu_);
    close_code_ = code;
    close_reason_ = std::string(reason);
    closing_all_.store(true);
  }
  for (auto& s : open_sessions()) s->close(code, reason);
}

std::vector<std::shared_ptr<Session>> Listener::open_sessions() const {
  std::vector<std::shared_ptr<Session>> open;
  for (size_t i = 0; i < executors_.size(); ++i) {
    std::lock_guard lk(shards_[i].mu);
    for (auto& weak : shards_[i].sessions)
      if (auto s = weak.lock()) open.push_back(std::move(s));
  }
  return open;
}

size_t Listener::sessions() const {
  size_t n = 0;
  for (size_t i = 0; i < executors_.size(); ++i) {
    std::lock_guard lk(shards_[i].mu);
    n += shards_[i].sessions.size();
  }
  return n;
}

size_t Listener::shard_of(const Session* s) const {
  for (size_t i = 0; i < flushers_.size(); ++i)
    if (flushers_[i].get() == &s->flusher()) return i;
  return 0;
}

void Listener::add(const std::shared_ptr<Session>& s) {
  Shard& shard = shards_[shard_of(s.get())];
  {
    std::lock_guard lk(shard.mu);
    s->registry_slot() = shard.sessions.size();
    shard.sessions.push_back(s);
    shard.count.store(shard.sessions.size(), std::memory_order_relaxed);
  }
  // A session added after close_all() took its snapshot is closed here;
  // one added before is in the snapshot (both may close it: close() is
  // idempotent).
  if (!closing_all_.load()) return;
  uint16_t code;
  std::string reason;
  {
    std::lock_guard lk(mu_);
    code = close_code_;
    reason = close_reason_;
  }
  // Opened while shutting down: it joins the others on their way out.
  s->close(code, reason);
}

void Listener::remove(const Session* s) {
  Shard& shard = shards_[shard_of(s)];
  std::lock_guard lk(shard.mu);
  auto& v = shard.sessions;
  size_t i = s->registry_slot();
  // The slot is right unless bookkeeping went wrong: then look for it.
  if (i >= v.size() || v[i].lock().get() != s) {
    i = 0;
    while (i < v.size() && v[i].lock().get() != s) ++i;
    if (i == v.size()) return;
  }
  if (i + 1 != v.size()) {
    v[i] = std::move(v.back());
    if (auto moved = v[i].lock()) moved->registry_slot() = i;
  }
  v.pop_back();
  shard.count.store(shard.sessions.size(), std::memory_order_relaxed);
}

size_t Listener::serving_executor(size_t index) const {
  size_t best = index;
  size_t least = shards_[index].count.load(std::memory_order_relaxed);
  for (size_t i = 0; i < executors_.size(); ++i) {
    size_t c = shards_[i].count.load(std::memory_order_relaxed);
    if (c < least) least = c, best = i;
  }
  if (shards_[index].count.load(std::memory_order_relaxed) > least + kImbalanceSlack) return best;
  return index;
}

asio::awaitable<void> Listener::accept_loop(size_t index) {
  auto self = shared_from_this();
  auto& acceptor = *acceptors_[index];
  asio::steady_timer backoff(executors_[index]);
  for (;;) {
    // The socket is born on the executor that will serve it.
    size_t target = serving_executor(index);
    auto [ec, socket] = co_await acceptor.async_accept(executors_[target], kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // Out of file descriptors and the like: back off instead of spinning.
      spdlog::warn("accept: {}", ec.message());
      backoff.expires_after(kAcceptBackoff);
      co_await backoff.async_wait(kUseTuple);
      continue;
    }
    if (target == index) {
      serve(std::move(socket), target);
      continue;
    }
    auto executor = socket.get_executor();
    asio::post(executor, [self, socket = std::move(socket), target]() mutable {
      self->serve(std::move(socket), target);
    });
  }
}

//------------------------------------------------------------------------------
// The request head, read readiness-based into a per-thread buffer: the
// connection waits for readability (with its 10 s deadline) in a small
// HeadRead, which keeps bytes only when the head comes in pieces.

struct Listener::HeadRead {
  HeadRead(asio::ip::tcp::socket s, size_t index, Deadline d)
      : socket(std::move(s)), executor_index(index), deadline(d) {}
  asio::ip::tcp::socket socket;
  size_t executor_index;
  Deadline deadline;
  std::string bytes;  // what was read so far
  std::optional<asio::steady_timer> timer;
  bool timed_out = false;
};

namespace {

// What one read without blocking got: bytes (> 0), none yet (-1), or the
// end of the connection (0: the peer left or the socket broke).
ssize_t read_now(asio::ip::tcp::socket& socket, std::vector<char>& buf) {
  ssize_t n = ::recv(socket.native_handle(), buf.data(), buf.size(), MSG_DONTWAIT);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? -1 : 0;
  return n;
}

}  // namespace

void Listener::serve(asio::ip::tcp::socket socket, size_t executor_index) {
  // No read yet: at accept time the request is almost never there (the
  // client sends it once it learns that its connect completed, a round trip
  // later), so a read now would only come back empty. Wait for it instead,
  // under the slowloris guard.
  const auto deadline = Clock::now() + kHttpReadTimeout;
  auto h = std::make_shared<HeadRead>(std::move(socket), executor_index, deadline);
  h->timer.emplace(h->socket.get_executor());
  h->timer->expires_at(deadline);
  h->timer->async_wait([h](boost::system::error_code ec) {
    if (ec) return;
    // Stalled (slowloris): drop it; the pending wait ends with an error.
    h->timed_out = true;
    boost::system::error_code ignored;
    h->socket.close(ignored);
  });
  wait_head(std::move(h));
}

void Listener::wait_head(std::shared_ptr<HeadRead> h) {
  auto& socket = h->socket;
  socket.async_wait(asio::ip::tcp::socket::wait_read,
                    [self = shared_from_this(), h = std::move(h)](boost::system::error_code ec) {
                      if (ec || h->timed_out) return;
                      auto& buf = scratch();
                      ssize_t n = read_now(h->socket, buf);
                      if (n == 0) {
                        h->timer->cancel();
                        return;
                      }
                      if (n > 0) {
                        // Parsed where it was read; kept only while incomplete.
                        std::string_view data(buf.data(), static_cast<size_t>(n));
                        if (!h->bytes.empty()) {
                          h->bytes.append(data);
                          data = h->bytes;
                        }
                        if (self->decide(h->socket, h->executor_index, data, h->deadline)) {
                          h->timer->cancel();
                          return;
                        }
                        if (h->bytes.empty()) h->bytes.assign(data);
                      }
                      self->wait_head(h);
                    });
}

// Parses what came so far; false while the head is incomplete. Otherwise
// the socket has been handed on: to a Session, or to the full parser.
bool Listener::decide(asio::ip::tcp::socket& socket, size_t executor_index,
                      std::string_view data, Deadline deadline) {
  UpgradeHead head;
  auto verdict = parse_upgrade_head(data, kHttpHeaderBytes, head);
  if (verdict == HeadVerdict::incomplete) return false;
  // Draining: the full parser answers, and refuses an upgrade.
  if (verdict == HeadVerdict::other || draining()) {
    auto executor = socket.get_executor();
    asio::co_spawn(executor,
                   serve_http(std::move(socket), executor_index, std::string(data), deadline),
                   asio::detached);
    return true;
  }
  open_session(std::move(socket), executor_index, head.target, head.origin, head.authorization,
               head.key, head.version, std::string(data.substr(head.size)));
  return true;
}

void Listener::open_session(asio::ip::tcp::socket socket, size_t executor_index,
                            std::string_view target, std::string_view origin,
                            std::string_view authorization, std::string_view key,
                            std::string_view version, std::string leftover) {
  const Config& cfg = deps_.cfg;
  std::optional<Identity> who;
  std::optional<Refusal> refusal;
  // No Origin header (a null view): not a browser, let in. One sent, even
  // empty, must be listed.
  if (origin.data() != nullptr && !cfg.allowed_origins.empty() &&
      !origin_allowed(origin, cfg.allowed_origins)) {
    refusal = Refusal{4003, "origin not allowed"};
  } else {
    auto token = query_param(target, "token");
    if (!token) token = bearer_token(authorization);
    if (token) {
      auto verified = deps_.auth.verify(*token, wall_clock_ms());
      if (verified.ok())
        who = std::move(verified.value());
      else
        refusal = Refusal{4001, verified.error().message};
    }
  }
  auto session =
      std::make_shared<Session>(std::move(socket), *shared_, *flushers_[executor_index]);
  session->start(key, version, std::move(leftover), std::move(who), std::move(refusal));
}

// One request per connection: plain requests are answered and the
// connection is closed; an upgrade hands the stream to a Session.
asio::awaitable<void> Listener::serve_http(asio::ip::tcp::socket socket, size_t executor_index,
                                           std::string already, Deadline deadline) {
  auto self = shared_from_this();
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  if (!already.empty()) {
    auto space = buffer.prepare(already.size());
    std::memcpy(space.data(), already.data(), already.size());
    buffer.commit(already.size());
    std::string().swap(already);
  }
  http::request_parser<http::string_body> parser;
  parser.header_limit(kHttpHeaderBytes);
  parser.body_limit(kHttpBodyBytes);

  stream.expires_at(deadline);
  auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
  bool head = false;
  HttpReply reply;
  if (ec) {
    // A malformed request gets a 400; a peer that went away or stalled
    // gets nothing.
    if (ec.category() != http::make_error_code(http::error::end_of_stream).category() ||
        ec == http::error::end_of_stream || ec == http::error::partial_message)
      co_return;
    reply.status = 400;
    reply.body = "bad request\n";
  } else {
    auto req = parser.release();
    std::string_view target = req.target();
    if (draining() && (websocket::is_upgrade(req) || target_path(target) == "/readyz")) {
      // Drained: no new socket here (a proxy tries the next node on 503),
      // and the load balancer hears it from /readyz.
      reply.status = 503;
      reply.body = "draining\n";
      reply.headers.emplace_back("Retry-After", "1");
    } else if (websocket::is_upgrade(req) && target_path(target) == "/ws") {
      // Bytes read past the request are the client's first frames.
      std::string leftover(static_cast<const char*>(buffer.data().data()), buffer.size());
      stream.expires_never();
      open_session(stream.release_socket(), executor_index, target, req[http::field::origin],
                   req[http::field::authorization], req[http::field::sec_websocket_key],
                   req[http::field::sec_websocket_version], std::move(leftover));
      co_return;
    } else if (deps_.web && !builtin_path(target_path(target)))
      reply = deps_.web->reply({req.method_string(), target, req[http::field::origin],
                                req[http::field::if_none_match]});
    else
      reply = http_reply(req.method_string(), target, deps_.engine, deps_.metrics);
    head = req.method() == http::verb::head;
  }

  http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
  res.set(http::field::server, "parley/" PARLEY_VERSION);
  if (!reply.content_type.empty()) res.set(http::field::content_type, reply.content_type);
  res.set(http::field::cache_control, reply.cache_control);
  for (const auto& [name, value] : reply.headers) res.set(name, value);
  res.keep_alive(false);
  res.body() = std::move(reply.body);
  // A 304 has no body and no Content-Length (it would have to be the
  // length of the 200 it stands for).
  if (reply.status != 304) res.prepare_payload();
  // HEAD: the headers of the GET answer (Content-Length included), no body.
  if (head) res.body().clear();
  stream.expires_after(kHttpReadTimeout);
  // A write error only means the client left; there is nothing to undo.
  co_await http::async_write(stream, res, kUseTuple);
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace parley
