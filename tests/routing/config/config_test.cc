// Config: built-in defaults, a file merged over them, and errors that name file:line: key
// (DESIGN "Config").
#include "routing/config/config.h"

#include <catch2/catch.hpp>

#include <filesystem>

using assist::Config;
using assist::FileError;
using assist::load_config_text;
using namespace std::chrono_literals;

TEST_CASE("config: the built-in defaults are sane", "[config]") {
  const Config c = assist::default_config();
  CHECK(c.instance == "SA");
  CHECK(c.http_host == "127.0.0.1");
  CHECK(c.http_port == 8080);
  CHECK(c.public_url == "http://127.0.0.1:8080");
  REQUIRE(c.sip.listen.size() == 2);
  CHECK(c.limits.size() == 5);
  CHECK(c.warning_at == Approx(0.8));
  REQUIRE(c.ladder.size() == 3);
  CHECK(c.ladder[0].level == "township");
  CHECK(c.ladder[0].step == 15min);
  CHECK(c.ladder[1].level == "county");
  CHECK(c.ladder[1].step == 30min);
  CHECK(c.ladder[2].level == "league");
  CHECK(c.ladder[2].step == 1h);
  CHECK(c.directory.empty());
  CHECK(c.queues.count("sa_general") == 1);
  CHECK(c.queues.count("general") == 1);
  REQUIRE_FALSE(c.route_table.empty());
  CHECK(c.route_table.back().queue == "sa_general");
  CHECK(c.notifiers.empty());  // a webhook with no url is not configured
  CHECK(c.retry.initial == 1s);
  CHECK(c.retry.max == 5min);
  CHECK(c.retry.max_attempts == 20);
}

TEST_CASE("config: a file holds only what differs", "[config]") {
  const Config c = load_config_text("escalation:\n  warning_at: 0.5\n", "site.yaml");
  CHECK(c.source == "site.yaml");
  CHECK(c.warning_at == Approx(0.5));
  CHECK(c.limits.size() == 5);  // kept
  CHECK(c.ladder.size() == 3);  // a sibling key of the same section is kept too
  CHECK(c.http_port == 8080);
}

TEST_CASE("config: lists replace, maps merge", "[config]") {
  const Config c = load_config_text(R"(
escalation:
  ladder:
    - {level: township, step: 5m}
directory:
  - {region: "150102001", level: township, name: 海拉尔东路街道, notify: webhook}
  - {region: "150102001", level: township, name: 医保站, notify: webhook, role: office, department: medical_insurance}
http:
  public_url: "https://hotline.example/"
)", "site.yaml");
  REQUIRE(c.ladder.size() == 1);
  CHECK(c.ladder[0].step == 5min);
  REQUIRE(c.directory.size() == 2);
  CHECK(c.directory[0].role == "coordinator");
  CHECK(c.directory[0].department == "civil_affairs");
  CHECK(c.directory[1].role == "office");
  CHECK(c.public_url == "https://hotline.example");  // no trailing slash
  CHECK(c.http_port == 8080);                          // http.listen kept
}

TEST_CASE("config: an empty file is the defaults", "[config]") {
  for (const char* text : {"", "\n", "# only a comment\n"}) {
    CAPTURE(text);
    const Config c = load_config_text(text, "empty.yaml");
    CHECK(c.limits.size() == 5);
    CHECK(c.ladder.size() == 3);
  }
}

