#pragma once
// Text that arrives in another character set than UTF-8: Chinese telephony still sends GBK / GB18030
// (an ASR engine, an IVR) where the product stores UTF-8.
#include <optional>
#include <string>
#include <string_view>

namespace assist {

/// `text` read as GB18030 (a superset of GBK and GB2312) and written as UTF-8, when every byte of it
/// converts (glibc iconv); nullopt when it does not (then it was not GB18030 either). Thread-safe.
std::optional<std::string> gb18030_to_utf8(std::string_view text);

/// Whether `text` is UTF-8 apart from, at most, a character cut short at its very end (an ASR cut at a
/// byte limit): then it is UTF-8, and another character set must not be tried on it.
bool utf8_but_cut_at_end(std::string_view text);

}  // namespace assist
