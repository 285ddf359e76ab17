// The SIP server: Asio UDP and TCP listeners feeding the RequestProcessor. Everything (sockets, the
// transaction table, its timer) lives on one strand, so the io_context may be run by any number of
// threads. The handler's `done` posts back to that strand; a weak pointer keeps a late `done` safe
// after the server is gone.
#include "routing/sip/sip_server.h"

#include <sys/socket.h>
#include <time.h>

#include <array>
#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include "routing/common/log_limit.h"
#include "routing/sip/request_processor.h"
#include "routing/sip/source_filter.h"

namespace assist::sip {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

ListenSpec parse_listen(const std::string& spec) {
  auto c1 = spec.find(':');
  if (c1 == std::string::npos) throw std::invalid_argument("listen: expected transport:host:port: " + spec);
  ListenSpec l;
  l.transport = spec.substr(0, c1);
  if (l.transport != "udp" && l.transport != "tcp")
    throw std::invalid_argument("listen: transport must be udp or tcp: " + spec);
  std::string rest = spec.substr(c1 + 1);
  std::string port;
  if (!rest.empty() && rest[0] == '[') {
    auto rb = rest.find(']');
    if (rb == std::string::npos || rb + 1 >= rest.size() || rest[rb + 1] != ':')
      throw std::invalid_argument("listen: bad IPv6 form, expected [addr]:port: " + spec);
    l.host = rest.substr(1, rb - 1);
    port = rest.substr(rb + 2);
  } else {
    auto c2 = rest.rfind(':');
    if (c2 == std::string::npos) throw std::invalid_argument("listen: missing port: " + spec);
    l.host = rest.substr(0, c2);
    port = rest.substr(c2 + 1);
  }
  boost::system::error_code ec;
  asio::ip::make_address(l.host, ec);
  if (ec) throw std::invalid_argument("listen: host must be a numeric address: " + spec);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535)
    throw std::invalid_argument("listen: bad port: " + spec);
  l.port = static_cast<std::uint16_t>(std::stoul(port));
  return l;
}

namespace {

// Content-Length of a header block for TCP framing (RFC 3261 §18.3): -1 absent, -2 malformed or repeated.
long scan_content_length(std::string_view head) {
  // The same rules as SipMessage::parse: a value folded onto the next line (RFC 3261 §7.3.1) and leading
  // zeros are fine; two values, or one that is not 1*DIGIT up to 2^30, lose the framing.
  long found = -1;
  std::string value;
  bool in_value = false;
  auto settle = [&]() -> bool {  // the value gathered so far: false when it does not frame
    in_value = false;
    std::string_view v(value);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    if (v.empty() || v.find_first_not_of("0123456789") != std::string_view::npos) return false;
    while (v.size() > 1 && v.front() == '0') v.remove_prefix(1);
    if (v.size() > 10) return false;
    const long n = std::stol(std::string(v));
    if (n > (1L << 30)) return false;
    found = n;
    return true;
  };
  while (!head.empty()) {
    auto e = head.find("\r\n");
    std::string_view line = head.substr(0, e);
    head = e == std::string_view::npos ? std::string_view{} : head.substr(e + 2);
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {  // a folded continuation
      if (in_value) value.append(" ").append(line);
      continue;
    }
    if (in_value && !settle()) return -2;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (!iequals(name, "Content-Length") && !iequals(name, "l")) continue;
    if (found != -1) return -2;
    value.assign(line.substr(colon + 1));
    in_value = true;
  }
  if (in_value && !settle()) return -2;
  return found;
}

}  // namespace

struct Core;

struct TcpConnection : std::enable_shared_from_this<TcpConnection> {
  TcpConnection(tcp::socket s, std::uint64_t id, std::weak_ptr<Core> core, asio::strand<asio::io_context::executor_type>& strand)
      : sock(std::move(s)), idle(strand), id(id), core(std::move(core)) {}
  void start();
  void do_read();
  void on_read(boost::system::error_code ec, std::size_t n);
  void frame();
  void send(std::string bytes);
  void do_write();
  void close();
  void touch();

