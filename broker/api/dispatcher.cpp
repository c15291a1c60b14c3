#include "api/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "api/methods.hpp"
#include "clock.hpp"
#include "observe/logging.hpp"
#include "serialize.hpp"

namespace parley {

namespace {

// The answer of a call refused before its handler (a coroutine only on
// that path: a call that runs gets its handler's awaitable as it is).
asio::awaitable<Reply> refuse(Error e) { co_return e; }

}  // namespace

asio::awaitable<Reply> dispatch(Context& ctx, const Call& call) {
  if (!call.params.ok()) return refuse(call.params.error());
  const Params& p = call.params.value();
  const MethodHandler& h = kHandlers[p.index()];
  if (!h.needs.anonymous && ctx.who.user_id.empty())
    return refuse(unauthenticated("authenticate first"));
  if (h.socket && !ctx.socket)
    return refuse(invalid_request(std::string(kMethodNames[h.index]) + " needs a WebSocket"));
  return h.run(ctx, p);
}

asio::awaitable<Reply> serve_call(Context& ctx, const Call& call, Status admitted,
                                  CallOrigin origin) {
  ctx.origin = &origin;
  ctx.rpc_id = call.id;
  Reply reply = Error{};
  if (!admitted.ok()) {
    reply = std::move(admitted).error();
  } else {
    try {
      reply = co_await dispatch(ctx, call);
    } catch (const std::exception& ex) {
      auto id = new_conversation_id();
      const std::string rid = observe::request_id(origin, call.id);
      observe::LogFields fields{{"request_id", rid}, {"method", call.method}};
      spdlog::error("internal error {} in {} over {}: {}", id, call.method,
                    observe::to_string(origin.transport), ex.what());
      reply = internal_error(id);
    }
  }
  finish_call(ctx.node, origin, &call, reply);
  ctx.origin = nullptr;  // `origin` ends with this call
  co_return reply;
}

void finish_call(Services& node, const CallOrigin& origin, const Call* call, const Reply& reply) {
  const auto took = std::chrono::steady_clock::now() - origin.started;
  const int code = reply.ok() ? 0 : reply.error().code;
  Metrics& m = node.metrics;
  m.requests.fetch_add(1, std::memory_order_relaxed);
  if (code != 0) m.request_errors.fetch_add(1, std::memory_order_relaxed);
  m.request_latency.observe(origin.transport, call ? call->index : std::nullopt, code, took);
  if (!spdlog::should_log(spdlog::level::debug)) return;
  const std::string rid = observe::request_id(origin, call ? std::string_view(call->id) : "null");
  const std::string_view method = call ? std::string_view(call->method) : "";
  const std::string outcome = code == 0 ? std::string("ok") : std::to_string(code);
  const std::string micros = std::to_string(
      std::chrono::duration_cast<std::chrono::microseconds>(took).count());
  observe::LogFields fields{{"request_id", rid},
                            {"method", method},
                            {"transport", observe::to_string(origin.transport)},
                            {"outcome", outcome},
                            {"duration_us", micros}};
  spdlog::debug("request {} {} in {} us", method.empty() ? "(none)" : method, outcome, micros);
}

double request_cost(std::optional<size_t> method, const Limits& limits) {
  return method && kHandlers[*method].needs.tenant_read ? limits.expensive_read_cost : 1.0;
}

void Dispatcher::on_open(const std::shared_ptr<Connection>& c) {
  c->context = std::make_shared<ClientState>();
  // Authenticated by the upgrade's token: the socket counts for presence.
  if (const auto& who = c->identity()) {
    asio::co_spawn(c->executor(), node_.presence.open(*c, *who), asio::detached);
    node_.registrar.on_authenticated(c->executor(), *who, wall_clock_ms());
  }
}

void Dispatcher::on_close(const std::shared_ptr<Connection>& c) {
  if (c->context) c->context->drop_all(node_.hub);
  node_.inbox.drop(*c);
  node_.presence.close(*c);
}

asio::awaitable<std::string> Dispatcher::on_frame(std::shared_ptr<Connection> c,
                                                  std::string frame) {
  const auto started = std::chrono::steady_clock::now();
  auto decoded = decode_frame(frame, node_.cfg.limits);
  if (!decoded.ok()) {
    // A frame that is no request (not JSON, a bad batch) counts against
    // the rate like one: refusals must not be free.
    auto admitted = c->admit_request(1);
    Error e = admitted.ok() ? decoded.error() : admitted.error();
    finish_call(node_, CallOrigin{observe::Transport::ws, started, {}, c->session_id()}, nullptr,
                e);
    co_return response_error("null", e);
  }
  auto& calls = decoded->calls;
  if (!decoded->batch) co_return co_await run_call(c, calls.front(), started);
  // A batch runs in order and answers one array, notifications left out
  // (and nothing at all when every call was a notification). Each call
  // is timed from its own start, the first from the frame's.
  std::string out = "[";
  bool any = false;
  bool first = true;
  for (auto& call : calls) {
    std::string r =
        co_await run_call(c, call, first ? started : std::chrono::steady_clock::now());
    first = false;
    if (r.empty()) continue;
    if (any) out.push_back(',');
    out += r;
    any = true;
  }
  if (!any) co_return std::string();
  out.push_back(']');
  co_return out;
}

bool Dispatcher::pipelinable(std::string_view frame) {
  auto decoded = decode_frame(frame, node_.cfg.limits);
  if (!decoded.ok() || decoded->batch || decoded->calls.size() != 1) return false;
  const Call& call = decoded->calls.front();
  return call.params.ok() && std::holds_alternative<params::SendMessage>(call.params.value());
}

asio::awaitable<std::string> Dispatcher::run_call(std::shared_ptr<Connection> conn,
                                                  const Call& call,
                                                  std::chrono::steady_clock::time_point started) {
  SocketContext ctx(node_, conn, *conn->context, wall_clock_ms());
  // Every call counts against the rate, the refused ones (unknown method,
  // bad params, bad envelope) included; the tenant-wide reads count more.
  Reply reply = co_await serve_call(
      ctx, call, conn->admit_request(request_cost(call.index, node_.cfg.limits)),
      CallOrigin{observe::Transport::ws, started, {}, conn->session_id()});
  if (call.notification) co_return std::string();
  co_return reply.ok() ? response_result(call.id, reply.value())
                       : response_error(call.id, reply.error());
}

}  // namespace parley
