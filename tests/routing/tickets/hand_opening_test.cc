// Tickets opened by hand (POST /api/v1/tickets; routing/tickets/ticket_service.h HandOpening): the body is
// checked field by field, the agent's labels lie over the classifier's, the call path's opening and 并单
// rules hold, and the ticket's deadlines count the office's region (its hours, its days off).
#include <catch2/catch.hpp>

#include "tests/routing/common/test_world.h"

using namespace assist;
using namespace assist::testing;
using nlohmann::json;

namespace {

HandOpening labelled(std::string channel = "walk_in", std::string caller = "13912345678") {
  HandOpening h;
  h.channel = std::move(channel);
  h.caller = std::move(caller);
  h.text = "老人一个人在家，暖气坏了";
  h.category = "temporary_assistance";
  h.request_type = "help";
  h.urgency = "critical";
  h.region_code = kPlace;
  h.by = "坐席王";
  return h;
}

}  // namespace

TEST_CASE("hand: a walk-in opens a ticket with the agent's labels, unconfirmed like a call's", "[tickets][hand]") {
  World w;
  std::vector<std::string> heard;
  w.service->on_change([&](const std::shared_ptr<const Ticket>& t, const std::string& what) { heard.push_back(what + " " + t->id); });
  const HandOpening h = labelled();
  const auto o = w.service->open_by_hand(h, hand_labels(h, std::nullopt, true));
  const Ticket& t = o.ticket;
  CHECK_FALSE(o.joined);
  CHECK_FALSE(o.known);
  CHECK(t.id == "SA-20261130-000001");
  CHECK(t.channel == "walk_in");
  CHECK(t.call_id == "hand SA-1");
  CHECK(t.category == "temporary_assistance");
  CHECK(t.urgency == "critical");
  CHECK(t.confidence == 1.0);
  CHECK(t.reasons.size() == 3);
  CHECK(t.reasons[0].rule == "agent");
  CHECK(t.reasons[0].label == "category=temporary_assistance");
  CHECK(t.region_code == kPlace);
  CHECK_FALSE(t.confirmed);
  CHECK(t.status == "open");
  CHECK(t.queue.empty());
  CHECK(t.asr_text == h.text);
  CHECK(format_rfc3339(t.first_response_due) == "2026-11-30T10:15:00+08:00");  // critical: 15 min
  CHECK(t.sla_rule == "urgency=critical first_response=15m resolution=24h");
  CHECK(heard == std::vector<std::string>{"opened " + t.id});
  CHECK(w.event_types(t.id) == std::vector<std::string>{"opened", "hand_opened"});
  const auto ev = w.store->events(t.id).back();
  CHECK(ev["by"] == "坐席王");
  CHECK(ev["body"]["channel"] == "walk_in");
  CHECK(ev["body"]["contact_id"] == "hand SA-1");
  CHECK(ev["body"]["joined"] == false);
  // durable, found by its contact, shown with its channel; a SIP call's ticket says "sip"
  REQUIRE(w.store->by_call("hand SA-1"));
  CHECK(w.store->get(t.id)->channel == "walk_in");
  CHECK(to_api(t, w.clock.now())["channel"] == "walk_in");
  CHECK(to_api(w.open_critical("sip-1@pbx", "13800000001"), w.clock.now())["channel"] == "sip");
  // confirming keeps the place the agent gave and dispatches as for a call
  const Ticket c = w.confirm(t.id);
  CHECK(c.region_code == kPlace);
  REQUIRE(c.assignee);
  CHECK(c.assignee->name == "海拉尔东路街道社会救助窗口");
}

TEST_CASE("hand: the caller's open ticket in the same category is joined (并单), the third contact flags",
          "[tickets][hand]") {
  World w;
  const Ticket call = w.open_critical("call-1@pbx", "13912345678");  // a SIP call first
  HandOpening h = labelled("phone");
  w.clock.advance(std::chrono::minutes(5));
  const auto o = w.service->open_by_hand(h, hand_labels(h, std::nullopt, true));
  CHECK(o.joined);
  CHECK(o.ticket.id == call.id);
  CHECK(o.ticket.call_count == 2);
  CHECK(o.ticket.channel.empty());  // the ticket is still the call's
  CHECK_FALSE(has(o.ticket.flags, "repeat_caller"));
  CHECK(w.event_types(call.id) == std::vector<std::string>{"opened", "call_joined", "hand_opened"});
  CHECK(w.store->events(call.id).back()["body"]["joined"] == true);
  const auto third = w.service->open_by_hand(h, hand_labels(h, std::nullopt, true));
  CHECK(third.ticket.call_count == 3);
  CHECK(has(third.ticket.flags, "repeat_caller"));
  // another category, or no number: a ticket of its own
  HandOpening other = labelled("web");
  other.category = "medical_assistance";
  CHECK_FALSE(w.service->open_by_hand(other, hand_labels(other, std::nullopt, true)).joined);
  HandOpening anonymous = labelled("walk_in", "");
  const auto a = w.service->open_by_hand(anonymous, hand_labels(anonymous, std::nullopt, true));
  CHECK_FALSE(a.joined);
  CHECK(a.ticket.caller.empty());
}

