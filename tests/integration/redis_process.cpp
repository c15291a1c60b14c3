#include "redis_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

namespace parley::it {

namespace {

std::string find_redis_server() {
  if (const char* env = std::getenv("PARLEY_REDIS_SERVER"); env && *env) return env;
  if (const char* path = std::getenv("PATH")) {
    std::string p = path;
    size_t start = 0;
    while (start <= p.size()) {
      size_t end = p.find(':', start);
      if (end == std::string::npos) end = p.size();
      std::string candidate = p.substr(start, end - start) + "/redis-server";
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
      start = end + 1;
    }
  }
  throw std::runtime_error(
      "redis-server not found: the Redis integration tests need it "
      "(apt-get install redis-server, or set PARLEY_REDIS_SERVER)");
}

// A loopback port nobody uses right now: bind port 0, read it, let it go.
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("no free loopback port");
  }
  close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

RedisProcess::RedisProcess(Options options)
    : options_(options), binary_(find_redis_server()), port_(free_port()) {
  char tmpl[] = "/tmp/parley-it-redis-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  start();
}

RedisProcess::~RedisProcess() {
  signal_and_reap(SIGKILL);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void RedisProcess::start() {
  if (pid_ > 0) return;
  const std::string log = dir_ + "/redis.log";
  std::vector<std::string> args = {binary_,
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--dir",
                                   dir_,
                                   "--logfile",
                                   log,
                                   "--daemonize",
                                   "no",
                                   "--appendonly",
                                   options_.aof ? "yes" : "no"};
  if (options_.aof) {
    args.push_back("--appendfsync");
    args.push_back("always");
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the tests
    if (getppid() != parent) _exit(127);
    close_range(3, ~0U, 0);
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  const bool up = wait_until([&] {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis-server exited at start; see " + log);
    }
    return ping();
  });
  if (!up) throw std::runtime_error("redis-server did not answer PING within 10 s; see " + log);
}

void RedisProcess::kill_hard() { signal_and_reap(SIGKILL); }

void RedisProcess::stop() { signal_and_reap(SIGTERM); }

void RedisProcess::signal_and_reap(int signal) {
  if (pid_ <= 0) return;
  kill(pid_, signal);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

bool RedisProcess::ping() const {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  timeval tv{0, 300000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port_));
  bool ok = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    constexpr char ping_cmd[] = "PING\r\n";
    if (send(fd, ping_cmd, sizeof ping_cmd - 1, MSG_NOSIGNAL) == sizeof ping_cmd - 1) {
      // A loading Redis answers "-LOADING ...": not ready yet.
      char buf[16] = {};
      ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
      ok = n >= 5 && std::string_view(buf, 5) == "+PONG";
    }
  }
  close(fd);
  return ok;
}

}  // namespace parley::it
