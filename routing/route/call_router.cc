#include "routing/route/call_router.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "routing/classify/loader.h"

#include "routing/common/mask.h"

namespace assist {

CallRouter::CallRouter(std::shared_ptr<const Classifier> classifier, RouteTable table, TicketService& tickets,
                       const Clock& clock, GroupCommitter* committer)
    : classifier_(std::move(classifier)), table_(std::move(table)), tickets_svc_(tickets), clock_(clock),
      committer_(committer) {}

CallRouter::Plan CallRouter::plan(const CallFacts& facts) const {
  Plan p;
  const auto classifier = this->classifier();
  p.labels = classifier->classify(facts);
  const bool general = p.labels.category == "not_social_assistance";
  const bool unsure = p.labels.confidence < classifier->min_confidence() || p.labels.language == "mn" ||
                      p.labels.social_menu || p.labels.unsure;
  p.ticketed = !general || unsure;
  p.route = table_.route(general && p.ticketed ? "unsure" : p.labels.category, p.labels.urgency, p.labels.language);
  return p;
}

void CallRouter::on_invite(CallFacts facts, std::function<void(sip::RedirectDecision)> done) {
  ++calls_;
  // X-Region-Code is a 6, 9 or 12-digit division code; anything else is not a place and is dropped
  const auto& hint = facts.region_hint;
  if (!hint.empty() && (hint.find_first_not_of("0123456789") != std::string::npos ||
                        (hint.size() != 6 && hint.size() != 9 && hint.size() != 12))) {
    spdlog::warn("call {}: ignoring an X-Region-Code that is not a division code ({} bytes)", mask_numbers_in_text(facts.call_id), hint.size());
    facts.region_hint.clear();
  }
  sip::RedirectDecision d;
  Plan p;
  try {
    p = plan(facts);
  } catch (const std::exception& e) {
    // Never the reason a call fails: an unclassifiable call goes to the social-assistance agents.
    spdlog::error("classification failed for call {}: {}", mask_numbers_in_text(facts.call_id), e.what());
    p.labels = Classification{"not_social_assistance", "help", "normal", 0.0, {}, "zh", false};
    p.ticketed = true;
    p.route = table_.route("unsure", "normal", "zh");
  }
  d.contact = p.route.contact_uri;
  if (!p.ticketed) {
    answer(facts, p, "", std::move(d), done);
    return;
  }
  if (!committer_) {  // tools and tests without a writer thread: commit here
    std::string ticket_id;
    bool joined = false;
    try {
      const Ticket t = tickets_svc_.open_for_call(facts, p.labels, p.route.queue);
      ticket_id = t.id;
      joined = t.call_count > 1;
      ++tickets_;
      keep_ticket_labels(t, p, d);
    } catch (const std::exception& e) {
      ++store_failures_;
      spdlog::error("store: ticket for call {} not written: {}; redirecting without a ticket id", mask_numbers_in_text(facts.call_id),
                    e.what());
    }
    answer(facts, p, ticket_id, std::move(d), done, "(no ticket id: its write failed)", joined);
    return;
  }
  // Group commit: the 302 waits for the commit that makes its ticket durable, but not for a stalled store.
  struct Pending {
    CallFacts facts;
    Plan plan;
    sip::RedirectDecision decision;
    std::function<void(sip::RedirectDecision)> done;
    Instant at;
    TicketService::CallOpening opening;
    std::atomic<bool> answered{false};
  };
  auto call = std::make_shared<Pending>();
  call->facts = std::move(facts);
  call->plan = std::move(p);
  call->decision = std::move(d);
  call->done = std::move(done);
  call->at = clock_.now();
  // Answered once: by the commit, or without a ticket id when the store is late. Whoever wins the
  // exchange answers, and only the winner touches the plan.
  GroupCommitter::Job job;
  job.write = [this, call](WriteTx& tx) {
    tickets_svc_.open_in(tx, call->facts, call->plan.labels, call->plan.route.queue, call->at, call->opening);
  };
  job.done = [this, call](std::exception_ptr error) {
    if (error) {
      ++store_failures_;
      if (!call->answered.exchange(true))
        answer(call->facts, call->plan, "", std::move(call->decision), call->done, "(no ticket id: its write failed)");
      return;
    }
    ++tickets_;
    if (call->answered.exchange(true)) {  // redirected without an id while the store was late
      spdlog::debug("store: call {} ticket {} written after the store recovered", mask_numbers_in_text(call->facts.call_id),
                    call->opening.ticket.id);
    } else {
      keep_ticket_labels(call->opening.ticket, call->plan, call->decision);
      answer(call->facts, call->plan, call->opening.ticket.id, std::move(call->decision), call->done,
             "(no ticket id: store late)", call->opening.joined);
    }
    tickets_svc_.opened(std::move(call->opening));  // the ticket goes to the board's events, not copied
  };
  auto answer_late = [this, call] {
    if (call->answered.exchange(true)) return;
    ++stalled_;
    answer(call->facts, call->plan, "", std::move(call->decision), call->done);
  };
  job.spill = [call] {  // the write as a line to redo after a restart (GroupCommitter::stop)
    const auto& f = call->facts;
    return nlohmann::json{{"call_id", f.call_id},         {"caller", f.caller},
                          {"dialed", f.dialed},           {"ivr_digits", f.ivr_digits},
                          {"asr_text", f.asr_text},       {"region_hint", f.region_hint},
                          {"language", f.language},       {"transport", f.transport},
                          {"labels", classification_json(call->plan.labels)},
                          {"queue", call->plan.route.queue},
                          {"at_ms", call->at.time_since_epoch().count()}}
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  const bool stalled = !committer_->healthy();
  if (!stalled) job.late = answer_late;  // known stalled: answered now, below, without waiting for the watchdog
  if (!committer_->submit(std::move(job))) {
    // Nowhere to keep the ticket: 503 so the proxy tries another instance; nothing is lost.
    ++store_failures_;
    refused_log_.note(call->facts.call_id, committer_->stats().pending);
    sip::RedirectDecision busy;
    busy.status = 503;
    busy.retry_after = 5;
    call->answered = true;
    call->done(std::move(busy));
    return;
  }
  if (stalled) answer_late();
}

namespace {

/// One call of the spill file, read back.
struct SpilledCall {
  CallFacts facts;
  Classification labels;
  std::string queue;
  Instant at;
  std::string line;  // as it was in the file, to keep it there while it is owed
};

/// Reads a spill-file line (GroupCommitter::Job::spill of CallRouter). Throws on a bad line.
SpilledCall parse_spilled(const std::string& line) {
  const auto j = nlohmann::json::parse(line);
  SpilledCall c;
  c.facts.call_id = j.at("call_id").get<std::string>();
  c.facts.caller = normalize_number(j.at("caller").get<std::string>());  // a line an older release kept raw
  c.facts.dialed = j.value("dialed", "");
  c.facts.ivr_digits = j.value("ivr_digits", "");
  c.facts.asr_text = j.value("asr_text", "");
  c.facts.region_hint = j.value("region_hint", "");
  c.facts.language = j.value("language", "");
  c.facts.transport = j.value("transport", "");
  c.labels = classification_from_json(j.at("labels"));
  c.queue = j.at("queue").get<std::string>();
  c.at = Instant{Millis(j.at("at_ms").get<std::int64_t>())};
  c.line = line;
  return c;
}

/// Leaves in `path` only `owed` (none: removes it), replaced whole (write, then rename); says what it did.
void settle_spill(const std::string& path, const std::vector<std::string>& owed, std::size_t written) {
  std::error_code ec;
  if (owed.empty()) {
    if (std::filesystem::is_regular_file(path, ec)) std::filesystem::remove(path, ec);
  } else {
    const std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      for (const auto& l : owed) out << l << '\n';
      out.flush();
      if (!out) ec = std::make_error_code(std::errc::io_error);
    }
    if (!ec) std::filesystem::rename(tmp, path, ec);
  }
  if (ec) spdlog::error("store: cannot settle {}: {}; it is read again at the next start", path, ec.message());
  spdlog::warn("store: {} call tickets kept by the previous run written from {}{}", written, path,
               owed.empty() ? "" : "; " + std::to_string(owed.size()) + " not written stay in it");
}

}  // namespace

std::size_t CallRouter::replay_spilled(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return 0;
  std::ifstream in(path);
  if (!in) {
    spdlog::error("store: cannot read {}: the call tickets kept in it are not written", path);
    return 0;
  }
  std::vector<SpilledCall> calls;
  std::vector<std::string> owed;
  std::size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty()) continue;
    try {
      calls.push_back(parse_spilled(line));
    } catch (const std::exception& e) {
      spdlog::error("store: {}:{}: a kept call ticket cannot be read: {}", path, number, e.what());
      owed.push_back(line);
    }
  }
  in.close();
  if (!committer_) {  // tools and tests: write them here
    std::size_t written = 0;
    for (const auto& c : calls) {
      try {
        tickets_svc_.open_for_call(c.facts, c.labels, c.queue, c.at);
        ++written;
      } catch (const std::exception& e) {
        spdlog::error("store: {}: the kept ticket of call {} not written: {}", path, mask_numbers_in_text(c.facts.call_id), e.what());
        owed.push_back(c.line);
      }
    }
    settle_spill(path, owed, written);
    return written;
  }
  // The daemon: queued like calls, so a store that still refuses holds nothing up (the committer retries,
  // and a stop keeps them again); the file is settled once every one is written or has failed.
  struct Replay {
    std::mutex mu;
    std::size_t remaining = 0, written = 0;
    std::vector<std::string> owed;
  };
  auto r = std::make_shared<Replay>();
  r->remaining = calls.size();
  r->owed = std::move(owed);
  if (calls.empty()) {
    settle_spill(path, r->owed, 0);
    return 0;
  }
  auto one_done = [r, path](const std::string* failed_line, bool wrote) {
    std::lock_guard lock(r->mu);
    if (failed_line) r->owed.push_back(*failed_line);
    else if (wrote) ++r->written;  // a line kept twice (two stops in one stall) is written once
    if (--r->remaining == 0) settle_spill(path, r->owed, r->written);
  };
  std::size_t queued = 0;
  for (auto& c : calls) {
    auto call = std::make_shared<SpilledCall>(std::move(c));
    auto opening = std::make_shared<TicketService::CallOpening>();
    GroupCommitter::Job job;
    job.write = [this, call, opening](WriteTx& tx) {
      tickets_svc_.open_in(tx, call->facts, call->labels, call->queue, call->at, *opening);
    };
    job.done = [this, call, opening, one_done](std::exception_ptr e) {
      if (e) {
        spdlog::error("store: the kept ticket of call {} not written (its write failed)", mask_numbers_in_text(call->facts.call_id));
        one_done(&call->line, false);
        return;
      }
      tickets_svc_.opened(*opening);
      one_done(nullptr, !opening->known);
    };
    job.spill = [call] { return call->line; };
    job.on_disk = true;  // the file keeps the line until every replayed call is written
    if (committer_->submit(std::move(job))) ++queued;
    else one_done(&call->line, false);
  }
  return queued;
}

