#include "plugins/notify-webhook/webhook_notifier.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>

namespace assist {

std::string hmac_sha256_hex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[mac[i] >> 4]);
    out.push_back(hex[mac[i] & 15]);
  }
  return out;
}

namespace {
size_t discard(char*, size_t size, size_t n, void*) { return size * n; }
}  // namespace

WebhookNotifier::WebhookNotifier(WebhookConfig config) : config_(std::move(config)) {
  static const bool curl_ready = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)curl_ready;
  for (int i = 0; i < std::max(1, config_.max_in_flight); ++i) workers_.emplace_back([this] { work(); });
}

WebhookNotifier::~WebhookNotifier() { stop(); }

void WebhookNotifier::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
}

void WebhookNotifier::deliver(const OutboxMessage& m, std::function<void(DeliveryResult)> done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;  // not delivered: stays pending in the store for the next start
    jobs_.push_back({m.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), std::move(done)});
  }
  cv_.notify_one();
}

void WebhookNotifier::work() {
  CURL* curl = curl_easy_init();
  while (true) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) break;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job.done(curl ? post(curl, job.body) : DeliveryResult{false, false, "curl could not start"});
  }
  if (curl) curl_easy_cleanup(curl);
}

DeliveryResult WebhookNotifier::post(void* handle, const std::string& body) {
  CURL* curl = static_cast<CURL*>(handle);
  curl_easy_reset(curl);
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8");
  if (!config_.secret.empty()) {
    const auto ts = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    headers = curl_slist_append(headers, ("X-Assist-Timestamp: " + ts).c_str());
    headers = curl_slist_append(
        headers, ("X-Assist-Signature: sha256=" + hmac_sha256_hex(config_.secret, ts + "." + body)).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, config_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<long long>(config_.timeout.count(), 5000)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) return {false, false, std::string("webhook: ") + curl_easy_strerror(rc)};
  if (status >= 200 && status < 300) return {true, false, ""};
  const bool retry = status == 408 || status == 429 || status >= 500;
  return {false, !retry, "webhook: HTTP " + std::to_string(status)};
}

}  // namespace assist
