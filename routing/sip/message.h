#pragma once
// A strict, focused SIP message parser (RFC 3261 §7, §20, §25). The message owns one copy of the bytes
// (header folding is undone in place) and every field is a string_view into that copy, so a
// SipMessage is neither copyable nor movable: parse into one that lives as long as you need it.
//
// Parsing never throws on untrusted input. A request that can be framed is parsed as far as possible
// (so that a 400 can still copy Via/From/To/Call-ID/CSeq) and the first problem found is recorded in
// `error_status` / `error_reason` (400, 505 for another SIP version, 416 for an unknown URI scheme).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace assist::sip {

enum class Method { invite, ack, cancel, options, bye, register_, other };

/// Well-known header fields, compact forms folded in (RFC 3261 §7.3.3: v, f, t, i, m, l, c, k, s, e, ...).
enum class HeaderId {
  other, via, from, to, call_id, cseq, max_forwards, content_length, contact, date,
  p_asserted_identity, content_type
};

struct Header {
  std::string_view name;   ///< as received ("v", "MaX-fOrWaRdS")
  std::string_view value;  ///< unfolded (CRLF+WS became spaces), trimmed
  HeaderId id = HeaderId::other;
};

/// One Via value (RFC 3261 §20.42, §18.2.2; RFC 3581 rport).
struct Via {
  std::string_view raw;        ///< the whole value as received (trimmed)
  std::string_view transport;  ///< "UDP", "TCP", "TLS", ...
  std::string_view host;       ///< sent-by host, IPv6 without brackets
  std::uint16_t port = 0;      ///< sent-by port, 0 when absent
  std::string_view branch;     ///< "" when absent
  bool has_branch = false;
  bool rport = false;          ///< rport parameter present (with or without value)
  std::string_view rport_param;  ///< the "rport" / "rport=123" parameter text inside `raw`
  std::string_view received;   ///< received parameter value, "" when absent
  bool valid = false;          ///< parsed without error
};

/// A name-addr / addr-spec with parameters (From, To, Contact, P-Asserted-Identity; RFC 3261 §20.10).
struct NameAddr {
  std::string_view uri;  ///< "sip:alice@example.com"
  std::string_view tag;  ///< tag parameter value, "" when absent
  bool has_tag = false;
};

class SipMessage {
 public:
  SipMessage() = default;
  SipMessage(const SipMessage&) = delete;
  SipMessage& operator=(const SipMessage&) = delete;

  bool is_request = false;
  bool is_response = false;
  // Request line.
  std::string_view method;
  Method method_id = Method::other;
  std::string_view request_uri;
  std::string_view uri_scheme;  ///< lower-case comparison is up to the caller
  // Status line (responses are parsed only to be dropped).
  int status_code = 0;

  std::vector<Header> headers;
  std::vector<std::string_view> via_values;  ///< every Via value, in order, raw (for copying)
  std::vector<Via> vias;                     ///< the same, parsed
  std::string_view from, to, call_id, cseq;  ///< raw values of the single-value headers
  NameAddr from_addr, to_addr;
  std::uint32_t cseq_number = 0;
  std::string_view cseq_method;
  int max_forwards = -1;  ///< -1 when absent
  long content_length = -1;  ///< -1 when absent
  std::string_view body;

  int error_status = 0;       ///< 0 = valid
  std::string error_reason;   ///< reason phrase for the error response

  bool ok() const { return error_status == 0; }
  /// The first header with this name (case-insensitive, full name; compact forms are not matched).
  const Header* find(std::string_view name) const;
  /// The first header with this id.
  const Header* find(HeaderId id) const;
  /// The top Via when it parsed, else nullptr.
  const Via* top_via() const { return !vias.empty() && vias.front().valid ? &vias.front() : nullptr; }

  /// Parses `bytes` (one UDP datagram, or one message framed from a stream). `stream` = true means
  /// Content-Length is mandatory (RFC 3261 §18.3). Returns false when the bytes are not a SIP message at
  /// all (no start line / no header end): nothing can be answered. Otherwise true; check ok(). A head
  /// whose lines all end in a bare LF is read with CRLF put back and fails 400 "Lines Must End In CRLF"
  /// (RFC 3261 §7), so the sender learns why; a CR or LF alone inside a CRLF head fails 400 too.
  bool parse(std::string_view bytes, bool stream);

 private:
  void fail(int status, std::string_view reason);
  void check_request_line(std::string_view line);
  void classify_headers(bool stream, std::string_view rest);

  std::string storage_;
};

/// Case-insensitive ASCII equality.
bool iequals(std::string_view a, std::string_view b);
/// RFC 3261 §25.1 token characters.
bool is_token(std::string_view s);
/// Parses a name-addr or addr-spec with header parameters. Returns false (and leaves `out` partly
/// filled) on a syntax error: unbalanced quotes, whitespace inside <>, a display name that is not
/// tokens, an addr-spec with '?' or ',', empty parameters.
bool parse_name_addr(std::string_view value, NameAddr& out);
/// Parses one Via value (RFC 3261 §20.42: SIP / 2.0 / transport sent-by *(; param)), LWS allowed
/// around '/', ';' and '='. Returns false on a syntax error.
bool parse_via(std::string_view value, Via& out);
/// Splits a header value at commas that are outside quotes and angle brackets (RFC 3261 §7.3.1).
std::vector<std::string_view> split_values(std::string_view value);
/// The user part of a sip/sips/tel URI, parameters removed, percent-decoded ("" when none).
std::string uri_user(std::string_view uri);
/// Percent-decodes `s`; returns false (and leaves `out` unspecified) on a bad escape.
bool percent_decode(std::string_view s, std::string& out);

}  // namespace assist::sip
