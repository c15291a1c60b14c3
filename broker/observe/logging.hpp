// The log's format (--log-format text|json) and the fields a line carries
// beside its message: a request's id, its method, its transport.
//
// text: the classic spdlog line, then the fields as ` key=value`.
// json: one JSON object a line: {"ts","level","msg","node", then the
// fields} (docs/operations.md, "Logs").
//
// Fields are attached with a LogFields scope around the log call: they
// are kept per thread, so a scope must never span a co_await.
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

namespace parley::observe {

enum class LogFormat { text, json };

// Installs the format on spdlog's default logger; `node` is the node id
// every JSON line carries.
void set_log_format(LogFormat format, std::string node);

struct LogField {
  std::string_view key;
  std::string_view value;
};

// While alive, the lines this thread logs carry these fields (after those
// of any enclosing scope). The views must outlive the scope.
class LogFields {
 public:
  static constexpr size_t kMax = 6;
  LogFields(std::initializer_list<LogField> fields) noexcept;
  ~LogFields();
  LogFields(const LogFields&) = delete;
  LogFields& operator=(const LogFields&) = delete;

  // Calls f(key, value) for every field in force on this thread, outermost first.
  template <class F>
  static void for_each(F&& f) {
    visit(current(), f);
  }

 private:
  static const LogFields* current() noexcept;
  template <class F>
  static void visit(const LogFields* s, F& f) {
    if (!s) return;
    visit(s->outer_, f);
    for (size_t i = 0; i < s->n_; ++i) f(s->fields_[i].key, s->fields_[i].value);
  }

  std::array<LogField, kMax> fields_{};
  size_t n_ = 0;
  const LogFields* outer_;
};

// An HTTP request's id: the client's X-Request-Id kept to its letters,
// digits and `-_.:`, at most 64 of them; a new one when nothing is left.
std::string request_id_from_header(std::string_view given);
// A new request id (16 hex digits, random).
std::string new_request_id();

}  // namespace parley::observe
