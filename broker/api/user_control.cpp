#include "api/user_control.hpp"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "json_writer.hpp"

namespace parley {

ConvKey UserControl::control_key() { return ConvKey{"~parley", "~control"}; }

void UserControl::start(Closer closer) {
  {
    std::lock_guard lk(mu_);
    closer_ = std::move(closer);
  }
  engine_.watch(control_key());
}

void UserControl::disconnect(const std::string& tenant, const std::string& user_id,
                             const std::string& reason) {
  JsonWriter w;
  w.begin_object()
      .field("disconnect", user_id)
      .field("tenant", tenant)
      .field("reason", reason)
      .end_object();
  Signal s;
  s.frame = std::make_shared<const std::string>(w.take());
  engine_.publish_signal(control_key(), std::move(s));
}

void UserControl::on_signal(const ConvKey& key, const Signal& signal) {
  if (!(key == control_key())) return ForwardingSink::on_signal(key, signal);
  if (!signal.frame) return;
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  std::string_view user, tenant, reason;
  if (parser.parse(*signal.frame).get(obj) || obj["disconnect"].get(user) ||
      obj["tenant"].get(tenant) || obj["reason"].get(reason)) {
    spdlog::warn("ignoring a malformed control signal");
    return;
  }
  Closer closer;
  {
    std::lock_guard lk(mu_);
    closer = closer_;
  }
  if (closer) closer(std::string(tenant), std::string(user), std::string(reason));
}

}  // namespace parley
