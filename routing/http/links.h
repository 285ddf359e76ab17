#pragma once
// Signed links in messages (issue 6, DESIGN "signed links in messages, which work without logging in"):
// a coordinator acknowledges an escalation, an office signs a dispatch off, from a phone, with no account.
// A link is `<public_url><path>?exp=<unix seconds>&sig=<hex>` where sig is the first 32 hex digits of
// HMAC-SHA256(secret, path + "|" + exp). Expired or altered links are refused (403).
#include <memory>
#include <optional>
#include <string>

#include "routing/common/clock.h"

namespace assist {

class LinkSigner {
 public:
  LinkSigner(std::string secret, std::string public_url, Millis ttl)
      : secret_(std::move(secret)), public_url_(std::move(public_url)), ttl_(ttl) {}
  /// The full signed URL for `path` ("/links/ack/<message id>"), valid until now + ttl.
  std::string url(const std::string& path, Instant now) const;
  /// A short, unguessable token for a message id (12 base32 characters: 60 bits of an HMAC), for the SMS
  /// link `<public_url>/l/<token>` that redirects to the message's full signed link.
  std::string token(const std::string& message_id) const;
  const std::string& public_url() const { return public_url_; }
  /// True when `sig` signs `path` with `exp` and exp is not past.
  bool verify(const std::string& path, const std::string& exp, const std::string& sig, Instant now) const;

  /// The signer messages use (set once at start; nullptr = unsigned links to the API paths).
  static void install(std::shared_ptr<const LinkSigner> s);
  static std::shared_ptr<const LinkSigner> installed();

 private:
  std::string sign(const std::string& path, const std::string& exp) const;
  std::string secret_, public_url_;
  Millis ttl_;
};

/// The link secret: `configured` when set, else a random key kept in `key_file` (created 0600 on first
/// use), so links survive restarts. Throws std::runtime_error when the file cannot be read or written.
std::string link_secret(const std::string& configured, const std::string& key_file);

}  // namespace assist
