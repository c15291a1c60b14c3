#include "sentinel.hpp"

#include <charconv>

namespace parley::redis {

namespace {

constexpr std::string_view kSwitchChannel = "+switch-master";

std::optional<int> port_of(std::string_view s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v < 1 || v > 65535)
    return std::nullopt;
  return v;
}

bool same_server(const RedisAddress& a, const RedisAddress& b) {
  return a.host == b.host && a.port == b.port;
}

}  // namespace

std::optional<RedisAddress> parse_sentinel_address(std::string_view host_port) {
  if (host_port.find_first_of("/@") != std::string_view::npos) return std::nullopt;
  auto a = parse_redis_url("redis://" + std::string(host_port));
  if (!a) return std::nullopt;
  // The port is required: a sentinel's default (26379) is not Redis's.
  const bool bracketed = !host_port.empty() && host_port.front() == '[';
  const auto colon = host_port.rfind(':');
  if (colon == std::string_view::npos || (bracketed && colon < host_port.find(']')))
    return std::nullopt;
  return a;
}

Sentinel::Sentinel(asio::any_io_executor ex, SentinelOptions options, ConnectionOptions connection)
    : options_(std::move(options)) {
  for (const auto& address : options_.sentinels) {
    commands_.push_back(
        std::make_shared<RedisConnection>(ex, address, connection, "parley-sentinel"));
    subscribers_.push_back(
        std::make_shared<RedisSubscriber>(ex, address, connection.link, "parley-sentinel-sub"));
    subscribers_.back()->set_listener(this);
  }
}

Sentinel::~Sentinel() {
  for (auto& s : subscribers_) s->set_listener(nullptr);
}

void Sentinel::start() {
  for (auto& c : commands_) c->start();
  for (auto& s : subscribers_) {
    s->subscribe(std::string(kSwitchChannel));
    s->start();
  }
}

void Sentinel::close() {
  for (auto& s : subscribers_) {
    s->set_listener(nullptr);
    s->close();
  }
  for (auto& c : commands_) c->close();
}

uint64_t Sentinel::switches() const {
  std::lock_guard lk(mu_);
  return switches_;
}

void Sentinel::locate(RedisLink::AddressDone done) {
  locate_from(0, std::make_shared<Found>(), std::move(done));
}

// `SENTINEL master NAME` answers field/value pairs, among them ip, port and
// config-epoch: the epoch of the failover that produced that address.
void Sentinel::locate_from(size_t i, std::shared_ptr<Found> found, RedisLink::AddressDone done) {
  // Skip the sentinels that are down: a dead one answers nothing.
  while (i < commands_.size() && !commands_[i]->up()) ++i;
  if (i >= commands_.size()) {
    done(found->address);
    return;
  }
  commands_[i]->async_command(
      {"SENTINEL", "master", options_.master_name},
      [this, i, found, done = std::move(done)](RedisConnection::Reply r) mutable {
        // An error reply: this sentinel does not know NAME (or is no
        // sentinel). Either way it has no say.
        if (r && r->is_array()) {
          std::string ip;
          std::optional<int> port;
          std::optional<int64_t> epoch;
          for (size_t f = 0; f + 1 < r->size(); f += 2) {
            const std::string& field = (*r)[f].str();
            if (field == "ip") ip = (*r)[f + 1].str();
            if (field == "port") port = port_of((*r)[f + 1].str());
            if (field == "config-epoch") {
              const std::string& v = (*r)[f + 1].str();
              int64_t n = 0;
              auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
              if (ec == std::errc{} && end == v.data() + v.size()) epoch = n;
            }
          }
          if (!ip.empty() && port && epoch && (!found->address || *epoch > found->epoch)) {
            RedisAddress master;
            master.host = ip;
            master.port = *port;
            master.password = options_.master_password;
            found->address = std::move(master);
            found->epoch = *epoch;
          }
        }
        locate_from(i + 1, std::move(found), std::move(done));
      });
}

void Sentinel::follow(const std::shared_ptr<RedisLink>& link) {
  link->set_address_provider([this](RedisLink::AddressDone done) { locate(std::move(done)); },
                             true);
  std::lock_guard lk(mu_);
  links_.push_back(link);
}

void Sentinel::move_links_to(const RedisAddress& master, const std::string& why) {
  std::vector<std::shared_ptr<RedisLink>> links;
  {
    std::lock_guard lk(mu_);
    for (auto& w : links_)
      if (auto l = w.lock()) links.push_back(std::move(l));
  }
  // One up elsewhere is on a master that is no more; one that is down
  // stops waiting out its back-off. Both ask locate() as they connect.
  for (auto& l : links)
    if (!l->up() || !same_server(l->address(), master)) l->reconnect(why);
}

// "+switch-master NAME OLD-IP OLD-PORT NEW-IP NEW-PORT"
void Sentinel::on_message(std::string_view channel, std::string_view payload) {
  if (channel != kSwitchChannel) return;
  std::vector<std::string_view> words;
  while (!payload.empty()) {
    const auto sp = payload.find(' ');
    words.push_back(payload.substr(0, sp));
    if (sp == std::string_view::npos) break;
    payload.remove_prefix(sp + 1);
  }
  if (words.size() != 5 || words[0] != options_.master_name) return;
  auto port = port_of(words[4]);
  if (!port) return;
  RedisAddress master;
  master.host = std::string(words[3]);
  master.port = *port;
  master.password = options_.master_password;
  {
    std::lock_guard lk(mu_);
    ++switches_;
  }
  move_links_to(master, "+switch-master: the master is now " + master.id());
}

void Sentinel::on_subscribed(std::string_view channel) {
  if (channel != kSwitchChannel) return;
  // Renewed after the sentinel's link came back: a switch may have been
  // missed while it was away.
  locate([this](std::optional<RedisAddress> master) {
    if (master) move_links_to(*master, "the sentinels name " + master->id() + " as master");
  });
}

}  // namespace parley::redis
