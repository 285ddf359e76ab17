// assistlined: the routing daemon. `assistlined [--config FILE] [--check-config]`.
// With no config file it runs on the built-in defaults (store under ./var/, loopback ports).
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <mutex>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "routing/classify/classifier.h"
#include "routing/classify/loader.h"
#include "routing/common/mask.h"
#include "routing/common/time_format.h"
#include "routing/config/config.h"
#include "routing/dispatch/directory.h"
#include "routing/escalation/engine.h"
#include "routing/escalation/notifier_registry.h"
#include "routing/escalation/outbox_worker.h"
#include "routing/http/api.h"
#include "routing/http/links.h"
#include "routing/http/server.h"
#include "routing/http/sse.h"
#include "routing/route/call_router.h"
#include "routing/sip/sip_server.h"
#include "routing/sla/sla_thread.h"
#include "routing/storage/sqlite_store.h"
#include "routing/storage/store_lock.h"
#include "routing/tickets/ticket_service.h"

namespace {

const char* kUsage =
    "usage: assistlined [--config FILE] [--calendar-dir DIR] [--check-config]\n"
    "  --config FILE    YAML merged over the built-in defaults (every key optional)\n"
    "  --calendar-dir DIR  cn-YYYY.yaml working-day calendars beyond (or replacing) the built-in ones, and\n"
    "                      regions-YYYY.yaml regional days off\n"
    "  --check-config   validate the configuration (and rules) and exit: 0 valid, 2 invalid\n";

std::shared_ptr<const assist::Classifier> load_rules(const assist::Config& c) {
  return assist::load_classifier(c.rules_path, c.monitoring_list_path, c.hmac_key);
}

/// Raises the soft limit on open descriptors to the hard one (a login shell's soft limit is often 1024,
/// fewer than SIP over TCP, HTTP and the board's streams may hold at once; a proxy does the same), and
/// warns when even that is below what the configured limits may need.
void raise_open_files_limit(const assist::Config& c) {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return;
  if (r.rlim_cur < r.rlim_max) {
    rlimit want = r;
    want.rlim_cur = r.rlim_max == RLIM_INFINITY ? std::max<rlim_t>(r.rlim_cur, 1 << 20) : r.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &want) == 0) r = want;
  }
  // SIP TCP connections (1024), HTTP request connections, board streams (256), the store and the rest (64)
  const rlim_t need = 1024 + c.http_max_connections + 256 + 64;
  if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < need)
    spdlog::warn("open files limit is {} (hard limit): SIP over TCP, http.max_connections ({}) and the board may "
                 "need {}; past it new connections wait (raise LimitNOFILE / ulimit -n)",
                 r.rlim_cur, c.http_max_connections, need);
}

