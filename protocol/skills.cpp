#include "skills.hpp"

#include "model.hpp"

namespace parley {

std::optional<std::vector<std::string>> read_skills(simdjson::dom::element value) {
  simdjson::dom::array list;
  if (value.get_array().get(list) != simdjson::SUCCESS) return std::nullopt;
  std::vector<std::string> skills;
  for (auto item : list) {
    std::string_view s;
    if (item.get_string().get(s) != simdjson::SUCCESS || s.empty() || code_points(s) > kSkillChars)
      return std::nullopt;
    skills.emplace_back(s);
  }
  return skills;
}

}  // namespace parley
