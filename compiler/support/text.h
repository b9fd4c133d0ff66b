// Small text helpers every stage may use.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace mstap {

// Levenshtein distance, for "(similar: ...)" suggestions.
size_t editDistance(const std::string &a, const std::string &b);

// The "similar: ..." text of a suggestion: the five names of lowest score
// (an edit distance), each once, comma-separated. `scored` is sorted in place.
std::string closestNames(std::vector<std::pair<size_t, std::string>> &scored);

} // namespace mstap
