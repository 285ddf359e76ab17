#include "routing/sla/calendar.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "routing/common/resources.h"
#include "routing/common/time_format.h"

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

void WorkingDayCalendar::load_year_yaml(std::string_view yaml, std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    fail(source, e.mark, "yaml", e.msg);
  }
  if (!root.IsMap()) fail(source, root.Mark(), "(file)", "expected a map with `year` and `days`");

  // A default YAML::Node is a defined null, so presence is tracked apart from the value.
  YAML::Node year_node, days_node;
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
  if (years_.contains(y))
    fail(source, year_node.Mark(), "year", std::to_string(y) + " is already loaded");
  if (!days_node.IsSequence() && !days_node.IsNull())
    fail(source, days_node.Mark(), "days", "expected a list of {date, off, name}");

  std::map<sys_days, bool> found;
  std::size_t i = 0;
  for (const auto& item : days_node) {
    const std::string at = "days[" + std::to_string(i++) + "]";
    if (!item.IsMap()) fail(source, item.Mark(), at, "expected {date, off, name}");
    YAML::Node date_n, off_n, name_n;
    bool has_date = false, has_off = false, has_name = false;
    for (const auto& kv : item) {
      const auto key = kv.first.Scalar();
      if (key == "date")
        date_n = kv.second, has_date = true;
      else if (key == "off")
        off_n = kv.second, has_off = true;
      else if (key == "name")
        name_n = kv.second, has_name = true;
      else
        fail(source, kv.first.Mark(), at + "." + key, "unknown key (expected date, off, name)");
    }
    if (!has_date) fail(source, item.Mark(), at + ".date", "missing");
    if (!has_off) fail(source, item.Mark(), at + ".off", "missing");
    if (!has_name) fail(source, item.Mark(), at + ".name", "missing");

    const std::string date_text = date_n.IsScalar() ? date_n.Scalar() : "";
    const auto ymd = parse_date(date_text);
    if (!ymd)
      fail(source, date_n.Mark(), at + ".date", "not a date (YYYY-MM-DD): \"" + date_text + "\"");
    if (int(ymd->year()) != y)
      fail(source, date_n.Mark(), at + ".date", date_text + " is outside year " + std::to_string(y));
    const std::string off_text = off_n.IsScalar() ? off_n.Scalar() : "";
    if (!plain_scalar(off_n) || (off_text != "true" && off_text != "false"))
      fail(source, off_n.Mark(), at + ".off", "expected true or false, got \"" + off_text + "\"");
    if (!name_n.IsScalar() || name_n.Scalar().empty())
      fail(source, name_n.Mark(), at + ".name", "expected the holiday's name");

    const sys_days d{*ymd};
    const bool off = off_text == "true";
    if (!off && !is_weekend(d))
      fail(source, off_n.Mark(), at + ".off",
           "false marks a make-up working day (调休), but " + date_text + " is not a weekend day");
    if (!found.emplace(d, off).second)
      fail(source, date_n.Mark(), at + ".date", date_text + " is listed twice");
  }

  years_.insert(y);
  listed_.merge(found);
}

