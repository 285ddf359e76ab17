// build_message (issue 6): the body carries the recipient's address, a short text for SMS, and the
// links: signoff_url for a dispatch (signed when a LinkSigner is installed), ack_url for an escalation
// pointing at /links/ack/<message id>.
#include "routing/escalation/messages.h"

#include <catch2/catch.hpp>

#include "plugins/notify-common/curl_pool.h"  // utf8_length
#include "routing/common/time_format.h"
#include "routing/http/links.h"

using namespace assist;
using namespace std::chrono_literals;
using Catch::Contains;
using Catch::StartsWith;

namespace {

constexpr const char* kUrl = "https://hotline.example.gov.cn";

Instant at(const char* s) { return *parse_rfc3339(s); }

Ticket ticket(const std::string& request_type = "help") {
  Ticket t;
  t.id = "SA-20261130-000001";
  t.caller = "13812345678";
  t.category = "temporary_assistance";
  t.request_type = request_type;
  t.urgency = "critical";
  t.asr_text = "我叫张三，身份证号150102199001011234，家里着火了";
  t.region_hint = "150102001001";
  t.region_code = "150102001001";
  t.confirmed = true;
  t.opened_at = at("2026-11-30T10:00:00+08:00");
  t.first_response_due = at("2026-11-30T10:15:00+08:00");
  t.resolution_due = at("2026-12-01T10:00:00+08:00");
  return t;
}

DirectoryEntry to(std::string notify, std::string address) {
  DirectoryEntry e;
  e.region = "150102001";
  e.level = "township";
  e.name = "海拉尔东路街道社会救助窗口";
  e.notify = std::move(notify);
  e.role = "office";
  e.address = std::move(address);
  return e;
}

// Uninstalls the signer however the test ends.
struct Installed {
  explicit Installed(std::shared_ptr<const LinkSigner> s) { LinkSigner::install(std::move(s)); }
  ~Installed() { LinkSigner::install(nullptr); }
};

// "<base><path>?exp=..&sig=.." -> path, exp, sig
struct Link {
  std::string path, exp, sig;
};
Link split(const std::string& url) {
  REQUIRE(url.rfind(kUrl, 0) == 0);
  const std::string rest = url.substr(std::string(kUrl).size());
  const auto q = rest.find("?exp=");
  REQUIRE(q != std::string::npos);
  const auto s = rest.find("&sig=");
  REQUIRE(s != std::string::npos);
  return {rest.substr(0, q), rest.substr(q + 5, s - q - 5), rest.substr(s + 5)};
}

}  // namespace

TEST_CASE("messages: a dispatch without a signer links to the pane", "[escalation][messages][issue6]") {
  LinkSigner::install(nullptr);
  const Ticket t = ticket();
  const std::string id = message_id(t.id, "dispatch", "office", "dispatched");
  const auto m = build_message(t, id, "dispatch", "office", "dispatched", to("smtp", "mz@xc.example.gov.cn"), kUrl,
                               t.opened_at);
  CHECK(m.id == id);
  CHECK(m.notify == "smtp");
  CHECK(m.kind == "dispatch");
  CHECK(m.body["to"]["address"] == "mz@xc.example.gov.cn");
  CHECK(m.body["to"]["name"] == "海拉尔东路街道社会救助窗口");
  CHECK(m.body["signoff_url"] == std::string(kUrl) + "/pane/?ticket=" + t.id);
  CHECK_FALSE(m.body.contains("ack_url"));
  const std::string short_text = m.body["short_text"];
  CHECK_THAT(short_text, StartsWith("【12345派单】") && Contains(t.id) && Contains("海拉尔东路街道"));
  CHECK(utf8_length(short_text) < 140);
  CHECK_THAT(m.body["text"].get<std::string>(), Contains(m.body["signoff_url"].get<std::string>()));
}

