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
    spdlog::warn("call {}: ignoring an X-Region-Code that is not a division code ({} bytes)", facts.call_id, hint.size());
    facts.region_hint.clear();
  }
  sip::RedirectDecision d;
  Plan p;
  try {
    p = plan(facts);
  } catch (const std::exception& e) {
    // Never the reason a call fails: an unclassifiable call goes to the social-assistance agents.
    spdlog::error("classification failed for call {}: {}", facts.call_id, e.what());
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
    try {
      const Ticket t = tickets_svc_.open_for_call(facts, p.labels, p.route.queue);
      ticket_id = t.id;
      ++tickets_;
      keep_ticket_labels(t, p);
    } catch (const std::exception& e) {
      ++store_failures_;
      spdlog::error("store: ticket for call {} not written: {}; redirecting without a ticket id", facts.call_id,
                    e.what());
    }
    answer(facts, p, ticket_id, std::move(d), done);
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
      if (!call->answered.exchange(true)) answer(call->facts, call->plan, "", std::move(call->decision), call->done);
      return;
    }
    ++tickets_;
    tickets_svc_.opened(call->opening);
    if (call->answered.exchange(true)) {  // redirected without an id while the store was late
      spdlog::debug("store: call {} ticket {} written after the store recovered", call->facts.call_id,
                    call->opening.ticket.id);
      return;
    }
    keep_ticket_labels(call->opening.ticket, call->plan);
    answer(call->facts, call->plan, call->opening.ticket.id, std::move(call->decision), call->done);
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

std::size_t CallRouter::replay_spilled(const std::string& path) {
  std::ifstream in(path);
  if (!in) return 0;
  std::vector<std::string> kept;
  std::size_t written = 0, number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty()) continue;
    try {
      const auto j = nlohmann::json::parse(line);
      CallFacts f;
      f.call_id = j.at("call_id").get<std::string>();
      f.caller = j.at("caller").get<std::string>();
      f.dialed = j.value("dialed", "");
      f.ivr_digits = j.value("ivr_digits", "");
      f.asr_text = j.value("asr_text", "");
      f.region_hint = j.value("region_hint", "");
      f.language = j.value("language", "");
      f.transport = j.value("transport", "");
      const Classification c = classification_from_json(j.at("labels"));
      const Instant at{Millis(j.at("at_ms").get<std::int64_t>())};
      tickets_svc_.open_for_call(f, c, j.at("queue").get<std::string>(), at);
      ++written;
    } catch (const std::exception& e) {
      spdlog::error("store: {}:{}: a kept call ticket not written: {}", path, number, e.what());
      kept.push_back(line);
    }
  }
  in.close();
  std::error_code ec;
  if (kept.empty()) {
    std::filesystem::remove(path, ec);
  } else {  // only what is still owed stays, replaced whole (write, then rename)
    const std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      for (const auto& l : kept) out << l << '\n';
    }
    std::filesystem::rename(tmp, path, ec);
  }
  if (written || !kept.empty())
    spdlog::warn("store: {} call tickets kept by the previous run written from {}{}", written, path,
                 kept.empty() ? "" : "; " + std::to_string(kept.size()) + " not written stay in it");
  return written;
}

void CallRouter::RefusedLog::note(const std::string& call_id, std::size_t pending) {
  // the first refusal at once, then one line a 10 s with how many more: a flood must not flood the log
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu);
  ++unlogged;
  if (now - last < std::chrono::seconds(10)) return;
  spdlog::error("store: call {} refused with 503 ({} refused since the last line): {} call writes already queued",
                call_id, unlogged, pending);
  unlogged = 0;
  last = now;
}

void CallRouter::keep_ticket_labels(const Ticket& t, Plan& p) {
  // a joined ticket keeps its (possibly confirmed) labels: the agent sees the case as it stands
  p.labels.category = t.category;
  p.labels.request_type = t.request_type;
  p.labels.urgency = t.urgency;
}

void CallRouter::answer(const CallFacts& facts, const Plan& p, const std::string& ticket_id, sip::RedirectDecision d,
                        const std::function<void(sip::RedirectDecision)>& done) {
  if (!ticket_id.empty()) d.headers.emplace_back("X-Assist-Ticket", ticket_id);
  d.headers.emplace_back("X-Assist-Category", p.labels.category);
  d.headers.emplace_back("X-Assist-Request-Type", p.labels.request_type);
  d.headers.emplace_back("X-Assist-Urgency", p.labels.urgency);
  d.headers.emplace_back("Priority", sip_priority(p.labels.urgency));
  spdlog::info("call {} from {} ({}): {}/{}/{} conf {:.2f} -> {} {}", facts.call_id, mask_number(facts.caller),
               facts.transport, p.labels.category, p.labels.request_type, p.labels.urgency, p.labels.confidence,
               p.route.queue, ticket_id.empty() ? (p.ticketed ? "(no ticket id: store late)" : "(no ticket)") : ticket_id);
  done(std::move(d));
}

}  // namespace assist
