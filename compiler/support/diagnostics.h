// Diagnostics are collected, not thrown: every pass reports into one
// Diagnostics object and the driver decides when to stop.
#pragma once

#include "support/source.h"

#include <cstdio>
#include <set>
#include <tuple>
#include <string>
#include <vector>

namespace mstap {

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity;
  const SourceFile *file; // null for diagnostics about no place in a script
  SourceLoc loc;
  std::string message;
};

class Diagnostics {
public:
  // Past this many errors a run stops reporting, as compilers do.
  static constexpr unsigned maxErrors = 20;

  void error(const SourceFile *file, SourceLoc loc, std::string message);
  void warning(const SourceFile *file, SourceLoc loc, std::string message);
  // A note belongs to the error or warning reported just before it.
  void note(const SourceFile *file, SourceLoc loc, std::string message);
  void error(std::string message) { error(nullptr, {}, std::move(message)); }

  unsigned errorCount() const { return errors_; }
  bool hasErrors() const { return errors_ != 0; }
  bool tooManyErrors() const { return shownErrors_ >= maxErrors; }
  void setWarningsEnabled(bool enabled) { warningsEnabled_ = enabled; }

  const std::vector<Diagnostic> &all() const { return diagnostics_; }
  // Puts what was reported from index `from` on in source order, each error
  // or warning with its notes (a pass that walks twice reports out of order).
  void sortFrom(size_t from);
  void clear();

  // Prints what has been reported since the last print, in the order it was
  // reported: "FILE:LINE:COL: error: MESSAGE", the source line, a caret.
  void print(std::FILE *out, bool colour);
  // The same, as text, without colour (tests and the fuzzer use it).
  std::string render() const;

private:
  void add(Severity severity, const SourceFile *file, SourceLoc loc, std::string message);
  std::vector<Diagnostic> diagnostics_;
  size_t printed_ = 0;
  unsigned errors_ = 0;      // every error reported, repeats included
  unsigned shownErrors_ = 0; // the ones kept, up to maxErrors (+1 for the notice)
  bool warningsEnabled_ = true;
  bool lastDropped_ = false; // a note follows its (possibly dropped) parent
  std::set<std::tuple<const SourceFile *, uint32_t, uint32_t, std::string>> reported_;
};

// One diagnostic, formatted; `colour` adds ANSI colours.
std::string formatDiagnostic(const Diagnostic &d, bool colour);

} // namespace mstap
