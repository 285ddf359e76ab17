#include "routing/route/call_router.h"

#include <spdlog/spdlog.h>

#include "routing/common/mask.h"

namespace assist {

CallRouter::CallRouter(std::shared_ptr<const Classifier> classifier, RouteTable table, TicketService& tickets,
                       TicketStore& store)
    : classifier_(std::move(classifier)), table_(std::move(table)), tickets_svc_(tickets), store_(store) {}

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
  std::string ticket_id;
  if (p.ticketed) {
    try {
      const Ticket t = tickets_svc_.open_for_call(facts, p.labels, p.route.queue);
      ticket_id = t.id;
      ++tickets_;
      // a joined ticket keeps its (possibly confirmed) labels: the agent sees the case as it stands
      p.labels.category = t.category;
      p.labels.request_type = t.request_type;
      p.labels.urgency = t.urgency;
    } catch (const std::exception& e) {
      ++store_failures_;
      spdlog::error("store: ticket for call {} not written: {}; redirecting without a ticket id", facts.call_id,
                    e.what());
    }
  }
  if (!ticket_id.empty()) d.headers.emplace_back("X-Assist-Ticket", ticket_id);
  d.headers.emplace_back("X-Assist-Category", p.labels.category);
  d.headers.emplace_back("X-Assist-Request-Type", p.labels.request_type);
  d.headers.emplace_back("X-Assist-Urgency", p.labels.urgency);
  d.headers.emplace_back("Priority", sip_priority(p.labels.urgency));
  spdlog::info("call {} from {} ({}): {}/{}/{} conf {:.2f} -> {} {}", facts.call_id, mask_number(facts.caller),
               facts.transport, p.labels.category, p.labels.request_type, p.labels.urgency, p.labels.confidence,
               p.route.queue, ticket_id.empty() ? "(no ticket)" : ticket_id);
  done(std::move(d));
}

}  // namespace assist
