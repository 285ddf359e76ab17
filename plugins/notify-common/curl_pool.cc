#include "plugins/notify-common/curl_pool.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

#include "routing/sla/duration.h"

namespace assist {

CurlPool::CurlPool(int workers) {
  static const bool curl_ready = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)curl_ready;
  for (int i = 0; i < std::max(1, workers); ++i) workers_.emplace_back([this] { work(); });
}

CurlPool::~CurlPool() { stop(); }

void CurlPool::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
}

void CurlPool::submit(Attempt attempt, std::function<void(DeliveryResult)> done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    jobs_.emplace_back(std::move(attempt), std::move(done));
  }
  cv_.notify_one();
}

void CurlPool::work() {
  CURL* curl = curl_easy_init();
  while (true) {
    std::pair<Attempt, std::function<void(DeliveryResult)>> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) break;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (!curl) {
      job.second({false, false, "curl could not start"});
      continue;
    }
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    job.second(job.first(curl));
  }
  if (curl) curl_easy_cleanup(curl);
}

Millis config_duration(const nlohmann::json& section, const char* key, Millis fallback) {
  if (!section.is_object() || !section.contains(key)) return fallback;
  const auto& v = section[key];
  const auto d = v.is_string() ? parse_duration(v.get<std::string>()) : std::nullopt;
  if (!d || d->unit != Duration::Unit::wall)
    throw std::invalid_argument(std::string(key) + ": a wall-clock duration such as 10s or 2m");
  return Millis(d->amount * 1000);
}

int config_int(const nlohmann::json& section, const char* key, int fallback, int lo, int hi) {
  if (!section.is_object() || !section.contains(key)) return fallback;
  const auto& v = section[key];
  if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > hi)
    throw std::invalid_argument(std::string(key) + ": a whole number from " + std::to_string(lo) + " to " +
                                std::to_string(hi));
  return v.get<int>();
}

std::string config_string(const nlohmann::json& section, const char* key, bool required) {
  std::string v;
  if (section.is_object() && section.contains(key)) {
    if (!section[key].is_string()) throw std::invalid_argument(std::string(key) + ": must be text");
    v = section[key];
  }
  if (required && v.empty()) throw std::invalid_argument(std::string(key) + ": required");
  return v;
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

size_t utf8_length(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string utf8_prefix(const std::string& text, size_t max) {
  size_t count = 0, i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (count == max) break;
      ++count;
    }
  }
  return text.substr(0, i);
}

namespace {
size_t discard(char*, size_t size, size_t n, void*) { return size * n; }
}  // namespace

DeliveryResult http_exchange(void* handle, const std::string& method, const std::string& url, const std::string& body,
                             void* headers, Millis timeout, const std::string& what) {
  CURL* curl = static_cast<CURL*>(handle);
  auto* list = static_cast<curl_slist*>(headers);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    if (method == "PUT") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<long long>(timeout.count(), 5000)));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(list);
  return http_result(rc, status, what);
}

DeliveryResult http_result(int curl_code, long status, const std::string& what) {
  if (curl_code != CURLE_OK)
    return {false, false, what + ": " + curl_easy_strerror(static_cast<CURLcode>(curl_code))};
  if (status >= 200 && status < 300) return {true, false, ""};
  const bool retry = status == 408 || status == 429 || status >= 500;
  return {false, !retry, what + ": HTTP " + std::to_string(status)};
}

}  // namespace assist
