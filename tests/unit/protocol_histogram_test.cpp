// The latency histogram of /metrics (protocol/histogram.hpp): which bucket
// an observation lands in, cumulative rendering ending with +Inf = count,
// and the sum in seconds.
#include <doctest/doctest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "histogram.hpp"

using namespace parley;
using namespace std::chrono_literals;

namespace {

// The value of the line of `text` that starts with `prefix` and a space.
std::string sample(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(prefix + " ")) return line.substr(prefix.size() + 1);
  return "(missing)";
}

}  // namespace

TEST_CASE("histogram: an observation counts in the first bucket whose bound it does not exceed") {
  LatencyHistogram h;
  h.observe_ns(500'000);    // exactly 0.5 ms: the first bucket (le is inclusive)
  h.observe_ns(500'001);    // just over: the second
  h.observe(3ms);           // 0.005
  h.observe(7s);            // past the last bound: +Inf only
  CHECK(h.count() == 4);
  CHECK(h.cumulative(0) == 1);
  CHECK(h.cumulative(1) == 2);
  CHECK(h.cumulative(2) == 2);
  CHECK(h.cumulative(3) == 3);
  CHECK(h.cumulative(LatencyHistogram::kBounds - 1) == 3);
  CHECK(h.cumulative(LatencyHistogram::kBounds) == 4);
}

TEST_CASE("histogram: a negative duration counts as zero") {
  LatencyHistogram h;
  h.observe(-5ms);
  CHECK(h.cumulative(0) == 1);
  CHECK(h.sum_seconds() == 0.0);
}

TEST_CASE("histogram: rendered buckets are cumulative, in order, and end with +Inf = _count") {
  LatencyHistogram h;
  for (int i = 0; i < 3; ++i) h.observe(200us);
  h.observe(20ms);
  h.observe(10s);
  std::string out;
  LatencyHistogram::render_header(out, "x_seconds", "test");
  h.render(out, "x_seconds", "method=\"m\"");
  CHECK(out.starts_with("# HELP x_seconds test\n# TYPE x_seconds histogram\n"));
  CHECK(sample(out, "x_seconds_bucket{method=\"m\",le=\"0.0005\"}") == "3");
  CHECK(sample(out, "x_seconds_bucket{method=\"m\",le=\"0.01\"}") == "3");
  CHECK(sample(out, "x_seconds_bucket{method=\"m\",le=\"0.025\"}") == "4");
  CHECK(sample(out, "x_seconds_bucket{method=\"m\",le=\"5\"}") == "4");
  CHECK(sample(out, "x_seconds_bucket{method=\"m\",le=\"+Inf\"}") == "5");
  CHECK(sample(out, "x_seconds_count{method=\"m\"}") == "5");
  CHECK(std::stod(sample(out, "x_seconds_sum{method=\"m\"}")) == doctest::Approx(10.0206));
  // Every bucket line, in the order of the bounds, never decreasing.
  std::vector<uint64_t> seen;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("x_seconds_bucket")) seen.push_back(std::stoull(line.substr(line.rfind(' ') + 1)));
  REQUIRE(seen.size() == LatencyHistogram::kBounds + 1);
  for (size_t i = 1; i < seen.size(); ++i) CHECK(seen[i - 1] <= seen[i]);
}

TEST_CASE("histogram: without labels the series have no braces but for le") {
  LatencyHistogram h;
  h.observe(1ms);
  std::string out;
  h.render(out, "y", "");
  CHECK(sample(out, "y_bucket{le=\"0.001\"}") == "1");
  CHECK(sample(out, "y_count") == "1");
}
