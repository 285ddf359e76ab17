#include "routing/sla/business_hours.h"

#include <algorithm>
#include <cstdio>

namespace assist {
using namespace std::chrono;

namespace {

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string hhmm(minutes m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", int(m.count() / 60), int(m.count() % 60));
  return buf;
}

std::string month_day(unsigned m, unsigned d) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02u-%02u", m, d);
  return buf;
}

std::string windows_text(const std::vector<BusinessHours::Window>& ws) {
  std::string out;
  for (const auto& w : ws) {
    if (!out.empty()) out += ' ';
    out += hhmm(w.start);
    out += '-';
    out += hhmm(w.end);
  }
  return out;
}

void check_windows(const std::vector<BusinessHours::Window>& ws, const std::string& what) {
  if (ws.empty()) throw std::invalid_argument(what + ": no office hours (at least one window)");
  minutes prev_end{0};
  for (size_t i = 0; i < ws.size(); ++i) {
    const auto& w = ws[i];
    if (w.start < minutes(0) || w.end > hours(24) || w.end <= w.start)
      throw std::invalid_argument(what + ": window " + std::to_string(i) + " must start before it ends, within 00:00-24:00");
    if (i > 0 && w.start < prev_end)
      throw std::invalid_argument(what + ": windows must ascend without overlapping (" + hhmm(w.start) +
                                  " starts before " + hhmm(prev_end) + ")");
    prev_end = w.end;
  }
}

// "HH:MM" (00:00-23:59, or 24:00 when `end`) -> minutes, else -1.
int clock_minutes(std::string_view s, bool end) {
  if (s.size() != 5 || s[2] != ':' || !all_digits(s.substr(0, 2)) || !all_digits(s.substr(3))) return -1;
  const int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && (m != 0 || !end))) return -1;
  return h * 60 + m;
}

[[noreturn]] void fail(const std::string& pointer, const std::string& what) { throw BusinessHoursError(pointer, what); }

std::vector<BusinessHours::Window> parse_windows(const nlohmann::json& v, const std::string& ptr) {
  if (!v.is_array() || v.empty())
    fail(ptr, "expected a non-empty list of windows such as [\"08:30-12:00\", \"14:30-18:00\"]");
  std::vector<BusinessHours::Window> out;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string at = ptr + "/" + std::to_string(i);
    const std::string text = v[i].is_string() ? v[i].get<std::string>() : v[i].dump();
    const auto dash = text.find('-');
    const int start = dash == std::string::npos ? -1 : clock_minutes(std::string_view(text).substr(0, dash), false);
    const int end = dash == std::string::npos ? -1 : clock_minutes(std::string_view(text).substr(dash + 1), true);
    if (!v[i].is_string() || start < 0 || end < 0)
      fail(at, "expected a window HH:MM-HH:MM such as \"08:30-12:00\", got " + text);
    if (end <= start) fail(at, "the window " + text + " ends before it starts");
    if (!out.empty() && minutes(start) < out.back().end)
      fail(at, "the window " + text + " starts before the previous one ends (windows ascend, no overlap)");
    out.push_back({minutes(start), minutes(end)});
  }
  return out;
}

// "MM-DD" of any year (02-29 allowed) -> {month, day}; throws at `ptr` otherwise.
std::pair<unsigned, unsigned> parse_month_day(const nlohmann::json& v, const std::string& ptr) {
  const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
  if (v.is_string() && text.size() == 5 && text[2] == '-' && all_digits(text.substr(0, 2)) && all_digits(text.substr(3))) {
    const unsigned m = unsigned(std::stoi(text.substr(0, 2))), d = unsigned(std::stoi(text.substr(3)));
    if (year_month_day{year(2024), month(m), day(d)}.ok()) return {m, d};  // 2024: a leap year, so 02-29 is a day
  }
  fail(ptr, "expected a month and day MM-DD such as \"05-01\", got " + text);
}

}  // namespace

const std::vector<BusinessHours::Window>& BusinessHours::on(year_month_day d) const {
  const unsigned md = unsigned(d.month()) * 100 + unsigned(d.day());
  for (const auto& s : seasons) {
    const unsigned from = s.from_month * 100 + s.from_day, to = s.to_month * 100 + s.to_day;
    if (from <= to ? (md >= from && md <= to) : (md >= from || md <= to)) return s.windows;
  }
  return windows;
}

