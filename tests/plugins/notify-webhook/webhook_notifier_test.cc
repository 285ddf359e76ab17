// notify-webhook: the HMAC-SHA256 signature (DESIGN "On the wire": X-Assist-Signature).
#include "plugins/notify-webhook/webhook_notifier.h"

#include <catch2/catch.hpp>

using assist::hmac_sha256_hex;

TEST_CASE("webhook: HMAC-SHA256 matches RFC 4231", "[plugins][webhook]") {
  // RFC 4231 test case 2
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231 test case 1: key 0x0b * 20, "Hi There"
  CHECK(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There") ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // RFC 4231 test case 6: a key longer than the block size
  CHECK(hmac_sha256_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("webhook: the signature is lower-case hex of 32 bytes", "[plugins][webhook]") {
  const std::string s = hmac_sha256_hex("secret", "1764468000.{\"id\":\"x\"}");
  CHECK(s.size() == 64);
  CHECK(s.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(hmac_sha256_hex("", "") == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}
