// Diagnostics are collected, not thrown: every pass reports into one
// Diagnostics object and the driver decides when to stop.
#pragma once

#include "support/source.h"

#include <cstdio>
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
  // Past this many warnings the rest are counted, not kept: one line of
  // 20,000 unused globals must not print 20,000 warnings.
  static constexpr unsigned maxWarnings = 100;
  // A quoted source line longer than this is cut around the caret.
  static constexpr size_t maxQuotedLine = 200;

  void error(const SourceFile *file, SourceLoc loc, std::string message);
  void warning(const SourceFile *file, SourceLoc loc, std::string message);
  // A note belongs to the error or warning reported just before it.
  void note(const SourceFile *file, SourceLoc loc, std::string message);
  void error(std::string message) { error(nullptr, {}, std::move(message)); }

  unsigned errorCount() const { return errors_; }
  bool hasErrors() const { return errors_ != 0; }
  bool tooManyErrors() const { return errors_ >= maxErrors; }
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
  unsigned errors_ = 0;
  unsigned warnings_ = 0;        // kept
  unsigned droppedWarnings_ = 0; // past maxWarnings
  unsigned droppedPrinted_ = 0;  // of those, already said by print()
  bool warningsEnabled_ = true;
  bool lastDropped_ = false; // a note follows its (possibly dropped) parent
};

// One diagnostic, formatted; `colour` adds ANSI colours.
std::string formatDiagnostic(const Diagnostic &d, bool colour);

} // namespace mstap
