// Where pass 1's time goes, roughly: its first step, lexing (ANTLR's input
// stream and lexer, exactly as compiler/parse/parser.cpp runs them), against
// the whole of parseScript. The rest is parsing (ANTLR's parser and the
// checks on its tree) and the transform to mstap's AST; callgrind splits it
// further (see the comment at the top of parse_bench.cpp).
#include "parse_phases.h"

#include "parse/parser.h"

#include "StapLexer.h"

#include <chrono>
#include <cstdio>

using namespace antlr4;
using mstap_grammar::StapLexer;
using Clock = std::chrono::steady_clock;

namespace mstap::bench {

PhaseTimes timePhases(const SourceFile &file) {
  PhaseTimes t;
  {
    auto start = Clock::now();
    ANTLRInputStream input(file.text());
    StapLexer lexer(&input);
    lexer.removeErrorListeners();
    CommonTokenStream tokens(&lexer);
    tokens.fill();
    t.lexMs = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    t.tokens = tokens.size();
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
              "is parsing and the AST\n",
              label, t.lexMs, t.tokens, t.totalMs > 0 ? 100 * t.lexMs / t.totalMs : 0, t.totalMs,
              t.totalMs - t.lexMs);
}

} // namespace mstap::bench
