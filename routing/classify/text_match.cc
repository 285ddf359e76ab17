// Normalization and Aho-Corasick matching (see text_match.h).
#include "routing/classify/text_match.h"

#include <algorithm>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include <cstdio>
#include <unordered_map>

#include <opencc/DictEntry.hpp>
#include <opencc/Lexicon.hpp>
#include <opencc/MarisaDict.hpp>
#include <opencc/opencc.h>
#include <spdlog/spdlog.h>

namespace assist {

namespace {

// Decodes one UTF-8 code point at s[i]; returns its length, or 0 when the bytes are not valid UTF-8.
size_t decode(std::string_view s, size_t i, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) { cp = b0; return 1; }
  size_t len = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) { len = 2; cp = b0 & 0x1F; min = 0x80; }
  else if ((b0 & 0xF0) == 0xE0) { len = 3; cp = b0 & 0x0F; min = 0x800; }
  else if ((b0 & 0xF8) == 0xF0) { len = 4; cp = b0 & 0x07; min = 0x10000; }
  else return 0;
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void encode(char32_t cp, std::string& out) {
  if (cp < 0x80) out += static_cast<char>(cp);
  else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

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

}  // namespace

void Normalizer::fold_into(std::string_view text, size_t max_bytes, std::string& out) {
  if (text.size() > max_bytes) text = text.substr(0, max_bytes);
  // Folding never lengthens: every kept character is re-encoded in at most the bytes it came in.
  out.resize(text.size());
  char* const base = out.data();
  char* o = base;
  for (size_t i = 0; i < text.size();) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    char32_t cp = 0;
    if (b0 >= 0x80) {
      const size_t n = decode(text, i, cp);
      if (n == 0) { ++i; continue; }  // invalid byte: dropped
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
      encode(c, all);
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
    encode(c, mine);
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
      if (k.empty() || decode(k, 0, cp) != k.size()) { ok = false; break; }  // t2s's characters are single
      const std::string v = e->GetDefault();
      if (v != k && cp < kTradLimit) bits_[cp / 64] |= uint64_t{1} << (cp % 64);  // beyond the ranges above
      t->chars.emplace(cp, v);
    }
    for (const auto& e : *phrases->GetLexicon()) {
      const std::string k = e->Key();
      char32_t cp = 0;
      const size_t n = k.empty() ? 0 : decode(k, 0, cp);
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
    const size_t n = decode(text, i, cp);
    if (n == 0) { ++i; continue; }
    i += n;
    if (cp < kTradLimit && (bits_[cp / 64] >> (cp % 64) & 1)) return true;
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
    const size_t n = decode(text, i, cp);
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

int numeral_digit(char32_t c) {
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
  static const char* units[] = {"天", "日", "号", "岁", "度", "周", "个月", "个星期", "个礼拜", "年", "小时", "个小时",
                                "分钟", "点", "元", "块", "万", "多天", "多岁", "多度", "多年", "来天", "夜"};
  for (const char* u : units)
    if (rest.starts_with(u)) return true;
  return false;
}

// 三十 -> 30, 二十五 -> 25, 十五 -> 15, 一百二 -> 120, 三四 -> 4 (a range: its upper end), 零 -> 0; -1 if odd.
long numeral_value(const int* d, size_t count) {
  bool has_mult = false;
  for (size_t k = 0; k < count; ++k) has_mult |= d[k] >= 10;
  if (!has_mult) return count == 0 ? -1 : d[count - 1];
  long total = 0, cur = -1;
  int last_mult = 10000;
  for (size_t k = 0; k < count; ++k) {
    const int v = d[k];
    if (v < 10) {
      cur = v;
    } else {
      if (v >= last_mult) return -1;
      total += (cur < 0 ? 1 : cur) * v;
      cur = -1;
      last_mult = v;
    }
  }
  if (cur > 0) total += last_mult >= 100 ? cur * (last_mult / 10) : cur;
  return total;
}

// The numeral at s[i] (all are 3-byte characters), or -1; no full decode for the common case.
inline int numeral_at(std::string_view s, size_t i) {
  if (i + 3 > s.size()) return -1;
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 != 0xE3 && b0 != 0xE4 && b0 != 0xE5 && b0 != 0xE7) return -1;  // 〇 U+3007; others U+4E00-U+96F6
  const char32_t cp = (char32_t(b0 & 0x0F) << 12) | (char32_t(static_cast<unsigned char>(s[i + 1]) & 0x3F) << 6) |
                      (static_cast<unsigned char>(s[i + 2]) & 0x3F);
  return numeral_digit(cp);
}

}  // namespace

bool Normalizer::fold_numerals_into(std::string_view s, std::string& out) {
  // First: is there any numeral run followed by a unit? Most texts have 一 (一个, 一下) and no quantity.
  size_t first = std::string_view::npos;
  for (size_t i = 0; i + 3 <= s.size() && first == std::string_view::npos;) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0xE0) { ++i; continue; }
    if (numeral_at(s, i) < 0) { i += b >= 0xF0 ? 4 : 3; continue; }
    size_t j = i;
    while (numeral_at(s, j) >= 0) j += 3;
    if (numeral_unit(s.substr(j))) first = i;
    i = j;
  }
  if (first == std::string_view::npos) return false;
  out.clear();
  out.reserve(s.size());
  out.append(s, 0, first);
  for (size_t i = first; i < s.size();) {
    if (numeral_at(s, i) < 0) {
      const auto b = static_cast<unsigned char>(s[i]);
      const size_t n = b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
      const size_t m = std::min(n, s.size() - i);
      out.append(s, i, m);
      i += m;
      continue;
    }
    // a run of numerals
    int digits[6];
    size_t count = 0;
    size_t j = i;
    for (int d; (d = numeral_at(s, j)) >= 0; j += 3)
      if (count < 7) digits[count < 6 ? count : 5] = d, ++count;
    const long v = (count <= 6 && numeral_unit(s.substr(j))) ? numeral_value(digits, count) : -1;
    if (v >= 0 && !(count == 1 && digits[0] == 0)) {
      char buf[24];
      const int len = std::snprintf(buf, sizeof buf, "%ld", v);
      out.append(buf, static_cast<size_t>(len));
    } else {
      out.append(s, i, j - i);
    }
    i = j;
  }
  return true;
}

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

