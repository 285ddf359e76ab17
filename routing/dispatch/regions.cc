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
      out.names_.emplace(std::string(line.substr(0, c1)), std::string(line.substr(c2 + 1)));
    }
    return out;
  }();
  return r;
}

std::string Regions::full_name(const std::string& code) const {
  std::string out;
  for (size_t n : {4u, 6u, 9u}) {
    if (code.size() < n) break;
    auto it = names_.find(code.substr(0, n));
    if (it == names_.end()) break;
    out += (out.empty() ? "" : " ") + it->second;
  }
  if (!out.empty() && code.size() == 12) out += " (" + code + ")";
  return out;
}

bool Regions::known(const std::string& code) const {
  if (code.size() == 12) return names_.count(code.substr(0, 9)) > 0;
  return names_.count(code) > 0;
}

}  // namespace assist
