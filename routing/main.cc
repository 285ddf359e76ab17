// assistlined: the routing daemon. `assistlined [--config FILE] [--check-config]`.
// With no config file it runs on the built-in defaults (store under ./var/, loopback ports).
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "plugins/notify-webhook/webhook_notifier.h"
#include "routing/classify/classifier.h"
#include "routing/common/mask.h"
#include "routing/common/time_format.h"
#include "routing/config/config.h"
#include "routing/dispatch/directory.h"
#include "routing/escalation/engine.h"
#include "routing/escalation/outbox_worker.h"
#include "routing/http/api.h"
#include "routing/http/server.h"
#include "routing/route/call_router.h"
#include "routing/sip/sip_server.h"
#include "routing/sla/sla_thread.h"
#include "routing/storage/sqlite_store.h"
#include "routing/tickets/ticket_service.h"

namespace {

const char* kUsage =
    "usage: assistlined [--config FILE] [--check-config]\n"
    "  --config FILE    YAML merged over the built-in defaults (every key optional)\n"
    "  --check-config   validate the configuration (and rules) and exit: 0 valid, 2 invalid\n";

std::shared_ptr<const assist::Classifier> load_rules(const assist::Config& c) {
  if (c.rules_path.empty()) return assist::Classifier::builtin();
  std::ifstream in(c.rules_path, std::ios::binary);
  if (!in) throw assist::FileError(c.rules_path + ": cannot read the rules file (classify.rules)");
  std::stringstream ss;
  ss << in.rdbuf();
  return assist::Classifier::from_yaml(ss.str(), c.rules_path);
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
  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--config") && i + 1 < argc) config_path = argv[++i];
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
  try {
    config = config_path.empty() ? assist::default_config() : assist::load_config(config_path);
    classifier = load_rules(config);
  } catch (const std::exception& e) {
    std::cerr << "assistlined: invalid configuration: " << e.what() << "\n";
    return 2;
  }
  if (check_only) {
    std::cout << "assistlined: " << config.source << ": configuration valid\n";
    return 0;
  }
  setup_logging(config);
  spdlog::info("assistlined starting: config {}", config.source);

  assist::SystemClock clock;
  std::unique_ptr<assist::SqliteTicketStore> store;
  try {
    store = std::make_unique<assist::SqliteTicketStore>(config.storage_path);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  auto calendar = assist::WorkingDayCalendar::builtin();
  const int this_year = int(assist::shanghai_date(clock.now()).year());
  if (!calendar->has_year(this_year) || !calendar->has_year(this_year + 1))
    spdlog::warn("ALERT calendar: no working-day calendar for {} (last loaded: {}); deadlines past it are "
                 "provisional (weekdays only) until ops/calendars/cn-YYYY.yaml is added",
                 calendar->has_year(this_year) ? this_year + 1 : this_year, calendar->last_year());
  auto policy = std::make_shared<const assist::SlaPolicy>(config.limits, calendar);
  assist::Directory directory(config.directory);
  if (config.directory.empty())
    spdlog::warn("directory is empty: confirmed tickets cannot be dispatched and escalations have nobody to reach");

  assist::EscalationEngine engine(*store, clock, assist::EscalationLadder(config.ladder, config.warning_at), directory,
                                  config.public_url);
  assist::TicketService tickets(*store, clock, policy, directory, engine, config.instance, config.public_url);

  std::unique_ptr<assist::WebhookNotifier> webhook;
  std::map<std::string, assist::Notifier*> notifiers;
  if (!config.webhook.url.empty()) {
    webhook = std::make_unique<assist::WebhookNotifier>(config.webhook);
    notifiers["webhook"] = webhook.get();
  } else {
    spdlog::warn("notify.webhook.url is not set: messages are kept pending in the outbox");
  }
  assist::OutboxWorker outbox(*store, clock, notifiers,
                              {config.webhook.max_in_flight, config.webhook.retry_initial, config.webhook.retry_max,
                               config.webhook.max_attempts});
  assist::SlaThread sla(engine, clock, [&] { outbox.wake(); });
  engine.on_change([&](const assist::Ticket&, const std::string&) { outbox.wake(); });
  tickets.on_change([&](const assist::Ticket&, const std::string&) {
    sla.wake();
    outbox.wake();
  });

  assist::CallRouter router(classifier, assist::RouteTable(config.route_table, config.queues), tickets, *store);

  boost::asio::io_context sip_io(1), http_io(1);
  assist::sip::SipServer sip_server(sip_io, config.sip, router, clock);
  std::atomic<bool> store_ok{true};

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
    m("assist_sip_transactions", "INVITE server transactions held", "gauge", s.transactions);
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
    m("assist_store_writable", "1 when the store can commit", "gauge", store_ok.load() ? 1 : 0);
    return o.str();
  };
  assist::Api api(tickets, *store, clock,
                  {[&] {
                     store_ok = store->writable();
                     router.set_ready(store_ok.load() && sip_server.bound());
                     return router.ready();
                   },
                   metrics});
  assist::http::HttpServer http_server(http_io, config.http_host, config.http_port,
                                       [&](const assist::http::Request& r, const boost::asio::ip::address& a) {
                                         return api.handle(r, a);
                                       });
  try {
    engine.load();
    sip_server.start();
    http_server.start();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
  store_ok = store->writable();
  router.set_ready(store_ok.load() && sip_server.bound());
  sla.start();
  outbox.start();

  std::string listen;
  for (const auto& l : config.sip.listen) listen += " " + l.transport + ":" + l.host + ":" + std::to_string(l.port);
  spdlog::info("ready: SIP{} · HTTP {}:{} · store {} · {} directory entries · {} tickets with timers", listen,
               config.http_host, config.http_port, store->path(), config.directory.size(), engine.tracked());

  boost::asio::signal_set signals(sip_io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int sig) {
    spdlog::info("signal {}: shutting down", sig);
    router.set_ready(false);
    sip_server.stop();
    http_server.stop();
    http_io.stop();
    sip_io.stop();
  });
  std::thread http_thread([&] { http_io.run(); });
  sip_io.run();
  http_io.stop();
  http_thread.join();
  sla.stop();
  outbox.stop();
  if (webhook) webhook->stop();
  spdlog::info("stopped cleanly; store {}", store->path());
  return 0;
}