  tcp::socket sock;
  asio::steady_timer idle;
  std::uint64_t id;
  std::weak_ptr<Core> core;
  Peer peer;
  std::string buf;
  std::size_t skip = 0;  // bytes still to drop: the body of a message too large to take (answered 513)
  std::array<char, 16384> rd{};
  std::deque<std::string> wq;
  std::size_t queued = 0;
  bool closed = false;
};

struct Core : std::enable_shared_from_this<Core> {
  Core(asio::io_context& io, SipServerConfig cfg, RedirectHandler& h, const Clock& c)
      : io(io), strand(asio::make_strand(io)), config(std::move(cfg)), handler(h), clock(c),
        filter(config.allow), limiter(config.rate_limit), table(TransactionTimers{}, config.max_transactions), processor(config, table),
        timer(strand) {}

  // Datagrams are read in batches with recvmmsg, each with its kernel receive timestamp
  // (SO_TIMESTAMPNS): how long it waited in the socket queue decides whether it is shed (overload).
  static constexpr int kBatch = 32;
  struct UdpListener {
    std::unique_ptr<udp::socket> sock;
    std::vector<char> bufs = std::vector<char>(std::size_t(kBatch) * 65536);
    std::array<sockaddr_storage, kBatch> from{};
    std::array<std::array<char, 64>, kBatch> ctl{};
    std::array<iovec, kBatch> iov{};
    std::array<mmsghdr, kBatch> msgs{};
  };

  void start();
  void stop();
  void udp_receive(std::size_t i);
  void accept(std::size_t i);
  void on_message(std::string_view bytes, const Peer& from, Shed shed = Shed::none);
  void on_too_large(std::string_view head, const Peer& from);
  void udp_drain(std::size_t i);
  bool admit(const Peer& p);
  void on_decision(std::uint64_t id, RedirectDecision d);
  /// A decision made on another thread (the group commit's writer): queued, and the strand is woken once
  /// for all that queue up before it runs, not once a call.
  void decided_elsewhere(std::uint64_t id, RedirectDecision d);
  void answer_decided();
  void send(std::vector<Outgoing>& out);
  void rearm();
  void on_timer();
  void count(std::uint64_t SipStats::*field) {
    std::lock_guard lock(mu);
    ++(processor.stats.*field);
  }

  asio::io_context& io;
  asio::strand<asio::io_context::executor_type> strand;
  SipServerConfig config;
  RedirectHandler& handler;
  const Clock& clock;
  SourceFilter filter;
  RateLimiter limiter;
  InviteTransactionTable table;
  RequestProcessor processor;  // its stats are guarded by `mu`
  mutable std::mutex mu;
  asio::steady_timer timer;
  std::optional<Instant> armed_at;
  LogLimit accept_log;  // a TCP accept that failed, said once a 10 s
  std::mutex decided_mu;                                         // guards decided
  std::vector<std::pair<std::uint64_t, RedirectDecision>> decided;  // for answer_decided, in decision order
  std::vector<std::unique_ptr<UdpListener>> udps;               // by listen index (null for tcp)
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;        // by listen index (null for udp)
  std::vector<std::uint16_t> ports;
  std::unordered_map<std::uint64_t, std::shared_ptr<TcpConnection>> connections;
  std::atomic<std::size_t> open_connections{0};  // connections.size() for stats(), read from other threads
  std::uint64_t next_connection = 1;
  bool stopped = false;
  std::atomic<bool> is_bound{false};
};

