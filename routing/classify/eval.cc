// Evaluation of the classifier on labelled corpora (see eval.h).
#include "routing/classify/eval.h"

#include <cstdio>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace assist {

std::vector<Labelled> parse_labelled_jsonl(std::string_view jsonl) {
  std::vector<Labelled> out;
  size_t pos = 0;
  int line_no = 0;
  while (pos <= jsonl.size()) {
    size_t nl = jsonl.find('\n', pos);
    std::string_view line = jsonl.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    ++line_no;
    pos = nl == std::string_view::npos ? jsonl.size() + 1 : nl + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    try {
      auto j = nlohmann::json::parse(line);
      out.push_back({j.value("id", ""), j.at("text").get<std::string>(), j.at("category").get<std::string>(),
                     j.at("request_type").get<std::string>(), j.at("urgency").get<std::string>()});
    } catch (const std::exception& e) {
      throw std::runtime_error("line " + std::to_string(line_no) + ": " + e.what());
    }
  }
  return out;
}

namespace {

void init(LabelReport& r, const char* name, const std::vector<std::string>& classes) {
  r.name = name;
  r.classes = classes;
  r.confusion.assign(classes.size(), std::vector<int>(classes.size(), 0));
  for (const auto& c : classes) r.per_class[c] = {};
}

int idx(const LabelReport& r, const std::string& c) {
  for (size_t i = 0; i < r.classes.size(); ++i)
    if (r.classes[i] == c) return static_cast<int>(i);
  return -1;
}

void tally(LabelReport& r, const std::string& gold, const std::string& pred) {
  auto& g = r.per_class[gold];
  auto& p = r.per_class[pred];
  ++g.support;
  ++p.predicted;
  if (gold == pred) ++g.correct;
  int gi = idx(r, gold), pi = idx(r, pred);
  if (gi >= 0 && pi >= 0) ++r.confusion[static_cast<size_t>(gi)][static_cast<size_t>(pi)];
}

void finish(LabelReport& r, int total) {
  int correct = 0, n = 0;
  double sum = 0;
  for (auto& [c, s] : r.per_class) {
    correct += s.correct;
    s.precision = s.predicted ? double(s.correct) / s.predicted : 0;
    s.recall = s.support ? double(s.correct) / s.support : 0;
    s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0;
    if (s.support || s.predicted) {
      sum += s.f1;
      ++n;
    }
  }
  r.accuracy = total ? double(correct) / total : 0;
  r.macro_f1 = n ? sum / n : 0;
}

}  // namespace

EvalReport evaluate(const Classifier& classifier, const std::vector<Labelled>& corpus) {
  EvalReport r;
  init(r.category, "category", category_ids());
  init(r.request_type, "request_type", request_type_ids());
  init(r.urgency, "urgency", urgency_ids());
  int critical = 0, critical_hit = 0;
  for (const auto& item : corpus) {
    const auto c = classifier.classify_text(item.text);
    ++r.total;
    tally(r.category, item.category, c.category);
    tally(r.request_type, item.request_type, c.request_type);
    tally(r.urgency, item.urgency, c.urgency);
    if (item.urgency == "critical") {
      ++critical;
      if (c.urgency == "critical") ++critical_hit;
    }
    if ((item.urgency == "critical" || item.urgency == "urgent") && item.category != "not_social_assistance" &&
        c.category == "not_social_assistance")
      ++r.urgent_or_critical_to_general;
    if (c.confidence < classifier.min_confidence()) ++r.below_min_confidence;
    if (c.category != item.category) r.misses.push_back({item.id, item.text, "category", item.category, c.category});
    if (c.request_type != item.request_type)
      r.misses.push_back({item.id, item.text, "request_type", item.request_type, c.request_type});
    if (c.urgency != item.urgency) r.misses.push_back({item.id, item.text, "urgency", item.urgency, c.urgency});
  }
  finish(r.category, r.total);
  finish(r.request_type, r.total);
  finish(r.urgency, r.total);
  r.critical_recall = critical ? double(critical_hit) / critical : 1.0;
  return r;
}

std::string to_text(const EvalReport& r, bool with_misses) {
  std::string s;
  char buf[256];
  std::snprintf(buf, sizeof buf, "texts: %d\n", r.total);
  s += buf;
  for (const LabelReport* l : {&r.category, &r.request_type, &r.urgency}) {
    std::snprintf(buf, sizeof buf, "\n%s: accuracy %.3f  macro-F1 %.3f\n", l->name.c_str(), l->accuracy, l->macro_f1);
    s += buf;
    for (const auto& c : l->classes) {
      const auto& p = l->per_class.at(c);
      std::snprintf(buf, sizeof buf, "  %-26s n=%3d pred=%3d  P %.2f  R %.2f  F1 %.2f\n", c.c_str(), p.support,
                    p.predicted, p.precision, p.recall, p.f1);
      s += buf;
    }
    s += "  confusion (rows gold, columns predicted, in the order above):\n";
    for (const auto& row : l->confusion) {
      s += "   ";
      for (int v : row) {
        std::snprintf(buf, sizeof buf, " %3d", v);
        s += buf;
      }
      s += '\n';
    }
  }
  std::snprintf(buf, sizeof buf,
                "\ncritical recall: %.3f\ncritical/urgent sent to not_social_assistance: %d\nbelow min_confidence: %d\n",
                r.critical_recall, r.urgent_or_critical_to_general, r.below_min_confidence);
  s += buf;
  if (with_misses) {
    s += "\nmisses:\n";
    for (const auto& m : r.misses)
      s += "  " + m.id + " " + m.label + ": gold " + m.gold + ", got " + m.predicted + "  " + m.text + "\n";
  }
  return s;
}

}  // namespace assist