TEST_CASE("config: errors name source:line: key", "[config]") {
  using Catch::Contains;
  using Catch::StartsWith;
  SECTION("unknown key") {
    CHECK_THROWS_AS(load_config_text("http:\n  listen: \"127.0.0.1:8080\"\n  colour: blue\n", "c.yaml"), FileError);
    CHECK_THROWS_WITH(load_config_text("http:\n  listen: \"127.0.0.1:8080\"\n  colour: blue\n", "c.yaml"),
                      StartsWith("c.yaml:") && Contains("http") && Contains("colour"));
    CHECK_THROWS_WITH(load_config_text("instance: SA\nescalaton: {}\n", "c.yaml"),
                      StartsWith("c.yaml:") && Contains("escalaton"));
  }
  SECTION("the same SIP listen address twice (it could not be bound twice at start)") {
    CHECK_THROWS_WITH(load_config_text("sip:\n  listen: [\"udp:127.0.0.1:5999\", \"tcp:127.0.0.1:5999\", "
                                       "\"udp:127.0.0.1:5999\"]\n", "c.yaml"),
                      StartsWith("c.yaml:2: sip.listen[2]") && Contains("the same as entry 0"));
  }
  SECTION("listen addresses that would take the same port (a wildcard, or HTTP on a SIP TCP port)") {
    CHECK_THROWS_WITH(load_config_text("sip:\n  listen: [\"udp:0.0.0.0:5999\", \"udp:127.0.0.1:5999\"]\n", "c.yaml"),
                      StartsWith("c.yaml:2: sip.listen[1]") && Contains("overlaps entry 0 (udp:0.0.0.0:5999)"));
    CHECK_THROWS_WITH(load_config_text("sip:\n  listen: [\"tcp:[::]:5999\", \"tcp:10.0.0.5:5999\"]\n", "c.yaml"),
                      Contains("sip.listen[1]") && Contains("overlaps entry 0"));
    // an IPv4-mapped IPv6 address is the IPv4 address on the wire
    for (const char* pair : {"\"udp:[::ffff:127.0.0.1]:5999\", \"udp:127.0.0.1:5999\"",
                             "\"udp:[::ffff:0.0.0.0]:5999\", \"udp:127.0.0.1:5999\"",
                             "\"udp:[::1]:5999\", \"udp:[0:0:0:0:0:0:0:1]:5999\""}) {
      CAPTURE(pair);
      CHECK_THROWS_WITH(load_config_text(std::string("sip:\n  listen: [") + pair + "]\n", "c.yaml"),
                        Contains("sip.listen[1]") && Contains("overlaps entry 0"));
    }
    CHECK_THROWS_WITH(load_config_text("sip:\n  listen: [\"tcp:127.0.0.1:8080\"]\nhttp:\n  listen: \"[::ffff:127.0.0.1]:8080\"\n",
                                       "c.yaml"),
                      Contains("http.listen") && Contains("sip.listen[0]"));
    CHECK_THROWS_WITH(load_config_text("sip:\n  listen: [\"tcp:127.0.0.1:8080\"]\nhttp:\n  listen: \"127.0.0.1:8080\"\n",
                                       "c.yaml"),
                      StartsWith("c.yaml:4: http.listen") && Contains("the same TCP port as sip.listen[0]"));
    CHECK_THROWS_WITH(load_config_text("sip:\n  listen: [\"tcp:0.0.0.0:8080\"]\nhttp:\n  listen: \"127.0.0.1:8080\"\n",
                                       "c.yaml"),
                      Contains("http.listen") && Contains("sip.listen[0]"));
    // what can be bound side by side stays valid: UDP beside TCP, two addresses, HTTP beside SIP over UDP
    CHECK_NOTHROW(load_config_text("sip:\n  listen: [\"udp:0.0.0.0:5999\", \"tcp:0.0.0.0:5999\"]\n", "c.yaml"));
    CHECK_NOTHROW(load_config_text("sip:\n  listen: [\"udp:0.0.0.0:5999\", \"udp:[::1]:5999\"]\n"
                                   "http:\n  listen: \"127.0.0.1:5999\"\n", "c.yaml"));
    CHECK_NOTHROW(load_config_text("sip:\n  listen: [\"udp:10.0.0.5:5999\", \"udp:127.0.0.1:5999\"]\n", "c.yaml"));
  }
  SECTION("a first response due after the resolution") {
    CHECK_THROWS_WITH(load_config_text("sla:\n  limits:\n    - {first_response: 2h, resolution: 1h}\n", "c.yaml"),
                      StartsWith("c.yaml:3: sla.limits[0].first_response: 2h is later") &&
                          Contains("2h is later than resolution 1h"));
  }
  SECTION("a bad limits rule is named by its own line and key, once") {
    CHECK_THROWS_WITH(load_config_text("sla:\n  limits:\n    - {urgency: critical, first_response: 1h, resolution: 2h}\n"
                                       "    - {first_response: 3h, resolution: 2h}\n", "c.yaml"),
                      StartsWith("c.yaml:4: sla.limits[1].first_response: 3h is later") &&
                          !Contains("sla.limits: sla.limits"));
    CHECK_THROWS_WITH(load_config_text("sla:\n  limits:\n    - {urgency: critical, first_response: 1h, resolution: 2h}\n",
                                       "c.yaml"),
                      StartsWith("c.yaml:3: sla.limits[0]: the last rule must match everything"));
  }
  SECTION("bad duration") {
    CHECK_THROWS_WITH(load_config_text("escalation:\n  ladder:\n    - {level: township, step: 15 minutes}\n", "c.yaml"),
                      StartsWith("c.yaml:3: escalation.ladder[0].step"));
    CHECK_THROWS_WITH(load_config_text("notify:\n  webhook:\n    timeout: 2wd\n", "c.yaml"),
                      StartsWith("c.yaml:3: notify.webhook.timeout"));
  }
  SECTION("a value of the wrong type or out of range says what was wanted") {
    CHECK_THROWS_WITH(load_config_text("sla:\n  limits: {normal: 5}\n", "c.yaml"),
                      StartsWith("c.yaml:2: sla.limits: expected a list, found a mapping"));
    CHECK_THROWS_WITH(load_config_text("sip:\n  listen: \"udp:127.0.0.1:5999\"\n", "c.yaml"),
                      StartsWith("c.yaml:2: sip.listen: expected a list, found a string"));
    CHECK_THROWS_WITH(load_config_text("storage:\n  group_commit_ms: 70\n", "c.yaml"),
                      StartsWith("c.yaml:2: storage.group_commit_ms: must be at most 50"));
    CHECK_THROWS_WITH(load_config_text("http:\n  max_connections: 0\n", "c.yaml"),
                      StartsWith("c.yaml:2: http.max_connections: must be at least 1"));
    CHECK(load_config_text("http:\n  max_connections: 40\n", "c.yaml").http_max_connections == 40);
    CHECK(assist::default_config().http_max_connections == 512);
    CHECK_THROWS_WITH(load_config_text("http:\n  listen: localhost:8080\n", "c.yaml"),
                      StartsWith("c.yaml:2: http.listen: not a listen address: write HOST:PORT"));
    CHECK_THROWS_WITH(load_config_text("sip:\n  listen: [\"localhost:5060\"]\n", "c.yaml"),
                      Contains("write udp:HOST:PORT or tcp:HOST:PORT"));
    CHECK_THROWS_WITH(load_config_text("log:\n  level: loud\n", "c.yaml"),
                      StartsWith("c.yaml:2: log.level: must be one of: trace, debug, info, warn, error"));
    CHECK_THROWS_WITH(load_config_text("sla:\n  limits: []\n", "c.yaml"),
                      StartsWith("c.yaml:2: sla.limits: must have at least 1 item"));
    CHECK_THROWS_WITH(load_config_text("sip:\n  listen: [\"sctp:127.0.0.1:5\"]\n", "c.yaml"),
                      StartsWith("c.yaml:2: sip.listen[0]: not a listen address: write udp:HOST:PORT"));
  }
  SECTION("a route to an unknown queue") {
    CHECK_THROWS_WITH(load_config_text("routing:\n  table:\n    - {urgency: critical, queue: nowhere}\n    - {queue: general}\n",
                                       "c.yaml"),
                      StartsWith("c.yaml:3: routing.table[0].queue") && Contains("nowhere"));
  }
  SECTION("a directory region of the wrong length") {
    CHECK_THROWS_WITH(
        load_config_text("directory:\n  - {region: \"150102\", level: township, name: x, notify: webhook}\n", "c.yaml"),
        StartsWith("c.yaml:2: directory[0].region") && Contains("9-digit"));
    CHECK_THROWS_WITH(
        load_config_text("directory:\n  - {region: \"150102\", level: county, name: a, notify: webhook}\n"
                         "  - {region: \"15\", level: league, name: b, notify: webhook}\n",
                         "c.yaml"),
        StartsWith("c.yaml:3: directory[1].region"));
  }
  SECTION("YAML syntax") {
    CHECK_THROWS_WITH(load_config_text("escalation:\n  warning_at: [0.5\n", "c.yaml"), StartsWith("c.yaml:"));
    CHECK_THROWS_WITH(load_config_text("a: b\n c: d\n", "c.yaml"), StartsWith("c.yaml:") && Contains("yaml"));
  }
  SECTION("not a map") {
    CHECK_THROWS_WITH(load_config_text("- 1\n- 2\n", "c.yaml"), StartsWith("c.yaml:1"));
  }
}

