#pragma once
// Inner Mongolia's statistical division codes and names (ops/regions/nei-mongol.csv, compiled in):
// 盟市 4 digits, 旗县区 6, 苏木乡镇/街道 9, 嘎查村/社区 12. Messages and the API name places in full
// ("呼和浩特市 新城区 海拉尔东路街道 公主府社区"). Farms, forest farms, parks and development zones have
// 9-digit codes but are not townships (level "unit"): their county acts for them unless the directory
// gives them an office of their own.
#include <string>
#include <unordered_map>
#include <vector>

namespace assist {

struct Region {
  std::string code;
  std::string level;  ///< league | county | township | unit | village
  std::string name;   ///< the region's own name ("公主府社区")
};

/// A search hit: the region and its place in full.
struct RegionMatch {
  std::string code, level, name, full_name;
};

class Regions {
 public:
  /// The built-in table. Thread-safe after first use.
  static const Regions& builtin();

  /// The place in full, from the league down to the code's own level, space-separated
  /// ("呼和浩特市 新城区 海拉尔东路街道 公主府社区"); a code the table does not hold is named as far as its
  /// prefixes are known, with the code after ("呼和浩特市 新城区 海拉尔东路街道（150102001999）"); "" when
  /// not even its league is known.
  std::string full_name(const std::string& code) const;
  /// True when the code itself is in the table (an unknown code is refused at confirm).
  bool known(const std::string& code) const { return by_code_.count(code) > 0; }
  /// The entry for a code, or nullptr.
  const Region* find(const std::string& code) const;
  /// True when the code's 9-digit prefix is a unit that is not a township (farm, park, zone).
  bool under_unit(const std::string& code) const;
  /// Up to `limit` places whose own name contains `text` or whose code starts with it, in code order:
  /// for the agent's place picker. An empty text finds nothing.
  std::vector<RegionMatch> search(const std::string& text, size_t limit = 20) const;
  size_t size() const { return by_code_.size(); }

 private:
  std::vector<Region> regions_;
  std::unordered_map<std::string, size_t> by_code_;
};

}  // namespace assist
