#pragma once
// Inner Mongolia's statistical division codes and names (ops/regions/nei-mongol.csv, compiled in):
// 盟市 4 digits, 旗县区 6, 苏木乡镇/街道 9, 嘎查村/社区 12. Messages and the API name places in full.
#include <string>
#include <unordered_map>

namespace assist {

class Regions {
 public:
  /// The built-in table. Thread-safe after first use.
  static const Regions& builtin();

  /// "呼和浩特市 新城区 海拉尔东路街道" for 150102001 (and its 12-digit villages, whose own name follows
  /// as the code until the village table is loaded). "" when not even the league is known.
  std::string full_name(const std::string& code) const;
  /// True when the code's own level is in the table (4, 6 or 9 digits), or a 12-digit code whose
  /// township is.
  bool known(const std::string& code) const;

 private:
  std::unordered_map<std::string, std::string> names_;
};

}  // namespace assist
