#include "broker_process.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace parley::it {

namespace {

std::mutex g_last_mutex;
std::string g_last_output;

// Finds the port in "listening on ws://HOST:PORT/ws"; 0 when not there yet.
uint16_t parse_port(const std::string& out) {
  auto at = out.find("listening on ws");
  if (at == std::string::npos) return 0;
  auto scheme = out.find("://", at);
  if (scheme == std::string::npos) return 0;
  auto path = out.find('/', scheme + 3);
  auto eol = out.find('\n', scheme);
  if (path == std::string::npos || (eol != std::string::npos && eol < path)) return 0;
  auto colon = out.rfind(':', path);
  if (colon == std::string::npos || colon < scheme + 3) return 0;
  unsigned long port = 0;
  for (size_t i = colon + 1; i < path; ++i) {
    if (out[i] < '0' || out[i] > '9') return 0;
    port = port * 10 + static_cast<unsigned long>(out[i] - '0');
    if (port > 65535) return 0;
  }
  return static_cast<uint16_t>(port);
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  return "wait status " + std::to_string(status);
}

}  // namespace

std::string broker_binary() {
  if (const char* env = std::getenv("PARLEY_TEST_BINARY"); env && *env) return env;
  return PARLEY_BINARY;
}

std::string last_broker_output() {
  std::lock_guard lock(g_last_mutex);
  return g_last_output;
}

BrokerProcess::BrokerProcess(std::vector<std::string> extra_args,
                             std::chrono::milliseconds start_timeout) {
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> args = {broker_binary(), "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The broker reads PARLEY_* settings from its environment: give it none
  // of ours (PARLEY_TEST_BINARY, a developer's exports), only the flags.
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "PARLEY_", 7) != 0) envp.push_back(*e);
  }
  envp.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    // Die with the test runner, whatever happens to it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    // No test socket or other broker's pipe may leak into this broker.
    close_range(3, ~0U, 0);
    execve(argv[0], argv.data(), envp.data());
    const char msg[] = "integration harness: execve of the broker failed\n";
    [[maybe_unused]] auto n = write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(127);
  }
  close(fds[1]);
  out_fd_ = fds[0];
  drainer_ = std::thread([this] { drain(); });

  std::unique_lock lock(mutex_);
  bool found = cv_.wait_for(lock, start_timeout, [this] {
    port_ = parse_port(output_);
    return port_ != 0 || eof_;
  });
  if (port_ == 0) {
    std::string out = output_;
    lock.unlock();
    std::string why = found ? "exited before listening" : "no start line within the time-out";
    stop(std::chrono::milliseconds(500));
    throw std::runtime_error("broker " + args[0] + " " + why + "; its output:\n" + out);
  }
}

BrokerProcess::~BrokerProcess() {
  std::string problem = stop();
  if (doctest::is_running_in_test) {
    CHECK_MESSAGE(problem.empty(), "broker ended abnormally: " << problem);
  }
}

void BrokerProcess::drain() {
  char buf[4096];
  for (;;) {
    ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard lock(mutex_);
    if (n <= 0) {
      eof_ = true;
      cv_.notify_all();
      return;
    }
    output_.append(buf, static_cast<size_t>(n));
    cv_.notify_all();
  }
}

std::string BrokerProcess::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

std::optional<int> BrokerProcess::try_reap() {
  if (status_) return status_;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) status_ = status;
  return status_;
}

bool BrokerProcess::running() { return pid_ > 0 && !try_reap(); }

std::optional<int> BrokerProcess::signal_and_wait(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  if (!try_reap()) {
    signalled_ = true;
    kill(pid_, signal);
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!try_reap() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

std::string BrokerProcess::crash() {
  if (pid_ <= 0) return "";
  if (!signal_and_wait(SIGKILL, std::chrono::seconds(5))) {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = status;
  }
  // Reaped: stop() finds it killed by our signal and only reads its output.
  std::string problem = stop();
  const std::string killed = describe_status(*status_) + "; ";
  if (problem.starts_with(killed)) problem.erase(0, killed.size());
  return problem;
}

std::string BrokerProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return "";
  std::string problem;
  // A broker that died before we asked is a crash, whatever its status.
  bool died_early = !signalled_ && try_reap().has_value();
  if (!signal_and_wait(SIGTERM, grace)) {
    problem = "did not exit within " + std::to_string(grace.count()) + " ms of SIGTERM; ";
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = status;
  } else {
    int s = *status_;
    bool clean = (WIFEXITED(s) && WEXITSTATUS(s) == 0) ||
                 (signalled_ && WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM);
    if (died_early) problem = "died during the test: ";
    if (!clean || died_early) problem += describe_status(s) + "; ";
  }
  if (drainer_.joinable()) drainer_.join();
  close(out_fd_);
  out_fd_ = -1;
  pid_ = -1;
  std::string out = output();
  for (const char* marker : {"AddressSanitizer", "LeakSanitizer", "runtime error:"}) {
    if (out.find(marker) != std::string::npos)
      problem += std::string("output has '") + marker + "'; ";
  }
  {
    std::lock_guard lock(g_last_mutex);
    g_last_output = out;
  }
  return problem;
}

}  // namespace parley::it
