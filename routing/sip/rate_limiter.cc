#include "routing/sip/rate_limiter.h"

#include <algorithm>

namespace assist::sip {

bool RateLimiter::allow(const boost::asio::ip::address& a, Instant now) {
  if (limit_.per_second <= 0) return true;
  Key k{};
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), k.begin());
  } else if (a.to_v6().is_v4_mapped()) {
    auto b = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_bytes();
    std::copy(b.begin(), b.end(), k.begin());
  } else {
    k = a.to_v6().to_bytes();
    k[15] ^= 0x80;  // keep v6 keys distinct from v4 ones (which leave bytes 4..15 zero)
    k[14] ^= 0x5a;
  }
  auto it = buckets_.find(k);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limit_.max_sources) {
      sweep(now);
      if (buckets_.size() >= limit_.max_sources) return false;
    }
    it = buckets_.emplace(k, Bucket{limit_.burst, now}).first;
  } else {
    const double elapsed = std::chrono::duration<double>(now - it->second.at).count();
    if (elapsed > 0) {
      it->second.tokens = std::min(limit_.burst, it->second.tokens + elapsed * limit_.per_second);
      it->second.at = now;
    }
  }
  if (it->second.tokens < 1.0) return false;
  it->second.tokens -= 1.0;
  return true;
}

void RateLimiter::sweep(Instant now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double elapsed = std::chrono::duration<double>(now - it->second.at).count();
    if (it->second.tokens + elapsed * limit_.per_second >= limit_.burst) it = buckets_.erase(it);
    else ++it;
  }
}

}  // namespace assist::sip
