#include "parse/syntax_errors.h"

#include "parse/token_source.h"

#include "StapParser.h"

#include <fmt/format.h>

using namespace antlr4;
using mstap_grammar::StapParser;

namespace mstap {
namespace {

// What a token type is called in "expected ..." messages.
std::string nameOfTokenType(Parser *parser, size_t type) {
  switch (type) {
  case Token::EOF: return "end of file";
  case StapParser::Identifier: return "a name";
  case StapParser::IntegerLiteral: return "a number";
  case StapParser::StringLiteral: return "a string";
  case StapParser::TargetName: return "a target variable";
  case StapParser::DollarNumber:
  case StapParser::AtNumber:
  case StapParser::DollarHash:
  case StapParser::AtHash: return "a command-line argument";
  case StapParser::AtName: return "an @-operator";
  case StapParser::EmbeddedCode: return "embedded C code";
  default: return parser->getVocabulary().getLiteralName(type); // "'('"
  }
}

template <typename... Contexts> bool isOneOf(ParserRuleContext *ctx) {
  return ((dynamic_cast<Contexts *>(ctx) != nullptr) || ...);
}

// The words for what the parser wanted at `found`, in the rule `ctx`.
std::string expectedPhrase(Parser *parser, ParserRuleContext *ctx, const misc::IntervalSet &expected,
                           Token *found) {
  auto has = [&](size_t type) { return expected.contains(type); };
  auto hasLiteral = [&](const char *literal) {
    for (auto type : expected.toList())
      if (parser->getVocabulary().getLiteralName(type) == literal)
        return true;
    return false;
  };
  std::string foundText = ", found " + describeToken(found);

  if (found->getType() == Token::EOF && hasLiteral("'}'") &&
      isOneOf<StapParser::BlockContext, StapParser::StatementContext>(ctx))
    return "expected '}' before end of file: a block is not closed";
  if (hasLiteral("')'")) {
    if (isOneOf<StapParser::CallExprContext, StapParser::AtExprContext>(ctx))
      return "expected ')' after function arguments" + foundText;
    if (isOneOf<StapParser::FunctionDeclContext>(ctx))
      return "expected ')' after function parameters" + foundText;
    if (isOneOf<StapParser::IfStmtContext, StapParser::WhileStmtContext>(ctx))
      return "expected ')' after the condition" + foundText;
    if (isOneOf<StapParser::ProbeComponentContext>(ctx))
      return "expected ')' after the probe point parameter" + foundText;
    if (isOneOf<StapParser::ParenExprContext>(ctx)) {
      // "f(x" reads, after the failure, as "f" then "(x": it was a call.
      size_t open = ctx->getStart()->getTokenIndex();
      if (open > 0 && parser->getTokenStream()->get(open - 1)->getType() == StapParser::Identifier)
        return "expected ')' after function arguments" + foundText;
      return "expected ')' to close '('" + foundText;
    }
  }
  if (hasLiteral("']'") &&
      isOneOf<StapParser::IndexExprContext, StapParser::MultiInExprContext,
              StapParser::TargetSuffixContext>(ctx))
    return "expected ']' after the array index" + foundText;
  if (has(StapParser::Identifier) &&
      isOneOf<StapParser::ProbeDeclContext, StapParser::ProbePointContext,
              StapParser::ProbeComponentContext, StapParser::ProbeNameContext>(ctx))
    return "expected a probe point" + foundText;
  if (isOneOf<StapParser::ScriptContext, StapParser::TopLevelContext>(ctx))
    return "expected 'probe', 'global', 'private' or 'function'" + foundText;
  if (has(StapParser::Identifier) && has(StapParser::IntegerLiteral) &&
      isOneOf<StapParser::ExpressionContext, StapParser::PrimaryContext,
              StapParser::StatementContext, StapParser::ForeachHeadContext>(ctx)) {
    // A statement may also begin with a keyword; an expression is the usual want.
    return (isOneOf<StapParser::StatementContext>(ctx) && !hasLiteral("'}'")
                ? "expected a statement"
                : "expected an expression") +
           foundText;
  }
  if (isOneOf<StapParser::LiteralContext>(ctx))
    return "expected a number or a string" + foundText;

  auto types = expected.toList();
  if (types.empty() || types.size() > 5)
    return "unexpected " + describeToken(found);
  std::string list;
  for (size_t i = 0; i < types.size(); ++i) {
    if (i)
      list += i + 1 == types.size() ? " or " : ", ";
    list += nameOfTokenType(parser, types[i]);
  }
  return "expected " + list + foundText;
}

} // namespace

std::string describeToken(Token *token) {
  if (token->getType() == Token::EOF)
    return "end of file";
  std::string text = token->getText();
  if (text.size() > 40)
    text = text.substr(0, 37) + "...";
  if (token->getType() == StapParser::StringLiteral)
    return "string " + text;
  return "'" + text + "'";
}

void SyntaxErrorStrategy::report(Token *at, const std::string &message) {
  if (at->getTokenIndex() == lastErrorToken_)
    return;
  lastErrorToken_ = at->getTokenIndex();
  SourceLoc loc{static_cast<uint32_t>(at->getLine()),
                static_cast<uint32_t>(at->getCharPositionInLine() + 1)};
  std::vector<Diagnostic> notes;
  if (source_)
    notes = source_->expansionNotes(at);
  if (notes.empty())
    diags_.error(&file_, loc, message);
  else
    diags_.error(&file_, loc, message, std::move(notes));
}

void SyntaxErrorStrategy::reportNoViableAlternative(Parser *parser, const NoViableAltException &e) {
  Token *at = e.getOffendingToken();
  auto *ctx = dynamic_cast<ParserRuleContext *>(e.getCtx());
  report(at, expectedPhrase(parser, ctx ? ctx : parser->getContext(), e.getExpectedTokens(), at));
}

void SyntaxErrorStrategy::reportInputMismatch(Parser *parser, const InputMismatchException &e) {
  Token *at = e.getOffendingToken();
  auto *ctx = dynamic_cast<ParserRuleContext *>(e.getCtx());
  report(at, expectedPhrase(parser, ctx ? ctx : parser->getContext(), e.getExpectedTokens(), at));
}

void SyntaxErrorStrategy::reportFailedPredicate(Parser *parser, const FailedPredicateException &e) {
  report(e.getOffendingToken(), "unexpected " + describeToken(e.getOffendingToken()));
}

void SyntaxErrorStrategy::reportUnwantedToken(Parser *parser) {
  if (inErrorRecoveryMode(parser))
    return;
  beginErrorCondition(parser);
  Token *at = parser->getCurrentToken();
  report(at, expectedPhrase(parser, parser->getContext(), getExpectedTokens(parser), at));
}

void SyntaxErrorStrategy::reportMissingToken(Parser *parser) {
  if (inErrorRecoveryMode(parser))
    return;
  beginErrorCondition(parser);
  Token *at = parser->getCurrentToken();
  report(at, expectedPhrase(parser, parser->getContext(), getExpectedTokens(parser), at));
}

} // namespace mstap
