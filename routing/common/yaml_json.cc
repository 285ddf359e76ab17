// YAML -> JSON with line map, and draft-07 validation with line-numbered errors (see yaml_json.h).
#include "routing/common/yaml_json.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>
#include <yaml-cpp/yaml.h>

namespace assist {

namespace {

constexpr int kMaxDepth = 64;

std::string format_error(const std::string& source, int line, const std::string& path, const std::string& msg) {
  std::string s = source;
  s += ':';
  s += std::to_string(line);
  s += ": ";
  s += path.empty() ? std::string("(document)") : path;
  s += ": ";
  s += msg;
  return s;
}

std::string escape_token(std::string_view t) {
  std::string out;
  for (char c : t) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string unescape_token(std::string_view t) {
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '~' && i + 1 < t.size() && (t[i + 1] == '0' || t[i + 1] == '1')) {
      out += t[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      out += t[i];
    }
  }
  return out;
}

bool is_null_word(const std::string& s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

// A scalar as JSON: YAML 1.2 core schema for plain scalars; quoted ones ("!" tag) stay strings.
nlohmann::json scalar_to_json(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  const std::string& tag = n.Tag();
  const bool plain = tag == "?" || tag.empty();
  const bool want_str = tag == "!" || tag == "tag:yaml.org,2002:str";
  if (want_str || (!plain && tag.rfind("tag:yaml.org,2002:", 0) != 0)) return s;
  if (is_null_word(s)) return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  {
    const char* b = s.data() + (s[0] == '+' ? 1 : 0);
    const char* e = s.data() + s.size();
    std::int64_t v = 0;
    auto r = std::from_chars(b, e, v);
    if (r.ec == std::errc() && r.ptr == e) return v;
  }
  {
    // Only digits, sign, dot, exponent: avoid from_chars accepting "inf"/"nan" words as numbers.
    bool numeric = std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
    });
    bool has_digit = std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric && has_digit) {
      const char* b = s.data() + (s[0] == '+' ? 1 : 0);
      const char* e = s.data() + s.size();
      double d = 0;
      auto r = std::from_chars(b, e, d);
      if (r.ec == std::errc() && r.ptr == e) return d;
    }
  }
  return s;
}

void convert(const YAML::Node& n, const std::string& pointer, int depth, YamlJson& out, nlohmann::json& dst,
             const std::string& source) {
  const int line = n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
  if (line > 0) out.lines[pointer] = line;
  if (depth > kMaxDepth) throw YamlJsonError(source, line, "yaml", "nested deeper than 64 levels");
  // aliases share nodes: a small file can expand to billions ("billion laughs"); no config comes near this
  if (out.lines.size() > 200000)
    throw YamlJsonError(source, line, "yaml", "more than 200000 values: an alias expanded too often?");
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      dst = nullptr;
      return;
    case YAML::NodeType::Scalar:
      dst = scalar_to_json(n);
      return;
    case YAML::NodeType::Sequence: {
      dst = nlohmann::json::array();
      size_t i = 0;
      for (const auto& item : n) {
        dst.push_back(nullptr);
        convert(item, pointer + "/" + std::to_string(i), depth + 1, out, dst.back(), source);
        ++i;
      }
      return;
    }
    case YAML::NodeType::Map: {
      dst = nlohmann::json::object();
      for (const auto& kv : n) {
        std::string key = kv.first.IsScalar() ? kv.first.Scalar() : YAML::Dump(kv.first);
        const int kline = kv.first.Mark().line >= 0 ? kv.first.Mark().line + 1 : line;
        if (dst.contains(key))
          throw YamlJsonError(source, kline, pointer_to_path(out.value, pointer), "duplicate key '" + key + "'");
        std::string child = pointer + "/" + escape_token(key);
        nlohmann::json& slot = dst[key];
        convert(kv.second, child, depth + 1, out, slot, source);
        // A key's line is where the key is written (a block value may start on the next line).
        out.lines[child] = kline;
      }
      return;
    }
  }
}

}  // namespace

YamlJsonError::YamlJsonError(std::string source, int line, std::string path, std::string message)
    : FileError(format_error(source, line, path, message)),
      source_(std::move(source)),
      path_(std::move(path)),
      message_(std::move(message)),
      line_(line) {}

int YamlJson::line_of(std::string pointer) const {
  for (;;) {
    auto it = lines.find(pointer);
    if (it != lines.end()) return it->second;
    if (pointer.empty()) return 0;
    auto slash = pointer.rfind('/');
    pointer = slash == std::string::npos ? std::string() : pointer.substr(0, slash);
  }
}

