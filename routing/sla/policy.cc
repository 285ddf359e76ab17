#include "routing/sla/policy.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>

namespace assist {

namespace {

// Label ids of reference/call-taxonomy.md ("Category", "Request type", "Urgency").
constexpr std::array<std::string_view, 5> kRequestTypes{"consult", "help", "complaint", "report",
                                                        "suggestion"};
constexpr std::array<std::string_view, 3> kUrgencies{"critical", "urgent", "normal"};
constexpr std::array<std::string_view, 12> kCategories{
    "minimum_living_allowance", "extreme_poverty_support", "temporary_assistance",
    "medical_assistance",       "education_assistance",    "housing_assistance",
    "employment_assistance",    "disaster_relief",         "care_services",
    "stranded_person",          "hardship_report",         "not_social_assistance"};

constexpr std::int64_t kMaxWorkingDays = 1000;
constexpr std::int64_t kMaxWorkingHours = 7000;

template <size_t N>
std::string joined(const std::array<std::string_view, N>& a) {
  std::string out;
  for (auto v : a) out += (out.empty() ? "" : ", ") + std::string(v);
  return out;
}

/// `at` is "sla.limits", "sla.limits[2]" or "sla.limits[2].urgency": thrown with its JSON pointer under
/// sla.limits ("", "/2", "/2/urgency").
[[noreturn]] void fail(const std::string& at, const std::string& what) {
  std::string pointer;
  for (std::size_t i = std::string("sla.limits").size(); i < at.size(); ++i) {
    const char c = at[i];
    if (c == '[' || c == '.') pointer += '/';
    else if (c != ']') pointer += c;
  }
  throw SlaError(at + ": " + what, pointer, what);
}

std::vector<std::string> selector(const nlohmann::json& v, const std::string& at) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_array() && !v.empty()) {
    for (const auto& e : v) {
      if (!e.is_string()) fail(at, "expected a string or a list of strings");
      out.push_back(e.get<std::string>());
    }
  } else {
    fail(at, "expected a string or a non-empty list of strings");
  }
  return out;
}

template <size_t N>
void check_ids(const std::vector<std::string>& values, const std::array<std::string_view, N>& valid,
               const std::string& at) {
  for (const auto& v : values)
    if (std::find(valid.begin(), valid.end(), v) == valid.end())
      fail(at, "unknown value \"" + v + "\" (" + joined(valid) + ")");
}

Duration duration(const nlohmann::json& item, const char* key, const std::string& at,
                  std::string& text) {
  if (!item.contains(key)) fail(at + "." + key, "missing");
  const auto& v = item.at(key);
  if (!v.is_string()) fail(at + "." + key, "expected a duration such as \"15m\", \"2h\" or \"10wd\"");
  text = v.get<std::string>();
  const auto d = parse_duration(text);
  if (!d)
    fail(at + "." + key,
         "bad duration \"" + text + "\" (a positive whole number and s, m, h, d, wd or wh)");
  // Day-by-day arithmetic: a limit beyond a few years of office time is a typo, not a policy.
  if ((d->unit == Duration::Unit::working_days && d->amount > kMaxWorkingDays) ||
      (d->unit == Duration::Unit::working_hours && d->amount > kMaxWorkingHours))
    fail(at + "." + key, "\"" + text + "\" is too long (at most " + std::to_string(kMaxWorkingDays) +
                             "wd or " + std::to_string(kMaxWorkingHours) + "wh)");
  return *d;
}

bool matches(const std::vector<std::string>& sel, const std::string& value) {
  return sel.empty() || std::find(sel.begin(), sel.end(), value) != sel.end();
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "|") + s;
  return out;
}

std::string text_of(const LimitRule& r, const std::string& first, const std::string& resolution) {
  std::string out;
  const std::pair<const char*, const std::vector<std::string>*> sels[] = {
      {"request_type", &r.request_types},
      {"urgency", &r.urgencies},
      {"category", &r.categories},
      {"region", &r.regions}};
  for (const auto& [name, values] : sels)
    if (!values->empty()) out += std::string(name) + "=" + join(*values) + " ";
  return out + "first_response=" + first + " resolution=" + resolution;
}

}  // namespace

std::string describe(const LimitRule& rule) {
  if (!rule.text.empty()) return rule.text;
  return text_of(rule, to_string(rule.first_response), to_string(rule.resolution));
}

