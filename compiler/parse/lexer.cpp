#include "parse/lexer.h"

#include "parse/token_source.h"

#include "StapParser.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

using mstap_grammar::StapParser;

namespace mstap {

static_assert(endOfFileType == antlr4::Token::EOF);

namespace {

// The grammar's literal tokens ('probe', '(', '<<<', ...) have the types
// ANTLR numbered T__0, T__1, ... in the order they first appear in the
// grammar; they are found once, by their names in the parser's vocabulary.
struct Literal {
  std::string text;
  size_t type;
};

struct Literals {
  std::vector<Literal> operators[128]; // by first character, longest first
  std::vector<Literal> keywords[128];  // by first character
  const antlr4::dfa::Vocabulary *vocabulary = nullptr;
};

// The classes of characters the rules below test.
enum : uint8_t { letter = 1, digit = 2, space = 4 }; // letter: [a-zA-Z_]; space: [ \t\r\n\f\u000B]
constexpr std::array<uint8_t, 256> characterClasses = [] {
  std::array<uint8_t, 256> classes{};
  for (int c = 'a'; c <= 'z'; ++c)
    classes[c] = classes[c - 'a' + 'A'] = letter;
  classes['_'] = letter;
  for (int c = '0'; c <= '9'; ++c)
    classes[c] = digit;
  for (unsigned char c : {' ', '\t', '\r', '\n', '\f', '\v'})
    classes[c] = space;
  return classes;
}();

bool isIdentifierStart(unsigned char c) { return characterClasses[c] & letter; }
bool isDigit(unsigned char c) { return characterClasses[c] & digit; }
bool isIdentifierChar(unsigned char c) { return characterClasses[c] & (letter | digit); }

const Literals &literals() {
  static const Literals table = [] {
    Literals t;
    StapParser parser(nullptr); // for its vocabulary, which is static
    t.vocabulary = &parser.getVocabulary();
    for (size_t type = 1; type <= t.vocabulary->getMaxTokenType(); ++type) {
      std::string name = t.vocabulary->getLiteralName(type);
      if (name.size() < 3 || name.front() != '\'' || name.back() != '\'')
        continue; // a named token (Identifier, ...)
      std::string text = name.substr(1, name.size() - 2);
      // '$#' and '@#' are the rules DollarHash and AtHash, lexed with the
      // other '$' and '@' tokens below.
      if (text == "$#" || text == "@#")
        continue;
      unsigned char first = static_cast<unsigned char>(text[0]);
      bool word = std::all_of(text.begin(), text.end(),
                              [](char c) { return isIdentifierChar(static_cast<unsigned char>(c)); }) &&
                  isIdentifierStart(first);
      // A literal this lexer does not know how to read (an escape, a
      // character that starts a comment, string or number) means the grammar
      // has changed under it.
      bool known = word || std::none_of(text.begin(), text.end(), [](char c) {
        return c == '\\' || c == '"' || c == '#' || c == '$' || c == '@' || static_cast<unsigned char>(c) >= 0x80 ||
               isIdentifierChar(static_cast<unsigned char>(c)) || c == ' ';
      });
      if (!known || text == "/*" || text == "//" || text == "%{")
        throw std::logic_error("the hand-written lexer cannot read the grammar's literal token " + name);
      (word ? t.keywords : t.operators)[first].push_back({text, type});
    }
    for (auto &list : t.operators)
      std::stable_sort(list.begin(), list.end(),
                       [](const Literal &a, const Literal &b) { return a.text.size() > b.text.size(); });
    return t;
  }();
  return table;
}

// The length in bytes of the UTF-8 character that starts with `c`.
size_t utf8Length(unsigned char c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

// The code point at `loc`, quoted when printable, else as U+XXXX.
std::string describeCharAt(const SourceFile &file, SourceLoc loc) {
  std::string_view line = file.line(loc.line);
  uint32_t column = 1;
  for (size_t i = 0; i < line.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if ((c & 0xC0) == 0x80)
      continue;
    if (column++ != loc.column)
      continue;
    size_t length = utf8Length(c);
    if (c < 0x20 || c == 0x7f)
      return fmt::format("U+{:04X}", c);
    return "'" + std::string(line.substr(i, length)) + "'";
  }
  return "";
}

} // namespace

void reportInvalidCharacter(const SourceFile &file, SourceLoc loc, Diagnostics &diags) {
  diags.error(&file, loc, "invalid character " + describeCharAt(file, loc));
}

std::string tokenTypeName(size_t type) {
  if (type == endOfFileType)
    return "EOF";
  return literals().vocabulary->getDisplayName(type);
}

size_t literalTokenType(std::string_view text) {
  if (text == "$#")
    return StapParser::DollarHash;
  if (text == "@#")
    return StapParser::AtHash;
  if (text.empty() || static_cast<unsigned char>(text[0]) >= 128)
    return 0;
  const Literals &table = literals();
  for (const auto *lists : {table.operators, table.keywords})
    for (const Literal &literal : lists[static_cast<unsigned char>(text[0])])
      if (literal.text == text)
        return literal.type;
  return 0;
}

Lexer::Lexer(const SourceFile &file, Diagnostics &diags) : file_(file), text_(file.text()), diags_(diags) {
  literals(); // the table is made before the first token, not inside the loop
  // ANTLR's input stream drops a UTF-8 byte order mark: the first character
  // after it is at index 0, column 0.
  if (text_.substr(0, 3) == "\xEF\xBB\xBF")
    pos_ = 3;
}

void Lexer::advance(size_t bytes) {
  size_t end = pos_ + bytes;
  for (; pos_ < end; ++pos_) {
    unsigned char c = static_cast<unsigned char>(text_[pos_]);
    if (c == '\n') {
      ++line_;
      column_ = 0;
      ++index_;
    } else if ((c & 0xC0) != 0x80) { // a continuation byte is no new character
      ++column_;
      ++index_;
    }
  }
}

size_t Lexer::matchOperator(size_t &type) const {
  unsigned char c = static_cast<unsigned char>(text_[pos_]);
  if (c >= 128)
    return 0;
  // Operators are at most a few characters, and the text ends in a NUL that
  // none holds: comparing character by character never reads past it.
  const char *at = text_.data() + pos_;
  for (const Literal &op : literals().operators[c]) { // longest first
    size_t i = 1;
    while (i < op.text.size() && at[i] == op.text[i])
      ++i;
    if (i == op.text.size()) {
      type = op.type;
      return i;
    }
  }
  return 0;
}

size_t Lexer::keywordType(std::string_view word) const {
  for (const Literal &keyword : literals().keywords[static_cast<unsigned char>(word[0])])
    if (word.size() == keyword.text.size() && std::memcmp(word.data(), keyword.text.data(), word.size()) == 0)
      return keyword.type;
  return StapParser::Identifier;
}

// ANTLR's lexer, finding no token at a character, reports it and goes on
// after the characters it read looking for one (the '$' of "$ ", the "$$"
// of "$$1") and one more (' ' or '1'), if not at the end.
void Lexer::invalidCharacter(uint32_t line, uint32_t column, size_t readTo) {
  reportInvalidCharacter(file_, {line, column + 1}, diags_);
  advanceAscii(readTo - pos_); // the characters read are ASCII ('$', '@')
  if (pos_ < text_.size())
    advance(utf8Length(static_cast<unsigned char>(text_[pos_])));
}

void Lexer::skipLineComment() {
  size_t end = text_.find_first_of("\r\n", pos_);
  advance((end == std::string_view::npos ? text_.size() : end) - pos_);
}

Lexeme Lexer::next() {
  const size_t n = text_.size();
  // The character at i <= n: the text is a std::string's, which ends in a
  // NUL, and no rule goes on after a NUL (inside the text, it is one too).
  const char *data = text_.data();
  auto at = [data](size_t i) { return static_cast<unsigned char>(data[i]); };
  for (;;) {
    Lexeme lexeme;
    lexeme.line = line_;
    lexeme.column = column_;
    lexeme.start = index_;
    lexeme.offset = pos_;
    if (pos_ >= n) {
      lexeme.type = endOfFileType;
      lexeme.stop = index_ - 1;
      return lexeme;
    }
    unsigned char c = static_cast<unsigned char>(text_[pos_]);
    size_t type = 0; // no type is 0: literal tokens are numbered from 1
    switch (c) {
    case ' ': case '\t': case '\r': case '\n': case '\f': case '\v':
      // Whitespace [ \t\r\n\f\u000B]+ -> skip
      for (unsigned char w = c; characterClasses[w] & space; w = at(pos_)) {
        if (w == '\n') {
          ++pos_;
          ++index_;
          ++line_;
          column_ = 0;
        } else {
          advanceAscii(1);
        }
      }
      continue;
    case '#': // LineComment ('#' | '//') ~[\r\n]* -> skip
      skipLineComment();
      continue;
    case '/':
      if (at(pos_ + 1) == '/') {
        skipLineComment();
        continue;
      }
      if (at(pos_ + 1) == '*') {
        // BlockComment '/*' .*? '*/' -> skip; else UnterminatedComment,
        // which runs to the end of the text.
        size_t end = text_.find("*/", pos_ + 2);
        if (end != std::string_view::npos) {
          advance(end + 2 - pos_);
          continue;
        }
        advance(n - pos_);
        type = StapParser::UnterminatedComment;
      }
      break; // else '/' or '/='
    case '%':
      if (at(pos_ + 1) == '{') {
        // EmbeddedCode '%{' .*? '%}'; else UnterminatedEmbeddedCode, to the end.
        size_t end = text_.find("%}", pos_ + 2);
        if (end != std::string_view::npos) {
          advance(end + 2 - pos_);
          type = StapParser::EmbeddedCode;
        } else {
          advance(n - pos_);
          type = StapParser::UnterminatedEmbeddedCode;
        }
      }
      break; // else '%' or '%='
    case '"': {
      // StringLiteral '"' ('\\' . | ~["\\\r\n])* '"', or without the closing
      // '"' UnterminatedString. A '\' at the very end is no part of either.
      size_t p = pos_ + 1;
      type = StapParser::UnterminatedString;
      while (p < n) {
        char d = text_[p];
        if (d == '"') {
          ++p;
          type = StapParser::StringLiteral;
          break;
        }
        if (d == '\\') {
          if (p + 1 >= n)
            break;
          p += 2; // an escaped character's continuation bytes follow as plain ones
          continue;
        }
        if (d == '\r' || d == '\n')
          break;
        ++p;
      }
      advance(p - pos_);
      break;
    }
    case '$': {
      size_t p = pos_ + 1;
      if (at(p) == '#') { // DollarHash '$#'
        type = StapParser::DollarHash;
        ++p;
      } else if (isDigit(at(p))) { // DollarNumber '$' [0-9]+
        while (isDigit(at(p)))
          ++p;
        type = StapParser::DollarNumber;
      } else {
        // TargetName '$' '$'? [a-zA-Z_] [a-zA-Z0-9_]* ('$' '$'?)?
        if (at(p) == '$')
          ++p;
        if (!isIdentifierStart(at(p))) {
          invalidCharacter(lexeme.line, lexeme.column, p);
          continue;
        }
        while (isIdentifierChar(at(p)))
          ++p;
        if (at(p) == '$') {
          ++p;
          if (at(p) == '$')
            ++p;
        }
        type = StapParser::TargetName;
      }
      advanceAscii(p - pos_);
      break;
    }
    case '@': {
      size_t p = pos_ + 1;
      if (at(p) == '#') { // AtHash '@#'
        type = StapParser::AtHash;
        ++p;
      } else if (isDigit(at(p))) { // AtNumber '@' [0-9]+
        while (isDigit(at(p)))
          ++p;
        type = StapParser::AtNumber;
      } else if (isIdentifierStart(at(p))) { // AtName '@' [a-zA-Z_] [a-zA-Z0-9_]*
        while (isIdentifierChar(at(p)))
          ++p;
        type = StapParser::AtName;
      } else {
        invalidCharacter(lexeme.line, lexeme.column, p);
        continue;
      }
      advanceAscii(p - pos_);
      break;
    }
    default:
      if (isDigit(c)) { // IntegerLiteral [0-9] [0-9a-zA-Z_]*
        size_t p = pos_ + 1;
        while (isIdentifierChar(at(p)))
          ++p;
        type = StapParser::IntegerLiteral;
        advanceAscii(p - pos_);
      } else if (isIdentifierStart(c)) { // a keyword, or Identifier [a-zA-Z_] [a-zA-Z0-9_]*
        size_t p = pos_ + 1;
        while (isIdentifierChar(at(p)))
          ++p;
        type = keywordType(text_.substr(pos_, p - pos_));
        advanceAscii(p - pos_);
      }
      break;
    }
    if (type == 0) { // an operator, the longest that matches, or no token at all
      size_t length = matchOperator(type);
      if (length == 0) {
        invalidCharacter(lexeme.line, lexeme.column, pos_);
        continue;
      }
      advanceAscii(length);
    }
    lexeme.type = type;
    lexeme.stop = index_ - 1;
    lexeme.length = pos_ - lexeme.offset;
    return lexeme;
  }
}

namespace {

// A token of the hand-written lexer, as the parser sees it. It is in an
// unnamed namespace for speed as well as tidiness: BufferedTokenStream
// checks every token with dynamic_cast<WritableToken *>, and a type with
// internal linkage is told apart by the address of its type_info, where
// CommonToken's name would be compared with strcmp at every step.
class LexedToken final : public antlr4::WritableToken {
public:
  LexedToken(StapTokenSource *source, const Lexeme &lexeme, std::string_view text, uint32_t origin = 0)
      : source_(source), text_(text), type_(lexeme.type), start_(lexeme.start), stop_(lexeme.stop),
        line_(lexeme.line), column_(lexeme.column), origin_(origin) {}

