// Where pass 1's time goes, roughly: its first step, lexing (the hand-written
// lexer feeding a CommonTokenStream, as compiler/parse/parser.cpp runs it,
// with and without the preprocessor between them: the difference is what
// preprocessing, macro expansion included, costs), against the whole of
// parseScript. The rest is parsing (ANTLR's
// parser and the checks on its tree) and the transform to mstap's AST;
// callgrind splits it further (see the comment at the top of
// parse_bench.cpp). ANTLR's generated lexer, which the hand-written one
// replaced, is timed on the same text for comparison. Times are the
// thread's CPU time, medians of several rounds.
#include "parse_phases.h"

#include "parse/lexer.h"
#include "parse/parser.h"
#include "parse/token_source.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

using namespace antlr4;

namespace mstap::bench {

namespace {

// CPU time of this thread: on a machine shared with other work, the wall
// clock counts the time spent waiting for a CPU too.
double threadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

} // namespace

PhaseTimes timePhases(const SourceFile &file, unsigned rounds) {
  PhaseTimes t;
  ConditionContext conditions;
  conditions.kernelRelease = "6.1.0-57-amd64"; // (parseScript asks uname: not part of the preprocessor)
  std::vector<double> lex, preprocess, total;
  // Round by round, so that the three see the same conditions.
  for (unsigned r = 0; r < rounds; ++r) {
    {
      double start = threadCpuMs();
      Diagnostics diags;
      StapTokenSource lexer(file, diags);
      StapTokenStream tokens(&lexer, file);
      tokens.fill();
      lex.push_back(threadCpuMs() - start);
      t.tokens = tokens.size();
    }
    {
      double start = threadCpuMs();
      Diagnostics diags;
      StapTokenSource lexer(file, diags, &conditions);
      StapTokenStream tokens(&lexer, file);
      tokens.fill();
      preprocess.push_back(threadCpuMs() - start);
      t.preprocessedTokens = tokens.size();
    }
    {
      ParseOptions options;
      options.conditions = &conditions;
      Diagnostics diags;
      double start = threadCpuMs();
      auto script = parseScript(file, options, diags);
      total.push_back(threadCpuMs() - start);
    }
  }
  t.lexMs = median(lex);
  t.preprocessMs = median(preprocess);
  t.totalMs = median(total);
  {
    double start = threadCpuMs();
    Diagnostics diags;
    lexWithAntlr(file, diags);
    t.antlrLexMs = threadCpuMs() - start;
  }
  return t;
}

void printPhases(const char *label, const PhaseTimes &t) {
  std::printf("  %-14s lexing %.2f ms (%zu tokens, %.0f%%) of parseScript %.2f ms; the rest, %.2f ms, "
              "is parsing and the AST (ANTLR's StapLexer: %.2f ms)\n",
              label, t.lexMs, t.tokens, t.totalMs > 0 ? 100 * t.lexMs / t.totalMs : 0, t.totalMs,
              t.totalMs - t.lexMs, t.antlrLexMs);
  double preprocessing = t.preprocessMs - t.lexMs;
  std::printf("  %-14s preprocessing (macros, conditionals): lexing through it %.2f ms (%zu tokens out), "
              "%.2f ms more: %.1f%% of parseScript (issue 13: at most 10%%)\n",
              "", t.preprocessMs, t.preprocessedTokens, preprocessing,
              t.totalMs > 0 ? 100 * preprocessing / t.totalMs : 0);
}

} // namespace mstap::bench
