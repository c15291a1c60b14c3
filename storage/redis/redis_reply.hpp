// A Redis reply that owns its data. hiredis frees its redisReply as soon as
// the callback returns, so every reply is copied out before that.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;

namespace parley::redis {

class RedisReply {
 public:
  enum class Type : uint8_t { nil, string, status, error, integer, array };

  RedisReply() = default;
  // A deep copy of a hiredis reply (null → nil).
  static RedisReply copy_of(const redisReply* r);
  static RedisReply make_string(std::string s);
  static RedisReply make_error(std::string s);
  static RedisReply make_integer(int64_t n);
  static RedisReply make_array(std::vector<RedisReply> elements);

  Type type() const { return type_; }
  bool is_nil() const { return type_ == Type::nil; }
  bool is_error() const { return type_ == Type::error; }
  bool is_array() const { return type_ == Type::array; }
  bool is_string() const { return type_ == Type::string || type_ == Type::status; }
  bool is_integer() const { return type_ == Type::integer; }

  // The text of a string, status or error reply ("" otherwise).
  const std::string& str() const { return str_; }
  // An integer reply, or a string holding a whole decimal number.
  std::optional<int64_t> as_int() const;
  int64_t integer() const { return integer_; }
  const std::vector<RedisReply>& elements() const { return elements_; }
  std::vector<RedisReply>& elements() { return elements_; }
  size_t size() const { return elements_.size(); }
  const RedisReply& operator[](size_t i) const { return elements_[i]; }

  // True for an error reply whose first word is `prefix` (NOSCRIPT, BUSY…).
  bool error_is(std::string_view prefix) const;

 private:
  Type type_ = Type::nil;
  int64_t integer_ = 0;
  std::string str_;
  std::vector<RedisReply> elements_;
};

}  // namespace parley::redis
