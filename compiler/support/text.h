// Small text helpers every stage may use.
#pragma once

#include <cstddef>
#include <string>

namespace mstap {

// Levenshtein distance, for "(similar: ...)" suggestions.
size_t editDistance(const std::string &a, const std::string &b);

} // namespace mstap
