#include "observe/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

#include "json_writer.hpp"

namespace parley::observe {

namespace {

thread_local const LogFields* t_current = nullptr;

// `s` with every byte that is not part of a well-formed UTF-8 sequence
// replaced by '?': a log line stays valid JSON whatever a message quotes.
std::string_view valid_utf8(std::string_view s, std::string& scratch) {
  auto seq_len = [](std::string_view t, size_t i) -> size_t {
    const auto c = static_cast<unsigned char>(t[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > t.size()) return 0;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(t[i + k]) & 0xC0) != 0x80) return 0;
    return n;
  };
  size_t i = 0;
  while (i < s.size() && seq_len(s, i) != 0) i += seq_len(s, i);
  if (i == s.size()) return s;
  scratch.assign(s.data(), i);
  while (i < s.size()) {
    const size_t n = seq_len(s, i);
    if (n == 0) {
      scratch.push_back('?');
      ++i;
    } else {
      scratch.append(s.data() + i, n);
      i += n;
    }
  }
  return scratch;
}

void append_json(std::string& out, std::string_view s) {
  std::string scratch;
  append_json_string(out, valid_utf8(s, scratch));
}

// The ` key=value` tail of a text line (a value with a space or a quote
// is quoted as a JSON string).
class FieldsFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string tail;
    LogFields::for_each([&](std::string_view k, std::string_view v) {
      tail.append(" ").append(k).append("=");
      if (v.empty() || v.find_first_of(" \"=\\") != std::string_view::npos ||
          v.find_first_of("\r\n\t") != std::string_view::npos)
        append_json(tail, v);
      else
        tail.append(v);
    });
    dest.append(tail.data(), tail.data() + tail.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<FieldsFlag>();
  }
};

class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string node) : node_(std::move(node)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since = msg.time.time_since_epoch();
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since - secs);
    const std::time_t t = secs.count();
    std::tm tm{};
    gmtime_r(&t, &tm);
    char ts[40];
    const size_t n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(ts + n, sizeof ts - n, ".%06lldZ", static_cast<long long>(micros.count()));

    std::string line = "{\"ts\":";
    append_json(line, ts);
    line.append(",\"level\":");
    const auto level = spdlog::level::to_string_view(msg.level);
    append_json(line, std::string_view(level.data(), level.size()));
    line.append(",\"msg\":");
    append_json(line, std::string_view(msg.payload.data(), msg.payload.size()));
    line.append(",\"node\":");
    append_json(line, node_);
    LogFields::for_each([&](std::string_view k, std::string_view v) {
      line.push_back(',');
      append_json(line, k);
      line.push_back(':');
      append_json(line, v);
    });
    line.append("}\n");
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(node_);
  }

 private:
  std::string node_;
};

bool request_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':';
}

}  // namespace

void set_log_format(LogFormat format, std::string node) {
  if (format == LogFormat::json) {
    spdlog::set_formatter(std::make_unique<JsonFormatter>(std::move(node)));
    return;
  }
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<FieldsFlag>('*').set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v%*");
  spdlog::set_formatter(std::move(f));
}

LogFields::LogFields(std::initializer_list<LogField> fields) noexcept : outer_(t_current) {
  for (const auto& f : fields)
    if (n_ < kMax) fields_[n_++] = f;
  t_current = this;
}

LogFields::~LogFields() { t_current = outer_; }

const LogFields* LogFields::current() noexcept { return t_current; }

std::string request_id_from_header(std::string_view given) {
  std::string id;
  for (char c : given) {
    if (id.size() == 64) break;
    if (request_id_char(c)) id.push_back(c);
  }
  return id.empty() ? new_request_id() : id;
}

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  uint64_t v = rng();
  std::string id(16, '0');
  for (size_t i = 0; i < 16; ++i, v >>= 4) id[15 - i] = hex[v & 0xF];
  return id;
}

}  // namespace parley::observe
