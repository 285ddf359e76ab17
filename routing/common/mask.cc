#include "routing/common/mask.h"

#include <algorithm>

namespace assist {

std::string mask_number(std::string_view number) {
  std::string d;
  for (char c : number)
    if (c >= '0' && c <= '9') d.push_back(c);
  if (d.empty()) return number.empty() ? "" : "***";
  const size_t n = d.size();
  if (n < 7) return std::string(n > 2 ? n - 2 : 0, '*') + d.substr(n > 2 ? n - 2 : 0);
  // Mobile numbers keep 3 digits of prefix; a landline keeps its 4-digit area code (0471...). At least
  // three digits stay hidden whatever the length, and the stars never tell how many.
  size_t prefix = (d[0] == '0' && d.size() >= 2 && d[1] >= '3') ? 4 : 3;
  prefix = std::min(prefix, n - 7);
  return d.substr(0, prefix) + "****" + d.substr(n - 4);
}

std::string mask_numbers_in_text(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] >= '0' && text[i] <= '9') {
      size_t j = i;
      while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
      const auto run = text.substr(i, j - i);
      out += run.size() >= 7 ? mask_number(run) : std::string(run);
      i = j;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

namespace {
bool mobile(std::string_view d) { return d.size() == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'; }
}  // namespace

std::string normalize_number(std::string_view number) {
  std::string d;
  bool plus = false;
  for (char c : number) {
    if (c >= '0' && c <= '9') {
      d += c;
    } else if (c == '+' && d.empty() && !plus) {
      plus = true;
    } else if (c != '-' && c != '.' && c != ' ' && c != '(' && c != ')') {
      return "";  // a letter or anything else: a name ("alice", "room1", "anonymous"), not a number
    }
  }
  if (d.size() < 3) return "";
  if (plus || d.starts_with("00")) {  // international form: +86 / 0086 is this country
    std::string_view rest(d);
    rest.remove_prefix(plus ? 0 : 2);
    if (!rest.starts_with("86")) return "00" + std::string(rest);  // another country's number
    rest.remove_prefix(2);
    if (mobile(rest) || rest.starts_with("0")) return std::string(rest);
    return "0" + std::string(rest);  // a landline: the area code with its trunk 0 (+86 471 ... is 0471 ...)
  }
  if (d.size() == 13 && d.starts_with("86") && mobile(std::string_view(d).substr(2))) return d.substr(2);
  if (d.size() == 12 && d[0] == '0' && mobile(std::string_view(d).substr(1))) return d.substr(1);  // 0 before a mobile
  return d;
}

}  // namespace assist
