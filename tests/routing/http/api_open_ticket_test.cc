// POST /api/v1/tickets (Api::open_ticket): an agent opens a ticket by hand. The classify probe is the
// call path's own decision (CallRouter::plan), wired as assistlined wires it.
#include <catch2/catch.hpp>

#include "routing/classify/loader.h"
#include "routing/http/api.h"
#include "routing/route/call_router.h"
#include "tests/routing/common/test_world.h"

using namespace assist;
using namespace assist::testing;
namespace beasthttp = boost::beast::http;
using nlohmann::json;

namespace {

struct Rig {
  World w;
  CallRouter router{Classifier::builtin(), RouteTable(w.config.route_table, w.config.queues), *w.service, w.clock};
  Api api{*w.service, *w.store, w.clock,
          Api::Probes{[] { return true; }, [] { return std::string(); },
                      [this](const CallFacts& f) {  // as in routing/main.cc
                        const auto p = router.plan(f);
                        auto j = classification_json(p.labels);
                        j["ticketed"] = p.ticketed;
                        j["queue"] = p.route.queue;
                        return j;
                      }}};

  http::Response post(const std::string& body, const std::string& target = "/api/v1/tickets") {
    http::Request req{beasthttp::verb::post, target, 11};
    req.set(beasthttp::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    return api.handle(req, boost::asio::ip::make_address("127.0.0.1"));
  }
};

json body_of(const http::Response& r) { return json::parse(r.body()); }

void check_error(const http::Response& r, int status, const std::string& code, const std::string& field) {
  INFO(r.body());
  CHECK(static_cast<int>(r.result_int()) == status);
  const json j = body_of(r);
  REQUIRE(j.contains("error"));
  CHECK(j["error"]["code"] == code);
  CHECK(j["error"]["field"] == field);
  CHECK_FALSE(j["error"]["message"].get<std::string>().empty());
}

}  // namespace

TEST_CASE("api: POST /api/v1/tickets classifies the text as a call's and answers 201", "[http][api][hand]") {
  Rig r;
  const auto res = r.post(R"({"channel": "walk_in", "text": "家里昨晚着火了，房子全烧没了，老人孩子现在没地方住",
                              "caller": "13912345678", "region_code": "150102001001", "by": "坐席王"})");
  INFO(res.body());
  REQUIRE(res.result_int() == 201);
  const json t = body_of(res);
  CHECK(std::string(res[beasthttp::field::location]) == "/api/v1/tickets/" + t["id"].get<std::string>());
  // the call path's labels for this text (the same as a call with it in X-ASR-Text)
  const auto plan = r.router.plan(HandOpening{.channel = "walk_in", .text = "家里昨晚着火了，房子全烧没了，老人孩子现在没地方住",
                                              .caller = "13912345678"}
                                      .facts());
  CHECK(t["category"] == plan.labels.category);
  CHECK(t["urgency"] == plan.labels.urgency);
  CHECK(t["category"] == "temporary_assistance");
  CHECK(t["confidence"] == plan.labels.confidence);
  CHECK_FALSE(t["reasons"].empty());
  CHECK(t["channel"] == "walk_in");
  CHECK(t["caller"] == "139****5678");  // masked as everywhere in the API
  CHECK(t["region_code"] == "150102001001");
  CHECK(t["confirmed"] == false);
  CHECK(t["status"] == "open");
  CHECK(t["call_count"] == 1);
  CHECK(t["first_response_due"].is_string());
  CHECK(t["clocks"]["first_response"]["due"] == t["first_response_due"]);
  CHECK(t["policy_version"] == r.w.policy->version());
  CHECK(has(t["allowed_events"].get<std::vector<std::string>>(), "confirm"));
  CHECK(t["earlier_tickets"].empty());
  // the screen pop and the ticket answer find it
  const std::string id = t["id"];
  http::Request get{beasthttp::verb::get, "/api/v1/tickets/" + id, 11};
  CHECK(r.api.handle(get, boost::asio::ip::make_address("127.0.0.1")).result_int() == 200);
  CHECK(r.w.event_types(id) == std::vector<std::string>{"opened", "hand_opened"});
}

