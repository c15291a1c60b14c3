// An identity's skills (what routing to a skill and the console's skill
// filters match), as the JWT `skills` claim (broker/auth.cpp) and the
// --dev form of `authenticate` (request_params.cpp) give them: one rule for
// both.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace parley {

// The most code points of one skill (like a name).
inline constexpr size_t kSkillChars = 200;

// An array of non-empty strings of at most kSkillChars code points each,
// in order; nullopt for anything else (not an array, an item that is not
// such a string).
std::optional<std::vector<std::string>> read_skills(simdjson::dom::element value);

}  // namespace parley