void Core::start() {
  udps.resize(config.listen.size());
  acceptors.resize(config.listen.size());
  ports.assign(config.listen.size(), 0);
  for (std::size_t i = 0; i < config.listen.size(); ++i) {
    const auto& l = config.listen[i];
    auto addr = asio::ip::make_address(l.host);
    std::string where = l.transport + ":" + l.host + ":" + std::to_string(l.port);
    boost::system::error_code ec;
    if (l.transport == "udp") {
      auto u = std::make_unique<UdpListener>();
      u->sock = std::make_unique<udp::socket>(strand);
      udp::endpoint ep(addr, l.port);
      u->sock->open(ep.protocol(), ec);
      if (!ec) u->sock->bind(ep, ec);
      if (ec) throw std::system_error(ec, "sip: cannot bind " + where);
      u->sock->non_blocking(true);
      u->sock->set_option(asio::socket_base::receive_buffer_size(config.udp_receive_buffer), ec);
      int on = 1;
      ::setsockopt(u->sock->native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
      ports[i] = u->sock->local_endpoint().port();
      udps[i] = std::move(u);
    } else if (l.transport == "tcp") {
      auto a = std::make_unique<tcp::acceptor>(strand);
      tcp::endpoint ep(addr, l.port);
      a->open(ep.protocol(), ec);
      if (!ec) a->set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec) a->bind(ep, ec);
      if (!ec) a->listen(asio::socket_base::max_listen_connections, ec);
      if (ec) throw std::system_error(ec, "sip: cannot bind " + where);
      ports[i] = a->local_endpoint().port();
      acceptors[i] = std::move(a);
    } else {
      throw std::invalid_argument("sip: unknown transport " + l.transport);
    }
    spdlog::info("sip: listening on {}:{}:{}", l.transport, l.host.find(':') != std::string::npos ? "[" + l.host + "]" : l.host, ports[i]);
  }
  is_bound = true;
  auto self = shared_from_this();
  asio::post(strand, [self] {
    for (std::size_t i = 0; i < self->udps.size(); ++i) {
      if (self->udps[i]) self->udp_receive(i);
      if (self->acceptors[i]) self->accept(i);
    }
  });
}

void Core::stop() {
  if (stopped) return;
  stopped = true;
  boost::system::error_code ec;
  for (auto& u : udps)
    if (u) u->sock->close(ec);
  for (auto& a : acceptors)
    if (a) a->close(ec);
  auto conns = std::move(connections);
  for (auto& [id, c] : conns) c->close();
  open_connections.store(0, std::memory_order_relaxed);
  timer.cancel();
}

void Core::udp_receive(std::size_t i) {
  auto self = shared_from_this();
  udps[i]->sock->async_wait(udp::socket::wait_read, [self, i](boost::system::error_code ec) {
    if (self->stopped || ec == asio::error::operation_aborted) return;
    if (!ec) self->udp_drain(i);
    if (!self->stopped) self->udp_receive(i);
  });
}

bool Core::admit(const Peer& p) {
  if (!filter.allowed(p.address)) {
    count(&SipStats::refused_sources);
    return false;
  }
  if (!limiter.allow(p.address, clock.now())) {
    count(&SipStats::rate_limited);
    return false;
  }
  return true;
}

// Reads what is queued on the socket, a batch at a time, up to a budget (so timers and TCP get their
// turn), and handles each datagram according to how long it waited in the kernel's queue.
void Core::udp_drain(std::size_t i) {
  auto* u = udps[i].get();
  const int fd = u->sock->native_handle();
  for (int round = 0; round < 4 && !stopped; ++round) {
    for (int k = 0; k < kBatch; ++k) {
      u->iov[k] = iovec{u->bufs.data() + std::size_t(k) * 65536, 65536};
      auto& h = u->msgs[k].msg_hdr;
      h = msghdr{};
      h.msg_name = &u->from[k];
      h.msg_namelen = sizeof(sockaddr_storage);
      h.msg_iov = &u->iov[k];
      h.msg_iovlen = 1;
      h.msg_control = u->ctl[k].data();
      h.msg_controllen = u->ctl[k].size();
      u->msgs[k].msg_len = 0;
    }
    const int n = ::recvmmsg(fd, u->msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;
    for (int k = 0; k < n && !stopped; ++k) {
      auto& h = u->msgs[k].msg_hdr;
      const std::size_t len = u->msgs[k].msg_len;
      if (h.msg_flags & MSG_TRUNC || len > config.max_message_bytes) {
        count(&SipStats::malformed);
        continue;
      }
      udp::endpoint ep;
      std::memcpy(ep.data(), &u->from[k], std::min<std::size_t>(h.msg_namelen, sizeof(sockaddr_storage)));
      Peer p{ep.address(), ep.port(), Transport::udp, 0, i};
      if (!admit(p)) continue;
      Shed shed = Shed::none;
      for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          // its age now, not when the batch was read: the batch's earlier calls took their time too
          timespec now{}, ts;
          ::clock_gettime(CLOCK_REALTIME, &now);
          std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
          const long long waited_ms = (now.tv_sec - ts.tv_sec) * 1000LL + (now.tv_nsec - ts.tv_nsec) / 1000000;
          if (waited_ms > config.queue_delay_ms) shed = Shed::new_requests;
          else if (waited_ms * 2 > config.queue_delay_ms) shed = Shed::retransmissions;
        }
      }
      on_message(std::string_view(u->bufs.data() + std::size_t(k) * 65536, len), p, shed);
    }
    if (n < kBatch) return;
  }
}