std::vector<LimitRule> limits_from_json(const nlohmann::json& limits) {
  if (!limits.is_array()) fail("sla.limits", "expected a list of rules");
  if (limits.empty()) fail("sla.limits", "empty: at least one rule, the last matching everything");
  std::vector<LimitRule> out;
  for (size_t i = 0; i < limits.size(); ++i) {
    const std::string at = "sla.limits[" + std::to_string(i) + "]";
    const auto& item = limits[i];
    if (!item.is_object())
      fail(at,
           "expected an object {request_type?, urgency?, category?, region?, first_response, "
           "resolution}");
    LimitRule r;
    for (const auto& [key, value] : item.items()) {
      const std::string k = at + "." + key;
      if (key == "request_type") {
        r.request_types = selector(value, k);
        check_ids(r.request_types, kRequestTypes, k);
      } else if (key == "urgency") {
        r.urgencies = selector(value, k);
        check_ids(r.urgencies, kUrgencies, k);
      } else if (key == "category") {
        r.categories = selector(value, k);
        check_ids(r.categories, kCategories, k);
      } else if (key == "region") {
        r.regions = selector(value, k);
        for (const auto& p : r.regions)
          if (p.empty() || p.size() > 12 ||
              !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
            fail(k, "\"" + p + "\" is not a region-code prefix (1 to 12 digits)");
      } else if (key != "first_response" && key != "resolution") {
        fail(k, "unknown key (request_type, urgency, category, region, first_response, resolution)");
      }
    }
    std::string first_text, resolution_text;
    r.first_response = duration(item, "first_response", at, first_text);
    r.resolution = duration(item, "resolution", at, resolution_text);
    // the first response is part of resolving: in the same unit, it cannot come later (taxonomy time limits)
    if (r.first_response.unit == r.resolution.unit && r.first_response.amount > r.resolution.amount)
      fail(at + ".first_response", first_text + " is later than resolution " + resolution_text +
                                       ": the first response cannot be due after the resolution");
    r.text = text_of(r, first_text, resolution_text);
    out.push_back(std::move(r));
  }
  const auto& last = out.back();
  if (!last.request_types.empty() || !last.urgencies.empty() || !last.categories.empty() ||
      !last.regions.empty())
    fail("sla.limits[" + std::to_string(out.size() - 1) + "]",
         "the last rule must match everything (no request_type, urgency, category or region)");
  return out;
}

SlaPolicy::SlaPolicy(std::vector<LimitRule> limits, std::shared_ptr<const WorkingDayCalendar> calendar,
                     BusinessHoursTable hours)
    : limits_(std::move(limits)), calendar_(std::move(calendar)), hours_(std::move(hours)) {
  if (limits_.empty()) throw SlaError("sla.limits: empty");
  if (!calendar_) throw std::invalid_argument("SlaPolicy: no calendar");
  std::uint64_t h = calendar_->fingerprint();
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  };
  for (const auto& r : limits_) mix(describe(r));
  // The default hours as before regional hours existed (a stored version stays valid), then every other
  // entry and season.
  for (const auto& w : hours_.for_region("").windows)
    mix(std::to_string(w.start.count()) + "-" + std::to_string(w.end.count()));
  for (const auto& [prefix, h] : hours_.entries())
    if (!prefix.empty() || !h.seasons.empty()) mix("hours " + prefix + ": " + h.describe());
  char buf[32];
  std::snprintf(buf, sizeof buf, "p-%012llx", static_cast<unsigned long long>(h & 0xffffffffffffull));
  version_ = buf;
}

Instant SlaPolicy::add(Instant from, const Duration& d, bool* provisional, std::string_view region_code) const {
  Due r;
  switch (d.unit) {
    case Duration::Unit::wall:
      return from + std::chrono::seconds(d.amount);
    case Duration::Unit::working_days:
      // A deadline at 24:00 of day D (the instant 00:00 of D+1) extended by n working days ends at 24:00
      // of the n-th working day after D: count from the last millisecond of D.
      r = calendar_->add_working_days(from - Millis(1), int(std::min<std::int64_t>(d.amount, kMaxWorkingDays)),
                                      region_code);
      break;
    case Duration::Unit::working_hours:
      r = calendar_->add_working_hours(from, d.amount, hours_.for_region(region_code), region_code);
      break;
  }
  if (provisional && r.provisional) *provisional = true;
  return r.at;
}

Deadlines SlaPolicy::compute(Instant opened, const std::string& category,
                             const std::string& request_type, const std::string& urgency,
                             const std::string& region_code) const {
  for (size_t i = 0; i < limits_.size(); ++i) {
    const auto& r = limits_[i];
    const bool region_ok = r.regions.empty() ||
                           std::any_of(r.regions.begin(), r.regions.end(),
                                       [&](const std::string& p) { return region_code.starts_with(p); });
    if (!matches(r.request_types, request_type) || !matches(r.urgencies, urgency) ||
        !matches(r.categories, category) || !region_ok)
      continue;
    Deadlines out;
    out.policy_version = version_;
    out.rule_index = int(i);
    out.rule = describe(r);
    auto due = [&](const Duration& d) -> Instant {
      switch (d.unit) {
        case Duration::Unit::wall:
          return opened + std::chrono::seconds(d.amount);
        case Duration::Unit::working_days: {
          const auto res = calendar_->add_working_days(
              opened, int(std::min<std::int64_t>(d.amount, kMaxWorkingDays)), region_code);
          out.provisional = out.provisional || res.provisional;
          return res.at;
        }
        case Duration::Unit::working_hours: {
          const auto res =
              calendar_->add_working_hours(opened, d.amount, hours_.for_region(region_code), region_code);
          out.business_hours = hours_.describe_for(region_code);
          out.provisional = out.provisional || res.provisional;
          return res.at;
        }
      }
      return opened;
    };
    out.first_response_due = due(r.first_response);
    out.resolution_due = due(r.resolution);
    return out;
  }
  throw SlaError("no SLA limit matches category=" + category + " request_type=" + request_type +
                 " urgency=" + urgency + " region=" + region_code);
}

}  // namespace assist
