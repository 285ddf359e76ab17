#include "routing/http/links.h"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "routing/common/hmac.h"

namespace assist {
namespace {
std::mutex g_mu;
std::shared_ptr<const LinkSigner> g_signer;
}  // namespace

void LinkSigner::install(std::shared_ptr<const LinkSigner> s) {
  std::lock_guard lock(g_mu);
  g_signer = std::move(s);
}

std::shared_ptr<const LinkSigner> LinkSigner::installed() {
  std::lock_guard lock(g_mu);
  return g_signer;
}

std::string LinkSigner::sign(const std::string& path, const std::string& exp) const {
  return hmac_sha256_hex(secret_, path + "|" + exp).substr(0, 32);
}

std::string LinkSigner::url(const std::string& path, Instant now) const {
  const auto exp = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>((now + ttl_).time_since_epoch()).count());
  return public_url_ + path + "?exp=" + exp + "&sig=" + sign(path, exp);
}

std::string LinkSigner::token(const std::string& message_id) const {
  static const char* b32 = "abcdefghijkmnpqrstuvwxyz23456789";  // no l, o, 0, 1: read off a phone
  const std::string mac = hmac_sha256_hex(secret_, "short|" + message_id);
  std::string out;
  for (size_t i = 0; i < 12; ++i) out.push_back(b32[std::stoi(mac.substr(i * 2, 2), nullptr, 16) % 32]);
  return out;
}

bool LinkSigner::verify(const std::string& path, const std::string& exp, const std::string& sig, Instant now) const {
  if (exp.empty() || exp.size() > 12 || exp.find_first_not_of("0123456789") != std::string::npos) return false;
  if (sig.size() != 32) return false;
  const auto expected = sign(path, exp);
  unsigned diff = 0;  // constant time
  for (size_t i = 0; i < 32; ++i) diff |= static_cast<unsigned>(expected[i] ^ sig[i]);
  if (diff != 0) return false;
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return std::stoll(exp) >= now_s;
}

std::string link_secret(const std::string& configured, const std::string& key_file) {
  if (!configured.empty()) return configured;
  {
    std::ifstream in(key_file);
    std::string key;
    if (in && std::getline(in, key) && key.size() >= 32) return key;
  }
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("cannot draw a random link key");
  static const char* hex = "0123456789abcdef";
  std::string key;
  for (unsigned char b : raw) {
    key.push_back(hex[b >> 4]);
    key.push_back(hex[b & 15]);
  }
  const mode_t old = umask(077);
  std::ofstream out(key_file, std::ios::trunc);
  umask(old);
  if (!(out << key << "\n")) throw std::runtime_error(key_file + ": cannot write the link key");
  return key;
}

}  // namespace assist
