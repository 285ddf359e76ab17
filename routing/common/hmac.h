#pragma once
// HMAC-SHA256 (RFC 2104, FIPS 180-4) through OpenSSL's libcrypto: webhook signatures, signed links, the
// keyed hashes of the low-income monitoring list, stable mail Message-IDs.
#include <string>
#include <string_view>

namespace assist {

/// HMAC-SHA256 of `data` under `key`, 64 lower-case hex digits (RFC 4231 test vectors hold).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

}  // namespace assist
