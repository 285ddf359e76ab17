#include "routing/http/api.h"

#include <spdlog/spdlog.h>

#include <charconv>

namespace assist {
namespace beasthttp = boost::beast::http;

namespace {

http::Response json_response(beasthttp::status status, const nlohmann::json& body) {
  http::Response res{status, 11};
  res.set(beasthttp::field::content_type, "application/json; charset=utf-8");
  res.set(beasthttp::field::cache_control, "no-store");
  res.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  res.prepare_payload();
  return res;
}

http::Response error(int status, const std::string& code, const std::string& message, const std::string& field = "",
                     const nlohmann::json& allowed = nullptr) {
  nlohmann::json e = {{"code", code}, {"message", message}, {"field", field}};
  if (!allowed.is_null()) e["allowed"] = allowed;
  return json_response(static_cast<beasthttp::status>(status), {{"error", e}});
}

http::Response text(beasthttp::status status, std::string body, const char* type = "text/plain; charset=utf-8") {
  http::Response res{status, 11};
  res.set(beasthttp::field::content_type, type);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

std::vector<std::string> split_path(std::string_view target) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < target.size()) {
    while (i < target.size() && target[i] == '/') ++i;
    size_t j = target.find('/', i);
    if (j == std::string_view::npos) j = target.size();
    if (j > i) parts.emplace_back(target.substr(i, j - i));
    i = j;
  }
  return parts;
}

std::map<std::string, std::string> query_params(std::string_view q) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i < q.size()) {
    size_t j = q.find('&', i);
    if (j == std::string_view::npos) j = q.size();
    const auto kv = q.substr(i, j - i);
    const auto eq = kv.find('=');
    const auto k = percent_decode(kv.substr(0, eq), true);
    const auto v = eq == std::string_view::npos ? std::optional<std::string>("") : percent_decode(kv.substr(eq + 1), true);
    if (k && v) out[*k] = *v;
    i = j + 1;
  }
  return out;
}

bool valid_id(const std::string& s) {
  return !s.empty() && s.size() <= 128 &&
         s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos;
}

std::optional<nlohmann::json> parse_body(const http::Request& req, http::Response& err) {
  try {
    auto j = nlohmann::json::parse(req.body().empty() ? std::string("{}") : req.body());
    if (!j.is_object()) {
      err = error(400, "bad_body", "the body must be a JSON object");
      return std::nullopt;
    }
    return j;
  } catch (const nlohmann::json::parse_error& e) {
    err = error(400, "bad_json", std::string("the body is not valid JSON: ") + e.what());
    return std::nullopt;
  }
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

Api::Api(TicketService& tickets, TicketStore& store, const Clock& clock, Probes probes)
    : tickets_(tickets), store_(store), clock_(clock), probes_(std::move(probes)) {}

http::Response Api::handle(const http::Request& req, const boost::asio::ip::address& remote) {
  const bool mapped_loopback =
      remote.is_v6() && remote.to_v6().is_v4_mapped() &&
      boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, remote.to_v6()).is_loopback();
  if (!remote.is_loopback() && !mapped_loopback)
    return error(403, "forbidden", "with no auth section in the config the API answers loopback clients only");
  try {
    return route(req);
  } catch (const EventError& e) {
    return error(e.status, e.code, e.what(), e.field, e.allowed);
  } catch (const StoreError& e) {
    spdlog::error("api: store: {}", e.what());
    return error(503, "store_unavailable", "the store cannot commit now; try again");
  } catch (const std::exception& e) {
    spdlog::error("api: {}", e.what());
    return error(500, "internal", "internal error");
  }
}

