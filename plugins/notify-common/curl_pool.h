#pragma once
// What the libcurl-based notifiers share: a pool of worker threads, each with its own easy handle, as
// many as deliveries may be in flight for that notifier; and the small encoders they need.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "routing/common/clock.h"
#include "routing/escalation/notifier.h"

namespace assist {

class CurlPool {
 public:
  /// One attempt on a reset easy handle (a CURL*), returning its result. Runs on a worker thread.
  using Attempt = std::function<DeliveryResult(void* curl)>;
  explicit CurlPool(int workers);
  ~CurlPool();
  /// Queues an attempt; `done` gets its result on the worker thread. After stop(), nothing runs and
  /// `done` is not called (the message stays pending in the store).
  void submit(Attempt attempt, std::function<void(DeliveryResult)> done);
  void stop();

 private:
  void work();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<Attempt, std::function<void(DeliveryResult)>>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

/// Reads a wall-clock duration ("10s", "2m") from a config section; `fallback` when absent.
/// Throws std::invalid_argument("<key>: ...").
Millis config_duration(const nlohmann::json& section, const char* key, Millis fallback);
/// Reads a positive integer; throws std::invalid_argument("<key>: ...").
int config_int(const nlohmann::json& section, const char* key, int fallback, int lo, int hi);
/// Reads a string; throws std::invalid_argument when `required` and absent or empty.
std::string config_string(const nlohmann::json& section, const char* key, bool required);

/// Base64 (RFC 4648) of bytes.
std::string base64(const std::string& bytes);
/// The first `max` Unicode code points of UTF-8 text (never cutting a character).
std::string utf8_prefix(const std::string& text, size_t max);
/// Number of Unicode code points in UTF-8 text.
size_t utf8_length(const std::string& text);

/// The result of an HTTP exchange: 2xx ok; 408, 429, 5xx and transport errors retried; other 4xx permanent.
DeliveryResult http_result(int curl_code, long status, const std::string& what);

/// One HTTP exchange on a pooled curl handle (`handle`: the CURL* a CurlPool job gets): `method` "GET",
/// "POST" or "PUT" to `url` with `body` (ignored for GET) and `headers` (a curl_slist*, freed here);
/// http and https only, the answer's body discarded, `timeout` for the whole exchange and at most 5 s
/// to connect. Returns http_result(..., what).
DeliveryResult http_exchange(void* handle, const std::string& method, const std::string& url, const std::string& body,
                             void* headers, Millis timeout, const std::string& what);

}  // namespace assist
