#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "json_writer.hpp"

namespace bench {

namespace {

std::string fixed(double v, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}

// Thousands separated by commas, for counts and rates.
std::string grouped(double v, int precision) {
  std::string s = fixed(v, precision);
  size_t begin = s[0] == '-' ? 1 : 0;
  size_t end = std::min(s.find('.'), s.size());
  std::string out = s.substr(0, begin);
  for (size_t i = begin; i < end; ++i) {
    out.push_back(s[i]);
    size_t left = end - i - 1;
    if (left > 0 && left % 3 == 0) out.push_back(',');
  }
  out.append(s, end, std::string::npos);
  return out;
}

std::string params_line(const RunResult& r) {
  std::string out;
  for (const auto& [k, v] : r.params) out += " " + k + "=" + v;
  return out;
}

std::string check_line(const Correctness& c) {
  return "gaps " + std::to_string(c.gaps) + ", duplicates " + std::to_string(c.duplicates) +
         ", out-of-order " + std::to_string(c.out_of_order) + ", resets " +
         std::to_string(c.resets) + ", failures " + std::to_string(c.failures);
}

struct MainFigures {
  std::string throughput, throughput_label, p99, p99_label;
};

MainFigures main_figures(const std::string& scenario) {
  if (scenario == "persist") return {"acks_per_sec", "acks/s", "ack_p99_ms", "ack p99 (ms)"};
  if (scenario == "connect")
    return {"connect_per_sec", "connections/s", "handshake_p99_ms", "handshake p99 (ms)"};
  return {"delivered_per_sec", "delivered msgs/s", "e2e_p99_ms", "end-to-end p99 (ms)"};
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out.push_back(c);
  }
  return out;
}

// A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten.
double nice_ceiling(double v) {
  if (v <= 0) return 1;
  double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= v) return m * p;
  return 10 * p;
}

std::string short_number(double v) {
  if (v >= 1e6) return fixed(v / 1e6, v >= 1e7 ? 0 : 1) + "M";
  if (v >= 1e3) return fixed(v / 1e3, v >= 1e4 ? 0 : 1) + "k";
  if (v == std::floor(v)) return fixed(v, 0);
  return fixed(v, v < 1 ? 2 : 1);
}

}  // namespace

std::string table(const RunResult& r) {
  std::ostringstream os;
  os << "parley-bench " << r.scenario << ":" << params_line(r) << "\n";
  size_t width = 0;
  for (const auto& m : r.metrics) width = std::max(width, m.label.size());
  for (const auto& m : r.metrics) {
    os << "  " << m.label << std::string(width - m.label.size() + 2, ' ')
       << grouped(m.value, m.precision);
    if (!m.unit.empty()) os << " " << m.unit;
    os << "\n";
  }
  os << "  correctness: " << check_line(r.check) << "\n";
  for (const auto& n : r.notes) os << "  note: " << n << "\n";
  os << "  result: " << (r.valid() ? "VALID" : "INVALID (a broken promise: not a speed figure)")
     << "\n";
  return os.str();
}

std::string sweep_table(const std::string& key, const std::vector<RunResult>& runs) {
  if (runs.empty()) return "";
  const MainFigures f = main_figures(runs.front().scenario);
  std::string p = f.p99.substr(0, f.p99.size() - 7);  // "e2e_p99_ms" -> "e2e"
  struct Col {
    std::string title, key;
    int precision;
  };
  std::vector<Col> cols = {{f.throughput_label, f.throughput, 0}};
  if (runs.front().scenario == "fanout" || runs.front().scenario == "latency")
    cols.push_back({"acks/s", "acks_per_sec", 0});
  for (const char* q : {"p50", "p90", "p99", "p999", "max"})
    cols.push_back({std::string(q == std::string("p999") ? "p99.9" : q) + " ms",
                    p + "_" + q + "_ms", 3});
  std::ostringstream os;
  os << "parley-bench " << runs.front().scenario << " sweep over " << key << ":"
     << params_line(runs.front()) << "\n";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%14s", key.c_str());
  os << buf;
  for (const auto& c : cols) {
    std::snprintf(buf, sizeof buf, " %16s", c.title.c_str());
    os << buf;
  }
  os << "  result\n";
  for (const auto& r : runs) {
    std::string v;
    for (const auto& [k, val] : r.params)
      if (k == key) v = val;
    std::snprintf(buf, sizeof buf, "%14s", v.c_str());
    os << buf;
    for (const auto& c : cols) {
      std::snprintf(buf, sizeof buf, " %16s", grouped(r.get(c.key), c.precision).c_str());
      os << buf;
    }
    os << "  " << (r.valid() ? "VALID" : "INVALID") << "\n";
  }
  for (const auto& r : runs)
    for (const auto& n : r.notes) os << "  note: " << n << "\n";
  return os.str();
}

