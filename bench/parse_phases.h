// How much of pass 1 is lexing and preprocessing, for mstap_bench --phases.
#pragma once

#include "support/source.h"

#include <cstddef>

namespace mstap::bench {

struct PhaseTimes {
  double lexMs = 0;      // the hand-written lexer, every token made for the parser
  double preprocessMs = 0; // the same through the preprocessor (macros, conditionals), as parseScript lexes
  double antlrLexMs = 0; // ANTLR's StapLexer on the same text, for comparison
  double totalMs = 0;    // parseScript on the same text
  size_t tokens = 0;
  size_t preprocessedTokens = 0;
};

// Lexes `file` as parseScript does (with and without the preprocessor), and
// as StapLexer would, then times parseScript itself: the thread's CPU time,
// the median of `rounds` (StapLexer's once).
PhaseTimes timePhases(const SourceFile &file, unsigned rounds = 9);
void printPhases(const char *label, const PhaseTimes &t);

} // namespace mstap::bench
