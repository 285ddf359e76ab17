#include "routing/http/static_files.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <utility>

#include "routing/common/resources.h"
#include "routing/http/url.h"

namespace assist::http {
namespace beasthttp = boost::beast::http;

namespace {

Response plain(beasthttp::status status, unsigned version, std::string body) {
  Response res{status, version};
  res.set(beasthttp::field::content_type, "text/plain; charset=utf-8");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// FNV-1a: a content tag for ETag, stable across runs of the same binary.
std::string etag_of(std::string_view data) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

std::string mime_type(std::string_view path) {
  static const std::array<std::pair<std::string_view, std::string_view>, 14> table = {{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json; charset=utf-8"},
      {".svg", "image/svg+xml; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".md", "text/markdown; charset=utf-8"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".webmanifest", "application/manifest+json; charset=utf-8"},
  }};
  const auto slash = path.rfind('/');
  const auto dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
    return "application/octet-stream";
  std::string ext(path.substr(dot));
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [e, type] : table)
    if (e == ext) return std::string(type);
  return "application/octet-stream";
}

StaticFiles::StaticFiles(std::vector<StaticMount> mounts, Source source)
    : mounts_(std::move(mounts)), source_(std::move(source)) {}

const StaticFiles& StaticFiles::builtin() {
  static const StaticFiles files({{"/pane/", "plugins/ticket-pane/web/"},
                                  {"/board/", "plugins/sla-board/web/"},
                                  {"/common/", "plugins/web-common/web/"}},
                                 [](std::string_view p) { return resources::find(p); });
  return files;
}

bool StaticFiles::handles(std::string_view path) const {
  for (const auto& m : mounts_) {
    const std::string_view prefix = m.url_prefix;
    if (path.starts_with(prefix) || path == prefix.substr(0, prefix.size() - 1)) return true;
  }
  return false;
}

Response StaticFiles::serve(const Request& req) const {
  const unsigned v = req.version();
  if (req.method() != beasthttp::verb::get && req.method() != beasthttp::verb::head) {
    auto res = plain(beasthttp::status::method_not_allowed, v, "GET or HEAD only\n");
    res.set(beasthttp::field::allow, "GET, HEAD");
    return res;
  }
  const std::string_view target = req.target();
  const auto qpos = target.find('?');
  const std::string_view raw = target.substr(0, qpos);
  if (raw.empty() || raw[0] != '/') return plain(beasthttp::status::bad_request, v, "bad target\n");
  const auto path = percent_decode(raw);
  if (!path || path->find("..") != std::string::npos || path->find('\\') != std::string::npos ||
      path->find('\0') != std::string::npos || path->find("//") != std::string::npos)
    return plain(beasthttp::status::bad_request, v, "bad target\n");

  for (const auto& m : mounts_) {
    if (*path == m.url_prefix.substr(0, m.url_prefix.size() - 1)) {
      Response res{beasthttp::status::moved_permanently, v};
      res.set(beasthttp::field::location,
              m.url_prefix + (qpos == std::string_view::npos ? std::string() : std::string(target.substr(qpos))));
      res.prepare_payload();
      return res;
    }
    if (!path->starts_with(m.url_prefix)) continue;
    std::string rel = path->substr(m.url_prefix.size());
    if (rel.empty() || rel.back() == '/') rel += "index.html";
    const std::string resource = m.resource_prefix + rel;
    const auto data = source_ ? source_(resource) : std::nullopt;
    if (!data) return plain(beasthttp::status::not_found, v, "not found\n");
    const std::string etag = etag_of(*data);
    Response res{beasthttp::status::ok, v};
    res.set(beasthttp::field::content_type, mime_type(rel));
    res.set(beasthttp::field::cache_control, "no-cache");  // revalidate: a new binary serves new files
    res.set(beasthttp::field::etag, etag);
    res.set("X-Content-Type-Options", "nosniff");
    if (req[beasthttp::field::if_none_match] == etag) {
      res.result(beasthttp::status::not_modified);
      return res;
    }
    if (req.method() == beasthttp::verb::head) {
      res.content_length(data->size());
      return res;
    }
    res.body() = std::string(*data);
    res.prepare_payload();
    return res;
  }
  return plain(beasthttp::status::not_found, v, "not found\n");
}

}  // namespace assist::http
