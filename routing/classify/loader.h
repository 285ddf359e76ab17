#pragma once
// The classifier as the daemon, its reloads (SIGHUP, POST /api/v1/rules/reload) and assistctl build it:
// the rules file (classify.rules, "" = built-in) with the monitoring list (classify.monitoring_list and
// classify.hmac_key, "" = none). One function so that the call path, the API and the CLI cannot differ.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "routing/classify/classifier.h"

namespace assist {

/// Throws RulesError ("file:line: key: what") or MonitoringListError ("file:line: what"); nothing half-loaded.
std::shared_ptr<const Classifier> load_classifier(const std::string& rules_path, const std::string& monitoring_list_path,
                                                  const std::string& hmac_key);

/// {"category","request_type","urgency","confidence","language","flags","unsure","reasons":[{rule,cue,label,clause,weight}]}
nlohmann::json classification_json(const Classification& c);
/// The inverse of classification_json (keys it lacks keep Classification's defaults), for a decision that
/// arrives as JSON (the call path's plan through Api::Probes::classify). Throws nlohmann::json::exception
/// when a key holds the wrong type.
Classification classification_from_json(const nlohmann::json& j);

}  // namespace assist