TEST_CASE("hand: a more urgent contact raises the call's ticket and keeps its queue (a contact has none)",
          "[tickets][hand]") {
  World w;
  const Ticket call = w.service->open_for_call(facts("q@pbx", "13911112222"),
                                               labels("temporary_assistance", "consult", "normal"), "sa_general");
  HandOpening h = labelled("walk_in", "13911112222");
  h.urgency = "urgent";
  const auto o = w.service->open_by_hand(h, hand_labels(h, std::nullopt, true));
  REQUIRE(o.joined);
  CHECK(o.ticket.id == call.id);
  CHECK(o.ticket.urgency == "urgent");
  CHECK(o.ticket.queue == "sa_general");  // was "": the ticket fell out of every queue
  CHECK(w.store->get(call.id)->queue == "sa_general");
}

TEST_CASE("hand: a contact_id sent again opens nothing new", "[tickets][hand]") {
  World w;
  HandOpening h = labelled();
  h.contact_id = "web-msg-4711";
  const auto first = w.service->open_by_hand(h, hand_labels(h, std::nullopt, true));
  CHECK(first.ticket.call_id == "hand web-msg-4711");
  const auto again = w.service->open_by_hand(h, hand_labels(h, std::nullopt, true));
  CHECK(again.known);
  CHECK(again.ticket.id == first.ticket.id);
  CHECK(again.ticket.call_count == 1);
  CHECK(w.event_types(first.ticket.id) == std::vector<std::string>{"opened", "hand_opened"});
  // the same contact_id with another number is another contact, once: sent again it is known
  h.caller = "13600005555";
  const auto other = w.service->open_by_hand(h, hand_labels(h, std::nullopt, true));
  CHECK_FALSE(other.known);
  CHECK(other.ticket.id != first.ticket.id);
  const auto other_again = w.service->open_by_hand(h, hand_labels(h, std::nullopt, true));
  CHECK(other_again.known);
  CHECK(other_again.ticket.id == other.ticket.id);
  CHECK(w.store->get(other.ticket.id)->call_count == 1);
}

TEST_CASE("hand: a SIP Call-ID that looks like a hand contact's id takes neither's ticket", "[tickets][hand]") {
  World w;
  HandOpening h = labelled();
  h.contact_id = "abc";
  h.caller = "";  // no 并单 by caller: only the contact key could join them
  const auto hand = w.service->open_by_hand(h, hand_labels(h, std::nullopt, true));
  // the old key form, and anything a SIP Call-ID can be (no space), is another call
  const auto call = w.service->open_for_call(facts("hand:abc", ""), labels("temporary_assistance", "help", "urgent"),
                                             "sa_urgent");
  CHECK(call.id != hand.ticket.id);
  CHECK(w.store->by_call("hand:abc")->id == call.id);
  CHECK(w.store->by_call("hand abc")->id == hand.ticket.id);
  // and the parser refuses a Call-ID with a space, so no call can reach "hand abc"
}

