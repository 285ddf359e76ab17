#pragma once
// Per-source token buckets (`sip.rate_limit`): each source address may send `per_second` messages a
// second on average, `burst` at once. Bounded in memory: at most `max_sources` buckets; when full,
// buckets that have refilled completely (idle sources) are dropped, and if none has, the source is
// refused (a flood of spoofed sources cannot grow the table). Not thread-safe: the SIP strand owns it.
#include <array>
#include <cstdint>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

#include "routing/common/clock.h"

namespace assist::sip {

struct RateLimit {
  double per_second = 20000;  ///< 0 = unlimited
  double burst = 20000;
  std::size_t max_sources = 65536;
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimit limit) : limit_(limit) {}
  /// True when a message from `a` at `now` is within its source's rate (and takes a token).
  bool allow(const boost::asio::ip::address& a, Instant now);
  std::size_t sources() const { return buckets_.size(); }

 private:
  using Key = std::array<unsigned char, 16>;
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      std::uint64_t h = 1469598103934665603ull;
      for (unsigned char c : k) h = (h ^ c) * 1099511628211ull;
      return h;
    }
  };
  struct Bucket {
    double tokens;
    Instant at;
  };
  void sweep(Instant now);
  RateLimit limit_;
  std::unordered_map<Key, Bucket, KeyHash> buckets_;
};

}  // namespace assist::sip
