#include "routing/sip/message.h"

#include <algorithm>

#include <charconv>

namespace assist::sip {
namespace {

constexpr bool is_ws(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_ws(s.front()) || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (is_ws(s.back()) || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

bool token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-': case '.': case '!': case '%': case '*': case '_': case '+': case '`': case '\'': case '~':
      return true;
    default:
      return false;
  }
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

HeaderId header_id(std::string_view n) {
  if (n.size() == 1) {
    switch (lower(n[0])) {
      case 'v': return HeaderId::via;
      case 'f': return HeaderId::from;
      case 't': return HeaderId::to;
      case 'i': return HeaderId::call_id;
      case 'm': return HeaderId::contact;
      case 'l': return HeaderId::content_length;
      case 'c': return HeaderId::content_type;
      default: return HeaderId::other;  // k, s, e, o, r, b, u, x, y, a, j, d: not needed here
    }
  }
  if (iequals(n, "Via")) return HeaderId::via;
  if (iequals(n, "From")) return HeaderId::from;
  if (iequals(n, "To")) return HeaderId::to;
  if (iequals(n, "Call-ID")) return HeaderId::call_id;
  if (iequals(n, "CSeq")) return HeaderId::cseq;
  if (iequals(n, "Max-Forwards")) return HeaderId::max_forwards;
  if (iequals(n, "Content-Length")) return HeaderId::content_length;
  if (iequals(n, "Contact")) return HeaderId::contact;
  if (iequals(n, "Date")) return HeaderId::date;
  if (iequals(n, "P-Asserted-Identity")) return HeaderId::p_asserted_identity;
  if (iequals(n, "Content-Type")) return HeaderId::content_type;
  return HeaderId::other;
}

Method method_id(std::string_view m) {
  if (m == "INVITE") return Method::invite;
  if (m == "ACK") return Method::ack;
  if (m == "CANCEL") return Method::cancel;
  if (m == "OPTIONS") return Method::options;
  if (m == "BYE") return Method::bye;
  if (m == "REGISTER") return Method::register_;
  return Method::other;
}

// Parses 1*DIGIT into `out`; false on anything else or overflow past `max`.
bool parse_digits(std::string_view s, std::uint64_t max, std::uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    if (v > (max - std::uint64_t(c - '0')) / 10) return false;
    v = v * 10 + std::uint64_t(c - '0');
  }
  out = v;
  return true;
}

// Valid characters of a URI outside quotes (RFC 3261 §25.1 / RFC 3986): no controls, spaces, <>, ", etc.
bool uri_char(char c) {
  if (token_char(c)) return true;
  switch (c) {
    case ':': case '@': case ';': case '=': case '?': case '/': case '&': case '$': case ',':
    case '(': case ')': case '[': case ']': case '#':
      return true;
    default:
      return false;
  }
}

/// The host part of a sip/sips URI after its scheme (RFC 3261 §19.1.1, §25.1): [user "@"] host [":" port]
/// before any ";params" / "?headers"; a user is never empty, one '@' at most, host a hostname, an IPv4
/// address or a bracketed IPv6 reference, port 1 to 5 digits up to 65535.
bool valid_sip_hostport(std::string_view rest) {
  // a user may hold ';' and '?' (RFC 3261 §25.1 user-unreserved), never a raw '@': the host follows the first
  if (const auto at = rest.find('@'); at != std::string_view::npos) {
    if (at == 0) return false;
    rest.remove_prefix(at + 1);
  }
  auto hp = rest.substr(0, rest.find_first_of(";?"));
  if (hp.find('@') != std::string_view::npos) return false;
  if (hp.empty()) return false;
  std::string_view port;
  bool has_port = false;
  if (hp.front() == '[') {
    const auto rb = hp.find(']');
    if (rb == std::string_view::npos || rb < 3) return false;
    for (char c : hp.substr(1, rb - 1))
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
        return false;
    const auto after = hp.substr(rb + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      port = after.substr(1);
      has_port = true;
    }
  } else {
    const auto c = hp.find(':');
    const auto host = hp.substr(0, c);
    if (host.empty()) return false;
    for (char ch : host)
      if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '-' ||
            ch == '.' || ch == '_'))
        return false;
    if (c != std::string_view::npos) {
      port = hp.substr(c + 1);
      has_port = true;
    }
  }
  if (has_port) {  // port = 1*DIGIT: leading zeros are fine
    while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);
    std::uint64_t n = 0;
    if (port.size() > 5 || !parse_digits(port, 65535, n)) return false;
  }
  return true;
}

bool valid_uri(std::string_view uri) {
  auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  char f = uri[0];
  if (!((f >= 'a' && f <= 'z') || (f >= 'A' && f <= 'Z'))) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    char c = uri[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
          c == '-' || c == '.'))
      return false;
  }
  for (std::size_t i = colon + 1; i < uri.size(); ++i) {
    char c = uri[i];
    if (c == '%') {
      auto hex = [](char h) {
        return (h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F');
      };
      if (i + 2 >= uri.size() || !hex(uri[i + 1]) || !hex(uri[i + 2])) return false;
      i += 2;
      continue;
    }
    if (!uri_char(c)) return false;
  }
  return colon + 1 < uri.size();
}

// Parses ";name[=value]" parameters with SWS around ';' and '=' (RFC 3261 §25.1 generic-param).
// Calls `each(name, value, whole)` per parameter; false on an empty name or a bad value.
template <typename F>
bool parse_params(std::string_view s, F&& each) {
  std::size_t i = 0;
  auto skip = [&] { while (i < s.size() && is_ws(s[i])) ++i; };
  skip();
  while (i < s.size()) {
    if (s[i] != ';') return false;
    std::size_t start = i;
    ++i;
    skip();
    std::size_t n0 = i;
    while (i < s.size() && token_char(s[i])) ++i;
    std::string_view name = s.substr(n0, i - n0);
    if (name.empty()) return false;
    skip();
    std::string_view value;
    if (i < s.size() && s[i] == '=') {
      ++i;
      skip();
      std::size_t v0 = i;
      if (i < s.size() && s[i] == '"') {
        ++i;
        bool closed = false;
        while (i < s.size()) {
          if (s[i] == '\\' && i + 1 < s.size()) { i += 2; continue; }
          if (s[i] == '"') { ++i; closed = true; break; }
          ++i;
        }
        if (!closed) return false;
      } else if (i < s.size() && s[i] == '[') {
        while (i < s.size() && s[i] != ']') ++i;
        if (i == s.size()) return false;
        ++i;
      } else {
        while (i < s.size() && (token_char(s[i]) || s[i] == ':')) ++i;
      }
      value = s.substr(v0, i - v0);
      if (value.empty()) return false;
    }
    std::size_t end = i;
    while (end > start && is_ws(s[end - 1])) --end;
    each(name, value, s.substr(start + 1, end - start - 1));
    skip();
  }
  return true;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!token_char(c)) return false;
  return true;
}

bool percent_decode(std::string_view s, std::string& out) {
  out.clear();
  out.reserve(s.size());
  auto hex = [](char h) -> int {
    if (h >= '0' && h <= '9') return h - '0';
    if (h >= 'a' && h <= 'f') return h - 'a' + 10;
    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') { out.push_back(s[i]); continue; }
    if (i + 2 >= s.size()) return false;
    int h = hex(s[i + 1]), l = hex(s[i + 2]);
    if (h < 0 || l < 0) return false;
    out.push_back(char(h * 16 + l));
    i += 2;
  }
  return true;
}

std::vector<std::string_view> split_values(std::string_view v) {
  std::vector<std::string_view> out;
  bool quoted = false;
  int angle = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      ++angle;
    } else if (c == '>') {
      if (angle > 0) --angle;
    } else if (c == ',' && angle == 0) {
      out.push_back(trim(v.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim(v.substr(start)));
  return out;
}

bool parse_name_addr(std::string_view v, NameAddr& out) {
  v = trim(v);
  if (v.empty()) return false;
  std::size_t i = 0;
  std::string_view params;
  bool angled = false;
  if (v[0] == '"') {
    ++i;
    bool closed = false;
    while (i < v.size()) {
      if (v[i] == '\\') {
        if (i + 1 >= v.size() || v[i + 1] == '\r' || v[i + 1] == '\n') return false;
        i += 2;
        continue;
      }
      if (v[i] == '"') { ++i; closed = true; break; }
      ++i;
    }
    if (!closed) return false;
    while (i < v.size() && is_ws(v[i])) ++i;
    if (i >= v.size() || v[i] != '<') return false;
    angled = true;
  } else {
    auto lt = v.find('<');
    if (lt != std::string_view::npos) {
      // display-name = *(token LWS): only token characters and whitespace before '<'.
      for (std::size_t k = 0; k < lt; ++k)
        if (!token_char(v[k]) && !is_ws(v[k])) {
          // Not a display name: could be an addr-spec whose parameters contain '<'; treat as error.
          return false;
        }
      i = lt;
      angled = true;
    }
  }
  if (angled) {
    auto gt = v.find('>', i);
    if (gt == std::string_view::npos) return false;
    out.uri = v.substr(i + 1, gt - i - 1);
    if (!valid_uri(out.uri)) return false;  // also rejects whitespace inside <>
    params = v.substr(gt + 1);
  } else {
    auto semi = v.find(';');
    out.uri = trim(v.substr(0, semi));
    if (!valid_uri(out.uri)) return false;
    // RFC 3261 §20: an addr-spec with ',', '?' or ';' must be in <>; here ';' starts header params.
    if (out.uri.find_first_of("?,") != std::string_view::npos) return false;
    params = semi == std::string_view::npos ? std::string_view{} : v.substr(semi);
  }
  return parse_params(params, [&](std::string_view name, std::string_view value, std::string_view) {
    if (iequals(name, "tag")) {
      out.tag = value;
      out.has_tag = true;
    }
  });
}

bool parse_via(std::string_view v, Via& out) {
  out = Via{};
  out.raw = trim(v);
  std::string_view s = out.raw;
  std::size_t i = 0;
  auto skip = [&] { while (i < s.size() && is_ws(s[i])) ++i; };
  auto word = [&] {
    skip();
    std::size_t w0 = i;
    while (i < s.size() && token_char(s[i])) ++i;
    return s.substr(w0, i - w0);
  };
  auto slash = [&] {
    skip();
    if (i >= s.size() || s[i] != '/') return false;
    ++i;
    return true;
  };
  if (!iequals(word(), "SIP") || !slash() || word() != "2.0" || !slash()) return false;
  out.transport = word();
  if (out.transport.empty()) return false;
  if (i >= s.size() || !is_ws(s[i])) return false;
  skip();
  // sent-by = host [ COLON port ]
  std::size_t h0 = i;
  if (i < s.size() && s[i] == '[') {
    auto rb = s.find(']', i);
    if (rb == std::string_view::npos) return false;
    out.host = s.substr(i + 1, rb - i - 1);
    i = rb + 1;
  } else {
    while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                            (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.'))
      ++i;
    out.host = s.substr(h0, i - h0);
  }
  if (out.host.empty()) return false;
  skip();
  if (i < s.size() && s[i] == ':') {
    ++i;
    skip();
    std::size_t p0 = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    std::uint64_t port = 0;
    if (!parse_digits(s.substr(p0, i - p0), 65535, port) || port == 0) return false;
    out.port = std::uint16_t(port);
  }
  bool good = parse_params(s.substr(i), [&](std::string_view name, std::string_view value,
                                            std::string_view whole) {
    if (iequals(name, "branch")) {
      out.branch = value;
      out.has_branch = true;
    } else if (iequals(name, "rport")) {
      out.rport = true;
      out.rport_param = whole;
    } else if (iequals(name, "received")) {
      out.received = value;
    }
  });
  if (!good || (out.has_branch && out.branch.empty())) return false;
  out.valid = true;
  return true;
}

std::string uri_user(std::string_view uri) {
  std::string_view rest;
  if (uri.size() > 4 && iequals(uri.substr(0, 4), "sip:")) rest = uri.substr(4);
  else if (uri.size() > 5 && iequals(uri.substr(0, 5), "sips:")) rest = uri.substr(5);
  else if (uri.size() > 4 && iequals(uri.substr(0, 4), "tel:")) {
    rest = uri.substr(4);
    rest = rest.substr(0, rest.find_first_of(";?"));
  } else {
    return {};
  }
  if (!iequals(uri.substr(0, 4), "tel:")) {
    auto at = rest.find('@');
    if (at == std::string_view::npos) return {};
    rest = rest.substr(0, at);
    rest = rest.substr(0, rest.find_first_of(";:"));  // drop user params and password
  }
  std::string out;
  if (!percent_decode(rest, out)) out.assign(rest);
  return out;
}

const Header* SipMessage::find(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return &h;
  return nullptr;
}

const Header* SipMessage::find(HeaderId id) const {
  for (const auto& h : headers)
    if (h.id == id) return &h;
  return nullptr;
}

void SipMessage::fail(int status, std::string_view reason) {
  if (error_status == 0) {
    error_status = status;
    error_reason.assign(reason);
  }
}

void SipMessage::check_request_line(std::string_view line) {
  // Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 §25.1): exactly two single spaces.
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos ||
      line.find('\t') != std::string_view::npos) {
    // Still try to learn the method for CSeq/response purposes.
    if (sp1 != std::string_view::npos) method = line.substr(0, sp1);
    return fail(400, "Bad Request-Line");
  }
  method = line.substr(0, sp1);
  request_uri = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  method_id = sip::method_id(method);
  if (!is_token(method)) return fail(400, "Bad Method");
  if (!iequals(version, "SIP/2.0")) {
    if (version.size() > 4 && iequals(version.substr(0, 4), "SIP/")) return fail(505, "Version Not Supported");
    return fail(400, "Bad SIP Version");
  }
  if (!valid_uri(request_uri)) return fail(400, "Bad Request-URI");
  uri_scheme = request_uri.substr(0, request_uri.find(':'));
  if ((iequals(uri_scheme, "sip") || iequals(uri_scheme, "sips")) &&
      !valid_sip_hostport(request_uri.substr(uri_scheme.size() + 1)))
    return fail(400, "Bad Request-URI");
  if (iequals(uri_scheme, "sip") || iequals(uri_scheme, "sips")) {
    // RFC 3261 §19.1.1: headers are not allowed in a Request-URI.
    auto at = request_uri.find('@');
    auto q = request_uri.find('?', at == std::string_view::npos ? 0 : at);
    if (q != std::string_view::npos) return fail(400, "Headers Not Allowed In Request-URI");
  }
}

bool SipMessage::parse(std::string_view bytes, bool stream) {
  // CRLFs before the start line are ignored (RFC 3261 §7.5; keep-alives may run into the next message)
  while (bytes.starts_with("\r\n")) bytes.remove_prefix(2);
  storage_.assign(bytes);
  std::string_view all(storage_);
  auto head_end = all.find("\r\n\r\n");
  std::string_view line_error;  // set when the head had to be read with CRLF put back
  if (head_end == std::string_view::npos) {
    // Lines that end in a bare LF, or a head with no empty line after it (RFC 3261 §7 asks for CRLF and
    // the empty line): a misconfigured gateway, not noise. The head is read with CRLF put back so that the
    // 400 can reach its Via; the body is left as it came. Over TCP the framer has found an empty line.
    std::string crlf;
    crlf.reserve(bytes.size() + 64);
    std::size_t pos = 0, body_at = std::string_view::npos;
    while (pos < all.size()) {
      const auto nl = all.find('\n', pos);
      std::string_view line = all.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty() && nl != std::string_view::npos) {
        body_at = nl + 1;
        break;
      }
      crlf.append(line).append("\r\n");
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
    if (body_at == std::string_view::npos && stream) return false;
    line_error = body_at == std::string_view::npos ? "Missing Empty Line After Headers" : "Lines Must End In CRLF";
    crlf += "\r\n";
    if (body_at != std::string_view::npos) crlf.append(all.substr(body_at));
    storage_ = std::move(crlf);
    all = std::string_view(storage_);
    head_end = all.find("\r\n\r\n");
    if (head_end == std::string_view::npos) return false;  // nothing at all (an empty datagram)
  }
  // Undo header folding in place (RFC 3261 §7.3.1): CRLF followed by SP/HT becomes spaces.
  for (std::size_t i = 0; i + 2 < head_end + 2; ++i) {
    if (storage_[i] == '\r' && storage_[i + 1] == '\n' && (storage_[i + 2] == ' ' || storage_[i + 2] == '\t')) {
      storage_[i] = ' ';
      storage_[i + 1] = ' ';
    }
  }
  all = std::string_view(storage_);
  head_end = all.find("\r\n\r\n");
  std::string_view head = all.substr(0, head_end);
  std::string_view rest = all.substr(head_end + 4);
  auto eol = head.find("\r\n");
  std::string_view start = head.substr(0, eol);
  std::string_view lines = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
  if (start.size() >= 4 && start.substr(0, 4) == "SIP/") {
    is_response = true;
    auto sp = start.find(' ');
    std::uint64_t code = 0;
    if (sp != std::string_view::npos && parse_digits(start.substr(sp + 1, 3), 699, code)) status_code = int(code);
    return true;  // parsed only to be dropped
  }
  is_request = true;
  if (!line_error.empty()) fail(400, line_error);
  // A CR or LF alone inside the head (RFC 3261 §25.1 allows neither in a header) would hide a second
  // header inside a value.
  if (line_error.empty()) {
    for (auto i = head.find('\r'); i != std::string_view::npos; i = head.find('\r', i + 2))
      if (i + 1 >= head.size() || head[i + 1] != '\n') fail(400, "Bare CR Or LF In Header");
    for (auto i = head.find('\n'); i != std::string_view::npos; i = head.find('\n', i + 1))
      if (i == 0 || head[i - 1] != '\r') fail(400, "Bare CR Or LF In Header");
  }
  // Nor any other control byte but HT (RFC 3261 §25.1: TEXT-UTF8char, LWS), unless escaped as a
  // quoted-pair inside a quoted string ("\" then the byte, as in a quoted display name: RFC 4475
  // §3.1.1.4). Quoting is followed line by line; outside quotes a backslash escapes nothing.
  bool quoted = false;
  for (std::size_t i = 0; i < head.size(); ++i) {
    const auto u = static_cast<unsigned char>(head[i]);
    if (u == '\n') {
      quoted = false;  // a new line: no quote runs on
    } else if (quoted && u == '\\' && i + 1 < head.size() && head[i + 1] != '\r') {
      ++i;  // quoted-pair: the next byte is taken as it is
    } else if (u == '"') {
      quoted = !quoted;
    } else if ((u < 0x20 && u != '\t' && u != '\r') || u == 0x7f) {
      fail(400, "Control Byte In Header");
      break;
    }
  }
  check_request_line(start);

  while (!lines.empty()) {
    auto e = lines.find("\r\n");
    std::string_view line = lines.substr(0, e);
    lines = e == std::string_view::npos ? std::string_view{} : lines.substr(e + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      fail(400, "Bad Header Line");
      continue;
    }
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && is_ws(name.back())) name.remove_suffix(1);
    if (!is_token(name)) {
      fail(400, "Bad Header Name");
      continue;
    }
    headers.push_back(Header{name, trim(line.substr(colon + 1)), header_id(name)});
  }
  classify_headers(stream, rest);
  return true;
}

void SipMessage::classify_headers(bool stream, std::string_view rest) {
  int n_from = 0, n_to = 0, n_callid = 0, n_cseq = 0, n_mf = 0, n_cl = 0;
  for (const auto& h : headers) {
    switch (h.id) {
      case HeaderId::via:
        for (auto v : split_values(h.value)) {
          via_values.push_back(v);
          Via via;
          if (!parse_via(v, via)) fail(400, "Bad Via");
          vias.push_back(via);
        }
        break;
      case HeaderId::from:
        ++n_from;
        from = h.value;
        if (!parse_name_addr(h.value, from_addr)) fail(400, "Bad From");
        break;
      case HeaderId::to:
        ++n_to;
        to = h.value;
        if (!parse_name_addr(h.value, to_addr)) fail(400, "Bad To");
        break;
      case HeaderId::call_id:
        ++n_callid;
        call_id = h.value;
        // callid = word ["@" word] (RFC 3261 §25.1): no space, no control byte, at most one '@' between two
        // words. Other printable bytes outside "word" pass: some equipment pads Call-IDs with '='.
        if (call_id.empty() || call_id.find_first_of(" \t") != std::string_view::npos ||
            std::any_of(call_id.begin(), call_id.end(), [](char c) { return (unsigned char)c < 0x20 || c == 0x7f; }) ||
            call_id.front() == '@' || call_id.back() == '@' || std::count(call_id.begin(), call_id.end(), '@') > 1)
          fail(400, "Bad Call-ID");
        break;
      case HeaderId::cseq: {
        ++n_cseq;
        cseq = h.value;
        auto sp = h.value.find_first_of(" \t");
        std::uint64_t n = 0;
        if (sp == std::string_view::npos || !parse_digits(h.value.substr(0, sp), 0x7fffffff, n)) {
          fail(400, "Bad CSeq");
          break;
        }
        cseq_number = std::uint32_t(n);
        cseq_method = trim(h.value.substr(sp));
        if (!is_token(cseq_method)) fail(400, "Bad CSeq");
        break;
      }
      case HeaderId::max_forwards: {
        ++n_mf;
        std::uint64_t n = 0;
        if (!parse_digits(h.value, 255, n)) fail(400, "Bad Max-Forwards");
        else max_forwards = int(n);
        break;
      }
      case HeaderId::content_length: {
        ++n_cl;
        std::uint64_t n = 0;
        auto digits = h.value;  // 1*DIGIT: leading zeros are fine, however many (the TCP framer agrees)
        while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
        if (!parse_digits(digits, 1u << 30, n)) fail(400, "Bad Content-Length");
        else content_length = long(n);
        break;
      }
      case HeaderId::contact:
        // "*" only in a REGISTER that removes every binding (RFC 3261 §10.2.2, §20.10)
        if (h.value == "*" && method_id != Method::register_) fail(400, "Bad Contact");
        if (h.value != "*") {
          for (auto v : split_values(h.value)) {
            NameAddr na;
            if (!parse_name_addr(v, na)) fail(400, "Bad Contact");
          }
        }
        break;
      case HeaderId::date:
        // RFC 3261 §20.17: rfc1123-date, always "GMT".
        if (h.value.size() < 4 || h.value.substr(h.value.size() - 4) != " GMT") fail(400, "Bad Date");
        break;
      default:
        break;
    }
  }
  if (n_from > 1 || n_to > 1 || n_callid > 1 || n_cseq > 1 || n_mf > 1)
    fail(400, "Multiple Values In Single-Value Header");
  if (n_cl > 1) fail(400, "Multiple Content-Length");
  if (n_from == 0 || n_to == 0 || n_callid == 0 || n_cseq == 0 || via_values.empty())
    fail(400, "Missing Required Header");
  if (n_cseq == 1 && !cseq_method.empty() && cseq_method != method) fail(400, "CSeq Method Mismatch");
  // Body (RFC 3261 §18.3): Content-Length bytes; over UDP the rest of the datagram when absent.
  if (content_length >= 0) {
    if (std::size_t(content_length) > rest.size()) {
      fail(400, "Content-Length Larger Than Body");
      body = rest;
    } else {
      body = rest.substr(0, std::size_t(content_length));
    }
  } else {
    if (stream && n_cl == 0) fail(400, "Missing Content-Length");
    body = rest;
  }
  // Unknown Request-URI scheme (RFC 3261 §8.2.2.1) only when the message is otherwise sound.
  if (error_status == 0 && !uri_scheme.empty() && !iequals(uri_scheme, "sip") && !iequals(uri_scheme, "sips") &&
      !iequals(uri_scheme, "tel"))
    fail(416, "Unsupported URI Scheme");
}

}  // namespace assist::sip
