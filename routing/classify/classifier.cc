// Rule-based classifier (see classifier.h). Rules: ops/rules/default.yaml; schema: schemas/rules.schema.json.
#include "routing/classify/classifier.h"

#include <algorithm>
#include <array>
#include <map>
#include <nlohmann/json.hpp>

#include "routing/classify/text_match.h"
#include "routing/common/yaml_json.h"
#include "routing/common/resources.h"

namespace assist {

const std::vector<std::string>& category_ids() {
  static const std::vector<std::string> ids = {
      "minimum_living_allowance", "extreme_poverty_support", "temporary_assistance", "medical_assistance",
      "education_assistance",     "housing_assistance",      "employment_assistance", "disaster_relief",
      "care_services",            "stranded_person",         "hardship_report",       "not_social_assistance"};
  return ids;
}
const std::vector<std::string>& request_type_ids() {
  static const std::vector<std::string> ids = {"consult", "help", "complaint", "report", "suggestion"};
  return ids;
}
const std::vector<std::string>& urgency_ids() {
  static const std::vector<std::string> ids = {"critical", "urgent", "normal"};
  return ids;
}

namespace {

constexpr int kDims = 3;  // category, request_type, urgency
constexpr std::array<const char*, kDims> kDimNames = {"category", "request_type", "urgency"};
constexpr size_t kMaxHits = 1024;

const std::vector<std::string>& ids_of(int dim) {
  return dim == 0 ? category_ids() : dim == 1 ? request_type_ids() : urgency_ids();
}

int index_of(const std::vector<std::string>& ids, std::string_view id) {
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] == id) return static_cast<int>(i);
  return -1;
}

// "category=temporary_assistance" -> (0, 2); (-1, -1) when unknown.
std::pair<int, int> parse_label(std::string_view label) {
  auto eq = label.find('=');
  if (eq == std::string_view::npos) return {-1, -1};
  for (int d = 0; d < kDims; ++d)
    if (label.substr(0, eq) == kDimNames[static_cast<size_t>(d)]) {
      int l = index_of(ids_of(d), label.substr(eq + 1));
      return l < 0 ? std::pair{-1, -1} : std::pair{d, l};
    }
  return {-1, -1};
}

// Per-pattern flags for one text.
enum : uint8_t { kCueLive = 1, kCueAny = 2, kCond = 4 };

}  // namespace

struct Classifier::Impl {
  struct Rule {
    std::string id, label, clause;
    int dim = 0, label_index = 0;
    double weight = 0;
    bool negatable = true;
    std::vector<int> cues, with, unless;
  };
  Normalizer norm;
  Matcher matcher;
  std::vector<uint8_t> is_cue, is_neg;
  size_t max_cue_len = 0;
  int neg_window = 6;
  std::vector<Rule> rules;
  std::array<std::vector<double>, kDims> priors;
  double confidence_scale = 1.0;
  double min_confidence = 0.6;
  std::string social_menu = "3", emergency = "3*1", mongolian_prefix = "9";

  Classification run(std::string_view text, std::string_view ivr, std::string_view language) const;
};

Classifier::Classifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Classifier::~Classifier() = default;

double Classifier::min_confidence() const { return impl_->min_confidence; }
size_t Classifier::rule_count() const { return impl_->rules.size(); }

