#include "routing/common/charset.h"

#include <iconv.h>

#include <cerrno>

#include "routing/classify/utf8.h"

namespace assist {

std::string gb18030_to_utf8(std::string_view text) {
  std::string out;
  iconv_t cd = ::iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) return utf8::valid_or_replaced(text);
  char buf[4096];
  char* in = const_cast<char*>(text.data());
  std::size_t in_left = text.size();
  while (in_left > 0) {
    char* to = buf;
    std::size_t to_left = sizeof buf;
    const std::size_t rc = ::iconv(cd, &in, &in_left, &to, &to_left);
    out.append(buf, sizeof buf - to_left);
    if (rc != static_cast<std::size_t>(-1)) break;
    if (errno == E2BIG) continue;  // the buffer is full: go on
    out += "\xEF\xBF\xBD";         // EILSEQ (not GB18030) or EINVAL (cut at the end): U+FFFD, next byte
    ++in;
    --in_left;
  }
  ::iconv_close(cd);
  return out;
}

bool looks_like_gb18030(std::string_view text) {
  std::size_t good = 0, bad = 0;  // non-ASCII bytes in valid UTF-8 sequences, and the others
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t n = utf8::decode(text, i, cp);
    if (n == 0) {
      // a UTF-8 character cut short at the very end (an ASR byte limit): a lead byte, then only
      // continuation bytes to the end of the text, fewer than the character needs
      const auto lead = static_cast<unsigned char>(text[i]);
      bool cut = lead >= 0xC2 && lead <= 0xF4 && text.size() - i < (lead >= 0xF0 ? 4u : lead >= 0xE0 ? 3u : 2u);
      for (std::size_t k = i + 1; cut && k < text.size(); ++k)
        cut = (static_cast<unsigned char>(text[k]) & 0xC0) == 0x80;
      if (cut) break;
      ++bad;
      ++i;
    } else {
      good += n;
      i += n;
    }
  }
  return bad > 0 && bad * 4 > good;
}

}  // namespace assist
