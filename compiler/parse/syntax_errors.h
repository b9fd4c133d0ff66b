// ANTLR's error reports, reworded: "expected ')' after function arguments"
// rather than raw token sets.
#pragma once

#include "support/diagnostics.h"

#include <antlr4-runtime.h>

namespace mstap {

class StapTokenSource;

class SyntaxErrorStrategy : public antlr4::DefaultErrorStrategy {
public:
  // `source`, if given, tells of tokens out of macro expansions: an error
  // at one gets notes naming the macro.
  SyntaxErrorStrategy(const SourceFile &file, Diagnostics &diags, const StapTokenSource *source = nullptr)
      : file_(file), diags_(diags), source_(source) {}

protected:
  void reportNoViableAlternative(antlr4::Parser *parser, const antlr4::NoViableAltException &e) override;
  void reportInputMismatch(antlr4::Parser *parser, const antlr4::InputMismatchException &e) override;
  void reportFailedPredicate(antlr4::Parser *parser, const antlr4::FailedPredicateException &e) override;
  void reportUnwantedToken(antlr4::Parser *parser) override;
  void reportMissingToken(antlr4::Parser *parser) override;

private:
  void report(antlr4::Token *at, const std::string &message);
  const SourceFile &file_;
  Diagnostics &diags_;
  const StapTokenSource *source_;
  size_t lastErrorToken_ = SIZE_MAX; // one error a token: recovery can report twice
};

// A token as a message shows it: 'foo', string "abc", end of file.
std::string describeToken(antlr4::Token *token);

} // namespace mstap
