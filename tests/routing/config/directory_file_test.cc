// The directory file (issue 6): load_directory_file() for YAML (a list, or a map with a `directory:` key)
// and CSV (header row); errors name file:line: key. And load_config_text() for the keys issue 6 added:
// notify.retry, notify.smtp / notify.sms_http, entries' addresses and notifiers, duty windows, fallback,
// http.link_secret / link_ttl, sla.max_extensions.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "routing/config/config.h"

using namespace assist;
using Catch::Contains;
using Catch::StartsWith;

namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/directory_file_test_XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    const std::string p = path + "/" + name;
    std::ofstream out(p, std::ios::binary);
    out << text;
    return p;
  }
  std::string path;
};

int hm(int h, int m) { return h * 60 + m; }

}  // namespace

TEST_CASE("directory file: a YAML list", "[config][directory-file][issue6]") {
  TempDir d;
  const auto path = d.write("dir.yaml",
                            "- {region: \"150102001\", level: township, name: 海拉尔东路街道窗口, notify: webhook}\n"
                            "- region: \"150102\"\n"
                            "  level: county\n"
                            "  name: 新城区民政局\n"
                            "  notify: smtp\n"
                            "  address: mz@xc.example.gov.cn\n"
                            "  role: office\n"
                            "  department: civil_affairs\n"
                            "  fallback: true\n"
                            "  duty:\n"
                            "    - {days: workdays, from: \"08:30\", to: \"17:30\"}\n"
                            "    - {days: [sat, sun], from: \"17:30\", to: \"08:30\"}\n"
                            "    - {days: every}\n"
                            "- {region: \"1501\", level: league, name: 呼和浩特市民政局, notify: sms_http, address: \"13800000000\"}\n");
  const auto entries = load_directory_file(path);
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].region == "150102001");
  CHECK(entries[0].level == "township");
  CHECK(entries[0].name == "海拉尔东路街道窗口");
  CHECK(entries[0].notify == "webhook");
  CHECK(entries[0].role == "coordinator");         // default
  CHECK(entries[0].department == "civil_affairs");  // default
  CHECK(entries[0].address.empty());
  CHECK(entries[0].duty.empty());
  CHECK_FALSE(entries[0].fallback);

  const auto& c = entries[1];
  CHECK(c.notify == "smtp");
  CHECK(c.address == "mz@xc.example.gov.cn");
  CHECK(c.role == "office");
  CHECK(c.fallback);
  REQUIRE(c.duty.size() == 3);
  CHECK(c.duty[0].days == std::vector<std::string>{"workdays"});
  CHECK(c.duty[0].from == hm(8, 30));
  CHECK(c.duty[0].to == hm(17, 30));
  CHECK(c.duty[1].days == std::vector<std::string>{"sat", "sun"});
  CHECK(c.duty[1].from == hm(17, 30));
  CHECK(c.duty[1].to == hm(8, 30));
  CHECK(c.duty[2].days == std::vector<std::string>{"every"});
  CHECK(c.duty[2].from == 0);
  CHECK(c.duty[2].to == 24 * 60);

  CHECK(entries[2].level == "league");
  CHECK(entries[2].address == "13800000000");
}

TEST_CASE("directory file: a YAML map with a directory key", "[config][directory-file][issue6]") {
  TempDir d;
  const auto path = d.write("dir.yaml",
                            "# the directory of the league\n"
                            "directory:\n"
                            "  - {region: \"150102001\", level: township, name: 街道窗口, notify: webhook}\n"
                            "  - {region: \"150102\", level: county, name: 新城区, notify: webhook}\n");
  const auto entries = load_directory_file(path);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].name == "街道窗口");
  CHECK(entries[1].level == "county");

  SECTION("its errors name the line and the entry") {
    const auto bad = d.write("bad.yaml",
                             "directory:\n"
                             "  - {region: \"150102001\", level: township, name: 街道窗口, notify: webhook}\n"
                             "  - {region: \"150102001\", level: county, name: 新城区, notify: webhook}\n");
    CHECK_THROWS_AS(load_directory_file(bad), FileError);
    CHECK_THROWS_WITH(load_directory_file(bad), StartsWith(bad + ":3: [1].region") && Contains("6-digit"));
  }
}

