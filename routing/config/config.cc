#include "routing/config/config.h"

#include <filesystem>

#include <boost/asio/ip/address.hpp>

#include <fstream>
#include <sstream>

#include "routing/common/resources.h"
#include "routing/sip/source_filter.h"

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

/// Whether two sockets of one protocol bound to `a` and `b` (numeric addresses) on the same port would
/// collide: the same address, or a wildcard that takes the other (0.0.0.0 every IPv4 address, :: every
/// address, IPv4 too, as Linux binds it by default). An address that does not parse collides with nothing
/// (it is refused where it is parsed).
bool binds_overlap(const std::string& a, const std::string& b) {
  boost::system::error_code ea, eb;
  auto x = boost::asio::ip::make_address(a, ea), y = boost::asio::ip::make_address(b, eb);
  if (ea || eb) return false;
  // ::ffff:a.b.c.d is the IPv4 address a.b.c.d on the wire (and ::ffff:0.0.0.0 its wildcard)
  auto v4_of_mapped = [](boost::asio::ip::address& ip) {
    if (ip.is_v6() && ip.to_v6().is_v4_mapped())
      ip = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, ip.to_v6());
  };
  v4_of_mapped(x);
  v4_of_mapped(y);
  if (x == y) return true;
  auto takes = [](const boost::asio::ip::address& wild, const boost::asio::ip::address& other) {
    if (!wild.is_unspecified()) return false;
    return wild.is_v6() || other.is_v4() || (other.is_v6() && other.to_v6().is_v4_mapped());
  };
  return takes(x, y) || takes(y, x);
}

int clock_minutes(const std::string& hhmm) { return std::stoi(hhmm.substr(0, 2)) * 60 + std::stoi(hhmm.substr(3, 2)); }

