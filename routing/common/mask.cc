#include "routing/common/mask.h"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

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

/// The digit at `i` (ASCII; full-width, Arabic-Indic, Devanagari or Mongolian; percent-encoded; a Chinese
/// numeral or a circled digit): its value and byte length.
bool digit_at(std::string_view t, size_t i, char& value, size_t& len) {
  if (i < t.size() && t[i] >= '0' && t[i] <= '9') {
    value = t[i];
    len = 1;
    return true;
  }
  // a digit percent-encoded in a Call-ID (%31 is 1)
  if (i + 2 < t.size() && t[i] == '%' && t[i + 1] == '3' && t[i + 2] >= '0' && t[i + 2] <= '9') {
    value = t[i + 2];
    len = 3;
    return true;
  }
  // the other scripts' digits 0-9, each a run of code points: its UTF-8 prefix and the last byte of its 0
  struct Run {
    std::string_view prefix;
    unsigned char zero;
  };
  static constexpr Run kRuns[] = {
      {"\xEF\xBC", 0x90},  // full-width ０-９ U+FF10, as an input method writes it
      {"\xD9", 0xA0},       // Arabic-Indic U+0660
      {"\xE0\xA5", 0xA6},  // Devanagari U+0966
      {"\xE1\xA0", 0x90},  // Mongolian U+1810: the line serves Mongolian callers
  };
  for (const auto& r : kRuns) {
    const size_t at = i + r.prefix.size();
    if (at < t.size() && t.substr(i, r.prefix.size()) == r.prefix) {
      const auto last = static_cast<unsigned char>(t[at]);
      if (last >= r.zero && last <= r.zero + 9) {
        value = static_cast<char>('0' + (last - r.zero));
        len = r.prefix.size() + 1;
        return true;
      }
    }
  }
  // a number read out and transcribed in Chinese numerals: 一三八… or 幺三八… (幺 and 两 as a caller says them),
  // the financial forms (壹叁捌…) and circled digits (①③⑧…)
  static constexpr std::pair<std::string_view, char> kNumerals[] = {
      {"〇", '0'}, {"零", '0'}, {"一", '1'}, {"幺", '1'}, {"二", '2'}, {"两", '2'}, {"三", '3'},
      {"四", '4'}, {"五", '5'}, {"六", '6'}, {"七", '7'}, {"八", '8'}, {"九", '9'},
      {"壹", '1'}, {"贰", '2'}, {"叁", '3'}, {"肆", '4'}, {"伍", '5'}, {"陆", '6'}, {"柒", '7'}, {"捌", '8'}, {"玖", '9'},
      {"⓪", '0'}, {"①", '1'}, {"②", '2'}, {"③", '3'}, {"④", '4'}, {"⑤", '5'}, {"⑥", '6'}, {"⑦", '7'}, {"⑧", '8'},
      {"⑨", '9'}};
  if (i < t.size() && static_cast<unsigned char>(t[i]) >= 0xE2)
    for (const auto& [numeral, v] : kNumerals)
      if (t.substr(i, numeral.size()) == numeral) {
        value = v;
        len = numeral.size();
        return true;
      }
  return false;
}

/// A separator people write inside a phone number at `i`: its byte length, or 0.
size_t separator_at(std::string_view t, size_t i) {
  // every character RFC 3261 allows in a Call-ID but letters, digits and @ (a number hidden in one must not
  // pass for groups of six), and the white space of a transcript
  static constexpr std::string_view kAscii = "-. _,/~:*+()|#'`!\"<>?[]{}\\=;%^&$\t\r\n";
  if (i >= t.size()) return 0;
  // a separator percent-encoded in a Call-ID (%2D, %20, %2e...): the character it stands for decides
  const auto hex = [](char h) { return std::isxdigit(static_cast<unsigned char>(h)) != 0; };
  if (t[i] == '%' && i + 2 < t.size() && hex(t[i + 1]) && hex(t[i + 2])) {
    const char decoded = static_cast<char>(std::stoi(std::string(t.substr(i + 1, 2)), nullptr, 16));
    if (decoded != '%' && decoded != '@' && kAscii.find(decoded) != std::string_view::npos) return 3;
  }
  if (kAscii.find(t[i]) != std::string_view::npos) return 1;
  // ， U+FF0C, － U+FF0D, ． U+FF0E, 　 U+3000, 、 U+3001, 。 U+3002, ‐ ‑ ‒ – — ― U+2010-U+2015, · U+00B7,
  // no-break space U+00A0, ～ U+FF5E, 〜 U+301C, ‘ ’ U+2018/2019, ＇ U+FF07, − U+2212, ・ U+30FB, • U+2022,
  // ‧ U+2027, figure/thin/narrow spaces U+2007/2009/202F, zero-width space U+200B, （ ） U+FF08/09, ﹣ U+FE63,
  // ､ U+FF64, ： U+FF1A, ； U+FF1B
  for (std::string_view w : {"\xEF\xBC\x8C", "\xEF\xBC\x8D", "\xEF\xBC\x8E", "\xE3\x80\x80", "\xE3\x80\x81",
                             "\xE3\x80\x82", "\xE2\x80\x90", "\xE2\x80\x91", "\xE2\x80\x92", "\xE2\x80\x93",
                             "\xE2\x80\x94", "\xE2\x80\x95", "\xC2\xB7", "\xC2\xA0", "\xEF\xBD\x9E", "\xE3\x80\x9C",
                             "\xE2\x80\x98", "\xE2\x80\x99", "\xEF\xBC\x87", "\xE2\x88\x92", "\xE3\x83\xBB",
                             "\xE2\x80\xA2", "\xE2\x80\xA7", "\xE2\x80\x87", "\xE2\x80\x89", "\xE2\x80\xAF",
                             "\xE2\x80\x8B", "\xEF\xBC\x88", "\xEF\xBC\x89", "\xEF\xB9\xA3", "\xEF\xBD\xA4",
                             "\xEF\xBC\x9A", "\xEF\xBC\x9B"})
    if (t.substr(i, w.size()) == w) return w.size();
  return 0;
}

