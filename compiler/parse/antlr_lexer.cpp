// The grammar's own lexer, ANTLR's StapLexer, run as parseScript ran it
// before the hand-written lexer (parse/lexer.cpp) replaced it: the reference
// that lexer_test.cpp holds the hand-written one to. A file of its own, so
// that only what calls it links StapLexer and its ATN.
#include "parse/lexer.h"

#include "StapLexer.h"

using namespace antlr4;
using mstap_grammar::StapLexer;

namespace mstap {
namespace {

// A character that starts no token.
class LexerErrorListener : public BaseErrorListener {
public:
  LexerErrorListener(const SourceFile &file, Diagnostics &diags) : file_(file), diags_(diags) {}

  void syntaxError(Recognizer *, Token *, size_t line, size_t column, const std::string &,
                   std::exception_ptr) override {
    reportInvalidCharacter(file_, {static_cast<uint32_t>(line), static_cast<uint32_t>(column + 1)}, diags_);
  }

private:
  const SourceFile &file_;
  Diagnostics &diags_;
};

} // namespace

std::vector<TokenRecord> lexWithAntlr(const SourceFile &file, Diagnostics &diags) {
  ANTLRInputStream input(file.text());
  input.name = file.name();
  StapLexer lexer(&input);
  LexerErrorListener errors(file, diags);
  lexer.removeErrorListeners();
  lexer.addErrorListener(&errors);
  CommonTokenStream tokens(&lexer);
  tokens.fill();
  std::vector<TokenRecord> records;
  for (Token *token : tokens.getTokens())
    records.push_back({token->getType(), token->getText(), token->getLine(), token->getCharPositionInLine(),
                       token->getStartIndex(), token->getStopIndex()});
  return records;
}

} // namespace mstap
