#pragma once
// The routing table (config `routing`): category / urgency / language -> an agent queue's contact URI.
// First match wins, like Kamailio's dispatcher sets chosen in a route block; the last row matches all.
#include <string>

#include "routing/config/config.h"

namespace assist {

struct RouteDecision {
  std::string queue;        ///< the queue's name in config
  std::string contact_uri;  ///< Contact of the 302
};

class RouteTable {
 public:
  RouteTable(std::vector<RouteRule> rules, std::map<std::string, std::string> queues)
      : rules_(std::move(rules)), queues_(std::move(queues)) {}
  /// `category` may be "unsure": a ticketed call the classifier would have sent to the general queue.
  RouteDecision route(const std::string& category, const std::string& urgency, const std::string& language) const;

 private:
  std::vector<RouteRule> rules_;
  std::map<std::string, std::string> queues_;
};

}  // namespace assist