std::string json(const std::string& scenario, const std::string& sweep_key,
                 const std::vector<RunResult>& runs) {
  parley::JsonWriter w;
  bool all_valid = std::all_of(runs.begin(), runs.end(), [](const auto& r) { return r.valid(); });
  w.begin_object().field("tool", "parley-bench").field("scenario", scenario);
  if (!sweep_key.empty()) w.field("sweep", sweep_key);
  w.field("valid", all_valid);
  w.key("runs").begin_array();
  for (const auto& r : runs) {
    w.begin_object();
    w.key("params").begin_object();
    for (const auto& [k, v] : r.params) w.field(k, v);
    w.end_object();
    w.key("metrics").begin_object();
    for (const auto& m : r.metrics) w.field(m.key, m.value);
    w.end_object();
    w.key("correctness")
        .begin_object()
        .field("gaps", r.check.gaps)
        .field("duplicates", r.check.duplicates)
        .field("outOfOrder", r.check.out_of_order)
        .field("resets", r.check.resets)
        .field("failures", r.check.failures)
        .end_object();
    w.field("valid", r.valid());
    w.key("notes").begin_array();
    for (const auto& n : r.notes) w.value(n);
    w.end_array();
    w.end_object();
  }
  w.end_array().end_object();
  return w.take() + "\n";
}

