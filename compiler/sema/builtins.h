// The built-in functions pass 2 knows (pass 3 implements them), with their
// signatures; the source of --dump-functions and of the README's list.
#pragma once

#include "ast/ast.h"

#include <string>
#include <vector>

namespace mstap::ast {

struct Builtin {
  enum class Kind {
    Plain,      // fixed parameters
    Print,      // any number of longs or strings (print, println, sprint, sprintln)
    Delimited,  // a delimiter string, then longs or strings (printd, printdln)
    Format,     // a literal format string, then what it asks for (printf, sprintf)
  };
  const char *name;
  Type returnType; // Unknown: returns nothing
  std::vector<Type> params;
  Kind kind = Kind::Plain;
  const char *summary;
};

const std::vector<Builtin> &builtins();
const Builtin *findBuiltin(const std::string &name);
// "substr:string (str:string, start:long, length:long)"-style lines.
std::string builtinSignature(const Builtin &b);

} // namespace mstap::ast
