#pragma once
// The low-income monitoring list (低收入人口动态监测: dibao and tekun households, severely disabled people,
// elderly living alone) as an operator loads it: caller numbers only as keyed hashes, never in clear.
// File: one lowercase hex HMAC-SHA256(key, normalized number) a line; '#' starts a comment; blank lines
// are skipped. The key is `classify.hmac_key` in the config; `assistctl hash-numbers` writes such a file.
// A caller on the list gets the `monitored_household` priority flag, never a different urgency.
#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>

namespace assist {

/// A list file that cannot be used; what() names the file and line ("list.txt:3: ...").
class MonitoringListError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class MonitoringList {
 public:
  /// assist::normalize_number (routing/common/mask.h): the same number the call path keys callers by.
  static std::string normalize_number(std::string_view number);
  /// Lowercase hex HMAC-SHA256(key, normalize_number(number)); "" for a number without digits.
  static std::string hash(std::string_view key, std::string_view number);

  /// Parses a list file's text; `source` names it in errors. Throws MonitoringListError (a bad line, an empty key).
  static std::shared_ptr<const MonitoringList> parse(std::string_view text, std::string key, std::string_view source);
  /// Reads and parses `path`. Throws MonitoringListError.
  static std::shared_ptr<const MonitoringList> load(const std::string& path, std::string key);

  /// True when the caller's number is on the list (one HMAC, one lookup).
  bool contains(std::string_view caller) const;
  size_t size() const { return hashes_.size(); }
  const std::string& source() const { return source_; }

 private:
  std::string key_, source_;
  std::unordered_set<std::string> hashes_;  // hex digests
};

}  // namespace assist
