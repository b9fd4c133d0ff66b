// Pass 1: a script's text to mstap's AST.
#pragma once

#include "ast/ast.h"
#include "parse/preprocessor.h"
#include "support/diagnostics.h"
#include "support/source.h"

#include <memory>
#include <string>
#include <vector>

namespace mstap {

struct ParseOptions {
  // The words after the script on the command line: $1..$N, @1..@N.
  std::vector<std::string> args;
  // Guru mode (-g) allows embedded C.
  bool guru = false;
  // Embedded C without guru mode: library scripts, as in stap.
  bool embeddedC = false;
  // What %( %) conditions read of the target (its guru_mode and $# are
  // the two fields above); null: the running kernel, no .config.
  const ConditionContext *conditions = nullptr;
  // The library's macros (its *.stpm files, read with parseMacroFile),
  // which the script sees after its own; null: none.
  const MacroTable *libraryMacros = nullptr;
  // If set, the macros the script defines are added here (they point into
  // the script's SourceFile). A script's macros are its own: this is for
  // tools, and for tests.
  MacroTable *definedMacros = nullptr;
};

// Scripts larger than this are refused before lexing: ANTLR keeps every token.
constexpr size_t maxScriptBytes = 1u << 20; // about 35,000 lines
// Parse trees deeper than this are refused while parsing (long left-nested
// chains such as "1+1+...+1"): every later pass walks the tree recursively.
constexpr unsigned maxTreeDepth = 3000;

// Parses one script. On any error the errors are in `diags` and the result is
// null; the returned script never holds ANTLR types.
std::unique_ptr<ast::Script> parseScript(const SourceFile &file, const ParseOptions &options,
                                         Diagnostics &diags);

// Reads a library macro file (*.stpm on the tapset path): @define and %( %)
// conditionals only. Its macros go into `library`, where every script
// parsed with it as ParseOptions::libraryMacros sees them: all of them, or,
// on any error (one of their names already there among them), none, as in
// stap. While the file is read, its own macros and options.libraryMacros
// are visible to its macros' uses. `file` must outlive `library`.
bool parseMacroFile(const SourceFile &file, const ParseOptions &options, Diagnostics &diags, MacroTable &library);

// For tests: parseScript makes most of ANTLR's predictions itself, from the
// DFA ANTLR has cached (parser.cpp). When `enabled`, each of them is also
// asked of ANTLR, and a different answer counted.
struct PredictionCheck {
  bool enabled = false;
  size_t checked = 0;
  size_t mismatches = 0;
};
PredictionCheck &predictionCheck();

} // namespace mstap
