// Loading the working-day calendars (routing/sla/calendar.h): the yearly national files (cn-YYYY.yaml) and
// the regional days-off files (regions-YYYY.yaml), compiled in from ops/calendars/ or read from a folder,
// checked line by line. The counting itself is in calendar.cc.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "routing/common/resources.h"
#include "routing/sla/calendar.h"

namespace assist {
using namespace std::chrono;

namespace {

[[noreturn]] void fail(std::string_view source, const YAML::Mark& mark, const std::string& key,
                       const std::string& what) {
  std::string msg(source);
  msg += ':' + std::to_string(mark.is_null() ? 0 : mark.line + 1) + ": " + key + ": " + what;
  throw CalendarError(msg);
}

bool is_weekend(sys_days d) {
  const weekday wd{d};
  return wd == Saturday || wd == Sunday;
}

std::optional<year_month_day> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int v[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8}, lens[3] = {4, 2, 2};
  for (int i = 0; i < 3; ++i)
    for (size_t j = starts[i]; j < starts[i] + lens[i]; ++j) {
      if (s[j] < '0' || s[j] > '9') return std::nullopt;
      v[i] = v[i] * 10 + (s[j] - '0');
    }
  const year_month_day ymd{year(v[0]), month(unsigned(v[1])), day(unsigned(v[2]))};
  if (!ymd.ok()) return std::nullopt;
  return ymd;
}

// A plain (unquoted) scalar: quoted "true" or "2026" is a string, not a boolean or a year.
bool plain_scalar(const YAML::Node& n) { return n.IsScalar() && n.Tag() != "!"; }

}  // namespace

namespace {

// One item of a calendar file's `days` list: where it is ("days[3]") and its keys' values.
struct DayItem {
  std::string at;
  YAML::Node node;
  std::map<std::string, YAML::Node> keys;
};

// The frame both calendar files share: a map with `year` (four digits) and `days` (a list of maps whose
// keys are exactly `item_keys`). Everything else about a day is the caller's to check.
int read_year_file(std::string_view yaml, std::string_view source, const std::vector<std::string>& item_keys,
                   YAML::Node& year_node, std::vector<DayItem>& items) {
  std::string keys_text;
  for (const auto& k : item_keys) keys_text += (keys_text.empty() ? "" : ", ") + k;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    fail(source, e.mark, "yaml", e.msg);
  }
  if (!root.IsMap()) fail(source, root.Mark(), "(file)", "expected a map with `year` and `days`");

  // A default YAML::Node is a defined null, so presence is tracked apart from the value.
  YAML::Node days_node;
  bool has_year_key = false, has_days_key = false;
  for (const auto& kv : root) {
    const auto key = kv.first.Scalar();
    if (key == "year")
      year_node = kv.second, has_year_key = true;
    else if (key == "days")
      days_node = kv.second, has_days_key = true;
    else
      fail(source, kv.first.Mark(), key, "unknown key (expected year, days)");
  }
  if (!has_year_key) fail(source, root.Mark(), "year", "missing");
  if (!has_days_key) fail(source, root.Mark(), "days", "missing");

  int y = 0;
  {
    const std::string text = year_node.IsScalar() ? year_node.Scalar() : "";
    bool ok = plain_scalar(year_node) && text.size() == 4;
    for (char c : text) ok = ok && c >= '0' && c <= '9';
    if (!ok) fail(source, year_node.Mark(), "year", "expected a four-digit year, got \"" + text + "\"");
    y = std::stoi(text);
  }
  if (!days_node.IsSequence() && !days_node.IsNull())
    fail(source, days_node.Mark(), "days", "expected a list of {" + keys_text + "}");

  std::size_t i = 0;
  for (const auto& item : days_node) {
    DayItem d{"days[" + std::to_string(i++) + "]", item, {}};
    if (!item.IsMap()) fail(source, item.Mark(), d.at, "expected {" + keys_text + "}");
    for (const auto& kv : item) {
      const auto key = kv.first.Scalar();
      if (std::find(item_keys.begin(), item_keys.end(), key) == item_keys.end())
        fail(source, kv.first.Mark(), d.at + "." + key, "unknown key (expected " + keys_text + ")");
      d.keys[key] = kv.second;
    }
    for (const auto& k : item_keys)
      if (!d.keys.contains(k)) fail(source, item.Mark(), d.at + "." + k, "missing");
    items.push_back(std::move(d));
  }
  return y;
}

// A day's `date`, inside year `y`.
sys_days read_date(std::string_view source, const DayItem& item, int y) {
  const YAML::Node& date_n = item.keys.at("date");
  const std::string date_text = date_n.IsScalar() ? date_n.Scalar() : "";
  const auto ymd = parse_date(date_text);
  if (!ymd) fail(source, date_n.Mark(), item.at + ".date", "not a date (YYYY-MM-DD): \"" + date_text + "\"");
  if (int(ymd->year()) != y)
    fail(source, date_n.Mark(), item.at + ".date", date_text + " is outside year " + std::to_string(y));
  return sys_days{*ymd};
}

std::string read_name(std::string_view source, const DayItem& item, const char* what) {
  const YAML::Node& name_n = item.keys.at("name");
  if (!name_n.IsScalar() || name_n.Scalar().empty()) fail(source, name_n.Mark(), item.at + ".name", what);
  return name_n.Scalar();
}

}  // namespace

