// Noisy transcripts (issue 4): traditional characters, ASR sound-alikes, fillers, no punctuation, full-width
// and Chinese digits, long web messages; the monitoring list; Mongolian and unsure calls. Texts written here.
#include <catch2/catch.hpp>

#include <filesystem>

#include <fstream>

#include <nlohmann/json.hpp>
#include <opencc/opencc.h>

#include "routing/classify/classifier.h"
#include "routing/classify/loader.h"
#include "routing/classify/monitoring_list.h"
#include "routing/classify/text_match.h"

using assist::Classifier;

namespace {
const Classifier& clf() { return *Classifier::builtin(); }
}  // namespace

TEST_CASE("noise: traditional characters are read as simplified (OpenCC t2s)", "[classify][noise]") {
  REQUIRE(assist::TraditionalConverter::instance().available());
  auto c = clf().classify_text("請問申請最低生活保障要準備哪些材料");
  CHECK(c.category == "minimum_living_allowance");
  CHECK(c.request_type == "consult");
  auto d = clf().classify_text("家裡的煤燒完了，屋裡越來越冷，老人癱瘓在床");
  CHECK(d.urgency == "critical");
}

TEST_CASE("noise: the fast t2s path gives exactly OpenCC's t2s", "[classify][noise]") {
  const auto& t2s = assist::TraditionalConverter::instance();
  REQUIRE(t2s.available());
  CHECK(t2s.fast());
  // Traditional texts: simplified ones through OpenCC's s2t, plus TSPhrases entries written in traditional.
  std::vector<std::string> simp = {"老人瘫痪在床，家里的煤烧完了，屋里越来越冷", "请问申请最低生活保障要准备哪些材料",
                                   "他头发很干，乾隆年间的事情", "我们村里有个老人，一个人住，没人管他",
                                   "电视台的钟表坏了，发现头发白了", "后天冲突里面的面条，干部说了算"};
  for (const char* f : {ASSIST_SOURCE_DIR "/tests/data/classify/heldout.jsonl"}) {
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line))
      if (line.find('{') != std::string::npos) simp.push_back(nlohmann::json::parse(line).at("text").get<std::string>());
  }
  opencc_t s2t = opencc_open(OPENCC_DEFAULT_CONFIG_SIMP_TO_TRAD);
  REQUIRE(s2t != reinterpret_cast<opencc_t>(-1));
  std::vector<std::string> trad = {"老態龍鍾的人", "變徵之聲", "角徵羽", "乾隆皇帝", "著作權", "於是乎", "瞭解一下"};
  for (const auto& t : simp) {
    char* o = opencc_convert_utf8(s2t, t.data(), t.size());
    REQUIRE(o != nullptr);
    trad.emplace_back(o);
    opencc_convert_utf8_free(o);
  }
  opencc_close(s2t);
  size_t changed = 0;
  for (const auto& t : trad) {
    INFO(t);
    CHECK(t2s.convert(t) == t2s.convert_reference(t));
    changed += t2s.convert(t) != t;
  }
  CHECK(changed > trad.size() / 2);
  // a text with no traditional character never needs converting
  CHECK_FALSE(t2s.needs("我们村里有个老人一个人住没人管他"));
}

TEST_CASE("noise: ASR sound-alikes of programme terms, not only the listed ones", "[classify][noise]") {
  for (const char* t : {"我想问问滴包怎么申请", "我家抵保停了", "我是特坤人员想问供养金", "想申请临时就注"}) {
    INFO(t);
    const auto n = clf().normalize(t);
    CHECK((n.find("低保") != std::string::npos || n.find("特困") != std::string::npos ||
           n.find("救助") != std::string::npos));
  }
  // everyday words that sound alike stay as they are
  CHECK(clf().normalize("我就住在这个小区") == clf().normalize("我就住在这个小区"));
  CHECK(clf().normalize("我就住在这个小区").find("救助") == std::string::npos);
  CHECK(clf().normalize("评低保的名额").find("名额") != std::string::npos);
}

TEST_CASE("noise: fillers, no punctuation, spaces", "[classify][noise]") {
  auto c = clf().classify_text("喂 嗯 那个那个 我家 啊 前天晚上 着火了 房子 烧光了 嗯 现在 借住在 亲戚家");
  CHECK(c.category == "temporary_assistance");
  CHECK(c.urgency == "urgent");
}

