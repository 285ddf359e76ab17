#pragma once
// What the SIP layer knows about a call when it arrives (DESIGN "The flow of one call"): the input of
// classification, routing and ticketing. Built from the INVITE by routing/sip, or by hand for the API.
#include <string>

namespace assist {

struct CallFacts {
  std::string call_id;      ///< SIP Call-ID, as received
  std::string caller;       ///< caller number (user part of P-Asserted-Identity, else From); never logged in full
  std::string dialed;       ///< user part of the Request-URI (e.g. "12345")
  std::string ivr_digits;   ///< X-IVR-Digits menu path ("3", "3*1"), "" when absent
  std::string asr_text;     ///< X-ASR-Text, percent-decoded UTF-8 (the caller's first words), "" when absent
  std::string region_hint;  ///< X-Region-Code, 12-digit (or 6/9-digit) statistical division code, "" when absent
  std::string language;     ///< X-Caller-Language ("zh", "mn"), "" when absent
  std::string transport;    ///< "udp" or "tcp"
};

}  // namespace assist
