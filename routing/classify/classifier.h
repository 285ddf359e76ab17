#pragma once
// Classification of a call into the taxonomy's three labels (shared reference: call-taxonomy.md):
// category, request type, urgency, with a confidence and the reasons (the rules that matched and the
// policy clause each stands for). Rules are data: ops/rules/default.yaml, validated against
// schemas/rules.schema.json. Pure: no I/O after construction; thread-safe for concurrent classify().
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "routing/classify/call_facts.h"
#include "routing/classify/monitoring_list.h"
#include "routing/classify/reason.h"

namespace assist {

struct Classification {
  std::string category;      ///< taxonomy category id
  std::string request_type;  ///< consult | help | complaint | report | suggestion
  std::string urgency;       ///< critical | urgent | normal
  double confidence = 0;     ///< 0..1
  std::vector<Reason> reasons;
  std::string language;      ///< "zh" or "mn": X-Caller-Language, else IVR Mongolian prefix, else "zh"
  bool social_menu = false;  ///< the caller chose the social-assistance IVR menu (never general queue unseen)
  std::vector<std::string> flags;  ///< priority flags that never change the urgency: "monitored_household"
  /// An agent must see it: confidence below min_confidence, Mongolian, or the social-assistance menu. Such a
  /// call is ticketed even when labelled not_social_assistance (DESIGN "Unsure calls").
  bool unsure = false;
};

/// The taxonomy's ids, in the taxonomy's order (shared reference: call-taxonomy.md).
const std::vector<std::string>& category_ids();
const std::vector<std::string>& request_type_ids();
const std::vector<std::string>& urgency_ids();
/// An urgency's severity: 0 for critical, 1 urgent, 2 normal (its place in urgency_ids()); an unknown id
/// ranks after all of them. Lower is more urgent.
int urgency_rank(const std::string& urgency);

/// A rules file that cannot be used; what() names the source, line and key ("rules.yaml:12: cues[3].weight: ...").
class RulesError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Classifier {
 public:
  /// Builds a classifier from a rules YAML text; `source` names it in errors. Throws RulesError.
  static std::shared_ptr<const Classifier> from_yaml(std::string_view yaml, std::string_view source);
  /// The built-in rules (ops/rules/default.yaml compiled in).
  static std::shared_ptr<const Classifier> builtin();

  /// The same rules with a monitoring list (or none): callers on it get the `monitored_household` flag.
  std::shared_ptr<const Classifier> with_monitoring(std::shared_ptr<const MonitoringList> list) const;
  const MonitoringList* monitoring() const { return monitoring_.get(); }

  /// Classifies a call. Uses asr_text, ivr_digits, language and caller (monitoring list); never throws on any
  /// input text. The call path, `POST /api/v1/classify` and `assistctl classify` all come through here.
  Classification classify(const CallFacts& facts) const;
  /// Classifies an agent's summary or any free text (same code path as calls).
  Classification classify_text(std::string_view text, std::string_view ivr_digits = "") const;

  /// The rules file's `min_confidence` (default file: 0.6): below it the router treats a call as unsure
  /// (DESIGN "Unsure calls").
  double min_confidence() const;
  /// Number of rules loaded (for logs and `assistctl`).
  size_t rule_count() const;
  /// Approximate heap bytes of the loaded rules (automata, patterns, rules), for `scripts/bench classify`.
  size_t memory_bytes() const;
  /// Number of distinct patterns (cues, conditions, negation words) in the matcher.
  size_t pattern_count() const;
  /// The patterns, normalized (for the benchmark's naive baseline and for tests).
  std::vector<std::string> patterns() const;
  /// The text as the rules see it (fold, OpenCC t2s, numerals, homophones, fillers).
  std::string normalize(std::string_view text) const;

  ~Classifier();
  struct Impl;

 private:
  Classifier(std::shared_ptr<const Impl> impl, std::shared_ptr<const MonitoringList> list);
  std::shared_ptr<const Impl> impl_;
  std::shared_ptr<const MonitoringList> monitoring_;
};

}  // namespace assist
