// Aho-Corasick over characters, compiled into a packed, normally complete, automaton (see matcher.h).
//
// Why characters and not bytes: Chinese text is three bytes a character, and a byte automaton's three dependent
// table loads per character were most of the classifier's time; a character step is one. Why the result is the
// byte-wise one: a pattern (valid UTF-8) starts with a byte that is never a continuation byte, and decoding
// resynchronises one byte after any invalid sequence, so every place a pattern's bytes occur is a character
// boundary of the decoding and the pattern's characters are decoded there as they are in the pattern.
#include "routing/classify/matcher.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <stdexcept>

#include "routing/classify/utf8.h"

namespace assist {

int Matcher::add(std::string_view pattern) {
  if (pattern.empty()) throw std::invalid_argument("classify: empty pattern");
  for (size_t i = 0; i < pattern.size();) {
    char32_t cp = 0;
    const size_t n = utf8::decode(pattern, i, cp);
    if (n == 0) throw std::invalid_argument("classify: pattern is not valid UTF-8");
    i += n;
  }
  for (size_t i = 0; i < patterns_.size(); ++i)
    if (patterns_[i] == pattern) return static_cast<int>(i);
  patterns_.emplace_back(pattern);
  built_ = false;
  return static_cast<int>(patterns_.size() - 1);
}

size_t Matcher::memory_bytes() const {
  auto bytes = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
  size_t n = sizeof(*this) + bytes(page_of_) + bytes(pages_) + bytes(astral_) + bytes(root_next_) + bytes(slots16_) +
             bytes(slots32_) + bytes(node_of_base_) + bytes(fail_of_base_) + bytes(out_) + bytes(dict_) +
             bytes(patterns_);
  for (const auto& p : patterns_) n += p.capacity() + 1;
  return n;
}

namespace {

// (class, state) pairs sorted by class: a state's trie children, or its exceptions.
using Row = std::vector<std::pair<uint32_t, int32_t>>;

int32_t lookup(const Row& row, uint32_t c) {
  auto it = std::lower_bound(row.begin(), row.end(), c, [](const auto& e, uint32_t v) { return e.first < v; });
  return (it != row.end() && it->first == c) ? it->second : -1;
}

// The slots taken so far while packing rows, unbounded. Finding a row's place asks for free slots in order; a
// union-find over runs of taken slots (with path compression) skips each run in one step instead of walking it.
class SlotSpace {
 public:
  bool free(size_t k) const { return k >= next_.size() || next_[k] == k; }
  // Every slot from here on is free.
  size_t end() const { return next_.size(); }
  void take(size_t k) {
    grow(k + 1);
    next_[k] = k + 1;
  }
  // The first free slot at or after k.
  size_t first_free(size_t k) {
    size_t r = k;
    while (!free(r)) r = next_[r];
    while (k != r && k < next_.size()) {  // path compression
      const size_t t = next_[k];
      next_[k] = r;
      k = t;
    }
    return r;
  }

