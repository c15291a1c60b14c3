// The sources of lua_tenant_scripts.cpp, for the script table (lua_scripts.cpp).
#pragma once

#include <string_view>

namespace parley::redis::lua {

extern const std::string_view kClaim;
extern const std::string_view kRelease;

}  // namespace parley::redis::lua
