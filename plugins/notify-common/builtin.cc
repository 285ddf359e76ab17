// The built-in notifier plugins, registered by name. Explicit registration (not static initialisers),
// so that a static library never drops a plugin at link time.
#include "plugins/notify-sms-http/sms_http_notifier.h"
#include "plugins/notify-smtp/smtp_notifier.h"
#include "plugins/notify-webhook/webhook_notifier.h"
#include "routing/escalation/notifier_registry.h"

namespace assist {

void register_builtin_notifiers(NotifierRegistry& r) {
  r.add("webhook", [](const nlohmann::json& c) { return std::make_unique<WebhookNotifier>(c); });
  r.add("smtp", [](const nlohmann::json& c) { return std::make_unique<SmtpNotifier>(c); });
  r.add("sms_http", [](const nlohmann::json& c) { return std::make_unique<SmsHttpNotifier>(c); });
}

}  // namespace assist
