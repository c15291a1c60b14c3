// The sources of lua_presence_scripts.cpp, for the script table (lua_scripts.cpp).
#pragma once

#include <string_view>

namespace parley::redis::lua {

extern const std::string_view kPresenceTouch;
extern const std::string_view kPresenceLeave;
extern const std::string_view kPresenceRefresh;
extern const std::string_view kPresenceExpire;

}  // namespace parley::redis::lua
