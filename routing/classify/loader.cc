#include "routing/classify/loader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace assist {

std::shared_ptr<const Classifier> load_classifier(const std::string& rules_path, const std::string& monitoring_list_path,
                                                  const std::string& hmac_key) {
  std::shared_ptr<const Classifier> c;
  if (rules_path.empty()) {
    c = Classifier::builtin();
  } else {
    if (std::error_code ec; std::filesystem::is_directory(rules_path, ec))
      throw RulesError(rules_path + ": names a folder, not a rules file (classify.rules)");
    std::ifstream in(rules_path, std::ios::binary);
    if (!in) {
      const int err = errno;
      std::error_code ec;
      const auto where = std::filesystem::absolute(rules_path, ec);
      throw RulesError(rules_path + ": cannot read the rules file (classify.rules): " + std::strerror(err) +
                       (ec ? std::string() : " (looked for " + where.string() + "; a relative path is read from the "
                                                                                 "folder the daemon was started in)"));
    }
    std::stringstream ss;
    ss << in.rdbuf();
    c = Classifier::from_yaml(ss.str(), rules_path);
  }
  if (!monitoring_list_path.empty()) c = c->with_monitoring(MonitoringList::load(monitoring_list_path, hmac_key));
  return c;
}

nlohmann::json classification_json(const Classification& c) {
  return {{"category", c.category}, {"request_type", c.request_type}, {"urgency", c.urgency},
          {"confidence", c.confidence}, {"language", c.language}, {"flags", c.flags}, {"unsure", c.unsure},
          {"reasons", reasons_json(c.reasons)}};
}

Classification classification_from_json(const nlohmann::json& j) {
  Classification c;
  c.category = j.value("category", c.category);
  c.request_type = j.value("request_type", c.request_type);
  c.urgency = j.value("urgency", c.urgency);
  c.confidence = j.value("confidence", c.confidence);
  c.language = j.value("language", c.language);
  c.flags = j.value("flags", c.flags);
  c.unsure = j.value("unsure", c.unsure);
  c.reasons = reasons_from_json(j.value("reasons", nlohmann::json::array()));
  return c;
}

}  // namespace assist
