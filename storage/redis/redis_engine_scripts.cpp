// The Redis engine's scripts: their SHAs, EVALSHA with the NOSCRIPT reload,
// and the pipelined form (redis_engine.hpp).
#include <openssl/evp.h>

#include <string>
#include <string_view>

#include "redis_engine.hpp"
#include "redis_engine_support.hpp"

namespace parley::redis {

// redis_engine_ha.cpp: whether --redis-wait-replicas waits for the script.
bool script_answers_client(ScriptId id);

// Declared in redis_engine.cpp, its one user.
std::string script_sha1(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha1(), nullptr) != 1)
    return {};  // unknown: loaded on first use instead
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

// ---- scripts ---------------------------------------------------------------

asio::awaitable<Result<std::string>> RedisEngine::script_sha(Shard& s, ScriptId id) {
  const Script& sc = script(id);
  const auto slot = static_cast<size_t>(id);
  {
    std::lock_guard lk(sha_mu_);
    if (!shas_[slot].empty()) co_return shas_[slot];
  }
  auto loaded = co_await s.cmd->command(strs("SCRIPT", "LOAD", source_of(id)));
  if (!loaded) co_return std::move(loaded).error();
  if (loaded->is_error())
    co_return unavailable("redis: SCRIPT LOAD " + std::string(sc.name) + ": " + loaded->str());
  std::lock_guard lk(sha_mu_);
  shas_[slot] = loaded->str();
  co_return shas_[slot];
}

asio::awaitable<Result<RedisReply>> RedisEngine::eval(Shard& s, ScriptId id,
                                                      std::vector<std::string> keys,
                                                      std::vector<std::string> args) {
  const Script& sc = script(id);
  const auto slot = static_cast<size_t>(id);
  Shard* to = &s;  // cluster mode: where the redirects led
  for (int attempt = 0; attempt < 3;) {
    auto sha = co_await script_sha(*to, id);
    if (!sha) co_return std::move(sha).error();
    std::vector<std::string> cmd;
    cmd.reserve(3 + keys.size() + args.size());
    cmd.emplace_back("EVALSHA");
    cmd.push_back(*sha);
    cmd.push_back(std::to_string(keys.size()));
    cmd.insert(cmd.end(), keys.begin(), keys.end());
    cmd.insert(cmd.end(), args.begin(), args.end());
    // + WAIT when the client is answered about it and replicas are asked.
    auto r = co_await routed(to, std::move(cmd), script_answers_client(id));
    if (!r) co_return r;
    if (r->error_is("NOSCRIPT")) {
      // This node never saw it, or SCRIPT FLUSH ran: load it there again.
      std::lock_guard lk(sha_mu_);
      if (shas_[slot] == *sha) shas_[slot].clear();
      ++attempt;
      continue;
    }
    if (r->is_error())
      co_return unavailable("redis " + to->address.id() + " " + std::string(sc.name) + ": " +
                            r->str());
    co_return r;
  }
  co_return unavailable("redis: script " + std::string(sc.name) + " would not load");
}

asio::awaitable<Result<std::vector<RedisReply>>> RedisEngine::eval_pipeline(
    Shard& s, ScriptId id, std::vector<ScriptCall> calls) {
  const Script& sc = script(id);
  const auto slot = static_cast<size_t>(id);
  std::vector<RedisReply> out(calls.size());
  std::vector<size_t> todo(calls.size());
  for (size_t i = 0; i < todo.size(); ++i) todo[i] = i;
  for (int attempt = 0; attempt < 3 && !todo.empty(); ++attempt) {
    auto sha = co_await script_sha(s, id);
    if (!sha) co_return std::move(sha).error();
    std::vector<std::vector<std::string>> cmds;
    cmds.reserve(todo.size());
    for (size_t i : todo) {
      const ScriptCall& c = calls[i];
      std::vector<std::string> cmd;
      cmd.reserve(3 + c.keys.size() + c.args.size());
      cmd.emplace_back("EVALSHA");
      cmd.push_back(*sha);
      cmd.push_back(std::to_string(c.keys.size()));
      cmd.insert(cmd.end(), c.keys.begin(), c.keys.end());
      cmd.insert(cmd.end(), c.args.begin(), c.args.end());
      cmds.push_back(std::move(cmd));
    }
    auto replies = co_await s.cmd->pipeline(std::move(cmds));
    std::vector<size_t> again;
    for (size_t j = 0; j < todo.size(); ++j) {
      auto& r = replies[j];
      if (!r) co_return std::move(r).error();
      if (r->error_is("NOSCRIPT")) {
        again.push_back(todo[j]);
        continue;
      }
      if (cluster_ && cluster_retryable(*r)) {
        // Its slot moved or is moving: alone, following the redirect.
        const ScriptCall& c = calls[todo[j]];
        auto one = co_await eval(s, id, c.keys, c.args);
        if (!one) co_return std::move(one).error();
        out[todo[j]] = std::move(*one);
        continue;
      }
      if (r->is_error())
        co_return unavailable("redis " + s.address.id() + " " + std::string(sc.name) + ": " +
                              r->str());
      out[todo[j]] = std::move(*r);
    }
    if (!again.empty()) {
      std::lock_guard lk(sha_mu_);
      if (shas_[slot] == *sha) shas_[slot].clear();
    }
    todo = std::move(again);
  }
  if (!todo.empty())
    co_return unavailable("redis: script " + std::string(sc.name) + " would not load");
  co_return out;
}

}  // namespace parley::redis