std::string pointer_to_path(const nlohmann::json& root, std::string_view pointer) {
  std::string path;
  const nlohmann::json* cur = &root;
  size_t pos = 0;
  while (pos < pointer.size() && pointer[pos] == '/') {
    size_t next = pointer.find('/', pos + 1);
    std::string tok = unescape_token(pointer.substr(pos + 1, next == std::string_view::npos ? std::string_view::npos
                                                                                              : next - pos - 1));
    if (cur && cur->is_array()) {
      path += "[" + tok + "]";
      size_t idx = 0;
      auto r = std::from_chars(tok.data(), tok.data() + tok.size(), idx);
      cur = (r.ec == std::errc() && idx < cur->size()) ? &(*cur)[idx] : nullptr;
    } else {
      if (!path.empty()) path += '.';
      path += tok;
      cur = (cur && cur->is_object() && cur->contains(tok)) ? &(*cur)[tok] : nullptr;
    }
    if (next == std::string_view::npos) break;
    pos = next;
  }
  return path;
}

YamlJson yaml_to_json(std::string_view yaml, std::string_view source) {
  YamlJson out;
  const std::string src(source);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw YamlJsonError(src, e.mark.line >= 0 ? e.mark.line + 1 : 0, "yaml", e.msg);
  }
  try {
    convert(root, "", 0, out, out.value, src);
  } catch (const YAML::Exception& e) {
    throw YamlJsonError(src, e.mark.line >= 0 ? e.mark.line + 1 : 0, "yaml", e.msg);
  }
  if (root.IsNull() || !root.IsDefined()) out.lines[""] = 1;
  return out;
}

namespace {

/// The schema node that describes the value at `pointer` (following properties, additionalProperties,
/// items and local $refs; the first branch of an allOf/anyOf/oneOf that has the key), or nullptr.
/// `n` with its local "$ref"s followed (nullptr for a ref that leads nowhere).
const nlohmann::json* resolve_ref(const nlohmann::json& root, const nlohmann::json* n) {
  for (int hops = 0; n && n->is_object() && n->contains("$ref") && hops < 8; ++hops) {
    const auto& ref = (*n)["$ref"];
    if (!ref.is_string() || !ref.get_ref<const std::string&>().starts_with("#")) return nullptr;
    const auto target = nlohmann::json::json_pointer(ref.get<std::string>().substr(1));
    n = root.contains(target) ? &root.at(target) : nullptr;
  }
  return n;
}

/// The keyword `key` of schema node `node`, or of the first of its allOf/anyOf/oneOf branches that has it.
const nlohmann::json* constraint_of(const nlohmann::json& root, const nlohmann::json* node, const char* key) {
  node = resolve_ref(root, node);
  if (!node || !node->is_object()) return nullptr;
  if (node->contains(key)) return &(*node)[key];
  for (const char* k : {"allOf", "anyOf", "oneOf"})
    if (node->contains(k) && (*node)[k].is_array())
      for (const auto& b : (*node)[k])
        if (const auto* found = constraint_of(root, &b, key)) return found;
  return nullptr;
}

const nlohmann::json* schema_at(const nlohmann::json& root, std::string_view pointer) {
  auto resolve = [&](const nlohmann::json* n) { return resolve_ref(root, n); };
  const nlohmann::json* cur = resolve(&root);
  std::size_t pos = 0;
  while (cur && pos < pointer.size() && pointer[pos] == '/') {
    const std::size_t next = pointer.find('/', pos + 1);
    const std::string tok = unescape_token(
        pointer.substr(pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1));
    const nlohmann::json* step = nullptr;
    std::vector<const nlohmann::json*> candidates{cur};
    for (const char* k : {"allOf", "anyOf", "oneOf"})
      if (cur->contains(k) && (*cur)[k].is_array())
        for (const auto& b : (*cur)[k]) candidates.push_back(resolve(&b));
    for (const auto* c : candidates) {
      if (!c || !c->is_object()) continue;
      if (c->contains("properties") && (*c)["properties"].contains(tok)) step = &(*c)["properties"][tok];
      else if (c->contains("items") && (*c)["items"].is_object() && !tok.empty() &&
               tok.find_first_not_of("0123456789") == std::string::npos)
        step = &(*c)["items"];
      else if (c->contains("additionalProperties") && (*c)["additionalProperties"].is_object())
        step = &(*c)["additionalProperties"];
      if (step) break;
    }
    cur = resolve(step);
    if (next == std::string_view::npos) break;
    pos = next;
  }
  return cur;
}

/// "a list", "a number", ... for a JSON type name or a value.
std::string type_words(const std::string& t) {
  if (t == "array") return "a list";
  if (t == "object") return "a mapping";
  if (t == "string") return "a string";
  if (t == "integer") return "a whole number";
  if (t == "number") return "a number";
  if (t == "boolean") return "true or false";
  if (t == "null") return "nothing";
  return t;
}
std::string value_type_words(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::array: return type_words(std::string("array"));
    case nlohmann::json::value_t::object: return type_words(std::string("object"));
    case nlohmann::json::value_t::string: return type_words(std::string("string"));
    case nlohmann::json::value_t::boolean: return type_words(std::string("boolean"));
    case nlohmann::json::value_t::null: return type_words(std::string("null"));
    case nlohmann::json::value_t::number_float: return type_words(std::string("number"));
    default: return type_words(std::string("integer"));
  }
}

