#pragma once
// Text normalization and multi-pattern matching for the classifier (rules: ops/rules/default.yaml).
// Normalized text: valid UTF-8 only, full-width ASCII folded to half-width, ASCII letters lower-cased,
// spaces dropped, punctuation collapsed to one clause mark '|', fillers removed, ASR homophones replaced.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace assist {

/// The clause separator that punctuation becomes; cues never contain it, negation never crosses it.
inline constexpr char kClauseMark = '|';

struct Normalizer {
  std::vector<std::string> fillers;                              ///< removed (already normalized)
  std::vector<std::pair<std::string, std::string>> homophones;  ///< from -> to, longest `from` first
  size_t max_bytes = 4096;                                       ///< input is cut here (at a char boundary)

  /// Normalizes any bytes (invalid UTF-8 is dropped); never throws except std::bad_alloc. Work is O(max_bytes).
  std::string operator()(std::string_view text) const;
  /// Only the character-level folding (no fillers/homophones): used for cues and rule words.
  static std::string fold(std::string_view text, size_t max_bytes);
};

/// Aho-Corasick over bytes. Patterns are added, then build(); find() reports every occurrence.
class Matcher {
 public:
  /// Adds a pattern (non-empty) and returns its id; the same text twice gives the same id.
  int add(std::string_view pattern);
  void build();
  size_t size() const { return patterns_.size(); }
  const std::string& pattern(int id) const { return patterns_[static_cast<size_t>(id)]; }

  struct Hit {
    int id;
    uint32_t begin, end;  ///< byte offsets in the text
  };
  /// Every occurrence in `text`, in order of end offset; at most `max_hits` (the rest are dropped).
  void find(std::string_view text, std::vector<Hit>& out, size_t max_hits) const;

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int>> next;  // sorted by byte
    int fail = 0;
    int out = -1;   // pattern ending here
    int dict = -1;  // nearest node along fail links with out >= 0
  };
  int child(int node, uint8_t b) const;
  std::vector<Node> nodes_{Node{}};
  std::vector<std::string> patterns_;
  bool built_ = false;
};

}  // namespace assist