TEST_CASE("noise: Chinese and full-width digits before units are the same number", "[classify][noise]") {
  CHECK(assist::Normalizer::fold_numerals("两天前") == "2天前");
  CHECK(assist::Normalizer::fold_numerals("零下三十度") == "零下30度");
  // 零 inside a number marks a gap: what follows it is units, not the shorthand of 一百二 (120)
  CHECK(assist::Normalizer::fold_numerals("欠了一百零五天") == "欠了105天");
  CHECK(assist::Normalizer::fold_numerals("一千零五十元") == "1050元");
  CHECK(assist::Normalizer::fold_numerals("两千零二元") == "2002元");
  CHECK(assist::Normalizer::fold_numerals("一百二十元") == "120元");
  CHECK(assist::Normalizer::fold_numerals("三零二天") == "三零2天");  // digits read out, not a number: as before
  CHECK(assist::Normalizer::fold_numerals("二十五岁") == "25岁");
  CHECK(assist::Normalizer::fold_numerals("三四天") == "4天");
  CHECK(assist::Normalizer::fold_numerals("一个人") == "一个人");
  CHECK(clf().normalize("４天前") == clf().normalize("四天前"));
  auto c = clf().classify_text("四天前车祸人没了家里揭不开锅");
  CHECK(c.urgency == "urgent");
}

TEST_CASE("noise: a long web-style message keeps its emergency", "[classify][noise]") {
  std::string t = "尊敬的领导您好！！我是一名普通市民，平时也很关心社会上的事情，";
  for (int i = 0; i < 20; ++i) t += "说来话长，这些年家里一直不太顺，";
  t += "今天想反映的是：我们楼下独居的老人这几天暖气停了，屋里冰冷，好像也没吃的，麻烦派人去看看。谢谢！！！";
  auto c = clf().classify_text(t);
  CHECK(c.urgency == "critical");
  CHECK(c.category != "not_social_assistance");
}

TEST_CASE("monitoring list: keyed hashes, the flag and never a different urgency", "[classify][monitoring]") {
  const std::string key = "test-key-0123456789";
  const auto h = assist::MonitoringList::hash(key, "+86 138-0000-1234");
  CHECK(h == assist::MonitoringList::hash(key, "13800001234"));
  CHECK(h.size() == 64);
  CHECK(h != assist::MonitoringList::hash("another-key-0123456", "13800001234"));
  auto list = assist::MonitoringList::parse("# list\n" + h + "\n\n", key, "list.txt");
  CHECK(list->size() == 1);
  auto c = clf().with_monitoring(list);
  assist::CallFacts f;
  f.caller = "13800001234";
  f.asr_text = "想问一下低保申请需要什么材料";
  const auto on = c->classify(f);
  f.caller = "13900009999";
  const auto off = c->classify(f);
  CHECK(on.flags == std::vector<std::string>{"monitored_household"});
  CHECK(off.flags.empty());
  CHECK(on.urgency == off.urgency);
  CHECK(on.category == off.category);
  CHECK_THROWS_WITH(assist::MonitoringList::parse("13800001234\n", key, "list.txt"),
                    Catch::Contains("list.txt:1:") && Catch::Contains("in clear"));
  CHECK_THROWS_WITH(assist::MonitoringList::parse("abc\n", key, "list.txt"), Catch::Contains("64 hex"));
  CHECK_THROWS_WITH(assist::MonitoringList::parse(h, "", "list.txt"), Catch::Contains("hmac_key"));
}

TEST_CASE("unsure: Mongolian and low-confidence calls are marked for an agent", "[classify]") {
  assist::CallFacts f;
  f.asr_text = "路灯坏了";
  f.language = "mn";
  CHECK(clf().classify(f).unsure);
  auto low = clf().classify_text("你好我想说个事");
  CHECK(low.confidence < clf().min_confidence());
  CHECK(low.unsure);
  auto sure = clf().classify_text("我们小区门口的路灯坏了好几天了，晚上太黑");
  CHECK_FALSE(sure.unsure);
}

TEST_CASE("reload: a broken rules file is refused with file, line and key", "[classify][rules]") {
  CHECK_THROWS_WITH(Classifier::from_yaml("version: 1\nmin_confidence: 2\n", "r.yaml"), Catch::Contains("r.yaml:"));
  // a file that cannot be read: its path and why (no line to point at)
  CHECK_THROWS_WITH(assist::load_classifier("/nonexistent/rules.yaml", "", ""),
                    Catch::StartsWith("/nonexistent/rules.yaml: cannot read the rules file") &&
                        Catch::Contains("No such file"));
  // a folder named as the rules file is said to be one (it read as an empty document)
  CHECK_THROWS_WITH(assist::load_classifier(std::filesystem::temp_directory_path().string(), "", ""),
                    Catch::Contains("names a folder, not a rules file"));
}
