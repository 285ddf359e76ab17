#include "plugins/notify-smtp/smtp_notifier.h"

#include <curl/curl.h>

#include <cstring>

#include "routing/common/hmac.h"
#include "routing/common/time_format.h"

namespace assist {
namespace {

struct Upload {
  const std::string* data;
  size_t pos = 0;
};

size_t read_upload(char* buf, size_t size, size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  const size_t room = size * n;
  const size_t left = u->data->size() - u->pos;
  const size_t k = std::min(room, left);
  std::memcpy(buf, u->data->data() + u->pos, k);
  u->pos += k;
  return k;
}

// RFC 5322 date in +0800, e.g. "Mon, 30 Nov 2026 10:00:00 +0800"
std::string mail_date(Instant now) {
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto local = std::chrono::floor<std::chrono::seconds>(now + kShanghaiOffset);
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::weekday wd{day};
  const std::chrono::hh_mm_ss hms{local - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02ld:%02ld:%02ld +0800", days[wd.c_encoding()], unsigned(ymd.day()),
                months[unsigned(ymd.month()) - 1], int(ymd.year()), long(hms.hours().count()),
                long(hms.minutes().count()), long(hms.seconds().count()));
  return buf;
}

// Wraps base64 at 76 characters (RFC 2045 §6.8).
std::string wrapped(const std::string& b64) {
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
  return out;
}

// RFC 2047 §2: an encoded-word is at most 75 characters; a long subject becomes several words on folded
// lines, each holding whole UTF-8 characters (45 bytes at most: 60 base64 characters).
std::string encoded_words(const std::string& text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = i, next = i;
    while (next < text.size()) {
      size_t len = 1;
      const auto b = static_cast<unsigned char>(text[next]);
      if (b >= 0xF0) len = 4; else if (b >= 0xE0) len = 3; else if (b >= 0xC0) len = 2;
      if (next + len - i > 45) break;
      next += len;
      end = next;
    }
    if (end == i) end = std::min(text.size(), i + 45);  // not UTF-8: cut anyway
    out += (out.empty() ? "" : "\r\n ") + std::string("=?UTF-8?B?") + base64(text.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

}  // namespace

std::string smtp_payload(const OutboxMessage& m, const std::string& from, const std::string& to, Instant now) {
  const std::string kind = m.kind == "dispatch" ? "派单" : m.kind == "warning" ? "预警" : "督办";
  const std::string subject = "【12345社会救助" + kind + "】工单 " + m.ticket_id;
  std::string out;
  out += "Date: " + mail_date(now) + "\r\n";
  out += "From: <" + from + ">\r\n";
  out += "To: <" + to + ">\r\n";
  // the same message id always gives the same Message-ID (a mail system may deduplicate on it)
  out += "Message-ID: <" + hmac_sha256_hex("assistline", m.id).substr(0, 32) + "@assistline>\r\n";
  out += "Subject:\r\n " + encoded_words(subject) + "\r\n";  // folded at once: each word fits a line
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "X-Assist-Message-Id:\r\n " + m.id + "\r\n";  // folded: ids run long
  out += "\r\n";
  out += wrapped(base64(m.body.value("text", std::string()) + "\r\n"));
  return out;
}

SmtpNotifier::SmtpNotifier(const nlohmann::json& config)
    : url_(config_string(config, "url", true)), from_(config_string(config, "from", true)),
      username_(config_string(config, "username", false)), password_(config_string(config, "password", false)),
      timeout_(config_duration(config, "timeout", Millis(30000))),
      max_in_flight_(config_int(config, "max_in_flight", 4, 1, 64)), pool_(max_in_flight_) {
  if (!url_.starts_with("smtp://") && !url_.starts_with("smtps://"))
    throw std::invalid_argument("url: must start with smtp:// or smtps://");
  if (from_.find('@') == std::string::npos) throw std::invalid_argument("from: an e-mail address");
}

void SmtpNotifier::deliver(const OutboxMessage& m, std::function<void(DeliveryResult)> done) {
  const std::string to = m.body.contains("to") ? m.body["to"].value("address", std::string()) : std::string();
  if (to.find('@') == std::string::npos) {
    done({false, true, "smtp: the recipient has no e-mail address in the directory"});
    return;
  }
  auto payload = std::make_shared<std::string>(smtp_payload(m, from_, to, m.created_at));
  pool_.submit(
      [this, payload, to](void* handle) {
        CURL* curl = static_cast<CURL*>(handle);
        Upload up{payload.get()};
        curl_slist* rcpt = curl_slist_append(nullptr, ("<" + to + ">").c_str());
        curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
        curl_easy_setopt(curl, CURLOPT_MAIL_FROM, ("<" + from_ + ">").c_str());
        curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
        curl_easy_setopt(curl, CURLOPT_READDATA, &up);
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        if (!username_.empty()) {
          curl_easy_setopt(curl, CURLOPT_USERNAME, username_.c_str());
          curl_easy_setopt(curl, CURLOPT_PASSWORD, password_.c_str());
        }
        const CURLcode rc = curl_easy_perform(curl);
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(rcpt);
        if (rc == CURLE_OK) return DeliveryResult{true, false, ""};
        // 5xx from the relay for the recipient is permanent; connection trouble and 4xx are retried
        const bool permanent = rc == CURLE_LOGIN_DENIED || (status >= 500 && status < 600 && rc == CURLE_RECV_ERROR);
        return DeliveryResult{false, permanent, std::string("smtp: ") + curl_easy_strerror(rc) +
                                                    (status ? " (" + std::to_string(status) + ")" : "")};
      },
      std::move(done));
}

}  // namespace assist
