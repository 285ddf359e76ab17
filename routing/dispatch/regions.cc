#include "routing/dispatch/regions.h"

#include "routing/common/resources.h"

namespace assist {

const Regions& Regions::builtin() {
  static const Regions r = [] {
    Regions out;
    const auto data = resources::find("ops/regions/nei-mongol.csv").value_or("");
    size_t pos = 0;
    while (pos < data.size()) {
      size_t end = data.find('\n', pos);
      if (end == std::string_view::npos) end = data.size();
      const auto line = data.substr(pos, end - pos);
      pos = end + 1;
      if (line.empty() || line[0] == '#' || line.starts_with("code,")) continue;
      const auto c1 = line.find(',');
      const auto c2 = line.find(',', c1 + 1);
      if (c1 == std::string_view::npos || c2 == std::string_view::npos) continue;
      out.by_code_.emplace(std::string(line.substr(0, c1)), out.regions_.size());
      out.regions_.push_back({std::string(line.substr(0, c1)), std::string(line.substr(c1 + 1, c2 - c1 - 1)),
                              std::string(line.substr(c2 + 1))});
    }
    return out;
  }();
  return r;
}

const Region* Regions::find(const std::string& code) const {
  auto it = by_code_.find(code);
  return it == by_code_.end() ? nullptr : &regions_[it->second];
}

std::string Regions::full_name(const std::string& code) const {
  std::string out;
  for (size_t n : {4u, 6u, 9u, 12u}) {
    if (code.size() < n) break;
    if (const Region* r = find(code.substr(0, n))) out += (out.empty() ? "" : " ") + r->name;
  }
  // a code the table does not hold (a new village, a township's "000" code) is named as far as it is known
  if (!out.empty() && !known(code)) out += "（" + code + "）";
  return out;
}

bool Regions::under_unit(const std::string& code) const {
  if (code.size() < 9) return false;
  const Region* r = find(code.substr(0, 9));
  return r && r->level == "unit";
}

std::vector<RegionMatch> Regions::search(const std::string& text, size_t limit) const {
  std::vector<RegionMatch> out;
  if (text.empty()) return out;
  for (const auto& r : regions_) {
    if (out.size() >= limit) break;
    if (r.name.find(text) != std::string::npos || r.code.starts_with(text))
      out.push_back({r.code, r.level, r.name, full_name(r.code)});
  }
  return out;
}

}  // namespace assist
