#pragma once
// Builds SIP responses to a parsed request (RFC 3261 §8.2.6): every Via in order (the top one with
// RFC 3581 received/rport filled in when asked), From, To (with our To-tag added to final responses that
// need one), Call-ID, CSeq, Server, Content-Length: 0, plus what the status needs (Contact and the
// decision's headers for 302, Allow for 200-to-OPTIONS and 405, Retry-After for 503).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "routing/sip/message.h"

namespace assist::sip {

/// The allowed methods of this redirect server (Allow header of 405 and of 200 to OPTIONS).
inline constexpr std::string_view kAllow = "INVITE, ACK, CANCEL, OPTIONS";

struct ResponseParts {
  std::string_view to_tag;   ///< added to To when it has no tag and this is not empty
  std::string_view contact;  ///< Contact URI (302), without <>
  const std::vector<std::pair<std::string, std::string>>* headers = nullptr;  ///< extra headers, in order
  bool allow = false;        ///< emit Allow: kAllow
  int retry_after = 0;       ///< seconds; emitted when > 0
  std::string_view server;   ///< Server header value; omitted when empty
  std::string_view received; ///< when not empty, ";received=<this>" is added to the top Via
  int rport = -1;            ///< when >= 0 and the top Via has a bare rport, it becomes rport=<this>
};

/// The standard reason phrase of a status code ("Moved Temporarily" for 302), "" for unknown codes.
std::string_view reason_phrase(int status);

/// Serializes a response to `req` with `status` and `reason` (reason_phrase(status) when empty).
std::string build_response(const SipMessage& req, int status, std::string_view reason, const ResponseParts& parts);

/// The part of a response that depends only on the request: the Via, From, To (with `parts.to_tag` when
/// `final` and the To has none), Call-ID and CSeq lines. Lets a pending INVITE keep a small string
/// instead of the request.
std::string response_common(const SipMessage& req, bool final, const ResponseParts& parts);
/// A whole response from a status, a reason ("" = standard) and the output of response_common: the
/// Contact, extra headers, Allow, Retry-After and Server of `parts`, then Content-Length: 0.
std::string response_from_common(int status, std::string_view reason, std::string_view common,
                                 const ResponseParts& parts);

/// A fresh random To-tag (16 hex characters; RFC 3261 §19.3 wants 32 bits of randomness at least).
std::string make_tag();

}  // namespace assist::sip
