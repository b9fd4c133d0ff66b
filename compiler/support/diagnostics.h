// Diagnostics are collected, not thrown: every pass reports into one
// Diagnostics object and the driver decides when to stop.
#pragma once

#include "support/source.h"

#include <cstdint>
#include <cstdio>
#include <set>
#include <tuple>
#include <string>
#include <unordered_map>
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
  // An error with the notes that explain it, in place of any added for its
  // place with addNotesAt.
  void error(const SourceFile *file, SourceLoc loc, std::string message, std::vector<Diagnostic> notes);

  // Notes for every later error or warning at exactly `loc` of `file` (that
  // is reported without notes of its own). The tokens a macro expands to are
  // all placed at its use: the errors any pass finds in them say which
  // macro they come from.
  void addNotesAt(const SourceFile *file, SourceLoc loc, std::vector<Diagnostic> notes);

  unsigned errorCount() const { return errors_; }
  bool hasErrors() const { return errors_ != 0; }
  bool tooManyErrors() const { return shownErrors_ >= maxErrors; }
  void setWarningsEnabled(bool enabled) { warningsEnabled_ = enabled; }
  // From pass 2 on, a body copied into several probes (an alias's prologue,
  // a probe on syscall.*) is checked once a copy: each repeat of an error
  // or warning (same place, same words) is counted but not shown again.
  // Pass 1 reports each error once anyway, and two at one place there
  // differ in their notes (a macro used twice in one expression).
  void sayRepeatsOnce(bool once) { sayRepeatsOnce_ = once; }

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
  void addNotesFor(const SourceFile *file, SourceLoc loc);
  struct Place {
    const SourceFile *file;
    uint32_t line, column;
    bool operator==(const Place &o) const { return file == o.file && line == o.line && column == o.column; }
  };
  struct PlaceHash {
    size_t operator()(const Place &p) const {
      return std::hash<const void *>()(p.file) ^ (static_cast<size_t>(p.line) * 0x9E3779B97F4A7C15ull + p.column);
    }
  };
  std::unordered_map<Place, std::vector<Diagnostic>, PlaceHash> notesAt_;
  std::vector<Diagnostic> diagnostics_;
  size_t printed_ = 0;
  unsigned errors_ = 0;      // every error reported, repeats included
  unsigned shownErrors_ = 0; // the ones kept, up to maxErrors (+1 for the notice)
  unsigned warnings_ = 0;        // kept
  unsigned droppedWarnings_ = 0; // past maxWarnings
  unsigned droppedPrinted_ = 0;  // of those, already said by print()
  bool warningsEnabled_ = true;
  bool lastDropped_ = false; // a note follows its (possibly dropped) parent
  bool sayRepeatsOnce_ = false;
  std::set<std::tuple<const SourceFile *, uint32_t, uint32_t, std::string>> reported_;
};

// One diagnostic, formatted; `colour` adds ANSI colours.
std::string formatDiagnostic(const Diagnostic &d, bool colour);

} // namespace mstap
