#pragma once
// Caller numbers never appear in full in logs or API answers (PIPL; DESIGN "Masking").
#include <string>
#include <string_view>

namespace assist {

/// Masks a phone number: 7 digits or more keep the first 3 (a landline its area code) and the last 4,
/// always with four stars ("138****5678",
/// "0471****5678"); shorter ones keep only the last 2 ("***45"). Non-digit characters such as
/// a leading '+' or "sip:" are dropped before counting. An empty input gives "".
std::string mask_number(std::string_view number);

/// Masks every run of 7 or more digits inside free text (ASR transcripts, notes) the same way.
std::string mask_numbers_in_text(std::string_view text);

/// A caller number as the store keys it and the monitoring list hashes it: digits only, a leading +86 /
/// 0086 / 86 before an 11-digit mobile number dropped ("+86 138-0000-1234", "tel:+86-138-0000-1234" and
/// "8613800001234" are all "13800001234"). "" when there are no digits: a withheld number ("anonymous",
/// "unknown", RFC 3323 §4.1.1.3), which never joins another call's ticket.
std::string normalize_number(std::string_view number);

}  // namespace assist
