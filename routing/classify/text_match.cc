// Normalization of texts and rule words (see text_match.h).
#include "routing/classify/text_match.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include <opencc/DictEntry.hpp>
#include <opencc/Lexicon.hpp>
#include <opencc/MarisaDict.hpp>
#include <opencc/opencc.h>
#include <spdlog/spdlog.h>

#include "routing/classify/utf8.h"

namespace assist {

namespace {

bool is_space(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x3000 || c == 0xA0 ||
         (c >= 0x2000 && c <= 0x200B) || c == 0xFEFF;
}

bool is_punct(char32_t c) {
  if (c < 0x80) return (c >= '!' && c <= '/' && c != '*' && c != '#') || (c >= ':' && c <= '@') ||
                       (c >= '[' && c <= '`') || (c >= '{' && c <= '~') || c < 0x20 || c == 0x7F;
  return (c >= 0x3001 && c <= 0x303F) || (c >= 0x2010 && c <= 0x206F) || c == 0xFF5E || c == 0xB7 ||
         (c >= 0xFE10 && c <= 0xFE6F) || c == 0xFF61 || c == 0xFF64;
}

constexpr int numeral_digit(char32_t c) {
  switch (c) {
    case U'零': case U'〇': return 0;
    case U'一': return 1;
    case U'二': case U'两': return 2;
    case U'三': return 3;
    case U'四': return 4;
    case U'五': return 5;
    case U'六': return 6;
    case U'七': return 7;
    case U'八': return 8;
    case U'九': return 9;
    case U'十': return 10;
    case U'百': return 100;
    case U'千': return 1000;
    default: return -1;
  }
}

// Units after which a numeral run is a quantity the rules compare (time, age, temperature, money).
bool numeral_unit(std::string_view rest) {
  static constexpr std::string_view units[] = {"天", "日", "号", "岁", "度", "周", "个月", "个星期", "个礼拜", "年",
                                               "小时", "个小时", "分钟", "点", "元", "块", "万", "多天", "多岁",
                                               "多度", "多年", "来天", "夜"};
  if (rest.size() < 3) return false;  // every unit starts with a 3-byte character
  // Most text after a numeral is no unit (一个人, 一下): compare the first character's bytes before the rest.
  for (const std::string_view u : units)
    if (rest[0] == u[0] && rest[1] == u[1] && rest[2] == u[2] && rest.starts_with(u)) return true;
  return false;
}

// 三十 -> 30, 二十五 -> 25, 十五 -> 15, 一百二 -> 120, 一百零五 -> 105 (a 零 gap: what follows is units),
// 一千零五十 -> 1050, 三四 -> 4 (a range: its upper end), 零 -> 0; -1 if odd.
long numeral_value(const int* d, size_t count) {
  bool has_mult = false;
  for (size_t k = 0; k < count; ++k) has_mult |= d[k] >= 10;
  if (!has_mult) return count == 0 ? -1 : d[count - 1];
  long total = 0, cur = -1;
  int last_mult = 10000;
  bool zero_gap = false;  // a 零 after a multiplier: the digit after it is not shorthand (一百二 = 120)
  for (size_t k = 0; k < count; ++k) {
    const int v = d[k];
    if (v < 10) {
      if (v == 0 && total > 0) zero_gap = true;
      cur = v;
    } else {
      if (v >= last_mult) return -1;
      total += (cur < 0 ? 1 : cur) * v;
      cur = -1;
      last_mult = v;
    }
  }
  if (cur > 0) total += !zero_gap && last_mult >= 100 ? cur * (last_mult / 10) : cur;
  return total;
}

// The code points numeral_at() reads (lead bytes E3-E7) that numeral_digit() knows, one bit each: most characters
// of a text are tested, and a bit is cheaper than the switch.
constexpr char32_t kNumeralFirst = 0x3000, kNumeralEnd = 0x8000;
constexpr auto kNumeralBits = [] {
  std::array<uint64_t, (kNumeralEnd - kNumeralFirst) / 64> bits{};
  for (char32_t c = kNumeralFirst; c < kNumeralEnd; ++c)
    if (numeral_digit(c) >= 0) bits[(c - kNumeralFirst) / 64] |= uint64_t{1} << ((c - kNumeralFirst) % 64);
  return bits;
}();

// The numeral at s[i] (all are 3-byte characters), or -1; no full decode for the common case.
// (零 U+96F6, lead byte E9, is not read here: alone it is no number, 零下三十度 -> 零下30度; inside a number,
// 一百零五, fold_numerals_from reads it with zero_inside().)
inline int numeral_at(std::string_view s, size_t i) {
  if (i + 3 > s.size()) return -1;
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 != 0xE3 && b0 != 0xE4 && b0 != 0xE5 && b0 != 0xE7) return -1;  // 〇 U+3007; others U+4E00-U+767E
  const char32_t cp = (char32_t(b0 & 0x0F) << 12) | (char32_t(static_cast<unsigned char>(s[i + 1]) & 0x3F) << 6) |
                      (static_cast<unsigned char>(s[i + 2]) & 0x3F);
  const char32_t k = cp - kNumeralFirst;  // cp is in [kNumeralFirst, kNumeralEnd): lead bytes E3-E7
  if (!(kNumeralBits[k / 64] >> (k % 64) & 1)) return -1;
  return numeral_digit(cp);
}

// 零 (U+96F6: E9 9B B6) at s[i]: a numeral only inside a number, after a multiplier (一百零五).
inline bool zero_inside(std::string_view s, size_t i) {
  return i + 3 <= s.size() && static_cast<unsigned char>(s[i]) == 0xE9 && static_cast<unsigned char>(s[i + 1]) == 0x9B &&
         static_cast<unsigned char>(s[i + 2]) == 0xB6;
}

// What folding saw in the text it kept, so that the later steps can skip their own pass over it: whether t2s
// changes some character (TraditionalConverter::needs() of the folded text), and where the first character that
// may be a Chinese numeral is (fold_numerals has nothing to do before it; npos: none).
struct Folded {
  bool traditional = false;
  size_t first_numeral = std::string::npos;
};

// Normalizer::fold_into(), noting `Folded` on the way; `t2s` is the converter to ask, or null.
Folded fold_scan(std::string_view text, size_t max_bytes, std::string& out, const TraditionalConverter* t2s) {
  if (text.size() > max_bytes) text = text.substr(0, max_bytes);
  // Folding never lengthens: every kept character is re-encoded in at most the bytes it came in.
  out.resize(text.size());
  char* const base = out.data();
  char* o = base;
  Folded seen;
  auto note = [&](char32_t cp) {  // a non-ASCII character about to be written at o
    if (t2s && t2s->changes(cp)) seen.traditional = true;
    if (seen.first_numeral == std::string::npos && numeral_digit(cp) >= 0)
      seen.first_numeral = static_cast<size_t>(o - base);
  };
  for (size_t i = 0; i < text.size();) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    char32_t cp = 0;
    if (b0 >= 0x80) {
      const size_t n = utf8::decode(text, i, cp);
      if (n == 0) { ++i; continue; }  // invalid byte: dropped
      // The common case, Chinese: from U+3040 up to the presentation forms there is no space, punctuation or
      // full-width ASCII (is_space and is_punct test ranges outside it), so the character is kept as it came.
      if (cp >= 0x3040 && cp < 0xFE10) {  // three bytes
        note(cp);
        o[0] = text[i];
        o[1] = text[i + 1];
        o[2] = text[i + 2];
        o += 3;
        i += 3;
        continue;
      }
      i += n;
      if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0;  // full-width ASCII
    } else {
      cp = b0;
      ++i;
    }
    if (cp < 0x80) {
      if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
      else if (cp >= 'a' && cp <= 'z') {}
      else if (cp >= '0' && cp <= '9') {}
      else if (is_space(cp)) continue;
      else if (is_punct(cp)) {
        if (o != base && o[-1] != kClauseMark) *o++ = kClauseMark;
        continue;
      }
      *o++ = static_cast<char>(cp);
      continue;
    }
    if (is_space(cp)) continue;
    if (is_punct(cp)) {
      if (o != base && o[-1] != kClauseMark) *o++ = kClauseMark;
      continue;
    }
    note(cp);
    if (cp < 0x800) {
      *o++ = static_cast<char>(0xC0 | (cp >> 6));
      *o++ = static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *o++ = static_cast<char>(0xE0 | (cp >> 12));
      *o++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *o++ = static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *o++ = static_cast<char>(0xF0 | (cp >> 18));
      *o++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *o++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *o++ = static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  out.resize(static_cast<size_t>(o - base));
  return seen;
}

}  // namespace

void Normalizer::fold_into(std::string_view text, size_t max_bytes, std::string& out) {
  fold_scan(text, max_bytes, out, nullptr);
}

std::string Normalizer::fold(std::string_view text, size_t max_bytes) {
  std::string out;
  fold_into(text, max_bytes, out);
  return out;
}

// ---------------------------------------------------------------- traditional -> simplified (OpenCC)

namespace {
constexpr char32_t kTradLimit = 0x30000;
}

// OpenCC's t2s dictionaries in memory: the first mapping of every character (TSCharacters) and the phrases
// (TSPhrases, all of two characters or more) by their first character, longest first.
struct TraditionalConverter::Tables {
  std::unordered_map<char32_t, std::string> chars;
  std::unordered_map<char32_t, std::vector<std::pair<std::string, std::string>>> phrases;
  std::vector<uint64_t> phrase_first;  // bit per code point < kTradLimit: some phrase starts with it
  bool starts_phrase(char32_t cp) const {
    return cp < kTradLimit ? (phrase_first[cp / 64] >> (cp % 64) & 1) : phrases.count(cp) > 0;
  }
};

namespace {
std::shared_ptr<opencc::MarisaDict> read_ocd2(const std::string& path) {
  FILE* fp = std::fopen(path.c_str(), "rb");
  if (!fp) return nullptr;
  std::shared_ptr<opencc::MarisaDict> d;
  try {
    d = opencc::MarisaDict::NewFromFile(fp);
  } catch (const std::exception&) {
    d = nullptr;
  }
  std::fclose(fp);
  return d;
}
}  // namespace

TraditionalConverter::~TraditionalConverter() = default;

TraditionalConverter::TraditionalConverter() {
  opencc_t h = opencc_open(OPENCC_DEFAULT_CONFIG_TRAD_TO_SIMP);
  if (h == reinterpret_cast<opencc_t>(-1)) {
    spdlog::warn("classify: OpenCC t2s is not available ({}): traditional characters are not converted",
                 opencc_error());
    return;
  }
  handle_ = h;
  bits_.assign(kTradLimit / 64, 0);
  // Which characters does t2s change on their own? One conversion of every CJK character, one a line.
  std::string all;
  std::vector<char32_t> cps;
  auto range = [&](char32_t a, char32_t b) {
    for (char32_t c = a; c <= b; ++c) {
      cps.push_back(c);
      utf8::encode(c, all);
      all += '\n';
    }
  };
  range(0x3400, 0x4DBF);
  range(0x4E00, 0x9FFF);
  range(0xF900, 0xFAFF);
  char* out = opencc_convert_utf8(h, all.data(), all.size());
  if (!out) return;
  std::string_view conv(out);
  size_t pos = 0;
  for (char32_t c : cps) {
    const size_t nl = conv.find('\n', pos);
    if (nl == std::string_view::npos) break;
    std::string mine;
    utf8::encode(c, mine);
    if (conv.substr(pos, nl - pos) != mine) bits_[c / 64] |= uint64_t{1} << (c % 64);
    pos = nl + 1;
  }
  opencc_convert_utf8_free(out);

  // The dictionaries t2s.json names, read once (falls back to the C API when they cannot be read).
  for (const char* dir : {"/usr/share/opencc/", "/usr/local/share/opencc/"}) {
    auto phrases = read_ocd2(std::string(dir) + "TSPhrases.ocd2");
    auto chars = read_ocd2(std::string(dir) + "TSCharacters.ocd2");
    if (!phrases || !chars) continue;
    auto t = std::make_unique<Tables>();
    t->phrase_first.assign(kTradLimit / 64, 0);
    bool ok = true;
    for (const auto& e : *chars->GetLexicon()) {
      const std::string k = e->Key();
      char32_t cp = 0;
      if (k.empty() || utf8::decode(k, 0, cp) != k.size()) { ok = false; break; }  // t2s's characters are single
      const std::string v = e->GetDefault();
      if (v != k && cp < kTradLimit) bits_[cp / 64] |= uint64_t{1} << (cp % 64);  // beyond the ranges above
      t->chars.emplace(cp, v);
    }
    for (const auto& e : *phrases->GetLexicon()) {
      const std::string k = e->Key();
      char32_t cp = 0;
      const size_t n = k.empty() ? 0 : utf8::decode(k, 0, cp);
      if (n == 0) { ok = false; break; }
      t->phrases[cp].emplace_back(k, e->GetDefault());
      if (cp < kTradLimit) t->phrase_first[cp / 64] |= uint64_t{1} << (cp % 64);
    }
    if (!ok) continue;
    for (auto& [cp, list] : t->phrases)
      std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    tables_ = std::move(t);
    break;
  }
  if (!tables_) spdlog::warn("classify: OpenCC's TSPhrases/TSCharacters could not be read: t2s through its C API");
}

const TraditionalConverter& TraditionalConverter::instance() {
  static const TraditionalConverter conv;
  return conv;
}

bool TraditionalConverter::needs(std::string_view text) const {
  if (!handle_) return false;
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) { ++i; continue; }
    char32_t cp = 0;
    const size_t n = utf8::decode(text, i, cp);
    if (n == 0) { ++i; continue; }
    i += n;
    if (changes(cp)) return true;
  }
  return false;
}