std::shared_ptr<const Classifier> Classifier::from_yaml(std::string_view yaml, std::string_view source) {
  const std::string src(source);
  YamlJson doc;
  try {
    doc = yaml_to_json(yaml, source);
  } catch (const YamlJsonError& e) {
    throw RulesError(e.what());
  }
  auto schema_text = resources::find("schemas/rules.schema.json");
  if (!schema_text) throw RulesError(src + ":0: (document): schemas/rules.schema.json is not embedded");
  try {
    validate_against(nlohmann::json::parse(*schema_text), doc, source);
  } catch (const YamlJsonError& e) {
    throw RulesError(e.what());
  } catch (const std::exception& e) {
    throw RulesError(src + ":0: (document): " + e.what());
  }
  auto fail = [&](const std::string& pointer, const std::string& msg) -> RulesError {
    return RulesError(YamlJsonError(src, doc.line_of(pointer), pointer_to_path(doc.value, pointer), msg).what());
  };

  const auto& v = doc.value;
  auto impl = std::make_unique<Impl>();
  impl->min_confidence = v.at("min_confidence").get<double>();
  impl->norm.max_bytes = v.value("max_text_bytes", 4096);
  impl->social_menu = v.at("ivr").at("social_menu").get<std::string>();
  impl->emergency = v.at("ivr").at("emergency").get<std::string>();
  impl->mongolian_prefix = v.at("ivr").at("mongolian_prefix").get<std::string>();

  auto folded = [&](const nlohmann::json& s, const std::string& pointer) {
    std::string f = Normalizer::fold(s.get<std::string>(), 256);
    if (f.empty() || f.find(kClauseMark) != std::string::npos)
      throw fail(pointer, std::string(1, '\'').append(s.get<std::string>()).append("' must be text without punctuation"));
    return f;
  };

  if (v.contains("normalize")) {
    const auto& n = v["normalize"];
    if (n.contains("fillers"))
      for (size_t i = 0; i < n["fillers"].size(); ++i)
        impl->norm.fillers.push_back(folded(n["fillers"][i], "/normalize/fillers/" + std::to_string(i)));
    if (n.contains("homophones"))
      for (const auto& [from, to] : n["homophones"].items())
        impl->norm.homophones.emplace_back(folded(nlohmann::json(from), "/normalize/homophones/" + from),
                                           Normalizer::fold(to.get<std::string>(), 256));
    std::stable_sort(impl->norm.homophones.begin(), impl->norm.homophones.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  }

  auto add_pattern = [&](const std::string& text, bool cue, bool neg) {
    const int id = impl->matcher.add(text);
    impl->is_cue.resize(impl->matcher.size(), 0);
    impl->is_neg.resize(impl->matcher.size(), 0);
    if (cue) {
      impl->is_cue[static_cast<size_t>(id)] = 1;
      impl->max_cue_len = std::max(impl->max_cue_len, text.size());
    }
    if (neg) impl->is_neg[static_cast<size_t>(id)] = 1;
    return id;
  };

  if (v.contains("negation")) {
    impl->neg_window = v["negation"].at("window").get<int>();
    const auto& w = v["negation"].at("words");
    for (size_t i = 0; i < w.size(); ++i)
      add_pattern(folded(w[i], "/negation/words/" + std::to_string(i)), false, true);
  }

  for (int d = 0; d < kDims; ++d) impl->priors[static_cast<size_t>(d)].assign(ids_of(d).size(), 0.0);
  const auto& sc = v.at("scoring");
  impl->confidence_scale = sc.at("confidence_scale").get<double>();
  for (const auto& [dim, table] : sc.at("priors").items()) {
    const int d = dim == "category" ? 0 : dim == "request_type" ? 1 : 2;
    for (const auto& [label, w] : table.items()) {
      const int l = index_of(ids_of(d), label);
      if (l < 0) throw fail("/scoring/priors/" + dim + "/" + label, "unknown " + dim + " '" + label + "'");
      impl->priors[static_cast<size_t>(d)][static_cast<size_t>(l)] = w.get<double>();
    }
  }

  std::map<std::string, size_t> seen;
  const auto& rules = v.at("rules");
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    const std::string ptr = "/rules/" + std::to_string(i);
    Impl::Rule rule;
    rule.id = r.at("id").get<std::string>();
    if (!seen.emplace(rule.id, i).second) throw fail(ptr + "/id", "duplicate rule id '" + rule.id + "'");
    rule.label = r.at("label").get<std::string>();
    auto [d, l] = parse_label(rule.label);
    if (d < 0) throw fail(ptr + "/label", "unknown label '" + rule.label + "'");
    rule.dim = d;
    rule.label_index = l;
    rule.weight = r.at("weight").get<double>();
    rule.clause = r.value("clause", "");
    rule.negatable = r.value("negatable", true);
    for (const char* key : {"cues", "with", "unless"}) {
      if (!r.contains(key)) continue;
      const bool cue = std::string_view(key) == "cues";
      auto& dst = cue ? rule.cues : std::string_view(key) == "with" ? rule.with : rule.unless;
      for (size_t k = 0; k < r[key].size(); ++k)
        dst.push_back(add_pattern(folded(r[key][k], ptr + "/" + key + "/" + std::to_string(k)), cue, false));
    }
    impl->rules.push_back(std::move(rule));
  }
  impl->matcher.build();
  return std::shared_ptr<const Classifier>(new Classifier(std::move(impl)));
}

std::shared_ptr<const Classifier> Classifier::builtin() {
  static const std::shared_ptr<const Classifier> instance = [] {
    auto text = resources::find("ops/rules/default.yaml");
    if (!text) throw RulesError("ops/rules/default.yaml:0: (document): not embedded in this binary");
    return from_yaml(*text, "ops/rules/default.yaml");
  }();
  return instance;
}

Classification Classifier::classify(const CallFacts& facts) const {
  return impl_->run(facts.asr_text, facts.ivr_digits, facts.language);
}

Classification Classifier::classify_text(std::string_view text, std::string_view ivr_digits) const {
  return impl_->run(text, ivr_digits, "");
}