int WorkingDayCalendar::load_year_yaml(std::string_view yaml, std::string_view source) {
  YAML::Node year_node;
  std::vector<DayItem> items;
  const int y = read_year_file(yaml, source, {"date", "off", "name"}, year_node, items);
  if (years_.contains(y))
    fail(source, year_node.Mark(), "year", std::to_string(y) + " is already loaded");

  std::map<sys_days, bool> found;
  for (const auto& item : items) {
    const sys_days d = read_date(source, item, y);
    const YAML::Node& off_n = item.keys.at("off");
    const std::string off_text = off_n.IsScalar() ? off_n.Scalar() : "";
    if (!plain_scalar(off_n) || (off_text != "true" && off_text != "false"))
      fail(source, off_n.Mark(), item.at + ".off", "expected true or false, got \"" + off_text + "\"");
    read_name(source, item, "expected the holiday's name");
    const bool off = off_text == "true";
    const std::string date_text = item.keys.at("date").Scalar();
    if (!off && !is_weekend(d))
      fail(source, off_n.Mark(), item.at + ".off",
           "false marks a make-up working day (调休), but " + date_text + " is not a weekend day");
    if (!found.emplace(d, off).second)
      fail(source, item.keys.at("date").Mark(), item.at + ".date", date_text + " is listed twice");
  }

  years_.insert(y);
  listed_.merge(found);
  return y;
}

int WorkingDayCalendar::load_regional_yaml(std::string_view yaml, std::string_view source) {
  YAML::Node year_node;
  std::vector<DayItem> items;
  const int y = read_year_file(yaml, source, {"region", "date", "name"}, year_node, items);
  if (regional_years_.contains(y))
    fail(source, year_node.Mark(), "year", "regional days off of " + std::to_string(y) + " are already loaded");

  std::map<std::pair<std::string, sys_days>, std::string> found;
  for (const auto& item : items) {
    const YAML::Node& region_n = item.keys.at("region");
    const std::string region = region_n.IsScalar() ? region_n.Scalar() : "";
    if (region.size() < 2 || region.size() > 12 ||
        region.find_first_not_of("0123456789") != std::string::npos)
      fail(source, region_n.Mark(), item.at + ".region",
           "expected a division-code prefix (2 to 12 digits, e.g. \"152502\"), got \"" + region + "\"");
    const sys_days d = read_date(source, item, y);
    const std::string name = read_name(source, item, "expected what the day is (the region's decision)");
    if (!found.emplace(std::pair{region, d}, name).second)
      fail(source, item.keys.at("date").Mark(), item.at + ".date",
           item.keys.at("date").Scalar() + " is listed twice for region " + region);
  }

  regional_years_.insert(y);
  for (auto& [key, name] : found) {
    regional_[key.first].insert(key.second);
    regional_names_.emplace(key, std::move(name));
  }
  return y;
}

namespace {
// What a calendar file's name says it holds: its kind and year (cn-YYYY.yaml: the national calendar;
// regions-YYYY.yaml: regional extra days off), or year 0 for any other name.
struct FileName {
  bool regional = false;
  int year = 0;
};
FileName name_of(std::string_view path) {
  const auto name = path.substr(path.rfind('/') + 1);
  FileName out;
  std::string_view digits;
  if (name.size() == 12 && name.starts_with("cn-") && name.ends_with(".yaml")) {
    digits = name.substr(3, 4);
  } else if (name.size() == 17 && name.starts_with("regions-") && name.ends_with(".yaml")) {
    digits = name.substr(8, 4);
    out.regional = true;
  }
  int named = 0;
  for (char ch : digits) named = (ch >= '0' && ch <= '9') ? named * 10 + (ch - '0') : -100000;
  out.year = named > 0 ? named : 0;
  return out;
}

std::shared_ptr<const WorkingDayCalendar> build(const std::vector<std::pair<std::string, std::string>>& files) {
  auto c = std::make_shared<WorkingDayCalendar>();
  std::set<std::pair<bool, int>> seen;
  for (const auto& [path, data] : files) {
    const FileName named = name_of(path);
    if (named.year <= 0)
      throw CalendarError(path + ":0: (file): name is not cn-YYYY.yaml (national) or regions-YYYY.yaml (regional days off)");
    if (!seen.emplace(named.regional, named.year).second) throw CalendarError(path + ":0: year: loaded twice");
    const int loaded = named.regional ? c->load_regional_yaml(data, path) : c->load_year_yaml(data, path);
    if (loaded != named.year) throw CalendarError(path + ":0: year: differs from the file name's year");
  }
  return c;
}

std::vector<std::pair<std::string, std::string>> embedded_files() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : resources::under("ops/calendars/"))
    if (e.path.ends_with(".yaml")) out.emplace_back(std::string(e.path), std::string(e.data));
  return out;
}
}  // namespace

std::shared_ptr<const WorkingDayCalendar> WorkingDayCalendar::builtin() {
  static const std::shared_ptr<const WorkingDayCalendar> cal = build(embedded_files());
  return cal;
}

std::shared_ptr<const WorkingDayCalendar> WorkingDayCalendar::with_folder(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> extra;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) throw CalendarError(dir + ":0: (folder): cannot read: " + ec.message());
  for (const auto& f : it) {
    const auto p = f.path().string();
    if (!p.ends_with(".yaml")) continue;
    std::ifstream in(p, std::ios::binary);
    if (!in) throw CalendarError(p + ":0: (file): cannot read");
    std::stringstream ss;
    ss << in.rdbuf();
    extra.emplace_back(p, ss.str());
  }
  std::sort(extra.begin(), extra.end());
  const auto same_file = [](const std::string& a, const std::string& b) {
    const FileName x = name_of(a), y = name_of(b);
    return x.year > 0 && x.year == y.year && x.regional == y.regional;
  };
  std::vector<std::pair<std::string, std::string>> files;
  for (auto& e : embedded_files())
    if (std::none_of(extra.begin(), extra.end(), [&](const auto& x) { return same_file(x.first, e.first); }))
      files.push_back(std::move(e));
  files.insert(files.end(), extra.begin(), extra.end());
  return build(files);
}

}  // namespace assist
