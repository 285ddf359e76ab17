#pragma once
// Built-in defaults compiled into the binaries (cmake/embed.cmake) from their sources under ops/ and
// schemas/, so that assistlined and assistctl run from any folder without reading the source tree.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace assist::resources {

/// One embedded file: its path relative to the project root (e.g. "ops/rules/default.yaml") and bytes.
struct Entry {
  std::string_view path;
  std::string_view data;
};

/// Every embedded file, sorted by path.
const std::vector<Entry>& all();

/// The bytes of the embedded file at `path`, or nullopt when there is none.
std::optional<std::string_view> find(std::string_view path);

/// The entries whose path starts with `prefix` (e.g. "ops/calendars/"), sorted by path.
std::vector<Entry> under(std::string_view prefix);

}  // namespace assist::resources
