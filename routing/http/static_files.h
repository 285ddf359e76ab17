#pragma once
// The web UIs' static files (STYLE "Serving files safely"; issue 7), served from the copies compiled
// into the binary (cmake/embed.cmake), so the daemon serves them from any folder:
//   /pane/   -> plugins/ticket-pane/web/   (坐席工单面板)
//   /board/  -> plugins/sla-board/web/     (SLA 监控大屏)
//   /common/ -> plugins/web-common/web/    (modules both pages import)
// GET and HEAD only; the target must start with '/', and after percent-decoding hold no "..", no
// backslash and no NUL; a MIME type from a table, with "charset=utf-8" on every text type (a page
// without it shows Chinese as mojibake in some browsers); 404 for a missing file.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routing/http/server.h"

namespace assist::http {

struct StaticMount {
  std::string url_prefix;       ///< "/pane/"
  std::string resource_prefix;  ///< "plugins/ticket-pane/web/"
};

/// The Content-Type for a file by its extension: "text/html; charset=utf-8", "text/javascript;
/// charset=utf-8", ...; "application/octet-stream" when the extension is not in the table.
std::string mime_type(std::string_view path);

class StaticFiles {
 public:
  /// The bytes of a file by its resource path, or nullopt.
  using Source = std::function<std::optional<std::string_view>(std::string_view path)>;
  StaticFiles(std::vector<StaticMount> mounts, Source source);
  /// The UI mounts above over the embedded files.
  static const StaticFiles& builtin();

  /// True when the path (without the query) is a mount, or a mount without its trailing slash.
  bool handles(std::string_view path) const;
  /// 200 with the file (HEAD: its headers only) and an ETag (304 for If-None-Match); "/pane" -> 301
  /// "/pane/" with the query kept; a directory -> its index.html; 400 unsafe target; 404 missing;
  /// 405 other methods.
  Response serve(const Request& req) const;

 private:
  std::vector<StaticMount> mounts_;
  Source source_;
};

}  // namespace assist::http
