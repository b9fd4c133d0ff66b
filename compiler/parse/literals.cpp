#include "parse/literals.h"

#include <fmt/format.h>

#include <cctype>

namespace mstap {

std::string parseInteger(const std::string &text, int64_t &value) {
  uint64_t result = 0;
  unsigned base = 10;
  size_t i = 0;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    base = 16, i = 2;
  else if (text.size() > 1 && text[0] == '0')
    base = 8, i = 1;
  if (text.empty())
    return "invalid number ''";
  for (; i < text.size(); ++i) {
    char c = text[i];
    unsigned digit;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    else
      digit = 99;
    if (digit >= base)
      return fmt::format("invalid number '{}'", text);
    if (result > (UINT64_MAX - digit) / base)
      return fmt::format("number '{}' is out of range: more than 64 bits", text);
    result = result * base + digit;
  }
  value = static_cast<int64_t>(result);
  return {};
}

std::string decodeString(const std::string &body, std::string &value, size_t &badColumn) {
  value.clear();
  size_t column = 0; // code points before position i
  for (size_t i = 0; i < body.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(body[i]);
    if ((c & 0xC0) != 0x80)
      ++column;
    if (c != '\\') {
      value += static_cast<char>(c);
      continue;
    }
    size_t escapeColumn = column - 1;
    if (++i >= body.size()) {
      badColumn = escapeColumn;
      return "a string cannot end in a lone '\\'";
    }
    ++column;
    char e = body[i];
    switch (e) {
    case 'n': value += '\n'; break;
    case 't': value += '\t'; break;
    case 'r': value += '\r'; break;
    case 'a': value += '\a'; break;
    case 'b': value += '\b'; break;
    case 'f': value += '\f'; break;
    case 'v': value += '\v'; break;
    case '\\': value += '\\'; break;
    case '"': value += '"'; break;
    case '\'': value += '\''; break;
    case '?': value += '?'; break;
    case '\n': break; // a line continuation
    case '\r':
      if (i + 1 < body.size() && body[i + 1] == '\n')
        ++i;
      break;
    case 'x': {
      unsigned digits = 0, code = 0;
      while (digits < 2 && i + 1 < body.size() && std::isxdigit(static_cast<unsigned char>(body[i + 1]))) {
        char h = body[++i];
        code = code * 16 + (std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
        ++digits, ++column;
      }
      if (digits == 0) {
        badColumn = escapeColumn;
        return "'\\x' needs hexadecimal digits after it";
      }
      value += static_cast<char>(code);
      break;
    }
    default:
      if (e >= '0' && e <= '7') {
        unsigned code = e - '0', digits = 1;
        while (digits < 3 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7') {
          code = code * 8 + (body[++i] - '0');
          ++digits, ++column;
        }
        if (code > 0xFF) {
          badColumn = escapeColumn;
          return "octal escape is out of range";
        }
        value += static_cast<char>(code);
        break;
      }
      badColumn = escapeColumn;
      if (static_cast<unsigned char>(e) >= 0x20 && static_cast<unsigned char>(e) < 0x7f)
        return fmt::format("unknown escape sequence '\\{}' in string", e);
      return "unknown escape sequence in string";
    }
  }
  return {};
}

} // namespace mstap
