#include "json_writer.hpp"
#include "scenario.hpp"

namespace bench {

std::vector<boost::asio::ip::address> source_addresses(const Options& o, size_t connections) {
  size_t n = o.source_addrs ? o.source_addrs : 1 + connections / 20000;
  std::vector<boost::asio::ip::address> out;
  if (n == 1) {
    out.emplace_back();  // unspecified: the kernel's choice
    return out;
  }
  for (size_t i = 0; i < n; ++i)
    out.push_back(boost::asio::ip::make_address_v4(0x7F000001u + static_cast<uint32_t>(i)));
  return out;
}

std::string dev_identity(const std::string& user, const std::string& role,
                         const std::string& tenant) {
  parley::JsonWriter w;
  w.begin_object().field("userId", user).field("role", role).field("tenant", tenant).end_object();
  return w.take();
}

}  // namespace bench
