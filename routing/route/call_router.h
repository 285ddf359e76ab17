#pragma once
// The call path behind the SIP layer (DESIGN "The flow of one call"): classify the INVITE's facts,
// decide whether it opens a ticket, route it, open (or join) the ticket durably, and answer 302 with the
// queue's Contact and X-Assist-Ticket / -Category / -Request-Type / -Urgency and Priority.
//
// Ticketing rule (DESIGN "Unsure calls"): a call opens a ticket unless it is confidently
// not_social_assistance (confidence >= the rules' threshold), in Chinese, and not from the
// social-assistance IVR menu; such a call goes to the general queue with no ticket.
#include <atomic>
#include <limits>
#include <chrono>
#include <memory>
#include <mutex>

#include "routing/classify/classifier.h"
#include "routing/common/log_limit.h"
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
  /// Ready for OPTIONS and /readyz: set ready, the store committing (not stalled), and the store probe
  /// (set_store_probe) true when last asked.
  bool ready() const override { return ready_.load() && (!committer_ || committer_->healthy()) && probe_ok(); }
  /// A probe of the store that does not wait (TicketStore::writable), asked at most once an `every`
  /// from ready(): OPTIONS answers 503 while another process holds the store even before a call has
  /// met the lock, so the proxy moves calls away sooner.
  void set_store_probe(std::function<bool()> probe, std::chrono::milliseconds every) {
    probe_ = std::move(probe);
    probe_every_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(every).count();
  }
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
  std::function<bool()> probe_;
  std::int64_t probe_every_ns_ = 0;
  mutable std::atomic<std::int64_t> probe_at_ns_{std::numeric_limits<std::int64_t>::min()};
  mutable std::atomic<bool> probe_ok_{true};
  bool probe_ok() const {
    if (!probe_) return true;
    const std::int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
    const std::int64_t last = probe_at_ns_.load(std::memory_order_relaxed);
    if (last != std::numeric_limits<std::int64_t>::min() && now - last < probe_every_ns_)
      return probe_ok_.load(std::memory_order_relaxed);
    probe_at_ns_.store(now, std::memory_order_relaxed);
    const bool ok = probe_();
    probe_ok_.store(ok, std::memory_order_relaxed);
    return ok;
  }

  /// The log of calls refused for a full queue, at most one line a 10 s.
  struct RefusedLog {
    std::mutex mu;
    LogLimit limit;
    void note(const std::string& call_id, std::size_t pending);
  } refused_log_;

  void keep_ticket_labels(const Ticket& t, Plan& p, sip::RedirectDecision& d) const;
  /// Adds X-Assist-* and Priority to the 302, logs the call (caller masked) and calls `done`.
  static void answer(const CallFacts& facts, const Plan& p, const std::string& ticket_id, sip::RedirectDecision d,
                     const std::function<void(sip::RedirectDecision)>& done,
                     const char* no_id = "(no ticket id: store late)", bool joined = false);
};

}  // namespace assist