/// Whether `d` (digits only) is a phone number: a mobile (1[3-9] + 9 digits) or a landline with its trunk
/// 0 (10 to 12 digits), after an optional 86 / 0086; after 86 a landline drops its 0 (+86 10 6512 3456).
bool phone_digits(std::string_view d) {
  auto mobile = [](std::string_view n) { return n.size() == 11 && n[0] == '1' && n[1] >= '3' && n[1] <= '9'; };
  auto trunk = [](std::string_view n) { return n.size() >= 10 && n.size() <= 12 && n[0] == '0' && n[1] != '0'; };
  if (mobile(d) || trunk(d)) return true;
  for (std::string_view cc : {"0086", "86"}) {
    if (!d.starts_with(cc)) continue;
    const auto n = d.substr(cc.size());
    if (mobile(n) || trunk(n) || (n.size() >= 9 && n.size() <= 11 && n[0] != '0')) return true;
  }
  return false;
}

/// A run of digits that stays in clear though it is 7 digits or more: a ticket id's date and number
/// (SA-20261130-000001: the caller must be able to quote it), a date (20261130), a division code of this
/// region (9 or 12 digits, 15...), a 7- or 8-digit number starting with 1 (no phone number does: a staff
/// number, an amount).
bool known_not_a_phone(std::string_view text, size_t from, size_t to, std::string_view d) {
  const auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  // <instance>-<8 digits>-<6+ digits>: look for the shape around this run
  if (d.size() == 8 && from >= 2 && text[from - 1] == '-' && alnum(text[from - 2]) && to + 1 < text.size() &&
      text[to] == '-' && std::isdigit(static_cast<unsigned char>(text[to + 1])))
    return true;
  if (d.size() >= 6 && from >= 10 && text[from - 1] == '-' && text[from - 10] == '-' &&
      std::all_of(text.begin() + from - 9, text.begin() + from - 1, [](char c) { return c >= '0' && c <= '9'; }))
    return true;
  if (d.size() == 8 && d.starts_with("20")) {
    const int month = (d[4] - '0') * 10 + (d[5] - '0'), day = (d[6] - '0') * 10 + (d[7] - '0');
    if (month >= 1 && month <= 12 && day >= 1 && day <= 31) return true;
  }
  if ((d.size() == 9 || d.size() == 12) && d.starts_with("15")) return true;
  return (d.size() == 7 || d.size() == 8) && d[0] == '1';  // no local number starts with 1: an amount, a staff number
}

}  // namespace

