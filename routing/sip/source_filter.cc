#include "routing/sip/source_filter.h"

#include <stdexcept>

namespace assist::sip {

SourceFilter::SourceFilter(const std::vector<std::string>& cidrs) {
  for (const auto& c : cidrs) {
    auto slash = c.find('/');
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(c.substr(0, slash), ec);
    if (ec) throw std::invalid_argument("sip.allow: not an address: " + c);
    Prefix p{};
    p.v6 = addr.is_v6();
    int max = p.v6 ? 128 : 32;
    p.bits = max;
    if (slash != std::string::npos) {
      try {
        std::size_t used = 0;
        p.bits = std::stoi(c.substr(slash + 1), &used);
        if (used != c.size() - slash - 1) throw std::invalid_argument("");
      } catch (const std::exception&) {
        throw std::invalid_argument("sip.allow: bad prefix length: " + c);
      }
      if (p.bits < 0 || p.bits > max) throw std::invalid_argument("sip.allow: bad prefix length: " + c);
    }
    if (p.v6) {
      auto b = addr.to_v6().to_bytes();
      std::copy(b.begin(), b.end(), p.bytes.begin());
    } else {
      auto b = addr.to_v4().to_bytes();
      std::copy(b.begin(), b.end(), p.bytes.begin());
    }
    prefixes_.push_back(p);
  }
}

bool SourceFilter::allowed(const boost::asio::ip::address& in) const {
  boost::asio::ip::address a = in;
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    a = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  std::array<unsigned char, 16> bytes{};
  bool v6 = a.is_v6();
  if (v6) {
    auto b = a.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), bytes.begin());
  } else {
    auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), bytes.begin());
  }
  for (const auto& p : prefixes_) {
    if (p.v6 != v6) continue;
    int full = p.bits / 8, rest = p.bits % 8;
    bool ok = std::equal(bytes.begin(), bytes.begin() + full, p.bytes.begin());
    if (ok && rest) {
      unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
      ok = (bytes[std::size_t(full)] & mask) == (p.bytes[std::size_t(full)] & mask);
    }
    if (ok) return true;
  }
  return false;
}

}  // namespace assist::sip
