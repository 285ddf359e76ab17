#pragma once
// YAML text -> JSON value, remembering the YAML line of every node, and JSON Schema (draft-07) validation
// that reports the first error as "source:line: path: message". Generic: knows nothing of what the file
// means (the config file, the classifier rules, calendars).
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace assist {

/// A file that cannot be used (unreadable, bad YAML, schema violation, a semantic error): what() names
/// the file, and the line and key where they apply ("config.yaml:12: sla.limits[2].resolution: ...").
class FileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A YAML or schema error; what() is "source:line: path: message" (path like "rules[3].weight", or "yaml").
class YamlJsonError : public FileError {
 public:
  YamlJsonError(std::string source, int line, std::string path, std::string message);
  const std::string& source() const { return source_; }
  int line() const { return line_; }                    ///< 1-based; 0 when unknown
  const std::string& path() const { return path_; }     ///< "rules[3].weight"; "" for the document
  const std::string& message() const { return message_; }

 private:
  std::string source_, path_, message_;
  int line_;
};

/// A YAML document as JSON: `value`, and the 1-based YAML line of every node keyed by JSON pointer
/// ("" for the root, "/rules/3/weight"). Plain scalars become null/bool/integer/number when they read as
/// such (YAML 1.2 core schema), quoted scalars stay strings; mapping keys are strings; aliases are expanded.
struct YamlJson {
  nlohmann::json value;
  std::map<std::string, int> lines;

  /// The line of `pointer`, else of its nearest ancestor that has one, else 0.
  int line_of(std::string pointer) const;
};

/// Parses `yaml` (one document; an empty text is null). Throws YamlJsonError ("source:line: yaml: ...")
/// on a syntax error or a document deeper than 64 levels.
YamlJson yaml_to_json(std::string_view yaml, std::string_view source);

/// Validates `doc` against the draft-07 `schema`. Throws YamlJsonError naming the line and path of the
/// deepest first error; throws std::invalid_argument when the schema itself cannot be parsed.
void validate_against(const nlohmann::json& schema, const YamlJson& doc, std::string_view source);

/// "/rules/3/weight" -> "rules[3].weight" (array indices as [i], using `root` to tell indices from keys).
std::string pointer_to_path(const nlohmann::json& root, std::string_view pointer);

}  // namespace assist
