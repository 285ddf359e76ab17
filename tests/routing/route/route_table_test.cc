// RouteTable: first match wins over category / urgency / language (config `routing.table`).
#include "routing/route/route_table.h"

#include <catch2/catch.hpp>

using assist::RouteTable;

TEST_CASE("route table: the built-in table, first match wins", "[route][table]") {
  const auto c = assist::default_config();
  const RouteTable t(c.route_table, c.queues);
  CHECK(t.route("temporary_assistance", "critical", "zh").queue == "sa_critical");
  CHECK(t.route("temporary_assistance", "critical", "zh").contact_uri == "sip:sa-critical@127.0.0.1:5080");
  CHECK(t.route("medical_assistance", "urgent", "zh").queue == "sa_urgent");
  CHECK(t.route("minimum_living_allowance", "normal", "zh").queue == "sa_general");
  CHECK(t.route("not_social_assistance", "normal", "zh").queue == "general");
  CHECK(t.route("unsure", "normal", "zh").queue == "sa_general");
  CHECK(t.route("temporary_assistance", "critical", "mn").queue == "sa_mongolian");  // language row first
  CHECK(t.route("unsure", "normal", "mn").queue == "sa_mongolian");
}
