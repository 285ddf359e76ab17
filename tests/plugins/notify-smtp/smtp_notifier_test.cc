// notify-smtp (issue 6): smtp_payload() is an RFC 5322 message with a UTF-8 RFC 2047 subject, a
// Message-ID derived from the stable message id, a base64 text/plain body, CRLF line ends and lines of
// at most 78 characters (RFC 5322 §2.1.1).
#include "plugins/notify-smtp/smtp_notifier.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "routing/common/time_format.h"

using namespace assist;
using Catch::Contains;
using Catch::StartsWith;

namespace {

std::string b64decode(const std::string& in) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=' || c == '\r' || c == '\n') continue;
    const auto v = alphabet.find(c);
    REQUIRE(v != std::string::npos);
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
  }
  return out;
}

struct Mail {
  std::vector<std::string> header_lines;  // unfolded lines as written
  std::string body;                       // after the blank line
};

Mail split(const std::string& payload) {
  Mail m;
  const auto sep = payload.find("\r\n\r\n");
  REQUIRE(sep != std::string::npos);
  const std::string head = payload.substr(0, sep + 2);
  m.body = payload.substr(sep + 4);
  size_t pos = 0;
  while (pos < head.size()) {
    const auto e = head.find("\r\n", pos);
    REQUIRE(e != std::string::npos);
    m.header_lines.push_back(head.substr(pos, e - pos));
    pos = e + 2;
  }
  return m;
}

// The value of header `name` with folded continuation lines joined (RFC 5322 §2.2.3).
std::string header(const Mail& m, const std::string& name) {
  for (size_t i = 0; i < m.header_lines.size(); ++i) {
    if (m.header_lines[i].rfind(name + ":", 0) == 0) {
      std::string v = m.header_lines[i].substr(name.size() + 1);
      for (size_t k = i + 1; k < m.header_lines.size() && !m.header_lines[k].empty() &&
                             (m.header_lines[k][0] == ' ' || m.header_lines[k][0] == '\t');
           ++k)
        v += m.header_lines[k];
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "(none)";
}

// Decodes a header value made of RFC 2047 B-encoded UTF-8 words separated by folding white space.
std::string decode_words(const std::string& v) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const auto s = v.find("=?UTF-8?B?", pos);
    if (s == std::string::npos) break;
    const auto e = v.find("?=", s + 10);
    REQUIRE(e != std::string::npos);
    out += b64decode(v.substr(s + 10, e - s - 10));
    pos = e + 2;
  }
  return out;
}

OutboxMessage message(const std::string& kind, const std::string& text) {
  OutboxMessage m;
  m.ticket_id = "SA-20261130-000001";
  m.kind = kind;
  m.level = kind == "dispatch" ? "office" : "township";
  m.reason = kind == "dispatch" ? "dispatched" : "first_response_overdue";
  m.id = m.ticket_id + "-" + kind + "-" + m.level + "-" + m.reason;
  m.body = {{"text", text}, {"short_text", "短"}, {"to", {{"address", "mz@xc.example.gov.cn"}}}};
  m.created_at = *parse_rfc3339("2026-11-30T10:00:00+08:00");
  return m;
}

const std::string kText =
    "【12345社会救助督办·苏木乡镇/街道】工单SA-20261130-000001：临时救助（求助，特急），地点：呼和浩特市 新城区 "
    "海拉尔东路街道 公主府社区。应于11月30日 10:15:00前签收并联系来电人，已超时未签收。请协调处理，并确认响应人及预计到达时间："
    "https://hotline.example.gov.cn/links/ack/SA-20261130-000001-escalation-township-first_response_overdue?exp=1764900000&sig="
    "0123456789abcdef0123456789abcdef 详情：https://hotline.example.gov.cn/pane/?ticket=SA-20261130-000001";

}  // namespace

TEST_CASE("smtp: payload headers, Message-ID and the base64 body", "[plugins][smtp][issue6]") {
  const auto m = message("escalation", kText);
  const std::string p = smtp_payload(m, "assistline@example.gov.cn", "mz@xc.example.gov.cn", m.created_at);
  const Mail mail = split(p);
  CHECK(header(mail, "From") == "<assistline@example.gov.cn>");
  CHECK(header(mail, "To") == "<mz@xc.example.gov.cn>");
  // Message-ID: derived from the stable id, the same for the same message, another for another message
  const std::string mid = header(mail, "Message-ID");
  CHECK_THAT(mid, StartsWith("<") && Catch::EndsWith("@assistline>"));
  CHECK(mid.find(' ') == std::string::npos);
  auto other = m;
  other.id = m.ticket_id + "-escalation-county-first_response_overdue";
  CHECK(header(split(smtp_payload(other, "assistline@example.gov.cn", "mz@xc.example.gov.cn", m.created_at)),
               "Message-ID") != mid);
  CHECK(header(mail, "X-Assist-Message-Id") == m.id);
  CHECK(header(mail, "Date") == "Mon, 30 Nov 2026 10:00:00 +0800");
  CHECK(header(mail, "MIME-Version") == "1.0");
  CHECK_THAT(header(mail, "Content-Type"), StartsWith("text/plain") && Contains("charset=UTF-8"));
  CHECK(header(mail, "Content-Transfer-Encoding") == "base64");
  // the body decodes to the text
  CHECK(b64decode(mail.body) == kText + "\r\n");
  // the same message gives the same Message-ID (receivers deduplicate on it)
  const auto again = split(smtp_payload(m, "assistline@example.gov.cn", "mz@xc.example.gov.cn", m.created_at + std::chrono::hours(1)));
  CHECK(header(again, "Message-ID") == header(mail, "Message-ID"));
}

