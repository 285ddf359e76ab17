#include "routing/sip/transaction.h"

#include <algorithm>

namespace assist::sip {

std::string transaction_key(const SipMessage& req) {
  const Via* top = req.top_via();
  if (!top) return {};
  std::string key;
  key.reserve(96);
  if (top->branch.size() > 7 && top->branch.substr(0, 7) == "z9hG4bK") {
    key += "1|";
    key.append(top->branch);
    key += '|';
    for (char c : top->host) key += char(std::tolower(static_cast<unsigned char>(c)));
    key += ':';
    key += std::to_string(top->port);
    return key;
  }
  // RFC 2543 fallback (RFC 3261 §17.2.3, last paragraphs).
  key += "0|";
  key.append(req.request_uri);
  key += '|';
  key.append(req.from_addr.tag);
  key += '|';
  key.append(req.call_id);
  key += '|';
  key += std::to_string(req.cseq_number);
  key += '|';
  key.append(top->raw);
  return key;
}

InviteTransactionTable::InviteTransactionTable(TransactionTimers timers, std::size_t max_transactions)
    : timers_(timers), max_(max_transactions) {}

InviteServerTransaction* InviteTransactionTable::find(const std::string& key) {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : find(it->second);
}

InviteServerTransaction* InviteTransactionTable::find(std::uint64_t id) {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

InviteServerTransaction* InviteTransactionTable::create(std::string key, Destination to, bool reliable, Instant now) {
  if (by_id_.size() >= max_) return nullptr;
  std::uint64_t id = next_id_++;
  auto& tx = by_id_[id];
  tx.id = id;
  tx.key = std::move(key);
  tx.to = std::move(to);
  tx.reliable = reliable;
  by_key_[tx.key] = id;
  tx.proceeding_deadline = now + timers_.proceeding_limit;
  schedule(tx, tx.proceeding_deadline);
  return &tx;
}

void InviteTransactionTable::schedule(InviteServerTransaction& tx, Instant at) {
  ++tx.generation;
  wakes_.push(Wake{at, tx.id, tx.generation});
}

void InviteTransactionTable::erase(InviteServerTransaction& tx) {
  auto it = by_key_.find(tx.key);
  if (it != by_key_.end() && it->second == tx.id) by_key_.erase(it);
  by_id_.erase(tx.id);
}

void InviteTransactionTable::complete(InviteServerTransaction& tx, std::string response, Instant now) {
  if (tx.state != TxState::proceeding) return;
  tx.state = TxState::completed;
  tx.response = std::move(response);
  tx.timer_h = now + 64 * timers_.t1;
  if (tx.reliable) {
    schedule(tx, tx.timer_h);
  } else {
    tx.interval = timers_.t1;
    tx.next_retransmit = now + tx.interval;
    schedule(tx, std::min(tx.next_retransmit, tx.timer_h));
  }
}

bool InviteTransactionTable::ack(InviteServerTransaction& tx, Instant now) {
  if (tx.state != TxState::completed) return false;
  tx.state = TxState::confirmed;
  tx.timer_i = now + (tx.reliable ? Millis{0} : timers_.t4);
  schedule(tx, tx.timer_i);
  return true;
}

std::optional<Instant> InviteTransactionTable::next_wake() {
  while (!wakes_.empty()) {
    const Wake& w = wakes_.top();
    auto* tx = find(w.id);
    if (tx && tx->generation == w.generation) return w.at;
    wakes_.pop();  // stale
  }
  return std::nullopt;
}

std::vector<Outgoing> InviteTransactionTable::on_timer(Instant now) {
  std::vector<Outgoing> out;
  while (!wakes_.empty() && wakes_.top().at <= now) {
    Wake w = wakes_.top();
    wakes_.pop();
    auto* tx = find(w.id);
    if (!tx || tx->generation != w.generation) continue;
    switch (tx->state) {
      case TxState::proceeding:
        ++counters_.abandoned;
        erase(*tx);
        break;
      case TxState::completed:
        if (now >= tx->timer_h) {
          ++counters_.timed_out;
          erase(*tx);
          break;
        }
        if (!tx->reliable && now >= tx->next_retransmit) {
          out.push_back(Outgoing{tx->to, tx->response});
          ++counters_.retransmitted;
          tx->interval = std::min(tx->interval * 2, timers_.t2);
          tx->next_retransmit += tx->interval;
          if (tx->next_retransmit <= now) tx->next_retransmit = now + tx->interval;
        }
        schedule(*tx, tx->reliable ? tx->timer_h : std::min(tx->next_retransmit, tx->timer_h));
        break;
      case TxState::confirmed:
      case TxState::terminated:
        erase(*tx);
        break;
    }
  }
  return out;
}

}  // namespace assist::sip