std::string TraditionalConverter::convert_reference(std::string_view text) const {
  if (!handle_) return std::string(text);
  static std::mutex mu;  // OpenCC's C handle is not documented as thread-safe
  std::lock_guard lock(mu);
  char* out = opencc_convert_utf8(static_cast<opencc_t>(handle_), text.data(), text.size());
  if (!out) return std::string(text);
  std::string r(out);
  opencc_convert_utf8_free(out);
  return r;
}

void TraditionalConverter::convert_into(std::string_view text, std::string& out) const {
  if (!tables_) {
    out += convert_reference(text);
    return;
  }
  // t2s: maximum matching against TSPhrases, then each unmatched character through TSCharacters.
  const Tables& t = *tables_;
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      if (b == 0) break;  // OpenCC reads a C string
      out += text[i++];
      continue;
    }
    char32_t cp = 0;
    const size_t n = utf8::decode(text, i, cp);
    if (n == 0) { out += text[i++]; continue; }
    if (t.starts_phrase(cp)) {
      const auto& list = t.phrases.find(cp)->second;
      const std::string_view rest = text.substr(i);
      const std::pair<std::string, std::string>* hit = nullptr;
      for (const auto& p : list)
        if (rest.starts_with(p.first)) { hit = &p; break; }
      if (hit) {
        out += hit->second;
        i += hit->first.size();
        continue;
      }
    }
    if (cp >= kTradLimit || (bits_[cp / 64] >> (cp % 64) & 1)) {
      if (auto it = t.chars.find(cp); it != t.chars.end()) {
        out += it->second;
        i += n;
        continue;
      }
    }
    out.append(text, i, n);
    i += n;
  }
}

