#include "routing/storage/key_filter.h"

#include <bit>
#include <functional>

namespace assist {
namespace {

constexpr int kProbes = 6;
constexpr std::size_t kBitsPerKey = 10;
constexpr std::size_t kMinBits = std::size_t(1) << 20;

/// Two 64-bit hashes of `key`: h1 picks the block, h2's six 9-bit fields the bits within it.
std::pair<std::uint64_t, std::uint64_t> hashes(std::string_view key) {
  const std::uint64_t h1 = std::hash<std::string_view>{}(key);
  std::uint64_t h2 = h1 * 0x9E3779B97F4A7C15ull;
  h2 ^= h2 >> 29;
  return {h1, h2};
}

}  // namespace

KeyFilter::KeyFilter(std::size_t expected) {
  const std::size_t want = std::max(kMinBits, expected * kBitsPerKey);
  const std::size_t bits = std::bit_ceil(want);
  bits_.assign(bits / 64, 0);
  mask_ = bits - 1;
}

// Blocked: all probes of a key fall in one 512-bit block (one cache line), chosen by h1; the bits
// within it come from h2. One cache miss per key instead of six (Putze, Sanders, Singler 2007).
void KeyFilter::add(std::string_view key) {
  auto [h, step] = hashes(key);
  std::uint64_t* block = &bits_[(h & mask_) >> 9 << 3];
  for (int i = 0; i < kProbes; ++i, step >>= 9) block[(step >> 6) & 7] |= std::uint64_t(1) << (step & 63);
}

bool KeyFilter::maybe(std::string_view key) const {
  auto [h, step] = hashes(key);
  const std::uint64_t* block = &bits_[(h & mask_) >> 9 << 3];
  for (int i = 0; i < kProbes; ++i, step >>= 9)
    if (!(block[(step >> 6) & 7] & (std::uint64_t(1) << (step & 63)))) return false;
  return true;
}

}  // namespace assist