http::Response Api::route(const http::Request& req) {
  const std::string_view target = req.target();
  const auto qpos = target.find('?');
  const auto path = target.substr(0, qpos);
  const auto params = query_params(qpos == std::string_view::npos ? "" : target.substr(qpos + 1));
  const auto parts = split_path(path);
  const auto method = req.method();
  const Instant now = clock_.now();
  auto only = [&](beasthttp::verb v) { return method == v || (v == beasthttp::verb::get && method == beasthttp::verb::head); };

  if (path == "/healthz") return only(beasthttp::verb::get) ? text(beasthttp::status::ok, "ok\n") : error(405, "method", "GET only");
  if (path == "/readyz") {
    const bool ok = probes_.ready && probes_.ready();
    return text(ok ? beasthttp::status::ok : beasthttp::status::service_unavailable, ok ? "ready\n" : "not ready\n");
  }
  if (path == "/metrics") return text(beasthttp::status::ok, probes_.metrics ? probes_.metrics() : "", "text/plain; version=0.0.4; charset=utf-8");

  if (parts.size() < 2 || parts[0] != "api" || parts[1] != "v1") return error(404, "not_found", "no such resource");
  const std::string resource = parts.size() > 2 ? parts[2] : "";

  if (resource == "tickets" && parts.size() == 3) {
    if (!only(beasthttp::verb::get)) return error(405, "method", "GET only");
    TicketFilter f;
    if (auto it = params.find("status"); it != params.end() && !it->second.empty()) {
      std::string s = it->second;
      size_t i = 0;
      while (i <= s.size()) {
        size_t j = s.find(',', i);
        if (j == std::string::npos) j = s.size();
        if (j > i) f.statuses.push_back(s.substr(i, j - i));
        i = j + 1;
      }
    }
    if (auto it = params.find("urgency"); it != params.end()) f.urgency = it->second;
    if (auto it = params.find("region"); it != params.end()) {
      if (!it->second.empty() && it->second.find_first_not_of("0123456789") != std::string::npos)
        return error(400, "bad_param", "region must be digits (a division-code prefix)", "region");
      f.region = it->second;
    }
    if (auto it = params.find("limit"); it != params.end()) {
      int v = 0;
      auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
      if (ec != std::errc() || p != it->second.data() + it->second.size() || v < 1 || v > 1000)
        return error(400, "bad_param", "limit must be a whole number from 1 to 1000", "limit");
      f.limit = v;
    }
    if (auto it = params.find("cursor"); it != params.end()) f.after = it->second;
    auto list = store_.list(f);
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& t : list) arr.push_back(to_api(t, now));
    nlohmann::json next = static_cast<int>(list.size()) == f.limit && !list.empty() ? nlohmann::json(list.back().id) : nlohmann::json(nullptr);
    return json_response(beasthttp::status::ok, {{"tickets", arr}, {"next", next}});
  }
  if (resource == "tickets" && parts.size() >= 4) {
    const std::string id = parts[3];
    if (!valid_id(id)) return error(404, "not_found", "no ticket " + id);
    if (parts.size() == 4) {
      if (!only(beasthttp::verb::get)) return error(405, "method", "GET only");
      auto t = store_.get(id);
      if (!t) return error(404, "not_found", "no ticket " + id);
      auto j = to_api(*t, now);
      j["allowed_events"] = allowed_events(*t);
      return json_response(beasthttp::status::ok, j);
    }
    if (parts.size() == 5 && parts[4] == "events") {
      if (method == beasthttp::verb::get) {
        if (!store_.get(id)) return error(404, "not_found", "no ticket " + id);
        return json_response(beasthttp::status::ok, {{"events", store_.events(id)}});
      }
      if (method != beasthttp::verb::post) return error(405, "method", "GET or POST");
      http::Response err;
      auto body = parse_body(req, err);
      if (!body) return err;
      const Ticket t = tickets_.apply(id, *body);
      auto j = to_api(t, now);
      j["allowed_events"] = allowed_events(t);
      return json_response(beasthttp::status::ok, j);
    }
  }
  if (resource == "calls" && parts.size() == 4) {
    if (!only(beasthttp::verb::get)) return error(405, "method", "GET only");
    // The Call-ID arrives percent-encoded; split_path kept the encoded segment whole.
    auto call_id = percent_decode(parts[3]);
    if (!call_id) return error(400, "bad_param", "the Call-ID is not valid percent-encoding", "call_id");
    auto t = store_.by_call(*call_id);
    if (!t) return error(404, "not_found", "no ticket for that call");
    auto j = to_api(*t, now);
    j["allowed_events"] = allowed_events(*t);
    return json_response(beasthttp::status::ok, j);
  }
  if (resource == "escalations" && parts.size() == 5 && parts[4] == "acknowledge") {
    if (method != beasthttp::verb::post) return error(405, "method", "POST only");
    if (!valid_id(parts[3])) return error(404, "not_found", "no message " + parts[3]);
    http::Response err;
    auto body = parse_body(req, err);
    if (!body) return err;
    const auto m = tickets_.acknowledge_escalation(parts[3], *body);
    return json_response(beasthttp::status::ok, {{"message_id", m.id}, {"ticket_id", m.ticket_id}, {"level", m.level},
                                                 {"acknowledged_by", m.acknowledged_by}});
  }
  if (resource == "outbox" && parts.size() == 3) {
    if (!only(beasthttp::verb::get)) return error(405, "method", "GET only");
    std::string state = params.count("state") ? params.at("state") : "";
    if (!state.empty() && state != "pending" && state != "delivered" && state != "dead")
      return error(400, "bad_param", "state must be pending, delivered or dead", "state");
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& m : store_.outbox(state, 1000)) {
      arr.push_back({{"id", m.id}, {"ticket_id", m.ticket_id}, {"kind", m.kind}, {"level", m.level},
                     {"reason", m.reason}, {"state", m.state}, {"attempts", m.attempts}, {"last_error", m.last_error},
                     {"body", m.body}});
    }
    return json_response(beasthttp::status::ok, {{"messages", arr}});
  }
  return error(404, "not_found", "no such resource");
}

}  // namespace assist
