#pragma once
// notify-webhook: delivers each outbox message as one JSON POST (DESIGN "On the wire"), signed when a
// secret is configured: X-Assist-Timestamp (Unix seconds) and
// X-Assist-Signature: sha256=<hex of HMAC-SHA256(secret, timestamp + "." + body)>. 2xx = delivered;
// 408, 429, 5xx and transport errors are retried; other 4xx are permanent.
// Config `notify.webhook`: url (required), secret, timeout (10s), max_in_flight (8).
#include "plugins/notify-common/curl_pool.h"
#include "routing/common/hmac.h"

namespace assist {


class WebhookNotifier final : public Notifier {
 public:
  /// Throws std::invalid_argument("<key>: what") for a bad config.
  explicit WebhookNotifier(const nlohmann::json& config);
  void deliver(const OutboxMessage& m, std::function<void(DeliveryResult)> done) override;
  void stop() override { pool_.stop(); }
  int max_in_flight() const override { return max_in_flight_; }

 private:
  std::string url_, secret_;
  Millis timeout_;
  int max_in_flight_;
  CurlPool pool_;
};

}  // namespace assist