std::string TraditionalConverter::convert(std::string_view text) const {
  if (!handle_) return std::string(text);
  std::string out;
  out.reserve(text.size());
  convert_into(text, out);
  return out;
}

// ---------------------------------------------------------------- numerals

namespace {

// Normalizer::fold_numerals_into() for a text with no numeral before byte `from` (a character boundary).
bool fold_numerals_from(std::string_view s, size_t from, std::string& out) {
  bool changed = false;
  size_t copied = 0;  // s[0, copied) is in `out`
  for (size_t i = from; i + 3 <= s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0xE0) { ++i; continue; }
    if (numeral_at(s, i) < 0) { i += b >= 0xF0 ? 4 : 3; continue; }
    // a run of numerals
    int digits[6];
    size_t count = 0;
    size_t j = i;
    bool mult = false;  // 零 joins the run only after 十, 百, 千 or 万 (一百零五; not 三零二, a room number)
    for (int d; (d = mult && zero_inside(s, j) ? 0 : numeral_at(s, j)) >= 0; j += 3) {
      mult |= d >= 10;
      if (count < 7) digits[count < 6 ? count : 5] = d, ++count;
    }
    const long v = (count <= 6 && numeral_unit(s.substr(j))) ? numeral_value(digits, count) : -1;
    if (v >= 0 && !(count == 1 && digits[0] == 0)) {
      if (!changed) {
        out.clear();
        out.reserve(s.size());
        changed = true;
      }
      out.append(s, copied, i - copied);
      char buf[24];
      const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
      out.append(buf, static_cast<size_t>(end - buf));
      copied = j;
    }
    i = j;
  }
  if (changed) out.append(s, copied);
  return changed;
}

}  // namespace