/// A number as the config file would write it (50, not 50.000000).
std::string plain_number(std::string text) {
  if (text.find('.') != std::string::npos) {
    while (!text.empty() && text.back() == '0') text.pop_back();
    if (!text.empty() && text.back() == '.') text.pop_back();
  }
  return text;
}

}  // namespace

void validate_against(const nlohmann::json& schema, const YamlJson& doc, std::string_view source) {
  valijson::Schema parsed;
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter schema_adapter(schema);
    parser.populateSchema(schema_adapter, parsed);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("unusable JSON schema: ") + e.what());
  }
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(doc.value);
  if (validator.validate(parsed, target, &results)) return;
  // Report the deepest error (the most specific), first among equals.
  const valijson::ValidationResults::Error* best = nullptr;
  for (const auto& e : results)
    if (!best || e.context.size() > best->context.size()) best = &e;
  std::string pointer;
  if (best) {
    for (const auto& c : best->context) {
      if (c == "<root>") continue;
      std::string_view t = c;
      if (t.size() >= 2 && t.front() == '[' && t.back() == ']') t = t.substr(1, t.size() - 2);
      pointer += '/';
      pointer += escape_token(t);
    }
  }
  std::string what = best ? best->description : std::string("does not match the schema");
  // valijson reports an unknown key on its parent object; name the key itself, on its own line.
  const std::string marker = "'properties' or 'additionalProperties' constraints: '";
  if (auto at = what.find(marker); at != std::string::npos) {
    const auto start = at + marker.size();
    const auto end = what.find('\'', start);
    if (end != std::string::npos) {
      const std::string key = what.substr(start, end - start);
      pointer += '/';
      pointer += escape_token(key);
      what = "unknown key '" + key + "' (a misspelling? see the schema for the keys allowed here)";
    }
  }
  if (what.find("'pattern' constraint") != std::string::npos) {
    // say which form was wanted, for the forms this project's schemas use
    const auto key = pointer.substr(pointer.rfind('/') + 1);
    static const std::vector<std::string> durations = {"first_response", "resolution", "step", "timeout", "initial",
                                                       "max", "window", "link_ttl"};
    if (std::find(durations.begin(), durations.end(), key) != durations.end())
      what = "not a duration: write a whole number and s, m, h, d (wall clock), wd (working days) or wh (working "
             "hours), e.g. 90s, 15m, 2h, 10wd";
    else if (key == "region")
      what = "not a division code: 4, 6, 9 or 12 digits";
    else if (pointer == "/http/listen")
      what = "not a listen address: write HOST:PORT with a numeric host, e.g. 127.0.0.1:8080 or [::1]:8080";
    else if (pointer.find("/listen") != std::string::npos)
      what = "not a listen address: write udp:HOST:PORT or tcp:HOST:PORT, e.g. udp:0.0.0.0:5060";
    else if (const auto* d = constraint_of(schema, schema_at(schema, pointer), "description"); d && d->is_string())
      what = "does not have the required form: " + d->get<std::string>();
    else if (const auto* pat = constraint_of(schema, schema_at(schema, pointer), "pattern"); pat && pat->is_string())
      what = "does not have the required form (the pattern " + pat->get<std::string>() + ")";
    else
      what = "does not have the required form (" + what + ")";
  }
  // the schema says what is wanted where valijson only says that it is not this
  const auto* node = schema_at(schema, pointer);
  if (what.find("any enum values") != std::string::npos) {
    if (const auto* e = constraint_of(schema, node, "enum"); e && e->is_array()) {
      std::string allowed;
      for (const auto& v : *e) allowed += (allowed.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
      what = "must be one of: " + allowed;
    }
  } else if (what.find("'const' constraint") != std::string::npos) {
    if (const auto* c = constraint_of(schema, node, "const")) what = "must be " + c->dump();
  } else if (what.starts_with("Array should contain no fewer than ")) {
    if (const auto* m = constraint_of(schema, node, "minItems"); m && m->is_number_integer())
      what = "must have at least " + std::to_string(m->get<long long>()) + (m->get<long long>() == 1 ? " item" : " items");
  }
  if (what.find("'type' constraint") != std::string::npos) {
    // say what was expected and what was found, from the schema and the document
    const auto target = nlohmann::json::json_pointer(pointer);
    std::string expected;
    if (const auto* type = constraint_of(schema, node, "type")) {
      const auto& t = *type;
      if (t.is_string()) expected = type_words(t.get<std::string>());
      else if (t.is_array())
        for (const auto& one : t) expected += (expected.empty() ? "" : " or ") + type_words(one.get<std::string>());
    }
    if (!expected.empty() && doc.value.contains(target))
      what = "expected " + expected + ", found " + value_type_words(doc.value.at(target));
  }
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"Expected number less than or equal to ", "must be at most "},
           {"Expected number greater than or equal to ", "must be at least "},
           {"Expected number less than ", "must be below "},
           {"Expected number greater than ", "must be above "}})
    if (what.starts_with(from)) {
      what = to + plain_number(what.substr(from.size()));
      break;
    }
  throw YamlJsonError(std::string(source), doc.line_of(pointer), pointer_to_path(doc.value, pointer), what);
}

}  // namespace assist
