#include "sema/format.h"

#include <cstring>

namespace mstap {

ast::Type conversionType(char conversion) {
  return conversion == 's' ? ast::Type::String : ast::Type::Long;
}

bool parseFormat(const std::string &format, std::vector<FormatDirective> &directives,
                 std::string &error, size_t &errorOffset) {
  directives.clear();
  std::string literal;
  auto flushLiteral = [&] {
    if (!literal.empty()) {
      FormatDirective d;
      d.literal = std::move(literal);
      directives.push_back(std::move(d));
      literal.clear();
    }
  };
  size_t i = 0;
  const size_t n = format.size();
  while (i < n) {
    if (format[i] != '%') {
      literal += format[i++];
      continue;
    }
    size_t start = i++;
    if (i < n && format[i] == '%') {
      literal += '%';
      ++i;
      continue;
    }
    FormatDirective d;
    d.offset = start;
    for (; i < n && std::strchr("-+ #0", format[i]); ++i) {
      switch (format[i]) {
      case '-': d.leftAlign = true; break;
      case '+': d.plus = true; break;
      case ' ': d.space = true; break;
      case '#': d.alternate = true; break;
      case '0': d.zeroPad = true; break;
      }
    }
    auto number = [&](int &into) {
      if (i < n && format[i] == '*') {
        into = -2;
        ++i;
        return true;
      }
      if (i < n && format[i] >= '0' && format[i] <= '9') {
        long value = 0;
        while (i < n && format[i] >= '0' && format[i] <= '9') {
          value = value * 10 + (format[i++] - '0');
          if (value > 4096) {
            error = "width or precision over 4096 in format";
            errorOffset = start;
            return false;
          }
        }
        into = static_cast<int>(value);
      }
      return true;
    };
    if (!number(d.width))
      return false;
    if (i < n && format[i] == '.') {
      ++i;
      d.precision = 0;
      if (!number(d.precision))
        return false;
    }
    // Length modifiers are accepted and mean nothing: every number is 64 bits.
    while (i < n && std::strchr("hlLqjzt", format[i]))
      ++i;
    if (i >= n) {
      error = "format ends in the middle of a '%' conversion";
      errorOffset = start;
      return false;
    }
    char c = format[i++];
    if (!std::strchr("diuoxXpscbmM", c)) {
      error = std::string("unknown conversion '%") + c + "' in format";
      errorOffset = start;
      return false;
    }
    d.conversion = c;
    flushLiteral();
    directives.push_back(std::move(d));
  }
  flushLiteral();
  return true;
}

} // namespace mstap
