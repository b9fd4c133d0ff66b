// Pass 1's lexer, written by hand. It makes exactly the tokens of the lexer
// ANTLR generates from grammar/Stap.g4 (StapLexer): the same token types,
// the same skipped comments and whitespace, the same error tokens
// (UnterminatedString, UnterminatedComment, UnterminatedEmbeddedCode), the
// same "invalid character" errors for characters that start no token (and
// the same characters skipped after them), and the same positions: lines,
// columns and indices counted in code points. The grammar stays the
// specification: lexer_test.cpp lexes every script in the tree, the fuzz
// corpus and random text with both lexers and requires identical results.
//
// StapLexer costs most of a parse (ANTLR 4.9 takes a lock for every
// character and hands out text by converting UTF-32 back to UTF-8); this one
// reads the UTF-8 text in place.
//
// Nothing here depends on ANTLR; parse/token_source.h feeds these tokens to
// the ANTLR parser.
#pragma once

#include "support/diagnostics.h"
#include "support/source.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mstap {

// The type of the token at the end of the text (antlr4::Token::EOF).
constexpr size_t endOfFileType = static_cast<size_t>(-1);

// One token. Types are the parser's (mstap_grammar::StapParser::Identifier,
// and for literal tokens such as 'probe' or '<<<' the implicit T__N types).
struct Lexeme {
  size_t type = endOfFileType;
  uint32_t line = 1;   // 1-based
  uint32_t column = 0; // 0-based, in code points (ANTLR's charPositionInLine)
  size_t start = 0;    // code-point index of the first character
  size_t stop = 0;     // of the last one (start - 1 at the end of the text)
  size_t offset = 0;   // where the text is in the file, in bytes
  size_t length = 0;
};

class Lexer {
public:
  // `file` must be valid UTF-8 (parseScript checks it first). Its text is a
  // std::string's, which the lexer reads up to the NUL that ends it.
  Lexer(const SourceFile &file, Diagnostics &diags);

  // The next token. Whitespace and comments are skipped; a character that
  // starts no token is reported to `diags` and skipped. At the end of the
  // text: a token of type endOfFileType, again at every call.
  Lexeme next();

  // The token's text, as in the file.
  std::string_view text(const Lexeme &lexeme) const { return text_.substr(lexeme.offset, lexeme.length); }

private:
  // Moves past `bytes` bytes of text, counting lines and code points.
  void advance(size_t bytes);
  // The same, for bytes known to be ASCII and not '\n'.
  void advanceAscii(size_t bytes) {
    pos_ += bytes;
    index_ += bytes;
    column_ += static_cast<uint32_t>(bytes);
  }
  // How many bytes of operator (a literal token such as "<<=") start here;
  // 0 if none. Its type goes to `type`.
  size_t matchOperator(size_t &type) const;
  size_t keywordType(std::string_view word) const;
  void skipLineComment();
  void invalidCharacter(uint32_t line, uint32_t column, size_t skipFrom);

  const SourceFile &file_;
  std::string_view text_;
  Diagnostics &diags_;
  size_t pos_ = 0;   // byte offset
  size_t index_ = 0; // code-point index
  uint32_t line_ = 1;
  uint32_t column_ = 0;
};

// Reports "invalid character 'X'" (or U+XXXX) for the character at `loc`
// (1-based column): what both lexers report.
void reportInvalidCharacter(const SourceFile &file, SourceLoc loc, Diagnostics &diags);

// A token with its text, for comparing the two lexers.
struct TokenRecord {
  size_t type;
  std::string text; // "<EOF>" for the end, as ANTLR has it
  size_t line, column, start, stop;
  bool operator==(const TokenRecord &other) const {
    return type == other.type && text == other.text && line == other.line && column == other.column &&
           start == other.start && stop == other.stop;
  }
};

// Every token of `file`, the end-of-file token included, by the lexer above.
std::vector<TokenRecord> lexByHand(const SourceFile &file, Diagnostics &diags);

// The same by ANTLR's StapLexer, the specification (parse/antlr_lexer.cpp):
// for the test that compares the two and for the benchmark; parseScript does
// not use it, and nothing that does not call it links StapLexer.
std::vector<TokenRecord> lexWithAntlr(const SourceFile &file, Diagnostics &diags);

// The display name of a token type ("'probe'", "Identifier", "EOF").
std::string tokenTypeName(size_t type);

// The type of the grammar's literal token `text` ("->", "probe", "$#"), found
// by its name in the parser's vocabulary; 0 if the grammar has no such token.
size_t literalTokenType(std::string_view text);

} // namespace mstap
