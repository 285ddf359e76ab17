#include "routing/sip/response.h"

#include <random>

namespace assist::sip {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Trying";
    case 200: return "OK";
    case 302: return "Moved Temporarily";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 415: return "Unsupported Media Type";
    case 416: return "Unsupported URI Scheme";
    case 420: return "Bad Extension";
    case 481: return "Call/Transaction Does Not Exist";
    case 483: return "Too Many Hops";
    case 487: return "Request Terminated";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "Version Not Supported";
    default: return "";
  }
}

std::string make_tag() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::uint64_t v = rng();
  std::string s(16, '0');
  for (int i = 0; i < 16; ++i) s[std::size_t(i)] = hex[(v >> (i * 4)) & 0xf];
  return s;
}

std::string response_common(const SipMessage& req, bool final, const ResponseParts& p) {
  std::string out;
  out.reserve(384);
  for (std::size_t i = 0; i < req.via_values.size(); ++i) {
    out += "Via: ";
    std::string_view v = req.via_values[i];
    if (i == 0 && !req.vias.empty() && req.vias[0].valid) {
      const Via& top = req.vias[0];
      std::string_view rp = top.rport_param;
      bool bare = top.rport && iequals(rp, "rport");
      if (bare && p.rport >= 0) {
        // Replace the bare "rport" with "rport=<port>" (RFC 3581 §4).
        std::size_t at = std::size_t(rp.data() - v.data());
        out.append(v.substr(0, at + rp.size()));
        out += '=';
        out += std::to_string(p.rport);
        out.append(v.substr(at + rp.size()));
      } else {
        out.append(v);
      }
      if (!p.received.empty() && top.received.empty()) {
        out += ";received=";
        out += p.received;
      }
    } else {
      out.append(v);
    }
    out += "\r\n";
  }
  if (!req.from.empty()) { out += "From: "; out.append(req.from); out += "\r\n"; }
  if (!req.to.empty()) {
    out += "To: ";
    out.append(req.to);
    if (final && !req.to_addr.has_tag && !p.to_tag.empty()) {
      out += ";tag=";
      out += p.to_tag;
    }
    out += "\r\n";
  }
  if (!req.call_id.empty()) { out += "Call-ID: "; out.append(req.call_id); out += "\r\n"; }
  if (!req.cseq.empty()) { out += "CSeq: "; out.append(req.cseq); out += "\r\n"; }
  return out;
}

std::string response_from_common(int status, std::string_view reason, std::string_view common,
                                 const ResponseParts& p) {
  if (reason.empty()) reason = reason_phrase(status);
  std::string out;
  out.reserve(common.size() + 256);
  out += "SIP/2.0 ";
  out += std::to_string(status);
  out += ' ';
  out += reason;
  out += "\r\n";
  out.append(common);
  if (!p.contact.empty()) { out += "Contact: <"; out.append(p.contact); out += ">\r\n"; }
  if (p.headers)
    for (const auto& [k, v] : *p.headers) { out += k; out += ": "; out += v; out += "\r\n"; }
  if (p.allow) { out += "Allow: "; out += kAllow; out += "\r\n"; }
  if (p.retry_after > 0) { out += "Retry-After: "; out += std::to_string(p.retry_after); out += "\r\n"; }
  if (!p.server.empty()) { out += "Server: "; out.append(p.server); out += "\r\n"; }
  out += "Content-Length: 0\r\n\r\n";
  return out;
}

std::string build_response(const SipMessage& req, int status, std::string_view reason, const ResponseParts& p) {
  return response_from_common(status, reason, response_common(req, status > 100, p), p);
}

}  // namespace assist::sip
