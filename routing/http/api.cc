#include "routing/http/api.h"

#include <spdlog/spdlog.h>

#include "routing/classify/classifier.h"
#include "routing/classify/loader.h"
#include "routing/common/mask.h"
#include "routing/common/time_format.h"
#include "routing/http/links.h"

#include <set>

#include <cctype>
#include <charconv>

#include "routing/dispatch/regions.h"
#include "routing/http/sse.h"
#include "routing/http/static_files.h"

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

/// The query's parameters; a pair that is not valid percent-encoding is kept under `bad` (its raw name) so
/// that the request is refused, not answered as if the parameter were absent; a name given twice
/// (status=open&status=closed: which one was meant?) under `twice`.
std::map<std::string, std::string> query_params(std::string_view q, std::string* bad = nullptr,
                                                std::string* twice = nullptr) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i < q.size()) {
    size_t j = q.find('&', i);
    if (j == std::string_view::npos) j = q.size();
    const auto kv = q.substr(i, j - i);
    const auto eq = kv.find('=');
    const auto k = percent_decode(kv.substr(0, eq), true);
    const auto v = eq == std::string_view::npos ? std::optional<std::string>("") : percent_decode(kv.substr(eq + 1), true);
    if (k && v) {
      if (!out.emplace(*k, *v).second && twice && twice->empty()) *twice = *k;
    } else if (bad && bad->empty()) {
      *bad = std::string(kv.substr(0, eq));
    }
    i = j + 1;
  }
  return out;
}

