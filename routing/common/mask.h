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

}  // namespace assist
