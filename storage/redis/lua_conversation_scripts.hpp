// The sources of lua_conversation_scripts.cpp, for the script table (lua_scripts.cpp).
#pragma once

#include <string_view>

namespace parley::redis::lua {

extern const std::string_view kAppend;
extern const std::string_view kCommit;
extern const std::string_view kCreate;
extern const std::string_view kLoad;
extern const std::string_view kRead;

}  // namespace parley::redis::lua