  // Made in the source's memory, which the source frees.
  static void *operator new(size_t size, StapTokenSource &source) { return source.allocate(size); }
  static void operator delete(void *, StapTokenSource &) {}
  static void operator delete(void *) {}

  std::string getText() const override { return std::string(text_); }
  size_t getType() const override { return type_; }
  size_t getLine() const override { return line_; }
  size_t getCharPositionInLine() const override { return column_; }
  size_t getChannel() const override { return channel_; }
  size_t getTokenIndex() const override { return index_; }
  size_t getStartIndex() const override { return start_; }
  size_t getStopIndex() const override { return stop_; }
  antlr4::TokenSource *getTokenSource() const override { return source_; }
  antlr4::CharStream *getInputStream() const override { return nullptr; }
  // As CommonToken::toString has it.
  std::string toString() const override {
    std::string text;
    for (char c : text_)
      text += c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : std::string(1, c);
    std::string channel = channel_ > 0 ? ",channel=" + std::to_string(channel_) : "";
    return fmt::format("[@{},{}:{}='{}',<{}>{},{}:{}]", static_cast<long long>(index_),
                       static_cast<long long>(start_), static_cast<long long>(stop_), text,
                       static_cast<long long>(type_), channel, line_, column_);
  }

  void setText(const std::string &text) override {
    owned_ = std::make_unique<std::string>(text);
    text_ = *owned_;
  }
  void setType(size_t type) override { type_ = type; }
  void setLine(size_t line) override { line_ = line; }
  void setCharPositionInLine(size_t column) override { column_ = column; }
  void setChannel(size_t channel) override { channel_ = channel; }
  void setTokenIndex(size_t index) override { index_ = index; }

