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

/// One duty window (值班): on the days named, from `from` to `to` minutes after midnight, Shanghai time.
/// `to` <= `from` runs past midnight into the next day.
struct DutyWindow {
  std::vector<std::string> days;  ///< mon..sun, "workdays" (working days of the calendar), "offdays" (days off)
  int from = 0;                   ///< minutes after 00:00
  int to = 24 * 60;
  bool operator==(const DutyWindow&) const = default;
};

/// A directory entry (DESIGN "Details settled"): who receives what for a region-code prefix.
struct DirectoryEntry {
  std::string region;  ///< 4 (league), 6 (county), 9 (township) or 12 (village) digits
  std::string level;   ///< township | county | league | village
  std::string name;
  std::string notify;  ///< notifier plugin name ("webhook")
  std::string role = "coordinator";          ///< office | coordinator
  std::string department = "civil_affairs";  ///< the taxonomy's last column, as an id
  std::string address;  ///< where the notifier reaches them: e-mail (smtp), phone (sms_http); "" for webhook
  std::vector<DutyWindow> duty;  ///< empty = always on duty
  bool fallback = false;         ///< the level's fallback when nobody of that level is on duty
  bool operator==(const DirectoryEntry&) const = default;
};

/// One routing-table row: the first row whose selectors all match gives the queue.
struct RouteRule {
  std::string category;  ///< "" = any; "unsure" = a ticketed call labelled not_social_assistance
  std::string urgency;   ///< "" = any
  std::string language;  ///< "" = any
  std::string queue;     ///< a key of `queues`
};

/// The outbox's delivery policy (`notify.retry`), for every notifier.
struct RetryPolicy {
  Millis initial{1000};  ///< backoff doubles from here
  Millis max{300000};    ///< up to here
  double jitter = 0.2;   ///< +/- this fraction of each delay
  int max_attempts = 20; ///< then dead-lettered
  int per_recipient_max = 0;           ///< `notify.per_recipient.max` in `window`; 0 = no limit
  Millis per_recipient_window{60000};
};

struct Config {
  std::string source = "(built-in defaults)";  ///< the file merged over the defaults, for messages
  std::string instance = "SA";
  sip::SipServerConfig sip;
  std::string http_host = "127.0.0.1";
  unsigned short http_port = 8080;
  std::size_t http_max_connections = 512;  ///< http.max_connections: request connections open at once
  std::string public_url;  ///< base of links in messages, no trailing slash
  std::string link_secret; ///< signed links' HMAC key; "" = generated and kept beside the store
  Millis link_ttl{3 * 24 * 3600 * 1000LL};
  std::string storage_path = "var/assistline.db";
  int storage_stall_ms = 250;
  int storage_group_commit_us = 2000;         ///< storage.group_commit_ms (as µs): batching window while calls arrive                 ///< storage.stall_ms: a call's commit later than this is answered without it
  std::size_t storage_max_pending = 200000;   ///< storage.max_pending_calls: call writes held while stalled
  std::string log_level = "info";
  std::string log_file;
  std::string rules_path;  ///< "" = built-in rules
  std::string monitoring_list_path;  ///< classify.monitoring_list: HMAC-SHA256 hashes of monitored callers; "" = none
  std::string hmac_key;              ///< classify.hmac_key: the key those hashes were made with
  std::map<std::string, std::string> queues;
  std::vector<RouteRule> route_table;
  std::vector<LimitRule> limits;
  /// `sla.business_hours`: office hours for "wh" limits by division-code prefix (longest wins), with
  /// seasons; pass to SlaPolicy beside `limits`.
  BusinessHoursTable business_hours;
  double warning_at = 0.8;
  bool supervisor_at_breach = false;
  std::vector<LadderStep> ladder;
  std::vector<DirectoryEntry> directory;  ///< the inline `directory:` list, then `directory_file`'s entries
  std::vector<DirectoryEntry> inline_directory;  ///< the inline list alone (a reload re-reads only the file)
  std::string directory_file;             ///< YAML (a list of entries) or CSV; "" = none
  RetryPolicy retry;
  /// Each configured notifier's section by plugin name (`notify.webhook`, `notify.smtp`, ...), checked by
  /// the plugin's factory at start. A webhook with an empty url is not configured.
  std::map<std::string, nlohmann::json> notifiers;
  nlohmann::json merged;  ///< the effective config as JSON (defaults with the file merged in)
};

/// The built-in defaults alone.
Config default_config();

/// Loads `path` (YAML) over the defaults. Throws FileError (YamlJsonError) "PATH:LINE: KEY: what" for unreadable files,
/// YAML syntax, schema violations and semantic errors (a route to an unknown queue, a bad duration).
Config load_config(const std::string& path);

/// Same, from text (tests); `source` names it in errors.
Config load_config_text(std::string_view yaml, std::string_view source);

/// Reads a directory file: YAML (a list of entries, as in the config's `directory:`) or CSV (a header row
/// naming region,level,name,notify and optionally role,department,address). Validated like the config;
/// throws FileError naming the file, line and key.
std::vector<DirectoryEntry> load_directory_file(const std::string& path);

/// Recursive merge: objects merge key by key, anything else (lists included) replaces.
void merge_over(nlohmann::json& base, const nlohmann::json& over);

}  // namespace assist