void Core::accept(std::size_t i) {
  auto self = shared_from_this();
  acceptors[i]->async_accept(strand, [self, i](boost::system::error_code ec, tcp::socket s) {
    if (self->stopped || ec == asio::error::operation_aborted) return;
    if (!ec) {
      boost::system::error_code e2;
      auto remote = s.remote_endpoint(e2);
      if (e2 || !self->filter.allowed(remote.address())) {
        self->count(&SipStats::refused_sources);
        s.close(e2);
      } else if (self->connections.size() >= self->config.max_tcp_connections) {
        self->count(&SipStats::overload);
        s.close(e2);
      } else {
        s.set_option(tcp::no_delay(true), e2);
        auto id = self->next_connection++;
        auto c = std::make_shared<TcpConnection>(std::move(s), id, self, self->strand);
        c->peer = Peer{remote.address(), remote.port(), Transport::tcp, id, i};
        self->connections.emplace(id, c);
        self->open_connections.store(self->connections.size(), std::memory_order_relaxed);
        c->start();
      }
    } else {
      // Out of descriptors (EMFILE, ENFILE) or memory: the connection stays queued, so accepting again at
      // once fails at once (a core spinning). Wait 100 ms; say it once a 10 s. UDP calls go on meanwhile.
      if (const auto failures = self->accept_log.note(std::chrono::steady_clock::now()))
        spdlog::error("sip: cannot accept a TCP connection ({}; {} failures since the last line): waiting 100 ms "
                      "between tries", ec.message(), failures);
      auto wait = std::make_shared<asio::steady_timer>(self->strand, std::chrono::milliseconds(100));
      wait->async_wait([self, i, wait](boost::system::error_code wait_ec) {
        if (!wait_ec && !self->stopped && self->acceptors[i] && self->acceptors[i]->is_open()) self->accept(i);
      });
      return;
    }
    self->accept(i);
  });
}

void Core::on_message(std::string_view bytes, const Peer& from, Shed shed) {
  ProcessResult r;
  {
    std::lock_guard lock(mu);
    r = processor.handle(bytes, from, {handler.taking_calls(), handler.ready()}, clock.now(), shed);
  }
  send(r.send);
  if (r.invite) {
    std::weak_ptr<Core> weak = weak_from_this();
    auto id = *r.invite;
    auto ex = strand;
    handler.on_invite(std::move(r.facts), [weak, id, ex](RedirectDecision d) {
      auto self = weak.lock();
      if (!self) return;
      // decided at once, on our strand (no ticket): answer now, not after the rest of the batch
      if (ex.running_in_this_thread()) self->on_decision(id, std::move(d));
      else self->decided_elsewhere(id, std::move(d));
    });
  }
  rearm();
}

void Core::on_too_large(std::string_view head, const Peer& from) {
  ProcessResult r;
  {
    std::lock_guard lock(mu);
    r = processor.too_large(head, from);
  }
  send(r.send);
}

void Core::on_decision(std::uint64_t id, RedirectDecision d) {
  if (stopped) return;
  std::vector<Outgoing> out;
  {
    std::lock_guard lock(mu);
    out = processor.decide(id, d, clock.now());
  }
  send(out);
  rearm();
}

void Core::decided_elsewhere(std::uint64_t id, RedirectDecision d) {
  bool wake = false;
  {
    std::lock_guard lock(decided_mu);
    wake = decided.empty();  // else a turn is already posted and takes this one too
    decided.emplace_back(id, std::move(d));
  }
  if (wake) asio::post(strand, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->answer_decided();
  });
}

