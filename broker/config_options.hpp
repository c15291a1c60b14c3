// The option table behind parse_config (config.hpp): every setting's flag,
// its group and help text as --help prints them, and the Limits fields
// exposed as flags. config.cpp reads the values from the command line, the
// environment and the --config file, and checks them.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "limits.hpp"

namespace parley::config_options {

// "--max-frame-bytes" -> "PARLEY_MAX_FRAME_BYTES".
std::string env_name(std::string_view flag);
// How a bad value is named in messages: the flag and its environment
// variable, since the user may have set either (or the config file key,
// which is the flag without its dashes).
std::string setting(std::string_view flag);
// A bound or a default as the help and the messages show it: 3, 0.001.
std::string number_text(double v);

// One Limits field exposed as a flag. Integral fields take whole numbers;
// the two rate fields take decimals.
struct LimitFlag {
  const char* name;
  const char* help;
  double min;
  double max;
  bool real;
  std::function<void(Limits&, double)> set;
  std::function<double(const Limits&)> get;
};
const std::vector<LimitFlag>& limit_flags();

// Every option, grouped as --help shows them.
boost::program_options::options_description describe();
// Settings for tests, accepted like the others but left out of --help.
boost::program_options::options_description describe_hidden();
// What --help prints: the usage line, `visible` (describe()), and how the
// environment and the --config file name the same settings.
std::string help_text(const boost::program_options::options_description& visible);

}  // namespace parley::config_options
