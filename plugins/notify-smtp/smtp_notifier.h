#pragma once
// notify-smtp: delivers each message as a UTF-8 e-mail through an SMTP relay (libcurl's SMTP client) to
// the recipient's `address` in the directory. Subject as RFC 2047 encoded-words (each at most 75
// characters, folded), body base64 text/plain, header lines within 78 characters; Message-ID is derived
// from the message's stable id so a mail system can deduplicate, and X-Assist-Message-Id carries the id.
// Config `notify.smtp`: url (smtp:// or smtps://, required), from (required), username, password,
// timeout (30s), max_in_flight (4).
#include "plugins/notify-common/curl_pool.h"

namespace assist {

/// The whole RFC 5322 message for `m` (headers and body), for tests and for the upload.
std::string smtp_payload(const OutboxMessage& m, const std::string& from, const std::string& to, Instant now);

class SmtpNotifier final : public Notifier {
 public:
  explicit SmtpNotifier(const nlohmann::json& config);
  void deliver(const OutboxMessage& m, std::function<void(DeliveryResult)> done) override;
  void stop() override { pool_.stop(); }
  int max_in_flight() const override { return max_in_flight_; }

 private:
  std::string url_, from_, username_, password_;
  Millis timeout_;
  int max_in_flight_;
  CurlPool pool_;
};

}  // namespace assist