void Core::answer_decided() {
  std::vector<std::pair<std::uint64_t, RedirectDecision>> batch;
  {
    std::lock_guard lock(decided_mu);
    batch.swap(decided);
  }
  if (stopped) return;
  std::vector<Outgoing> out;
  {
    std::lock_guard lock(mu);
    const Instant now = clock.now();
    for (auto& [id, d] : batch) {
      auto one = processor.decide(id, d, now);
      for (auto& o : one) out.push_back(std::move(o));
    }
  }
  send(out);
  rearm();
}

void Core::send(std::vector<Outgoing>& out) {
  for (auto& o : out) {
    if (o.to.transport == Transport::udp) {
      if (o.to.listener >= udps.size() || !udps[o.to.listener]) continue;
      auto& sock = *udps[o.to.listener]->sock;
      if (o.to.udp.address().is_multicast() ||
          (o.to.udp.address().is_v4() && o.to.udp.address().to_v4() == asio::ip::address_v4::broadcast()))
        continue;  // never answer to a broadcast or multicast address
      boost::system::error_code ec;
      sock.send_to(asio::buffer(o.bytes), o.to.udp, 0, ec);  // non-blocking: a full buffer drops it
      if (ec) continue;
    } else {
      auto it = connections.find(o.to.connection);
      if (it == connections.end() && o.to.fallback) it = connections.find(o.to.fallback);
      if (it == connections.end()) continue;  // the connection is gone; the client retries
      it->second->send(std::move(o.bytes));
    }
    count(&SipStats::responses_sent);
  }
}

void Core::rearm() {
  if (stopped) return;
  std::optional<Instant> next;
  {
    std::lock_guard lock(mu);
    next = table.next_wake();
  }
  if (!next || (armed_at && *armed_at <= *next)) return;
  armed_at = next;
  auto delay = *next - clock.now();
  timer.expires_after(std::chrono::milliseconds(std::max<long long>(0, delay.count())));
  auto self = shared_from_this();
  timer.async_wait([self](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted || self->stopped) return;
    self->armed_at.reset();
    self->on_timer();
  });
}

void Core::on_timer() {
  std::vector<Outgoing> out;
  {
    std::lock_guard lock(mu);
    out = table.on_timer(clock.now());
  }
  send(out);
  rearm();
}

void TcpConnection::start() {
  touch();
  do_read();
}

void TcpConnection::touch() {
  auto c = core.lock();
  if (!c) return;
  idle.expires_after(std::chrono::seconds(c->config.tcp_idle_timeout_s));
  idle.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->close();
  });
}

void TcpConnection::do_read() {
  sock.async_read_some(asio::buffer(rd), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
    self->on_read(ec, n);
  });
}

void TcpConnection::on_read(boost::system::error_code ec, std::size_t n) {
  if (closed) return;
  if (ec) return close();
  std::size_t dropped = std::min(skip, n);
  skip -= dropped;
  buf.append(rd.data() + dropped, n - dropped);
  touch();
  frame();
  if (!closed) do_read();
}