// One directory entry (already schema-valid); `err(pointer, what)` throws with the file's line.
template <class Err>
DirectoryEntry parse_entry(const nlohmann::json& e, const std::string& ptr, const Err& err) {
  DirectoryEntry d;
  d.region = e.at("region");
  d.level = e.at("level");
  d.name = e.at("name");
  d.notify = e.at("notify");
  d.role = e.value("role", "coordinator");
  d.department = e.value("department", "civil_affairs");
  d.address = e.value("address", "");
  d.fallback = e.value("fallback", false);
  const size_t want = d.level == "league" ? 4 : d.level == "county" ? 6 : d.level == "township" ? 9 : 12;
  if (d.level != "supervisor" && d.region.size() != want)
    err(ptr + "/region",
        "a " + d.level + " entry needs a " + std::to_string(want) + "-digit region code, got '" + d.region + "'");
  if (e.contains("duty")) {
    for (const auto& w : e["duty"]) {
      DutyWindow dw;
      if (w["days"].is_string()) dw.days = {w["days"].get<std::string>()};
      else dw.days = w["days"].get<std::vector<std::string>>();
      dw.from = clock_minutes(w.value("from", "00:00"));
      dw.to = clock_minutes(w.value("to", "24:00"));
      d.duty.push_back(dw);
    }
  }
  return d;
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
    // the same transport, address and port twice cannot both be bound: say so here, not at start
    for (size_t k = 0; k + 1 < c.sip.listen.size(); ++k) {
      const auto& a = c.sip.listen[k];
      const auto& b = c.sip.listen.back();
      if (a.transport != b.transport || a.port != b.port || b.port == 0) continue;
      if (a.host == b.host)
        err("/sip/listen/" + std::to_string(i), "the same as entry " + std::to_string(k) + " (" +
                                                    sip["listen"][k].get<std::string>() + "): each can be bound once");
      if (binds_overlap(a.host, b.host))
        err("/sip/listen/" + std::to_string(i), "overlaps entry " + std::to_string(k) + " (" +
                                                    sip["listen"][k].get<std::string>() +
                                                    "): the same address written another way, or a wildcard "
                                                    "address that takes the port on every address");
    }
  }
  c.sip.allow = sip.at("allow").get<std::vector<std::string>>();
  for (size_t i = 0; i < c.sip.allow.size(); ++i) {
    try {
      sip::SourceFilter({c.sip.allow[i]});
    } catch (const std::exception& e) {
      err("/sip/allow/" + std::to_string(i), e.what());
    }
  }
  const auto& h = sip.at("headers");
  c.sip.headers.ivr_digits = h.at("ivr_digits");
  c.sip.headers.asr_text = h.at("asr_text");
  c.sip.headers.region = h.at("region");
  c.sip.headers.language = h.at("language");
  c.sip.max_transactions = sip.at("max_transactions").get<size_t>();
  if (sip.contains("rate_limit")) {
    const auto& rl = sip["rate_limit"];
    if (rl.contains("per_second")) c.sip.rate_limit.per_second = rl["per_second"].get<double>();
    if (rl.contains("burst")) c.sip.rate_limit.burst = rl["burst"].get<double>();
    if (c.sip.rate_limit.per_second > 0 && c.sip.rate_limit.burst < 1) err("/sip/rate_limit/burst", "must be at least 1");
  }
  if (sip.contains("overload")) {
    const auto& ov = sip["overload"];
    if (ov.contains("queue_delay_ms")) c.sip.queue_delay_ms = ov["queue_delay_ms"].get<int>();
    if (ov.contains("retry_after")) c.sip.retry_after_s = ov["retry_after"].get<int>();
  }

  const std::string hl = j.at("http").at("listen");
  const auto colon = hl.rfind(':');
  c.http_host = hl.substr(0, colon);
  if (c.http_host.size() > 2 && c.http_host.front() == '[') c.http_host = c.http_host.substr(1, c.http_host.size() - 2);
  const int port = std::stoi(hl.substr(colon + 1));
  if (port > 65535) err("/http/listen", "port out of range");
  c.http_port = static_cast<unsigned short>(port);
  for (size_t k = 0; k < c.sip.listen.size(); ++k) {  // HTTP is TCP: it cannot share a SIP TCP port
    const auto& l = c.sip.listen[k];
    if (l.transport == "tcp" && l.port == c.http_port && c.http_port != 0 && binds_overlap(l.host, c.http_host))
      err("/http/listen", "the same TCP port as sip.listen[" + std::to_string(k) + "] (" +
                              sip["listen"][k].get<std::string>() + "): one of them must move");
  }
  c.public_url = j.at("http").at("public_url");
  if (c.public_url.empty()) c.public_url = "http://" + hl;
  while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
  c.link_secret = j.at("http").at("link_secret");
  c.link_ttl = wall(j.at("http").at("link_ttl"));
  c.http_max_connections = j.at("http").at("max_connections").get<std::size_t>();

  c.storage_path = j.at("storage").at("path");
  if (std::error_code ec; std::filesystem::is_directory(c.storage_path, ec))
    err("/storage/path", "names a folder: name the store's file in it (e.g. " +
                             (std::filesystem::path(c.storage_path) / "assistline.db").string() + ")");
  c.storage_stall_ms = j.at("storage").at("stall_ms").get<int>();
  c.storage_group_commit_us = static_cast<int>(j.at("storage").at("group_commit_ms").get<double>() * 1000.0);
  c.storage_max_pending = j.at("storage").at("max_pending_calls").get<std::size_t>();
  // a batching window near the stall time would make every busy moment look like a stalled disk
  if (c.storage_group_commit_us * 2 >= c.storage_stall_ms * 1000)
    err("/storage/group_commit_ms", "must be under half of storage.stall_ms (" + std::to_string(c.storage_stall_ms) +
                                        " ms): a batch waiting that long would count as a stalled store");
  c.log_level = j.at("log").at("level");
  c.log_file = j.at("log").at("file");
  c.rules_path = j.at("classify").at("rules");
  c.monitoring_list_path = j.at("classify").value("monitoring_list", "");
  c.hmac_key = j.at("classify").value("hmac_key", "");
  if (!c.monitoring_list_path.empty() && c.hmac_key.size() < 16)
    err("/classify/hmac_key", "a monitoring_list needs hmac_key (at least 16 characters): the key its hashes were made with");

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
  } catch (const SlaError& e) {  // at the rule and key it names, said once
    err("/sla/limits" + e.pointer, e.reason.empty() ? e.what() : e.reason);
  } catch (const std::exception& e) {
    err("/sla/limits", e.what());
  }
  try {
    c.business_hours = business_hours_from_json(j.at("sla").value("business_hours", nlohmann::json::object()));
  } catch (const BusinessHoursError& e) {
    err("/sla/business_hours" + e.pointer, e.what());
  }
  c.warning_at = j.at("escalation").at("warning_at").get<double>();
  c.supervisor_at_breach = j.at("escalation").value("supervisor_at_breach", false);
  const auto& ladder = j.at("escalation").at("ladder");
  for (size_t i = 0; i < ladder.size(); ++i) {
    try {
      c.ladder.push_back({ladder[i].at("level"), wall(ladder[i].at("step"))});
    } catch (const std::exception& e) {
      err("/escalation/ladder/" + std::to_string(i) + "/step", e.what());
    }
  }
  const auto& dir = j.at("directory");
  for (size_t i = 0; i < dir.size(); ++i)
    c.directory.push_back(parse_entry(dir[i], "/directory/" + std::to_string(i), err));
  c.inline_directory = c.directory;
  c.directory_file = j.value("directory_file", "");
  if (!c.directory_file.empty()) {
    try {
      for (auto& e : load_directory_file(c.directory_file)) c.directory.push_back(std::move(e));
    } catch (const FileError& e) {
      err("/directory_file", e.what());
    }
  }
  const auto& notify = j.at("notify");
  const auto& retry = notify.at("retry");
  c.retry.initial = wall(retry.at("initial"));
  c.retry.max = wall(retry.at("max"));
  if (c.retry.max < c.retry.initial) err("/notify/retry/max", "must not be less than notify.retry.initial");
  c.retry.jitter = retry.at("jitter").get<double>();
  c.retry.max_attempts = retry.at("max_attempts");
  if (notify.contains("per_recipient")) {
    c.retry.per_recipient_max = notify["per_recipient"].value("max", 0);
    c.retry.per_recipient_window = wall(notify["per_recipient"].value("window", "1m"));
  }
  for (auto it = notify.begin(); it != notify.end(); ++it) {
    if (it.key() == "retry" || it.key() == "per_recipient") continue;
    if (it.key() == "webhook" && it.value().value("url", "").empty()) continue;  // not configured
    c.notifiers[it.key()] = it.value();
  }
  for (size_t i = 0; i < c.directory.size(); ++i) {
    const auto& d = c.directory[i];
    // the notifier first: with none configured the address is not the mistake to fix first
    if (d.notify != "webhook" && !c.notifiers.count(d.notify))
      err("/directory/" + std::to_string(i) + "/notify", "notify." + d.notify + " is not configured");
    if (d.notify == "smtp" && d.address.find('@') == std::string::npos)
      err("/directory/" + std::to_string(i) + "/address", "an entry notified by smtp needs an e-mail address");
    if (d.notify == "sms_http" && (d.address.empty() || d.address.find_first_not_of("+0123456789-") != std::string::npos))
      err("/directory/" + std::to_string(i) + "/address", "an entry notified by sms_http needs a phone number");
  }
  return c;
}

