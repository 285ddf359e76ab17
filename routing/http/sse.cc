#include "routing/http/sse.h"

#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
#include <sstream>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "routing/common/time_format.h"
#include "routing/tickets/ticket_service.h"

namespace assist::http {
namespace net = boost::asio;
namespace beasthttp = boost::beast::http;
using tcp = net::ip::tcp;

std::string format_sse(const std::string& epoch, const SseEvent& e) {
  std::string out;
  const std::string& data = e.payload();
  out.reserve(data.size() + e.type.size() + 48);
  out += "id: " + epoch + "." + std::to_string(e.seq) + "\nevent: " + e.type + "\ndata: " + data + "\n\n";
  return out;
}

std::optional<std::uint64_t> parse_last_event_id(std::string_view id, std::string_view epoch) {
  const auto dot = id.rfind('.');
  if (dot == std::string_view::npos || id.substr(0, dot) != epoch) return std::nullopt;
  const auto digits = id.substr(dot + 1);
  std::uint64_t seq = 0;
  const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty()) return std::nullopt;
  return seq;
}

const SseEvent& SseRing::push(std::string type, std::string data, std::function<std::string()> make) {
  if (capacity_ > 0 && events_.size() >= capacity_) events_.pop_front();
  events_.push_back({next_++, std::move(type), std::move(data), std::move(make)});
  return events_.back();
}

std::optional<std::vector<SseEvent>> SseRing::since(std::uint64_t last_seq) const {
  std::vector<SseEvent> out;
  if (!each_since(last_seq, [&](const SseEvent& e) { out.push_back(e); })) return std::nullopt;
  return out;
}

bool SseRing::each_since(std::uint64_t last_seq, const std::function<void(const SseEvent&)>& fn) const {
  if (last_seq > this->last_seq()) return false;
  const std::uint64_t oldest = next_ - events_.size();
  if (last_seq + 1 < oldest) return false;
  for (const auto& e : events_)
    if (e.seq > last_seq) fn(e);
  return true;
}

std::string sse_type_for(const std::string& what) {
  if (what == "opened" || what == "warned" || what == "breached" || what == "escalated") return "ticket." + what;
  return "ticket.changed";
}

Response sse_head() {
  Response res{beasthttp::status::ok, 11};
  res.set(beasthttp::field::content_type, "text/event-stream; charset=utf-8");
  res.set(beasthttp::field::cache_control, "no-store");
  res.set("X-Accel-Buffering", "no");  // a reverse proxy in front must not hold events back
  res.keep_alive(false);               // the body ends when the connection does
  mark_stream(res, "events");
  return res;
}

// One browser's connection: its socket, a bounded queue of encoded events and one write in flight.
// Lives while an operation is pending (a read that only notices the close, or a write).
class SseClient : public std::enable_shared_from_this<SseClient> {
 public:
  SseClient(tcp::socket socket, std::size_t max_queue, std::shared_ptr<std::atomic<std::uint64_t>> dropped)
      : socket_(std::move(socket)), max_queue_(max_queue), dropped_(std::move(dropped)) {}

  auto executor() { return socket_.get_executor(); }
  bool closed() const { return closed_; }

  /// On the socket's strand.
  void deliver(std::shared_ptr<const std::string> msg) {
    if (closed_) return;
    if (queue_.size() >= max_queue_) {
      ++*dropped_;
      spdlog::warn("sse: dropping a client that does not read ({} events waiting)", queue_.size());
      return close();
    }
    queue_.push_back(std::move(msg));
    if (!writing_) write_next();
  }

  void start(std::shared_ptr<const std::string> first) {
    net::post(executor(), [self = shared_from_this(), first = std::move(first)] {
      self->deliver(first);
      self->read();
    });
  }

  void close() {
    if (closed_.exchange(true)) return;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    queue_.clear();
  }

 private:
  void write_next() {
    writing_ = true;
    net::async_write(socket_, net::buffer(*queue_.front()),
                     [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                       self->writing_ = false;
                       if (ec || self->closed_) return self->close();
                       self->queue_.pop_front();
                       if (!self->queue_.empty()) self->write_next();
                     });
  }
  // The browser sends nothing after its request: a read completes only when it goes away.
  void read() {
    socket_.async_read_some(net::buffer(rbuf_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->read();
    });
  }

