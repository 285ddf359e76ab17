#include "routing/sla/calendar.h"

#include <algorithm>
#include <stdexcept>

#include "routing/common/time_format.h"

namespace assist {
using namespace std::chrono;

namespace {

bool is_weekend(sys_days d) {
  const weekday wd{d};
  return wd == Saturday || wd == Sunday;
}

}  // namespace

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
  // regional days off only when there are any, so that a policy version stored before they existed holds
  for (const auto& [prefix, days_off] : regional_) {
    mix(-1);
    for (char c : prefix) mix(c);
    for (const auto& d : days_off) mix(d.time_since_epoch().count());
  }
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

bool WorkingDayCalendar::RegionalView::off(sys_days d) const {
  return std::any_of(sets.begin(), sets.end(), [&](const auto* s) { return s->contains(d); });
}

bool WorkingDayCalendar::RegionalView::any_in(sys_days from, sys_days to) const {
  return std::any_of(sets.begin(), sets.end(), [&](const auto* s) {
    const auto it = s->lower_bound(from);
    return it != s->end() && *it < to;
  });
}

WorkingDayCalendar::RegionalView WorkingDayCalendar::regional_view(std::string_view region) const {
  RegionalView v;
  if (regional_.empty()) return v;
  for (size_t n = 2; n <= std::min<size_t>(region.size(), 12); ++n)
    if (auto it = regional_.find(std::string(region.substr(0, n))); it != regional_.end()) v.sets.push_back(&it->second);
  return v;
}

bool WorkingDayCalendar::working(sys_days day, const RegionalView& rv, bool* provisional) const {
  const year_month_day d{day};
  if (rv.off(day)) {
    if (provisional && !years_.contains(int(d.year()))) *provisional = true;
    return false;
  }
  if (!years_.contains(int(d.year()))) {
    if (provisional) *provisional = true;
    return !is_weekend(day);
  }
  if (auto it = listed_.find(day); it != listed_.end()) return !it->second;
  return !is_weekend(day);
}

bool WorkingDayCalendar::is_working_day(year_month_day d, bool* provisional, std::string_view region) const {
  return working(sys_days{d}, regional_view(region), provisional);
}

std::map<sys_days, std::string> WorkingDayCalendar::regional_days_off(std::string_view region) const {
  std::map<sys_days, std::string> out;
  for (size_t n = 2; n <= std::min<size_t>(region.size(), 12); ++n) {
    const std::string prefix(region.substr(0, n));
    for (auto it = regional_names_.lower_bound({prefix, sys_days::min()});
         it != regional_names_.end() && it->first.first == prefix; ++it)
      out.emplace(it->first.second, prefix + " " + it->second);
  }
  return out;
}

std::size_t WorkingDayCalendar::regional_count() const { return regional_names_.size(); }

Due WorkingDayCalendar::add_working_days(Instant opened, int n, std::string_view region) const {
  if (n < 1) throw std::invalid_argument("add_working_days: n must be >= 1");
  const RegionalView rv = regional_view(region);
  Due due;
  // Civil Code art. 201: the opening day is not counted; counting starts the next day.
  sys_days d = sys_days{shanghai_date(opened)} + days{1};
  int counted = 0;
  for (;;) {
    const int left = n - counted;
    // Seven plain days (no listed holiday or make-up day, no regional day off) always hold exactly five
    // working days, so whole weeks are skipped while more than five remain (the last working day is
    // never skipped).
    if (left > 5) {
      const auto next = listed_.lower_bound(d);
      if ((next == listed_.end() || next->first >= d + days{7}) && !rv.any_in(d, d + days{7})) {
        if (!years_.contains(int(year_month_day{d}.year())) ||
            !years_.contains(int(year_month_day{d + days{6}}.year())))
          due.provisional = true;
        counted += 5;
        d += days{7};
        continue;
      }
    }
    if (working(d, rv, &due.provisional) && ++counted == n) break;
    d += days{1};
  }
  // Civil Code art. 203: the period ends at 24:00 of its last day, i.e. 00:00 of the next day.
  due.at = shanghai_midnight(year_month_day{d + days{1}});
  return due;
}

Due WorkingDayCalendar::add_working_hours(Instant opened, std::int64_t n_hours, const BusinessHours& bh,
                                          std::string_view region) const {
  if (n_hours < 1) throw std::invalid_argument("add_working_hours: hours must be >= 1");
  bh.validate();  // every list of windows non-empty, ascending: the walk below always ends
  const RegionalView rv = regional_view(region);

  Due due;
  Millis left = hours(n_hours);
  const auto local = opened + kShanghaiOffset;
  sys_days d = floor<days>(local);
  Millis pos = local - d;  // time of day of the opening instant, Shanghai
  for (;; d += days{1}, pos = Millis{0}) {
    if (!working(d, rv, &due.provisional)) continue;
    for (const auto& w : bh.on(year_month_day{d})) {  // the season's hours on that day
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
