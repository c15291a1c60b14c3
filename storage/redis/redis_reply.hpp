// A Redis reply that owns its data.
//
// Command connections build it in one pass: reply_functions() makes
// hiredis's reader create RedisReply objects directly (strings written once,
// array elements built in place), and the reply callback moves the value
// out. copy_of() is the older way, a deep copy of hiredis's own redisReply,
// kept for the pub/sub link (whose hiredis subscribe handling reads
// redisReply) and as the reference the fuzz target compares against.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;
struct redisReplyObjectFunctions;

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

  // The same type and value, elements compared in order.
  bool operator==(const RedisReply& other) const = default;

  // True for an error reply whose first word is `prefix` (NOSCRIPT, BUSY…).
  bool error_is(std::string_view prefix) const;

  // For redisReaderCreateWithFunctions (or a reader's `fn`): the reader then
  // yields RedisReply* (a heap object the reader's freeObject deletes; move
  // its value out before that). A reader using these must never reach
  // hiredis code that reads a redisReply (its pub/sub handling does).
  static redisReplyObjectFunctions* reader_functions();

 private:
  friend struct ReaderFunctions;
  Type type_ = Type::nil;
  int64_t integer_ = 0;
  std::string str_;
  std::vector<RedisReply> elements_;
};

}  // namespace parley::redis