  tcp::socket socket_;
  std::size_t max_queue_;
  std::shared_ptr<std::atomic<std::uint64_t>> dropped_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::array<char, 256> rbuf_{};
  bool writing_ = false;
  std::atomic<bool> closed_{false};
};

SseHub::SseHub(net::io_context& io, const Clock& clock, Options options)
    : io_(io), clock_(clock), options_(std::move(options)),
      epoch_(std::to_string(std::chrono::duration_cast<Millis>(clock.now().time_since_epoch()).count())),
      strand_(net::make_strand(io)), heartbeat_timer_(strand_), breach_timer_(strand_), ring_(options_.ring),
      dropped_(std::make_shared<std::atomic<std::uint64_t>>(0)) {}

SseHub::~SseHub() { stop(); }

void SseHub::start() {
  {
    std::lock_guard lock(mu_);
    running_ = true;
  }
  net::post(strand_, [this] {
    heartbeat();
    arm_breach_timer();
  });
}

void SseHub::stop() {
  std::vector<std::shared_ptr<SseClient>> live;
  {
    std::lock_guard lock(mu_);
    if (!running_ && clients_.empty()) return;
    running_ = false;
    live = live_clients_locked();
    clients_.clear();
  }
  for (auto& c : live) net::post(c->executor(), [c] { c->close(); });
  net::post(strand_, [this] {
    heartbeat_timer_.cancel();
    breach_timer_.cancel();
  });
}

std::vector<std::shared_ptr<SseClient>> SseHub::live_clients_locked() {
  std::vector<std::shared_ptr<SseClient>> live;
  std::erase_if(clients_, [&](const std::weak_ptr<SseClient>& w) {
    auto c = w.lock();
    if (!c || c->closed()) return true;
    live.push_back(std::move(c));
    return false;
  });
  return live;
}

std::size_t SseHub::clients() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& w : clients_)
    if (auto c = w.lock(); c && !c->closed()) ++n;
  return n;
}

nlohmann::json SseHub::ticket_payload(const Ticket& t, Instant now) const {
  auto j = to_api(t, now);
  j["allowed_events"] = allowed_events(t);
  return {{"server_time", format_rfc3339(now)}, {"ticket", std::move(j)}};
}

void SseHub::publish(const std::string& type, const nlohmann::json& data) {
  std::vector<std::shared_ptr<SseClient>> live;
  std::shared_ptr<const std::string> msg;
  {
    std::lock_guard lock(mu_);
    const auto& e = ring_.push(type, data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    msg = std::make_shared<const std::string>(format_sse(epoch_, e));
    live = live_clients_locked();
  }
  for (auto& c : live) net::post(c->executor(), [c, msg] { c->deliver(msg); });
}

void SseHub::publish_lazy(const std::string& type, std::function<std::string()> make) {
  std::vector<std::shared_ptr<SseClient>> live;
  std::shared_ptr<const std::string> msg;
  {
    std::lock_guard lock(mu_);
    const auto& e = ring_.push(type, {}, std::move(make));
    live = live_clients_locked();
    if (live.empty()) return;  // made later, if a client catches up from the ring
    msg = std::make_shared<const std::string>(format_sse(epoch_, e));
  }
  for (auto& c : live) net::post(c->executor(), [c, msg] { c->deliver(msg); });
}

void SseHub::ticket_changed(std::shared_ptr<const Ticket> t, const std::string& what) {
  const Instant now = clock_.now();
  watch(*t);
  publish_lazy(sse_type_for(what), [this, snap = std::move(t), now] {
    return ticket_payload(*snap, now).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  });
}

void SseHub::watch(const Ticket& t) {
  const Instant now = clock_.now();
  bool rearm = false;
  {
    std::lock_guard lock(mu_);
    breaches_.track(t, now);
    const auto next = breaches_.next();
    rearm = running_ && next && (!armed_ || *next < *armed_);
  }
  if (rearm) net::post(strand_, [this] { arm_breach_timer(); });
}

// On the strand.
void SseHub::arm_breach_timer() {
  std::optional<Instant> next;
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    next = breaches_.next();
    if (next && armed_ && *armed_ <= *next) return;  // already waiting for an earlier moment
    armed_ = next;
  }
  if (!next) return;
  const auto wait = std::max(Millis(0), std::chrono::duration_cast<Millis>(*next - clock_.now()));
  breach_timer_.expires_after(wait);
  breach_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec == net::error::operation_aborted) return;
    on_breach_timer();
  });
}

