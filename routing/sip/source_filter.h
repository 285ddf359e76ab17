#pragma once
// The `sip.allow` source allow-list: CIDR prefixes ("127.0.0.0/8", "::1/128", "10.1.2.3").
// IPv4-mapped IPv6 sources are matched as IPv4.
#include <array>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace assist::sip {

class SourceFilter {
 public:
  /// Throws std::invalid_argument naming the bad entry.
  explicit SourceFilter(const std::vector<std::string>& cidrs);
  bool allowed(const boost::asio::ip::address& a) const;

 private:
  struct Prefix {
    bool v6;
    std::array<unsigned char, 16> bytes;
    int bits;
  };
  std::vector<Prefix> prefixes_;
};

}  // namespace assist::sip
