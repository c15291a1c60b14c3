#include "delivery_check.hpp"

namespace bench {

void report_tail(RunResult& r, uint64_t missing, uint64_t unanswered, const TailWords& words) {
  if (missing) {
    r.check.gaps += missing;
    r.note(std::to_string(missing) + " " + words.messages + " never reached their subscribers");
  }
  if (unanswered) {
    r.check.failures += unanswered;
    r.note(std::to_string(unanswered) + " " + words.unanswered);
  }
}

}  // namespace bench
