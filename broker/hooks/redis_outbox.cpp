#include "hooks/redis_outbox.hpp"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <charconv>

namespace parley::hooks {

namespace {

constexpr const char* kStream = "pl:hooks:outbox";
constexpr const char* kGroup = "hooks";
constexpr const char* kLease = "pl:hooks:lease";
constexpr const char* kDead = "pl:hooks:dead";

// Renews the lease only while this node still holds it.
constexpr const char* kRenew =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
// A dead letter back into the outbox, atomically.
constexpr const char* kReplay =
    "if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end "
    "redis.call('XADD', KEYS[2], '*', 't', ARGV[2], 'c', ARGV[3], 's', ARGV[4], 'w', ARGV[5]) "
    "return 1";

struct ReplyFree {
  void operator()(redisReply* r) const {
    if (r) freeReplyObject(r);
  }
};

std::string str(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
               r->type == REDIS_REPLY_ERROR)
             ? std::string(r->str, r->len)
             : std::string();
}

// Stream entries [[id, [field, value, ...]], ...] into outbox entries.
void entries(const redisReply* list, std::vector<OutboxEntry>& out) {
  if (!list || list->type != REDIS_REPLY_ARRAY) return;
  for (size_t i = 0; i < list->elements; ++i) {
    const redisReply* e = list->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[1]->type != REDIS_REPLY_ARRAY)
      continue;  // an entry deleted meanwhile
    OutboxEntry entry;
    entry.id = str(e->element[0]);
    const redisReply* fields = e->element[1];
    for (size_t f = 0; f + 1 < fields->elements; f += 2) {
      std::string k = str(fields->element[f]), v = str(fields->element[f + 1]);
      if (k == "t") entry.key.tenant = v;
      else if (k == "c") entry.key.id = v;
      else if (k == "w") entry.webhook = v;
      else if (k == "s") std::from_chars(v.data(), v.data() + v.size(), entry.seq);
    }
    out.push_back(std::move(entry));
  }
}

}  // namespace

struct RedisOutbox::Reply {
  std::unique_ptr<redisReply, ReplyFree> r;
  bool ok() const { return r && r->type != REDIS_REPLY_ERROR; }
  const redisReply* operator->() const { return r.get(); }
};

RedisOutbox::RedisOutbox(redis::RedisAddress address, std::string consumer,
                         std::chrono::milliseconds lease)
    : address_(std::move(address)), consumer_(std::move(consumer)), lease_(lease) {}

RedisOutbox::~RedisOutbox() { drop(); }

void RedisOutbox::drop() {
  if (c_) redisFree(c_);
  c_ = nullptr;
  held_ = false;
}

bool RedisOutbox::connect() {
  if (c_) return true;
  auto now = std::chrono::steady_clock::now();
  if (now < retry_at_) return false;
  retry_at_ = now + std::chrono::seconds(1);
  timeval tv{1, 0};
  c_ = redisConnectWithTimeout(address_.host.c_str(), address_.port, tv);
  if (!c_ || c_->err) {
    drop();
    return false;
  }
  redisSetTimeout(c_, tv);
  if ((!address_.password.empty() && !command({"AUTH", address_.password}).ok()) ||
      (address_.db != 0 && !command({"SELECT", std::to_string(address_.db)}).ok())) {
    drop();
    return false;
  }
  // The group reads the stream from its start: entries the scripts added
  // before any node created it are delivered too.
  auto g = command({"XGROUP", "CREATE", kStream, kGroup, "0", "MKSTREAM"});
  if (!c_) return false;
  if (!g.ok() && str(g.r.get()).find("BUSYGROUP") == std::string::npos) {
    spdlog::warn("webhooks outbox {}: XGROUP CREATE: {}", name(), str(g.r.get()));
    drop();
    return false;
  }
  return true;
}

RedisOutbox::Reply RedisOutbox::command(const std::vector<std::string>& args) {
  Reply reply;
  if (!c_) return reply;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  reply.r.reset(static_cast<redisReply*>(
      redisCommandArgv(c_, static_cast<int>(args.size()), argv.data(), lens.data())));
  if (!reply.r) {
    spdlog::warn("webhooks outbox {}: {}", name(), c_->errstr);
    drop();
  }
  return reply;
}

bool RedisOutbox::hold() {
  if (!connect()) return false;
  auto now = std::chrono::steady_clock::now();
  if (held_ && now < renew_at_) return true;
  const std::string ms = std::to_string(lease_.count());
  if (held_) {
    auto r = command({"EVAL", kRenew, "1", kLease, consumer_, ms});
    held_ = r.ok() && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    if (!held_) spdlog::warn("webhooks outbox {}: lease lost", name());
  } else {
    auto r = command({"SET", kLease, consumer_, "NX", "PX", ms});
    held_ = r.ok() && r->type == REDIS_REPLY_STATUS;
    if (held_) {
      spdlog::info("webhooks outbox {}: this node delivers", name());
      claiming_ = true;
      claim_cursor_ = "0-0";
    }
  }
  if (held_) renew_at_ = now + lease_ / 3;
  return held_;
}

std::vector<OutboxEntry> RedisOutbox::take(size_t max) {
  std::vector<OutboxEntry> out;
  if (!c_ || !held_) return out;
  const std::string count = std::to_string(max);
  if (claiming_) {
    // Every pending entry, whoever took it: the previous holder's first.
    auto r = command({"XAUTOCLAIM", kStream, kGroup, consumer_, "0", claim_cursor_, "COUNT", count});
    if (!r.ok() || r->type != REDIS_REPLY_ARRAY || r->elements < 2) return out;
    claim_cursor_ = str(r->element[0]);
    entries(r->element[1], out);
    if (claim_cursor_ == "0-0") claiming_ = false;
    return out;
  }
  auto r = command({"XREADGROUP", "GROUP", kGroup, consumer_, "COUNT", count, "STREAMS", kStream,
                    ">"});
  if (!r.ok() || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i)
    if (r->element[i]->type == REDIS_REPLY_ARRAY && r->element[i]->elements == 2)
      entries(r->element[i]->element[1], out);
  return out;
}

void RedisOutbox::ack(const OutboxEntry& entry) {
  command({"XACK", kStream, kGroup, entry.id});
  command({"XDEL", kStream, entry.id});
}

bool RedisOutbox::dead_letter(const DeadLetter& letter) {
  if (!connect()) return false;
  return command({"HSET", kDead, letter.id, letter.to_json()}).ok();
}

std::vector<DeadLetter> RedisOutbox::dead_letters() {
  std::vector<DeadLetter> out;
  if (!connect()) return out;
  auto r = command({"HVALS", kDead});
  if (!r.ok() || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i)
    if (auto d = DeadLetter::from_json(str(r->element[i]))) out.push_back(std::move(*d));
  return out;
}

bool RedisOutbox::replay(const std::string& id) {
  if (!connect()) return false;
  auto v = command({"HGET", kDead, id});
  if (!v.ok() || v->type != REDIS_REPLY_STRING) return false;
  auto d = DeadLetter::from_json(str(v.r.get()));
  if (!d) return false;
  auto r = command({"EVAL", kReplay, "2", kDead, kStream, id, d->tenant, d->conversation_id,
                    std::to_string(d->seq), d->webhook});
  return r.ok() && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
}

}  // namespace parley::hooks
