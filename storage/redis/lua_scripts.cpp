#include "lua_scripts.hpp"

namespace parley::redis {

const Script& script(ScriptId id) {
  // Built on first use, after every family's sources are initialized.
  static const Script kScripts[kScriptCount] = {
      {"append", lua::kAppend},
      {"commit", lua::kCommit},
      {"create", lua::kCreate},
      {"load", lua::kLoad},
      {"read", lua::kRead},
      {"claim", lua::kClaim},
      {"release", lua::kRelease},
      {"presence_touch", lua::kPresenceTouch},
      {"presence_leave", lua::kPresenceLeave},
      {"presence_refresh", lua::kPresenceRefresh},
      {"presence_expire", lua::kPresenceExpire},
      {"timer_set", lua::kTimerSet},
      {"timer_clear", lua::kTimerClear},
      {"timer_claim", lua::kTimerClaim},
  };
  return kScripts[static_cast<int>(id)];
}

}  // namespace parley::redis
