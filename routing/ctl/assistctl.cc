// assistctl: the operator's CLI. Works without a running daemon, reading the same config and data.
//   assistctl [--config FILE] classify TEXT [--ivr DIGITS]
//   assistctl [--config FILE] classify --jsonl FILE
//   assistctl [--config FILE] deadline --opened RFC3339 --urgency U --request-type T [--category C] [--region R]
//   assistctl [--config FILE] eval FILE.jsonl
// Results go to standard output as JSON; warnings and errors to standard error. Exit 0 ok, 2 bad input.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "routing/classify/classifier.h"
#include "routing/classify/eval.h"
#include "routing/common/time_format.h"
#include "routing/config/config.h"
#include "routing/sla/policy.h"

namespace {

const char* kUsage =
    "usage: assistctl [--config FILE] COMMAND ...\n"
    "  classify TEXT [--ivr DIGITS]   labels, confidence and reasons for one text, as JSON\n"
    "  classify --jsonl FILE          one {\"id\",\"category\",\"request_type\",\"urgency\"} line per {\"id\",\"text\"} line\n"
    "  deadline --opened RFC3339 --urgency U --request-type T [--category C] [--region CODE]\n"
    "                                 {\"first_response_due\",\"resolution_due\",\"provisional\",\"rule\"}\n"
    "  eval FILE.jsonl                precision/recall/F1 per label against {\"id\",\"text\",\"category\",\"request_type\",\"urgency\"} lines\n";

int usage(const std::string& why) {
  std::cerr << "assistctl: " << why << "\n" << kUsage;
  return 2;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw assist::FileError(path + ": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<const assist::Classifier> classifier_for(const assist::Config& c) {
  if (c.rules_path.empty()) return assist::Classifier::builtin();
  return assist::Classifier::from_yaml(read_file(c.rules_path), c.rules_path);
}

nlohmann::json to_json(const assist::Classification& c) {
  nlohmann::json reasons = nlohmann::json::array();
  for (const auto& r : c.reasons)
    reasons.push_back({{"rule", r.rule}, {"cue", r.cue}, {"label", r.label}, {"clause", r.clause}, {"weight", r.weight}});
  return {{"category", c.category}, {"request_type", c.request_type}, {"urgency", c.urgency},
          {"confidence", c.confidence}, {"language", c.language}, {"reasons", reasons}};
}

// Reads JSON lines; a bad line is reported with its number and skipped, never silently.
std::vector<nlohmann::json> read_jsonl(const std::string& path, int& bad) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw assist::FileError(path + ": cannot read");
  std::vector<nlohmann::json> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      auto j = nlohmann::json::parse(line);
      if (!j.is_object() || !j.contains("text") || !j["text"].is_string()) throw std::runtime_error("needs a \"text\" string");
      out.push_back(std::move(j));
    } catch (const std::exception& e) {
      ++bad;
      std::cerr << path << ":" << n << ": skipped: " << e.what() << "\n";
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string config_path;
  if (args.size() >= 2 && args[0] == "--config") {
    config_path = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  try {
    const assist::Config config = config_path.empty() ? assist::default_config() : assist::load_config(config_path);
    const std::string cmd = args[0];
    auto opt = [&](const std::string& name) -> std::optional<std::string> {
      for (size_t i = 1; i + 1 < args.size(); ++i)
        if (args[i] == name) return args[i + 1];
      return std::nullopt;
    };
    if (cmd == "classify") {
      const auto classifier = classifier_for(config);
      if (auto file = opt("--jsonl")) {
        int bad = 0;
        for (const auto& j : read_jsonl(*file, bad)) {
          const auto c = classifier->classify_text(j["text"].get<std::string>(), j.value("ivr_digits", ""));
          std::cout << nlohmann::json{{"id", j.value("id", nlohmann::json(nullptr))}, {"category", c.category},
                                      {"request_type", c.request_type}, {"urgency", c.urgency}}
                           .dump()
                    << "\n";
        }
        return bad ? 2 : 0;
      }
      if (args.size() < 2 || args[1].starts_with("--")) return usage("classify needs a TEXT or --jsonl FILE");
      const auto c = classifier->classify_text(args[1], opt("--ivr").value_or(""));
      std::cout << to_json(c).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      return 0;
    }
    if (cmd == "deadline") {
      const auto opened_s = opt("--opened");
      const auto urgency = opt("--urgency");
      const auto rtype = opt("--request-type");
      if (!opened_s || !urgency || !rtype) return usage("deadline needs --opened, --urgency and --request-type");
      const auto opened = assist::parse_rfc3339(*opened_s);
      if (!opened) return usage("--opened must be an RFC 3339 time, e.g. 2026-09-30T10:00:00+08:00");
      for (const auto& [v, set] : std::vector<std::pair<std::string, std::vector<std::string>>>{
               {*urgency, {"critical", "urgent", "normal"}},
               {*rtype, {"consult", "help", "complaint", "report", "suggestion"}}})
        if (std::find(set.begin(), set.end(), v) == set.end()) return usage("unknown label '" + v + "'");
      assist::SlaPolicy policy(config.limits, assist::WorkingDayCalendar::builtin());
      const auto d = policy.compute(*opened, opt("--category").value_or("minimum_living_allowance"), *rtype, *urgency,
                                    opt("--region").value_or(""));
      if (d.provisional)
        std::cerr << "assistctl: warning: a working-day calendar year is missing; the deadline is provisional "
                     "(weekdays only)\n";
      std::cout << nlohmann::json{{"first_response_due", assist::format_rfc3339(d.first_response_due)},
                                  {"resolution_due", assist::format_rfc3339(d.resolution_due)},
                                  {"provisional", d.provisional},
                                  {"rule", d.rule}}
                       .dump()
                << "\n";
      return 0;
    }
    if (cmd == "eval") {
      if (args.size() < 2) return usage("eval needs FILE.jsonl");
      int bad = 0;
      std::vector<assist::Labelled> data;
      for (const auto& j : read_jsonl(args[1], bad)) {
        assist::Labelled l;
        l.id = j.value("id", "");
        l.text = j["text"];
        l.category = j.value("category", "");
        l.request_type = j.value("request_type", "");
        l.urgency = j.value("urgency", "");
        data.push_back(std::move(l));
      }
      const auto report = assist::evaluate(*classifier_for(config), data);
      std::cout << assist::to_text(report);
      return bad ? 2 : 0;
    }
    return usage("unknown command '" + cmd + "'");
  } catch (const std::exception& e) {
    std::cerr << "assistctl: " << e.what() << "\n";
    return 2;
  }
}