TEST_CASE("config: merge_over", "[config]") {
  nlohmann::json base = {{"a", {{"x", 1}, {"y", 2}}}, {"l", {1, 2, 3}}};
  assist::merge_over(base, {{"a", {{"y", 5}}}, {"l", {9}}, {"n", true}});
  CHECK(base == nlohmann::json({{"a", {{"x", 1}, {"y", 5}}}, {"l", {9}}, {"n", true}}));
}

// DESIGN "Config": "an error names the file, line and key". For an unknown key, valijson reports the
// additionalProperties violation on the parent object, so validate_against() (routing/common/yaml_json.cc,
// the pointer built from best->context) gives the parent's line and path: "c.yaml:1: http: Object contains
// a property ... 'colour'" instead of "c.yaml:3: http.colour: ...". With a long section the line points
// far from the typo. Suggested fix: for an additionalProperties error, append the offending property
// (the object's keys not in the schema's `properties`) to the pointer before line_of()/pointer_to_path().
TEST_CASE("config: an unknown key's error names its own line and path", "[config]") {
  using Catch::StartsWith;
  CHECK_THROWS_WITH(load_config_text("http:\n  listen: \"127.0.0.1:8080\"\n  colour: blue\n", "c.yaml"),
                    StartsWith("c.yaml:3: http.colour"));
  CHECK_THROWS_WITH(load_config_text("instance: SA\nescalaton: {}\n", "c.yaml"), StartsWith("c.yaml:2: escalaton"));
}

