// Pass 1's conditional compilation, as stap's: %( CONDITION %? THEN %: ELSE %)
// anywhere in a script, nested, choosing tokens before the parser sees any.
// A condition compares one of the target's properties (kernel_v,
// kernel_vr, arch, runtime, systemtap_v, systemtap_privilege, guru_mode,
// CONFIG_NAME, $#, @#) with a literal, combined with &&, || and !.
#pragma once

#include "parse/lexer.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mstap {

// What conditions read: the target kernel and the translator.
struct ConditionContext {
  std::string kernelRelease;     // kernel_vr, e.g. "6.1.0-57-amd64"; kernel_v is its part before '-'
  std::string arch = "x86_64";   // the kernel's architecture, as uname -m
  std::string runtime = "kernel";
  std::string systemtapVersion = "5.0"; // the stap version mstap answers as (--compatible)
  std::string privilege = "stapdev";   // systemtap_privilege
  bool guru = false;
  size_t argCount = 0; // $# and @#
  // CONFIG_NAME's value in the target's .config ("y", "m", a string's text),
  // or nullopt when unset; null: every option reads as unset.
  std::function<std::optional<std::string>(const std::string &name)> config;
};

// Compares versions as stap does: runs of digits by value, the rest by
// character ("6.1.0" > "2.6.29", "6.10" > "6.9").
int compareVersions(const std::string &a, const std::string &b);

// The lexer's tokens with the conditionals resolved: their markers and the
// tokens of the branches not taken are dropped. Errors (an unknown
// condition, a missing %? or %), a stray %: ...) go to `diags` at their
// position.
class Preprocessor {
public:
  Preprocessor(Lexer &lexer, const SourceFile &file, Diagnostics &diags, const ConditionContext &context);
  Lexeme next();

private:
  struct Frame {
    Lexeme open;         // its "%("
    bool parentActive;   // the tokens around it are taken
    bool condition;      // what the condition said
    bool inElse = false; // after its "%:"
  };
  bool active() const { return frames_.empty() || frameActive(frames_.back()); }
  static bool frameActive(const Frame &f) { return f.parentActive && (f.inElse ? !f.condition : f.condition); }
  void open(const Lexeme &at);
  void error(const Lexeme &at, const std::string &message);

  Lexer &lexer_;
  const SourceFile &file_;
  Diagnostics &diags_;
  const ConditionContext &context_;
  std::vector<Frame> frames_;
  bool macroPending_ = false; // "@define" seen: its body's "%(" comes next
  int macroDepth_ = 0;        // inside a macro's %( %) body
  size_t open_, then_, else_, close_; // the markers' token types
};

} // namespace mstap