bool Normalizer::fold_numerals_into(std::string_view s, std::string& out) { return fold_numerals_from(s, 0, out); }

std::string Normalizer::fold_numerals(std::string_view s) {
  std::string out;
  if (!fold_numerals_into(s, out)) out.assign(s);
  return out;
}

// ---------------------------------------------------------------- normalizer

Normalizer::Normalizer() : repl_(std::make_unique<Matcher>()) {}
Normalizer::~Normalizer() = default;
Normalizer::Normalizer(Normalizer&&) noexcept = default;
Normalizer& Normalizer::operator=(Normalizer&&) noexcept = default;

// `out` = fold, t2s, numerals; `tmp` is scratch. One pass over the text unless it has traditional characters
// or numerals: folding notes both, so neither step reads the text again to find out that it has nothing to do.
void Normalizer::prepare_into(std::string_view text, std::string& out, std::string& tmp) const {
  const TraditionalConverter* t2s = traditional ? &TraditionalConverter::instance() : nullptr;
  Folded seen = fold_scan(text, max_bytes, out, t2s);
  if (seen.traditional) {
    tmp.clear();
    t2s->convert_into(out, tmp);
    out.swap(tmp);
    seen.first_numeral = 0;  // t2s may have written one (兩 -> 两)
  }
  if (seen.first_numeral != std::string::npos && fold_numerals_from(out, seen.first_numeral, tmp)) out.swap(tmp);
}

