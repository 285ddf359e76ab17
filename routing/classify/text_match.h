#pragma once
// Text normalization for the classifier (rules: ops/rules/default.yaml); the matching is in matcher.h.
// Normalized text: valid UTF-8 only, full-width ASCII folded to half-width, ASCII letters lower-cased,
// spaces dropped, punctuation collapsed to one clause mark '|', fillers removed, ASR homophones replaced.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "routing/classify/matcher.h"

namespace assist {

/// The clause separator that punctuation becomes; cues never contain it, negation never crosses it.
inline constexpr char kClauseMark = '|';

/// Traditional -> simplified Chinese with OpenCC's t2s (Debian's libopencc; config /usr/share/opencc/t2s.json).
/// Loaded once per process; when OpenCC or its data is missing, texts pass unchanged (logged once).
/// Fast path: a text with no character that t2s changes (a per-character table built once) never converts.
/// A text that does is converted without OpenCC's per-call machinery or its lock: OpenCC's own dictionaries
/// (TSPhrases, TSCharacters, read once) applied the way t2s applies them (longest phrase at each position,
/// else the character's first mapping); `convert_reference` is OpenCC's C API, what the tests compare with.
class TraditionalConverter {
 public:
  static const TraditionalConverter& instance();
  bool available() const { return handle_ != nullptr; }
  /// True when the dictionaries were read (else convert() is convert_reference()).
  bool fast() const { return tables_ != nullptr; }
  /// True when some character of `text` (valid UTF-8) is traditional-only.
  bool needs(std::string_view text) const;
  /// True when t2s changes the character `cp` on its own (what needs() asks of each character).
  bool changes(char32_t cp) const {
    const size_t word = cp / 64;
    return word < bits_.size() && (bits_[word] >> (cp % 64) & 1);
  }
  /// The simplified text (phrase-level conversion); `text` unchanged when unavailable.
  std::string convert(std::string_view text) const;
  /// Appends the simplified text to `out` (no allocation beyond `out`'s growth).
  void convert_into(std::string_view text, std::string& out) const;
  /// OpenCC's C API (opencc_convert_utf8, behind a lock: its handle is not documented as thread-safe).
  std::string convert_reference(std::string_view text) const;

 private:
  TraditionalConverter();
  ~TraditionalConverter();
  struct Tables;
  void* handle_ = nullptr;
  std::vector<uint64_t> bits_;  // code points 0..0x2FFFF that t2s changes on their own
  std::unique_ptr<Tables> tables_;
};

struct Normalizer {
  std::vector<std::string> fillers;                              ///< removed (already prepared)
  std::vector<std::pair<std::string, std::string>> homophones;  ///< from -> to (ASR confusions)
  std::vector<std::string> keep;                                 ///< words protected from filler/homophone rewriting
  size_t max_bytes = 4096;                                       ///< input is cut here (at a char boundary)
  bool traditional = true;                                       ///< convert traditional characters (OpenCC t2s)

  /// Compiles fillers, homophones and keep into one replacement automaton; call after filling them.
  void build();
  /// Normalizes any bytes (invalid UTF-8 is dropped); never throws except std::bad_alloc.
  /// prepare() then one leftmost-longest pass replacing homophones and removing fillers.
  std::string operator()(std::string_view text) const;
  /// The same into `out` (replaced); scratch buffers are per thread, so a warm call allocates nothing.
  void normalize_into(std::string_view text, std::string& out) const;
  /// fold(), traditional -> simplified, Chinese numerals before a unit of time, age, temperature or money
  /// to ASCII digits (两天前 -> 2天前, 零下三十度 -> 零下30度, 三四天 -> 4天); no fillers or homophones.
  std::string prepare(std::string_view text) const;
  /// Only the character-level folding: valid UTF-8, full-width ASCII -> half-width, lower case, no spaces,
  /// punctuation -> one clause mark.
  static std::string fold(std::string_view text, size_t max_bytes);
  /// Chinese numerals before a unit -> ASCII digits (part of prepare()).
  static std::string fold_numerals(std::string_view folded);
  /// The same into `out` (replaced); false (and `out` untouched) when there is nothing to change.
  static bool fold_numerals_into(std::string_view folded, std::string& out);
  /// fold() into `out` (replaced).
  static void fold_into(std::string_view text, size_t max_bytes, std::string& out);

  size_t memory_bytes() const;

  Normalizer();
  ~Normalizer();
  Normalizer(Normalizer&&) noexcept;
  Normalizer& operator=(Normalizer&&) noexcept;

 private:
  void prepare_into(std::string_view text, std::string& out, std::string& tmp) const;
  std::unique_ptr<Matcher> repl_;
  std::vector<std::string> repl_to_;  // per pattern id
};

}  // namespace assist
