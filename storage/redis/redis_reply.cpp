#include "redis_reply.hpp"

#include <hiredis/hiredis.h>

#include <charconv>
#include <algorithm>

namespace parley::redis {

RedisReply RedisReply::copy_of(const redisReply* r) {
  RedisReply out;
  if (!r) return out;
  switch (r->type) {
    case REDIS_REPLY_STRING: out.type_ = Type::string; break;
    case REDIS_REPLY_STATUS: out.type_ = Type::status; break;
    case REDIS_REPLY_ERROR: out.type_ = Type::error; break;
    case REDIS_REPLY_INTEGER: out.type_ = Type::integer; break;
    case REDIS_REPLY_ARRAY: out.type_ = Type::array; break;
    default: out.type_ = Type::nil; break;
  }
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
      r->type == REDIS_REPLY_ERROR)
    out.str_.assign(r->str, r->len);
  if (r->type == REDIS_REPLY_INTEGER) out.integer_ = r->integer;
  if (r->type == REDIS_REPLY_ARRAY) {
    out.elements_.reserve(r->elements);
    for (size_t i = 0; i < r->elements; ++i) out.elements_.push_back(copy_of(r->element[i]));
  }
  return out;
}

RedisReply RedisReply::make_string(std::string s) {
  RedisReply r;
  r.type_ = Type::string;
  r.str_ = std::move(s);
  return r;
}

RedisReply RedisReply::make_error(std::string s) {
  RedisReply r;
  r.type_ = Type::error;
  r.str_ = std::move(s);
  return r;
}

RedisReply RedisReply::make_integer(int64_t n) {
  RedisReply r;
  r.type_ = Type::integer;
  r.integer_ = n;
  return r;
}

RedisReply RedisReply::make_array(std::vector<RedisReply> elements) {
  RedisReply r;
  r.type_ = Type::array;
  r.elements_ = std::move(elements);
  return r;
}

std::optional<int64_t> RedisReply::as_int() const {
  if (type_ == Type::integer) return integer_;
  if (type_ != Type::string && type_ != Type::status) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(str_.data(), str_.data() + str_.size(), v);
  if (str_.empty() || ec != std::errc{} || end != str_.data() + str_.size()) return std::nullopt;
  return v;
}

bool RedisReply::error_is(std::string_view prefix) const {
  if (type_ != Type::error || str_.size() < prefix.size()) return false;
  if (str_.compare(0, prefix.size(), prefix) != 0) return false;
  return str_.size() == prefix.size() || str_[prefix.size()] == ' ';
}

}  // namespace parley::redis

namespace parley::redis {

// hiredis's reader calls these as it parses, parent before children: the
// root is allocated, every element is built in the slot its array reserved.
// A nil or any other value inside an array takes its slot the same way.
struct ReaderFunctions {
  // Elements come in index order: each is appended to its array, whose
  // declared length only bounds what is reserved up front (a header is no
  // promise that the bytes follow). Nothing here may throw into hiredis.
  static RedisReply* place(const redisReadTask* task) noexcept {
    try {
      if (task->parent) {
        auto& elements = static_cast<RedisReply*>(task->parent->obj)->elements_;
        if (task->idx < 0 || static_cast<size_t>(task->idx) != elements.size()) return nullptr;
        return &elements.emplace_back();
      }
      return new RedisReply();
    } catch (...) {
      return nullptr;  // hiredis reports "out of memory"
    }
  }
  static void* string(const redisReadTask* task, char* str, size_t len) {
    RedisReply* r = place(task);
    if (!r) return nullptr;
    r->type_ = task->type == REDIS_REPLY_ERROR    ? RedisReply::Type::error
               : task->type == REDIS_REPLY_STATUS ? RedisReply::Type::status
                                                  : RedisReply::Type::string;
    try {
      r->str_.assign(str, len);
    } catch (...) {
      if (!task->parent) delete r;
      return nullptr;
    }
    return r;
  }
  static void* array(const redisReadTask* task, int elements) {
    RedisReply* r = place(task);
    if (!r) return nullptr;
    r->type_ = RedisReply::Type::array;
    try {
      r->elements_.reserve(std::min<size_t>(elements > 0 ? static_cast<size_t>(elements) : 0, 1024));
    } catch (...) {
      // Reserving is only a hint.
    }
    return r;
  }
  static void* integer(const redisReadTask* task, long long value) {
    RedisReply* r = place(task);
    if (!r) return nullptr;
    r->type_ = RedisReply::Type::integer;
    r->integer_ = value;
    return r;
  }
  static void* nil(const redisReadTask* task) {
    RedisReply* r = place(task);
    if (!r) return nullptr;
    r->type_ = RedisReply::Type::nil;
    return r;
  }
  // Called on roots only (a finished reply, or a partial one on a parse
  // error): the elements are members of their root.
  static void free_object(void* p) { delete static_cast<RedisReply*>(p); }
};

redisReplyObjectFunctions* RedisReply::reader_functions() {
  static redisReplyObjectFunctions fns = {&ReaderFunctions::string, &ReaderFunctions::array,
                                          &ReaderFunctions::integer, &ReaderFunctions::nil,
                                          &ReaderFunctions::free_object};
  return &fns;
}

}  // namespace parley::redis
