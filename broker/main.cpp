// parley: the conversation broker. See docs/configuration.md for the flags.
#include <spdlog/spdlog.h>

#include <exception>
#include <iostream>

#include "api/openapi.hpp"
#include "config.hpp"
#include "server.hpp"

int main(int argc, char** argv, char** envp) {
  auto parsed = parley::parse_config(argc, argv, envp);
  if (!parsed.ok()) {
    std::cerr << "parley: " << parsed.error().message << "\n"
              << "Try 'parley --help' for the list of options.\n";
    return 2;
  }
  if (parsed->print_openapi) {
    std::cout << parley::openapi_yaml();
    return 0;
  }
  if (parsed->help) {
    std::cout << *parsed->help;
    return 0;
  }
  try {
    parley::Server server(std::move(parsed->config));
    return server.run();
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    return 1;
  }
}
