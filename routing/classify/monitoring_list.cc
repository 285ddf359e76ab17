// The low-income monitoring list as keyed hashes (see monitoring_list.h).
#include "routing/classify/monitoring_list.h"

#include "routing/common/mask.h"

#include "routing/common/hmac.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>

namespace assist {

std::string MonitoringList::normalize_number(std::string_view number) { return assist::normalize_number(number); }

std::string MonitoringList::hash(std::string_view key, std::string_view number) {
  const std::string n = normalize_number(number);
  if (n.empty()) return "";
  return hmac_sha256_hex(key, n);
}

std::shared_ptr<const MonitoringList> MonitoringList::parse(std::string_view text, std::string key,
                                                           std::string_view source) {
  const std::string src(source);
  if (key.empty())
    throw MonitoringListError(src + ":0: classify.hmac_key is empty: a monitoring list needs the key its hashes were made with");
  auto list = std::make_shared<MonitoringList>();
  list->key_ = std::move(key);
  list->source_ = src;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (auto hash_mark = line.find('#'); hash_mark != std::string_view::npos) line = line.substr(0, hash_mark);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) continue;
    bool ok = line.size() == 64;
    std::string h;
    for (char c : line) {
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
      ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
      h += c;
    }
    if (!ok) {
      const bool looks_clear = !line.empty() && line.size() <= 20 &&
                               line.find_first_not_of("0123456789+- ") == std::string_view::npos;
      throw MonitoringListError(src + ":" + std::to_string(line_no) + ": " +
                                (looks_clear ? "looks like a phone number in clear: the list holds only HMAC-SHA256 "
                                               "hashes (make it with `assistctl hash-numbers`)"
                                             : "expected 64 hex digits (an HMAC-SHA256), got " +
                                                   std::to_string(line.size()) + " characters"));
    }
    list->hashes_.insert(std::move(h));
  }
  return list;
}

std::shared_ptr<const MonitoringList> MonitoringList::load(const std::string& path, std::string key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MonitoringListError(path + ":0: cannot read the monitoring list (classify.monitoring_list)");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), std::move(key), path);
}

bool MonitoringList::contains(std::string_view caller) const {
  if (hashes_.empty()) return false;
  const std::string h = hash(key_, caller);
  return !h.empty() && hashes_.count(h) > 0;
}

}  // namespace assist
