#include "plugins/notify-sms-http/sms_http_notifier.h"

#include <curl/curl.h>

#include <map>

namespace assist {
namespace {

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(static_cast<char>(c));
    else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace

std::string sms_text(const OutboxMessage& m, size_t max_chars) {
  const std::string text = m.body.value("short_text", m.body.value("text", std::string()));
  const char* key = m.kind == "escalation" ? "ack_url" : m.kind == "dispatch" ? "signoff_url" : "link";
  const std::string link = m.body.value("short_url", m.body.value(key, m.body.value("link", std::string())));
  if (!link.empty() && utf8_length(text) + 1 + utf8_length(link) <= max_chars) return text + " " + link;
  return utf8_prefix(text, max_chars);
}

std::string fill_template(const std::string& tmpl, const std::map<std::string, std::string>& values, bool json) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    if (tmpl[i] == '{') {
      const size_t end = tmpl.find('}', i);
      if (end != std::string::npos) {
        auto it = values.find(tmpl.substr(i + 1, end - i - 1));
        if (it != values.end()) {
          if (json) {
            const std::string quoted = nlohmann::json(it->second).dump();
            out += quoted.substr(1, quoted.size() - 2);
          } else {
            out += url_encode(it->second);
          }
          i = end + 1;
          continue;
        }
      }
    }
    out.push_back(tmpl[i++]);
  }
  return out;
}

SmsHttpNotifier::SmsHttpNotifier(const nlohmann::json& config)
    : url_(config_string(config, "url", true)), method_(config_string(config, "method", false)),
      content_type_(config_string(config, "content_type", false)), body_(config_string(config, "body", false)),
      timeout_(config_duration(config, "timeout", Millis(10000))),
      max_in_flight_(config_int(config, "max_in_flight", 4, 1, 64)),
      max_chars_(config_int(config, "max_chars", 140, 40, 1000)), pool_(max_in_flight_) {
  if (!url_.starts_with("http://") && !url_.starts_with("https://"))
    throw std::invalid_argument("url: must start with http:// or https://");
  if (method_.empty()) method_ = "POST";
  if (method_ != "POST" && method_ != "PUT" && method_ != "GET") throw std::invalid_argument("method: POST, PUT or GET");
  if (content_type_.empty()) content_type_ = "application/json";
  if (body_.empty()) body_ = R"({"phone":"{phone}","text":"{text}","id":"{id}"})";
}

void SmsHttpNotifier::deliver(const OutboxMessage& m, std::function<void(DeliveryResult)> done) {
  const std::string phone = m.body.contains("to") ? m.body["to"].value("address", std::string()) : std::string();
  if (phone.empty() || phone.find_first_not_of("+0123456789-") != std::string::npos) {
    done({false, true, "sms_http: the recipient has no phone number in the directory"});
    return;
  }
  const std::map<std::string, std::string> values = {
      {"phone", phone}, {"text", sms_text(m, static_cast<size_t>(max_chars_))}, {"id", m.id}, {"ticket", m.ticket_id}};
  const bool json = content_type_.find("json") != std::string::npos;
  auto url = std::make_shared<std::string>(fill_template(url_, values, false));
  auto body = std::make_shared<std::string>(method_ == "GET" ? "" : fill_template(body_, values, json));
  pool_.submit(
      [this, url, body](void* handle) {
        curl_slist* headers = curl_slist_append(nullptr, ("Content-Type: " + content_type_ + "; charset=utf-8").c_str());
        return http_exchange(handle, method_, *url, *body, headers, timeout_, "sms_http");
      },
      std::move(done));
}

}  // namespace assist
