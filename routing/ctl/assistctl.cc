// assistctl: the operator's CLI. Works without a running daemon, reading the same config and data.
//   assistctl [--config FILE] classify TEXT [--ivr DIGITS]
//   assistctl [--config FILE] classify --jsonl FILE
//   assistctl [--config FILE] deadline --opened RFC3339 --urgency U --request-type T [--category C] [--region R]
//             [--calendar-dir DIR]   (R: the office that must act; its extra days off and office hours count)
//   assistctl [--config FILE] eval FILE.jsonl [--misses]
//   assistctl [--config FILE] hash-numbers [FILE]   (numbers one a line, '-' or no FILE = standard input)
//   assistctl [--config FILE] recompute [--dry-run] [--only-provisional] [--calendar-dir DIR] [--store PATH]
// Results go to standard output as JSON; warnings and errors to standard error. Exit 0 ok, 2 bad input.
#include <algorithm>
#include <cstdlib>
#include <fstream>

#include <sys/stat.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <functional>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "routing/classify/classifier.h"
#include "routing/classify/eval.h"
#include "routing/classify/loader.h"
#include "routing/classify/monitoring_list.h"
#include "routing/common/time_format.h"
#include "routing/config/config.h"
#include "routing/dispatch/regions.h"
#include "routing/dispatch/directory.h"
#include "routing/escalation/engine.h"
#include "routing/sla/policy.h"
#include "routing/storage/sqlite_store.h"
#include "routing/storage/store_lock.h"
#include "routing/tickets/ticket_service.h"

