#pragma once
// Multi-pattern matching for the classifier: every cue, condition and negation word found in one pass over the
// normalized text (classifier.cc), and the normalizer's replacements (text_match.h).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace assist {

/// Aho-Corasick over the characters of UTF-8 text. Patterns are added, then build(); find() reports every
/// occurrence of every pattern, exactly where the pattern's bytes occur in the text (as a byte-wise search would).
///
/// build() makes the automaton complete (find() never walks failure links) and compact, so that its hot part stays
/// in the L1 cache: one step a character, not a byte, and a step is one load that depends on the previous one.
///  - Characters map to classes: every distinct character of the patterns has a class 1..K, every other character
///    (and every byte that is not valid UTF-8) is class 0, which leads back to the root from any state.
///  - The root's transitions are a dense row over classes. Every other state keeps only its exceptions, the
///    classes on which it goes somewhere else than the root would, packed into one array the way a double-array
///    trie packs its rows: state s owns slot base(s) + c for each of its exceptions c, a slot records its owner,
///    and a slot not owned by the current state means "as from the root".
///  - Unless the exceptions could pass 16 a state (thousands of cues over a small alphabet): then rows are the
///    trie's children only and find() follows failure links (about 12 % slower on the built-in rules), so that
///    memory stays linear in the patterns.
class Matcher {
 public:
  /// Adds a pattern and returns its id (0, 1, ... in order of first addition); the same text twice gives the
  /// same id. Throws std::invalid_argument when `pattern` is empty or not valid UTF-8. find() sees it after the
  /// next build().
  int add(std::string_view pattern);
  /// Compiles the patterns added so far. Throws std::length_error beyond 65535 distinct characters or 2^31 slots.
  void build();
  size_t size() const { return patterns_.size(); }
  const std::string& pattern(int id) const { return patterns_[static_cast<size_t>(id)]; }
  /// Heap and object bytes of the compiled automaton and the patterns (for `scripts/bench classify`).
  size_t memory_bytes() const;

  /// How build() compiled the automaton (for tests and logs): states, whether it is complete (no failure walks),
  /// whether slots are 64-bit (more than 65536 of them), and how many slots.
  struct Shape {
    size_t states = 0;
    bool complete = true;
    bool wide = false;
    size_t slots = 0;
  };
  Shape shape() const;

  struct Hit {
    int id;
    uint32_t begin, end;  ///< byte offsets in the text
  };
  /// Appends every occurrence in `text` (any bytes; texts are at most 4 GiB) to `out`, in order of end offset
  /// and, among those that end together, longest first; stops once `out` holds `max_hits`. Nothing before the
  /// first build() or after an add() without build().
  void find(std::string_view text, std::vector<Hit>& out, size_t max_hits) const;

 private:
  static constexpr unsigned kPageBits = 6;  // class table: pages of 64 code points
  // The class of the character at text[i]; advances i past it (one byte when the bytes are not valid UTF-8).
  uint32_t next_class(std::string_view text, size_t& i) const;
  template <bool kComplete, class Slot>
  void scan(std::string_view text, std::vector<Hit>& out, size_t max_hits, const std::vector<Slot>& slots) const;

  std::vector<std::string> patterns_;
  bool built_ = false;

  // Character classes (0: in no pattern).
  std::array<uint16_t, 128> ascii_class_{};
  std::vector<uint16_t> page_of_;  // BMP code point >> kPageBits -> page; page 0 is all class 0
  std::vector<uint16_t> pages_;    // (page << kPageBits) + (code point & 63) -> class
  std::vector<std::pair<char32_t, uint16_t>> astral_;  // code points >= U+10000 in patterns, sorted
  uint32_t nclasses_ = 1;

  // The automaton. A state is named by its base, odd when it or a state on its failure chain ends a pattern (find()
  // then reports), even otherwise; the root's base is 0.
  std::vector<uint32_t> root_next_;  // class -> base of the root's transition
  // Slot base + c: (owner base << 16 | target base) while there are at most 65536 slots (half the cache footprint),
  // else the same in 32-bit halves; an empty slot's owner is all ones, never a base.
  std::vector<uint32_t> slots16_;
  std::vector<uint64_t> slots32_;
  std::vector<int32_t> node_of_base_;  // base -> state (only read to report outputs)
  std::vector<uint32_t> fail_of_base_;  // base -> base of the failure state; only when not complete
  bool complete_ = true;
  size_t states_ = 0;
  std::vector<int32_t> out_;           // state -> the pattern ending there, or -1
  std::vector<int32_t> dict_;          // state -> the nearest state on its failure chain with out_ >= 0, or -1
};

}  // namespace assist
