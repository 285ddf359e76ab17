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

int urgency_rank(const std::string& urgency) {
  const auto& ids = urgency_ids();
  return static_cast<int>(std::find(ids.begin(), ids.end(), urgency) - ids.begin());
}

namespace {

constexpr int kDims = 3;  // category, request_type, urgency
constexpr std::array<const char*, kDims> kDimNames = {"category", "request_type", "urgency"};
constexpr size_t kMaxHits = 1024;
constexpr size_t kMaxLabels = 12;  // the most labels of one dimension (categories)

// Scores per dimension, indexed by label (only the first ids_of(d).size() are used): fixed arrays, so a call
// copies the priors without allocating.
using Scores = std::array<std::array<double, kMaxLabels>, kDims>;

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

// Per-pattern flags for one text: kCond (occurs, not negated), and per dimension d a "live" bit (a cue not
// negated and not hidden inside a longer cue of the same dimension) and an "any" bit (same, negated or not).
constexpr uint8_t kCond = 1;
constexpr uint8_t live_bit(int d) { return static_cast<uint8_t>(2u << d); }
constexpr uint8_t any_bit(int d) { return static_cast<uint8_t>(16u << d); }

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
  // The rules each pattern is a cue of: rules_of_cue[cue_rules_at[p], cue_rules_at[p + 1]) (indices into `rules`),
  // so that a call looks only at the rules whose cues it found.
  std::vector<uint32_t> cue_rules_at, rules_of_cue;
  int neg_window = 6;
  std::vector<Rule> rules;
  Scores priors{};
  double confidence_scale = 1.0;
  double critical_at = 0;  // scoring.critical_at; 0: the heaviest urgency wins
  double min_confidence = 0.6;
  std::string social_menu = "3", emergency = "3*1", mongolian_prefix = "9";

  Classification run(std::string_view text, std::string_view ivr, std::string_view language) const;
};

Classifier::Classifier(std::shared_ptr<const Impl> impl, std::shared_ptr<const MonitoringList> list)
    : impl_(std::move(impl)), monitoring_(std::move(list)) {}
Classifier::~Classifier() = default;

double Classifier::min_confidence() const { return impl_->min_confidence; }
size_t Classifier::rule_count() const { return impl_->rules.size(); }
size_t Classifier::pattern_count() const { return impl_->matcher.size(); }
std::vector<std::string> Classifier::patterns() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < impl_->matcher.size(); ++i) out.push_back(impl_->matcher.pattern(static_cast<int>(i)));
  return out;
}
std::string Classifier::normalize(std::string_view text) const { return impl_->norm(text); }

size_t Classifier::memory_bytes() const {
  const auto& m = *impl_;
  size_t n = sizeof(Impl) + m.matcher.memory_bytes() + m.norm.memory_bytes() + m.is_cue.capacity() + m.is_neg.capacity() +
             (m.cue_rules_at.capacity() + m.rules_of_cue.capacity()) * sizeof(uint32_t);
  for (const auto& r : m.rules)
    n += sizeof(r) + r.id.capacity() + r.label.capacity() + r.clause.capacity() +
         (r.cues.capacity() + r.with.capacity() + r.unless.capacity()) * sizeof(int);
  return n;
}