void BusinessHours::validate() const {
  check_windows(windows, "business hours");
  for (const auto& s : seasons) check_windows(s.windows, "business hours, season " + s.name);
}

std::string BusinessHours::describe() const {
  std::string out = windows_text(windows);
  for (const auto& s : seasons)
    out += "; " + (s.name.empty() ? std::string() : s.name + " ") + month_day(s.from_month, s.from_day) + ".." +
           month_day(s.to_month, s.to_day) + " " + windows_text(s.windows);
  return out;
}

BusinessHoursTable::BusinessHoursTable() { by_prefix_[""] = BusinessHours{}; }

BusinessHoursTable::BusinessHoursTable(BusinessHours hours) {
  hours.validate();
  by_prefix_[""] = std::move(hours);
}

void BusinessHoursTable::set(const std::string& prefix, BusinessHours hours) {
  if (!prefix.empty() && (prefix.size() < 2 || prefix.size() > 12 || !all_digits(prefix)))
    throw std::invalid_argument("\"" + prefix + "\" is not a division-code prefix (2 to 12 digits)");
  hours.validate();
  by_prefix_[prefix] = std::move(hours);
}

const BusinessHours& BusinessHoursTable::for_region(std::string_view code, std::string* prefix) const {
  // at most 12 lookups, longest first: a township's own hours win over its county's, its league's
  for (size_t n = std::min<size_t>(code.size(), 12); n >= 2; --n)
    if (auto it = by_prefix_.find(std::string(code.substr(0, n))); it != by_prefix_.end()) {
      if (prefix) *prefix = it->first;
      return it->second;
    }
  if (prefix) prefix->clear();
  return by_prefix_.at("");
}

std::string BusinessHoursTable::describe_for(std::string_view code) const {
  std::string prefix;
  const auto& h = for_region(code, &prefix);
  return prefix.empty() ? h.describe() : prefix + ": " + h.describe();
}

BusinessHoursTable business_hours_from_json(const nlohmann::json& section) {
  BusinessHoursTable table;
  if (section.is_null()) return table;
  if (!section.is_object())
    fail("", "expected a map from \"default\" or a division-code prefix to {hours: [\"08:30-12:00\", ...]}");
  for (const auto& [key, value] : section.items()) {
    const std::string ptr = "/" + key;
    if (key != "default" && (key.size() < 2 || key.size() > 12 || !all_digits(key)))
      fail(ptr, "\"" + key + "\" is neither default nor a division-code prefix (2 to 12 digits)");
    if (!value.is_object() || !value.contains("hours"))
      fail(ptr, "expected {hours: [\"HH:MM-HH:MM\", ...], seasons?: [...]}");
    BusinessHours h;
    for (const auto& [k, v] : value.items())
      if (k != "hours" && k != "seasons") fail(ptr + "/" + k, "unknown key '" + k + "' (hours, seasons)");
    h.windows = parse_windows(value["hours"], ptr + "/hours");
    if (value.contains("seasons")) {
      const auto& ss = value["seasons"];
      if (!ss.is_array()) fail(ptr + "/seasons", "expected a list of {name, from: MM-DD, to: MM-DD, hours}");
      for (size_t i = 0; i < ss.size(); ++i) {
        const std::string at = ptr + "/seasons/" + std::to_string(i);
        const auto& s = ss[i];
        if (!s.is_object()) fail(at, "expected {name, from: MM-DD, to: MM-DD, hours}");
        for (const auto& [k, v] : s.items())
          if (k != "name" && k != "from" && k != "to" && k != "hours")
            fail(at + "/" + k, "unknown key '" + k + "' (name, from, to, hours)");
        for (const char* k : {"from", "to", "hours"})
          if (!s.contains(k)) fail(at, std::string("missing ") + k);
        BusinessHours::Season season;
        if (s.contains("name")) {
          if (!s["name"].is_string()) fail(at + "/name", "expected a name such as \"summer\"");
          season.name = s["name"];
        }
        std::tie(season.from_month, season.from_day) = parse_month_day(s["from"], at + "/from");
        std::tie(season.to_month, season.to_day) = parse_month_day(s["to"], at + "/to");
        season.windows = parse_windows(s["hours"], at + "/hours");
        h.seasons.push_back(std::move(season));
      }
    }
    table.set(key == "default" ? "" : key, std::move(h));
  }
  return table;
}

}  // namespace assist
