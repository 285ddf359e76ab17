// CallRouter::plan: classify, decide whether the call opens a ticket, and route it (DESIGN "Unsure calls",
// "IVR digits").
#include "routing/route/call_router.h"

#include <catch2/catch.hpp>

#include "tests/routing/common/test_world.h"

using namespace assist;
using namespace assist::testing;

namespace {

struct Router {
  World w;
  CallRouter router{Classifier::builtin(), RouteTable(w.config.route_table, w.config.queues), *w.service, w.clock};
  CallRouter::Plan plan(const std::string& text, const std::string& ivr = "", const std::string& lang = "") {
    CallFacts f = facts("c@pbx", "13812345678");
    f.asr_text = text;
    f.ivr_digits = ivr;
    f.language = lang;
    return router.plan(f);
  }
  /// The call from `caller` with `text` through on_invite (the router's own path, no SIP): its decision.
  sip::RedirectDecision invite(const std::string& call_id, const std::string& caller, const std::string& text) {
    CallFacts f = facts(call_id, caller);
    f.asr_text = text;
    sip::RedirectDecision got;
    router.on_invite(f, [&](sip::RedirectDecision d) { got = std::move(d); });
    return got;
  }
};

/// A decision's header `name`, or "(absent)".
std::string header(const sip::RedirectDecision& d, const std::string& name) {
  for (const auto& [k, v] : d.headers)
    if (k == name) return v;
  return "(absent)";
}

const char* kStreetLight = "我们小区门口的路灯坏了好几天了，晚上太黑";
const char* kFire = "家里昨晚着火了，房子全烧没了，老人孩子现在没地方住，外面零下二十多度";

}  // namespace

TEST_CASE("router: a street light is general 12345 business, no ticket", "[route][router]") {
  Router r;
  const auto p = r.plan(kStreetLight);
  CHECK(p.labels.category == "not_social_assistance");
  CHECK_FALSE(p.ticketed);
  CHECK(p.route.queue == "general");
  CHECK(p.route.contact_uri == "sip:12345@127.0.0.1:5080");
}

TEST_CASE("router: the social-assistance menu is never sent to the general queue unseen", "[route][router]") {
  Router r;
  const auto p = r.plan(kStreetLight, "3");
  CHECK(p.labels.category == "not_social_assistance");
  CHECK(p.ticketed);
  CHECK(p.route.queue == "sa_general");  // routed as "unsure"
}

TEST_CASE("router: a fire with no shelter goes to the critical queue", "[route][router]") {
  Router r;
  const auto p = r.plan(kFire);
  CHECK(p.labels.urgency == "critical");
  CHECK(p.ticketed);
  CHECK(p.route.queue == "sa_critical");
}

TEST_CASE("router: a calmer call joining an emergency's ticket goes to the emergency's queue", "[route][router]") {
  Router r;
  auto got = r.invite("j-1@pbx", "13812345678", kFire);
  REQUIRE(got.contact == "sip:sa-critical@127.0.0.1:5080");
  const auto fire = r.w.store->by_call("j-1@pbx");
  REQUIRE(fire);
  CallFacts g = facts("j-2@pbx", "13812345678");
  g.asr_text = "想问一下临时救助怎么申请";
  REQUIRE(r.router.plan(g).labels.urgency == "normal");
  REQUIRE(r.router.plan(g).labels.category == fire->category);
  got = r.invite("j-2@pbx", "13812345678", g.asr_text);
  CHECK(r.w.store->by_call("j-2@pbx")->id == fire->id);  // 并单
  CHECK(got.contact == "sip:sa-critical@127.0.0.1:5080");  // headers and queue agree: critical
  CHECK(header(got, "X-Assist-Urgency") == "critical");
}

TEST_CASE("router: a call in Mongolian goes to the Mongolian queue with a ticket", "[route][router]") {
  Router r;
  auto p = r.plan(kStreetLight, "", "mn");
  CHECK(p.labels.language == "mn");
  CHECK(p.ticketed);
  CHECK(p.route.queue == "sa_mongolian");
  p = r.plan(kFire, "", "mn");
  CHECK(p.route.queue == "sa_mongolian");
}

TEST_CASE("router: on_invite opens the ticket and answers with its headers", "[route][router]") {
  Router r;
  auto got = r.invite("inv-1@pbx", "13812345678", kFire);
  CHECK(got.contact == "sip:sa-critical@127.0.0.1:5080");
  auto header = [&](const std::string& name) { return ::header(got, name); };
  const auto t = r.w.store->by_call("inv-1@pbx");
  REQUIRE(t);
  CHECK(header("X-Assist-Ticket") == t->id);
  CHECK(header("X-Assist-Urgency") == "critical");
  CHECK(header("Priority") == "emergency");
  CHECK(r.router.tickets_opened() == 1);

  got = r.invite("inv-2@pbx", "13912345678", kStreetLight);
  CHECK(header("X-Assist-Ticket") == "(absent)");
  CHECK_FALSE(r.w.store->by_call("inv-2@pbx"));
  CHECK(r.router.calls() == 2);
}
