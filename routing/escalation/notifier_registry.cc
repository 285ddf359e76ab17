#include "routing/escalation/notifier_registry.h"

#include <stdexcept>

namespace assist {

void register_builtin_notifiers(NotifierRegistry& r);  // plugins/notify-common/builtin.cc

void NotifierRegistry::add(const std::string& name, NotifierFactory factory) {
  if (!factories_.emplace(name, std::move(factory)).second)
    throw std::logic_error("notifier '" + name + "' is registered twice");
}

void NotifierRegistry::replace(const std::string& name, NotifierFactory factory) {
  auto it = factories_.find(name);
  if (it == factories_.end()) throw std::logic_error("no notifier '" + name + "' to replace");
  it->second = std::move(factory);
}

std::unique_ptr<Notifier> NotifierRegistry::make(const std::string& name, const nlohmann::json& config) const {
  auto it = factories_.find(name);
  if (it == factories_.end()) throw std::invalid_argument("no notifier plugin named '" + name + "'");
  return it->second(config);
}

std::vector<std::string> NotifierRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [n, f] : factories_) out.push_back(n);
  return out;
}

NotifierRegistry NotifierRegistry::builtin() {
  NotifierRegistry r;
  register_builtin_notifiers(r);
  return r;
}

}  // namespace assist
