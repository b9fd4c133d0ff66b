// How much of pass 1 is lexing, for mstap_bench --phases.
#pragma once

#include "support/source.h"

#include <cstddef>

namespace mstap::bench {

struct PhaseTimes {
  double lexMs = 0;      // the hand-written lexer, every token made for the parser
  double antlrLexMs = 0; // ANTLR's StapLexer on the same text, for comparison
  double totalMs = 0;    // parseScript on the same text
  size_t tokens = 0;
};

// Lexes `file` as parseScript does, and as StapLexer would, then times
// parseScript itself.
PhaseTimes timePhases(const SourceFile &file);
void printPhases(const char *label, const PhaseTimes &t);

} // namespace mstap::bench
