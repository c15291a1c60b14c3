// What the configuration tests share: argv/envp built from strings, the
// parsed config or its error, and a temporary --config file.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"

namespace parley::config_testing {


// argv and envp built from strings.
struct Args {
  std::vector<std::string> argv_strings;
  std::vector<std::string> env_strings;
  std::vector<const char*> argv;
  std::vector<char*> envp;

  Args(std::vector<std::string> a, std::vector<std::string> e = {})
      : argv_strings(std::move(a)), env_strings(std::move(e)) {
    argv.push_back("parley");
    for (auto& s : argv_strings) argv.push_back(s.c_str());
    argv.push_back(nullptr);
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
  }
};

inline Result<ParsedConfig> parse(std::vector<std::string> argv, std::vector<std::string> env = {}) {
  Args a(std::move(argv), std::move(env));
  return parse_config(static_cast<int>(a.argv.size() - 1), a.argv.data(), a.envp.data());
}

inline Config ok(std::vector<std::string> argv, std::vector<std::string> env = {}) {
  auto r = parse(std::move(argv), std::move(env));
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  REQUIRE_FALSE(r->help.has_value());
  return r->config;
}

inline std::string error(std::vector<std::string> argv, std::vector<std::string> env = {}) {
  auto r = parse(std::move(argv), std::move(env));
  REQUIRE_MESSAGE(!r.ok(), "expected an error");
  return r.error().message;
}

inline bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

// A file that removes itself.
struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& content) {
    static int n = 0;
    path = std::filesystem::temp_directory_path() /
           ("parley-config-test-" + std::to_string(getpid()) + "-" + std::to_string(++n));
    std::ofstream(path, std::ios::binary) << content;
  }
  ~TempFile() { std::filesystem::remove(path); }
  std::string name() const { return path.string(); }
};

}  // namespace parley::config_testing