TEST_CASE("directory file: YAML errors name file:line: key", "[config][directory-file][issue6]") {
  TempDir d;
  SECTION("a region of the wrong length for the level") {
    const auto p = d.write("d.yaml",
                           "- {region: \"150102001\", level: township, name: a, notify: webhook}\n"
                           "- {region: \"150102\", level: county, name: b, notify: webhook}\n"
                           "- {region: \"150102\", level: township, name: c, notify: webhook}\n");
    CHECK_THROWS_AS(load_directory_file(p), FileError);
    CHECK_THROWS_WITH(load_directory_file(p), StartsWith(p + ":3: [2].region") && Contains("9-digit"));
  }
  SECTION("a region in block style: the line of the key") {
    const auto p = d.write("d.yaml",
                           "- level: league\n"
                           "  name: 呼和浩特市\n"
                           "  region: \"150102\"\n"
                           "  notify: webhook\n");
    CHECK_THROWS_WITH(load_directory_file(p), StartsWith(p + ":3: [0].region") && Contains("4-digit"));
  }
  SECTION("an unknown key") {
    const auto p = d.write("d.yaml",
                           "- {region: \"150102001\", level: township, name: a, notify: webhook}\n"
                           "- {region: \"150102\", level: county, name: b, notify: webhook, colour: red}\n");
    CHECK_THROWS_AS(load_directory_file(p), FileError);
    CHECK_THROWS_WITH(load_directory_file(p), StartsWith(p + ":2: [1]") && Contains("colour"));
  }
  SECTION("an unknown notifier, level or duty day") {
    const auto p1 = d.write("d1.yaml", "- {region: \"150102\", level: county, name: b, notify: fax}\n");
    CHECK_THROWS_WITH(load_directory_file(p1), StartsWith(p1 + ":1: [0].notify"));
    const auto p2 = d.write("d2.yaml", "- {region: \"150102\", level: province, name: b, notify: webhook}\n");
    CHECK_THROWS_WITH(load_directory_file(p2), StartsWith(p2 + ":1: [0].level"));
    const auto p3 = d.write("d3.yaml",
                            "- region: \"150102\"\n"
                            "  level: county\n"
                            "  name: b\n"
                            "  notify: webhook\n"
                            "  duty:\n"
                            "    - {days: holidays, from: \"08:00\", to: \"18:00\"}\n");
    CHECK_THROWS_WITH(load_directory_file(p3), StartsWith(p3 + ":6: [0].duty[0].days"));
    const auto p4 = d.write("d4.yaml",
                            "- region: \"150102\"\n"
                            "  level: county\n"
                            "  name: b\n"
                            "  notify: webhook\n"
                            "  duty:\n"
                            "    - {days: mon, from: \"8:00\", to: \"18:00\"}\n");
    CHECK_THROWS_WITH(load_directory_file(p4), StartsWith(p4 + ":6: [0].duty[0].from"));
  }
  SECTION("a missing required key") {
    const auto p = d.write("d.yaml", "- {region: \"150102\", level: county, notify: webhook}\n");
    CHECK_THROWS_WITH(load_directory_file(p), StartsWith(p + ":1: [0]") && Contains("name"));
  }
  SECTION("not a list") {
    const auto p = d.write("d.yaml", "region: \"150102\"\n");
    CHECK_THROWS_AS(load_directory_file(p), FileError);
  }
  SECTION("a file that cannot be read") {
    CHECK_THROWS_AS(load_directory_file(d.path + "/missing.yaml"), FileError);
    CHECK_THROWS_WITH(load_directory_file(d.path + "/missing.yaml"), StartsWith(d.path + "/missing.yaml"));
  }
}

