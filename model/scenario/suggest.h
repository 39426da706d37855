#pragma once
/// "Did you mean ...?" for the loader's messages: the closest candidate by edit distance.
/// Internal to the scenario library.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace rnicsim::scenario::detail {

/// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent
/// transpositions cost 1 each, so `tpye` is one edit from `type`.
inline size_t edit_distance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1, 0));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

/// The candidate closest to `word`, if it is close enough to be a likely typo: one edit
/// for words up to 4 characters, two up to 8, three beyond. Empty when none is.
inline std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  // No key or keyword is longer than this: a longer word is no typo of one, and its
  // distance matrix would cost what the word's length squared costs.
  constexpr size_t kLongestWord = 64;
  if (word.size() > kLongestWord) return {};
  const size_t limit = word.size() <= 4 ? 1 : word.size() <= 8 ? 2 : 3;
  std::string best;
  size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    const size_t dist = edit_distance(word, c);
    if (dist < best_d && dist < std::max(word.size(), c.size())) {
      best_d = dist;
      best = c;
    }
  }
  return best;
}

/// "; did you mean 'x'?" or "".
inline std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string c = closest(word, candidates);
  return c.empty() ? std::string() : "; did you mean '" + c + "'?";
}

}  // namespace rnicsim::scenario::detail