void CallRouter::RefusedLog::note(const std::string& call_id, std::size_t pending) {
  // the first refusal at once, then one line a 10 s with how many more: a flood must not flood the log
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu);
  const auto refused = limit.note(now);
  if (!refused) return;
  spdlog::error("store: call {} refused with 503 ({} refused since the last line): {} call writes already queued",
                mask_numbers_in_text(call_id), refused, pending);
}

void CallRouter::keep_ticket_labels(const Ticket& t, Plan& p, sip::RedirectDecision& d) const {
  // a joined ticket keeps its (possibly confirmed) labels: the agent sees the case as it stands; a ticket
  // more urgent than this call (an emergency that came first) takes the call to its urgency's queue, so
  // that headers and queue agree
  if (urgency_rank(t.urgency) < urgency_rank(p.labels.urgency)) {
    p.route = table_.route(t.category, t.urgency, p.labels.language);
    d.contact = p.route.contact_uri;
  }
  p.labels.category = t.category;
  p.labels.request_type = t.request_type;
  p.labels.urgency = t.urgency;
}

void CallRouter::answer(const CallFacts& facts, const Plan& p, const std::string& ticket_id, sip::RedirectDecision d,
                        const std::function<void(sip::RedirectDecision)>& done, const char* no_id, bool joined) {
  if (!ticket_id.empty()) d.headers.emplace_back("X-Assist-Ticket", ticket_id);
  d.headers.emplace_back("X-Assist-Category", p.labels.category);
  d.headers.emplace_back("X-Assist-Request-Type", p.labels.request_type);
  d.headers.emplace_back("X-Assist-Urgency", p.labels.urgency);
  d.headers.emplace_back("Priority", sip_priority(p.labels.urgency));
  if (spdlog::should_log(spdlog::level::info))  // the masking is per call: not when the line is not written
    spdlog::info("call {} from {} ({}): {}/{}/{} conf {:.2f} -> {} {}{}", mask_numbers_in_text(facts.call_id),
                 mask_number(facts.caller), facts.transport, p.labels.category, p.labels.request_type, p.labels.urgency,
                 p.labels.confidence, p.route.queue, ticket_id.empty() ? (p.ticketed ? no_id : "(no ticket)") : ticket_id,
                 joined ? " (joined: 并单)" : "");
  done(std::move(d));
}

}  // namespace assist
