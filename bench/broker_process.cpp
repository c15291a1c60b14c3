#include "broker_process.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace bench {

namespace {

constexpr size_t kOutputKept = 16 * 1024;

// "listening on ws://127.0.0.1:40123/ws" -> 40123.
uint16_t find_port(const std::string& out) {
  auto at = out.find("listening on ws://");
  if (at == std::string::npos) return 0;
  auto path = out.find("/ws", at + 18);
  if (path == std::string::npos) return 0;
  auto colon = out.rfind(':', path);
  if (colon == std::string::npos || colon < at) return 0;
  return static_cast<uint16_t>(std::stoul(out.substr(colon + 1, path - colon - 1)));
}

}  // namespace

SpawnedBroker::SpawnedBroker(const std::string& path, const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
  std::vector<std::string> all = {path};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
  if (pid_ == 0) {
    // A tool that dies (a time limit, a crash) takes its broker with it.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(fds[1]);
  out_fd_ = fds[0];
  reader_ = std::thread([this] { pump(); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (port_.load() == 0) {
    if (!alive() || std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("the broker did not start:\n" + output_tail());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

SpawnedBroker::~SpawnedBroker() {
  if (alive()) {
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (alive() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (alive()) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      exited_ = true;
    }
  }
  if (reader_.joinable()) reader_.join();
  if (out_fd_ >= 0) ::close(out_fd_);
}

bool SpawnedBroker::alive() {
  if (exited_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) exited_ = true;
  return !exited_;
}

void SpawnedBroker::pump() {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n <= 0) return;
    std::lock_guard lk(mu_);
    output_.append(buf, static_cast<size_t>(n));
    if (port_.load() == 0) port_.store(find_port(output_));
    if (output_.size() > 2 * kOutputKept) output_.erase(0, output_.size() - kOutputKept);
  }
}

std::string SpawnedBroker::output_tail() const {
  std::lock_guard lk(mu_);
  return output_.size() > kOutputKept ? output_.substr(output_.size() - kOutputKept) : output_;
}

uint64_t rss_bytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  // Fields after the command name (which may hold spaces): utime is the
  // 14th field, stime the 15th.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i >= 14) ticks += std::stod(field);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double run_delay_seconds(pid_t pid) {
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  double total = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream in(task.path() / "schedstat");
    double on_cpu = 0, waiting = 0;
    if (in >> on_cpu >> waiting) total += waiting / 1e9;
  }
  return total;
}

namespace {

// `pid` and the processes whose parent it is.
std::vector<pid_t> process_tree(pid_t pid) {
  std::vector<pid_t> out{pid};
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string state;
    long ppid = 0;
    if (rest >> state >> ppid && ppid == pid) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

}  // namespace

double tree_cpu_seconds(pid_t pid) {
  double total = 0;
  for (pid_t p : process_tree(pid)) total += cpu_seconds(p);
  return total;
}

uint64_t tree_rss_bytes(pid_t pid) {
  uint64_t total = 0;
  for (pid_t p : process_tree(pid)) total += rss_bytes(p);
  return total;
}

double tree_run_delay_seconds(pid_t pid) {
  double total = 0;
  for (pid_t p : process_tree(pid)) total += run_delay_seconds(p);
  return total;
}

uint64_t raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

}  // namespace bench
