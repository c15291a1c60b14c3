// Output: the human table, JSON, and the SVG chart of a sweep.
#pragma once

#include <string>
#include <vector>

#include "result.hpp"

namespace bench {

// One run, as a table.
std::string table(const RunResult& r);
// Several runs of a sweep over `key`, one row each.
std::string sweep_table(const std::string& key, const std::vector<RunResult>& runs);
// Every run as one JSON document.
std::string json(const std::string& scenario, const std::string& sweep_key,
                 const std::vector<RunResult>& runs);
// Throughput (left axis) and p99 latency (right axis) against the swept
// value, for the scenario's main figures.
std::string svg_chart(const std::string& scenario, const std::string& sweep_key,
                      const std::vector<RunResult>& runs);

}  // namespace bench