std::shared_ptr<const Classifier> Classifier::with_monitoring(std::shared_ptr<const MonitoringList> list) const {
  return std::shared_ptr<const Classifier>(new Classifier(impl_, std::move(list)));
}

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

  auto text_at = [&](const nlohmann::json& s, const std::string& pointer) {
    if (!s.is_string()) throw fail(pointer, "must be a string");
    return s.get<std::string>();
  };
  // Rule words go through the same normalization as texts (so 一个人 and 两天前 match however written).
  auto folded = [&](const nlohmann::json& s, const std::string& pointer) {
    const std::string raw = text_at(s, pointer);
    std::string f = impl->norm(raw);
    if (f.empty() || f.find(kClauseMark) != std::string::npos)
      throw fail(pointer, "'" + raw + "' must be text without punctuation that is not only fillers");
    return f;
  };
  auto prepared = [&](const nlohmann::json& s, const std::string& pointer) {
    const std::string raw = text_at(s, pointer);
    std::string f = impl->norm.prepare(raw);
    if (f.empty() || f.find(kClauseMark) != std::string::npos)
      throw fail(pointer, "'" + raw + "' must be text without punctuation");
    return f;
  };

  if (v.contains("normalize")) {
    const auto& n = v["normalize"];
    impl->norm.traditional = n.value("traditional", true);
    if (n.contains("keep"))
      for (size_t i = 0; i < n["keep"].size(); ++i)
        impl->norm.keep.push_back(prepared(n["keep"][i], "/normalize/keep/" + std::to_string(i)));
    if (n.contains("fillers"))
      for (size_t i = 0; i < n["fillers"].size(); ++i)
        impl->norm.fillers.push_back(prepared(n["fillers"][i], "/normalize/fillers/" + std::to_string(i)));
    if (n.contains("homophones"))
      for (const auto& [from, to] : n["homophones"].items())
        impl->norm.homophones.emplace_back(prepared(nlohmann::json(from), "/normalize/homophones/" + from),
                                           impl->norm.prepare(to.get<std::string>()));
    // The kind, not the list: every spelling of a programme term in which characters are replaced by their
    // ASR sound-alikes (低保 -> 底保, 低宝, 滴包 ...), except words in `keep` (就住 is not 救助).
    if (n.contains("homophone_terms")) {
      std::map<std::string, std::vector<std::string>> alike;  // character -> sound-alikes
      if (n.contains("homophone_chars"))
        for (const auto& [ch, list] : n["homophone_chars"].items()) {
          const std::string ptr = "/normalize/homophone_chars/" + ch;
          const std::string key = impl->norm.prepare(ch);
          // Own the string: a string_view of list.get<std::string>() would dangle once the statement ends
          // (the temporary is freed; short lists live in its small-string buffer, later overwritten).
          const std::string chars_text = list.get<std::string>();
          const std::string_view rest = chars_text;
          auto& dst = alike[key];
          for (size_t i = 0; i < rest.size();) {
            size_t len = 1;
            const auto b = static_cast<unsigned char>(rest[i]);
            if (b >= 0xF0) len = 4; else if (b >= 0xE0) len = 3; else if (b >= 0xC0) len = 2;
            std::string one = impl->norm.prepare(rest.substr(i, len));
            if (!one.empty() && one != key) dst.push_back(one);
            i += len;
          }
        }
      const auto& terms = n["homophone_terms"];
      for (size_t t = 0; t < terms.size(); ++t) {
        const std::string term = prepared(terms[t], "/normalize/homophone_terms/" + std::to_string(t));
        std::vector<std::string> chars;  // the term's characters
        for (size_t i = 0; i < term.size();) {
          size_t len = 1;
          const auto b = static_cast<unsigned char>(term[i]);
          if (b >= 0xF0) len = 4; else if (b >= 0xE0) len = 3; else if (b >= 0xC0) len = 2;
          chars.push_back(term.substr(i, len));
          i += len;
        }
        std::vector<std::string> variants{""};
        for (const auto& c : chars) {
          std::vector<std::string> next;
          std::vector<std::string> options{c};
          if (auto it = alike.find(c); it != alike.end()) options.insert(options.end(), it->second.begin(), it->second.end());
          for (const auto& pre : variants)
            for (const auto& o : options)
              if (next.size() < 512) next.push_back(pre + o);
          variants.swap(next);
        }
        for (const auto& var : variants)
          if (var != term && std::find(impl->norm.keep.begin(), impl->norm.keep.end(), var) == impl->norm.keep.end())
            impl->norm.homophones.emplace_back(var, term);
      }
    }
    std::stable_sort(impl->norm.homophones.begin(), impl->norm.homophones.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  }
  impl->norm.build();

  auto add_pattern = [&](const std::string& text, int cue_dim, bool neg) {
    const bool cue = cue_dim >= 0;
    const int id = impl->matcher.add(text);
    impl->is_cue.resize(impl->matcher.size(), 0);
    impl->is_neg.resize(impl->matcher.size(), 0);
    if (cue) {
      impl->is_cue[static_cast<size_t>(id)] |= static_cast<uint8_t>(1u << cue_dim);
      impl->max_cue_len = std::max(impl->max_cue_len, text.size());
    }
    if (neg) impl->is_neg[static_cast<size_t>(id)] = 1;
    return id;
  };

  if (v.contains("negation")) {
    impl->neg_window = v["negation"].at("window").get<int>();
    const auto& w = v["negation"].at("words");
    for (size_t i = 0; i < w.size(); ++i)
      add_pattern(folded(w[i], "/negation/words/" + std::to_string(i)), -1, true);
  }

  for (int d = 0; d < kDims; ++d)
    if (ids_of(d).size() > kMaxLabels) throw std::logic_error("classify: kMaxLabels is smaller than the taxonomy");
  const auto& sc = v.at("scoring");
  impl->confidence_scale = sc.at("confidence_scale").get<double>();
  impl->critical_at = sc.value("critical_at", 0.0);
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
        dst.push_back(add_pattern(folded(r[key][k], ptr + "/" + key + "/" + std::to_string(k)), cue ? d : -1, false));
    }
    impl->rules.push_back(std::move(rule));
  }
  impl->matcher.build();
  std::vector<std::vector<uint32_t>> of_cue(impl->matcher.size());
  for (size_t k = 0; k < impl->rules.size(); ++k)
    for (int c : impl->rules[k].cues)
      if (of_cue[static_cast<size_t>(c)].empty() || of_cue[static_cast<size_t>(c)].back() != k)
        of_cue[static_cast<size_t>(c)].push_back(static_cast<uint32_t>(k));
  impl->cue_rules_at.assign(1, 0);
  for (const auto& list : of_cue) {
    impl->rules_of_cue.insert(impl->rules_of_cue.end(), list.begin(), list.end());
    impl->cue_rules_at.push_back(static_cast<uint32_t>(impl->rules_of_cue.size()));
  }
  return std::shared_ptr<const Classifier>(new Classifier(std::shared_ptr<const Impl>(std::move(impl)), nullptr));
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
  Classification c = impl_->run(facts.asr_text, facts.ivr_digits, facts.language);
  if (monitoring_ && !facts.caller.empty() && monitoring_->contains(facts.caller)) {
    c.flags.push_back("monitored_household");
    c.reasons.push_back({"monitoring.list", "caller on the monitoring list", "flag=monitored_household",
                         "政策(四) 低收入人口动态监测: a monitored household is a priority (flag only, urgency unchanged)",
                         0});
  }
  return c;
}

