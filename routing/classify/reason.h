#pragma once
// One matched cue of a classification, as the classifier gives it and a ticket keeps it.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace assist {

/// One matched cue: which rule, the text that matched, the label it voted for, its weight, and the policy
/// clause it stands for (e.g. "政策(六) 先行救助").
struct Reason {
  std::string rule;    ///< rule id in the rules file, e.g. "temporary.fire"
  std::string cue;     ///< the text (or IVR digits) that matched
  std::string label;   ///< "category=temporary_assistance", "urgency=critical", ...
  std::string clause;  ///< policy clause or taxonomy rule of thumb; may be ""
  double weight = 0;
  bool operator==(const Reason&) const = default;
};

/// [{"rule","cue","label","clause","weight"}, ...] in order.
nlohmann::json reasons_json(const std::vector<Reason>& reasons);
/// The inverse of reasons_json; members a reason lacks are "" (0 for weight). Throws nlohmann::json::exception
/// when `j` is not an array of objects.
std::vector<Reason> reasons_from_json(const nlohmann::json& j);

}  // namespace assist
