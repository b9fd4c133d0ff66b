// printf-style formats: parsed once in pass 2 to check the arguments, and
// again by pass 3 to emit the formatting.
#pragma once

#include "ast/ast.h"

#include <string>
#include <vector>

namespace mstap {

struct FormatDirective {
  // A run of literal text when conversion == 0 (with "%%" already folded).
  std::string literal;
  char conversion = 0;       // d i u o x X p s c b m M
  bool leftAlign = false, plus = false, space = false, alternate = false, zeroPad = false;
  int width = -1;            // -1: none; -2: taken from an argument ('*')
  int precision = -1;        // the same
  size_t offset = 0;         // where the directive starts in the format, in bytes
};

// Parses a format; on error returns false with `error` and the byte offset.
bool parseFormat(const std::string &format, std::vector<FormatDirective> &directives,
                 std::string &error, size_t &errorOffset);

// The type a conversion takes: Long, or String for %s.
ast::Type conversionType(char conversion);

} // namespace mstap
