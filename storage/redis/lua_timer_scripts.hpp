// The sources of lua_timer_scripts.cpp, for the script table (lua_scripts.cpp).
#pragma once

#include <string_view>

namespace parley::redis::lua {

extern const std::string_view kTimerSet;
extern const std::string_view kTimerClear;
extern const std::string_view kTimerClaim;

}  // namespace parley::redis::lua