nlohmann::json defaults_json() {
  static const nlohmann::json d =
      yaml_to_json(*resources::find("ops/config/default.yaml"), "ops/config/default.yaml").value;
  return d;
}

}  // namespace

std::vector<DirectoryEntry> load_directory_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path + ": cannot read the directory file");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  YamlJson doc;
  const bool csv = path.size() > 4 && path.substr(path.size() - 4) == ".csv";
  if (csv) {
    // CSV: a header row, then one entry a line; fields may be double-quoted. Lines map 1:1 for errors.
    std::vector<std::string> header;
    doc.value = nlohmann::json::array();
    std::istringstream lines(text);
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
      ++n;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      std::vector<std::string> f;
      std::string cur;
      bool quoted = false;
      for (size_t i = 0; i < line.size(); ++i) {
        const char ch = line[i];
        if (quoted) {
          if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') { cur += '"'; ++i; }
          else if (ch == '"') quoted = false;
          else cur += ch;
        } else if (ch == '"') quoted = true;
        else if (ch == ',') { f.push_back(cur); cur.clear(); }
        else cur += ch;
      }
      f.push_back(cur);
      if (header.empty()) {
        header = f;
        continue;
      }
      if (f.size() != header.size())
        throw YamlJsonError(path, n, "", "expected " + std::to_string(header.size()) + " fields as in the header, got " +
                                             std::to_string(f.size()));
      nlohmann::json e = nlohmann::json::object();
      for (size_t i = 0; i < f.size(); ++i)
        if (!f[i].empty()) e[header[i]] = f[i];
      const std::string ptr = "/" + std::to_string(doc.value.size());
      for (size_t i = 0; i < f.size(); ++i) doc.lines[ptr + "/" + header[i]] = n;
      doc.lines[ptr] = n;
      doc.value.push_back(e);
    }
  } else {
    doc = yaml_to_json(text, path);
    if (doc.value.is_object() && doc.value.contains("directory")) {  // a config-like file with a directory key
      YamlJson inner;
      for (const auto& [k, v] : doc.lines)
        if (k.starts_with("/directory")) inner.lines[k.substr(10)] = v;
      inner.value = doc.value["directory"];
      doc = inner;
    }
  }
  const auto& cfg = schema();
  const nlohmann::json list_schema = {{"$schema", cfg["$schema"]},
                                      {"definitions", cfg["definitions"]},
                                      {"type", "array"},
                                      {"items", cfg["properties"]["directory"]["items"]}};
  validate_against(list_schema, doc, path);
  std::vector<DirectoryEntry> out;
  for (size_t i = 0; i < doc.value.size(); ++i)
    out.push_back(parse_entry(doc.value[i], "/" + std::to_string(i), [&](const std::string& p, const std::string& what) -> void {
      throw YamlJsonError(path, std::max(1, doc.line_of(p)), pointer_to_path(doc.value, p), what);
    }));
  return out;
}

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
