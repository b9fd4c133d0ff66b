// How much of pass 1 is lexing, for mstap_bench --phases.
#pragma once

#include "support/source.h"

#include <cstddef>

namespace mstap::bench {

struct PhaseTimes {
  double lexMs = 0;   // UTF-8 to ANTLR's input stream, and every token lexed
  double totalMs = 0; // parseScript on the same text
  size_t tokens = 0;
};

// Lexes `file` as parseScript does, then times parseScript itself.
PhaseTimes timePhases(const SourceFile &file);
void printPhases(const char *label, const PhaseTimes &t);

} // namespace mstap::bench