namespace {
// The year a calendar file's name carries (cn-YYYY.yaml), or 0.
int year_of_name(std::string_view path) {
  const auto name = path.substr(path.rfind('/') + 1);
  int named = 0;
  if (name.size() == 12 && name.starts_with("cn-") && name.ends_with(".yaml"))
    for (char ch : name.substr(3, 4)) named = (ch >= '0' && ch <= '9') ? named * 10 + (ch - '0') : -100000;
  return named > 0 ? named : 0;
}

std::shared_ptr<const WorkingDayCalendar> build(const std::vector<std::pair<std::string, std::string>>& files) {
  auto c = std::make_shared<WorkingDayCalendar>();
  for (const auto& [path, data] : files) {
    const int named = year_of_name(path);
    if (named <= 0) throw CalendarError(path + ":0: (file): name is not cn-YYYY.yaml");
    if (c->has_year(named)) throw CalendarError(path + ":0: year: loaded twice");
    c->load_year_yaml(data, path);
    if (!c->has_year(named)) throw CalendarError(path + ":0: year: differs from the file name's year");
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
  std::vector<std::pair<std::string, std::string>> files;
  for (auto& e : embedded_files()) {
    const int y = year_of_name(e.first);
    if (std::none_of(extra.begin(), extra.end(), [&](const auto& x) { return year_of_name(x.first) == y; }))
      files.push_back(std::move(e));
  }
  files.insert(files.end(), extra.begin(), extra.end());
  return build(files);
}

std::uint64_t WorkingDayCalendar::fingerprint() const {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  auto mix = [&](std::int64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= std::uint64_t(v >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  };
  for (int y : years_) mix(y);
  for (const auto& [d, off] : listed_) mix(d.time_since_epoch().count() * 2 + (off ? 1 : 0));
  return h;
}

CalendarStatus calendar_status(const WorkingDayCalendar& cal, Instant now, int warn_days) {
  CalendarStatus s;
  s.last_year = cal.last_year();
  const auto today = sys_days{shanghai_date(now)};
  const auto end = sys_days{year_month_day{year(s.last_year + 1), January, day(1)}};
  s.days_left = s.last_year == 0 ? 0 : int(std::max<std::int64_t>(0, (end - today).count()));
  s.warn = s.days_left <= warn_days;
  if (s.last_year == 0)
    s.message = "no working-day calendar is loaded: every working-day deadline is provisional (weekdays only)";
  else if (s.days_left == 0)
    s.message = "the last working-day calendar is " + std::to_string(s.last_year) +
                ": deadlines in later years are provisional (weekdays only) until ops/calendars/cn-" +
                std::to_string(s.last_year + 1) + ".yaml is added";
  else if (s.warn)
    s.message = "the working-day calendar ends with " + std::to_string(s.last_year) + " (" +
                std::to_string(s.days_left) + " days left): add ops/calendars/cn-" + std::to_string(s.last_year + 1) +
                ".yaml from the State Council's notice; deadlines reaching into " + std::to_string(s.last_year + 1) +
                " are provisional (weekdays only) until then, and are recomputed when it is loaded";
  return s;
}

bool WorkingDayCalendar::has_year(int y) const { return years_.contains(y); }

int WorkingDayCalendar::last_year() const { return years_.empty() ? 0 : *years_.rbegin(); }

bool WorkingDayCalendar::is_working_day(year_month_day d, bool* provisional) const {
  const sys_days day{d};
  if (!years_.contains(int(d.year()))) {
    if (provisional) *provisional = true;
    return !is_weekend(day);
  }
  if (auto it = listed_.find(day); it != listed_.end()) return !it->second;
  return !is_weekend(day);
}

Due WorkingDayCalendar::add_working_days(Instant opened, int n) const {
  if (n < 1) throw std::invalid_argument("add_working_days: n must be >= 1");
  Due due;
  // Civil Code art. 201: the opening day is not counted; counting starts the next day.
  sys_days d = sys_days{shanghai_date(opened)} + days{1};
  int counted = 0;
  for (;;) {
    const int left = n - counted;
    // Seven plain days (no listed holiday or make-up day) always hold exactly five working days, so
    // whole weeks are skipped while more than five remain (the last working day is never skipped).
    if (left > 5) {
      const auto next = listed_.lower_bound(d);
      if (next == listed_.end() || next->first >= d + days{7}) {
        if (!years_.contains(int(year_month_day{d}.year())) ||
            !years_.contains(int(year_month_day{d + days{6}}.year())))
          due.provisional = true;
        counted += 5;
        d += days{7};
        continue;
      }
    }
    if (is_working_day(year_month_day{d}, &due.provisional) && ++counted == n) break;
    d += days{1};
  }
  // Civil Code art. 203: the period ends at 24:00 of its last day, i.e. 00:00 of the next day.
  due.at = shanghai_midnight(year_month_day{d + days{1}});
  return due;
}

Due WorkingDayCalendar::add_working_hours(Instant opened, std::int64_t n_hours,
                                          const BusinessHours& bh) const {
  if (n_hours < 1) throw std::invalid_argument("add_working_hours: hours must be >= 1");
  minutes per_day{0};
  minutes prev_end{0};
  for (const auto& w : bh.windows) {
    if (w.start < prev_end || w.end <= w.start || w.end > hours(24))
      throw std::invalid_argument(
          "add_working_hours: business hours must be ascending windows within a day");
    per_day += w.end - w.start;
    prev_end = w.end;
  }
  if (per_day.count() == 0) throw std::invalid_argument("add_working_hours: no business hours");

  Due due;
  Millis left = hours(n_hours);
  const auto local = opened + kShanghaiOffset;
  sys_days d = floor<days>(local);
  Millis pos = local - d;  // time of day of the opening instant, Shanghai
  for (;; d += days{1}, pos = Millis{0}) {
    if (!is_working_day(year_month_day{d}, &due.provisional)) continue;
    for (const auto& w : bh.windows) {
      const Millis start = std::max<Millis>(pos, w.start);
      if (start >= w.end) continue;
      const Millis avail = Millis(w.end) - start;
      if (left <= avail) {
        due.at = shanghai_midnight(year_month_day{d}) + start + left;
        return due;
      }
      left -= avail;
    }
  }
}

}  // namespace assist
