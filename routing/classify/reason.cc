#include "routing/classify/reason.h"

namespace assist {

nlohmann::json reasons_json(const std::vector<Reason>& reasons) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : reasons)
    out.push_back({{"rule", r.rule}, {"cue", r.cue}, {"label", r.label}, {"clause", r.clause}, {"weight", r.weight}});
  return out;
}

std::vector<Reason> reasons_from_json(const nlohmann::json& j) {
  std::vector<Reason> out;
  if (j.is_null()) return out;
  out.reserve(j.size());
  for (const auto& r : j.get_ref<const nlohmann::json::array_t&>())
    out.push_back({r.value("rule", ""), r.value("cue", ""), r.value("label", ""), r.value("clause", ""),
                   r.value("weight", 0.0)});
  return out;
}

}  // namespace assist