std::string Normalizer::prepare(std::string_view text) const {
  std::string out, tmp;
  prepare_into(text, out, tmp);
  return out;
}

size_t Normalizer::memory_bytes() const {
  size_t n = sizeof(*this) + (repl_ ? repl_->memory_bytes() : 0);
  for (const auto& t : repl_to_) n += sizeof(t) + t.capacity();
  for (const auto& t : fillers) n += sizeof(t) + t.capacity();
  for (const auto& t : keep) n += sizeof(t) + t.capacity();
  for (const auto& [a, b] : homophones) n += sizeof(a) + a.capacity() + sizeof(b) + b.capacity();
  return n;
}

void Normalizer::build() {
  repl_ = std::make_unique<Matcher>();
  repl_to_.clear();
  auto put = [&](const std::string& from, const std::string& to) {
    if (from.empty()) return;
    const int id = repl_->add(from);
    if (static_cast<size_t>(id) == repl_to_.size()) repl_to_.push_back(to);  // the first mapping of a text wins
  };
  for (const auto& k : keep) put(k, k);
  for (const auto& [from, to] : homophones) put(from, to);
  for (const auto& f : fillers) put(f, "");
  repl_->build();
}

std::string Normalizer::operator()(std::string_view text) const {
  std::string out;
  normalize_into(text, out);
  return out;
}

void Normalizer::normalize_into(std::string_view text, std::string& out) const {
  thread_local std::string s, tmp;
  thread_local std::vector<Matcher::Hit> hits;
  prepare_into(text, s, tmp);
  hits.clear();
  if (repl_ && repl_->size() > 0) repl_->find(s, hits, 4096);
  if (hits.empty()) {
    out.swap(s);  // no copy: `s` is scratch, refilled by the next call
    return;
  }
  // leftmost-longest, non-overlapping (hits come ordered by end)
  std::sort(hits.begin(), hits.end(), [](const Matcher::Hit& a, const Matcher::Hit& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  out.clear();
  out.reserve(s.size());
  // a filler removed between two clause marks leaves "||": collapse (and no leading mark)
  auto put = [&](std::string_view piece) {
    for (char c : piece)
      if (!(c == kClauseMark && (out.empty() || out.back() == kClauseMark))) out += c;
  };
  const std::string_view sv(s);
  size_t pos = 0;
  for (const auto& h : hits) {
    if (h.begin < pos) continue;
    put(sv.substr(pos, h.begin - pos));
    put(repl_to_[static_cast<size_t>(h.id)]);
    pos = h.end;
  }
  put(sv.substr(pos));
}

}  // namespace assist
