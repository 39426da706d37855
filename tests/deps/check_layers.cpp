// check_layers ROOT: checks the layer rules (tests/deps/layer_rules.h) on the source tree
// at ROOT; prints each violation as file:line and the rule broken, and exits 1 if any.
#include <cstdio>

#include "tests/deps/layer_rules.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: check_layers ROOT\n");
    return 2;
  }
  const rnicsim::deps::Report r = rnicsim::deps::check_tree(argv[1]);
  for (const auto& v : r.violations) std::printf("%s\n", rnicsim::deps::to_string(v).c_str());
  std::printf("%zu files checked, %zu violations\n", r.files, r.violations.size());
  return r.violations.empty() ? 0 : 1;
}
