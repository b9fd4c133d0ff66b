// The hand-written lexer (parse/lexer.h) as an ANTLR TokenSource, for a
// CommonTokenStream in front of the generated parser.
#pragma once

#include "parse/lexer.h"
#include "parse/preprocessor.h"

#include <antlr4-runtime.h>

#include <memory>
#include <vector>

namespace mstap {

// Makes the tokens of Lexer as ANTLR tokens (antlr4::WritableToken): each
// holds its text as a view of the file's, and lives in memory this source
// owns, so making one costs no allocation and deleting one (as the token
// stream does) only runs its destructor. The source must therefore outlive
// the token stream, and the SourceFile the source.
class StapTokenSource final : public antlr4::TokenSource {
public:
  // With `conditions`, the tokens are preprocessed: macros expanded (the
  // file's own, then `libraryMacros`), %( %) conditionals resolved; these
  // are the tokens the parser gets. Without, every token is made as lexed
  // (lexByHand).
  StapTokenSource(const SourceFile &file, Diagnostics &diags, const ConditionContext *conditions = nullptr,
                  const MacroTable *libraryMacros = nullptr)
      : file_(file), lexer_(file, diags) {
    if (conditions)
      preprocessor_ = std::make_unique<Preprocessor>(lexer_, file, diags, *conditions, libraryMacros);
  }
  ~StapTokenSource() override;

  // Lexes the next token; EOF at the end, as ANTLR's lexers.
  std::unique_ptr<antlr4::Token> nextToken() override;
  // Where the last token made starts.
  size_t getLine() const override { return line_; }
  size_t getCharPositionInLine() override { return column_; }
  // There is no ANTLR CharStream: every token carries its text. (Tokens the
  // parser conjures up in error recovery name this source and no stream.)
  antlr4::CharStream *getInputStream() override { return nullptr; }
  std::string getSourceName() override { return file_.name(); }
  antlr4::TokenFactory<antlr4::CommonToken> *getTokenFactory() override {
    return antlr4::CommonTokenFactory::DEFAULT.get();
  }

  // Memory for a token, 8-aligned, from blocks freed with this source.
  void *allocate(size_t size);

  // How many error tokens (UnterminatedString, UnterminatedComment,
  // UnterminatedEmbeddedCode) have been made.
  size_t unterminatedTokens() const { return unterminated_; }

  // For an error at `token`, one of this source's: when it came out of a
  // macro's expansion, notes that say where in the macro it is (empty
  // otherwise).
  std::vector<Diagnostic> expansionNotes(const antlr4::Token *token) const;
  // The preprocessor, if the tokens are preprocessed (for the macros the
  // file defined).
  Preprocessor *preprocessor() { return preprocessor_.get(); }

private:
  static constexpr size_t blockSize = 64 * 1024;
  const SourceFile &file_;
  Lexer lexer_;
  std::unique_ptr<Preprocessor> preprocessor_;
  size_t line_ = 1;
  size_t column_ = 0;
  size_t unterminated_ = 0;
  // Where each token out of a macro expansion is (a token holds its index + 1).
  struct Origin {
    const SourceFile *file;
    uint32_t line, column;
    uint32_t expansion;
  };
  std::vector<Origin> origins_;
  std::vector<std::unique_ptr<unsigned char[]>> blocks_;
  size_t used_ = blockSize; // in the last block
};

// A CommonTokenStream whose list of tokens is sized for the text up front
// (roughly a token for every four bytes), not grown by doubling. Every
// token of a StapTokenSource is on the default channel: the token at k
// ahead is the k-th in the list from the current one (or EOF), which
// tokenTypeAhead reads without LT's search for tokens on the channel.

class StapTokenStream final : public antlr4::CommonTokenStream {
public:
  StapTokenStream(StapTokenSource *source, const SourceFile &file) : CommonTokenStream(source) {
    _tokens.reserve(file.text().size() / 4 + 16);
  }

  // LA(k) for k >= 1, once the stream is filled.
  size_t tokenTypeAhead(size_t k) const {
    size_t i = _p + k - 1;
    return _tokens[i < _tokens.size() ? i : _tokens.size() - 1]->getType();
  }
};

} // namespace mstap