void setup_logging(const assist::Config& c) {
  std::shared_ptr<spdlog::logger> logger;
  if (c.log_file.empty()) logger = spdlog::stderr_color_mt("assistline");
  else logger = spdlog::basic_logger_mt("assistline", c.log_file);
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(c.log_level));
  spdlog::flush_on(spdlog::level::info);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, calendar_dir;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--config") && i + 1 < argc) config_path = argv[++i];
    else if (!std::strcmp(argv[i], "--calendar-dir") && i + 1 < argc) calendar_dir = argv[++i];
    else if (!std::strcmp(argv[i], "--check-config")) check_only = true;
    else if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "assistlined: unknown argument '" << argv[i] << "'\n" << kUsage;
      return 2;
    }
  }

  assist::Config config;
  std::shared_ptr<const assist::Classifier> classifier;
  std::map<std::string, std::unique_ptr<assist::Notifier>> notifier_plugins;
  try {
    config = config_path.empty() ? assist::default_config() : assist::load_config(config_path);
    classifier = load_rules(config);
    // each notifier plugin checks its own section once, here (also for --check-config)
    const auto registry = assist::NotifierRegistry::builtin();
    for (const auto& [name, section] : config.notifiers) {
      try {
        notifier_plugins[name] = registry.make(name, section);
      } catch (const std::exception& e) {
        throw assist::FileError(config.source + ": notify." + name + "." + e.what());
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "assistlined: invalid configuration: " << e.what() << "\n";
    return 2;
  }
  if (check_only) {
    if (!calendar_dir.empty()) {  // the calendars a start with these arguments would load
      try {
        assist::WorkingDayCalendar::with_folder(calendar_dir);
      } catch (const std::exception& e) {
        std::cerr << "assistlined: invalid calendar: " << e.what() << "\n";
        return 2;
      }
    }
    std::cout << "assistlined: " << config.source << ": configuration valid\n";
    return 0;
  }
  setup_logging(config);
  raise_open_files_limit(config);
  spdlog::info("assistlined starting: config {}", config.source);

  assist::SystemClock clock;
  std::unique_ptr<assist::StoreOwnerLock> owner;  // one daemon per store, held until exit
  std::unique_ptr<assist::SqliteTicketStore> store;
  try {
    owner = std::make_unique<assist::StoreOwnerLock>(config.storage_path);
    store = std::make_unique<assist::SqliteTicketStore>(config.storage_path);
    owner->narrow_permissions();
  } catch (const std::exception& e) {
    if (owner) owner->discard();
    spdlog::critical("{}", e.what());
    std::cerr << "assistlined: " << e.what() << "\n";  // also where whoever started it looks
    return 1;
  }
  std::shared_ptr<const assist::WorkingDayCalendar> calendar;
  try {
    calendar = calendar_dir.empty() ? assist::WorkingDayCalendar::builtin()
                                    : assist::WorkingDayCalendar::with_folder(calendar_dir);
  } catch (const std::exception& e) {
    spdlog::critical("calendar: {}", e.what());
    return 2;
  }
  // Issue 5: one clear line at start when the calendars run out within 60 days (the metrics and
  // GET /api/v1/calendar keep saying it; the log does not repeat it).
  const auto cal_status = assist::calendar_status(*calendar, clock.now());
  if (cal_status.warn) spdlog::warn("ALERT calendar: {}", cal_status.message);
  auto policy = std::make_shared<const assist::SlaPolicy>(config.limits, calendar, config.business_hours);
  try {  // signed links in messages (acknowledge, sign off) that work from a phone without logging in
    assist::LinkSigner::install(std::make_shared<assist::LinkSigner>(
        assist::link_secret(config.link_secret, config.storage_path + ".linkkey"), config.public_url, config.link_ttl));
  } catch (const std::exception& e) {
    spdlog::critical("links: {}", e.what());
    return 1;
  }
  assist::Directory directory(config.directory, calendar);
  if (config.directory.empty())
    spdlog::warn("directory is empty: confirmed tickets cannot be dispatched and escalations have nobody to reach");

  assist::EscalationLadder ladder(config.ladder, config.warning_at);
  ladder.set_supervisor_at_breach(config.supervisor_at_breach);
  assist::EscalationEngine engine(*store, clock, ladder, directory, config.public_url);
  assist::TicketService tickets(*store, clock, policy, directory, engine, config.instance, config.public_url);
  if (config.merged.contains("sla") && config.merged["sla"].contains("max_extensions"))
    tickets.set_max_extensions(config.merged["sla"]["max_extensions"].get<int>());

  std::map<std::string, assist::Notifier*> notifiers;
  for (auto& [name, n] : notifier_plugins) notifiers[name] = n.get();
  if (!notifiers.count("webhook"))
    spdlog::warn("notify.webhook.url is not set: webhook messages are kept pending in the outbox");
  assist::OutboxWorker outbox(*store, clock, notifiers,
                              {64, config.retry.initial, config.retry.max, config.retry.max_attempts, config.retry.jitter,
                               config.retry.per_recipient_max, config.retry.per_recipient_window});
  assist::SlaThread sla(engine, clock, [&] { outbox.wake(); });

  boost::asio::io_context sip_io(1), http_io(1);
  // The SSE stream of ticket events for the pane and the board (GET /api/v1/events), with its own
  // timer for breach moments; it runs on the HTTP thread.
  assist::http::SseHub events(http_io, clock,
                              {.warning_at = config.warning_at,
                               .load = [&](const std::string& id) { return store->get(id); }});
  engine.on_change([&](const std::shared_ptr<const assist::Ticket>& t, const std::string& what) {
    outbox.wake();
    events.ticket_changed(t, what);
  });
  tickets.on_change([&](const std::shared_ptr<const assist::Ticket>& t, const std::string& what) {
    sla.wake();
    if (what != "opened") outbox.wake();  // opening a ticket sends nothing (dispatch comes with confirm)
    events.ticket_changed(t, what);
  });

  // Call tickets are written by group commit off the SIP thread (issue 3: one fsync for many calls).
  // Calls whose tickets the store would not take by the time of a stop are kept beside it and written at
  // the next start (before SIP is taken); while the store is stalled, late ones are kept on disk as they
  // come, so a kill loses none.
  const std::string spill_path = config.storage_path + ".pending-calls.jsonl";
  const std::string keep_path = config.storage_path + ".late-calls.jsonl";
  assist::GroupCommitter committer(*store, {.stall = std::chrono::milliseconds(config.storage_stall_ms),
                                            .window = std::chrono::microseconds(config.storage_group_commit_us),
                                            .max_pending = config.storage_max_pending,
                                            .spill_path = spill_path,
                                            .keep_path = keep_path});
  assist::CallRouter router(classifier, assist::RouteTable(config.route_table, config.queues), tickets, clock,
                            &committer);

  assist::sip::SipServer sip_server(sip_io, config.sip, router, clock);

  auto metrics = [&] {
    const auto s = sip_server.stats();
    std::ostringstream o;
    auto m = [&](const char* name, const char* help, const char* type, auto v) {
      o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n" << name << " " << v << "\n";
    };
    m("assist_sip_requests_total", "SIP requests received", "counter", s.requests);
    m("assist_sip_invites_total", "new INVITE transactions", "counter", s.invites);
    m("assist_sip_retransmissions_total", "retransmitted requests absorbed", "counter", s.retransmissions);
    m("assist_sip_malformed_total", "malformed SIP messages", "counter", s.malformed);
    m("assist_sip_refused_sources_total", "requests from sources not in sip.allow", "counter", s.refused_sources);
    m("assist_sip_overload_total", "requests refused with 503 for overload", "counter", s.overload);
    m("assist_sip_rate_limited_total", "requests dropped by the per-source rate limit (sip.rate_limit)", "counter",
      s.rate_limited);
    m("assist_sip_shed_retransmissions_total", "retransmitted requests dropped under overload", "counter",
      s.shed_retransmissions);
    m("assist_sip_transactions", "INVITE server transactions held", "gauge", s.transactions);
    m("assist_sip_tcp_connections", "SIP over TCP connections open", "gauge", s.tcp_connections);
    m("assist_calls_total", "calls routed", "counter", router.calls());
    m("assist_tickets_opened_total", "tickets opened or joined by calls", "counter", router.tickets_opened());
    m("assist_store_failures_total", "calls redirected without a ticket because the store failed", "counter",
      router.store_failures());
    m("assist_sla_timers", "tickets with a pending SLA timer", "gauge", engine.tracked());
    m("assist_directory_gaps_total", "escalation levels skipped for nobody in the directory", "counter", engine.gaps());
    m("assist_outbox_delivered_total", "messages delivered", "counter", outbox.delivered());
    m("assist_outbox_failures_total", "failed delivery attempts", "counter", outbox.failures());
    m("assist_outbox_dead_total", "messages dead-lettered", "counter", outbox.dead());
    m("assist_calendar_last_year", "last year with a working-day calendar", "gauge", calendar->last_year());
    {
      const auto cs = assist::calendar_status(*calendar, clock.now());
      m("assist_calendar_days_left", "days until the last working-day calendar year ends", "gauge", cs.days_left);
      m("assist_calendar_warning", "1 when the calendars end within 60 days (add next year's file)", "gauge",
        cs.warn ? 1 : 0);
      assist::TicketFilter pf;
      pf.provisional_only = true;
      m("assist_provisional_tickets", "open tickets whose deadlines are provisional (a calendar year is missing)",
        "gauge", store->count(pf));
    }
    m("assist_store_writable", "1 when the store can commit now (the call path not stalled, the file takes a write)",
      "gauge", committer.healthy() && store->writable() ? 1 : 0);
    {
      const auto g = committer.stats();
      m("assist_store_stalled", "1 while call tickets wait on a stalled store", "gauge", committer.healthy() ? 0 : 1);
      m("assist_store_pending_calls", "call tickets queued for the store", "gauge", g.pending);
      m("assist_store_batches_total", "group commits of call tickets", "counter", g.batches);
      m("assist_store_largest_batch", "most call tickets in one commit", "gauge", g.largest_batch);
      m("assist_store_late_calls_total", "calls redirected without a ticket id because the store was late", "counter",
        router.stalled_calls());
      m("assist_store_faults_total", "commits of call tickets the store refused (retried)", "counter", g.store_faults);
    }
    return o.str();
  };
  // Rules reload (SIGHUP, POST /api/v1/rules/reload): a new classifier is built whole, then swapped in; calls
  // in flight keep the one they started with. A broken file is refused with its precise error; the old rules stay.
  std::mutex reload_mu;
  auto reload_rules = [&]() -> nlohmann::json {
    std::lock_guard lock(reload_mu);
    const std::string what = config.rules_path.empty() ? std::string("built-in rules") : config.rules_path;
    try {
      auto c = load_rules(config);
      router.set_classifier(c);
      const std::string msg = what + ": " + std::to_string(c->rule_count()) + " rules loaded" +
                              (c->monitoring() ? ", monitoring list " + std::to_string(c->monitoring()->size()) + " households" : "");
      spdlog::info("rules reloaded: {}", msg);
      return {{"ok", true}, {"message", msg}, {"rules", c->rule_count()},
              {"monitored", c->monitoring() ? c->monitoring()->size() : 0}};
    } catch (const std::exception& e) {
      spdlog::error("rules reload refused, the previous rules stay in force: {}", e.what());
      return {{"ok", false}, {"message", e.what()}};
    }
  };
  // Directory reload (SIGHUP): the config's inline entries plus `directory_file` read again; a broken file is
  // refused with its file, line and key, and the directory in force stays.
  auto reload_directory = [&]() -> nlohmann::json {
    if (config.directory_file.empty()) return {{"ok", true}, {"message", "no directory_file to reload"}};
    try {
      std::vector<assist::DirectoryEntry> entries = config.inline_directory;
      auto fresh = assist::load_directory_file(config.directory_file);
      entries.insert(entries.end(), fresh.begin(), fresh.end());
      directory.replace(entries);
      spdlog::info("directory reloaded: {} entries ({} from {})", entries.size(), fresh.size(), config.directory_file);
      return {{"ok", true}, {"entries", entries.size()}};
    } catch (const std::exception& e) {
      spdlog::error("directory reload refused, the directory in force stays: {}", e.what());
      return {{"ok", false}, {"message", e.what()}};
    }
  };
  auto classify_probe = [&](const assist::CallFacts& f) -> nlohmann::json {
    const auto p = router.plan(f);  // the call path's own decision
    auto j = assist::classification_json(p.labels);
    j["ticketed"] = p.ticketed;
    j["queue"] = p.route.queue;
    return j;
  };
  assist::Api api(tickets, *store, clock,
                  {[&] {
                     // Ready: taking calls, the committer not stalled, and the store writable now (a probe
                     // that does not wait). Nothing here turns calls away: only start and stop set that.
                     return committer.healthy() && store->writable() && sip_server.bound() && router.ready();
                   },
                   metrics, classify_probe, reload_rules, [&](const std::string& id) { return outbox.retry(id); },
                   [&]() -> nlohmann::json {
                     const auto g = committer.stats();
                     return {{"stalled", !committer.healthy()}, {"pending_calls", g.pending},
                             {"late_calls", router.stalled_calls()}, {"batches", g.batches},
                             {"largest_batch", g.largest_batch}, {"faults", g.store_faults}};
                   },
                   // stalled, or another process holds the store now (a probe that does not wait)
                   [&] { return !committer.healthy() || !store->writable(); }});
  assist::http::HttpServer http_server(http_io, config.http_host, config.http_port,
                                       [&](const assist::http::Request& r, const boost::asio::ip::address& a) {
                                         return api.handle(r, a);
                                       },
                                       1 << 20, config.http_max_connections);
  http_server.add_stream("events", [&](boost::asio::ip::tcp::socket sock, const assist::http::Request& r,
                                       assist::http::Response head) {
    events.attach(std::move(sock), r, std::move(head));
  });
  try {
    // One pass over the open tickets, reading only what the timers need (not every full record).
    const auto load_start = std::chrono::steady_clock::now();
    std::size_t loaded = 0;
    store->for_each_active([&](const assist::Ticket& t) {
      engine.track(t);
      events.watch(t);  // breach moments still ahead
      ++loaded;
    });
    spdlog::info("timers: {} open tickets loaded in {} ms", loaded,
                 std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - load_start)
                     .count());
    // Provisional deadlines are recomputed when the calendar they lacked is loaded (a new file at start).
    assist::RecomputeRequest rq;
    rq.only_provisional = true;
    rq.by = "system";
    rq.reason = "calendar loaded at start";
    const auto rep = tickets.recompute(rq);
    if (rep["checked"].get<std::int64_t>() > 0)
      spdlog::warn("ALERT provisional deadlines: {} open tickets checked, {} moved, {} still provisional (policy {})",
                   rep["checked"].get<std::int64_t>(), rep["moved"].get<std::int64_t>(),
                   rep["still_provisional"].get<std::int64_t>(), rep["policy_version"].get<std::string>());
    assist::GroupCommitter::adopt_kept(keep_path, spill_path);  // a kill during a stall left them
    committer.start();
    router.replay_spilled(spill_path);  // queued behind nothing, before the first call
    sip_server.start();
    http_server.start();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
  if (!store->writable()) spdlog::warn("store {} is not writable now: calls are redirected without ticket ids until it is",
                              store->path());
  router.set_ready(sip_server.bound());  // the store's state is the committer's: a stall still takes calls
  router.set_store_probe([&] { return store->writable(); }, std::chrono::seconds(1));
  sla.start();
  outbox.start();
  events.start();

  std::string listen;
  for (const auto& l : config.sip.listen) listen += " " + l.transport + ":" + l.host + ":" + std::to_string(l.port);
  spdlog::info("ready: SIP{} · HTTP {}:{} · store {} · {} directory entries · {} tickets with an escalation step ahead", listen,
               config.http_host, config.http_port, store->path(), config.directory.size(), engine.tracked());

  boost::asio::signal_set hup(sip_io, SIGHUP);
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      spdlog::info("SIGHUP: reloading rules and directory");
      boost::asio::post(http_io, [&] {  // off the SIP thread
        reload_rules();
        reload_directory();
      });
      wait_hup();
    });
  };
  wait_hup();
  boost::asio::signal_set signals(sip_io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int sig) {
    spdlog::info("signal {}: shutting down", sig);
    hup.cancel();
    router.set_ready(false);
    sip_server.stop();
    http_server.stop();
    events.stop();
    http_io.stop();
    sip_io.stop();
  });
  std::thread http_thread([&] { http_io.run(); });
  sip_io.run();
  http_io.stop();
  http_thread.join();
  committer.stop();  // what is queued is committed if the store takes it
  sla.stop();
  outbox.stop();
  for (auto& [name, n] : notifier_plugins) n->stop();
  spdlog::info("stopped cleanly; store {}", store->path());
  return 0;
}