TEST_CASE("messages: a dispatch with a signer carries a signed sign-off link", "[escalation][messages][issue6]") {
  auto signer = std::make_shared<const LinkSigner>("message-test-secret-0123456789ab", kUrl, 72h);
  Installed guard(signer);
  const Ticket t = ticket();
  const Instant now = t.opened_at + 1min;
  const std::string id = message_id(t.id, "dispatch", "office", "dispatched");
  const auto m = build_message(t, id, "dispatch", "office", "dispatched", to("sms_http", "13800000000"), kUrl, now);
  const std::string url = m.body["signoff_url"];
  CHECK(url == signer->url("/links/signoff/" + t.id, now));
  const Link l = split(url);
  CHECK(l.path == "/links/signoff/" + t.id);
  CHECK(signer->verify(l.path, l.exp, l.sig, now));
  CHECK(signer->verify(l.path, l.exp, l.sig, now + 72h));
  CHECK_FALSE(signer->verify(l.path, l.exp, l.sig, now + 72h + 1s));
  CHECK_THAT(m.body["text"].get<std::string>(), Contains(url));
  CHECK(m.body["to"]["address"] == "13800000000");
  CHECK_FALSE(m.body["short_text"].get<std::string>().empty());
}

TEST_CASE("messages: an escalation carries an ack link to /links/ack/<id>", "[escalation][messages][issue6]") {
  const Ticket t = ticket();
  const Instant now = t.first_response_due;
  const std::string id = message_id(t.id, "escalation", "township", "first_response_overdue");

  SECTION("unsigned: the API path") {
    LinkSigner::install(nullptr);
    const auto m = build_message(t, id, "escalation", "township", "first_response_overdue", to("webhook", ""), kUrl, now);
    CHECK(m.body["ack_url"] == std::string(kUrl) + "/api/v1/escalations/" + id + "/acknowledge");
    CHECK_FALSE(m.body.contains("signoff_url"));
  }
  SECTION("signed") {
    auto signer = std::make_shared<const LinkSigner>("message-test-secret-0123456789ab", kUrl, 72h);
    Installed guard(signer);
    const auto m = build_message(t, id, "escalation", "township", "first_response_overdue",
                                 to("smtp", "coord@example.gov.cn"), kUrl, now);
    const std::string url = m.body["ack_url"];
    CHECK_THAT(url, StartsWith(std::string(kUrl) + "/links/ack/" + id + "?exp="));
    const Link l = split(url);
    CHECK(l.path == "/links/ack/" + id);
    CHECK(signer->verify(l.path, l.exp, l.sig, now));
    CHECK_THAT(m.body["text"].get<std::string>(), Contains(url));
    CHECK(m.body["to"]["address"] == "coord@example.gov.cn");
    const std::string short_text = m.body["short_text"];
    CHECK_THAT(short_text, StartsWith("【12345督办】") && Contains(t.id));
    CHECK(m.body["link"] == std::string(kUrl) + "/pane/?ticket=" + t.id);
  }
  CHECK(LinkSigner::installed() == nullptr);
}

TEST_CASE("messages: no caller number, name, ID number or call text in a message", "[escalation][messages][issue6]") {
  auto signer = std::make_shared<const LinkSigner>("message-test-secret-0123456789ab", kUrl, 72h);
  Installed guard(signer);
  for (const char* kind : {"dispatch", "warning", "escalation"}) {
    for (const char* type : {"help", "report"}) {
      CAPTURE(kind, type);
      const Ticket t = ticket(type);
      const std::string reason = std::string(kind) == "dispatch" ? "dispatched"
                                 : std::string(kind) == "warning" ? "first_response_warning"
                                                                   : "first_response_overdue";
      const auto m = build_message(t, message_id(t.id, kind, "township", reason), kind, "township", reason,
                                   to("sms_http", "13800000000"), kUrl, t.opened_at);
      const std::string all = m.body.dump();
      CHECK(all.find("13812345678") == std::string::npos);
      CHECK(all.find("张三") == std::string::npos);
      CHECK(all.find("150102199001011234") == std::string::npos);
      CHECK(all.find("着火") == std::string::npos);
    }
  }
}

TEST_CASE("messages: a report's dispatch says the reporter is kept confidential", "[escalation][messages][issue6]") {
  LinkSigner::install(nullptr);
  const Ticket t = ticket("report");
  const auto m = build_message(t, message_id(t.id, "dispatch", "office", "dispatched"), "dispatch", "office",
                               "dispatched", to("webhook", ""), kUrl, t.opened_at);
  CHECK_THAT(m.body["text"].get<std::string>(), Contains("举报人身份保密"));
}
