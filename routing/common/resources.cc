#include "routing/common/resources.h"

namespace assist::resources {

std::optional<std::string_view> find(std::string_view path) {
  for (const auto& e : all())
    if (e.path == path) return e.data;
  return std::nullopt;
}

std::vector<Entry> under(std::string_view prefix) {
  std::vector<Entry> out;
  for (const auto& e : all())
    if (e.path.starts_with(prefix)) out.push_back(e);
  return out;
}

}  // namespace assist::resources
