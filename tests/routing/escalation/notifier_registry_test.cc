// Notifier plugins as factories registered by name (issue 6): the built-in registry, registering twice,
// unknown names, and each factory checking its config at start with the key at fault in the message.
#include "routing/escalation/notifier_registry.h"

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace assist;
using Catch::Contains;
using Catch::StartsWith;
using nlohmann::json;

namespace {

class NullNotifier final : public Notifier {
 public:
  explicit NullNotifier(int n) : n_(n) {}
  void deliver(const OutboxMessage&, std::function<void(DeliveryResult)> done) override { done({true, false, ""}); }
  void stop() override {}
  int max_in_flight() const override { return n_; }

 private:
  int n_;
};

std::string what_of(const NotifierRegistry& r, const std::string& name, const json& config) {
  try {
    auto n = r.make(name, config);
    if (n) n->stop();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("notifier registry: the built-ins", "[escalation][notifier-registry][issue6]") {
  const auto r = NotifierRegistry::builtin();
  CHECK(r.has("webhook"));
  CHECK(r.has("smtp"));
  CHECK(r.has("sms_http"));
  CHECK_FALSE(r.has("fax"));
  CHECK(r.names() == std::vector<std::string>{"sms_http", "smtp", "webhook"});
}

TEST_CASE("notifier registry: a name registered twice is a logic error", "[escalation][notifier-registry][issue6]") {
  auto r = NotifierRegistry::builtin();
  auto f = [](const json&) -> std::unique_ptr<Notifier> { return std::make_unique<NullNotifier>(1); };
  CHECK_THROWS_AS(r.add("webhook", f), std::logic_error);
  CHECK_THROWS_WITH(r.add("smtp", f), Contains("smtp"));
  r.add("fax", f);
  CHECK(r.has("fax"));
  CHECK_THROWS_AS(r.add("fax", f), std::logic_error);

  NotifierRegistry empty;
  CHECK(empty.names().empty());
  empty.add("x", f);
  CHECK_THROWS_AS(empty.add("x", f), std::logic_error);
}

TEST_CASE("notifier registry: make an unknown name", "[escalation][notifier-registry][issue6]") {
  const auto r = NotifierRegistry::builtin();
  CHECK_THROWS_AS(r.make("fax", json::object()), std::invalid_argument);
  CHECK_THROWS_WITH(r.make("fax", json::object()), Contains("fax"));
  CHECK_THROWS_AS(NotifierRegistry().make("webhook", {{"url", "http://x"}}), std::invalid_argument);
}

TEST_CASE("notifier registry: replace swaps a factory for a fake", "[escalation][notifier-registry][issue6]") {
  auto r = NotifierRegistry::builtin();
  r.replace("smtp", [](const json& c) -> std::unique_ptr<Notifier> {
    return std::make_unique<NullNotifier>(c.value("max_in_flight", 3));
  });
  auto n = r.make("smtp", {{"max_in_flight", 5}});
  REQUIRE(n);
  CHECK(n->max_in_flight() == 5);
  CHECK_THROWS_AS(r.replace("fax", [](const json&) -> std::unique_ptr<Notifier> { return nullptr; }), std::logic_error);
}

TEST_CASE("notifier registry: valid configs build notifiers with their limits", "[escalation][notifier-registry][issue6]") {
  const auto r = NotifierRegistry::builtin();
  auto w = r.make("webhook", {{"url", "http://127.0.0.1:9/hook"}});
  REQUIRE(w);
  CHECK(w->max_in_flight() == 8);
  w->stop();
  auto s = r.make("smtp", {{"url", "smtp://127.0.0.1:9"}, {"from", "assistline@example.gov.cn"}});
  REQUIRE(s);
  CHECK(s->max_in_flight() == 4);
  s->stop();
  auto m = r.make("sms_http", {{"url", "http://127.0.0.1:9/send"}, {"max_in_flight", 2}, {"method", "GET"}});
  REQUIRE(m);
  CHECK(m->max_in_flight() == 2);
  m->stop();
  auto w2 = r.make("webhook", {{"url", "https://hooks.example/x"}, {"max_in_flight", 3}, {"timeout", "5s"}});
  CHECK(w2->max_in_flight() == 3);
  w2->stop();
}

TEST_CASE("notifier registry: each factory rejects a bad config naming the key", "[escalation][notifier-registry][issue6]") {
  const auto r = NotifierRegistry::builtin();
  SECTION("webhook") {
    CHECK_THAT(what_of(r, "webhook", json::object()), StartsWith("url"));
    CHECK_THAT(what_of(r, "webhook", {{"url", ""}}), StartsWith("url"));
    CHECK_THAT(what_of(r, "webhook", {{"url", "ftp://x"}}), StartsWith("url"));
    CHECK_THAT(what_of(r, "webhook", {{"url", 42}}), StartsWith("url"));
    CHECK_THAT(what_of(r, "webhook", {{"url", "http://x"}, {"timeout", "2wd"}}), StartsWith("timeout"));
    CHECK_THAT(what_of(r, "webhook", {{"url", "http://x"}, {"timeout", 10}}), StartsWith("timeout"));
    CHECK_THAT(what_of(r, "webhook", {{"url", "http://x"}, {"max_in_flight", 0}}), StartsWith("max_in_flight"));
    CHECK_THAT(what_of(r, "webhook", {{"url", "http://x"}, {"max_in_flight", 65}}), StartsWith("max_in_flight"));
  }
  SECTION("smtp") {
    CHECK_THAT(what_of(r, "smtp", {{"url", "smtp://127.0.0.1:25"}}), StartsWith("from"));
    CHECK_THAT(what_of(r, "smtp", {{"url", "smtp://127.0.0.1:25"}, {"from", "nobody"}}), StartsWith("from"));
    CHECK_THAT(what_of(r, "smtp", {{"from", "a@b.cn"}}), StartsWith("url"));
    CHECK_THAT(what_of(r, "smtp", {{"url", "http://127.0.0.1"}, {"from", "a@b.cn"}}), StartsWith("url"));
    CHECK_THAT(what_of(r, "smtp", {{"url", "smtps://x"}, {"from", "a@b.cn"}, {"timeout", "1wh"}}), StartsWith("timeout"));
    CHECK_THAT(what_of(r, "smtp", {{"url", "smtps://x"}, {"from", "a@b.cn"}, {"max_in_flight", "4"}}),
               StartsWith("max_in_flight"));
  }
  SECTION("sms_http") {
    CHECK_THAT(what_of(r, "sms_http", json::object()), StartsWith("url"));
    CHECK_THAT(what_of(r, "sms_http", {{"url", "smtp://x"}}), StartsWith("url"));
    CHECK_THAT(what_of(r, "sms_http", {{"url", "http://x"}, {"method", "DELETE"}}), StartsWith("method"));
    CHECK_THAT(what_of(r, "sms_http", {{"url", "http://x"}, {"max_chars", 10}}), StartsWith("max_chars"));
    CHECK_THAT(what_of(r, "sms_http", {{"url", "http://x"}, {"body", 7}}), StartsWith("body"));
  }
}
