#include "redis_server.hpp"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
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
#include <vector>

#include "wait.hpp"

namespace parley::testing {

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
      "redis-server not found: the Redis tests need it "
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

int free_loopback_port() { return free_port(); }

RedisServer& RedisServer::shared() {
  static RedisServer server;
  return server;
}

RedisServer::RedisServer(Options options)
    : options_(options), binary_(find_redis_server()), port_(free_port()) {
  char tmpl[] = "/tmp/parley-redis-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  start();
}

RedisServer::~RedisServer() {
  signal_and_reap(SIGKILL);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void RedisServer::start() {
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
  args.insert(args.end(), options_.extra.begin(), options_.extra.end());
  if (options_.aof) {
    args.push_back("--appendfsync");
    args.push_back("always");
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
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

void RedisServer::kill_hard() { signal_and_reap(SIGKILL); }

void RedisServer::stop() { signal_and_reap(SIGTERM); }

void RedisServer::signal_and_reap(int signal) {
  if (pid_ <= 0) return;
  kill(pid_, signal);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

bool RedisServer::ping() const { return command({"PING"}) == "PONG"; }

std::string RedisServer::command(std::initializer_list<std::string> args) const {
  timeval tv{0, 200000};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
  if (!c || c->err) {
    if (c) redisFree(c);
    return "";
  }
  redisSetTimeout(c, timeval{2, 0});
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  std::string out;
  if (r) {
    switch (r->type) {
      case REDIS_REPLY_STRING:
      case REDIS_REPLY_STATUS:
      case REDIS_REPLY_ERROR: out.assign(r->str, r->len); break;
      case REDIS_REPLY_INTEGER: out = std::to_string(r->integer); break;
      case REDIS_REPLY_NIL: out = "(nil)"; break;
      case REDIS_REPLY_ARRAY: out = "(array " + std::to_string(r->elements) + ")"; break;
    }
    freeReplyObject(r);
  }
  redisFree(c);
  return out;
}

}  // namespace parley::testing