// `out` = fold, t2s, numerals; `tmp` is scratch.
void Normalizer::prepare_into(std::string_view text, std::string& out, std::string& tmp) const {
  fold_into(text, max_bytes, out);
  if (traditional) {
    const auto& t2s = TraditionalConverter::instance();
    if (t2s.needs(out)) {
      tmp.clear();
      t2s.convert_into(out, tmp);
      out.swap(tmp);
    }
  }
  if (fold_numerals_into(out, tmp)) out.swap(tmp);
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
    out.assign(s);
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

size_t Matcher::memory_bytes() const {
  size_t n = sizeof(*this) + nodes_.capacity() * sizeof(Node) + delta_.capacity() * sizeof(delta_[0]) +
             delta16_.capacity() * sizeof(delta16_[0]) +
             row_node_.capacity() * sizeof(row_node_[0]);
  for (const auto& nd : nodes_) n += nd.next.capacity() * sizeof(nd.next[0]);
  for (const auto& p : patterns_) n += sizeof(p) + p.capacity();
  return n;
}

int Matcher::add(std::string_view pattern) {
  for (size_t i = 0; i < patterns_.size(); ++i)
    if (patterns_[i] == pattern) return static_cast<int>(i);
  int node = 0;
  for (unsigned char b : pattern) {
    int c = child(node, b);
    if (c < 0) {
      c = static_cast<int>(nodes_.size());
      nodes_.emplace_back();
      auto& nx = nodes_[static_cast<size_t>(node)].next;
      nx.insert(std::lower_bound(nx.begin(), nx.end(), std::make_pair(b, 0),
                                 [](const auto& a, const auto& v) { return a.first < v.first; }),
                {b, c});
    }
    node = c;
  }
  const int id = static_cast<int>(patterns_.size());
  patterns_.emplace_back(pattern);
  nodes_[static_cast<size_t>(node)].out = id;
  built_ = false;
  return id;
}

int Matcher::child(int node, uint8_t b) const {
  const auto& nx = nodes_[static_cast<size_t>(node)].next;
  if (nx.size() < 8) {
    for (const auto& [k, v] : nx)
      if (k == b) return v;
    return -1;
  }
  auto it = std::lower_bound(nx.begin(), nx.end(), std::make_pair(b, 0),
                             [](const auto& a, const auto& v) { return a.first < v.first; });
  return (it != nx.end() && it->first == b) ? it->second : -1;
}

void Matcher::build() {
  std::deque<int> queue;
  for (const auto& [b, c] : nodes_[0].next) {
    nodes_[static_cast<size_t>(c)].fail = 0;
    queue.push_back(c);
  }
  while (!queue.empty()) {
    const int u = queue.front();
    queue.pop_front();
    for (const auto& [b, v] : nodes_[static_cast<size_t>(u)].next) {
      int f = nodes_[static_cast<size_t>(u)].fail;
      int t;
      while ((t = child(f, b)) < 0 && f != 0) f = nodes_[static_cast<size_t>(f)].fail;
      t = child(f, b);
      auto& nv = nodes_[static_cast<size_t>(v)];
      nv.fail = (t >= 0 && t != v) ? t : 0;
      const auto& nf = nodes_[static_cast<size_t>(nv.fail)];
      nv.dict = nf.out >= 0 ? nv.fail : nf.dict;
      queue.push_back(v);
    }
  }
  // Byte classes and the complete transition table, rows in breadth-first order (fail(u) is done before u).
  cls_.fill(0);
  nclasses_ = 1;
  for (const auto& p : patterns_)
    for (unsigned char b : p)
      if (cls_[b] == 0) cls_[b] = static_cast<uint8_t>(nclasses_++);
  const size_t n = nodes_.size();
  if (n * nclasses_ >= (size_t{1} << 31)) throw std::length_error("classify: too many patterns for one automaton");
  std::vector<int> order{0};
  order.reserve(n);
  for (size_t qi = 0; qi < order.size(); ++qi)
    for (const auto& [b, c] : nodes_[static_cast<size_t>(order[qi])].next) order.push_back(c);
  std::vector<uint32_t> row_of(n, 0);  // node -> row index
  for (size_t r = 0; r < order.size(); ++r) row_of[static_cast<size_t>(order[r])] = static_cast<uint32_t>(r);
  row_node_.assign(order.begin(), order.end());
  auto entry = [&](int node) {
    const auto& nd = nodes_[static_cast<size_t>(node)];
    const uint32_t emits = (nd.out >= 0 || nd.dict >= 0) ? 1 : 0;
    return (row_of[static_cast<size_t>(node)] * nclasses_) << 1 | emits;
  };
  delta_.assign(n * nclasses_, entry(0));
  for (size_t r = 0; r < order.size(); ++r) {
    const auto& nu = nodes_[static_cast<size_t>(order[r])];
    uint32_t* row = &delta_[r * nclasses_];
    if (r != 0) {
      const uint32_t* frow = &delta_[static_cast<size_t>(row_of[static_cast<size_t>(nu.fail)]) * nclasses_];
      std::copy(frow, frow + nclasses_, row);
    }
    for (const auto& [b, c] : nu.next) row[cls_[b]] = entry(c);
  }
  delta16_.clear();
  if (n < 32768) {
    delta16_.resize(delta_.size());
    for (size_t k = 0; k < delta_.size(); ++k)
      delta16_[k] = static_cast<uint16_t>(((delta_[k] >> 1) / nclasses_) << 1 | (delta_[k] & 1));
    delta_.clear();
    delta_.shrink_to_fit();
  }
  built_ = true;
}

template <class Step>
void Matcher::scan(std::string_view text, std::vector<Hit>& out, size_t max_hits, Step step) const {
  const uint8_t* const cls = cls_.data();
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  uint32_t e = 0;  // entry of the current state (see delta_ / delta16_)
  for (size_t i = 0; i < size; ++i) {
    int state = step(e, cls[p[i]]);
    if (state < 0) [[likely]] continue;
    for (int n = nodes_[static_cast<size_t>(state)].out >= 0 ? state : nodes_[static_cast<size_t>(state)].dict; n >= 0;
         n = nodes_[static_cast<size_t>(n)].dict) {
      const int id = nodes_[static_cast<size_t>(n)].out;
      if (out.size() >= max_hits) return;
      const auto len = static_cast<uint32_t>(patterns_[static_cast<size_t>(id)].size());
      out.push_back({id, static_cast<uint32_t>(i + 1) - len, static_cast<uint32_t>(i + 1)});
    }
  }
}

void Matcher::find(std::string_view text, std::vector<Hit>& out, size_t max_hits) const {
  if (!built_) return;
  const uint32_t nc = nclasses_;
  if (!delta16_.empty()) {
    const uint16_t* const delta = delta16_.data();
    scan(text, out, max_hits, [&](uint32_t& e, uint8_t c) {
      e = delta[(e >> 1) * nc + c];
      return (e & 1) ? row_node_[e >> 1] : -1;
    });
  } else {
    const uint32_t* const delta = delta_.data();
    scan(text, out, max_hits, [&](uint32_t& e, uint8_t c) {
      e = delta[(e >> 1) + c];
      return (e & 1) ? row_node_[(e >> 1) / nc] : -1;
    });
  }
}

}  // namespace assist
