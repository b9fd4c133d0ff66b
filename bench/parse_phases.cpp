// Where pass 1's time goes, roughly: its first step, lexing (the hand-written
// lexer feeding a CommonTokenStream, exactly as compiler/parse/parser.cpp
// runs it), against the whole of parseScript. The rest is parsing (ANTLR's
// parser and the checks on its tree) and the transform to mstap's AST;
// callgrind splits it further (see the comment at the top of
// parse_bench.cpp). ANTLR's generated lexer, which the hand-written one
// replaced, is timed on the same text for comparison.
#include "parse_phases.h"

#include "parse/lexer.h"
#include "parse/parser.h"
#include "parse/token_source.h"

#include <chrono>
#include <cstdio>

using namespace antlr4;
using Clock = std::chrono::steady_clock;

namespace mstap::bench {

PhaseTimes timePhases(const SourceFile &file) {
  PhaseTimes t;
  {
    auto start = Clock::now();
    Diagnostics diags;
    StapTokenSource lexer(file, diags);
    StapTokenStream tokens(&lexer, file);
    tokens.fill();
    t.lexMs = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    t.tokens = tokens.size();
  }
  {
    auto start = Clock::now();
    Diagnostics diags;
    lexWithAntlr(file, diags);
    t.antlrLexMs = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }
  ParseOptions options;
  Diagnostics diags;
  auto start = Clock::now();
  auto script = parseScript(file, options, diags);
  t.totalMs = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return t;
}

void printPhases(const char *label, const PhaseTimes &t) {
  std::printf("  %-14s lexing %.2f ms (%zu tokens, %.0f%%) of parseScript %.2f ms; the rest, %.2f ms, "
              "is parsing and the AST (ANTLR's StapLexer: %.2f ms)\n",
              label, t.lexMs, t.tokens, t.totalMs > 0 ? 100 * t.lexMs / t.totalMs : 0, t.totalMs,
              t.totalMs - t.lexMs, t.antlrLexMs);
}

} // namespace mstap::bench
