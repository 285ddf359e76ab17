// Matcher (routing/classify/matcher.cc): the packed character automaton finds exactly what a byte-wise search
// finds, in the order the classifier relies on, on any bytes, in each of its forms.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "routing/classify/matcher.h"

using assist::Matcher;

namespace {

// Every occurrence of every pattern by std::string_view::find, ordered by end and, at one end, longest first.
std::vector<Matcher::Hit> brute_force(const std::vector<std::string>& patterns, std::string_view text, size_t max_hits) {
  std::vector<Matcher::Hit> hits;
  for (size_t id = 0; id < patterns.size(); ++id)
    for (size_t pos = text.find(patterns[id]); pos != std::string_view::npos; pos = text.find(patterns[id], pos + 1))
      hits.push_back({static_cast<int>(id), static_cast<uint32_t>(pos), static_cast<uint32_t>(pos + patterns[id].size())});
  std::sort(hits.begin(), hits.end(), [](const Matcher::Hit& a, const Matcher::Hit& b) {
    return a.end != b.end ? a.end < b.end : a.begin < b.begin;
  });
  if (hits.size() > max_hits) hits.resize(max_hits);
  return hits;
}

bool same(const std::vector<Matcher::Hit>& a, const std::vector<Matcher::Hit>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](const auto& x, const auto& y) {
           return x.id == y.id && x.begin == y.begin && x.end == y.end;
         });
}

// Characters of 1 to 4 bytes; texts also get bytes that are not UTF-8.
const std::vector<std::string> kAlphabet = {"a", "b", "1", "|", "é", "ж", "低", "保", "救", "助", "一", "个", "人",
                                            "😀", "𠀀"};

std::string random_word(std::mt19937& rng, size_t max_chars) {
  std::string w;
  const size_t n = 1 + rng() % max_chars;
  for (size_t k = 0; k < n; ++k) w += kAlphabet[rng() % kAlphabet.size()];
  return w;
}

}  // namespace

TEST_CASE("matcher: the same hits as a byte-wise search, on any bytes", "[classify][matcher]") {
  std::mt19937 rng(4);
  for (int round = 0; round < 40; ++round) {
    Matcher m;
    std::vector<std::string> patterns;
    for (int k = 0; k < 1 + round * 3; ++k) {
      const std::string w = random_word(rng, 4);
      const int id = m.add(w);
      if (static_cast<size_t>(id) == patterns.size()) patterns.push_back(w);
      CHECK(patterns[static_cast<size_t>(id)] == w);
    }
    m.build();
    REQUIRE(m.size() == patterns.size());
    CHECK((m.shape().complete && !m.shape().wide));
    for (int t = 0; t < 50; ++t) {
      std::string text;
      const size_t chars = rng() % 200;
      for (size_t k = 0; k < chars; ++k) {
        if (rng() % 20 == 0) text += static_cast<char>(0x80 + rng() % 0x80);  // stray or cut UTF-8
        else if (rng() % 40 == 0) text += kAlphabet[rng() % kAlphabet.size()].substr(0, 1);
        else text += kAlphabet[rng() % kAlphabet.size()];
      }
      for (size_t max_hits : {size_t{1} << 20, size_t{5}}) {
        std::vector<Matcher::Hit> hits;
        m.find(text, hits, max_hits);
        INFO("round " << round << " text " << t << " max_hits " << max_hits);
        CHECK(same(hits, brute_force(patterns, text, max_hits)));
      }
    }
  }
}

TEST_CASE("matcher: large automata, complete or with failure links, 16- or 64-bit slots", "[classify][matcher]") {
  // CJK characters; `hot` of them make three picks in four, as common characters do in cues.
  std::vector<std::string> alphabet;
  for (char32_t cp = 0x4E00; cp < 0x4E00 + 3000; ++cp) {
    std::string s;
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
    alphabet.push_back(s);
  }
  struct Case {
    int patterns;
    size_t hot;  // 0: every character alike
    bool complete, wide;
  };
  for (const Case& k : {Case{20000, 0, true, true}, Case{4000, 60, false, false}, Case{40000, 60, false, true}}) {
    std::mt19937 rng(static_cast<unsigned>(k.patterns + k.hot));
    auto pick = [&] { return alphabet[k.hot && rng() % 4 != 0 ? rng() % k.hot : rng() % alphabet.size()]; };
    Matcher m;
    std::vector<std::string> patterns;
    for (int p = 0; p < k.patterns; ++p) {
      std::string w;
      for (size_t c = 2 + rng() % 4; c > 0; --c) w += pick();
      if (static_cast<size_t>(m.add(w)) == patterns.size()) patterns.push_back(w);
    }
    m.build();
    INFO("patterns " << k.patterns << " hot " << k.hot);
    CHECK(m.shape().complete == k.complete);
    CHECK(m.shape().wide == k.wide);
    for (int t = 0; t < 10; ++t) {
      std::string text;
      for (int c = 0; c < 400; ++c) text += pick();
      std::vector<Matcher::Hit> hits;
      m.find(text, hits, size_t{1} << 20);
      CHECK(same(hits, brute_force(patterns, text, size_t{1} << 20)));
    }
  }
}

TEST_CASE("matcher: patterns, ids and building", "[classify][matcher]") {
  Matcher m;
  CHECK(m.add("低保") == 0);
  CHECK(m.add("保") == 1);
  CHECK(m.add("低保") == 0);
  CHECK_THROWS_AS(m.add(""), std::invalid_argument);
  CHECK_THROWS_AS(m.add("\xE4\xBD"), std::invalid_argument);   // cut
  CHECK_THROWS_AS(m.add("\xC0\x80"), std::invalid_argument);   // overlong
  CHECK_THROWS_AS(m.add("\xED\xA0\x80"), std::invalid_argument);  // surrogate
  std::vector<Matcher::Hit> hits;
  m.find("低保", hits, 10);
  CHECK(hits.empty());  // not built yet
  m.build();
  m.find("我家低保停了", hits, 10);
  REQUIRE(hits.size() == 2);
  CHECK((hits[0].id == 0 && hits[0].begin == 6 && hits[0].end == 12));  // longest first at one end
  CHECK((hits[1].id == 1 && hits[1].begin == 9 && hits[1].end == 12));
  m.add("停了");
  hits.clear();
  m.find("我家低保停了", hits, 10);
  CHECK(hits.empty());  // added since the last build
  m.build();
  m.find("我家低保停了", hits, 10);
  CHECK(hits.size() == 3);
}
