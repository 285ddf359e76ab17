#pragma once
// Text that arrives in another character set than UTF-8: Chinese telephony still sends GBK / GB18030
// (an ASR engine, an IVR) where the product stores UTF-8.
#include <string>
#include <string_view>

namespace assist {

/// `text` read as GB18030 (a superset of GBK and GB2312) and written as UTF-8 (glibc iconv); a byte that
/// does not convert, or a character cut short at the end, becomes U+FFFD and the rest is still read.
/// Thread-safe.
std::string gb18030_to_utf8(std::string_view text);

/// Whether `text`, not valid UTF-8, is more likely GB18030 than damaged UTF-8: its non-ASCII bytes are
/// mostly not in valid UTF-8 sequences (UTF-8 with a byte lost, or cut at its end, has a few bad bytes
/// among many good ones; GBK text has few good ones by accident). False for valid UTF-8.
bool looks_like_gb18030(std::string_view text);

}  // namespace assist