void TcpConnection::frame() {
  auto c = core.lock();
  if (!c) return close();
  while (!closed) {
    // RFC 5626 §3.5.1 keep-alives: a CRLFCRLF ping gets a CRLF pong; a lone CRLF is skipped.
    if (buf.rfind("\r\n", 0) == 0) {
      if (buf.size() < 4) {
        if (buf == "\r\n" || buf == "\r\n\r") return;
      }
      if (buf.rfind("\r\n\r\n", 0) == 0) {
        buf.erase(0, 4);
        send("\r\n");
      } else {
        buf.erase(0, 2);
      }
      continue;
    }
    auto end = buf.find("\r\n\r\n");
    // A bare LF before the head's end (RFC 3261 §7 asks for CRLF: lines in LF, or one inside a header), two
    // Content-Lengths, or none (§18.3): where the message ends is unknown. Answer the head's 400 once it is
    // whole (SipMessage::parse reads an LF head too), then close. Were the parser ever to take such a head,
    // its INVITE is refused (503) rather than open a ticket whose 302 could not be sent.
    bool lost = false;
    for (auto i = buf.find('\n'); i != std::string::npos && i < end && !lost; i = buf.find('\n', i + 1))
      lost = i == 0 || buf[i - 1] != '\r';
    long cl = -1;
    if (!lost && end != std::string::npos) {
      cl = scan_content_length(std::string_view(buf).substr(0, end));
      lost = cl < 0;
    }
    if (lost) {
      const auto blank = buf.find("\n\n");  // an LF head's end ("\r\n\n" too)
      const auto head = std::min(end == std::string::npos ? end : end + 4, blank == std::string::npos ? blank : blank + 2);
      if (head != std::string::npos) {
        c->on_message(std::string_view(buf).substr(0, head), peer, Shed::new_requests);
        close();
        return;
      }
    }
    if (end == std::string::npos) {
      if (buf.size() > c->config.max_message_bytes) {
        c->count(&SipStats::malformed);
        close();
      }
      return;
    }
    std::size_t total = end + 4 + std::size_t(cl < 0 ? 0 : cl);
    if (total > c->config.max_message_bytes) {
      // RFC 3261 §21.5.14: answer 513 from the head; the body's bytes are dropped as they come, so the
      // connection (a proxy's, carrying other calls) stays open and in step
      if (c->limiter.allow(peer.address, c->clock.now())) c->on_too_large(std::string_view(buf).substr(0, end + 4), peer);
      else c->count(&SipStats::rate_limited);
      if (buf.size() >= total) {
        buf.erase(0, total);
        continue;
      }
      skip = total - buf.size();
      buf.clear();
      return;
    }
    if (buf.size() < total) return;
    std::string msg = buf.substr(0, total);
    buf.erase(0, total);
    if (!c->limiter.allow(peer.address, c->clock.now())) {
      c->count(&SipStats::rate_limited);
      continue;
    }
    c->on_message(msg, peer);
  }
}

void TcpConnection::send(std::string bytes) {
  if (closed) return;
  if (auto c = core.lock()) {
    queued += bytes.size();
    if (queued > c->config.max_tcp_write_bytes) {  // the peer does not read: bounded, not growing
      c->count(&SipStats::overload);
      return close();
    }
  }
  wq.push_back(std::move(bytes));
  if (wq.size() == 1) do_write();
}

void TcpConnection::do_write() {
  asio::async_write(sock, asio::buffer(wq.front()), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
    if (self->closed) return;
    if (ec) return self->close();
    self->queued -= self->wq.front().size();
    self->wq.pop_front();
    if (!self->wq.empty()) self->do_write();
  });
}

void TcpConnection::close() {
  if (closed) return;
  closed = true;
  boost::system::error_code ec;
  idle.cancel();
  sock.shutdown(tcp::socket::shutdown_both, ec);
  sock.close(ec);
  if (auto c = core.lock()) {
    c->connections.erase(id);
    c->open_connections.store(c->connections.size(), std::memory_order_relaxed);
  }
}

struct SipServer::Impl {
  std::shared_ptr<Core> core;
};

SipServer::SipServer(asio::io_context& io, SipServerConfig config, RedirectHandler& handler, const Clock& clock)
    : impl_(std::make_unique<Impl>()) {
  impl_->core = std::make_shared<Core>(io, std::move(config), handler, clock);
}

SipServer::~SipServer() { stop(); }

void SipServer::start() { impl_->core->start(); }

void SipServer::stop() {
  auto core = impl_->core;
  if (!core->is_bound.exchange(false)) return;
  if (core->strand.running_in_this_thread() || core->io.stopped()) {
    core->stop();
  } else {
    asio::post(core->strand, [core] { core->stop(); });
  }
}

bool SipServer::bound() const { return impl_->core->is_bound; }

std::vector<std::uint16_t> SipServer::local_ports() const { return impl_->core->ports; }

SipStats SipServer::stats() const {
  std::lock_guard lock(impl_->core->mu);
  SipStats s = impl_->core->processor.stats;
  s.transactions = impl_->core->table.size();
  s.tcp_connections = impl_->core->open_connections.load(std::memory_order_relaxed);
  return s;
}

}  // namespace assist::sip
