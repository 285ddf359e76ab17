#pragma once
// Evaluation of a Classifier on a labelled corpus (shared/data/classify/*.jsonl: one JSON object a line,
// {"id","text","category","request_type","urgency"}). Used by tests and `assistctl eval`.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "routing/classify/classifier.h"

namespace assist {

/// One labelled text.
struct Labelled {
  std::string id, text, category, request_type, urgency;
};

/// Parses JSON Lines; blank lines are skipped. Throws std::runtime_error("line N: ...") on a bad line.
std::vector<Labelled> parse_labelled_jsonl(std::string_view jsonl);

/// Scores for one class of one label.
struct ClassScores {
  int support = 0;    ///< gold count
  int predicted = 0;  ///< predicted count
  int correct = 0;
  double precision = 0, recall = 0, f1 = 0;
};

/// One label (category, request_type or urgency).
struct LabelReport {
  std::string name;                               ///< "category" ...
  std::vector<std::string> classes;               ///< ids in taxonomy order
  std::map<std::string, ClassScores> per_class;
  std::vector<std::vector<int>> confusion;        ///< [gold][predicted], indices into `classes`
  double accuracy = 0;
  double macro_f1 = 0;                            ///< mean F1 over classes with support or predictions
};

struct Miss {
  std::string id, text, label, gold, predicted;
};

struct EvalReport {
  int total = 0;
  LabelReport category, request_type, urgency;
  double critical_recall = 0;               ///< critical calls predicted critical / critical calls (1 if none)
  int urgent_or_critical_to_general = 0;    ///< gold critical/urgent social-assistance calls predicted not_social_assistance
  int below_min_confidence = 0;             ///< predictions with confidence < min_confidence
  std::vector<Miss> misses;                 ///< every wrong label, in corpus order
};

/// Classifies every text and compares with the gold labels. Pure.
EvalReport evaluate(const Classifier& classifier, const std::vector<Labelled>& corpus);

/// A human-readable report: per-label accuracy / macro-F1, per-class P/R/F1, confusion matrix, critical figures.
/// With `with_misses`, the misses are listed too.
std::string to_text(const EvalReport& report, bool with_misses = false);

}  // namespace assist
