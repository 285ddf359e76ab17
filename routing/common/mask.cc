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

std::string normalize_number(std::string_view number) {
  std::string d;
  for (char c : number)
    if (c >= '0' && c <= '9') d += c;
  for (std::string_view p : {"0086", "86"})
    if (d.size() == 11 + p.size() && d.starts_with(p) && d[p.size()] == '1') return d.substr(p.size());
  return d;
}

}  // namespace assist