TEST_CASE("config: sla.business_hours by region, merged over the default", "[config][hours]") {
  const Config d = assist::default_config();
  CHECK(d.business_hours.entries().size() == 1);
  CHECK(d.business_hours.for_region("150102001").describe() == "08:30-12:00 14:30-18:00");
  const Config c = load_config_text(
      "sla:\n"
      "  business_hours:\n"
      "    \"152522\":\n"
      "      hours: [\"08:00-12:00\", \"14:30-18:00\"]\n"
      "      seasons:\n"
      "        - {name: summer, from: \"05-01\", to: \"09-30\", hours: [\"08:00-12:00\", \"15:00-18:30\"]}\n",
      "c.yaml");
  CHECK(c.business_hours.entries().size() == 2);  // a map: the default stays
  CHECK(c.business_hours.describe_for("152522101") ==
        "152522: 08:00-12:00 14:30-18:00; summer 05-01..09-30 08:00-12:00 15:00-18:30");
  CHECK(c.business_hours.for_region("150102").describe() == "08:30-12:00 14:30-18:00");
  const Config moved = load_config_text("sla:\n  business_hours:\n    default: {hours: [\"09:00-17:00\"]}\n", "c.yaml");
  CHECK(moved.business_hours.for_region("150102").describe() == "09:00-17:00");
}

TEST_CASE("config: a bad sla.business_hours names file, line and key", "[config][hours]") {
  using Catch::Contains;
  using Catch::StartsWith;
  CHECK_THROWS_WITH(load_config_text("sla:\n  business_hours:\n    \"152522\":\n      hours:\n        - \"08:00-12:00\"\n"
                                     "        - \"11:00-18:00\"\n",
                                     "c.yaml"),
                    StartsWith("c.yaml:6: sla.business_hours.152522.hours[1]: ") && Contains("starts before the previous"));
  CHECK_THROWS_WITH(load_config_text("sla:\n  business_hours:\n    default: {hours: [\"8:30-12\"]}\n", "c.yaml"),
                    StartsWith("c.yaml:3: sla.business_hours.default.hours[0]: expected a window HH:MM-HH:MM"));
  CHECK_THROWS_WITH(load_config_text("sla:\n  business_hours:\n    banner: {hours: [\"08:30-12:00\"]}\n", "c.yaml"),
                    StartsWith("c.yaml:3: sla.business_hours.banner: ") && Contains("division-code prefix"));
  CHECK_THROWS_WITH(load_config_text("sla:\n  business_hours:\n    \"1525\":\n      hours: [\"08:30-12:00\"]\n"
                                     "      seasons: [{from: \"13-01\", to: \"09-30\", hours: [\"08:00-12:00\"]}]\n",
                                     "c.yaml"),
                    StartsWith("c.yaml:5: sla.business_hours.1525.seasons[0].from: expected a month and day MM-DD"));
  // the schema: an unknown key, hours that are not a list
  CHECK_THROWS_WITH(load_config_text("sla:\n  business_hours:\n    \"1525\":\n      hours: [\"08:30-12:00\"]\n"
                                     "      lunch: 2h\n",
                                     "c.yaml"),
                    StartsWith("c.yaml:5: sla.business_hours.1525.lunch: unknown key"));
  CHECK_THROWS_WITH(load_config_text("sla:\n  business_hours:\n    \"1525\": {hours: \"08:30-12:00\"}\n", "c.yaml"),
                    StartsWith("c.yaml:3: sla.business_hours.1525.hours"));
}

TEST_CASE("config: a group-commit window near the stall time is refused (every busy moment would look stalled)",
          "[config]") {
  CHECK_THROWS_WITH(load_config_text("storage:\n  stall_ms: 10\n  group_commit_ms: 50\n", "site.yaml"),
                    Catch::Contains("site.yaml:3: storage.group_commit_ms: must be under half of storage.stall_ms"));
  CHECK_THROWS_WITH(load_config_text("storage:\n  stall_ms: 10\n  group_commit_ms: 5\n", "site.yaml"),
                    Catch::Contains("under half"));  // exactly half is not under it
  CHECK(load_config_text("storage:\n  stall_ms: 100\n  group_commit_ms: 5\n", "site.yaml").storage_group_commit_us ==
        5000);
}

TEST_CASE("config: a storage.path that names a folder is refused at its line, not at start", "[config]") {
  const auto dir = std::filesystem::temp_directory_path().string();
  CHECK_THROWS_WITH(load_config_text("storage:\n  path: \"" + dir + "\"\n", "c.yaml"),
                    Catch::StartsWith("c.yaml:2: storage.path") && Catch::Contains("names a folder"));
}
