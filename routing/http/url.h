#pragma once
// Percent-decoding of request targets (RFC 3986 §2.1), shared by the API and the static files.
#include <optional>
#include <string>
#include <string_view>

namespace assist {

/// "abc%40host" -> "abc@host"; nullopt for a bad or truncated escape. `plus_is_space` for query strings
/// (application/x-www-form-urlencoded); in a path '+' is itself (a Call-ID may hold one, RFC 3261 §25.1).
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space = false);

}  // namespace assist