TEST_CASE("directory file: CSV with a header", "[config][directory-file][issue6]") {
  TempDir d;
  const auto path = d.write("dir.csv",
                            "region,level,name,notify,role,department,address\r\n"
                            "# comment lines and blank lines are skipped\r\n"
                            "\r\n"
                            "150102001,township,海拉尔东路街道窗口,webhook,,,\r\n"
                            "150102,county,\"新城区民政局, 值班室\",smtp,office,civil_affairs,mz@xc.example.gov.cn\r\n"
                            "150102001,township,\"街道医保站 \"\"一站式\"\"\",sms_http,office,medical_insurance,13800000000\r\n");
  const auto entries = load_directory_file(path);
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].region == "150102001");
  CHECK(entries[0].name == "海拉尔东路街道窗口");
  CHECK(entries[0].role == "coordinator");  // empty field = default
  CHECK(entries[0].department == "civil_affairs");
  CHECK(entries[0].address.empty());
  CHECK(entries[1].name == "新城区民政局, 值班室");  // quoted comma
  CHECK(entries[1].notify == "smtp");
  CHECK(entries[1].role == "office");
  CHECK(entries[1].address == "mz@xc.example.gov.cn");
  CHECK(entries[2].name == "街道医保站 \"一站式\"");  // doubled quotes
  CHECK(entries[2].department == "medical_insurance");
  CHECK(entries[2].address == "13800000000");

  SECTION("only the required columns") {
    const auto p = d.write("min.csv", "region,level,name,notify\n150102,county,新城区,webhook\n");
    const auto e = load_directory_file(p);
    REQUIRE(e.size() == 1);
    CHECK(e[0].level == "county");
  }
}

TEST_CASE("directory file: CSV errors name file:line: key", "[config][directory-file][issue6]") {
  TempDir d;
  SECTION("a row with the wrong number of fields") {
    const auto p = d.write("d.csv",
                           "region,level,name,notify\n"
                           "150102001,township,a,webhook\n"
                           "# a comment\n"
                           "150102,county,b\n");
    CHECK_THROWS_AS(load_directory_file(p), FileError);
    CHECK_THROWS_WITH(load_directory_file(p), StartsWith(p + ":4:") && Contains("4 fields") && Contains("got 3"));
    const auto q = d.write("e.csv", "region,level,name,notify\n150102,county,b,webhook,extra\n");
    CHECK_THROWS_WITH(load_directory_file(q), StartsWith(q + ":2:") && Contains("got 5"));
  }
  SECTION("a region of the wrong length") {
    const auto p = d.write("d.csv",
                           "region,level,name,notify\n"
                           "150102001,township,a,webhook\n"
                           "\n"
                           "1501020,county,b,webhook\n");
    CHECK_THROWS_WITH(load_directory_file(p), StartsWith(p + ":4: [1].region") && Contains("6-digit"));
  }
  SECTION("an unknown column") {
    const auto p = d.write("d.csv", "region,level,name,notify,colour\n150102,county,b,webhook,red\n");
    CHECK_THROWS_AS(load_directory_file(p), FileError);
    CHECK_THROWS_WITH(load_directory_file(p), StartsWith(p + ":2:") && Contains("colour"));
  }
  SECTION("a bad value") {
    const auto p = d.write("d.csv", "region,level,name,notify\n150102,county,b,webhook\n150102,county,c,pigeon\n");
    CHECK_THROWS_WITH(load_directory_file(p), StartsWith(p + ":3: [1].notify"));
  }
}

TEST_CASE("config: directory_file entries follow the inline directory", "[config][directory-file][issue6]") {
  TempDir d;
  const auto path = d.write("dir.csv", "region,level,name,notify\n150102,county,文件中的旗县,webhook\n");
  const Config c = load_config_text("directory:\n"
                                    "  - {region: \"150102001\", level: township, name: 内联街道, notify: webhook}\n"
                                    "directory_file: \"" + path + "\"\n",
                                    "c.yaml");
  REQUIRE(c.directory.size() == 2);
  CHECK(c.directory[0].name == "内联街道");
  CHECK(c.directory[1].name == "文件中的旗县");
  CHECK(c.directory_file == path);

  SECTION("an error in the file names the config line and the file's own line") {
    const auto bad = d.write("bad.csv", "region,level,name,notify\n150102,county,a,webhook\n15010,county,b,webhook\n");
    CHECK_THROWS_WITH(load_config_text("directory_file: \"" + bad + "\"\n", "c.yaml"),
                      StartsWith("c.yaml:1: directory_file") && Contains(bad + ":3"));
  }
}