TEST_CASE("smtp: the subject is an RFC 2047 word that decodes to the Chinese subject", "[plugins][smtp][issue6]") {
  for (const auto& [kind, word] : std::vector<std::pair<std::string, std::string>>{
           {"dispatch", "派单"}, {"warning", "预警"}, {"escalation", "督办"}}) {
    CAPTURE(kind);
    const auto m = message(kind, kText);
    const Mail mail = split(smtp_payload(m, "a@example.gov.cn", "b@example.gov.cn", m.created_at));
    const std::string subject = header(mail, "Subject");
    CHECK_THAT(subject, StartsWith("=?UTF-8?B?"));
    CHECK_THAT(subject, Catch::EndsWith("?="));
    CHECK(decode_words(subject) == "【12345社会救助" + word + "】工单 SA-20261130-000001");
  }
}

TEST_CASE("smtp: CRLF line ends only", "[plugins][smtp][issue6]") {
  const auto m = message("dispatch", "第一行\n第二行\r\n第三行");
  const std::string p = smtp_payload(m, "a@example.gov.cn", "b@example.gov.cn", m.created_at);
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\n') {
      CAPTURE(i);
      REQUIRE(i > 0);
      CHECK(p[i - 1] == '\r');
    }
    if (p[i] == '\r') {
      REQUIRE(i + 1 < p.size());
      CHECK(p[i + 1] == '\n');
    }
  }
  CHECK_THAT(p, Catch::EndsWith("\r\n"));
  // the text's own line breaks travel inside the base64, untouched
  CHECK(b64decode(split(p).body) == "第一行\n第二行\r\n第三行\r\n");
}

TEST_CASE("smtp: body lines stay within 76 characters", "[plugins][smtp][issue6]") {
  const auto m = message("escalation", kText + kText + kText);
  const Mail mail = split(smtp_payload(m, "a@example.gov.cn", "b@example.gov.cn", m.created_at));
  size_t pos = 0;
  int lines = 0;
  while (pos < mail.body.size()) {
    const auto e = mail.body.find("\r\n", pos);
    REQUIRE(e != std::string::npos);
    CHECK(e - pos <= 76);
    pos = e + 2;
    ++lines;
  }
  CHECK(lines > 3);
}

// RFC 5322 §2.1.1: each line SHOULD be at most 78 characters; RFC 2047 §2: an encoded-word is at most 75
// characters. plugins/notify-smtp/smtp_notifier.cc smtp_payload() (as of this writing, being reworked):
// the first line of the subject is "Subject: " + a word of 45 bytes (60 base64 characters, 72 in all) =
// 81 characters. (Before the rework: one 84-character word on a 93-character line, and the id headers on
// 82-86 character lines.) Suggested fix: start the words on a folded line ("Subject:\r\n =?UTF-8?B?...?=")
// or cap the first word at 39 bytes (52 base64 characters: a 73-character line).
TEST_CASE("smtp: every header line is at most 78 characters and every encoded word at most 75",
          "[plugins][smtp][issue6]") {
  for (const char* kind : {"dispatch", "warning", "escalation"}) {
    CAPTURE(kind);
    const auto m = message(kind, kText);
    const Mail mail = split(smtp_payload(m, "assistline@example.gov.cn", "mz@xc.example.gov.cn", m.created_at));
    for (const auto& line : mail.header_lines) {
      CAPTURE(line);
      CHECK(line.size() <= 78);
    }
    const std::string subject = header(mail, "Subject");
    size_t pos = 0;
    while ((pos = subject.find("=?", pos)) != std::string::npos) {
      const auto e = subject.find("?=", pos + 10);
      REQUIRE(e != std::string::npos);
      CHECK(e + 2 - pos <= 75);
      pos = e + 2;
    }
  }
}

TEST_CASE("smtp: a recipient without an e-mail address fails permanently, at once", "[plugins][smtp][issue6]") {
  SmtpNotifier n(nlohmann::json{{"url", "smtp://127.0.0.1:9"}, {"from", "a@example.gov.cn"}});
  auto m = message("dispatch", "x");
  m.body["to"] = {{"address", "13800000000"}};
  bool called = false;
  DeliveryResult got;
  n.deliver(m, [&](DeliveryResult r) {
    called = true;
    got = r;
  });
  CHECK(called);
  CHECK_FALSE(got.ok);
  CHECK(got.permanent);
  CHECK_THAT(got.error, Contains("e-mail"));
  n.stop();
}
