#include "routing/route/route_table.h"

namespace assist {

RouteDecision RouteTable::route(const std::string& category, const std::string& urgency,
                                const std::string& language) const {
  for (const auto& r : rules_) {
    if (!r.category.empty() && r.category != category) continue;
    if (!r.urgency.empty() && r.urgency != urgency) continue;
    if (!r.language.empty() && r.language != language) continue;
    return {r.queue, queues_.at(r.queue)};  // config validation guarantees the queue exists
  }
  return {};  // unreachable: the config's last row matches everything
}

}  // namespace assist
