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

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

/// From a digit at `i`: the end of a phone number written in groups ("138-1234-5678", "0471 6912345",
/// "86 138 1234 5678": digits split by single '-' or ' '), or `i` when what starts there is no such number.
/// Only a mobile number (after an optional 86 or 0086) or a landline with its trunk 0 counts, so that a
/// date (2026-11-30) or a ticket id's digits (20261130-000001) are never taken for one.
size_t grouped_number_end(std::string_view text, size_t i) {
  std::string d;
  size_t j = i, groups = 0, end = i;
  while (j < text.size() && digit(text[j])) {
    while (j < text.size() && digit(text[j])) d.push_back(text[j++]);
    ++groups;
    end = j;
    if (j + 1 < text.size() && (text[j] == '-' || text[j] == ' ') && digit(text[j + 1])) ++j;
    else break;
    if (d.size() > 16) return i;
  }
  if (groups < 2) return i;
  std::string_view n(d);
  if (n.starts_with("0086")) n.remove_prefix(4);
  else if (n.starts_with("86") && n.size() == 13) n.remove_prefix(2);
  const bool mobile = n.size() == 11 && n[0] == '1' && n[1] >= '3' && n[1] <= '9';
  const bool landline = n.size() >= 10 && n.size() <= 12 && n[0] == '0' && n[1] != '0';
  return mobile || landline ? end : i;
}

}  // namespace

std::string mask_numbers_in_text(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] >= '0' && text[i] <= '9') {
      if (const size_t g = grouped_number_end(text, i); g != i) {
        out += mask_number(text.substr(i, g - i));
        i = g;
        continue;
      }
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