TEST_CASE("api: POST /api/v1/tickets takes the agent's labels and joins the caller's open ticket",
          "[http][api][hand]") {
  Rig r;
  const auto first = r.post(R"({"channel": "phone", "caller": "13912345678", "category": "minimum_living_allowance",
                                "request_type": "complaint", "urgency": "normal", "region_hint": "150102"})");
  REQUIRE(first.result_int() == 201);
  const json a = body_of(first);
  CHECK(a["category"] == "minimum_living_allowance");
  CHECK(a["request_type"] == "complaint");
  CHECK(a["confidence"] == 1.0);
  CHECK(a["reasons"][0]["rule"] == "agent");
  CHECK(a["sla_rule"] == "request_type=complaint|report first_response=1wd resolution=15wd");
  CHECK(a["region_hint"] == "150102");
  CHECK(a["region_code"] == "");
  // the same caller, same category, from a web message: 并单, 200 with the open ticket
  const auto second = r.post(R"({"channel": "web", "caller": "13912345678", "text": "我的低保被停了，一直没人处理"})");
  INFO(second.body());
  REQUIRE(second.result_int() == 200);
  const json b = body_of(second);
  CHECK(b["id"] == a["id"]);
  CHECK(b["call_count"] == 2);
  CHECK(b["channel"] == "phone");  // the ticket's first contact
  CHECK(std::string(second[beasthttp::field::location]) == "/api/v1/tickets/" + a["id"].get<std::string>());
  // a third contact within 24 h: repeat_caller
  const json c = body_of(r.post(R"({"channel": "web", "caller": "13912345678", "text": "低保的事还是没人管"})"));
  CHECK(c["call_count"] == 3);
  CHECK(has(c["flags"].get<std::vector<std::string>>(), "repeat_caller"));
}

TEST_CASE("api: POST /api/v1/tickets refuses a bad body with the field at fault", "[http][api][hand]") {
  Rig r;
  check_error(r.post("not json"), 400, "bad_json", "");
  check_error(r.post("[1, 2]"), 400, "bad_body", "");
  check_error(r.post(R"({"text": "家里着火了"})"), 400, "missing_field", "channel");
  check_error(r.post(R"({"channel": "walk_in"})"), 400, "missing_field", "text");
  check_error(r.post(R"({"channel": "walk_in", "text": "x", "urgency": "very"})"), 400, "bad_label", "urgency");
  check_error(r.post(R"({"channel": "walk_in", "text": "x", "region_code": "999999"})"), 400, "unknown_region",
              "region_code");
  check_error(r.post(R"({"channel": "walk_in", "text": "x", "ivr_digits": "3"})"), 400, "unknown_field", "ivr_digits");
  // the call's ticketing rule: confidently not social assistance opens nothing
  check_error(r.post(R"({"channel": "web", "text": "请问这个月的水费怎么在网上交，交费网站打不开"})"), 422,
              "not_social_assistance", "text");
  check_error(r.post(R"({"channel": "web", "category": "not_social_assistance", "request_type": "consult",
                         "urgency": "normal"})"),
              422, "not_social_assistance", "category");
  CHECK(r.w.store->list({}).empty());  // nothing was written
  http::Request put{beasthttp::verb::put, "/api/v1/tickets", 11};
  CHECK(r.api.handle(put, boost::asio::ip::make_address("127.0.0.1")).result_int() == 405);
}

TEST_CASE("api: POST /api/v1/tickets without a classifier needs every label", "[http][api][hand]") {
  World w;
  Api api{*w.service, *w.store, w.clock, Api::Probes{[] { return true; }, [] { return std::string(); }}};
  const auto post = [&](const std::string& body) {
    http::Request req{beasthttp::verb::post, "/api/v1/tickets", 11};
    req.body() = body;
    req.prepare_payload();
    return api.handle(req, boost::asio::ip::make_address("127.0.0.1"));
  };
  check_error(post(R"({"channel": "walk_in", "text": "家里着火了"})"), 503, "unavailable", "text");
  const auto ok = post(R"({"channel": "walk_in", "category": "stranded_person", "request_type": "help",
                           "urgency": "critical", "region_code": "150102001"})");
  REQUIRE(ok.result_int() == 201);
  CHECK(body_of(ok)["category"] == "stranded_person");
}

TEST_CASE("api: a key given twice or a number out of range is a 400 naming it, and nothing is written",
          "[http][api][hand]") {
  Rig r;
  // the last key would win: a body read as one channel (or a harmless note) would act as another
  check_error(r.post(R"({"channel": "phone", "channel": "web", "text": "家里断粮了"})"), 400, "duplicate_key",
               "channel");
  check_error(r.post(R"({"channel": "phone", "text": "家里断粮了", "caller": 1e400})"), 400, "bad_json", "");
  check_error(r.post(R"({"channel": "phone", "text": "断粮", "extra": {"a": 1, "a": 2}})"), 400, "duplicate_key", "a");
  CHECK(r.w.store->list({}).empty());
  // the same key in two different objects is no duplicate
  const auto ok = r.post(R"({"channel": "phone", "text": "家里断粮了，孩子饿着", "caller": "13912345670", "by": "a"})");
  CHECK(ok.result_int() == 201);
}
