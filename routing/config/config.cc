#include "routing/config/config.h"

#include <fstream>
#include <sstream>

#include "routing/common/resources.h"

namespace assist {
namespace {

const nlohmann::json& schema() {
  static const nlohmann::json s =
      nlohmann::json::parse(*resources::find("schemas/config.schema.json"));
  return s;
}

Millis wall(const std::string& text) {
  auto d = parse_duration(text);
  if (!d || d->unit != Duration::Unit::wall) throw std::invalid_argument("not a wall-clock duration: " + text);
  return Millis(d->amount * 1000);
}

// Semantic checks the schema cannot express; `err(pointer, what)` throws with the file's line.
template <class Err>
Config build(const nlohmann::json& j, const Err& err) {
  Config c;
  c.merged = j;
  c.instance = j.at("instance").get<std::string>();
  const auto& sip = j.at("sip");
  c.sip.listen.clear();
  for (size_t i = 0; i < sip.at("listen").size(); ++i) {
    try {
      c.sip.listen.push_back(sip::parse_listen(sip["listen"][i].get<std::string>()));
    } catch (const std::exception& e) {
      err("/sip/listen/" + std::to_string(i), e.what());
    }
  }
  c.sip.allow = sip.at("allow").get<std::vector<std::string>>();
  const auto& h = sip.at("headers");
  c.sip.headers.ivr_digits = h.at("ivr_digits");
  c.sip.headers.asr_text = h.at("asr_text");
  c.sip.headers.region = h.at("region");
  c.sip.headers.language = h.at("language");
  c.sip.max_transactions = sip.at("max_transactions").get<size_t>();

  const std::string hl = j.at("http").at("listen");
  const auto colon = hl.rfind(':');
  c.http_host = hl.substr(0, colon);
  if (c.http_host.size() > 2 && c.http_host.front() == '[') c.http_host = c.http_host.substr(1, c.http_host.size() - 2);
  const int port = std::stoi(hl.substr(colon + 1));
  if (port > 65535) err("/http/listen", "port out of range");
  c.http_port = static_cast<unsigned short>(port);
  c.public_url = j.at("http").at("public_url");
  if (c.public_url.empty()) c.public_url = "http://" + hl;
  while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();

  c.storage_path = j.at("storage").at("path");
  c.log_level = j.at("log").at("level");
  c.log_file = j.at("log").at("file");
  c.rules_path = j.at("classify").at("rules");

  c.queues = j.at("routing").at("queues").get<std::map<std::string, std::string>>();
  const auto& table = j.at("routing").at("table");
  for (size_t i = 0; i < table.size(); ++i) {
    RouteRule r;
    r.category = table[i].value("category", "");
    r.urgency = table[i].value("urgency", "");
    r.language = table[i].value("language", "");
    r.queue = table[i].at("queue");
    if (!c.queues.count(r.queue)) err("/routing/table/" + std::to_string(i) + "/queue", "no queue named '" + r.queue + "' in routing.queues");
    c.route_table.push_back(r);
  }
  if (c.route_table.empty() || !c.route_table.back().category.empty() || !c.route_table.back().urgency.empty() ||
      !c.route_table.back().language.empty())
    err("/routing/table", "the last row must match every call (a row with only `queue`)");

  try {
    c.limits = limits_from_json(j.at("sla").at("limits"));
  } catch (const std::exception& e) {
    err("/sla/limits", e.what());
  }
  c.warning_at = j.at("escalation").at("warning_at").get<double>();
  const auto& ladder = j.at("escalation").at("ladder");
  for (size_t i = 0; i < ladder.size(); ++i) {
    try {
      c.ladder.push_back({ladder[i].at("level"), wall(ladder[i].at("step"))});
    } catch (const std::exception& e) {
      err("/escalation/ladder/" + std::to_string(i) + "/step", e.what());
    }
  }
  const auto& dir = j.at("directory");
  for (size_t i = 0; i < dir.size(); ++i) {
    DirectoryEntry d;
    d.region = dir[i].at("region");
    d.level = dir[i].at("level");
    d.name = dir[i].at("name");
    d.notify = dir[i].at("notify");
    d.role = dir[i].value("role", "coordinator");
    d.department = dir[i].value("department", "civil_affairs");
    const size_t want = d.level == "league" ? 4 : d.level == "county" ? 6 : d.level == "township" ? 9 : 12;
    if (d.region.size() != want)
      err("/directory/" + std::to_string(i) + "/region",
          "a " + d.level + " entry needs a " + std::to_string(want) + "-digit region code, got '" + d.region + "'");
    c.directory.push_back(d);
  }
  const auto& wh = j.at("notify").at("webhook");
  c.webhook.url = wh.at("url");
  c.webhook.secret = wh.at("secret");
  c.webhook.timeout = wall(wh.at("timeout"));
  c.webhook.max_in_flight = wh.at("max_in_flight");
  c.webhook.retry_initial = wall(wh.at("retry_initial"));
  c.webhook.retry_max = wall(wh.at("retry_max"));
  c.webhook.max_attempts = wh.at("max_attempts");
  return c;
}

nlohmann::json defaults_json() {
  static const nlohmann::json d =
      yaml_to_json(*resources::find("ops/config/default.yaml"), "ops/config/default.yaml").value;
  return d;
}

}  // namespace

void merge_over(nlohmann::json& base, const nlohmann::json& over) {
  if (!base.is_object() || !over.is_object()) {
    base = over;
    return;
  }
  for (auto it = over.begin(); it != over.end(); ++it) {
    if (base.contains(it.key())) merge_over(base[it.key()], it.value());
    else base[it.key()] = it.value();
  }
}

Config default_config() {
  return build(defaults_json(), [](const std::string& p, const std::string& what) -> void {
    throw FileError("ops/config/default.yaml: " + pointer_to_path(defaults_json(), p) + ": " + what);
  });
}

Config load_config_text(std::string_view yaml, std::string_view source) {
  const YamlJson file = yaml_to_json(yaml, source);
  if (file.value.is_null()) return load_config_text("{}", source);  // an empty file changes nothing
  if (!file.value.is_object()) throw YamlJsonError(std::string(source), 1, "", "the config must be a map of sections");
  validate_against(schema(), file, source);
  nlohmann::json merged = defaults_json();
  merge_over(merged, file.value);
  Config c = build(merged, [&](const std::string& p, const std::string& what) -> void {
    throw YamlJsonError(std::string(source), std::max(1, file.line_of(p)), pointer_to_path(merged, p), what);
  });
  c.source = std::string(source);
  return c;
}

Config load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path + ": cannot read the config file");
  std::stringstream ss;
  ss << in.rdbuf();
  return load_config_text(ss.str(), path);
}

}  // namespace assist