namespace {

const char* kUsage =
    "usage: assistctl [--config FILE] COMMAND ...   (--config may also follow the command)\n"
    "  classify TEXT [--ivr DIGITS] [--caller NUMBER] [--language zh|mn]\n"
    "                                 labels, confidence, reasons and flags for one text, as JSON (the call path's code)\n"
    "  classify --jsonl FILE          one {\"id\",\"category\",\"request_type\",\"urgency\"} line per {\"id\",\"text\"} line\n"
    "  deadline --opened RFC3339 --urgency U --request-type T [--category C] [--region CODE] [--calendar-dir DIR]\n"
    "                                 {\"first_response_due\",\"resolution_due\",\"provisional\",\"rule\",\"policy_version\"},\n"
    "                                 with --region the office's days off skipped and, for wh limits, its hours\n"
    "  recompute [--dry-run] [--only-provisional] [--calendar-dir DIR] [--store PATH]\n"
    "                                 recompute open tickets' deadlines under the current policy and calendars;\n"
    "                                 prints what moved (a running daemon: prefer POST /api/v1/recompute)\n"
    "  eval FILE.jsonl [--misses]     precision/recall/F1 per class, macro-F1, confusion matrices, critical recall,\n"
    "                                 critical/urgent sent to not_social_assistance, against labelled JSON lines\n"
    "  hash-numbers [FILE]            a monitoring-list file (classify.monitoring_list): HMAC-SHA256 of each number,\n"
    "                                 keyed with classify.hmac_key (or $ASSIST_HMAC_KEY); numbers never written\n";

int usage(const std::string& why) {
  std::cerr << "assistctl: " << why << "\n" << kUsage;
  return 2;
}

std::shared_ptr<const assist::Classifier> classifier_for(const assist::Config& c) {
  return assist::load_classifier(c.rules_path, c.monitoring_list_path, c.hmac_key);
}

nlohmann::json to_json(const assist::Classification& c) { return assist::classification_json(c); }

// Reads JSON lines; a bad line is reported with its number and skipped, never silently.
/// The lines of a JSONL file that are objects with a "text" string and pass `check` (which throws what is
/// wrong); the others are counted in `bad` and named on standard error as "FILE:LINE: skipped: why".
std::vector<nlohmann::json> read_jsonl(const std::string& path, int& bad,
                                       const std::function<void(const nlohmann::json&)>& check = {}) {
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
      if (j.contains("ivr_digits") && !j["ivr_digits"].is_string()) throw std::runtime_error("\"ivr_digits\" must be a string");
      if (check) check(j);
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
  // --config FILE before the command or among its options
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] != "--config") continue;
    if (i + 1 >= args.size()) return usage("--config needs a FILE");
    config_path = args[i + 1];
    args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
    break;
  }
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  // Each command's options (those taking a value, flags) and how many arguments besides them it takes
  // (classify TEXT, eval FILE, hash-numbers [FILE]): anything else is refused, not ignored.
  struct Grammar {
    std::set<std::string> valued, flags;
    std::size_t positional;
  };
  static const std::map<std::string, Grammar> kGrammar = {
      {"classify", {{"--jsonl", "--ivr", "--caller", "--language"}, {}, 1}},
      {"deadline", {{"--opened", "--urgency", "--request-type", "--category", "--region", "--calendar-dir"}, {}, 0}},
      {"recompute", {{"--calendar-dir", "--store"}, {"--dry-run", "--only-provisional"}, 0}},
      {"eval", {{}, {"--misses"}, 1}},
      {"hash-numbers", {{}, {}, 1}}};
  if (auto known = kGrammar.find(args[0]); known != kGrammar.end()) {
    const auto& [valued, flags, most] = known->second;
    std::vector<std::string> positional, options;
    for (std::size_t i = 1; i < args.size(); ++i) {
      if (args[i].size() < 2 || args[i][0] != '-') {  // "-" alone is a FILE (standard input)
        positional.push_back(args[i]);
        continue;
      }
      if (flags.count(args[i])) {
        options.push_back(args[i]);
        continue;
      }
      if (!valued.count(args[i])) return usage("unknown option " + args[i] + " for " + args[0]);
      if (i + 1 >= args.size()) return usage(args[i] + " needs a value");
      options.push_back(args[i]);
      options.push_back(args[++i]);
    }
    if (positional.size() > most)
      return usage(args[0] + " takes " + std::to_string(most) + " argument" + (most == 1 ? "" : "s") +
                   " besides its options, not " + std::to_string(positional.size()) + " (quote a TEXT with spaces)");
    // the command's code reads its argument at args[1], its options after
    std::vector<std::string> ordered{args[0]};
    ordered.insert(ordered.end(), positional.begin(), positional.end());
    ordered.insert(ordered.end(), options.begin(), options.end());
    args = std::move(ordered);
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
      assist::CallFacts facts;  // the call path's entry point: same code as an INVITE and POST /api/v1/classify
      facts.asr_text = args[1];
      facts.ivr_digits = opt("--ivr").value_or("");
      facts.caller = opt("--caller").value_or("");
      facts.language = opt("--language").value_or("");
      const auto c = classifier->classify(facts);
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
      const auto category = opt("--category").value_or("minimum_living_allowance");
      if (const auto& ids = assist::category_ids(); std::find(ids.begin(), ids.end(), category) == ids.end())
        return usage("unknown category '" + category + "'");
      // the office that must act: its extra days off and office hours count (6, 9 or 12 digits, or a prefix)
      const std::string region = opt("--region").value_or("");
      if (!region.empty() && (region.size() < 2 || region.size() > 12 ||
                              region.find_first_not_of("0123456789") != std::string::npos))
        return usage("--region must be a division code (2 to 12 digits, e.g. 150102001)");
      if (!region.empty() && !assist::Regions::builtin().known(region))
        return usage("--region " + region + " is not an Inner Mongolia division code (GET /api/v1/regions?q= finds one)");
      const auto cal_dir = opt("--calendar-dir");
      const auto calendar =
          cal_dir ? assist::WorkingDayCalendar::with_folder(*cal_dir) : assist::WorkingDayCalendar::builtin();
      assist::SlaPolicy policy(config.limits, calendar, config.business_hours);
      const auto d = policy.compute(*opened, category, *rtype, *urgency, region);
      if (d.provisional)
        std::cerr << "assistctl: warning: a working-day calendar year is missing; the deadline is provisional "
                     "(weekdays only)\n";
      nlohmann::json out{{"first_response_due", assist::format_rfc3339(d.first_response_due)},
                         {"resolution_due", assist::format_rfc3339(d.resolution_due)},
                         {"provisional", d.provisional},
                         {"rule", d.rule},
                         {"policy_version", d.policy_version}};
      if (!region.empty()) {
        out["region"] = region;
        // the region's own days off that fell between the opening and the later deadline (not counted)
        nlohmann::json skipped = nlohmann::json::array();
        const auto first = std::chrono::sys_days{assist::shanghai_date(*opened)};
        const auto last = std::chrono::sys_days{assist::shanghai_date(std::max(d.first_response_due, d.resolution_due))};
        for (const auto& [day, what] : calendar->regional_days_off(region))
          if (day >= first && day <= last)
            skipped.push_back(assist::format_rfc3339(assist::shanghai_midnight(std::chrono::year_month_day{day}))
                                  .substr(0, 10) + " " + what);
        out["regional_days_off"] = skipped;
      }
      if (!d.business_hours.empty()) out["business_hours"] = d.business_hours;
      std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      return 0;
    }
    if (cmd == "recompute") {
      auto flag = [&](const std::string& name) { return std::find(args.begin(), args.end(), name) != args.end(); };
      const auto cal_dir = opt("--calendar-dir");
      auto calendar = cal_dir ? assist::WorkingDayCalendar::with_folder(*cal_dir) : assist::WorkingDayCalendar::builtin();
      assist::SystemClock clock;
      const std::string store_path = opt("--store").value_or(config.storage_path);
      // a mistyped --store must not become a new, empty store that "recomputed" nothing
      if (store_path != ":memory:" && !std::filesystem::exists(store_path)) {
        std::cerr << "assistctl: no store at " << store_path << " (--store, or storage.path in the config)\n";
        return 2;
      }
      // nor may an empty file (a truncated copy, a touch) or any other file become one: a store starts with
      // SQLite's header
      std::error_code size_ec;
      if (store_path != ":memory:" && std::filesystem::is_regular_file(store_path, size_ec)) {
        char head[16] = {};
        std::ifstream in(store_path, std::ios::binary);
        in.read(head, sizeof head);
        const auto got = in.gcount();
        if (got == 0 || std::string_view(head, static_cast<std::size_t>(got)) != std::string_view("SQLite format 3\0", 16)) {
          std::cerr << "assistctl: " << store_path
                    << (got == 0 ? " is an empty file" : " is not an SQLite database")
                    << ", not a store (--store, or storage.path in the config)\n";
          return 2;
        }
        // another program's database is not a store either: it would be given our tables (a store with two
        // names is not opened here at all: reading it would start a WAL beside the other name; it is refused
        // below)
        struct stat links {};
        if (::stat(store_path.c_str(), &links) == 0 && links.st_nlink == 1) try {
          SQLite::Database other(store_path, SQLite::OPEN_READONLY);
          if (const auto why = assist::SqliteTicketStore::foreign_reason(other); !why.empty()) {
            std::cerr << "assistctl: " << store_path << " is an SQLite database of something else (" << why << "), "
                      << "not a store (--store, or storage.path in the config)\n";
            return 2;
          }
        } catch (const std::exception& e) {
          std::cerr << "assistctl: " << store_path << " cannot be read as a store: " << e.what() << "\n";
          return 2;
        }
      }
      // writing deadlines under a running daemon would race its timers: it has POST /api/v1/recompute
      std::unique_ptr<assist::StoreOwnerLock> owner;
      if (flag("--dry-run")) {
        // a dry run writes nothing: not through a second name, and not a schema upgrade under a daemon of
        // an older release that keeps writing the old form
        try {
          assist::refuse_linked_store(store_path);
          const int have = assist::SqliteTicketStore::file_schema_version(store_path);
          if (have < assist::SqliteTicketStore::schema_version()) {
            std::cerr << "assistctl: the store " << store_path << " is at schema version " << have << ", this release's is "
                      << assist::SqliteTicketStore::schema_version()
                      << ": a dry run does not upgrade it (the daemon of this release does, at start)\n";
            return 2;
          }
        } catch (const assist::StoreError& e) {
          std::cerr << "assistctl: " << e.what() << "\n";
          return 2;
        }
      } else {
        try {
          owner = std::make_unique<assist::StoreOwnerLock>(store_path);
        } catch (const assist::StoreError& e) {
          std::cerr << "assistctl: " << e.what() << ": use POST /api/v1/recompute on it, or --dry-run\n";
          return 2;
        }
      }
      assist::SqliteTicketStore store(store_path);
      if (owner) owner->narrow_permissions();
      auto policy = std::make_shared<const assist::SlaPolicy>(config.limits, calendar, config.business_hours);
      assist::Directory directory(config.directory);
      assist::EscalationEngine engine(store, clock, assist::EscalationLadder(config.ladder, config.warning_at), directory,
                                      config.public_url);
      assist::TicketService tickets(store, clock, policy, directory, engine, config.instance, config.public_url);
      assist::RecomputeRequest rq;
      rq.dry_run = flag("--dry-run");
      rq.only_provisional = flag("--only-provisional");
      rq.by = "assistctl";
      rq.reason = "assistctl recompute";
      const auto rep = tickets.recompute(rq);
      std::cerr << "assistctl: " << rep["checked"] << " open tickets checked, " << rep["moved"] << " moved"
                << (rq.dry_run ? " (dry run: nothing written)" : "") << ", " << rep["still_provisional"]
                << " still provisional; policy " << rep["policy_version"].get<std::string>() << "\n";
      if (!rq.dry_run && rep["moved"].get<std::int64_t>() > 0)
        std::cerr << "assistctl: a running daemon takes moved deadlines at its next step or restart; "
                     "POST /api/v1/recompute re-arms its timers at once\n";
      std::cout << rep.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      return 0;
    }
    if (cmd == "eval") {
      if (args.size() < 2) return usage("eval needs FILE.jsonl");
      int bad = 0;
      std::vector<assist::Labelled> data;
      // every line labelled with the taxonomy's ids: an unlabelled one would count as a miss of nothing
      const auto labelled = [](const nlohmann::json& j) {
        const std::pair<const char*, const std::vector<std::string>*> labels[] = {
            {"category", &assist::category_ids()}, {"request_type", &assist::request_type_ids()},
            {"urgency", &assist::urgency_ids()}};
        for (const auto& [key, ids] : labels) {
          if (!j.contains(key) || !j[key].is_string())
            throw std::runtime_error(std::string("needs a \"") + key + "\" label (a string)");
          if (std::find(ids->begin(), ids->end(), j[key].get<std::string>()) == ids->end())
            throw std::runtime_error(std::string("\"") + key + "\": unknown label \"" + j[key].get<std::string>() + "\"");
        }
        if (j.contains("id") && !j["id"].is_string()) throw std::runtime_error("\"id\" must be a string");
      };
      for (const auto& j : read_jsonl(args[1], bad, labelled)) {
        assist::Labelled l;
        l.id = j.value("id", "");
        l.text = j["text"];
        l.category = j.value("category", "");
        l.request_type = j.value("request_type", "");
        l.urgency = j.value("urgency", "");
        data.push_back(std::move(l));
      }
      const auto report = assist::evaluate(*classifier_for(config), data);
      const bool misses = std::find(args.begin(), args.end(), "--misses") != args.end();
      std::cout << assist::to_text(report, misses);
      return bad ? 2 : 0;
    }
    if (cmd == "hash-numbers") {
      std::string key = config.hmac_key;
      if (const char* k = std::getenv("ASSIST_HMAC_KEY"); k && *k) key = k;
      if (key.size() < 16) return usage("hash-numbers needs classify.hmac_key in the config (or $ASSIST_HMAC_KEY), 16 characters or more");
      std::ifstream file;
      const bool from_stdin = args.size() < 2 || args[1] == "-";
      if (!from_stdin) {
        file.open(args[1], std::ios::binary);
        if (!file) throw assist::FileError(args[1] + ": cannot read");
      }
      std::istream& in = from_stdin ? std::cin : file;
      std::cout << "# assistline monitoring list: HMAC-SHA256 of caller numbers (assistctl hash-numbers)\n";
      std::string line;
      int n = 0, bad = 0, written = 0;
      while (std::getline(in, line)) {
        ++n;
        if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const std::string h = assist::MonitoringList::hash(key, line);
        if (h.empty() || assist::MonitoringList::normalize_number(line).size() < 5) {
          ++bad;
          std::cerr << (from_stdin ? "-" : args[1]) << ":" << n << ": skipped: not a phone number\n";
          continue;
        }
        std::cout << h << "\n";
        ++written;
      }
      std::cerr << "assistctl: " << written << " numbers hashed" << (bad ? ", " + std::to_string(bad) + " skipped" : "") << "\n";
      return bad ? 2 : 0;
    }
    return usage("unknown command '" + cmd + "'");
  } catch (const std::exception& e) {
    std::cerr << "assistctl: " << e.what() << "\n";
    return 2;
  }
}
