// Signed links (routing/http/links.h, issue 6): LinkSigner::url/verify with expiry, tampering refused,
// and link_secret()'s key file (created 0600 on first use, reused afterwards).
#include "routing/http/links.h"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "routing/common/time_format.h"

using namespace assist;
using namespace std::chrono_literals;

namespace {

constexpr const char* kBase = "https://hotline.example.gov.cn";

Instant t0() { return *parse_rfc3339("2026-11-30T10:00:00+08:00"); }

struct Parsed {
  std::string path, exp, sig;
};

// "<base><path>?exp=...&sig=..." -> its parts (REQUIREs the shape).
Parsed parse(const std::string& url) {
  REQUIRE(url.rfind(kBase, 0) == 0);
  const std::string rest = url.substr(std::string(kBase).size());
  const auto q = rest.find('?');
  REQUIRE(q != std::string::npos);
  Parsed p;
  p.path = rest.substr(0, q);
  const std::string query = rest.substr(q + 1);
  const auto amp = query.find('&');
  REQUIRE(amp != std::string::npos);
  REQUIRE(query.substr(0, 4) == "exp=");
  p.exp = query.substr(4, amp - 4);
  REQUIRE(query.substr(amp + 1, 4) == "sig=");
  p.sig = query.substr(amp + 5);
  return p;
}

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/links_test_XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

}  // namespace

TEST_CASE("links: url has path, expiry and a 32-hex signature", "[links][issue6]") {
  const LinkSigner s("k-0123456789abcdef0123456789abcdef", kBase, 3600s);
  const std::string url = s.url("/links/ack/SA-20261130-000001-escalation-township-first_response_overdue", t0());
  const Parsed p = parse(url);
  CHECK(p.path == "/links/ack/SA-20261130-000001-escalation-township-first_response_overdue");
  const auto t0_s = std::chrono::duration_cast<std::chrono::seconds>(t0().time_since_epoch()).count();
  CHECK(p.exp == std::to_string(t0_s + 3600));
  REQUIRE(p.sig.size() == 32);
  CHECK(p.sig.find_first_not_of("0123456789abcdef") == std::string::npos);
  // deterministic for the same path and instant
  CHECK(s.url(p.path, t0()) == url);
}

TEST_CASE("links: verify accepts its own link until it expires", "[links][issue6]") {
  const LinkSigner s("secret-secret-secret-secret-1234", kBase, 3600s);
  const Parsed p = parse(s.url("/links/signoff/SA-20261130-000001", t0()));
  CHECK(s.verify(p.path, p.exp, p.sig, t0()));
  CHECK(s.verify(p.path, p.exp, p.sig, t0() + 59min));
  CHECK(s.verify(p.path, p.exp, p.sig, t0() + 3600s));  // the expiry second itself still works
  CHECK_FALSE(s.verify(p.path, p.exp, p.sig, t0() + 3601s));
  CHECK_FALSE(s.verify(p.path, p.exp, p.sig, t0() + 24h));
}

TEST_CASE("links: tampered links are refused", "[links][issue6]") {
  const LinkSigner s("secret-secret-secret-secret-1234", kBase, 3600s);
  const Parsed p = parse(s.url("/links/ack/M1", t0()));
  REQUIRE(s.verify(p.path, p.exp, p.sig, t0()));

  SECTION("another path") {
    CHECK_FALSE(s.verify("/links/ack/M2", p.exp, p.sig, t0()));
    CHECK_FALSE(s.verify("/links/signoff/M1", p.exp, p.sig, t0()));
  }
  SECTION("a later expiry") {
    const std::string later = std::to_string(std::stoll(p.exp) + 86400);
    CHECK_FALSE(s.verify(p.path, later, p.sig, t0()));
  }
  SECTION("one digit of the signature changed") {
    std::string sig = p.sig;
    sig[5] = sig[5] == '0' ? '1' : '0';
    CHECK_FALSE(s.verify(p.path, p.exp, sig, t0()));
  }
  SECTION("malformed signature or expiry") {
    CHECK_FALSE(s.verify(p.path, p.exp, "", t0()));
    CHECK_FALSE(s.verify(p.path, p.exp, p.sig.substr(0, 31), t0()));
    CHECK_FALSE(s.verify(p.path, p.exp, p.sig + "0", t0()));
    CHECK_FALSE(s.verify(p.path, "", p.sig, t0()));
    CHECK_FALSE(s.verify(p.path, "-1", p.sig, t0()));
    CHECK_FALSE(s.verify(p.path, p.exp + "x", p.sig, t0()));
    CHECK_FALSE(s.verify(p.path, "9999999999999", p.sig, t0()));  // 13 digits
  }
  SECTION("another secret") {
    const LinkSigner other("another-secret-another-secret-12", kBase, 3600s);
    CHECK_FALSE(other.verify(p.path, p.exp, p.sig, t0()));
  }
}

TEST_CASE("links: install and installed", "[links][issue6]") {
  auto s = std::make_shared<const LinkSigner>("secret-secret-secret-secret-1234", kBase, 3600s);
  LinkSigner::install(s);
  CHECK(LinkSigner::installed() == s);
  LinkSigner::install(nullptr);
  CHECK(LinkSigner::installed() == nullptr);
}

TEST_CASE("links: link_secret prefers the configured key", "[links][issue6]") {
  TempDir d;
  const std::string file = d.path + "/link.key";
  CHECK(link_secret("configured-key", file) == "configured-key");
  CHECK_FALSE(std::filesystem::exists(file));  // no file written when a key is configured
}

TEST_CASE("links: link_secret creates a 0600 key file and reuses it", "[links][issue6]") {
  TempDir d;
  const std::string file = d.path + "/link.key";
  const std::string k1 = link_secret("", file);
  CHECK(k1.size() >= 32);
  CHECK(k1.find_first_not_of("0123456789abcdef") == std::string::npos);
  REQUIRE(std::filesystem::exists(file));
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // survives a restart: the same key again
  CHECK(link_secret("", file) == k1);
  // another file: another random key
  CHECK(link_secret("", d.path + "/other.key") != k1);

  SECTION("a key written by an operator is used as is") {
    const std::string mine(40, 'a');
    {
      std::ofstream out(d.path + "/mine.key");
      out << mine << "\n";
    }
    CHECK(link_secret("", d.path + "/mine.key") == mine);
  }
}

TEST_CASE("links: link_secret throws when the key file cannot be written", "[links][issue6]") {
  TempDir d;
  CHECK_THROWS_AS(link_secret("", d.path + "/no/such/dir/link.key"), std::runtime_error);
}
