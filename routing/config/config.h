#pragma once
// The daemon's configuration (DESIGN "Config"): built-in defaults (ops/config/default.yaml, compiled in)
// with an optional YAML file merged over them. The file is validated against schemas/config.schema.json
// and every error names the file, line and key.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "routing/common/yaml_json.h"
#include "routing/sip/sip_server.h"
#include "routing/sla/policy.h"

namespace assist {

/// One rung of the escalation ladder: the level and how long it waits for an acknowledgement.
struct LadderStep {
  std::string level;  ///< township | county | league
  Millis step{0};
};

/// A directory entry (DESIGN "Details settled"): who receives what for a region-code prefix.
struct DirectoryEntry {
  std::string region;  ///< 4 (league), 6 (county), 9 (township) or 12 (village) digits
  std::string level;   ///< township | county | league | village
  std::string name;
  std::string notify;  ///< notifier plugin name ("webhook")
  std::string role = "coordinator";          ///< office | coordinator
  std::string department = "civil_affairs";  ///< the taxonomy's last column, as an id
};

/// One routing-table row: the first row whose selectors all match gives the queue.
struct RouteRule {
  std::string category;  ///< "" = any; "unsure" = a ticketed call labelled not_social_assistance
  std::string urgency;   ///< "" = any
  std::string language;  ///< "" = any
  std::string queue;     ///< a key of `queues`
};

struct WebhookConfig {
  std::string url;  ///< "" = no delivery (messages stay pending)
  std::string secret;
  Millis timeout{10000};
  int max_in_flight = 8;
  Millis retry_initial{1000};
  Millis retry_max{300000};
  int max_attempts = 20;
};

struct Config {
  std::string source = "(built-in defaults)";  ///< the file merged over the defaults, for messages
  std::string instance = "SA";
  sip::SipServerConfig sip;
  std::string http_host = "127.0.0.1";
  unsigned short http_port = 8080;
  std::string public_url;  ///< base of links in messages, no trailing slash
  std::string storage_path = "var/assistline.db";
  std::string log_level = "info";
  std::string log_file;
  std::string rules_path;  ///< "" = built-in rules
  std::map<std::string, std::string> queues;
  std::vector<RouteRule> route_table;
  std::vector<LimitRule> limits;
  double warning_at = 0.8;
  std::vector<LadderStep> ladder;
  std::vector<DirectoryEntry> directory;
  WebhookConfig webhook;
  nlohmann::json merged;  ///< the effective config as JSON (defaults with the file merged in)
};

/// The built-in defaults alone.
Config default_config();

/// Loads `path` (YAML) over the defaults. Throws FileError (YamlJsonError) "PATH:LINE: KEY: what" for unreadable files,
/// YAML syntax, schema violations and semantic errors (a route to an unknown queue, a bad duration).
Config load_config(const std::string& path);

/// Same, from text (tests); `source` names it in errors.
Config load_config_text(std::string_view yaml, std::string_view source);

/// Recursive merge: objects merge key by key, anything else (lists included) replaces.
void merge_over(nlohmann::json& base, const nlohmann::json& over);

}  // namespace assist
