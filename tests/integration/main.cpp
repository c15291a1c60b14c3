// The integration suite's entry point. Each test case starts its own broker
// (build/parley, or $PARLEY_TEST_BINARY) and talks to it over real sockets.
// When a test case fails, the output of the last broker it ran is printed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <signal.h>

#include <cstdio>
#include <mutex>

#include "broker_process.hpp"

namespace {

// Prints the tail of the broker's log after a failed test case.
class BrokerLogOnFailure : public doctest::IReporter {
 public:
  explicit BrokerLogOnFailure(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData& data) override { name_ = data.m_name; }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats& stats) override {
    if (stats.failure_flags == 0 && stats.numAssertsFailedCurrentTest == 0) return;
    std::string out = parley::it::last_broker_output();
    constexpr size_t kTail = 6000;
    if (out.size() > kTail) out = "...\n" + out.substr(out.size() - kTail);
    std::fprintf(stderr, "---- broker output (test case \"%s\") ----\n%s\n---- end ----\n",
                 name_.c_str(), out.c_str());
  }
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}

 private:
  std::string name_;
};

REGISTER_LISTENER("broker-log", 1, BrokerLogOnFailure);

}  // namespace

int main(int argc, char** argv) {
  // A write to a socket the broker closed must fail, not kill the suite.
  signal(SIGPIPE, SIG_IGN);
  doctest::Context context;
  context.applyCommandLine(argc, argv);
  return context.run();
}