 private:
  void grow(size_t size) {
    while (next_.size() < size) next_.push_back(next_.size());
  }
  std::vector<size_t> next_;  // next_[k] == k: free; else a later slot to look at
};

}  // namespace

void Matcher::build() {
  // Classes: the characters most patterns use first. Transitions on them are most of the exceptions, so rows
  // gather at low classes and pack densely.
  std::map<char32_t, uint32_t> class_of;  // character -> uses, then -> class
  std::vector<std::vector<char32_t>> chars(patterns_.size());
  for (size_t id = 0; id < patterns_.size(); ++id) {
    const std::string& p = patterns_[id];
    for (size_t i = 0; i < p.size();) {
      char32_t cp = 0;
      i += utf8::decode(p, i, cp);  // valid: checked by add()
      chars[id].push_back(cp);
      ++class_of[cp];
    }
  }
  {
    std::vector<std::pair<uint32_t, char32_t>> by_use;  // (uses, character)
    for (const auto& [cp, uses] : class_of) by_use.emplace_back(uses, cp);
    std::stable_sort(by_use.begin(), by_use.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t k = 0; k < by_use.size(); ++k) class_of[by_use[k].second] = static_cast<uint32_t>(k + 1);
  }
  std::vector<std::vector<uint32_t>> words(patterns_.size());  // each pattern as classes
  for (size_t id = 0; id < patterns_.size(); ++id)
    for (char32_t cp : chars[id]) words[id].push_back(class_of[cp]);
  if (class_of.size() >= 0xFFFF) throw std::length_error("classify: too many distinct characters in the patterns");
  nclasses_ = static_cast<uint32_t>(class_of.size() + 1);
  ascii_class_.fill(0);
  page_of_.assign(size_t{0x10000} >> kPageBits, 0);
  pages_.assign(size_t{1} << kPageBits, 0);  // page 0: nothing
  astral_.clear();
  for (const auto& [cp, c] : class_of) {
    if (cp < 0x80) {
      ascii_class_[cp] = static_cast<uint16_t>(c);
    } else if (cp < 0x10000) {
      uint16_t& page = page_of_[cp >> kPageBits];
      if (page == 0) {
        page = static_cast<uint16_t>(pages_.size() >> kPageBits);
        pages_.resize(pages_.size() + (size_t{1} << kPageBits), 0);
      }
      pages_[(size_t{page} << kPageBits) + (cp & ((1u << kPageBits) - 1))] = static_cast<uint16_t>(c);
    } else {
      astral_.emplace_back(cp, static_cast<uint16_t>(c));  // std::map: already sorted
    }
  }

  // The trie over classes.
  std::vector<Row> children(1);
  std::vector<int32_t> out(1, -1);
  for (size_t id = 0; id < words.size(); ++id) {
    int32_t node = 0;
    for (uint32_t c : words[id]) {
      int32_t next = lookup(children[static_cast<size_t>(node)], c);
      if (next < 0) {
        next = static_cast<int32_t>(children.size());
        auto& row = children[static_cast<size_t>(node)];
        row.insert(std::lower_bound(row.begin(), row.end(), std::make_pair(c, int32_t{0})), {c, next});
        children.emplace_back();
        out.push_back(-1);
      }
      node = next;
    }
    out[static_cast<size_t>(node)] = static_cast<int32_t>(id);
  }
  const size_t n = children.size();

  // Breadth-first: failure links, dictionary links, and a bound on the exceptions of the complete automaton.
  std::vector<int32_t> fail(n, 0), dict(n, -1), order{0};
  std::vector<size_t> bound(n, 0);  // children summed along the failure chain: at least the state's exceptions
  size_t total = 0;
  order.reserve(n);
  for (size_t qi = 0; qi < order.size(); ++qi) {
    const auto u = static_cast<size_t>(order[qi]);
    for (const auto& [c, v] : children[u]) {
      const auto vi = static_cast<size_t>(v);
      if (u != 0) {
        int32_t f = fail[u], t = -1;
        while ((t = lookup(children[static_cast<size_t>(f)], c)) < 0 && f != 0) f = fail[static_cast<size_t>(f)];
        fail[vi] = t >= 0 ? t : 0;
      }
      const auto f = static_cast<size_t>(fail[vi]);
      dict[vi] = out[f] >= 0 ? fail[vi] : dict[f];
      bound[vi] = children[vi].size() + bound[f];
      total += bound[vi];
      order.push_back(v);
    }
  }

  // The complete automaton, unless its exceptions could pass 16 a state (plus 65536): then rows are the trie's
  // children and find() follows failure links, as Aho-Corasick first did. Hand-written rules are far below
  // (the built-in 1054 patterns: under 3 a state); thousands of cues over a small alphabet would otherwise grow rows
  // quadratically.
  // A state's transition on c is its child if it has one, else its failure state's transition; so its exceptions
  // (transitions that differ from the root's) are its children over its failure state's exceptions.
  complete_ = total <= 16 * n + 65536;
  std::vector<Row> exc;
  if (complete_) {
    exc.resize(n);
    for (size_t k = 1; k < order.size(); ++k) {
      const auto v = static_cast<size_t>(order[k]);
      const Row& inherited = exc[static_cast<size_t>(fail[v])];
      std::merge(children[v].begin(), children[v].end(), inherited.begin(), inherited.end(), std::back_inserter(exc[v]),
                 [](const auto& a, const auto& b) { return a.first < b.first; });
      // a child overrides the failure state's transition on the same class (merge keeps the child first)
      exc[v].erase(std::unique(exc[v].begin(), exc[v].end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
                   exc[v].end());
    }
  }
  const std::vector<Row>& rows = complete_ ? exc : children;  // the root's is root_next_, not packed

  // Bases: the longest rows first, each at the lowest base where its slots are free, searched from
  // kWindow slots before the end of those taken (the way darts-clone bounds its search: the slots further back are
  // nearly all taken, and searching them made the build quadratic for rules with thousands of cues); then the
  // states with empty rows at unused bases (a base also names its state). A state that reports (it or a state
  // on its failure chain ends a pattern) gets an odd base, any other an even one: find() tests a bit, not a table.
  constexpr size_t kWindow = 4096;
  auto reports = [&](size_t s) { return out[s] >= 0 || dict[s] >= 0; };
  std::vector<uint32_t> base(n, 0);
  SlotSpace slots;
  std::vector<uint8_t> base_used(1, 1);  // base 0: the root
  std::vector<int32_t> by_size;
  for (size_t s = 1; s < n; ++s)
    if (!rows[s].empty()) by_size.push_back(static_cast<int32_t>(s));
  std::stable_sort(by_size.begin(), by_size.end(), [&](int32_t a, int32_t b) {
    return rows[static_cast<size_t>(a)].size() > rows[static_cast<size_t>(b)].size();
  });
  auto used = [](const std::vector<uint8_t>& v, size_t k) { return k < v.size() && v[k]; };
  auto mark = [](std::vector<uint8_t>& v, size_t k) {
    if (k >= v.size()) v.resize(std::max(k + 1, v.size() * 2), 0);
    v[k] = 1;
  };
  for (int32_t s : by_size) {
    const Row& row = rows[static_cast<size_t>(s)];
    const size_t parity = reports(static_cast<size_t>(s)) ? 1 : 0;
    const size_t c0 = row.front().first;  // >= 1: class 0 leads to the root from everywhere
    // Ends: once f passes the end of the slots taken, every slot of the row is free.
    size_t b = 0;
    for (size_t f = slots.first_free(std::max(c0 + 1, slots.end() > kWindow ? slots.end() - kWindow : 0));;
         f = slots.first_free(f + 1)) {
      b = f - c0;  // >= 1
      if (b % 2 == parity && !used(base_used, b) &&
          std::all_of(row.begin(), row.end(), [&](const auto& e) { return slots.free(b + e.first); }))
        break;
    }
    base[static_cast<size_t>(s)] = static_cast<uint32_t>(b);
    mark(base_used, b);
    for (const auto& e : row) slots.take(b + e.first);
  }
  std::array<size_t, 2> next_base = {2, 1};  // even, odd
  for (size_t s = 1; s < n; ++s) {
    if (!rows[s].empty()) continue;
    size_t& b = next_base[reports(s) ? 1 : 0];
    while (used(base_used, b)) b += 2;
    base[s] = static_cast<uint32_t>(b);
    mark(base_used, b);
  }
  const size_t max_base = *std::max_element(base.begin(), base.end());
  const size_t nslots = max_base + nclasses_;  // every base + class is in range
  if (nslots >= (size_t{1} << 31)) throw std::length_error("classify: too many patterns for one automaton");

  root_next_.assign(nclasses_, 0);
  for (const auto& [c, v] : children[0]) root_next_[c] = base[static_cast<size_t>(v)];
  node_of_base_.assign(max_base + 1, -1);
  for (size_t s = 0; s < n; ++s) node_of_base_[base[s]] = static_cast<int32_t>(s);
  fail_of_base_.clear();
  fail_of_base_.shrink_to_fit();
  if (!complete_) {
    fail_of_base_.assign(max_base + 1, 0);
    for (size_t s = 1; s < n; ++s) fail_of_base_[base[s]] = base[static_cast<size_t>(fail[s])];
  }
  slots16_.clear();
  slots32_.clear();
  if (nslots <= 0x10000) {  // then every base is below 0xFFFF, the empty slot's owner
    slots16_.assign(nslots, 0xFFFF0000u);
    for (size_t s = 1; s < n; ++s)
      for (const auto& [c, t] : rows[s]) slots16_[base[s] + c] = base[s] << 16 | base[static_cast<size_t>(t)];
  } else {
    slots32_.assign(nslots, uint64_t{0xFFFFFFFF} << 32);
    for (size_t s = 1; s < n; ++s)
      for (const auto& [c, t] : rows[s]) slots32_[base[s] + c] = uint64_t{base[s]} << 32 | base[static_cast<size_t>(t)];
  }
  slots16_.shrink_to_fit();
  slots32_.shrink_to_fit();
  out_ = std::move(out);
  dict_ = std::move(dict);
  states_ = n;
  built_ = true;
}

Matcher::Shape Matcher::shape() const {
  return {states_, complete_, slots16_.empty() && !slots32_.empty(), slots16_.size() + slots32_.size()};
}

inline uint32_t Matcher::next_class(std::string_view text, size_t& i) const {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    ++i;
    return ascii_class_[b0];
  }
  char32_t cp = 0;
  const size_t len = utf8::decode(text, i, cp);
  if (len == 0) {  // not a character: no pattern holds this byte
    ++i;
    return 0;
  }
  i += len;
  if (cp < 0x10000) return pages_[(size_t{page_of_[cp >> kPageBits]} << kPageBits) + (cp & ((1u << kPageBits) - 1))];
  auto it = std::lower_bound(astral_.begin(), astral_.end(), cp, [](const auto& e, char32_t v) { return e.first < v; });
  return (it != astral_.end() && it->first == cp) ? it->second : 0;
}

template <bool kComplete, class Slot>
void Matcher::scan(std::string_view text, std::vector<Hit>& out, size_t max_hits, const std::vector<Slot>& slots) const {
  constexpr unsigned kHalf = sizeof(Slot) * 4;
  constexpr Slot kLow = (Slot{1} << kHalf) - 1;
  const Slot* const slot = slots.data();
  const uint32_t* const root_next = root_next_.data();
  uint32_t b = 0;  // the current state's base (the root's)
  for (size_t i = 0; i < text.size();) {
    const uint32_t c = next_class(text, i);
    if constexpr (kComplete) {
      const Slot s = slot[b + c];
      const uint32_t mine = static_cast<uint32_t>(s & kLow), root = root_next[c];
      // The one step that depends on the previous one: a load, a compare and a conditional move. No branch:
      // whether the state has an exception on c is data, not a pattern a predictor could learn.
      b = static_cast<uint32_t>(s >> kHalf) == b ? mine : root;
    } else {
      while (true) {
        const Slot s = slot[b + c];
        if (static_cast<uint32_t>(s >> kHalf) == b) {
          b = static_cast<uint32_t>(s & kLow);
          break;
        }
        if (b == 0 || c == 0) {  // class 0 leads to the root from everywhere
          b = root_next[c];
          break;
        }
        b = fail_of_base_[b];
      }
    }
    if (!(b & 1)) [[likely]] continue;  // odd: the state reports
    const auto end = static_cast<uint32_t>(i);
    const int32_t state = node_of_base_[b];
    for (int32_t k = out_[static_cast<size_t>(state)] >= 0 ? state : dict_[static_cast<size_t>(state)]; k >= 0;
         k = dict_[static_cast<size_t>(k)]) {
      if (out.size() >= max_hits) return;
      const int32_t id = out_[static_cast<size_t>(k)];
      out.push_back({id, end - static_cast<uint32_t>(patterns_[static_cast<size_t>(id)].size()), end});
    }
  }
}

void Matcher::find(std::string_view text, std::vector<Hit>& out, size_t max_hits) const {
  if (!built_) return;
  if (complete_) {
    if (!slots16_.empty()) scan<true>(text, out, max_hits, slots16_);
    else scan<true>(text, out, max_hits, slots32_);
  } else {
    if (!slots16_.empty()) scan<false>(text, out, max_hits, slots16_);
    else scan<false>(text, out, max_hits, slots32_);
  }
}

}  // namespace assist
