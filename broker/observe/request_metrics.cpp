#include "observe/request_metrics.hpp"

#include "request.hpp"

namespace parley::observe {

static_assert(kMethodCount <= RequestMetrics::kMaxMethods,
              "more methods than RequestMetrics has room for: raise kMaxMethods");

namespace {

constexpr std::string_view kUnknown = "unknown";

std::string_view method_name(size_t slot) {
  return slot < kMethodCount ? kMethodNames[slot] : kUnknown;
}

}  // namespace

std::string_view to_string(Transport t) { return t == Transport::ws ? "ws" : "http"; }

std::string request_id(const CallOrigin& origin, std::string_view rpc) {
  if (origin.transport == Transport::http) return std::string(origin.request_id);
  std::string id(origin.connection);
  id.push_back('/');
  if (rpc.size() >= 2 && rpc.front() == '"' && rpc.back() == '"') rpc = rpc.substr(1, rpc.size() - 2);
  id.append(rpc.substr(0, 64));
  return id;
}

size_t RequestMetrics::slot(std::optional<size_t> method) noexcept {
  return method && *method < kMethodCount ? *method : kMaxMethods;
}

size_t RequestMetrics::code_slot(int code) noexcept {
  for (size_t i = 0; i < kCodes.size(); ++i)
    if (kCodes[i] == code) return i;
  return kCodes.size();
}

void RequestMetrics::observe(Transport t, std::optional<size_t> method, int error_code,
                             std::chrono::steady_clock::duration took) noexcept {
  const size_t m = slot(method);
  latency_[m][static_cast<size_t>(t)].observe(took);
  if (error_code != 0) errors_[m][code_slot(error_code)].fetch_add(1, std::memory_order_relaxed);
}

const LatencyHistogram& RequestMetrics::latency(Transport t, std::optional<size_t> method) const {
  return latency_[slot(method)][static_cast<size_t>(t)];
}

uint64_t RequestMetrics::errors(std::optional<size_t> method, int error_code) const {
  return errors_[slot(method)][code_slot(error_code)].load(std::memory_order_relaxed);
}

void RequestMetrics::render(std::string& out) const {
  LatencyHistogram::render_header(
      out, "parley_request_duration_seconds",
      "From a call's decoding to its answer, by method and transport (ws, http).");
  for (size_t m = 0; m <= kMaxMethods; ++m) {
    if (m >= kMethodCount && m != kMaxMethods) continue;
    for (Transport t : {Transport::ws, Transport::http}) {
      const auto& h = latency_[m][static_cast<size_t>(t)];
      if (h.count() == 0) continue;
      std::string labels = "method=\"";
      labels.append(method_name(m)).append("\",transport=\"").append(to_string(t)).append("\"");
      h.render(out, "parley_request_duration_seconds", labels);
    }
  }
  out.append(
      "# HELP parley_request_method_errors_total Calls answered with an error, by method and "
      "code.\n# TYPE parley_request_method_errors_total counter\n");
  for (size_t m = 0; m <= kMaxMethods; ++m) {
    if (m >= kMethodCount && m != kMaxMethods) continue;
    for (size_t c = 0; c <= kCodes.size(); ++c) {
      const uint64_t n = errors_[m][c].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out.append("parley_request_method_errors_total{method=\"")
          .append(method_name(m))
          .append("\",code=\"")
          .append(c < kCodes.size() ? std::to_string(kCodes[c]) : std::string("other"))
          .append("\"} ")
          .append(std::to_string(n))
          .append("\n");
    }
  }
}

}  // namespace parley::observe