TEST_CASE("config: notify.retry", "[config][issue6]") {
  const Config def = default_config();
  CHECK(def.retry.initial == Millis(1000));
  CHECK(def.retry.max == Millis(300000));
  CHECK(def.retry.jitter == Approx(0.2));
  CHECK(def.retry.max_attempts == 20);

  const Config c = load_config_text("notify:\n  retry: {initial: 2s, max: 10m, jitter: 0.1, max_attempts: 7}\n", "c.yaml");
  CHECK(c.retry.initial == Millis(2000));
  CHECK(c.retry.max == Millis(600000));
  CHECK(c.retry.jitter == Approx(0.1));
  CHECK(c.retry.max_attempts == 7);

  const Config partial = load_config_text("notify:\n  retry:\n    max_attempts: 3\n", "c.yaml");
  CHECK(partial.retry.max_attempts == 3);
  CHECK(partial.retry.initial == Millis(1000));  // merged over the defaults

  CHECK_THROWS_WITH(load_config_text("notify:\n  retry:\n    initial: 10m\n    max: 1m\n", "c.yaml"),
                    StartsWith("c.yaml:4: notify.retry.max"));
  CHECK_THROWS_WITH(load_config_text("notify:\n  retry:\n    jitter: 0.9\n", "c.yaml"),
                    StartsWith("c.yaml:3: notify.retry.jitter"));
  CHECK_THROWS_WITH(load_config_text("notify:\n  retry:\n    max_attempts: 0\n", "c.yaml"),
                    StartsWith("c.yaml:3: notify.retry.max_attempts"));
  CHECK_THROWS_WITH(load_config_text("notify:\n  retry:\n    initial: 2wd\n", "c.yaml"),
                    StartsWith("c.yaml:3: notify.retry.initial"));
}

TEST_CASE("config: notifier sections", "[config][issue6]") {
  SECTION("the default webhook without a url is not configured") {
    const Config c = default_config();
    CHECK(c.notifiers.count("webhook") == 0);
    CHECK(c.notifiers.count("smtp") == 0);
    CHECK(c.notifiers.count("sms_http") == 0);
  }
  SECTION("configured sections are kept for their factories") {
    const Config c = load_config_text("notify:\n"
                                      "  webhook: {url: \"http://127.0.0.1:9000/hook\"}\n"
                                      "  smtp: {url: \"smtp://127.0.0.1:2525\", from: \"assistline@example.gov.cn\", max_in_flight: 2}\n"
                                      "  sms_http: {url: \"http://127.0.0.1:9001/send\", method: PUT, max_chars: 70}\n",
                                      "c.yaml");
    REQUIRE(c.notifiers.count("webhook") == 1);
    CHECK(c.notifiers.at("webhook")["url"] == "http://127.0.0.1:9000/hook");
    REQUIRE(c.notifiers.count("smtp") == 1);
    CHECK(c.notifiers.at("smtp")["from"] == "assistline@example.gov.cn");
    CHECK(c.notifiers.at("smtp")["max_in_flight"] == 2);
    REQUIRE(c.notifiers.count("sms_http") == 1);
    CHECK(c.notifiers.at("sms_http")["method"] == "PUT");
    CHECK(c.notifiers.at("sms_http")["max_chars"] == 70);
    CHECK(c.notifiers.count("retry") == 0);
  }
  SECTION("schema errors name the key") {
    CHECK_THROWS_WITH(load_config_text("notify:\n  smtp: {url: \"http://x\", from: \"a@b\"}\n", "c.yaml"),
                      StartsWith("c.yaml:2: notify.smtp.url"));
    CHECK_THROWS_WITH(load_config_text("notify:\n  smtp:\n    url: \"smtp://x\"\n", "c.yaml"),
                      StartsWith("c.yaml:2: notify.smtp") && Contains("from"));
    CHECK_THROWS_WITH(load_config_text("notify:\n  sms_http:\n    url: \"http://x\"\n    method: DELETE\n", "c.yaml"),
                      StartsWith("c.yaml:4: notify.sms_http.method"));
    CHECK_THROWS_WITH(load_config_text("notify:\n  sms_http:\n    url: \"http://x\"\n    max_chars: 20\n", "c.yaml"),
                      StartsWith("c.yaml:4: notify.sms_http.max_chars"));
    CHECK_THROWS_WITH(load_config_text("notify:\n  fax: {url: \"http://x\"}\n", "c.yaml"),
                      StartsWith("c.yaml:") && Contains("fax"));
  }
}

