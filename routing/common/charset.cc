#include "routing/common/charset.h"

#include <iconv.h>

#include <cerrno>

#include "routing/classify/utf8.h"

namespace assist {

std::optional<std::string> gb18030_to_utf8(std::string_view text) {
  iconv_t cd = ::iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out(text.size() * 2 + 8, '\0');  // a GB18030 character (1, 2 or 4 bytes) is at most 4 in UTF-8
  char* in = const_cast<char*>(text.data());
  std::size_t in_left = text.size();
  char* to = out.data();
  std::size_t to_left = out.size();
  const std::size_t rc = ::iconv(cd, &in, &in_left, &to, &to_left);
  ::iconv_close(cd);
  if (rc == static_cast<std::size_t>(-1) || in_left != 0) return std::nullopt;
  out.resize(out.size() - to_left);
  return out;
}

bool utf8_but_cut_at_end(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t n = utf8::decode(text, i, cp);
    if (n == 0) return text.size() - i < 4 && static_cast<unsigned char>(text[i]) >= 0xC0 &&
                       [&] {  // a lead byte and only continuation bytes after it: a cut character
                         for (std::size_t k = i + 1; k < text.size(); ++k)
                           if ((static_cast<unsigned char>(text[k]) & 0xC0) != 0x80) return false;
                         return true;
                       }();
    i += n;
  }
  return true;
}

}  // namespace assist
