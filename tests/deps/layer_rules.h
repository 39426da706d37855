#pragma once
/// The dependency rules of the layers (docs/architecture.md, "Layers"), checked on the
/// #include lines of a source tree. A file breaks a rule when it includes a forbidden
/// header, directly or through project headers outside the rule's folders (a header inside
/// them answers for itself, so one wrong include is reported once, where it is written).
#include <filesystem>
#include <string>
#include <vector>

namespace rnicsim::deps {

struct Rule {
  const char* text;                     ///< the rule, as the report states it
  std::vector<std::string> folders;     ///< where it applies (relative to the root, ending in '/')
  std::vector<std::string> forbidden;   ///< include paths it forbids: a prefix when ending in '/'
  /// Exceptions to `forbidden`, exact paths: the one door into a forbidden layer. What such
  /// a header includes is its own business (the rule does not look through it).
  std::vector<std::string> allowed = {};
};

/// The project's rules.
const std::vector<Rule>& project_rules();

struct Violation {
  std::string file;     ///< relative to the root
  int line = 0;         ///< of the #include
  std::string include;  ///< as written, with its quotes or angle brackets
  std::string reached;  ///< the forbidden include, when reached through other headers (else empty)
  std::string via;      ///< the headers in between, "a -> b", when reached through them
  const Rule* rule = nullptr;
};

struct Report {
  size_t files = 0;  ///< files scanned
  std::vector<Violation> violations;  ///< in file order, then line order
};

/// Scans every C++ source and header under the rules' folders of `root`.
Report check_tree(const std::filesystem::path& root, const std::vector<Rule>& rules = project_rules());

/// `file:line: includes X (which reaches Y through a -> b): rule`.
std::string to_string(const Violation& v);

}  // namespace rnicsim::deps
