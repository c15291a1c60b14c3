#include "metrics.hpp"

#include <algorithm>
#include <string_view>

namespace parley {

namespace {

// Appends one metric in the Prometheus text exposition format, version
// 0.0.4: a HELP line, a TYPE line, then the sample.
void put(std::string& out, std::string_view name, std::string_view type, std::string_view help,
         uint64_t value) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

uint64_t get(const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); }

}  // namespace

std::string Metrics::render_prometheus() const {
  std::string out;
  out.reserve(2048);
#ifdef PARLEY_VERSION
  out.append("# HELP parley_build_info Build information; the value is always 1.\n");
  out.append("# TYPE parley_build_info gauge\n");
  out.append("parley_build_info{version=\"" PARLEY_VERSION "\"} 1\n");
#endif
  put(out, "parley_connections_open", "gauge", "WebSocket connections open now.",
      get(connections_open));
  put(out, "parley_connections_total", "counter", "WebSocket connections accepted.",
      get(connections_total));
  put(out, "parley_frames_in_total", "counter", "WebSocket frames received.", get(frames_in));
  put(out, "parley_frames_out_total", "counter", "WebSocket frames written.", get(frames_out));
  put(out, "parley_bytes_out_total", "counter", "Payload bytes of the frames written.",
      get(bytes_out));
  put(out, "parley_requests_total", "counter", "JSON-RPC requests handled.", get(requests));
  put(out, "parley_request_errors_total", "counter", "JSON-RPC requests answered with an error.",
      get(request_errors));
  put(out, "parley_events_committed_total", "counter", "Conversation events committed.",
      get(events_committed));
  put(out, "parley_events_delivered_total", "counter", "Event frames handed to subscribers.",
      get(events_delivered));
  put(out, "parley_slow_consumer_closes_total", "counter",
      "Sockets closed 4008 because their outbound queue went over its limit.",
      get(slow_consumer_closes));
  put(out, "parley_rate_limited_total", "counter", "Requests refused with 429.", get(rate_limited));
  put(out, "parley_subscriptions", "gauge", "Conversation subscriptions open now.",
      get(subscriptions));
  put(out, "parley_outbound_queued_bytes", "gauge",
      "Bytes queued on sockets and not yet written, all sockets.",
      static_cast<uint64_t>(std::max<int64_t>(0, outbound_queued_bytes.load())));
  hooks.render(out);
  request_latency.render(out);
  return out;
}

}  // namespace parley
