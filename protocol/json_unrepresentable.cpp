#include "json_unrepresentable.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "model.hpp"

namespace parley {

namespace {

using Path = std::vector<std::variant<size_t, std::string>>;

constexpr std::string_view kNumberReason = "number out of range (beyond 64 bits)";
constexpr std::string_view kSurrogateReason = "lone surrogate escape";

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A number token the parser holds: an integer within int64 (negative) or
// uint64, or a float that does not overflow double (underflow is 0).
bool representable(std::string_view token, bool integer) {
  const char* end = token.data() + token.size();
  if (integer && token.front() == '-') {
    int64_t v = 0;
    return std::from_chars(token.data(), end, v).ec == std::errc();
  }
  if (integer) {
    uint64_t v = 0;
    return std::from_chars(token.data(), end, v).ec == std::errc();
  }
  std::string copy(token);
  return std::isfinite(std::strtod(copy.c_str(), nullptr));
}

// A recursive descent over RFC 8259 JSON that patches, in place and at the
// same length, what the parser cannot hold, and says where it was.
class Scanner {
 public:
  Scanner(std::string& text, size_t max_depth) : s_(text), max_depth_(max_depth) {}

  bool document() {
    skip_space();
    if (!value(0)) return false;
    skip_space();
    return i_ == s_.size();
  }

  std::vector<UnrepresentableValue> found;

 private:
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }

  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }

  bool literal(std::string_view word) {
    if (s_.compare(i_, word.size(), word) != 0) return false;
    i_ += word.size();
    return true;
  }

  void record(Path path, std::string_view reason) {
    found.push_back({std::move(path), std::string(reason)});
  }

  bool value(size_t depth) {
    switch (peek()) {
      case '{': return object(depth + 1);
      case '[': return array(depth + 1);
      case '"': {
        bool lone = false;
        if (!string(lone)) return false;
        if (lone) record(path_, kSurrogateReason);
        return true;
      }
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }

  // An object or an array, from its opening bracket to `close`; `item`
  // reads one member (its key included) or item.
  template <class Item>
  bool container(size_t depth, char close, Item&& item) {
    if (depth > max_depth_) return false;
    ++i_;
    skip_space();
    if (peek() == close) {
      ++i_;
      return true;
    }
    for (size_t index = 0;; ++index) {
      if (!item(index)) return false;
      skip_space();
      if (peek() == close) {
        ++i_;
        return true;
      }
      if (peek() != ',') return false;
      ++i_;
      skip_space();
    }
  }

  bool object(size_t depth) {
    return container(depth, '}', [&](size_t) {
      if (peek() != '"') return false;
      const size_t key_at = i_;
      bool lone = false;
      if (!string(lone)) return false;
      path_.emplace_back(s_.substr(key_at + 1, i_ - key_at - 2));
      if (lone) record(path_, kSurrogateReason);
      skip_space();
      if (peek() != ':') return false;
      ++i_;
      skip_space();
      if (!value(depth)) return false;
      path_.pop_back();
      return true;
    });
  }

  bool array(size_t depth) {
    return container(depth, ']', [&](size_t index) {
      path_.emplace_back(index);
      if (!value(depth)) return false;
      path_.pop_back();
      return true;
    });
  }

  // Four hex digits at `at`: the code unit.
  std::optional<unsigned> hex4(size_t at) const {
    if (at + 4 > s_.size()) return std::nullopt;
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s_.data() + at, s_.data() + at + 4, v, 16);
    if (ec != std::errc() || p != s_.data() + at + 4) return std::nullopt;
    return v;
  }

  // A string, from its opening quote; `lone`: a lone surrogate escape was
  // in it (each is now \ufffd).
  bool string(bool& lone) {
    ++i_;
    while (i_ < s_.size()) {
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c != '\\') {
        ++i_;
        continue;
      }
      const char e = i_ + 1 < s_.size() ? s_[i_ + 1] : '\0';
      if (e != 'u') {
        if (e == '\0' || std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos)
          return false;
        i_ += 2;
        continue;
      }
      auto unit = hex4(i_ + 2);
      if (!unit) return false;
      if (*unit < 0xD800 || *unit > 0xDFFF) {
        i_ += 6;
        continue;
      }
      if (*unit <= 0xDBFF && s_.compare(i_ + 6, 2, "\\u") == 0) {
        auto low = hex4(i_ + 8);
        if (low && *low >= 0xDC00 && *low <= 0xDFFF) {  // a pair
          i_ += 12;
          continue;
        }
      }
      lone = true;
      s_.replace(i_, 6, "\\ufffd");
      i_ += 6;
    }
    return false;
  }

  bool number() {
    const size_t start = i_;
    if (peek() == '-') ++i_;
    if (peek() == '0') {
      ++i_;
    } else if (is_digit(peek())) {
      while (is_digit(peek())) ++i_;
    } else {
      return false;
    }
    bool integer = true;
    if (peek() == '.') {
      integer = false;
      ++i_;
      if (!is_digit(peek())) return false;
      while (is_digit(peek())) ++i_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integer = false;
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      if (!is_digit(peek())) return false;
      while (is_digit(peek())) ++i_;
    }
    if (!representable(std::string_view(s_).substr(start, i_ - start), integer)) {
      record(path_, kNumberReason);
      s_[start] = '0';
      for (size_t k = start + 1; k < i_; ++k) s_[k] = ' ';
    }
    return true;
  }

  std::string& s_;
  const size_t max_depth_;
  size_t i_ = 0;
  Path path_;
};

}  // namespace

std::optional<PatchedJson> patch_unrepresentable(std::string_view text, size_t max_depth) {
  PatchedJson out{std::string(text), {}};
  Scanner scanner(out.text, max_depth);
  if (!scanner.document() || scanner.found.empty()) return std::nullopt;
  out.values = std::move(scanner.found);
  return out;
}

std::string field_path(const std::vector<std::variant<size_t, std::string>>& path, size_t from) {
  std::string out;
  for (size_t k = from; k < path.size(); ++k) {
    if (const auto* index = std::get_if<size_t>(&path[k])) {
      out.append("[").append(std::to_string(*index)).append("]");
    } else {
      if (k > from) out.push_back('.');
      out.append(first_code_points(std::get<std::string>(path[k]), 128));
    }
  }
  return out;
}

}  // namespace parley
