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

/// Masks phone numbers inside free text (ASR transcripts, notes, Call-IDs) the same way: a mobile or
/// landline number written whole or in groups (138-1234-5678, 138.1234.5678, +86 471 691 2345, full-width
/// digits), and any other run of 7 or more digits, except what is known to be no phone number and must
/// stay legible: a ticket id (SA-20261130-000001), a date (20261130), a division code of this region
/// (150102001, 150102001001), a 7-digit number starting with 1.
std::string mask_numbers_in_text(std::string_view text);

/// A caller number as the store keys it and the monitoring list hashes it, in this country's national form:
/// digits only after dropping the separators - . ( ) and spaces (ASCII digits and separators, or as a Chinese input
/// method types them: full-width, an ideographic space, Unicode dashes, a middle dot, a no-break space); +86 / 0086 before a mobile number dropped,
/// before a landline turned into its trunk 0 ("+86 471 623 4567" is "04716234567"); 86 before a mobile and a
/// trunk 0 before a mobile dropped ("8613800001234", "013800001234" are "13800001234"); another country's
/// number as 00 and its digits ("+1-671-555-1234" is "0016715551234"). "" for anything that is not a
/// number: a withheld one ("anonymous", "unknown", RFC 3323 §4.1.1.3), a name ("alice", "room1"), fewer
/// than 3 digits. A caller "" never joins another call's ticket.
std::string normalize_number(std::string_view number);

}  // namespace assist
