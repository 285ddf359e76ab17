// store_bench: what durable ticketing costs a call, without SIP: the call path's write (TicketService::open_in,
// the same classification, 并单 checks, rows and record as a call) committed in batches of B calls through the
// real SQLite store (WAL, synchronous=FULL), CPU microseconds a call (user+system of the process) and commits a
// second, for each B. B = the calls one group commit gathers (about 6 at 2 000 calls/s with the 2 ms window);
// a large B shows what is left when the fsync and the pages it writes are shared by many calls, the floor of a
// call path that still writes its ticket's rows.
//   store_bench [--calls N] [--batches 1,6,30,1000] [--random-callers] [--dir DIR]
// A fresh store a batch size, in DIR (default a new folder under /tmp, removed after).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include <spdlog/spdlog.h>

#include "routing/classify/classifier.h"
#include "routing/classify/loader.h"
#include "routing/common/clock.h"
#include "routing/config/config.h"
#include "routing/dispatch/directory.h"
#include "routing/escalation/engine.h"
#include "routing/escalation/ladder.h"
#include "routing/http/links.h"
#include "routing/sla/calendar.h"
#include "routing/sla/policy.h"
#include "routing/storage/sqlite_store.h"
#include "routing/tickets/ticket_service.h"

namespace {

double cpu_us() {
  rusage r{};
  ::getrusage(RUSAGE_SELF, &r);
  return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 + r.ru_utime.tv_usec + r.ru_stime.tv_usec;
}

/// A whole number written in digits; std::invalid_argument naming it otherwise.
std::size_t number(const std::string& s) {
  if (s.empty() || s.size() > 12 || s.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("not a whole number: '" + s + "'");
  return std::stoul(s);
}

std::vector<std::size_t> parse_list(const std::string& s) {
  std::vector<std::size_t> out;
  std::stringstream in(s);
  for (std::string x; std::getline(in, x, ',');) out.push_back(number(x));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t calls = 30000;
  std::vector<std::size_t> batches{1, 6, 30, 1000};
  bool random_callers = false;
  std::string dir;
  const char* usage = "store_bench [--calls N] [--batches 1,6,30,1000] [--random-callers] [--dir DIR]\n";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    try {
      if (a == "--calls" && i + 1 < argc) calls = number(argv[++i]);
      else if (a == "--batches" && i + 1 < argc) batches = parse_list(argv[++i]);
      else if (a == "--random-callers") random_callers = true;
      else if (a == "--dir" && i + 1 < argc) dir = argv[++i];
      else if (a == "--calls" || a == "--batches" || a == "--dir") throw std::invalid_argument("needs a value");
      else throw std::invalid_argument("unknown option " + a);
    } catch (const std::exception& e) {
      std::cerr << "store_bench: " << a << ": " << e.what() << "\n" << usage;
      return 2;
    }
  }
  if (calls == 0 || batches.empty() || std::count(batches.begin(), batches.end(), 0u)) {
    std::cerr << "store_bench: --calls and every batch size must be at least 1\n" << usage;
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  const bool own_dir = dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/assist-bench-store-XXXXXX";
    if (!::mkdtemp(tmpl)) return 1;
    dir = tmpl;
  }
  const assist::Config config = assist::default_config();
  const auto classifier = assist::load_classifier(config.rules_path, config.monitoring_list_path, config.hmac_key);
  assist::SystemClock clock;
  const auto calendar = assist::WorkingDayCalendar::builtin();
  const auto policy = std::make_shared<const assist::SlaPolicy>(config.limits, calendar, config.business_hours);
  assist::LinkSigner::install(std::make_shared<assist::LinkSigner>(std::string(32, 'k'), config.public_url, config.link_ttl));
  assist::Directory directory(config.directory, calendar);
  assist::EscalationLadder ladder(config.ladder, config.warning_at);

  // one call as the SIP bench places it: a minimum-living-allowance question, IVR 3 (ticketed)
  assist::CallFacts proto;
  proto.asr_text = "想问一下低保申请";
  proto.ivr_digits = "3";
  proto.region_hint = "150102001001";
  proto.transport = "udp";
  const assist::Classification labels = classifier->classify(proto);
  std::mt19937_64 rng(12345);
  std::unordered_set<std::uint64_t> drawn;
  std::uint64_t counted = 13000000000ULL;
  auto next_caller = [&] {
    if (!random_callers) return std::to_string(counted++);
    for (;;) {
      const std::uint64_t x = 14000000000ULL + rng() % 5999999999ULL;
      if (drawn.insert(x).second) return std::to_string(x);
    }
  };

  std::printf("store_bench: %zu calls a batch size, %s callers, category %s (a ticket each), store in %s\n", calls,
              random_callers ? "random" : "counted-up", labels.category.c_str(), dir.c_str());
  std::printf("  %8s %12s %14s %12s\n", "batch", "µs a call", "commits a s", "calls a s");
  for (const std::size_t batch : batches) {
    const std::string path = dir + "/store-" + std::to_string(batch) + ".db";
    double used = 0, wall_s = 0;
    {
      assist::SqliteTicketStore store(path);
      assist::EscalationEngine engine(store, clock, ladder, directory, config.public_url);
      assist::TicketService tickets(store, clock, policy, directory, engine, config.instance, config.public_url);
      std::vector<assist::CallFacts> facts(batch, proto);
      std::vector<assist::TicketService::CallOpening> out(batch);
      std::size_t n = 0, call = 0;
      const double cpu0 = cpu_us();
      const auto t0 = std::chrono::steady_clock::now();
      while (n < calls) {
        const std::size_t k = std::min(batch, calls - n);
        for (std::size_t i = 0; i < k; ++i) {
          facts[i].call_id = std::to_string(++call) + "-bench@127.0.0.1";
          facts[i].caller = next_caller();
        }
        const auto now = clock.now();
        const auto errors = store.transact_batch(k, [&](std::size_t i, assist::WriteTx& tx) {
          tickets.open_in(tx, facts[i], labels, "sa_general", now, out[i]);
        });
        for (const auto& e : errors)
          if (e) std::rethrow_exception(e);
        n += k;
      }
      used = cpu_us() - cpu0;
      wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    const double commits = std::ceil(double(calls) / double(batch));
    std::printf("  %8zu %12.1f %14.0f %12.0f\n", batch, used / double(calls), commits / wall_s, double(calls) / wall_s);
    std::fflush(stdout);
  }
  if (own_dir) std::filesystem::remove_all(dir);
  return 0;
}
