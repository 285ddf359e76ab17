#pragma once
// Which keys a set may hold, in fixed memory: a Bloom filter (Bloom 1970, "Space/time trade-offs in hash
// coding with allowable errors"). The store asks it before an indexed lookup on the call path: a caller or
// Call-ID it has never seen needs no SQL at all, and nearly every call is from a caller with no open
// ticket.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace assist {

/// `maybe(k)` is true for every key ever `add`ed (no false negatives) and, for keys never added, false
/// except for about 1 in 100 while the filter holds no more than the `expected` keys it was sized for
/// (10 bits a key or more, 6 probes, all in one 64-byte block; 1 in 1 000 at 16 bits a key). Past that
/// the false "maybe"s grow more common; each only costs the lookup it would have saved. Keys cannot be
/// removed. Not thread-safe (the store's write lock).
class KeyFilter {
 public:
  /// Sized for `expected` keys, at least 2^20 bits (128 KiB).
  explicit KeyFilter(std::size_t expected = 0);
  void add(std::string_view key);
  bool maybe(std::string_view key) const;
  std::size_t bytes() const { return bits_.size() * sizeof(std::uint64_t); }

 private:
  std::vector<std::uint64_t> bits_;
  std::uint64_t mask_ = 0;  ///< bit count - 1 (a power of two)
};

}  // namespace assist