std::string svg_chart(const std::string& scenario, const std::string& sweep_key,
                      const std::vector<RunResult>& runs) {
  const MainFigures f = main_figures(scenario);
  const double W = 760, H = 440, left = 90, right = 90, top = 60, bottom = 70;
  const double pw = W - left - right, ph = H - top - bottom;
  std::vector<double> xs, ys, ps;
  for (const auto& r : runs) {
    double x = 0;
    for (const auto& [k, v] : r.params)
      if (k == sweep_key) x = std::atof(v.c_str());
    xs.push_back(x);
    ys.push_back(r.get(f.throughput));
    ps.push_back(r.get(f.p99));
  }
  if (xs.empty()) return "";
  double xmin = *std::min_element(xs.begin(), xs.end());
  double xmax = *std::max_element(xs.begin(), xs.end());
  const bool logx = xmin > 0 && xmax / xmin >= 20;
  auto xpos = [&](double x) {
    if (xmax == xmin) return left + pw / 2;
    if (logx) return left + pw * (std::log10(x) - std::log10(xmin)) /
                                (std::log10(xmax) - std::log10(xmin));
    return left + pw * (x - xmin) / (xmax - xmin);
  };
  const double ytop = nice_ceiling(*std::max_element(ys.begin(), ys.end()) * 1.05);
  const double ptop = nice_ceiling(*std::max_element(ps.begin(), ps.end()) * 1.05);
  auto ypos = [&](double y) { return top + ph * (1 - y / ytop); };
  auto ppos = [&](double p) { return top + ph * (1 - p / ptop); };

  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
     << "\" viewBox=\"0 0 " << W << " " << H
     << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  os << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  std::string title = "parley-bench " + scenario + ": " + f.throughput_label + " and " +
                      f.p99_label + " against " + sweep_key;
  os << "<text x=\"" << W / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">"
     << xml_escape(title) << "</text>\n";
  std::string sub;
  for (const auto& [k, v] : runs.front().params)
    if (k != sweep_key) sub += k + "=" + v + " ";
  os << "<text x=\"" << W / 2 << "\" y=\"42\" text-anchor=\"middle\" fill=\"#555\">"
     << xml_escape(sub) << "</text>\n";
  // Grid and axes.
  for (int i = 0; i <= 5; ++i) {
    double y = top + ph * i / 5.0;
    os << "<line x1=\"" << left << "\" y1=\"" << y << "\" x2=\"" << left + pw << "\" y2=\"" << y
       << "\" stroke=\"#ddd\"/>\n";
    os << "<text x=\"" << left - 8 << "\" y=\"" << y + 4 << "\" text-anchor=\"end\" fill=\"#1f5fa8\">"
       << short_number(ytop * (5 - i) / 5.0) << "</text>\n";
    os << "<text x=\"" << left + pw + 8 << "\" y=\"" << y + 4 << "\" fill=\"#c0392b\">"
       << short_number(ptop * (5 - i) / 5.0) << "</text>\n";
  }
  os << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
     << "\" fill=\"none\" stroke=\"#333\"/>\n";
  for (double x : xs)
    os << "<text x=\"" << xpos(x) << "\" y=\"" << top + ph + 18
       << "\" text-anchor=\"middle\">" << short_number(x) << "</text>\n";
  os << "<text x=\"" << left + pw / 2 << "\" y=\"" << H - 22 << "\" text-anchor=\"middle\">"
     << xml_escape(sweep_key) << (logx ? " (log scale)" : "") << "</text>\n";
  os << "<text transform=\"translate(22," << top + ph / 2
     << ") rotate(-90)\" text-anchor=\"middle\" fill=\"#1f5fa8\">" << xml_escape(f.throughput_label)
     << "</text>\n";
  os << "<text transform=\"translate(" << W - 18 << "," << top + ph / 2
     << ") rotate(90)\" text-anchor=\"middle\" fill=\"#c0392b\">" << xml_escape(f.p99_label)
     << "</text>\n";
  // The two series.
  auto series = [&](const std::vector<double>& v, auto pos, const char* color) {
    os << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"2\" points=\"";
    for (size_t i = 0; i < v.size(); ++i) os << xpos(xs[i]) << "," << pos(v[i]) << " ";
    os << "\"/>\n";
    for (size_t i = 0; i < v.size(); ++i)
      os << "<circle cx=\"" << xpos(xs[i]) << "\" cy=\"" << pos(v[i]) << "\" r=\"4\" fill=\""
         << (runs[i].valid() ? color : "black") << "\"><title>"
         << short_number(v[i]) << "</title></circle>\n";
  };
  series(ys, ypos, "#1f5fa8");
  series(ps, ppos, "#c0392b");
  for (size_t i = 0; i < runs.size(); ++i)
    if (!runs[i].valid())
      os << "<text x=\"" << xpos(xs[i]) << "\" y=\"" << top + 14
         << "\" text-anchor=\"middle\" fill=\"black\">INVALID</text>\n";
  // Legend.
  os << "<line x1=\"" << left + 10 << "\" y1=\"" << top + 14 << "\" x2=\"" << left + 34
     << "\" y2=\"" << top + 14 << "\" stroke=\"#1f5fa8\" stroke-width=\"2\"/>\n";
  os << "<text x=\"" << left + 40 << "\" y=\"" << top + 18 << "\">"
     << xml_escape(f.throughput_label) << "</text>\n";
  os << "<line x1=\"" << left + 10 << "\" y1=\"" << top + 32 << "\" x2=\"" << left + 34
     << "\" y2=\"" << top + 32 << "\" stroke=\"#c0392b\" stroke-width=\"2\"/>\n";
  os << "<text x=\"" << left + 40 << "\" y=\"" << top + 36 << "\">" << xml_escape(f.p99_label)
     << "</text>\n";
  os << "</svg>\n";
  return os.str();
}

}  // namespace bench
