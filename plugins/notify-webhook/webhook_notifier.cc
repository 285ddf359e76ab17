#include "plugins/notify-webhook/webhook_notifier.h"

#include <curl/curl.h>

#include <chrono>

namespace assist {

WebhookNotifier::WebhookNotifier(const nlohmann::json& config)
    : url_(config_string(config, "url", true)), secret_(config_string(config, "secret", false)),
      timeout_(config_duration(config, "timeout", Millis(10000))),
      max_in_flight_(config_int(config, "max_in_flight", 8, 1, 64)), pool_(max_in_flight_) {
  if (!url_.starts_with("http://") && !url_.starts_with("https://"))
    throw std::invalid_argument("url: must start with http:// or https://");
}

void WebhookNotifier::deliver(const OutboxMessage& m, std::function<void(DeliveryResult)> done) {
  std::string body = m.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  pool_.submit(
      [this, body = std::move(body)](void* handle) {
        curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json; charset=utf-8");
        if (!secret_.empty()) {
          const auto ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
          headers = curl_slist_append(headers, ("X-Assist-Timestamp: " + ts).c_str());
          headers = curl_slist_append(
              headers, ("X-Assist-Signature: sha256=" + hmac_sha256_hex(secret_, ts + "." + body)).c_str());
        }
        return http_exchange(handle, "POST", url_, body, headers, timeout_, "webhook");
      },
      std::move(done));
}

}  // namespace assist
