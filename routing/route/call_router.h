#pragma once
// The call path behind the SIP layer (DESIGN "The flow of one call"): classify the INVITE's facts,
// decide whether it opens a ticket, route it, open (or join) the ticket durably, and answer 302 with the
// queue's Contact and X-Assist-Ticket / -Category / -Request-Type / -Urgency and Priority.
//
// Ticketing rule (DESIGN "Unsure calls"): a call opens a ticket unless it is confidently
// not_social_assistance (confidence >= the rules' threshold), in Chinese, and not from the
// social-assistance IVR menu; such a call goes to the general queue with no ticket.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>

#include "routing/classify/classifier.h"
#include "routing/route/route_table.h"
#include "routing/sip/redirect_handler.h"
#include "routing/storage/group_commit.h"
#include "routing/tickets/ticket_service.h"

namespace assist {

class CallRouter final : public sip::RedirectHandler {
 public:
  /// With `committer`, tickets are written by group commit on its writer thread and the 302 is sent
  /// when its commit is durable, or without X-Assist-Ticket when the store is late (the ticket is kept
  /// and written when the store recovers; issue "a stalled disk"); without it (tools, tests), each call
  /// commits on the calling thread.
  CallRouter(std::shared_ptr<const Classifier> classifier, RouteTable table, TicketService& tickets,
             const Clock& clock, GroupCommitter* committer = nullptr);

  void on_invite(CallFacts facts, std::function<void(sip::RedirectDecision)> done) override;
  /// Ready for OPTIONS and /readyz: set ready, and the store committing (not stalled).
  bool ready() const override { return ready_.load() && (!committer_ || committer_->healthy()); }
  /// Taking INVITEs: set ready (a stalled store still takes calls, redirected without a ticket id).
  bool taking_calls() const override { return ready_.load(); }
  void set_ready(bool r) { ready_.store(r); }
  /// Swaps the rules (reload); calls in flight keep the classifier they started with.
  void set_classifier(std::shared_ptr<const Classifier> c) {
    std::lock_guard lock(classifier_mu_);
    classifier_ = std::move(c);
  }
  /// The classifier in force (a call keeps the one it started with).
  std::shared_ptr<const Classifier> classifier() const {
    std::lock_guard lock(classifier_mu_);
    return classifier_;
  }

  /// Writes the call tickets a previous run could not commit and kept in `path` (the group committer's
  /// spill file: one JSON line a call, its facts, labels, queue and moment), each opened at its call's
  /// moment; a call already in the store (the same Call-ID) is not written twice. With a committer they
  /// are queued like calls and this returns at once (how many were queued): a store that still refuses
  /// holds up neither the start nor the calls, and a stop keeps them again. Without one (tools, tests)
  /// they are written here (returns how many). The file is removed once every line is written; a line
  /// that cannot be read or written stays in it, logged with its line number or Call-ID. Throws nothing.
  std::size_t replay_spilled(const std::string& path);

  /// The decision for a call without I/O: the labels, whether it is ticketed, and the route.
  struct Plan {
    Classification labels;
    bool ticketed = false;
    RouteDecision route;
  };
  Plan plan(const CallFacts& facts) const;

  std::uint64_t calls() const { return calls_; }
  std::uint64_t tickets_opened() const { return tickets_; }
  std::uint64_t store_failures() const { return store_failures_; }
  /// Calls redirected without a ticket id because the store was late (their tickets written later).
  std::uint64_t stalled_calls() const { return stalled_; }

 private:
  mutable std::mutex classifier_mu_;  // guards the pointer only (std::atomic_load on shared_ptr is deprecated in C++20)
  std::shared_ptr<const Classifier> classifier_;
  RouteTable table_;
  TicketService& tickets_svc_;
  const Clock& clock_;
  GroupCommitter* committer_;
  std::atomic<bool> ready_{false};
  std::atomic<std::uint64_t> calls_{0}, tickets_{0}, store_failures_{0}, stalled_{0};

  /// The log of calls refused for a full queue, at most one line a 10 s.
  struct RefusedLog {
    std::mutex mu;
    std::chrono::steady_clock::time_point last{};
    std::uint64_t unlogged = 0;
    void note(const std::string& call_id, std::size_t pending);
  } refused_log_;

  static void keep_ticket_labels(const Ticket& t, Plan& p);
  /// Adds X-Assist-* and Priority to the 302, logs the call (caller masked) and calls `done`.
  static void answer(const CallFacts& facts, const Plan& p, const std::string& ticket_id, sip::RedirectDecision d,
                     const std::function<void(sip::RedirectDecision)>& done,
                     const char* no_id = "(no ticket id: store late)");
};

}  // namespace assist
