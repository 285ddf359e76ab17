// Normalization and Aho-Corasick matching (see text_match.h).
#include "routing/classify/text_match.h"

#include <algorithm>
#include <deque>
#include <unordered_map>

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

std::string Normalizer::fold(std::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes) text = text.substr(0, max_bytes);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    size_t n = decode(text, i, cp);
    if (n == 0) { ++i; continue; }  // invalid byte: dropped
    i += n;
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0;  // full-width ASCII
    if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
    if (is_space(cp)) continue;
    if (is_punct(cp)) {
      if (!out.empty() && out.back() != kClauseMark) out += kClauseMark;
      continue;
    }
    encode(cp, out);
  }
  return out;
}

std::string Normalizer::operator()(std::string_view text) const {
  std::string s = fold(text, max_bytes);
  auto replace_all = [&s](const std::string& from, const std::string& to) {
    if (from.empty() || s.find(from) == std::string::npos) return;
    std::string r;
    r.reserve(s.size());
    size_t pos = 0;
    for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
      r.append(s, pos, hit - pos);
      r += to;
    }
    r.append(s, pos, std::string::npos);
    s.swap(r);
  };
  for (const auto& [from, to] : homophones) replace_all(from, to);
  for (const auto& f : fillers) replace_all(f, "");
  return s;
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
  built_ = true;
}

void Matcher::find(std::string_view text, std::vector<Hit>& out, size_t max_hits) const {
  if (!built_) return;
  int state = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<uint8_t>(text[i]);
    int t;
    while ((t = child(state, b)) < 0 && state != 0) state = nodes_[static_cast<size_t>(state)].fail;
    state = t < 0 ? 0 : t;
    for (int n = nodes_[static_cast<size_t>(state)].out >= 0 ? state : nodes_[static_cast<size_t>(state)].dict; n >= 0;
         n = nodes_[static_cast<size_t>(n)].dict) {
      const int id = nodes_[static_cast<size_t>(n)].out;
      if (out.size() >= max_hits) return;
      const auto len = static_cast<uint32_t>(patterns_[static_cast<size_t>(id)].size());
      out.push_back({id, static_cast<uint32_t>(i + 1) - len, static_cast<uint32_t>(i + 1)});
    }
  }
}

}  // namespace assist