Classification Classifier::Impl::run(std::string_view raw, std::string_view ivr, std::string_view language) const {
  Classification out;
  if (language == "mn" || language == "zh") out.language = std::string(language);
  else out.language = (!mongolian_prefix.empty() && ivr.starts_with(mongolian_prefix)) ? "mn" : "zh";
  out.social_menu = !social_menu.empty() && ivr.starts_with(social_menu);

  std::string text;
  std::vector<Matcher::Hit> hits;
  std::vector<uint8_t> flags(matcher.size(), 0);
  try {
    text = norm(raw);
    hits.reserve(64);
    matcher.find(text, hits, kMaxHits);
  } catch (const std::exception&) {  // bad_alloc only: classify what we have (nothing)
    hits.clear();
  }

  // Negation words and where they end.
  std::vector<const Matcher::Hit*> negs;
  for (const auto& h : hits)
    if (is_neg[static_cast<size_t>(h.id)]) negs.push_back(&h);

  auto negated = [&](const Matcher::Hit& h) {
    if (negs.empty() || neg_window <= 0) return false;
    // Start of the window: up to neg_window characters back, not crossing a clause mark.
    size_t start = h.begin;
    for (int chars = 0; chars < neg_window && start > 0;) {
      size_t p = start - 1;
      while (p > 0 && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80) --p;
      if (text[p] == kClauseMark) break;
      start = p;
      ++chars;
    }
    for (const auto* n : negs)
      if (n->begin >= start && n->end <= h.begin) return true;
    return false;
  };

  for (size_t i = 0; i < hits.size(); ++i) {
    const auto& h = hits[i];
    const auto id = static_cast<size_t>(h.id);
    const bool neg = negated(h);
    if (!neg) flags[id] |= kCond;
    if (!is_cue[id]) continue;
    // Hidden inside a longer cue? Hits are ordered by end; a container ends at or after h.end.
    bool inside = false;
    for (size_t j = i; j-- > 0 && hits[j].end == h.end;)
      if (is_cue[static_cast<size_t>(hits[j].id)] && hits[j].begin < h.begin) { inside = true; break; }
    for (size_t j = i + 1; !inside && j < hits.size() && hits[j].end <= h.begin + max_cue_len; ++j)
      if (is_cue[static_cast<size_t>(hits[j].id)] && hits[j].begin <= h.begin && hits[j].end >= h.end &&
          hits[j].end - hits[j].begin > h.end - h.begin)
        inside = true;
    if (inside) continue;
    flags[id] |= kCueAny;
    if (!neg) flags[id] |= kCueLive;
  }

  std::array<std::vector<double>, kDims> score = priors;
  for (const auto& r : rules) {
    const uint8_t need = r.negatable ? kCueLive : kCueAny;
    int cue = -1;
    for (int c : r.cues)
      if (flags[static_cast<size_t>(c)] & need) { cue = c; break; }
    if (cue < 0) continue;
    if (!r.with.empty() &&
        std::none_of(r.with.begin(), r.with.end(), [&](int c) { return flags[static_cast<size_t>(c)] & kCond; }))
      continue;
    if (std::any_of(r.unless.begin(), r.unless.end(), [&](int c) { return flags[static_cast<size_t>(c)] & kCond; }))
      continue;
    score[static_cast<size_t>(r.dim)][static_cast<size_t>(r.label_index)] += r.weight;
    out.reasons.push_back({r.id, matcher.pattern(cue), r.label, r.clause, r.weight});
  }

  std::array<int, kDims> best{};
  for (int d = 0; d < kDims; ++d) {
    const auto& s = score[static_cast<size_t>(d)];
    best[static_cast<size_t>(d)] = static_cast<int>(std::max_element(s.begin(), s.end()) - s.begin());
  }
  out.category = category_ids()[static_cast<size_t>(best[0])];
  out.request_type = request_type_ids()[static_cast<size_t>(best[1])];
  out.urgency = urgency_ids()[static_cast<size_t>(best[2])];

  if (!emergency.empty() && ivr.starts_with(emergency) && out.urgency == "normal") {
    out.urgency = "urgent";
    out.reasons.push_back({"ivr.emergency", std::string(ivr), "urgency=urgent",
                           "DESIGN: IVR emergency option -> urgency at least urgent", 0});
  }
  if (out.social_menu)
    out.reasons.push_back({"ivr.social_menu", std::string(ivr), "social_menu",
                           "DESIGN: social-assistance menu, never general queue unseen", 0});

  const auto& cs = score[0];
  const double top = cs[static_cast<size_t>(best[0])];
  double second = 0;
  for (size_t i = 0; i < cs.size(); ++i)
    if (static_cast<int>(i) != best[0]) second = std::max(second, cs[i]);
  const double margin = std::max(0.0, top - second);
  out.confidence = std::clamp(margin / (margin + confidence_scale), 0.0, 1.0);
  return out;
}

}  // namespace assist
