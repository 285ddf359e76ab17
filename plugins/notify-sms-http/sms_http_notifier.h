#pragma once
// notify-sms-http: sends each message as one templated HTTP request to an SMS platform, to the
// recipient's `address` (a phone number) in the directory. The text is the message's short form and,
// when it fits, its link, kept within `max_chars` characters (140: one long SMS). Placeholders in `body`
// and `url`: {phone}, {text}, {id}, {ticket}; JSON-escaped when content_type is JSON, else URL-encoded.
// Config `notify.sms_http`: url (required), method (POST), content_type (application/json), body
// (default {"phone":"{phone}","text":"{text}","id":"{id}"}), timeout (10s), max_in_flight (4), max_chars (140).
#include "plugins/notify-common/curl_pool.h"

namespace assist {

/// The SMS text for a message within `max_chars` code points.
std::string sms_text(const OutboxMessage& m, size_t max_chars);
/// Fills the placeholders of `tmpl`; `json` escapes for a JSON body, else URL-encodes.
std::string fill_template(const std::string& tmpl, const std::map<std::string, std::string>& values, bool json);

class SmsHttpNotifier final : public Notifier {
 public:
  explicit SmsHttpNotifier(const nlohmann::json& config);
  void deliver(const OutboxMessage& m, std::function<void(DeliveryResult)> done) override;
  void stop() override { pool_.stop(); }
  int max_in_flight() const override { return max_in_flight_; }

 private:
  std::string url_, method_, content_type_, body_;
  Millis timeout_;
  int max_in_flight_, max_chars_;
  CurlPool pool_;
};

}  // namespace assist
