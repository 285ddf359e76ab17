#pragma once
// Notifier plugins are factories registered by name (STYLE: "A plugin is a factory registered by name").
// A factory checks its config once, at start, and throws std::invalid_argument with the key at fault;
// registering a name twice is an error. Tests may swap a factory for a fake.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "routing/escalation/notifier.h"

namespace assist {

/// Builds a notifier from its config section (`notify.<name>`). Throws std::invalid_argument("key: what").
using NotifierFactory = std::function<std::unique_ptr<Notifier>(const nlohmann::json& config)>;

class NotifierRegistry {
 public:
  /// Throws std::logic_error when `name` is registered already.
  void add(const std::string& name, NotifierFactory factory);
  /// Replaces a factory (tests). Throws std::logic_error when `name` is not registered.
  void replace(const std::string& name, NotifierFactory factory);
  bool has(const std::string& name) const { return factories_.count(name) > 0; }
  /// Throws std::invalid_argument for an unknown name or a bad config.
  std::unique_ptr<Notifier> make(const std::string& name, const nlohmann::json& config) const;
  std::vector<std::string> names() const;

  /// The registry with every built-in plugin (plugins/notify-*): webhook, smtp, sms_http.
  static NotifierRegistry builtin();

 private:
  std::map<std::string, NotifierFactory> factories_;
};

}  // namespace assist
