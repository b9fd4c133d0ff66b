// The -p1 printer: a script back as canonical stap source. Its output parses
// again to the same output (tests/roundtrip checks that over every script).
#pragma once

#include "ast/ast.h"

#include <string>

namespace mstap::ast {

std::string printScript(const Script &script);
std::string printExpr(const Expr &expr);
// "{", the statements indented, "}", each on its own line.
std::string printBlock(const BlockStmt &block);
// A probe point as written: kernel.function("vfs_*").return?
std::string printProbePoint(const ProbePoint &point);
// A string literal with quotes and C escapes, as the lexer reads it back.
std::string quoteString(const std::string &value);

} // namespace mstap::ast
