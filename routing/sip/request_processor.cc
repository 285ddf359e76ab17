#include "routing/sip/request_processor.h"

#include <algorithm>

#include "routing/classify/utf8.h"
#include "routing/common/charset.h"
#include "routing/common/mask.h"

#include "routing/sip/response.h"

namespace assist::sip {

RequestProcessor::RequestProcessor(const SipServerConfig& config, InviteTransactionTable& table)
    : config_(config), table_(table) {}

Destination RequestProcessor::response_destination(const SipMessage& req, const Peer& from) const {
  Destination d;
  d.transport = from.transport;
  if (from.transport == Transport::tcp) {
    d.connection = from.connection;
    return d;
  }
  // RFC 3261 §18.2.2 / RFC 3581 §4: always the source address (never resolve the sent-by host); the
  // source port with rport, else the sent-by port (5060, 5061 for TLS).
  std::uint16_t port = from.port;
  if (const Via* top = req.top_via(); top && !top->rport) {
    port = top->port ? top->port : (iequals(top->transport, "TLS") ? 5061 : 5060);
  }
  d.udp = boost::asio::ip::udp::endpoint(from.address, port);
  d.listener = from.listener;
  return d;
}

namespace {
/// RFC 3261 §18.2.1 / RFC 3581 §4: `received` (the source address, an IPv4 client on a dual-stack socket
/// as IPv4) and `rport` (the source port) for the top Via. `received` holds the text `parts` points at.
void via_parts(const SipMessage& req, const Peer& from, ResponseParts& parts, std::string& received) {
  const Via* top = req.top_via();
  if (!top) return;
  const auto& a = from.address;
  received = a.is_v6() && a.to_v6().is_v4_mapped()
                 ? boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_string()
                 : a.to_string();
  if (top->rport) parts.rport = from.port;
  if (top->rport || top->host != received) parts.received = received;
}
}  // namespace

std::string RequestProcessor::respond(const SipMessage& req, const Peer& from, int status, std::string_view reason,
                                      std::string_view to_tag, bool allow, int retry_after,
                                      const std::vector<std::pair<std::string, std::string>>* headers) {
  ResponseParts parts;
  parts.to_tag = to_tag;
  parts.allow = allow;
  parts.retry_after = retry_after;
  parts.server = config_.server_header;
  parts.headers = headers;
  std::string received;
  via_parts(req, from, parts, received);
  return build_response(req, status, reason, parts);
}

void RequestProcessor::fill_facts(const SipMessage& req, const Peer& from, CallFacts& f) const {
  f.call_id.assign(req.call_id);
  // The caller's number, normalized as the store keys callers (+86 dropped, digits only): the first
  // P-Asserted-Identity that holds one, else From. A withheld number ("anonymous", RFC 3323) is "".
  if (const Header* pai = req.find(HeaderId::p_asserted_identity)) {
    for (auto v : split_values(pai->value)) {
      NameAddr na;
      if (parse_name_addr(v, na)) {
        f.caller = normalize_number(uri_user(na.uri));
        if (!f.caller.empty()) break;
      }
    }
  }
  if (f.caller.empty()) f.caller = normalize_number(uri_user(req.from_addr.uri));
  f.dialed = uri_user(req.request_uri);
  auto header = [&](const std::string& name) -> std::string_view {
    const Header* h = name.empty() ? nullptr : req.find(name);
    return h ? h->value : std::string_view{};
  };
  f.ivr_digits.assign(header(config_.headers.ivr_digits));
  // The text may come in more than one header line (an engine that sends a segment a line), none dropped.
  // An ASR engine set to GBK / GB18030 sends text that is not UTF-8 from its first Chinese character on: read
  // as GB18030 (it was all U+FFFD, the call's words lost); UTF-8 with a byte lost stays UTF-8. Lines in GB18030
  // are read as one text (a line may end inside a two-byte character); UTF-8 lines are joined in order with a
  // space, and a line that goes on with the character the line before cut is joined to it without one.
  std::vector<std::string> pieces;
  std::string all;
  for (const auto& h : req.headers) {
    if (config_.headers.asr_text.empty() || !iequals(h.name, config_.headers.asr_text)) continue;
    std::string piece;
    if (!percent_decode(h.value, piece)) piece.assign(h.value);
    if (piece.empty()) continue;
    all += piece;
    pieces.push_back(std::move(piece));
  }
  // a line of UTF-8 Chinese (three-byte characters) among GBK ones: the engine mixed its encodings, and each
  // line is read as what it is, the GBK runs between them as one text each
  const auto utf8_chinese = [](const std::string& line) {
    if (utf8::valid_or_replaced(line) != line) return false;
    for (const char c : line)
      if ((static_cast<unsigned char>(c) & 0xF0) == 0xE0) return true;
    return false;
  };
  if (looks_like_gb18030(all) && pieces.size() > 1 && std::any_of(pieces.begin(), pieces.end(), utf8_chinese)) {
    std::string run;
    const auto end_run = [&] {
      if (run.empty()) return;
      if (!f.asr_text.empty()) f.asr_text += ' ';
      f.asr_text += gb18030_to_utf8(run);
      run.clear();
    };
    for (const auto& piece : pieces) {
      if (!utf8_chinese(piece)) {
        run += piece;
        continue;
      }
      end_run();
      if (!f.asr_text.empty()) f.asr_text += ' ';
      f.asr_text += piece;
    }
    end_run();
  } else if (looks_like_gb18030(all)) {
    f.asr_text = gb18030_to_utf8(all);
  } else {
    for (const auto& piece : pieces) {
      const bool goes_on = !f.asr_text.empty() && utf8::cut_at_end(f.asr_text) &&
                           (static_cast<unsigned char>(piece[0]) & 0xC0) == 0x80;
      if (!f.asr_text.empty() && !goes_on) f.asr_text += ' ';
      f.asr_text += piece;
    }
  }
  // an ASR cut at a byte limit ends in half a character: the ticket keeps valid text (U+FFFD for the rest)
  f.asr_text = utf8::valid_or_replaced(f.asr_text);
  // a control byte percent-encoded (%00, %1B) is no speech: a space in its place, so no NUL or terminal
  // escape reaches the ticket, the pane or a log
  // (C1 controls too, U+0080..U+009F: an 8-bit CSI is a terminal escape as well; and line breaks, so that
  // no text can forge a line wherever it is printed)
  for (std::size_t k = 0; k < f.asr_text.size(); ++k)
    if (const size_t n = utf8::control_at(f.asr_text, k)) f.asr_text.replace(k, n, " ");
  f.region_hint.assign(header(config_.headers.region));
  f.language.assign(header(config_.headers.language));
  f.transport = from.transport == Transport::tcp ? "tcp" : "udp";
}

void RequestProcessor::remember_client(InviteServerTransaction& tx, const SipMessage& msg, const Peer& from) {
  // only TCP asks again on another connection: a UDP call (the hot path) copies nothing
  if (from.transport != Transport::tcp) return;
  tx.call_id.assign(msg.call_id);
  tx.source = from.address;
}

ProcessResult RequestProcessor::too_large(std::string_view head, const Peer& from) {
  ProcessResult r;
  SipMessage msg;
  ++stats.malformed;
  if (!msg.parse(head, true) || msg.is_response) return r;
  if (msg.method_id == Method::ack || msg.via_values.empty()) return r;
  // the head without its body fails "Content-Length Larger Than Body": that is the size, answered 513;
  // an error found before it (a bad Via, a bad CSeq) is what the head gets
  const bool size_only = msg.ok() || msg.error_reason == "Content-Length Larger Than Body";
  r.send.push_back(Outgoing{response_destination(msg, from),
                            size_only ? respond(msg, from, 513, "Message Too Large", make_tag())
                                      : respond(msg, from, msg.error_status, msg.error_reason, make_tag())});
  return r;
}

ProcessResult RequestProcessor::handle(std::string_view bytes, const Peer& from, Readiness ready, Instant now, Shed shed) {
  ProcessResult r;
  SipMessage msg;
  if (!msg.parse(bytes, from.transport == Transport::tcp)) {
    ++stats.malformed;
    return r;
  }
  if (msg.is_response) return r;  // responses sent to a redirect server are dropped
  ++stats.requests;
  if (!msg.ok()) {
    ++stats.malformed;
    // Never answer an ACK; without any Via nothing can be addressed (RFC 3261 §18.2.2).
    if (msg.method_id == Method::ack || msg.via_values.empty()) return r;
    r.send.push_back(Outgoing{response_destination(msg, from),
                              respond(msg, from, msg.error_status, msg.error_reason, make_tag())});
    return r;
  }
  // RFC 3261 §8.2.2.3: an option tag in Require that we do not support gets 420 with Unsupported (never on
  // ACK or CANCEL). 100rel and timer are taken: a redirect server sends no reliable provisional response
  // and makes no dialog whose session could be timed. Only for a method we handle: the method is
  // inspected first (§8.2.1), so a BYE gets its 405 whatever it requires.
  if (msg.method_id == Method::invite || msg.method_id == Method::options) {
    std::string unsupported;
    for (const auto& h : msg.headers) {
      if (!iequals(h.name, "Require")) continue;
      for (auto tag : split_values(h.value)) {
        if (tag.empty() || iequals(tag, "100rel") || iequals(tag, "timer")) continue;
        if (!unsupported.empty()) unsupported += ", ";
        unsupported.append(tag);
      }
    }
    if (!unsupported.empty()) {
      const std::vector<std::pair<std::string, std::string>> extra{{"Unsupported", unsupported}};
      // An INVITE's 420 is its final response (RFC 3261 §17.2.1): sent through a server transaction,
      // retransmitted over UDP until the ACK, and a retransmitted INVITE gets the same bytes (one To tag).
      if (msg.method_id == Method::invite) {
        std::string key = transaction_key(msg);
        if (retransmission(key, msg, from, shed, r)) return r;
        const Destination dest = response_destination(msg, from);
        if (auto* tx = table_.create(std::move(key), dest, from.transport == Transport::tcp, now)) {
          tx->to_tag = make_tag();
          remember_client(*tx, msg, from);
          std::string bytes = respond(msg, from, 420, {}, tx->to_tag, false, 0, &extra);
          table_.complete(*tx, bytes, now);
          r.send.push_back(Outgoing{dest, std::move(bytes)});
          return r;
        }  // a full table: answered without one, as before a transaction could be kept
      }
      r.send.push_back(Outgoing{response_destination(msg, from), respond(msg, from, 420, {}, make_tag(), false, 0, &extra)});
      return r;
    }
  }
  switch (msg.method_id) {
    case Method::invite:
      on_invite(msg, from, ready.calls, now, shed, r);
      break;
    case Method::ack:
      on_ack(msg, now);
      break;
    case Method::cancel:
      on_cancel(msg, from, now, r);
      break;
    case Method::options:
      ++stats.options;
      // a full transaction table answers new calls 503: so does the probe, so the proxy moves calls elsewhere
      if (ready.probes && shed != Shed::new_requests && table_.size() < table_.capacity())
        r.send.push_back(Outgoing{response_destination(msg, from), respond(msg, from, 200, {}, make_tag(), true)});
      else
        r.send.push_back(Outgoing{response_destination(msg, from),
                                  respond(msg, from, 503, {}, make_tag(), false, config_.retry_after_s)});
      break;
    default:
      r.send.push_back(Outgoing{response_destination(msg, from), respond(msg, from, 405, {}, make_tag(), true)});
      break;
  }
  return r;
}

void RequestProcessor::on_invite(const SipMessage& msg, const Peer& from, bool taking_calls, Instant now, Shed shed,
                                 ProcessResult& r) {
  std::string key = transaction_key(msg);
  if (retransmission(key, msg, from, shed, r)) return;
  ++stats.invites;
  Destination dest = response_destination(msg, from);
  if (!taking_calls || shed == Shed::new_requests) {
    ++stats.overload;
    r.send.push_back(Outgoing{dest, respond(msg, from, 503, {}, make_tag(), false, config_.retry_after_s)});
    return;
  }
  auto* tx = table_.create(std::move(key), dest, from.transport == Transport::tcp, now);
  if (!tx) {
    ++stats.overload;
    r.send.push_back(Outgoing{dest, respond(msg, from, 503, {}, make_tag(), false, config_.retry_after_s)});
    return;
  }
  tx->to_tag = make_tag();
  remember_client(*tx, msg, from);
  ResponseParts parts;
  parts.to_tag = tx->to_tag;
  std::string received;
  via_parts(msg, from, parts, received);
  pending_[tx->id] = Pending{response_common(msg, true, parts)};
  r.invite = tx->id;
  fill_facts(msg, from, r.facts);
}

bool RequestProcessor::retransmission(const std::string& key, const SipMessage& msg, const Peer& from, Shed shed,
                                      ProcessResult& r) {
  auto* tx = table_.find(key);
  if (!tx) return false;
  // A retransmission (RFC 3261 §17.2.1): Proceeding -> 100 Trying, Completed -> the same final
  // response again, Confirmed -> absorbed. Under overload it is the first thing dropped: the
  // client retransmits again, and our own Timer G retransmits the final response anyway.
  ++stats.retransmissions;
  // Asked again on another TCP connection by the same client (the same source address and Call-ID): it
  // waits there (its first connection may be half-dead: a crashed peer, a NAT that dropped it), so the answer
  // goes there, and to the connection the request first came on if this one closes; kept for the decision
  // and every later send. Another client reusing the branch gets nothing of this call's.
  if (from.transport == Transport::tcp && tx->to.transport == Transport::tcp && from.connection != tx->to.connection &&
      from.address == tx->source && msg.call_id == tx->call_id) {
    if (tx->to.fallback == 0) tx->to.fallback = tx->to.connection;  // the first connection stays the fallback
    tx->to.connection = from.connection;
  }
  if (shed != Shed::none) {
    ++stats.shed_retransmissions;
    return true;
  }
  if (tx->state == TxState::completed) {
    r.send.push_back(Outgoing{tx->to, tx->response});
  } else if (tx->state == TxState::proceeding) {
    if (tx->provisional.empty()) tx->provisional = respond(msg, from, 100, {});
    r.send.push_back(Outgoing{tx->to, tx->provisional});
  }
  return true;
}

void RequestProcessor::on_ack(const SipMessage& msg, Instant now) {
  ++stats.acks;
  auto* tx = table_.find(transaction_key(msg));
  if (!tx) return;  // an ACK for nothing we know (or a 2xx ACK): absorbed
  table_.ack(*tx, now);
}

void RequestProcessor::on_cancel(const SipMessage& msg, const Peer& from, Instant now, ProcessResult& r) {
  ++stats.cancels;
  Destination dest = response_destination(msg, from);
  auto* tx = table_.find(transaction_key(msg));
  if (!tx) {
    r.send.push_back(Outgoing{dest, respond(msg, from, 481, {}, make_tag())});
    return;
  }
  // RFC 3261 §9.2: 200 to the CANCEL; a still-pending INVITE ends with 487. An answered INVITE's
  // 302 stands.
  r.send.push_back(Outgoing{dest, respond(msg, from, 200, {}, tx->to_tag)});
  if (tx->state == TxState::proceeding) {
    auto it = pending_.find(tx->id);
    if (it != pending_.end()) {
      ResponseParts parts;
      parts.server = config_.server_header;
      std::string bytes = response_from_common(487, {}, it->second.common, parts);
      pending_.erase(it);
      table_.complete(*tx, bytes, now);
      r.send.push_back(Outgoing{tx->to, std::move(bytes)});
    }
  }
}

std::vector<Outgoing> RequestProcessor::decide(std::uint64_t id, const RedirectDecision& decision, Instant now) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return {};
  std::string common = std::move(it->second.common);
  pending_.erase(it);
  auto* tx = table_.find(id);
  if (!tx || tx->state != TxState::proceeding) return {};
  ResponseParts parts;
  parts.server = config_.server_header;
  parts.headers = &decision.headers;
  if (decision.status == 302 || (decision.status >= 300 && decision.status < 400)) parts.contact = decision.contact;
  if (decision.status == 503) parts.retry_after = decision.retry_after > 0 ? decision.retry_after : config_.retry_after_s;
  std::string bytes = response_from_common(decision.status, {}, common, parts);
  table_.complete(*tx, bytes, now);
  return {Outgoing{tx->to, std::move(bytes)}};
}

}  // namespace assist::sip
