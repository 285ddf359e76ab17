#pragma once
// Test fixture shared by the ticket, escalation and HTTP tests: a SimulatedClock, an in-memory SQLite
// store, the built-in limits and ladder, a small directory for 呼和浩特市 新城区 海拉尔东路街道, an
// EscalationEngine and a TicketService wired together as in assistlined. Header only: not a test file.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "routing/common/clock.h"
#include "routing/common/time_format.h"
#include "routing/config/config.h"
#include "routing/dispatch/directory.h"
#include "routing/escalation/engine.h"
#include "routing/escalation/ladder.h"
#include "routing/sla/calendar.h"
#include "routing/sla/policy.h"
#include "routing/storage/sqlite_store.h"
#include "routing/tickets/ticket_service.h"
#include "tests/routing/common/time_helpers.h"

namespace assist::testing {

inline constexpr const char* kPlace = "150102001001";  // 海拉尔东路街道, a community under it
inline constexpr const char* kUrl = "http://hotline.test";

inline DirectoryEntry entry(std::string region, std::string level, std::string name, std::string role = "coordinator",
                            std::string department = "civil_affairs") {
  DirectoryEntry e;
  e.region = std::move(region);
  e.level = std::move(level);
  e.name = std::move(name);
  e.notify = "webhook";
  e.role = std::move(role);
  e.department = std::move(department);
  return e;
}

/// Township window (plain entry: dispatch and escalations), county and league coordinators and a
/// township medical-insurance office.
inline std::vector<DirectoryEntry> full_directory() {
  return {entry("150102001", "township", "海拉尔东路街道社会救助窗口"),
          entry("150102", "county", "新城区民政局值班室"),
          entry("150102001", "township", "海拉尔东路街道医保站", "office", "medical_insurance"),
          entry("1501", "league", "呼和浩特市民政局值班室")};
}

inline std::vector<DirectoryEntry> without_level(std::vector<DirectoryEntry> d, const std::string& level) {
  std::erase_if(d, [&](const DirectoryEntry& e) { return e.level == level; });
  return d;
}

inline CallFacts facts(std::string call_id, std::string caller, std::string region = kPlace) {
  CallFacts f;
  f.call_id = std::move(call_id);
  f.caller = std::move(caller);
  f.dialed = "12345";
  f.asr_text = "家里着火了";
  f.region_hint = std::move(region);
  f.language = "zh";
  f.transport = "udp";
  return f;
}

inline Classification labels(std::string category, std::string request_type, std::string urgency,
                             double confidence = 0.9) {
  Classification c;
  c.category = std::move(category);
  c.request_type = std::move(request_type);
  c.urgency = std::move(urgency);
  c.confidence = confidence;
  c.language = "zh";
  return c;
}

/// Monday 2026-11-30 10:00 in Shanghai: a working day, a calendar year that is loaded.
inline constexpr const char* kStart = "2026-11-30T10:00:00+08:00";

struct World {
  explicit World(std::vector<DirectoryEntry> dir = full_directory(), std::string path = ":memory:")
      : clock(at(kStart)),
        store(std::make_unique<SqliteTicketStore>(path)),
        config(default_config()),
        policy(std::make_shared<SlaPolicy>(config.limits, WorkingDayCalendar::builtin(), config.business_hours)),
        directory(std::move(dir)),
        engine(std::make_unique<EscalationEngine>(*store, clock, EscalationLadder(config.ladder, config.warning_at),
                                                  Directory(directory), kUrl)),
        service(std::make_unique<TicketService>(*store, clock, policy, Directory(directory), *engine, "SA", kUrl)) {}

  /// A new engine and service over the same store, as after a restart; load()s the engine.
  /// A restart with another configured ladder (a config change between runs).
  void restart_with_ladder(std::vector<LadderStep> ladder) {
    config.ladder = std::move(ladder);
    restart();
  }

  void restart() {
    service.reset();
    engine = std::make_unique<EscalationEngine>(*store, clock, EscalationLadder(config.ladder, config.warning_at),
                                                Directory(directory), kUrl);
    service = std::make_unique<TicketService>(*store, clock, policy, Directory(directory), *engine, "SA", kUrl);
    engine->load();
  }

  Ticket open_critical(const std::string& call_id = "call-1@pbx", const std::string& caller = "13812345678") {
    return service->open_for_call(facts(call_id, caller), labels("temporary_assistance", "help", "critical"),
                                  "sa_critical");
  }
  Ticket confirm(const std::string& id, nlohmann::json extra = nlohmann::json::object()) {
    extra["type"] = "confirm";
    if (!extra.contains("by")) extra["by"] = "agent-7";
    return service->apply(id, extra);
  }

  std::vector<std::string> outbox_ids() {
    std::vector<std::string> out;
    for (const auto& m : store->outbox("", 100)) out.push_back(m.id);
    return out;
  }
  std::vector<std::string> event_types(const std::string& id) {
    std::vector<std::string> out;
    for (const auto& e : store->events(id)) out.push_back(e.at("type").get<std::string>());
    return out;
  }

  SimulatedClock clock;
  std::unique_ptr<SqliteTicketStore> store;
  Config config;
  std::shared_ptr<const SlaPolicy> policy;
  std::vector<DirectoryEntry> directory;
  std::unique_ptr<EscalationEngine> engine;
  std::unique_ptr<TicketService> service;
};

/// True when `v` holds `s` (allowed events, flags).
inline bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

/// Runs `fn`, which must throw EventError; returns it (a test of a refusal checks its status and field).
template <class Fn>
EventError event_error(Fn&& fn) {
  try {
    fn();
  } catch (const EventError& e) {
    return e;
  }
  FAIL("no EventError thrown");
  return EventError(0, "", "");
}

}  // namespace assist::testing
