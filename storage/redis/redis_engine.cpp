// The Redis engine: construction, pub/sub dispatch, scripts, and the read
// side (get, read, list). The commits are in redis_engine_commit.cpp.
#include "redis_engine.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <pthread.h>
#include <stdexcept>

#include "engine_common.hpp"
#include "redis_engine_cluster.hpp"
#include "redis_engine_support.hpp"
#include "redis_record_codec.hpp"
#include "tuning.hpp"

namespace parley::redis {

// The SHA1 Redis names `source` by (EVALSHA), in hex; "" if it cannot be
// computed (the script is then loaded on first use). redis_engine_scripts.cpp.
std::string script_sha1(std::string_view source);

namespace {

std::vector<RedisAddress> parse_urls(const RedisEngineOptions& o) {
  if (!o.sentinels.empty()) return {sentinel_shard_address(o)};
  const auto& urls = o.urls;
  if (urls.empty()) throw std::invalid_argument("redis engine: no redis:// URL given");
  std::vector<RedisAddress> out;
  for (const auto& u : urls) {
    auto a = parse_redis_url(u);
    if (!a) throw std::invalid_argument("redis engine: not a redis://HOST[:PORT][/DB] URL: " + u);
    out.push_back(std::move(*a));
  }
  return out;
}

std::vector<std::string> shard_ids(const RedisEngineOptions& o) {
  std::vector<std::string> ids;
  for (const auto& a : parse_urls(o)) ids.push_back(a.id());
  return ids;
}

// A sorted-set score as whole milliseconds.
Millis score_of(const RedisReply& r) {
  if (auto n = r.as_int()) return *n;
  return static_cast<Millis>(std::llround(std::strtod(r.str().c_str(), nullptr)));
}

// `o` with its command connections' latency going to `m`.
RedisEngineOptions with_metrics(RedisEngineOptions o, CommandMetrics* m) {
  if (!o.connection.metrics) o.connection.metrics = m;
  return o;
}

}  // namespace

// Turns pub/sub traffic into EventSink calls, on the subscriber's strand, in
// the order Redis delivered it.
class RedisEngine::Dispatcher : public RedisSubscriber::Listener {
 public:
  explicit Dispatcher(RedisEngine& engine) : engine_(engine) {}

  void on_message(std::string_view channel, std::string_view payload) override {
    EventSink* sink = engine_.sink_.load();
    if (sink && !payload.empty() && tenant_of_change_channel(channel)) {
      if (auto changed = conv_of_channel(payload.substr(1)))
        sink->on_changed(*changed, payload[0] == '1');
      return;
    }
    auto key = conv_of_channel(channel);
    if (!sink || !key) return;
    auto msg = decode_message(payload);
    if (!msg) {
      sink->on_gap(*key);  // unreadable: let the hub read the log instead
      return;
    }
    if (msg->is_signal)
      sink->on_signal(*key, msg->signal);
    else if (!msg->events.empty())
      sink->on_events(*key, msg->epoch, msg->events);
  }

  void on_subscribed(std::string_view channel) override {
    engine_.gate_.open(std::string(channel));
    // Whatever was published before this point (while the link was down, or
    // before a first SUBSCRIBE took effect) did not reach us.
    EventSink* sink = engine_.sink_.load();
    if (auto key = conv_of_channel(channel); sink && key) sink->on_gap(*key);
    if (auto tenant = tenant_of_change_channel(channel); sink && tenant)
      sink->on_tenant_gap(*tenant);
  }

  void on_link_down() override { engine_.gate_.open_all(); }