TEST_CASE("config: entries need an address their notifier can use, and a configured notifier", "[config][issue6]") {
  const std::string smtp = "notify:\n  smtp: {url: \"smtp://127.0.0.1:2525\", from: \"assistline@example.gov.cn\"}\n";
  const std::string sms = "notify:\n  sms_http: {url: \"http://127.0.0.1:9001/send\"}\n";

  SECTION("smtp with an e-mail address") {
    const Config c = load_config_text(
        smtp + "directory:\n  - {region: \"150102\", level: county, name: a, notify: smtp, address: \"mz@example.gov.cn\"}\n",
        "c.yaml");
    REQUIRE(c.directory.size() == 1);
    CHECK(c.directory[0].address == "mz@example.gov.cn");
  }
  SECTION("smtp without an address") {
    CHECK_THROWS_WITH(
        load_config_text(smtp + "directory:\n  - {region: \"150102\", level: county, name: a, notify: smtp}\n", "c.yaml"),
        StartsWith("c.yaml:4: directory[0]") && Contains("address") && Contains("e-mail"));
  }
  SECTION("smtp with a phone number") {
    CHECK_THROWS_WITH(
        load_config_text(smtp + "directory:\n"
                                "  - {region: \"150102\", level: county, name: a, notify: webhook}\n"
                                "  - {region: \"150102\", level: county, name: b, notify: smtp, address: \"13800000000\"}\n",
                         "c.yaml"),
        StartsWith("c.yaml:5: directory[1].address") && Contains("e-mail"));
  }
  SECTION("sms_http with a phone number") {
    const Config c = load_config_text(
        sms + "directory:\n  - {region: \"150102\", level: county, name: a, notify: sms_http, address: \"+86-138-0000-0000\"}\n",
        "c.yaml");
    CHECK(c.directory[0].address == "+86-138-0000-0000");
  }
  SECTION("sms_http with an e-mail address or none") {
    CHECK_THROWS_WITH(
        load_config_text(sms + "directory:\n  - {region: \"150102\", level: county, name: a, notify: sms_http, address: \"a@b.cn\"}\n",
                         "c.yaml"),
        StartsWith("c.yaml:4: directory[0].address") && Contains("phone"));
    CHECK_THROWS_WITH(
        load_config_text(sms + "directory:\n  - {region: \"150102\", level: county, name: a, notify: sms_http}\n", "c.yaml"),
        StartsWith("c.yaml:4: directory[0]") && Contains("phone"));
  }
  SECTION("an entry naming a notifier that is not configured") {
    CHECK_THROWS_WITH(
        load_config_text("directory:\n  - {region: \"150102\", level: county, name: a, notify: smtp, address: \"a@b.cn\"}\n",
                         "c.yaml"),
        StartsWith("c.yaml:2: directory[0].notify") && Contains("notify.smtp is not configured"));
    CHECK_THROWS_WITH(
        load_config_text(smtp + "directory:\n  - {region: \"150102\", level: county, name: a, notify: sms_http, address: \"13800000000\"}\n",
                         "c.yaml"),
        Contains("directory[0].notify") && Contains("notify.sms_http is not configured"));
    // with no address either: the notifier is said first (the address alone was, then the notifier)
    CHECK_THROWS_WITH(
        load_config_text("directory:\n  - {region: \"150102\", level: county, name: a, notify: sms_http}\n", "c.yaml"),
        Contains("directory[0].notify") && Contains("notify.sms_http is not configured"));
  }
  SECTION("webhook entries are allowed without a webhook url (messages wait in the outbox)") {
    const Config c = load_config_text("directory:\n  - {region: \"150102\", level: county, name: a, notify: webhook}\n", "c.yaml");
    CHECK(c.directory.size() == 1);
  }
}

