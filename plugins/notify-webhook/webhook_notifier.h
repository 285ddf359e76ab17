#pragma once
// notify-webhook: delivers each outbox message as one JSON POST (DESIGN "On the wire"), signed when a
// secret is configured: X-Assist-Timestamp (Unix seconds) and
// X-Assist-Signature: sha256=<hex of HMAC-SHA256(secret, timestamp + "." + body)>. 2xx = delivered;
// 408, 429 and 5xx and transport errors are retried; other 4xx are permanent. libcurl, one easy handle
// per worker thread, as many workers as deliveries may be in flight.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "routing/config/config.h"
#include "routing/escalation/notifier.h"

namespace assist {

/// HMAC-SHA256 of `data` under `key`, lower-case hex.
std::string hmac_sha256_hex(const std::string& key, const std::string& data);

class WebhookNotifier final : public Notifier {
 public:
  explicit WebhookNotifier(WebhookConfig config);
  ~WebhookNotifier() override;
  void deliver(const OutboxMessage& m, std::function<void(DeliveryResult)> done) override;
  void stop() override;

 private:
  struct Job {
    std::string body;
    std::function<void(DeliveryResult)> done;
  };
  void work();
  DeliveryResult post(void* curl, const std::string& body);
  WebhookConfig config_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace assist