void SseHub::on_breach_timer() {
  const Instant now = clock_.now();
  std::vector<DueBreach> due;
  {
    std::lock_guard lock(mu_);
    armed_.reset();
    if (!running_) return;
    due = breaches_.take_due(now);
  }
  for (const auto& d : due) {
    std::optional<Ticket> t;
    try {
      t = options_.load ? options_.load(d.ticket_id) : std::nullopt;
    } catch (const std::exception& e) {
      spdlog::error("sse: breach of {}: cannot read the ticket: {}", d.ticket_id, e.what());
    }
    if (!t) continue;
    if (breached(*t, d.clock, now)) {
      auto data = ticket_payload(*t, now);
      data["clock"] = d.clock;
      publish("ticket.breached", data);
    }
    std::lock_guard lock(mu_);
    breaches_.track(*t, now);  // the resolution clock's moment, when still ahead
  }
  arm_breach_timer();
}

// On the strand.
void SseHub::heartbeat() {
  std::vector<std::shared_ptr<SseClient>> live;
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    live = live_clients_locked();
  }
  auto msg = std::make_shared<const std::string>(": heartbeat " + format_rfc3339(clock_.now()) + "\n\n");
  for (auto& c : live) net::post(c->executor(), [c, msg] { c->deliver(msg); });
  heartbeat_timer_.expires_after(options_.heartbeat);
  heartbeat_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) heartbeat();
  });
}

void SseHub::attach(tcp::socket socket, const Request& req, Response head) {
  std::string last_id(req["Last-Event-ID"]);
  if (last_id.empty()) {
    // EventSource cannot set headers on a fresh connection: the page may pass the id in the query.
    const std::string_view target = req.target();
    if (const auto q = target.find("last_event_id="); q != std::string_view::npos) {
      const auto v = target.substr(q + 14);
      last_id = std::string(v.substr(0, v.find('&')));
    }
  }
  head.erase(kStreamMarker);  // internal to the server; HttpServer strips it too
  std::ostringstream os;
  os << head.base();
  std::string first = os.str() + "retry: 2000\n\n";

  std::lock_guard lock(mu_);
  if (!running_ || live_clients_locked().size() >= options_.max_clients) {
    const std::string body = R"({"error":{"code":"overloaded","message":"too many event streams","field":""}})";
    const std::string busy = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
                             "Retry-After: 5\r\nConnection: close\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body;
    auto s = std::make_shared<tcp::socket>(std::move(socket));
    auto b = std::make_shared<const std::string>(busy);
    net::async_write(*s, net::buffer(*b), [s, b](boost::system::error_code, std::size_t) {
      boost::system::error_code ec;
      s->shutdown(tcp::socket::shutdown_both, ec);
    });
    return;
  }
  const Instant now = clock_.now();
  const auto heartbeat_s = std::chrono::duration_cast<std::chrono::seconds>(options_.heartbeat).count();
  nlohmann::json hello = {{"server_time", format_rfc3339(now)},
                          {"warning_at", options_.warning_at},
                          {"heartbeat_seconds", heartbeat_s},
                          {"last_id", epoch_ + "." + std::to_string(ring_.last_seq())}};
  first += "event: hello\ndata: " + hello.dump() + "\n\n";
  if (!last_id.empty()) {
    const auto seq = parse_last_event_id(last_id, epoch_);
    const bool caught_up = seq && ring_.each_since(*seq, [&](const SseEvent& e) { first += format_sse(epoch_, e); });
    if (!caught_up) {
      const nlohmann::json why = {{"last_event_id", last_id},
                                  {"reason", "the events after it are no longer kept: reload"}};
      first += "event: resync\ndata: " + why.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
    }
  }
  auto client = std::make_shared<SseClient>(std::move(socket), options_.client_queue, dropped_);
  clients_.push_back(client);
  client->start(std::make_shared<const std::string>(std::move(first)));
}

}  // namespace assist::http
