// Number and string literals: shared by the transformer and the command-line
// arguments ($N takes the same number syntax as the script).
#pragma once

#include <cstdint>
#include <string>

namespace mstap {

// Number syntax shared with command-line arguments: decimal, 0x hex, 0 octal,
// up to 64 bits (values past INT64_MAX wrap, as in C and stap). Returns an
// error message, or empty on success.
std::string parseInteger(const std::string &text, int64_t &value);

// Decodes the C escapes of a string literal's body. Returns an error message,
// or empty on success; `badColumn` is the 0-based code-point offset of a bad escape.
std::string decodeString(const std::string &body, std::string &value, size_t &badColumn);

} // namespace mstap
