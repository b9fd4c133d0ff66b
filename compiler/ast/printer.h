// The -p1 printer: a script back as canonical stap source. Its output parses
// again to the same output (tests/roundtrip checks that over every script).
#pragma once

#include "ast/ast.h"

#include <string>

namespace mstap::ast {

std::string printScript(const Script &script);
std::string printExpr(const Expr &expr);
// A string literal with quotes and C escapes, as the lexer reads it back.
std::string quoteString(const std::string &value);

} // namespace mstap::ast