TEST_CASE("config: duty windows and fallback", "[config][issue6]") {
  const Config c = load_config_text("directory:\n"
                                    "  - region: \"150102001\"\n"
                                    "    level: township\n"
                                    "    name: 夜班\n"
                                    "    notify: webhook\n"
                                    "    duty:\n"
                                    "      - {days: workdays, from: \"17:30\", to: \"08:30\"}\n"
                                    "      - {days: [offdays], from: \"00:00\", to: \"24:00\"}\n"
                                    "  - {region: \"150102001\", level: township, name: 值班电话, notify: webhook, role: office, fallback: true}\n",
                                    "c.yaml");
  REQUIRE(c.directory.size() == 2);
  REQUIRE(c.directory[0].duty.size() == 2);
  CHECK(c.directory[0].duty[0] == DutyWindow{{"workdays"}, hm(17, 30), hm(8, 30)});
  CHECK(c.directory[0].duty[1] == DutyWindow{{"offdays"}, 0, 24 * 60});
  CHECK_FALSE(c.directory[0].fallback);
  CHECK(c.directory[1].fallback);
  CHECK(c.directory[1].duty.empty());

  CHECK_THROWS_WITH(load_config_text("directory:\n"
                                     "  - region: \"150102001\"\n"
                                     "    level: township\n"
                                     "    name: x\n"
                                     "    notify: webhook\n"
                                     "    duty:\n"
                                     "      - {days: workdays, from: \"25:00\"}\n",
                                     "c.yaml"),
                    StartsWith("c.yaml:7: directory[0].duty[0].from"));
  CHECK_THROWS_WITH(load_config_text("directory:\n"
                                     "  - region: \"150102001\"\n"
                                     "    level: township\n"
                                     "    name: x\n"
                                     "    notify: webhook\n"
                                     "    duty:\n"
                                     "      - {from: \"08:00\"}\n",
                                     "c.yaml"),
                    StartsWith("c.yaml:7: directory[0].duty[0]") && Contains("days"));
  CHECK_THROWS_WITH(load_config_text("directory:\n"
                                     "  - {region: \"150102001\", level: township, name: x, notify: webhook, fallback: yes please}\n",
                                     "c.yaml"),
                    StartsWith("c.yaml:2: directory[0].fallback"));
}

TEST_CASE("config: http.link_secret and link_ttl", "[config][issue6]") {
  const Config def = default_config();
  CHECK(def.link_secret.empty());
  CHECK(def.link_ttl == Millis(3LL * 24 * 3600 * 1000));
  const Config c = load_config_text("http:\n  link_secret: \"s3cret-s3cret-s3cret\"\n  link_ttl: 12h\n", "c.yaml");
  CHECK(c.link_secret == "s3cret-s3cret-s3cret");
  CHECK(c.link_ttl == Millis(12LL * 3600 * 1000));
  CHECK_THROWS_WITH(load_config_text("http:\n  link_ttl: 2wd\n", "c.yaml"), StartsWith("c.yaml:2: http.link_ttl"));
  CHECK_THROWS_WITH(load_config_text("http:\n  link_ttl: 0s\n", "c.yaml"), StartsWith("c.yaml:2: http.link_ttl"));
}

TEST_CASE("config: sla.max_extensions", "[config][issue6]") {
  const Config def = default_config();
  CHECK(def.merged["sla"]["max_extensions"] == 2);
  const Config c = load_config_text("sla:\n  max_extensions: 5\n", "c.yaml");
  CHECK(c.merged["sla"]["max_extensions"] == 5);
  CHECK_FALSE(c.limits.empty());  // the limits stay (maps merge)
  CHECK(load_config_text("sla:\n  max_extensions: 0\n", "c.yaml").merged["sla"]["max_extensions"] == 0);
  CHECK_THROWS_WITH(load_config_text("sla:\n  max_extensions: 21\n", "c.yaml"), StartsWith("c.yaml:2: sla.max_extensions"));
  CHECK_THROWS_WITH(load_config_text("sla:\n  max_extensions: -1\n", "c.yaml"), StartsWith("c.yaml:2: sla.max_extensions"));
  CHECK_THROWS_WITH(load_config_text("sla:\n  max_extensions: two\n", "c.yaml"), StartsWith("c.yaml:2: sla.max_extensions"));
}
