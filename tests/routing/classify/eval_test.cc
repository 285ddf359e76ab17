// Development-corpus evaluation of the built-in rules (shared/data/classify/dev.jsonl).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "routing/classify/eval.h"

#include "tests/routing/common/shared_dir.h"

using assist::test::shared_dir;

TEST_CASE("eval: parse_labelled_jsonl reads lines and names a bad one", "[classify][eval]") {
  auto rows = assist::parse_labelled_jsonl(
      "{\"id\":\"a\",\"text\":\"t\",\"category\":\"c\",\"request_type\":\"help\",\"urgency\":\"normal\"}\n\n");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].id == "a");
  CHECK_THROWS_WITH(assist::parse_labelled_jsonl("{}\n{bad"), Catch::Contains("line 1"));
}

TEST_CASE("eval: built-in rules on the development corpus", "[classify][eval]") {
  std::ifstream f(shared_dir() + "/data/classify/dev.jsonl");
  if (!f) {
    WARN("no dev corpus at " << shared_dir() << "/data/classify/dev.jsonl; skipped");
    return;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  const auto corpus = assist::parse_labelled_jsonl(ss.str());
  REQUIRE(corpus.size() >= 100);
  const auto report = assist::evaluate(*assist::Classifier::builtin(), corpus);
  std::cout << assist::to_text(report, std::getenv("ASSIST_EVAL_MISSES") != nullptr) << std::flush;
  // Regression floors below what dev reaches (category 1.00, request_type 0.91, urgency 0.94, critical
  // recall 0.95 when written). The rules were tuned while reading dev, so these are not held-out figures;
  // the goal on held-out text is category macro-F1 >= 0.92, request_type >= 0.85.
  CHECK(report.category.macro_f1 >= 0.90);
  CHECK(report.request_type.macro_f1 >= 0.85);
  CHECK(report.urgency.macro_f1 >= 0.90);
  CHECK(report.critical_recall >= 0.90);
  CHECK(report.urgent_or_critical_to_general == 0);
}

TEST_CASE("eval: held-out texts in other voices (tests/data/classify/heldout.jsonl)", "[classify][eval]") {
  std::ifstream f(std::string(ASSIST_SOURCE_DIR) + "/tests/data/classify/heldout.jsonl");
  REQUIRE(f);
  std::stringstream ss;
  ss << f.rdbuf();
  const auto corpus = assist::parse_labelled_jsonl(ss.str());
  REQUIRE(corpus.size() >= 40);
  const auto report = assist::evaluate(*assist::Classifier::builtin(), corpus);
  CHECK(report.category.macro_f1 >= 0.88);
  CHECK(report.request_type.macro_f1 >= 0.80);
  CHECK(report.urgency.accuracy >= 0.85);
  CHECK(report.critical_recall == 1.0);
  CHECK(report.urgent_or_critical_to_general == 0);
}