std::string mask_numbers_in_text(std::string_view text) {
  std::string out;
  size_t i = 0;
  char v;
  size_t len;
  while (i < text.size()) {
    if (!digit_at(text, i, v, len)) {
      out.push_back(text[i++]);
      continue;
    }
    // the groups from here: digits, then at most two separators before the next digit
    struct Group {
      size_t from, to;
      std::string digits;
    };
    std::vector<Group> groups;
    size_t j = i;
    while (digit_at(text, j, v, len)) {
      Group g{j, j, {}};
      while (digit_at(text, j, v, len)) {
        g.digits.push_back(v);
        j += len;
      }
      g.to = j;
      groups.push_back(std::move(g));
      size_t k = j, seps = 0;  // " - " and "-----" too: up to six separators between two groups
      while (seps < 6 && separator_at(text, k) > 0) {
        k += separator_at(text, k);
        ++seps;
      }
      // 16 groups: a number read digit by digit (1 3 8 1 2 3 4 5 6 7 8) is eleven of them
      if (seps == 0 || !digit_at(text, k, v, len) || groups.size() >= 16) break;
      j = k;
    }
    // the longest leading groups that make a phone number are masked as one
    std::string digits;
    size_t phone_groups = 0;
    for (size_t g = 0; g < groups.size(); ++g) {
      digits += groups[g].digits;
      if (digits.size() > 16) break;
      if (phone_digits(digits)) phone_groups = g + 1;
    }
    if (phone_groups > 0) {
      std::string d;
      for (size_t g = 0; g < phone_groups; ++g) d += groups[g].digits;
      out += mask_number(d);
      i = groups[phone_groups - 1].to;
      continue;
    }
    // else the first group alone: 7 digits or more are hidden unless known to be no phone number
    const Group& g = groups.front();
    const auto raw = text.substr(g.from, g.to - g.from);
    out += g.digits.size() >= 7 && !known_not_a_phone(text, g.from, g.to, g.digits) ? mask_number(g.digits)
                                                                                      : std::string(raw);
    i = g.to;
  }
  return out;
}

namespace {
bool mobile(std::string_view d) { return d.size() == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'; }
}  // namespace

namespace {
std::string normalize_digits(std::string_view number);
}  // namespace

std::string normalize_number(std::string_view number) {
  // fewer than 3 digits once +86 / 0086 / 86 and a trunk 0 are dealt with is no number either ("+860",
  // "0086" had become "0" and every such caller one caller)
  std::string n = normalize_digits(number);
  if (n.size() < 3 || (n.starts_with("00") && n.size() < 5)) return "";  // 00 and another country's: 3 digits after
  // nothing but zeros (+000, 00000, +86 0 0000) is no line anyone has: such callers must not become one
  if (n.find_first_not_of('0') == std::string::npos) return "";
  return n;
}

namespace {
/// A character written between a number's digits at `i`, as ASCII or as a Chinese input method types it
/// (full-width, an ideographic space, a Unicode dash, a middle dot, a no-break space): its byte length, or 0.
size_t number_separator_at(std::string_view t, size_t i) {
  const char c = t[i];
  if (c == '-' || c == '.' || c == ' ' || c == '(' || c == ')') return 1;
  // － ． （ ） U+FF0D/0E/08/09, 　 U+3000, ‐ ‑ ‒ – — ― U+2010-U+2015, · U+00B7, no-break space U+00A0
  for (std::string_view w : {"\xEF\xBC\x8D", "\xEF\xBC\x8E", "\xEF\xBC\x88", "\xEF\xBC\x89", "\xE3\x80\x80",
                             "\xE2\x80\x90", "\xE2\x80\x91", "\xE2\x80\x92", "\xE2\x80\x93", "\xE2\x80\x94",
                             "\xE2\x80\x95", "\xC2\xB7", "\xC2\xA0"})
    if (t.substr(i, w.size()) == w) return w.size();
  return 0;
}

std::string normalize_digits(std::string_view number) {
  std::string d;
  bool plus = false;
  for (size_t i = 0; i < number.size();) {
    char v;
    size_t len;
    if (digit_at(number, i, v, len)) {  // ASCII or full-width (and the other forms masking reads)
      d += v;
      i += len;
    } else if ((number[i] == '+' || number.substr(i, 3) == "\xEF\xBC\x8B") && d.empty() && !plus) {  // + or ＋
      plus = true;
      i += number[i] == '+' ? 1 : 3;
    } else if (const size_t sep = number_separator_at(number, i)) {
      i += sep;
    } else {
      return "";  // a letter or anything else: a name ("alice", "room1", "anonymous"), not a number
    }
  }
  if (d.size() < 3) return "";
  if (plus || d.starts_with("00")) {  // international form: +86 / 0086 is this country
    std::string_view rest(d);
    rest.remove_prefix(plus ? 0 : 2);
    if (!rest.starts_with("86")) return "00" + std::string(rest);  // another country's number
    rest.remove_prefix(2);
    if (rest.starts_with("00")) return "";  // +86 then another international prefix: no number of any country
    if (rest.size() == 12 && rest[0] == '0' && mobile(rest.substr(1))) rest.remove_prefix(1);  // +86 0 138...
    if (mobile(rest) || rest.starts_with("0")) return std::string(rest);
    return "0" + std::string(rest);  // a landline: the area code with its trunk 0 (+86 471 ... is 0471 ...)
  }
  if (d.size() == 13 && d.starts_with("86") && mobile(std::string_view(d).substr(2))) return d.substr(2);
  if (d.size() == 12 && d[0] == '0' && mobile(std::string_view(d).substr(1))) return d.substr(1);  // 0 before a mobile
  return d;
}
}  // namespace

}  // namespace assist
