// StaticFiles (STYLE "Serving files safely"): GET/HEAD only, no "..", a MIME table with charset=utf-8
// on every text type, index.html for a folder, 301 for a mount without its slash; the embedded UI files.
#include "routing/http/static_files.h"

#include <catch2/catch.hpp>

#include <map>

using namespace assist::http;
namespace beasthttp = boost::beast::http;

namespace {

const std::map<std::string, std::string, std::less<>> kFiles = {
    {"web/pane/index.html", "<!doctype html><title>面板</title>"},
    {"web/pane/app.js", "export const x = 1;"},
    {"web/pane/sub/index.html", "sub"},
    {"secret.txt", "do not serve"},
};

StaticFiles fake() {
  return StaticFiles({{"/pane/", "web/pane/"}}, [](std::string_view p) -> std::optional<std::string_view> {
    auto it = kFiles.find(p);
    if (it == kFiles.end()) return std::nullopt;
    return std::string_view(it->second);
  });
}

Response get(const StaticFiles& f, const std::string& target, beasthttp::verb v = beasthttp::verb::get) {
  Request req{v, target, 11};
  return f.serve(req);
}

}  // namespace

TEST_CASE("static: MIME table with charset=utf-8 on every text type", "[http][static]") {
  CHECK(mime_type("a/index.html") == "text/html; charset=utf-8");
  CHECK(mime_type("board.js") == "text/javascript; charset=utf-8");
  CHECK(mime_type("x.CSS") == "text/css; charset=utf-8");
  CHECK(mime_type("d.json") == "application/json; charset=utf-8");
  CHECK(mime_type("i.svg") == "image/svg+xml; charset=utf-8");
  CHECK(mime_type("p.png") == "image/png");
  CHECK(mime_type("noext") == "application/octet-stream");
  CHECK(mime_type("dir.v2/noext") == "application/octet-stream");
  for (const char* f : {"a.html", "a.js", "a.mjs", "a.css", "a.json", "a.svg", "a.txt", "a.md"}) {
    INFO(f);
    CHECK_THAT(mime_type(f), Catch::Contains("charset=utf-8"));
  }
}

TEST_CASE("static: files, folders, HEAD and the mount without its slash", "[http][static]") {
  const auto f = fake();
  auto r = get(f, "/pane/?ticket=SA-1");
  CHECK(r.result_int() == 200);
  CHECK(r[beasthttp::field::content_type] == "text/html; charset=utf-8");
  CHECK(r.body() == kFiles.at("web/pane/index.html"));
  CHECK_FALSE(r[beasthttp::field::etag].empty());
  r = get(f, "/pane/app.js");
  CHECK(r[beasthttp::field::content_type] == "text/javascript; charset=utf-8");
  CHECK(get(f, "/pane/sub/").body() == "sub");
  r = get(f, "/pane/app.js", beasthttp::verb::head);
  CHECK(r.result_int() == 200);
  CHECK(r.body().empty());
  CHECK(r[beasthttp::field::content_length] == std::to_string(kFiles.at("web/pane/app.js").size()));
  r = get(f, "/pane?call=abc%40host");
  CHECK(r.result_int() == 301);
  CHECK(r[beasthttp::field::location] == "/pane/?call=abc%40host");
  CHECK(get(f, "/pane/missing.js").result_int() == 404);
  CHECK(f.handles("/pane/x") == true);
  CHECK(f.handles("/pane") == true);
  CHECK(f.handles("/panel") == false);
  CHECK(f.handles("/api/v1/tickets") == false);
}

TEST_CASE("static: ETag revalidation answers 304", "[http][static]") {
  const auto f = fake();
  const auto etag = std::string(get(f, "/pane/app.js")[beasthttp::field::etag]);
  Request req{beasthttp::verb::get, "/pane/app.js", 11};
  req.set(beasthttp::field::if_none_match, etag);
  CHECK(f.serve(req).result_int() == 304);
}

TEST_CASE("static: no '..', encoded or not; GET and HEAD only", "[http][static]") {
  const auto f = fake();
  for (const char* t : {"/pane/../secret.txt", "/pane/%2e%2e/secret.txt", "/pane/%2E%2E%2Fsecret.txt", "/pane/..%5csecret.txt",
                        "/pane/a\\b", "/pane//etc/passwd", "/pane/%00", "/pane/%zz", "/pane/%2"}) {
    INFO(t);
    CHECK(get(f, t).result_int() == 400);
  }
  auto r = get(f, "/pane/app.js", beasthttp::verb::post);
  CHECK(r.result_int() == 405);
  CHECK(r[beasthttp::field::allow] == "GET, HEAD");
  CHECK(get(f, "/pane/app.js", beasthttp::verb::delete_).result_int() == 405);
}

TEST_CASE("static: the UIs are compiled in", "[http][static]") {
  const auto& f = StaticFiles::builtin();
  for (const char* t : {"/pane/", "/board/", "/board/board.js", "/pane/pane.js", "/common/api.js", "/common/base.css"}) {
    INFO(t);
    const auto r = get(f, t);
    CHECK(r.result_int() == 200);
    CHECK_THAT(std::string(r[beasthttp::field::content_type]), Catch::EndsWith("charset=utf-8"));
  }
  CHECK_THAT(get(f, "/board/").body(), Catch::Contains("<meta charset=\"utf-8\">"));
}