 private:
  RedisEngine& engine_;
};

RedisSubscriber::Listener* RedisEngine::dispatcher() const { return dispatcher_.get(); }

RedisEngine::RedisEngine(RedisEngineOptions options)
    : options_(with_metrics(std::move(options), &command_metrics_)),
      work_(io_.get_executor()),
      // In cluster mode the ring is not used (the slot table places keys).
      ring_(options_.cluster.empty() ? shard_ids(options_) : std::vector<std::string>{""},
            options_.vnodes),
      gate_(io_.get_executor(), options_.connection.command_timeout),
      dispatcher_(std::make_unique<Dispatcher>(*this)),
      sentinel_(make_sentinel(io_.get_executor(), options_)) {
  if (!options_.cluster.empty()) {
    cluster_start();
    for (size_t i = 0; i < std::max<size_t>(options_.io_threads, 1); ++i)
      threads_.emplace_back([this] { io_.run(); });
    return;
  }
  // Every script's SHA is known from the start and every command connection
  // loads every script before it counts as up: an EVALSHA goes out at once,
  // never behind a SCRIPT LOAD of its own, so the appends one socket issues
  // back to back (pipelined sendMessage) reach Redis in the order issued.
  // Only a SCRIPT FLUSH while connected still takes the NOSCRIPT path.
  std::vector<std::vector<std::string>> preamble;
  for (int i = 0; i < kScriptCount; ++i) {
    const Script& sc = script(static_cast<ScriptId>(i));
    shas_[static_cast<size_t>(i)] = script_sha1(sc.source);
    preamble.push_back(strs("SCRIPT", "LOAD", sc.source));
  }
  for (auto& address : parse_urls(options_)) {
    Shard s;
    s.address = address;
    s.cmd.own = std::make_shared<RedisConnection>(io_.get_executor(), address,
                                                  options_.connection, "parley");
    s.cmd.callers = &options_.callers;
    for (size_t i = 0; i < options_.callers.size(); ++i)
      s.cmd.per_caller.push_back(std::make_shared<RedisConnection>(
          options_.callers[i]->get_executor(), address, options_.connection,
          "parley-io" + std::to_string(i)));
    s.sub = std::make_shared<RedisSubscriber>(io_.get_executor(), address, options_.connection.link,
                                              "parley-sub");
    s.sub->set_listener(dispatcher_.get());
    if (sentinel_) {
      sentinel_->follow(s.cmd.own);
      for (auto& c : s.cmd.per_caller) sentinel_->follow(c);
      sentinel_->follow(s.sub);
    }
    shards_.push_back(std::move(s));
  }
  if (sentinel_) sentinel_->start();
  for (auto& s : shards_) {
    s.cmd.own->set_preamble(preamble);
    s.cmd.own->start();
    for (auto& c : s.cmd.per_caller) {
      c->set_preamble(preamble);
      c->start();
    }
    s.sub->start();
  }
  for (size_t i = 0; i < std::max<size_t>(options_.io_threads, 1); ++i)
    threads_.emplace_back([this] {
#if defined(__linux__)
      pthread_setname_np(pthread_self(), "parley-redis");  // for top -H, perf, schedstat
#endif
      io_.run();
    });
}

RedisEngine::~RedisEngine() {
  // No sink call may start after this returns (set_listener waits out one
  // in progress); closing the links fails whatever is still in flight.
  if (cluster_) cluster_stop();
  for (auto& s : shards_) {
    if (s.sub) {
      s.sub->set_listener(nullptr);
      s.sub->close();
    }
    s.cmd.own->close();
    // A caller's context no longer runs (the broker joined its threads
    // first): close on this thread, failing what is in flight into that
    // stopped context, where it is destroyed without running.
    for (size_t i = 0; i < s.cmd.per_caller.size(); ++i) {
      if (options_.callers[i]->stopped())
        s.cmd.per_caller[i]->close_stopped();
      else
        s.cmd.per_caller[i]->close();
    }
  }
  if (sentinel_) sentinel_->close();
  gate_.open_all();
  work_.reset();
  for (auto& t : threads_) t.join();
}

RedisConnection* RedisEngine::Commands::operator->() const {
  for (size_t i = 0; i < per_caller.size(); ++i)
    if ((*callers)[i]->get_executor().running_in_this_thread()) return per_caller[i].get();
  return own.get();
}

bool RedisEngine::Commands::all_up() const {
  if (!own->up()) return false;
  for (const auto& c : per_caller)
    if (!c->up()) return false;
  return true;
}

bool RedisEngine::ready() const {
  if (cluster_) return cluster_ready();
  for (const auto& s : shards_)
    if (!s.cmd.all_up()) return false;
  return true;
}

bool RedisEngine::wait_until_ready(std::chrono::milliseconds limit) const {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    bool all = true;
    if (cluster_)
      all = cluster_ready() && cluster_->pubsub->up();
    else
      for (const auto& s : shards_) all = all && s.cmd.all_up() && s.sub->up();
    if (all) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

RedisEngine::Shard& RedisEngine::shard_of(const ConvKeys& k) { return shard_of_tag(k.tag); }

RedisEngine::Shard& RedisEngine::shard_of(const TenantKeys& k) { return shard_of_tag(k.tag); }

void RedisEngine::watch(const ConvKey& key) {
  ConvKeys k(key);
  if (cluster_) {
    if (cluster_->pubsub->up()) gate_.close(k.channel);
    cluster_->pubsub->subscribe(k.channel, true);
    return;
  }
  Shard& s = shard_of(k);
  // Hold operations on it until Redis confirms; a link that is down
  // confirms nothing, and its resubscription reports the gap anyway.
  if (s.sub->up()) gate_.close(k.channel);
  s.sub->subscribe(k.channel);
}

void RedisEngine::unwatch(const ConvKey& key) {
  ConvKeys k(key);
  if (cluster_)
    cluster_->pubsub->unsubscribe(k.channel);
  else
    shard_of(k).sub->unsubscribe(k.channel);
  gate_.open(k.channel);
}

// The (un)subscribe calls are made under the lock so that racing watch and
// unwatch calls reach the subscribers in the order of the count.
void RedisEngine::watch_tenant(const std::string& tenant) {
  std::lock_guard lk(tenants_mu_);
  if (watched_tenants_[tenant]++ > 0) return;
  const std::string channel = TenantKeys(tenant).changes;
  if (cluster_) return cluster_->pubsub->subscribe(channel, false);  // a classic channel
  for (auto& s : shards_) s.sub->subscribe(channel);
}

void RedisEngine::unwatch_tenant(const std::string& tenant) {
  std::lock_guard lk(tenants_mu_);
  auto it = watched_tenants_.find(tenant);
  if (it == watched_tenants_.end() || --it->second > 0) return;
  watched_tenants_.erase(it);
  const std::string channel = TenantKeys(tenant).changes;
  if (cluster_) return cluster_->pubsub->unsubscribe(channel);
  for (auto& s : shards_) s.sub->unsubscribe(channel);
}

void RedisEngine::publish_signal(const ConvKey& key, Signal signal) {
  // Like events, signals reach this node's sink through pub/sub.
  ConvKeys k(key);
  shard_of(k).cmd->async_command(strs(publish_verb(), k.channel, signal_message(signal)),
                                 [](Result<RedisReply>) {});
}

// ---- reads -----------------------------------------------------------------

asio::awaitable<Result<RedisEngine::Loaded>> RedisEngine::load(const ConvKey& key,
                                                               uint64_t target_seq) {
  ConvKeys k(key);
  if (gate_.any_closed()) co_await gate_.wait(k.channel);
  auto r = co_await eval(shard_of(k), ScriptId::load, strs(k.meta, k.members, k.log, k.ovr),
                         strs(std::to_string(target_seq)));
  if (!r) co_return std::move(r).error();
  if (r->is_nil()) co_return not_found("no such conversation");
  if (!r->is_array() || r->size() != 3) co_return unavailable("redis: malformed record reply");
  Loaded out;
  if (!decode_record((*r)[0], (*r)[1], out.record, &out.creq)) {
    std::string why = "redis: unreadable record of " + key.id;
    if (older_layout((*r)[0])) why = "redis: " + std::string(kOlderLayout);
    co_return unavailable(why);
  }
  out.record.tenant = key.tenant;
  out.record.id = key.id;
  if (target_seq > 0 && !(*r)[2].is_nil()) out.target = decode_event((*r)[2].str());
  co_return out;
}

asio::awaitable<Result<Conversation>> RedisEngine::get(ConvKey key) {
  auto loaded = co_await load(key, 0);
  if (!loaded) co_return std::move(loaded).error();
  co_return std::move(loaded->record);
}

asio::awaitable<Result<Conversation>> RedisEngine::get_by_external_id(std::string tenant,
                                                                      std::string external_id) {
  if (external_id.empty()) co_return not_found("no such conversation");
  TenantKeys t(tenant);
  auto r = co_await routed(shard_of(t), strs("HGET", t.ext, external_id));
  if (!r) co_return std::move(r).error();
  if (r->is_error()) co_return unavailable("redis: " + r->str());
  if (r->is_nil()) co_return not_found("no such conversation");
  ConvKey found{tenant, r->str()};  // not a temporary inside co_await (GCC 12)
  auto c = co_await get(found);
  if (!c) co_return c;
  // Renamed or erased between the index and the record.
  if (index_value(c->external_id) != external_id) co_return not_found("no such conversation");
  co_return c;
}

asio::awaitable<Result<LogPage>> RedisEngine::read(ConvKey key, ReadRequest req) {
  ConvKeys k(key);
  if (gate_.any_closed()) co_await gate_.wait(k.channel);
  Shard& s = shard_of(k);
  LogPage page;
  uint64_t from = req.from_seq, to = req.to_seq;
  bool first = true;
  for (;;) {
    // Each call scans a bounded number of events and says where to resume.
    std::vector<std::string> args =
        strs(std::to_string(from), std::to_string(to), req.descending ? "1" : "0",
             std::to_string(req.limit - page.events.size()), std::to_string(req.since),
             std::to_string(req.until), req.audience == Audience::consumers ? "1" : "0",
             std::to_string(options_.read_budget));
    args.insert(args.end(), req.types.begin(), req.types.end());
    auto r = co_await eval(s, ScriptId::read, strs(k.meta, k.log, k.ovr), std::move(args));
    if (!r) co_return std::move(r).error();
    if (r->is_nil()) co_return not_found("no such conversation");
    if (!r->is_array() || r->size() != 5) co_return unavailable("redis: malformed read reply");
    const auto last = (*r)[1].as_int(), more = (*r)[2].as_int(), resume = (*r)[3].as_int();
    if (!last || !more || !resume) co_return unavailable("redis: malformed read reply");
    if (first) {
      page.epoch = (*r)[0].str();
      page.last_seq = static_cast<uint64_t>(*last);
      first = false;
    }
    for (const auto& enc : (*r)[4].elements()) {
      auto e = decode_event(enc.str());
      if (!e) co_return unavailable("redis: unreadable event in " + key.id);
      page.events.push_back(std::make_shared<const Event>(std::move(*e)));
    }
    if (*more) page.has_more = true;
    if (*more || *resume == 0) co_return page;
    (req.descending ? to : from) = static_cast<uint64_t>(*resume);
  }
}

asio::awaitable<Result<std::vector<std::optional<Conversation>>>> RedisEngine::load_many(
    const std::vector<ConvKey>& keys) {
  std::vector<std::optional<Conversation>> out(keys.size());
  // One pipeline per shard: a page of records costs a round trip per shard.
  std::map<size_t, std::vector<size_t>> by_shard;
  for (size_t i = 0; i < keys.size(); ++i)
    by_shard[shard_index(ConvKeys(keys[i]).tag)].push_back(i);
  for (auto& [shard, idx] : by_shard) {
    Shard& s = shards_[shard];
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::string sha;
      {
        std::lock_guard lk(sha_mu_);
        sha = shas_[static_cast<size_t>(ScriptId::load)];
      }
      if (sha.empty() || attempt > 0) {
        // Loads it (or learns it is gone) through the ordinary path.
        auto probe = co_await load(keys[idx.front()], 0);
        if (!probe && probe.error().code != code::not_found) co_return std::move(probe).error();
        std::lock_guard lk(sha_mu_);
        sha = shas_[static_cast<size_t>(ScriptId::load)];
      }
      std::vector<std::vector<std::string>> cmds;
      for (size_t i : idx) {
        ConvKeys k(keys[i]);
        cmds.push_back(strs("EVALSHA", sha, "4", k.meta, k.members, k.log, k.ovr, "0"));
      }
      auto replies = co_await s.cmd->pipeline(std::move(cmds));
      bool reload = false;
      for (size_t j = 0; j < idx.size(); ++j) {
        auto& r = replies[j];
        if (!r) co_return std::move(r).error();
        if (r->error_is("NOSCRIPT")) {
          reload = true;
          break;
        }
        if (cluster_ && cluster_retryable(*r)) {
          // Its slot moved or is moving: alone, following the redirect.
          auto one = co_await load(keys[idx[j]], 0);
          if (one) out[idx[j]] = std::move(one->record);
          else if (one.error().code != code::not_found) co_return std::move(one).error();
          continue;
        }
        if (r->is_error()) co_return unavailable("redis: " + r->str());
        if (r->is_nil() || r->size() != 3) continue;  // erased since it was listed
        Conversation c;
        if (!decode_record((*r)[0], (*r)[1], c)) continue;
        c.tenant = keys[idx[j]].tenant;
        c.id = keys[idx[j]].id;
        out[idx[j]] = std::move(c);
      }
      if (!reload) break;
      std::lock_guard lk(sha_mu_);
      shas_[static_cast<size_t>(ScriptId::load)].clear();
    }
  }
  co_return out;
}

asio::awaitable<Result<ListPage>> RedisEngine::list(std::string tenant, ListRequest req) {
  TenantKeys t(tenant);
  Shard& ts = shard_of(t);
  ListPage page;
  ListPager pager(req, page);
  // Where the next index query starts: a score (inclusive) and how many
  // entries at exactly that score were already passed, so runs of equal
  // scores longer than a batch still make progress.
  std::optional<Millis> score;
  size_t same = 0;
  if (req.after) score = req.after->first;
  for (;;) {
    const std::string start = score ? std::to_string(*score) : (req.descending ? "+inf" : "-inf");
    std::vector<std::string> cmd =
        strs("ZRANGE", t.updated, start, req.descending ? "-inf" : "+inf", "BYSCORE");
    if (req.descending) cmd.emplace_back("REV");
    for (auto& a : strs("LIMIT", std::to_string(same), std::to_string(kRedisListBatch), "WITHSCORES"))
      cmd.push_back(std::move(a));
    auto r = co_await routed(ts, std::move(cmd));
    if (!r) co_return std::move(r).error();
    if (r->is_error()) co_return unavailable("redis: " + r->str());
    const auto& e = r->elements();
    std::vector<ConvKey> keys;
    std::vector<Millis> scores;
    for (size_t i = 0; i + 1 < e.size(); i += 2) {
      const Millis sc = score_of(e[i + 1]);
      if (score && sc == *score) {
        ++same;
      } else {
        score = sc;
        same = 1;
      }
      // Keyset cursor: strictly after (updated_at, id) in the listing order.
      if (req.after && sc == req.after->first &&
          (req.descending ? e[i].str() >= req.after->second : e[i].str() <= req.after->second))
        continue;
      keys.push_back(ConvKey{tenant, e[i].str()});
      scores.push_back(sc);
    }
    auto records = co_await load_many(keys);
    if (!records) co_return std::move(records).error();
    for (size_t i = 0; i < keys.size(); ++i) {
      auto& c = (*records)[i];
      if (!c) continue;  // erased, or a stale index entry
      if (c->updated_at > scores[i]) {
        // The index lags the record (its update on another shard failed):
        // repair it; the conversation is listed at its real place.
        asio::co_spawn(io_, index_updated(tenant, c->id, c->updated_at), asio::detached);
        continue;
      }
      const auto verdict = pager.judge(*c);
      if (verdict == ListPager::Verdict::done) co_return page;
      if (verdict == ListPager::Verdict::take) page.data.push_back(std::move(*c));
    }
    if (e.size() < 2 * kRedisListBatch) co_return page;
  }
}

asio::awaitable<void> RedisEngine::index_updated(std::string tenant, std::string id,
                                                 Millis updated_at) {
  TenantKeys t(tenant);
  co_await routed(shard_of(t), strs("ZADD", t.updated, "GT", std::to_string(updated_at), id));
}

}  // namespace parley::redis