/// A ticket id's shape: <instance (1-8 letters or digits)>-<YYYYMMDD>-<6 or more digits>, as the store
/// numbers them (TicketService::open_in).
bool ticket_id_shaped(const std::string& s) {
  const auto a = s.find('-');
  if (a == std::string::npos || a == 0 || a > 8) return false;
  const auto b = s.find('-', a + 1);
  if (b != a + 9 || s.size() < b + 7) return false;
  auto all = [&](std::size_t from, std::size_t to, auto pred) {
    for (std::size_t i = from; i < to; ++i)
      if (!pred(static_cast<unsigned char>(s[i]))) return false;
    return true;
  };
  return all(0, a, [](unsigned char c) { return std::isalnum(c) != 0; }) &&
         all(a + 1, b, [](unsigned char c) { return std::isdigit(c) != 0; }) &&
         all(b + 1, s.size(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

bool valid_id(const std::string& s) {
  return !s.empty() && s.size() <= 128 &&
         s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos;
}

/// A key given twice in one JSON object.
struct DuplicateKey : std::runtime_error {
  explicit DuplicateKey(const std::string& key) : std::runtime_error(key) {}
};

/// nlohmann::json::parse refusing a key given twice in one object: the last would silently win, and a body
/// that reads as a harmless note could act as a cancel. Throws DuplicateKey or nlohmann::json::exception
/// (not JSON; a number out of range).
nlohmann::json parse_strict(const std::string& text) {
  std::vector<std::set<std::string>> keys;
  return nlohmann::json::parse(text, [&](int, nlohmann::json::parse_event_t ev, nlohmann::json& v) {
    using E = nlohmann::json::parse_event_t;
    if (ev == E::object_start) keys.emplace_back();
    else if (ev == E::object_end && !keys.empty()) keys.pop_back();
    else if (ev == E::key && !keys.empty() && !keys.back().insert(v.get<std::string>()).second)
      throw DuplicateKey(v.get<std::string>());
    return true;
  });
}

std::optional<nlohmann::json> parse_body(const http::Request& req, http::Response& err) {
  try {
    auto j = parse_strict(req.body().empty() ? std::string("{}") : req.body());
    if (!j.is_object()) {
      err = error(400, "bad_body", "the body must be a JSON object");
      return std::nullopt;
    }
    return j;
  } catch (const DuplicateKey& e) {
    err = error(400, "duplicate_key", std::string("the key '") + e.what() + "' is given twice", e.what());
    return std::nullopt;
  } catch (const nlohmann::json::exception& e) {  // parse errors, and numbers out of range (1e400)
    err = error(400, "bad_json", std::string("the body is not valid JSON: ") + e.what());
    return std::nullopt;
  }
}

}  // namespace


Api::Api(TicketService& tickets, TicketStore& store, const Clock& clock, Probes probes)
    : tickets_(tickets), store_(store), clock_(clock), probes_(std::move(probes)) {}

namespace {

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

http::Response html(beasthttp::status status, const std::string& title, const std::string& body) {
  http::Response res{status, 11};
  res.set(beasthttp::field::content_type, "text/html; charset=utf-8");
  res.set(beasthttp::field::cache_control, "no-store");
  res.body() = "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
               "content=\"width=device-width, initial-scale=1\"><title>" + html_escape(title) +
               "</title><style>body{font:17px/1.6 system-ui,sans-serif;margin:1.2em;max-width:34em}"
               "input,button{font:inherit;padding:.4em;width:100%;box-sizing:border-box;margin:.3em 0}"
               "button{background:#b3261e;color:#fff;border:0;border-radius:6px}</style></head><body><h1>" +
               html_escape(title) + "</h1>" + body + "</body></html>";
  res.prepare_payload();
  return res;
}

}  // namespace

http::Response Api::handle_link(const http::Request& req) {
  const std::string_view target = req.target();
  const auto qpos = target.find('?');
  const std::string path(target.substr(0, qpos));
  const auto params = query_params(qpos == std::string_view::npos ? "" : target.substr(qpos + 1));
  const auto signer = LinkSigner::installed();
  const auto get = [&](const char* k) { return params.count(k) ? params.at(k) : std::string(); };
  if (!signer || !signer->verify(path, get("exp"), get("sig"), clock_.now()))
    return html(beasthttp::status::forbidden, "链接无效或已过期",
                "<p>这个链接无效或已过期。请联系12345热线值班长。</p>");
  const auto parts = split_path(path);  // links, ack|signoff, id
  if (parts.size() != 3 || !valid_id(parts[2])) return html(beasthttp::status::not_found, "未找到", "<p>没有这个链接。</p>");
  const bool ack = parts[1] == "ack";
  if (!ack && parts[1] != "signoff") return html(beasthttp::status::not_found, "未找到", "<p>没有这个链接。</p>");
  // The form posts back to the same signed URL; fields arrive form-encoded (a phone's browser) or as JSON.
  std::map<std::string, std::string> form;
  if (req.method() == beasthttp::verb::post) {
    const auto ct = std::string(req[beasthttp::field::content_type]);
    if (ct.find("json") != std::string::npos) {
      try {
        const auto parsed = parse_strict(req.body());  // named: items() must not outlive it
        if (!parsed.is_object()) return error(400, "bad_body", "the body must be a JSON object");
        for (const auto& [k, v] : parsed.items())
          if (v.is_string()) form[k] = v;
      } catch (const std::exception&) {
        return error(400, "bad_json", "the body is not valid JSON");
      }
    } else {
      form = query_params(req.body());
    }
  }
  const std::string self = html_escape(std::string(target));
  try {
    if (ack) {
      const auto m = store_.message(parts[2]);
      if (!m || m->kind != "escalation") return html(beasthttp::status::not_found, "未找到", "<p>没有这条督办消息。</p>");
      if (req.method() != beasthttp::verb::post)
        return html(beasthttp::status::ok, "确认督办 " + m->ticket_id,
                    "<p>" + html_escape(m->body.value("text", "")) + "</p><form method=\"post\" action=\"" + self +
                        "\"><label>确认人<input name=\"by\" required></label><label>响应人（谁去处理）<input "
                        "name=\"responder\" required></label><label>预计到达时间（如 2026-11-30T20:00:00+08:00）<input "
                        "name=\"eta\"></label><button>确认</button></form>");
      nlohmann::json body = {{"by", form["by"]}, {"responder", form["responder"]}};
      if (!form["eta"].empty()) body["eta"] = form["eta"];
      const auto done = tickets_.acknowledge_escalation(parts[2], body);
      return html(beasthttp::status::ok, "已确认", "<p>工单 " + html_escape(done.ticket_id) + " 的督办已由 " +
                                                     html_escape(done.acknowledged_by) + " 确认。谢谢。</p>");
    }
    const auto t = store_.get(parts[2]);
    if (!t) return html(beasthttp::status::not_found, "未找到", "<p>没有这张工单。</p>");
    if (req.method() != beasthttp::verb::post)
      return html(beasthttp::status::ok, "签收工单 " + t->id,
                  "<p>请先与来电人联系，再签收。</p><form method=\"post\" action=\"" + self +
                      "\"><label>签收人<input name=\"by\" required></label><label>联系情况<input name=\"note\" "
                      "value=\"已联系来电人\"></label><button>签收</button></form>");
    if (form["by"].empty())
      return html(beasthttp::status::bad_request, "未能完成", "<p>请填写签收人。</p>");
    const auto done = tickets_.apply(t->id, {{"type", "acknowledge"}, {"by", form["by"]}, {"note", form["note"]}});
    return html(beasthttp::status::ok, "已签收", "<p>工单 " + html_escape(done.id) + " 已签收。</p>");
  } catch (const EventError& e) {
    return html(static_cast<beasthttp::status>(e.status), "未能完成", "<p>" + html_escape(e.what()) + "</p>");
  }
}

http::Response Api::handle(const http::Request& req, const boost::asio::ip::address& remote) {
  // An SMS's short link: redirects to the message's full signed link (which checks signature and expiry).
  if (std::string_view(req.target()).starts_with("/l/")) {
    const std::string token(std::string_view(req.target()).substr(3, 12));
    const auto m = token.size() == 12 && token.find_first_not_of("abcdefghijkmnpqrstuvwxyz23456789") == std::string::npos
                       ? store_.message_by_token(token)
                       : std::nullopt;
    const std::string to = !m ? "" : m->body.value(m->kind == "escalation" ? "ack_url" : "signoff_url", std::string());
    if (to.empty()) return error(404, "not_found", "no such link");
    http::Response res{beasthttp::status::found, 11};
    res.set(beasthttp::field::location, to);
    res.set(beasthttp::field::cache_control, "no-store");
    res.prepare_payload();
    return res;
  }
  // Signed links work from anywhere (a coordinator's phone): the signature is the credential.
  if (std::string_view(req.target()).starts_with("/links/")) {
    if (req.method() == beasthttp::verb::post && probes_.store_stalled && probes_.store_stalled())
      return error(503, "store_stalled", "the store cannot take a write now; try again in a minute");
    try {
      return handle_link(req);
    } catch (const StoreError& e) {
      return error(503, "store_unavailable", "the store cannot commit now; try again");
    } catch (const std::exception& e) {
      spdlog::error("api: link: {}", e.what());
      return error(500, "internal", "internal error");
    }
  }
  const bool mapped_loopback =
      remote.is_v6() && remote.to_v6().is_v4_mapped() &&
      boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, remote.to_v6()).is_loopback();
  if (!remote.is_loopback() && !mapped_loopback)
    return error(403, "forbidden", "the API answers loopback clients only (there are no accounts or roles yet): reach it through a proxy on this host");
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

nlohmann::json Api::earlier_tickets(const Ticket& t) {
  // the caller's other tickets (screen pop: the agent sees the history); no caller numbers in the answer
  nlohmann::json out = nlohmann::json::array();
  for (const auto& o : store_.by_caller(t.caller, 11)) {
    if (o.id == t.id || out.size() >= 10) continue;
    out.push_back({{"id", o.id}, {"category", o.category}, {"request_type", o.request_type}, {"urgency", o.urgency},
                   {"status", o.status}, {"opened_at", format_rfc3339(o.opened_at)}});
  }
  return out;
}

http::Response Api::open_ticket(const http::Request& req) {
  // An agent opens a ticket by hand (a call outside SIP, a walk-in, a web message): the labels left out
  // come from the call path's own decision (probes_.classify: CallRouter::plan), 并单 as for a call.
  http::Response err;
  auto body = parse_body(req, err);
  if (!body) return err;
  const HandOpening h = hand_opening_from_json(*body);
  std::optional<Classification> classified;
  bool ticketed = true;
  if (probes_.classify) {
    const auto plan = probes_.classify(h.facts());
    classified = classification_from_json(plan);
    ticketed = plan.value("ticketed", true);
  } else if (!h.labelled()) {
    return error(503, "unavailable", "classification is not wired in this process: give category, request_type "
                                     "and urgency", "text");
  }
  const auto o = tickets_.open_by_hand(h, hand_labels(h, classified, ticketed));
  auto j = to_api(o.ticket, clock_.now());
  j["allowed_events"] = allowed_events(o.ticket);
  j["earlier_tickets"] = earlier_tickets(o.ticket);
  // 201 for a new ticket; 200 when the contact joined the caller's open ticket (并单) or was sent before
  auto res = json_response(o.joined || o.known ? beasthttp::status::ok : beasthttp::status::created, j);
  res.set(beasthttp::field::location, "/api/v1/tickets/" + o.ticket.id);
  return res;
}

http::Response Api::route(const http::Request& req) {
  const std::string_view target = req.target();
  const auto qpos = target.find('?');
  const auto path = target.substr(0, qpos);
  std::string bad_param, twice;
  const auto params = query_params(qpos == std::string_view::npos ? "" : target.substr(qpos + 1), &bad_param, &twice);
  const auto parts = split_path(path);
  const auto method = req.method();
  const Instant now = clock_.now();
  auto only = [&](beasthttp::verb v) { return method == v || (v == beasthttp::verb::get && method == beasthttp::verb::head); };

  if (path == "/healthz") return only(beasthttp::verb::get) ? text(beasthttp::status::ok, "ok\n") : error(405, "method", "GET only");
  if (path == "/readyz") {
    if (!only(beasthttp::verb::get)) return error(405, "method", "GET only");
    const bool ok = probes_.ready && probes_.ready();
    return text(ok ? beasthttp::status::ok : beasthttp::status::service_unavailable, ok ? "ready\n" : "not ready\n");
  }
  if (path == "/metrics") {
    if (!only(beasthttp::verb::get)) return error(405, "method", "GET only");
    return text(beasthttp::status::ok, probes_.metrics ? probes_.metrics() : "", "text/plain; version=0.0.4; charset=utf-8");
  }
  if (!bad_param.empty())
    return error(400, "bad_param", "the query parameter '" + bad_param + "' is not valid percent-encoding", bad_param);
  if (!twice.empty())
    return error(400, "bad_param", "the query parameter '" + twice + "' is given twice (a list is one value: "
                                   "status=open,acknowledged)", twice);
  // The web UIs (issue 7): the ticket pane, the SLA board and their shared modules, compiled in.
  if (http::StaticFiles::builtin().handles(path)) return http::StaticFiles::builtin().serve(req);

  if (parts.size() < 2 || parts[0] != "api" || parts[1] != "v1") return error(404, "not_found", "no such resource");
  const std::string resource = parts.size() > 2 ? parts[2] : "";

  // A stalled store: a write would wait on it and hold the HTTP thread (the board, /readyz) meanwhile.
  if (req.method() == beasthttp::verb::post && resource != "classify" && resource != "rules" &&
      probes_.store_stalled && probes_.store_stalled())
    return error(503, "store_stalled",
                 "the store is stalled: nothing can be written now; try again when /readyz answers 200");
  if (resource == "classify" && parts.size() == 3) {
    // The same code as the call path (CallRouter::plan): labels, reasons, flags, whether it opens a ticket.
    if (method != beasthttp::verb::post) return error(405, "method", "POST only");
    if (!probes_.classify) return error(503, "unavailable", "classification is not wired in this process");
    http::Response err;
    auto body = parse_body(req, err);
    if (!body) return err;
    CallFacts facts;
    for (const auto& [key, dst] : std::initializer_list<std::pair<const char*, std::string*>>{
             {"text", &facts.asr_text}, {"ivr_digits", &facts.ivr_digits}, {"caller", &facts.caller},
             {"language", &facts.language}, {"region_code", &facts.region_hint}}) {
      if (!body->contains(key)) continue;
      if (!(*body)[key].is_string()) return error(400, "bad_field", std::string(key) + " must be a string", key);
      *dst = (*body)[key].get<std::string>();
    }
    if (!body->contains("text")) return error(400, "bad_field", "text is required", "text");
    facts.call_id = "api-classify";
    return json_response(beasthttp::status::ok, probes_.classify(facts));
  }
  if (resource == "rules" && parts.size() == 4 && parts[3] == "reload") {
    if (method != beasthttp::verb::post) return error(405, "method", "POST only");
    if (!probes_.reload_rules) return error(503, "unavailable", "rules reload is not wired in this process");
    const auto r = probes_.reload_rules();
    if (!r.value("ok", false))
      return error(422, "rules_invalid", r.value("message", "") + " (the previous rules stay in force)", "rules");
    return json_response(beasthttp::status::ok, r);
  }
  if (resource == "tickets" && parts.size() == 3) {
    if (method == beasthttp::verb::post) return open_ticket(req);
    if (!only(beasthttp::verb::get)) return error(405, "method", "GET or POST");
    // a misspelt filter (Status=, state=) must not answer with every ticket as if there were none
    for (const auto& [name, value] : params)
      if (name != "status" && name != "urgency" && name != "region" && name != "limit" && name != "cursor")
        return error(400, "bad_param", "unknown parameter '" + name + "' (status, urgency, region, limit, cursor)",
                     name);
    TicketFilter f;
    if (auto it = params.find("status"); it != params.end() && !it->second.empty() &&
                                         it->second.find_first_not_of(',') == std::string::npos)
      return error(400, "bad_param", "status: no status in the list", "status");
    if (auto it = params.find("status"); it != params.end() && !it->second.empty()) {
      std::string s = it->second;
      size_t i = 0;
      while (i <= s.size()) {
        size_t j = s.find(',', i);
        if (j == std::string::npos) j = s.size();
        if (j > i) {
          const std::string one = s.substr(i, j - i);
          static const std::vector<std::string> known = {"open", "acknowledged", "in_progress", "waiting_on_caller",
                                                         "resolved", "closed", "merged", "cancelled"};
          if (std::find(known.begin(), known.end(), one) == known.end())
            return error(400, "bad_param",
                         "status: unknown status '" + mask_numbers_in_text(one) + "' (open, acknowledged, in_progress, "
                         "waiting_on_caller, resolved, closed, merged, cancelled; several with commas)",
                         "status");
          f.statuses.push_back(one);
        }
        i = j + 1;
      }
    }
    if (auto it = params.find("urgency"); it != params.end()) {
      const auto& ids = urgency_ids();
      if (!it->second.empty() && std::find(ids.begin(), ids.end(), it->second) == ids.end())
        return error(400, "bad_param", "urgency must be one of: critical, urgent, normal", "urgency");
      f.urgency = it->second;
    }
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
    if (auto it = params.find("cursor"); it != params.end()) {
      if (!it->second.empty() && !ticket_id_shaped(it->second))
        return error(400, "bad_param", "cursor must be a ticket id (the 'next' of the previous page)", "cursor");
      f.after = it->second;
    }
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
      j["earlier_tickets"] = earlier_tickets(*t);
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
    // A call is its Call-ID and its number: ?caller=<number> names one ("" = a call with no number). The
    // older form "<Call-ID> from <number>" says the same (a SIP Call-ID never holds a space).
    std::optional<std::string> caller;
    if (auto it = params.find("caller"); it != params.end()) caller = it->second;
    if (const auto from = call_id->rfind(" from "); !caller && from != std::string::npos) {
      caller = call_id->substr(from + 6);
      call_id->resize(from);
    }
    if (caller) {  // as the PBX shows it: +86 138-..., 8613...; "" names the call with no number
      const std::string given = *caller;
      caller = normalize_number(given);
      if (!given.empty() && caller->empty())
        return error(400, "bad_param", "caller must be a phone number (digits, an optional +, separators) or empty "
                                       "for a call with no number", "caller");
    }
    auto t = store_.by_call(*call_id, caller);
    if (!t) return error(404, "not_found", "no ticket for that call");
    // the same Call-ID came from more than one number: it must not pop one caller's ticket for another
    if (!caller && store_.call_id_shared(*call_id))
      return error(409, "ambiguous_call",
                   "that Call-ID names calls from more than one number: add ?caller=<the caller's number> or open "
                   "the ticket by its id (X-Assist-Ticket)");
    auto j = to_api(*t, now);
    j["allowed_events"] = allowed_events(*t);
    j["earlier_tickets"] = earlier_tickets(*t);
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
  if (resource == "events" && parts.size() == 3) {
    // Server-Sent Events: the server hands the connection to the SseHub (routing/http/sse.h).
    if (method != beasthttp::verb::get) return error(405, "method", "GET only");
    return http::sse_head();
  }
  if (resource == "regions" && parts.size() == 3) {
    // The place picker: regions by name or code prefix (routing/dispatch/regions.h).
    if (!only(beasthttp::verb::get)) return error(405, "method", "GET only");
    int limit = 20;
    if (auto it = params.find("limit"); it != params.end()) {
      auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), limit);
      if (ec != std::errc() || p != it->second.data() + it->second.size() || limit < 1 || limit > 200)
        return error(400, "bad_param", "limit must be a whole number from 1 to 200", "limit");
    }
    const std::string q = params.count("q") ? params.at("q") : "";
    if (q.size() > 64) return error(400, "bad_param", "q is too long", "q");
    nlohmann::json arr = nlohmann::json::array();
    if (q.empty()) {
      // No text: the leagues (盟市) of the table (Inner Mongolia, 15xx), for the board's region filter.
      for (int i = 1; i <= 99 && static_cast<int>(arr.size()) < limit; ++i) {
        const std::string code = "15" + std::string(i < 10 ? "0" : "") + std::to_string(i);
        if (const Region* r = Regions::builtin().find(code); r && r->level == "league")
          arr.push_back({{"code", r->code}, {"name", r->name}, {"full_name", Regions::builtin().full_name(code)},
                         {"level", r->level}});
      }
    }
    for (const auto& m : Regions::builtin().search(q, static_cast<size_t>(limit)))
      arr.push_back({{"code", m.code}, {"name", m.name}, {"full_name", m.full_name}, {"level", m.level}});
    return json_response(beasthttp::status::ok, {{"regions", arr}});
  }
  if (resource == "recompute" && parts.size() == 3) {
    // Issue 5: recompute open tickets' deadlines under the current policy, on purpose; reports what moved.
    if (method != beasthttp::verb::post) return error(405, "method", "POST only");
    http::Response err;
    auto body = parse_body(req, err);
    if (!body) return err;
    RecomputeRequest rq;
    for (const char* k : {"only_provisional", "dry_run"})
      if (body->contains(k) && !(*body)[k].is_boolean())
        return error(400, "bad_field", std::string(k) + " must be true or false", k);
    for (const char* k : {"by", "reason"})
      if (body->contains(k) && !(*body)[k].is_string()) return error(400, "bad_field", std::string(k) + " must be a string", k);
    rq.only_provisional = body->value("only_provisional", false);
    rq.dry_run = body->value("dry_run", false);
    rq.by = body->value("by", std::string("operator"));
    rq.reason = body->value("reason", std::string("recompute requested through the API"));
    return json_response(beasthttp::status::ok, tickets_.recompute(rq));
  }
  if (resource == "store" && parts.size() == 3) {
    if (!only(beasthttp::verb::get)) return error(405, "method", "GET only");
    if (!probes_.store_status) return error(404, "not_found", "no store status in this build");
    return json_response(beasthttp::status::ok, probes_.store_status());
  }
  if (resource == "calendar" && parts.size() == 3) {
    // Issue 5: how long the working-day calendars last, and how many deadlines are provisional.
    if (!only(beasthttp::verb::get)) return error(405, "method", "GET only");
    const auto cs = calendar_status(tickets_.policy().calendar(), now);
    TicketFilter pf;
    pf.provisional_only = true;
    return json_response(beasthttp::status::ok,
                         {{"last_year", cs.last_year}, {"days_left", cs.days_left}, {"warning", cs.warn},
                          {"message", cs.message}, {"policy_version", tickets_.policy().version()},
                          {"provisional_tickets", store_.count(pf)}});
  }
  if (resource == "outbox" && parts.size() == 5 && parts[4] == "retry") {
    // a dead letter (or a pending message) put back in line now, attempts reset
    if (method != beasthttp::verb::post) return error(405, "method", "POST only");
    if (!valid_id(parts[3]) || !probes_.retry_message) return error(404, "not_found", "no message " + parts[3]);
    if (!probes_.retry_message(parts[3])) return error(404, "not_found", "no undelivered message " + parts[3]);
    const auto m = store_.message(parts[3]);
    return json_response(beasthttp::status::ok, {{"id", m->id}, {"state", m->state}, {"attempts", m->attempts}});
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
