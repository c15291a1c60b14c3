// Reading /metrics from a test: the samples by series, one value, the
// buckets of a histogram, and the metric names the broker exports.
#pragma once

#include <map>
#include <set>
#include <sstream>
#include <string>

#include "harness.hpp"

namespace parley::it {

// /metrics as series -> value (the comment lines left out).
inline std::map<std::string, double> scrape(uint16_t port) {
  HttpResult r = http_get(port, "/metrics");
  REQUIRE_MESSAGE(r.status == 200, r.body);
  std::map<std::string, double> out;
  std::istringstream in(r.body);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    REQUIRE_MESSAGE(space != std::string::npos, line);
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

inline double value(const std::map<std::string, double>& m, const std::string& series) {
  auto it = m.find(series);
  return it == m.end() ? 0 : it->second;
}

inline const char* const kLe[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
                           "0.1",    "0.25",  "0.5",    "1",     "2.5",  "5",     "+Inf"};

// The buckets of one series are all there, never decrease, and the +Inf
// one equals _count.
inline void check_buckets(const std::map<std::string, double>& m, const std::string& family,
                          const std::string& labels) {
  CAPTURE(labels);
  double previous = 0;
  for (const char* le : kLe) {
    const std::string series =
        family + "_bucket{" + labels + ",le=\"" + le + "\"}";
    REQUIRE_MESSAGE(m.count(series), series);
    CHECK(m.at(series) >= previous);
    previous = m.at(series);
  }
  CHECK(previous == value(m, family + "_count{" + labels + "}"));
  CHECK(m.count(family + "_sum{" + labels + "}"));
}

// The names of the series the broker exports: every `# TYPE` family, and
// for a histogram its _bucket, _sum and _count.
inline std::set<std::string> exported_names(uint16_t port) {
  HttpResult r = http_get(port, "/metrics");
  REQUIRE_MESSAGE(r.status == 200, r.body);
  std::set<std::string> names;
  std::istringstream in(r.body);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("# TYPE ")) continue;
    std::istringstream words(line.substr(7));
    std::string name, type;
    words >> name >> type;
    names.insert(name);
    if (type == "histogram")
      for (const char* suffix : {"_bucket", "_sum", "_count"}) names.insert(name + suffix);
  }
  return names;
}

}  // namespace parley::it