Classification Classifier::classify_text(std::string_view text, std::string_view ivr_digits) const {
  return impl_->run(text, ivr_digits, "");
}

Classification Classifier::Impl::run(std::string_view raw, std::string_view ivr, std::string_view language) const {
  Classification out;
  if (language == "mn" || language == "zh") out.language = std::string(language);
  else out.language = (!mongolian_prefix.empty() && ivr.starts_with(mongolian_prefix)) ? "mn" : "zh";
  out.social_menu = !social_menu.empty() && ivr.starts_with(social_menu);

  // Per-thread scratch: a warm call allocates only its result.
  thread_local std::string text;
  thread_local std::vector<Matcher::Hit> hits;
  thread_local std::vector<uint8_t> flags;
  thread_local std::vector<const Matcher::Hit*> negs;
  thread_local std::vector<uint8_t> candidate;  // per rule: one of its cues was found (it may fire)
  text.clear();
  hits.clear();
  negs.clear();
  try {
    flags.assign(matcher.size(), 0);
    candidate.assign(rules.size(), 0);
    norm.normalize_into(raw, text);
    matcher.find(text, hits, kMaxHits);
  } catch (const std::exception&) {  // bad_alloc only: classify what we have (nothing)
    hits.clear();
    text.clear();
    if (flags.size() != matcher.size() || candidate.size() != rules.size()) return out;
  }

  // Negation words and where they end.
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
    const uint8_t dims = is_cue[id];
    if (!dims) continue;
    // Hidden inside a longer cue of the same dimension? Hits are ordered by end; a container ends at or after h.end.
    uint8_t hidden = 0;
    for (size_t j = i; j-- > 0 && hits[j].end == h.end;)
      if (hits[j].begin < h.begin) hidden |= is_cue[static_cast<size_t>(hits[j].id)];
    for (size_t j = i + 1; j < hits.size() && hits[j].end <= h.begin + max_cue_len; ++j)
      if (hits[j].begin <= h.begin && hits[j].end >= h.end && hits[j].end - hits[j].begin > h.end - h.begin)
        hidden |= is_cue[static_cast<size_t>(hits[j].id)];
    bool found = false;
    for (int d = 0; d < kDims; ++d) {
      if (!(dims & (1u << d)) || (hidden & (1u << d))) continue;
      flags[id] |= any_bit(d);
      if (!neg) flags[id] |= live_bit(d);
      found = true;
    }
    if (found)
      for (uint32_t k = cue_rules_at[id]; k < cue_rules_at[id + 1]; ++k) candidate[rules_of_cue[k]] = 1;
  }

  // Which rules fire (a first pass, so that the reasons are allocated once).
  thread_local std::vector<std::pair<const Rule*, int>> fired;  // rule, the cue that fired it
  fired.clear();
  for (size_t k = 0; k < rules.size(); ++k) {
    if (!candidate[k]) continue;  // none of its cues has a live or any bit: it cannot fire
    const Rule& r = rules[k];
    const uint8_t need = r.negatable ? live_bit(r.dim) : any_bit(r.dim);
    int cue = -1;
    for (int c : r.cues)
      if (flags[static_cast<size_t>(c)] & need) { cue = c; break; }
    if (cue < 0) continue;
    if (!r.with.empty() &&
        std::none_of(r.with.begin(), r.with.end(), [&](int c) { return flags[static_cast<size_t>(c)] & kCond; }))
      continue;
    if (std::any_of(r.unless.begin(), r.unless.end(), [&](int c) { return flags[static_cast<size_t>(c)] & kCond; }))
      continue;
    fired.emplace_back(&r, cue);
  }
  Scores score = priors;
  out.reasons.reserve(fired.size() + 4);  // + safety, IVR emergency, social menu, monitoring list
  for (const auto& [r, cue] : fired) {
    score[static_cast<size_t>(r->dim)][static_cast<size_t>(r->label_index)] += r->weight;
    out.reasons.push_back({r->id, matcher.pattern(cue), r->label, r->clause, r->weight});
  }
  const std::array<size_t, kDims> nlabels = {category_ids().size(), request_type_ids().size(), urgency_ids().size()};

  std::array<int, kDims> best{};
  for (int d = 0; d < kDims; ++d) {
    const auto& s = score[static_cast<size_t>(d)];
    best[static_cast<size_t>(d)] =
        static_cast<int>(std::max_element(s.begin(), s.begin() + nlabels[static_cast<size_t>(d)]) - s.begin());
  }
  // The taxonomy's 'tonight' test comes first: critical evidence of full weight decides, however much urgent
  // evidence adds up beside it (a home lost, nothing saved, a first-aid request: still the person trapped)
  if (critical_at > 0 && score[2][0] >= critical_at) best[2] = 0;
  // Safety: a critical or urgent call with any social-assistance evidence never goes to the general queue.
  const int general = static_cast<int>(category_ids().size()) - 1;  // not_social_assistance, last
  bool safety = false;
  if (best[0] == general && best[2] != 2) {
    const auto& cs0 = score[0];
    const int sa = static_cast<int>(std::max_element(cs0.begin(), cs0.begin() + nlabels[0] - 1) - cs0.begin());
    if (cs0[static_cast<size_t>(sa)] >= 1.0) {
      best[0] = sa;
      safety = true;
    }
  }
  out.category = category_ids()[static_cast<size_t>(best[0])];
  if (safety)
    out.reasons.push_back({"safety.urgent_not_general", "", "category=" + out.category,
                           "taxonomy: no critical or urgent social-assistance call goes to the general queue", 0});
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
  for (size_t i = 0; i < nlabels[0]; ++i)
    if (static_cast<int>(i) != best[0]) second = std::max(second, cs[i]);
  const double margin = std::max(0.0, top - second);
  out.confidence = std::clamp(margin / (margin + confidence_scale), 0.0, 1.0);
  if (safety) out.confidence = std::min(out.confidence, 0.5);
  // A critical call labelled not_social_assistance is still shown to an agent (never the general queue unseen).
  out.unsure = out.confidence < min_confidence || out.language == "mn" || out.social_menu ||
               (out.urgency == "critical" && best[0] == general);
  return out;
}

}  // namespace assist