TEST_CASE("hand: the body is checked field by field", "[tickets][hand]") {
  const auto refused = [](const char* body) { return event_error([&] { hand_opening_from_json(json::parse(body)); }); };
  struct Case {
    const char* body;
    std::string code, field;
  };
  const Case cases[] = {
      {R"([1])", "bad_body", ""},
      {R"({"text": "家里着火了"})", "missing_field", "channel"},
      {R"({"channel": "fax", "text": "x"})", "bad_field", "channel"},
      {R"({"channel": "web"})", "missing_field", "text"},
      {R"({"channel": "web", "category": "temporary_assistance", "urgency": "critical"})", "missing_field", "text"},
      {R"({"channel": "web", "text": "x", "category": "dibao"})", "bad_label", "category"},
      {R"({"channel": "web", "text": "x", "urgency": "high"})", "bad_label", "urgency"},
      {R"({"channel": "web", "text": "x", "request_type": 3})", "bad_field", "request_type"},
      {R"({"channel": "web", "text": "x", "catgory": "temporary_assistance"})", "unknown_field", "catgory"},
      {R"({"channel": "web", "text": "x", "caller": "call me"})", "bad_field", "caller"},
      {R"({"channel": "web", "text": "x", "region_code": "1501"})", "bad_region", "region_code"},
      {R"({"channel": "web", "text": "x", "region_code": "159999"})", "unknown_region", "region_code"},
      {R"({"channel": "web", "text": "x", "region_hint": "15010a"})", "bad_region", "region_hint"},
      {R"({"channel": "web", "text": "x", "language": "en"})", "bad_field", "language"},
      {R"({"channel": "web", "text": "x", "contact_id": "a b"})", "bad_field", "contact_id"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    const auto e = refused(c.body);
    CHECK(e.status == 400);
    CHECK(e.code == c.code);
    CHECK(e.field == c.field);
  }
  const HandOpening ok = hand_opening_from_json(json::parse(
      R"({"channel": "phone", "text": "低保停了", "caller": "+8613912345678", "region_hint": "150102", "language": "mn",
          "by": "坐席王", "note": "来电号码 13912345678", "contact_id": "pbx2.call-9"})"));
  CHECK(ok.channel == "phone");
  CHECK(ok.caller == "13912345678");  // normalized as the call path keys callers
  CHECK_FALSE(ok.labelled());
  CHECK(ok.facts().region_hint == "150102");
  CHECK(ok.facts().asr_text == "低保停了");
  CHECK(ok.facts().language == "mn");
  CHECK(ok.note.find("13912345678") == std::string::npos);  // free text is masked
  // the forms a PBX or an agent writes a number in, as the call path and GET /api/v1/calls take them
  for (const auto& [given, keyed] : std::vector<std::pair<std::string, std::string>>{
           {"+86 139-1234-5678", "13912345678"}, {"(0471) 691 2345", "04716912345"}, {"139.1234.5678", "13912345678"},
           {"+86 471 691 2345", "04716912345"},
           {"１３９１２３４５６７８", "13912345678"},  // full-width, as a Chinese input method types it
           {"（０４７１）６９１　２３４５", "04716912345"}, {"１３９－１２３４－５６７８", "13912345678"},
           {"139—1234—5678", "13912345678"}, {"139·1234·5678", "13912345678"}, {"139\u00a01234\u00a05678", "13912345678"}}) {
    INFO(given);
    CHECK(hand_opening_from_json({{"channel", "phone"}, {"text", "低保"}, {"caller", given}}).caller == keyed);
  }
  for (const char* bad : {"12", "room1", "+", "1234567890123456789012"}) {
    INFO(bad);
    CHECK(refused(json({{"channel", "phone"}, {"text", "低保"}, {"caller", bad}}).dump().c_str()).field == "caller");
  }
}

TEST_CASE("hand: the agent's labels lie over the classifier's; not social assistance opens nothing",
          "[tickets][hand]") {
  Classification classified = labels("minimum_living_allowance", "consult", "normal", 0.8);
  classified.reasons.push_back({"dibao.stopped", "低保", "category=minimum_living_allowance", "", 1.0});
  classified.flags = {"monitored_household"};
  HandOpening h;
  h.channel = "web";
  h.text = "低保停了";
  h.request_type = "complaint";
  const Classification c = hand_labels(h, classified, true);
  CHECK(c.category == "minimum_living_allowance");
  CHECK(c.request_type == "complaint");
  CHECK(c.urgency == "normal");
  CHECK(c.confidence == 0.8);  // the classifier's: the agent gave one label only
  REQUIRE(c.reasons.size() == 2);
  CHECK(c.reasons[0].rule == "agent");
  CHECK(c.reasons[0].label == "request_type=complaint");
  CHECK(c.reasons[1].rule == "dibao.stopped");
  CHECK(c.flags == std::vector<std::string>{"monitored_household"});

  const Classification general = labels("not_social_assistance", "consult", "normal", 0.9);
  HandOpening water;
  water.channel = "web";
  water.text = "水费怎么交";
  auto e = event_error([&] { hand_labels(water, general, false); });
  CHECK(e.status == 422);
  CHECK(e.code == "not_social_assistance");
  CHECK(e.field == "text");
  CHECK(hand_labels(water, general, true).category == "not_social_assistance");  // unsure: the agent decides
  water.category = "not_social_assistance";
  water.request_type = "consult";
  water.urgency = "normal";
  e = event_error([&] { hand_labels(water, std::nullopt, true); });
  CHECK(e.status == 422);
  CHECK(e.field == "category");
}

TEST_CASE("hand and call tickets: deadlines count the office's region, its hours are stored", "[tickets][hours]") {
  World w;
  // invented for the test: 海拉尔东路街道 (150102001) keeps 09:00-12:00 and 13:00-16:00 and closes Tuesday 1 Dec
  auto calendar = std::make_shared<WorkingDayCalendar>(*WorkingDayCalendar::builtin());
  calendar->load_regional_yaml("year: 2026\ndays:\n  - {region: \"150102001\", date: 2026-12-01, name: 测试}\n",
                               "regions-2026.yaml");
  auto hours = business_hours_from_json(json::parse(R"({"150102001": {"hours": ["09:00-12:00", "13:00-16:00"]}})"));
  w.policy = std::make_shared<SlaPolicy>(
      limits_from_json(json::parse(R"([{"urgency": "urgent", "first_response": "4wh", "resolution": "2wd"},
                                       {"first_response": "1wd", "resolution": "10wd"}])")),
      calendar, hours);
  w.restart();
  HandOpening h = labelled();
  h.urgency = "urgent";
  const Ticket t = w.service->open_by_hand(h, hand_labels(h, std::nullopt, true)).ticket;  // Monday 10:00
  // 10:00-12:00, 13:00-15:00
  CHECK(format_rfc3339(t.first_response_due) == "2026-11-30T15:00:00+08:00");
  // 2wd: Tuesday closed in this township -> Wednesday, Thursday
  CHECK(format_rfc3339(t.resolution_due) == "2026-12-04T00:00:00+08:00");
  CHECK(t.business_hours == "150102001: 09:00-12:00 13:00-16:00");
  CHECK(w.store->get(t.id)->business_hours == t.business_hours);
  CHECK(to_api(t, w.clock.now())["business_hours"] == t.business_hours);
  CHECK(t.policy_version == w.policy->version());

  // a call with a hint elsewhere counts the default hours until the agent confirms the place
  const Ticket call = w.service->open_for_call(facts("c@pbx", "13700000000", "150203001"),
                                               labels("temporary_assistance", "help", "urgent"), "sa_urgent");
  CHECK(format_rfc3339(call.first_response_due) == "2026-11-30T16:30:00+08:00");  // 10-12, 14:30-16:30
  CHECK(call.business_hours == "08:30-12:00 14:30-18:00");
  CHECK(format_rfc3339(call.resolution_due) == "2026-12-03T00:00:00+08:00");
  const Ticket moved = w.confirm(call.id, {{"region_code", kPlace}});  // the office that must act is here
  CHECK(format_rfc3339(moved.first_response_due) == "2026-11-30T15:00:00+08:00");
  CHECK(format_rfc3339(moved.resolution_due) == "2026-12-04T00:00:00+08:00");
  CHECK(moved.business_hours == "150102001: 09:00-12:00 13:00-16:00");
  for (const auto& e : w.store->events(call.id))  // the history says which hours counted
    if (e["type"] == "confirm") CHECK(e["body"]["business_hours"] == moved.business_hours);
}

TEST_CASE("hand: a SIP call with Call-ID 'hand' from a second number never meets a hand contact's key",
          "[tickets][hand]") {
  World w;
  HandOpening h = labelled();
  h.contact_id = "13900000002";  // a contact id that is also a number
  h.caller = "13700000003";
  const auto hand = w.service->open_by_hand(h, hand_labels(h, std::nullopt, true));
  const auto first = w.service->open_for_call(facts("hand", "13800000001"), labels("temporary_assistance", "help", "urgent"),
                                              "sa_urgent");
  // the Call-ID "hand" from the number that is the contact's id: its own ticket, not the hand contact's
  const auto second = w.service->open_for_call(facts("hand", "13900000002"),
                                               labels("temporary_assistance", "help", "urgent"), "sa_urgent");
  CHECK(second.id != hand.ticket.id);
  CHECK(second.id != first.id);
  CHECK(second.caller == "13900000002");
  CHECK(w.store->get(hand.ticket.id)->call_count == 1);
  // and it again is that same call
  CHECK(w.service->open_for_call(facts("hand", "13900000002"), labels("temporary_assistance", "help", "urgent"),
                                 "sa_urgent").id == second.id);
  CHECK(w.store->call_id_shared("hand"));
  CHECK_FALSE(w.store->call_id_shared("hand 13900000002"));  // the hand contact's key is not shared
}
