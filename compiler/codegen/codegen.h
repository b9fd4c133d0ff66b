// Pass 3: translates an elaborated script into the C of a kernel module.
//
// Input: the AST after pass 2 (every name resolved, every type known,
// constants folded) and the probe points pass 2 resolved. Output: one C file
// that includes runtime/mstap_module.h and follows runtime/MODULE.md: one
// function per probe handler and script function, the globals in one
// struct, a descriptor per probe point. The file holds the script's logic
// only; everything general is in runtime/.
#pragma once

#include "ast/ast.h"
#include "sema/elaborate.h"
#include "support/diagnostics.h"

#include <string>

namespace mstap::codegen {

struct CodegenResult {
  bool ok = false;
  std::string c; // the module's C source, when ok
};

// `scriptName` names the script in messages ("hello.stp", "<input>").
CodegenResult generateC(const ast::Script &script, const ElaborateResult &elaborated,
                        const std::string &scriptName, Diagnostics &diags);

// A C string literal (quotes included) holding exactly `bytes`.
std::string cStringLiteral(const std::string &bytes);

// A C comment ("/* ... */") showing `text`: whatever its bytes, the comment
// ends where the returned text does.
std::string cComment(const std::string &text);

} // namespace mstap::codegen
