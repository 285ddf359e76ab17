#include "plugins/notify-webhook/webhook_notifier.h"

#include <curl/curl.h>

#include <chrono>

namespace assist {

namespace {
size_t discard(char*, size_t size, size_t n, void*) { return size * n; }
}  // namespace

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
        CURL* curl = static_cast<CURL*>(handle);
        curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json; charset=utf-8");
        if (!secret_.empty()) {
          const auto ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
          headers = curl_slist_append(headers, ("X-Assist-Timestamp: " + ts).c_str());
          headers = curl_slist_append(
              headers, ("X-Assist-Signature: sha256=" + hmac_sha256_hex(secret_, ts + "." + body)).c_str());
        }
        curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<long long>(timeout_.count(), 5000)));
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        const CURLcode rc = curl_easy_perform(curl);
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(headers);
        return http_result(rc, status, "webhook");
      },
      std::move(done));
}

}  // namespace assist