  // Out of a macro expansion: its index + 1 in the source's origins; else 0.
  uint32_t origin() const { return origin_; }

private:
  StapTokenSource *source_;
  std::string_view text_;               // in the file, or in owned_ after setText
  std::unique_ptr<std::string> owned_;  // (the destructor frees it)
  size_t type_;
  size_t start_, stop_;
  size_t index_ = INVALID_INDEX; // (a macro of antlr4-common.h)
  size_t line_, column_;
  size_t channel_ = antlr4::Token::DEFAULT_CHANNEL;
  uint32_t origin_;
};

} // namespace

StapTokenSource::~StapTokenSource() = default;

void *StapTokenSource::allocate(size_t size) {
  size = (size + 7) & ~size_t(7);
  if (used_ + size > blockSize) {
    blocks_.emplace_back(new unsigned char[std::max(size, blockSize)]); // (not zeroed)
    used_ = 0;
  }
  void *memory = blocks_.back().get() + used_;
  used_ += size;
  return memory;
}

std::unique_ptr<antlr4::Token> StapTokenSource::nextToken() {
  Lexeme l;
  std::string_view text;
  uint32_t origin = 0;
  if (preprocessor_) {
    const PreprocessedToken &t = preprocessor_->next();
    l = t.lexeme;
    if (l.type != endOfFileType)
      text = t.text();
    if (t.expansion) {
      origins_.push_back({t.file, t.line, t.column, t.expansion});
      origin = static_cast<uint32_t>(origins_.size());
    }
  } else {
    l = lexer_.next();
    text = lexer_.text(l);
  }
  line_ = l.line;
  column_ = l.column;
  if (l.type == StapParser::UnterminatedString || l.type == StapParser::UnterminatedComment ||
      l.type == StapParser::UnterminatedEmbeddedCode)
    ++unterminated_;
  // ANTLR's end-of-file token reads "<EOF>".
  if (l.type == endOfFileType)
    text = "<EOF>";
  return std::unique_ptr<antlr4::Token>(new (*this) LexedToken(this, l, text, origin));
}

std::vector<Diagnostic> StapTokenSource::expansionNotes(const antlr4::Token *token) const {
  auto *lexed = dynamic_cast<const LexedToken *>(token);
  if (!lexed || lexed->origin() == 0 || !preprocessor_)
    return {};
  const Origin &o = origins_[lexed->origin() - 1];
  return preprocessor_->expansionNotes(o.expansion, o.file, o.line, o.column);
}

// Every token as the parser gets it: through StapTokenSource.
std::vector<TokenRecord> lexByHand(const SourceFile &file, Diagnostics &diags) {
  std::vector<TokenRecord> records;
  StapTokenSource source(file, diags);
  for (;;) {
    std::unique_ptr<antlr4::Token> token = source.nextToken();
    records.push_back({token->getType(), token->getText(), token->getLine(), token->getCharPositionInLine(),
                       token->getStartIndex(), token->getStopIndex()});
    if (token->getType() == endOfFileType)
      return records;
  }
}

} // namespace mstap
