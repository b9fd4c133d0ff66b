#include "parse/preprocessor.h"

#include "parse/literals.h"

#include "StapParser.h"

#include <fmt/format.h>

#include <cctype>
#include <fnmatch.h>

namespace mstap {

using mstap_grammar::StapParser;

int compareVersions(const std::string &a, const std::string &b) {
  auto isDigit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (isDigit(a[i]) && isDigit(b[j])) {
      size_t i0 = i, j0 = j;
      while (i < a.size() && isDigit(a[i]))
        ++i;
      while (j < b.size() && isDigit(b[j]))
        ++j;
      // By value: leading zeros dropped, then the longer run is larger.
      std::string x = a.substr(i0, i - i0), y = b.substr(j0, j - j0);
      x.erase(0, std::min(x.find_first_not_of('0'), x.size()));
      y.erase(0, std::min(y.find_first_not_of('0'), y.size()));
      if (x.size() != y.size())
        return x.size() < y.size() ? -1 : 1;
      if (int c = x.compare(y))
        return c < 0 ? -1 : 1;
      continue;
    }
    if (a[i] != b[j])
      return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]) ? -1 : 1;
    ++i;
    ++j;
  }
  return i < a.size() ? 1 : j < b.size() ? -1 : 0;
}

namespace {

// One condition between "%(" and "%?", evaluated by recursive descent:
//   or  := and ('||' and)*      and := atom ('&&' atom)*
//   atom := '(' or ')' | '!' atom | OPERAND OP LITERAL
class Condition {
public:
  Condition(const std::vector<PreprocessedToken> &tokens, const ConditionContext &context)
      : tokens_(tokens), context_(context) {}

  // The value, or nullopt with `problem` and `at` set.
  std::optional<bool> evaluate() {
    bool value = orExpr();
    if (!failed_ && pos_ < tokens_.size())
      fail(tokens_[pos_], fmt::format("unexpected '{}' in a %( %) condition", text(tokens_[pos_])));
    if (failed_)
      return std::nullopt;
    return value;
  }

  std::string problem;
  PreprocessedToken at;

private:
  static std::string text(const PreprocessedToken &t) { return std::string(t.text()); }
  bool is(const char *op) const { return pos_ < tokens_.size() && text(tokens_[pos_]) == op; }
  void fail(const PreprocessedToken &where, std::string message) {
    if (!failed_) {
      failed_ = true;
      at = where;
      problem = std::move(message);
    }
  }
  const PreprocessedToken &current() const { return pos_ < tokens_.size() ? tokens_[pos_] : tokens_.back(); }

  bool orExpr() {
    bool value = andExpr();
    while (!failed_ && is("||")) {
      ++pos_;
      bool rhs = andExpr();
      value = value || rhs;
    }
    return value;
  }
  bool andExpr() {
    bool value = atom();
    while (!failed_ && is("&&")) {
      ++pos_;
      bool rhs = atom();
      value = value && rhs;
    }
    return value;
  }
  bool atom() {
    if (failed_)
      return false;
    if (pos_ >= tokens_.size()) {
      fail(current(), "a %( %) condition ends too soon: a comparison such as kernel_v >= \"5.0\" is missing");
      return false;
    }
    if (is("(")) {
      ++pos_;
      bool value = orExpr();
      if (!is(")")) {
        fail(current(), "')' missing in a %( %) condition");
        return false;
      }
      ++pos_;
      return value;
    }
    if (is("!")) {
      ++pos_;
      return !atom();
    }
    return comparison();
  }

  bool comparison() {
    const PreprocessedToken &operand = tokens_[pos_++];
    std::string name = text(operand);
    if (pos_ >= tokens_.size()) {
      fail(operand, fmt::format("'{}' must be compared with a value in a %( %) condition", name));
      return false;
    }
    const PreprocessedToken &opToken = tokens_[pos_++];
    std::string op = text(opToken);
    if (op != "==" && op != "!=" && op != "<" && op != "<=" && op != ">" && op != ">=") {
      fail(opToken, fmt::format("expected a comparison (==, !=, <, <=, >, >=) after '{}', found '{}'", name, op));
      return false;
    }
    bool negative = false;
    if (is("-")) {
      negative = true;
      ++pos_;
    }
    if (pos_ >= tokens_.size()) {
      fail(opToken, fmt::format("'{}' needs a value to compare with", op));
      return false;
    }
    const PreprocessedToken &valueToken = tokens_[pos_++];
    std::optional<std::string> string;
    std::optional<int64_t> number;
    if (valueToken.lexeme.type == StapParser::StringLiteral && !negative) {
      std::string body = text(valueToken);
      body = body.substr(1, body.size() - 2);
      std::string decoded;
      size_t bad = 0;
      if (!decodeString(body, decoded, bad).empty()) {
        fail(valueToken, "a bad escape in the string of a %( %) condition");
        return false;
      }
      string = decoded;
    } else if (valueToken.lexeme.type == StapParser::IntegerLiteral) {
      int64_t v = 0;
      if (!parseInteger(text(valueToken), v).empty()) {
        fail(valueToken, "a bad number in a %( %) condition");
        return false;
      }
      number = negative ? static_cast<int64_t>(0 - static_cast<uint64_t>(v)) : v;
    } else {
      fail(valueToken, fmt::format("a %( %) condition compares with a string or a number, not '{}'",
                                   text(valueToken)));
      return false;
    }
    auto result = [&](int c) {
      return op == "==" ? c == 0 : op == "!=" ? c != 0 : op == "<" ? c < 0 : op == "<=" ? c <= 0
                                                       : op == ">" ? c > 0 : c >= 0;
    };
    // Strings: == and != match a pattern with wildcards (*, ?, [...]), as
    // stap's; the others compare as versions or text.
    auto compareText = [&](const std::string &value, bool versions) {
      if (!string) {
        fail(valueToken, fmt::format("'{}' is compared with a string, as in {} == \"...\"", name, name));
        return false;
      }
      if (op == "==" || op == "!=") {
        bool matches = string->find_first_of("*?[") != std::string::npos
                           ? fnmatch(string->c_str(), value.c_str(), 0) == 0
                           : (versions ? compareVersions(value, *string) == 0 : value == *string);
        return op == "==" ? matches : !matches;
      }
      return result(versions ? compareVersions(value, *string) : value.compare(*string));
    };
    auto compareNumber = [&](int64_t value) {
      if (!number) {
        fail(valueToken, fmt::format("'{}' is compared with a number", name));
        return false;
      }
      return result(value < *number ? -1 : value > *number ? 1 : 0);
    };
    const std::string &release = context_.kernelRelease;
    if (name == "kernel_vr")
      return compareText(release, true);
    if (name == "kernel_v")
      return compareText(release.substr(0, release.find('-')), true);
    if (name == "systemtap_v")
      return compareText(context_.systemtapVersion, true);
    if (name == "arch")
      return compareText(context_.arch, false);
    if (name == "runtime")
      return compareText(context_.runtime, false);
    if (name == "systemtap_privilege")
      return compareText(context_.privilege, false);
    if (name == "guru_mode")
      return compareNumber(context_.guru ? 1 : 0);
    if (operand.lexeme.type == StapParser::DollarHash)
      return compareNumber(static_cast<int64_t>(context_.argCount));
    if (operand.lexeme.type == StapParser::AtHash)
      return string ? compareText(std::to_string(context_.argCount), false)
                    : compareNumber(static_cast<int64_t>(context_.argCount));
    if (name.rfind("CONFIG_", 0) == 0 && operand.lexeme.type == StapParser::Identifier) {
      std::optional<std::string> value = context_.config ? context_.config(name) : std::nullopt;
      return compareText(value.value_or(""), false);
    }
    fail(operand, fmt::format("unknown %( %) condition '{}': mstap knows kernel_v, kernel_vr, arch, runtime, "
                              "systemtap_v, systemtap_privilege, guru_mode, CONFIG_NAME, $# and @#",
                              name));
    return false;
  }

  const std::vector<PreprocessedToken> &tokens_;
  const ConditionContext &context_;
  size_t pos_ = 0;
  bool failed_ = false;
};

// The @-operators of stap's language: a macro of one of these names hides
// the operator (stap warns, and so does mstap).
bool isBuiltinAtOperator(std::string_view name) {
  static const std::string_view names[] = {
      "cast", "defined", "probewrite", "entry", "perf", "var", "avg", "count", "sum", "min", "max",
      "hist_linear", "hist_log", "const", "variance", "kregister", "uregister", "kderef", "uderef"};
  for (std::string_view n : names)
    if (n == name)
      return true;
  return false;
}

} // namespace

std::string describePreprocessedToken(const PreprocessedToken &token) {
  if (token.lexeme.type == endOfFileType)
    return "end of file";
  std::string text(token.text());
  if (text.size() > 40)
    text = text.substr(0, 37) + "...";
  return "'" + text + "'";
}

const MacroDefinition *MacroTable::add(MacroDefinition macro) {
  if (const MacroDefinition *existing = find(macro.name))
    return existing;
  macros_.push_back(std::make_unique<MacroDefinition>(std::move(macro)));
  const MacroDefinition *added = macros_.back().get();
  byName_.emplace(std::string_view(added->name), added);
  return added;
}

Preprocessor::Preprocessor(Lexer &lexer, const SourceFile &file, Diagnostics &diags, const ConditionContext &context,
                           const MacroTable *library)
    : lexer_(lexer), file_(file), diags_(diags), context_(context), library_(library),
      expansions_(1), open_(literalTokenType("%(")), then_(literalTokenType("%?")), else_(literalTokenType("%:")),
      close_(literalTokenType("%)")), leftParen_(literalTokenType("(")), rightParen_(literalTokenType(")")),
      leftBracket_(literalTokenType("[")), rightBracket_(literalTokenType("]")), comma_(literalTokenType(",")) {}

Preprocessor::~Preprocessor() = default;

std::string Preprocessor::macroPlace(const MacroDefinition &macro) const {
  return fmt::format("{}:{}:{}", macro.file->name(), macro.at.line, macro.at.column);
}

std::vector<Diagnostic> Preprocessor::expansionNotes(uint32_t expansion, const SourceFile *file, uint32_t line,
                                                     uint32_t column) const {
  std::vector<Diagnostic> notes;
  while (expansion != 0 && expansion < expansions_.size()) {
    const Expansion &e = expansions_[expansion];
    notes.push_back({Severity::Note, file, {line, column + 1},
                     fmt::format("in expansion of macro '@{}' defined at {}", e.macro->name, macroPlace(*e.macro))});
    file = e.callFile;
    line = e.callLine;
    column = e.callColumn;
    expansion = e.parent;
  }
  return notes;
}

void Preprocessor::error(const PreprocessedToken &at, const std::string &message, std::vector<Diagnostic> notes) {
  if (stopped_)
    return; // (what follows a stop is not the script's)
  std::vector<Diagnostic> all =
      at.expansion ? expansionNotes(at.expansion, at.file, at.line, at.column) : std::vector<Diagnostic>{};
  all.insert(all.end(), std::make_move_iterator(notes.begin()), std::make_move_iterator(notes.end()));
  diags_.error(&file_, {at.lexeme.line, at.lexeme.column + 1}, message, std::move(all));
}

bool Preprocessor::isUnterminated(size_t type) const {
  return type == StapParser::UnterminatedString || type == StapParser::UnterminatedComment ||
         type == StapParser::UnterminatedEmbeddedCode;
}

// The parser reports these when it gets them; in a macro's body or
// arguments they are reported where they are written.
void Preprocessor::reportUnterminated(const PreprocessedToken &token) {
  size_t type = token.lexeme.type;
  const char *what = type == StapParser::UnterminatedString    ? "unterminated string: a '\"' is missing on this line"
                     : type == StapParser::UnterminatedComment ? "unterminated comment: '*/' is missing"
                                                               : "unterminated embedded C code: '%}' is missing";
  error(token, what);
}

PreprocessedToken Preprocessor::fromLexer() {
  if (pushedBack_) {
    PreprocessedToken t = *pushedBack_;
    pushedBack_.reset();
    return t;
  }
  PreprocessedToken t;
  t.lexeme = lexer_.next();
  t.file = &file_;
  t.line = t.lexeme.line;
  t.column = t.lexeme.column;
  return t;
}

void Preprocessor::stop() {
  stopped_ = true;
  stack_.clear();
  pushedBack_.reset();
  while (lexer_.next().type != endOfFileType) {
  }
}

// (Tokens are read into a Read given, not returned: every token of a
// script goes through here, and copies of them cost as much as the rest.)
void Preprocessor::readRaw(Read &r) {
  r.context = 0;
  r.library = false;
  r.end = false;
  if (stack_.empty()) {
    if (pushedBack_) {
      r.token = *pushedBack_;
      pushedBack_.reset();
      return;
    }
    r.token.lexeme = lexer_.next();
    r.token.file = &file_;
    r.token.line = r.token.lexeme.line;
    r.token.column = r.token.lexeme.column;
    r.token.expansion = 0;
    return;
  }
  Activation &a = stack_.back();
  if (a.pos >= a.size()) {
    r.end = true;
    return;
  }
  if (a.macro) {
    const Lexeme &l = a.macro->body[a.pos++];
    r.token.lexeme = l;
    r.token.lexeme.line = a.siteLine;
    r.token.lexeme.column = a.siteColumn;
    r.token.file = a.macro->file;
    r.token.line = l.line;
    r.token.column = l.column;
    r.token.expansion = a.expansion;
    r.context = stack_.size();
    r.library = a.macro->library;
  } else {
    r.token = (*a.argument)[a.pos++];
    r.context = a.argumentContext;
    r.library = a.library;
  }
  if (++expandedTokens_ > maxExpandedTokens) {
    error(r.token, fmt::format("macros expand to more than {} tokens here: the expansion stops", maxExpandedTokens));
    stop();
    r = Read{};
    r.token = fromLexer(); // the end of the file
  }
}

// Puts back the token readRaw returned last.
void Preprocessor::unread(const Read &r) {
  if (r.end)
    return;
  if (stack_.empty())
    pushedBack_ = r.token;
  else
    --stack_.back().pos;
}

void Preprocessor::readExpanded(Read &r) {
  for (;;) {
    readRaw(r);
    if (r.end) {
      stack_.pop_back();
      continue;
    }
    if (r.token.lexeme.type != StapParser::AtName)
      return;
    if (r.token.text() == "@define") {
      if (!stack_.empty()) {
        error(r.token, "'@define' in a macro's body or arguments: macros are defined at the top of a file only");
        stack_.back().pos = stack_.back().size(); // the rest of it would read as nonsense
        continue;
      }
      define(r.token);
      continue;
    }
    if (!invoke(r))
      return;
  }
}

// "@define" read at the top level: NAME ('(' PARAM (',' PARAM)* ')')? '%(' BODY '%)'.
void Preprocessor::define(const PreprocessedToken &at) {
  // After an error in the name or the parameters, the rest of them and a
  // body that follows go with the definition; any other token is read
  // again as usual.
  auto dropBody = [&](PreprocessedToken t) {
    for (;;) {
      size_t type = t.lexeme.type;
      std::string_view text = t.text();
      bool word = !text.empty() && (std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_');
      if (word || type == leftParen_ || type == comma_ || type == rightParen_) { // (a keyword as a name, too)
        t = fromLexer();
        continue;
      }
      if (type != open_) {
        pushedBack_ = t;
        return;
      }
      break;
    }
    for (size_t nesting = 0;;) {
      PreprocessedToken b = fromLexer();
      if (b.lexeme.type == endOfFileType) {
        pushedBack_ = b;
        return;
      }
      if (b.lexeme.type == open_)
        ++nesting;
      else if (b.lexeme.type == close_ && nesting-- == 0)
        return;
    }
  };

  PreprocessedToken name = fromLexer();
  if (name.lexeme.type != StapParser::Identifier) {
    error(name, fmt::format("expected a macro name after '@define', found {}", describePreprocessedToken(name)));
    dropBody(name);
    return;
  }
  MacroDefinition macro;
  macro.name = std::string(name.text());
  macro.file = &file_;
  macro.at = {name.line, name.column + 1};
  bool ok = true;
  if (macro.name == "define") {
    error(name, "'@define' cannot be redefined");
    ok = false;
  }

  PreprocessedToken t = fromLexer();
  bool params = t.lexeme.type == leftParen_;
  if (params) {
    for (;;) {
      t = fromLexer();
      if (t.lexeme.type != StapParser::Identifier) {
        error(t, fmt::format("expected a parameter name in the definition of macro '@{}', found {}", macro.name,
                             describePreprocessedToken(t)));
        dropBody(t);
        return;
      }
      macro.params.emplace_back(t.text());
      t = fromLexer();
      if (t.lexeme.type == comma_)
        continue;
      if (t.lexeme.type == rightParen_) {
        t = fromLexer();
        break;
      }
      error(t, fmt::format("expected ',' or ')' after parameter '{}' of macro '@{}', found {}", macro.params.back(),
                           macro.name, describePreprocessedToken(t)));
      dropBody(t);
      return;
    }
  }
  if (t.lexeme.type != open_) {
    error(t, fmt::format("expected {}'%(' to begin the body of macro '@{}', found {}", params ? "" : "'(' or ",
                         macro.name, describePreprocessedToken(t)));
    pushedBack_ = t;
    return;
  }

  // The body: up to the '%)' that balances its '%('.
  for (size_t nesting = 0;;) {
    PreprocessedToken b = fromLexer();
    if (b.lexeme.type == endOfFileType) {
      error(name, fmt::format("the body of macro '@{}' has no closing '%)'", macro.name));
      pushedBack_ = b;
      return;
    }
    if (b.lexeme.type == open_)
      ++nesting;
    else if (b.lexeme.type == close_ && nesting-- == 0)
      break;
    if (isUnterminated(b.lexeme.type)) {
      reportUnterminated(b);
      ok = false;
      continue;
    }
    macro.body.push_back(b.lexeme);
  }
  if (!ok)
    return;
  if (const MacroDefinition *first = local_.find(macro.name)) {
    error(name, fmt::format("macro '@{}' is defined twice in this file", macro.name),
          {{Severity::Note, first->file, first->at, fmt::format("its first definition is here")}});
    return;
  }
  if (isBuiltinAtOperator(macro.name))
    diags_.warning(&file_, macro.at, fmt::format("macro '@{0}' hides the operator '@{0}'", macro.name));
  local_.add(std::move(macro));
}

// Whether a use of `macro` inside `expansion` would expand without end: the
// macro is one of those whose bodies the use sits in.
bool Preprocessor::usesItself(const MacroDefinition &macro, uint32_t expansion) const {
  for (; expansion != 0; expansion = expansions_[expansion].parent)
    if (expansions_[expansion].macro == &macro)
      return true;
  return false;
}

// The arguments of a use of `macro`: '(' then, for each parameter, the
// tokens up to a ',' or ')' outside brackets ('(' and '[' nest, as in stap).
// They are read as they are, where the use is: macros in them expand where
// the body uses them.
bool Preprocessor::collectArguments(const Read &call, const MacroDefinition &macro, std::vector<Argument> &args) {
  size_t want = macro.params.size();
  std::vector<Diagnostic> definedHere{{Severity::Note, macro.file, macro.at,
                                       fmt::format("macro '@{}' is defined here", macro.name)}};
  Read open;
  readRaw(open);
  if (open.end || open.token.lexeme.type != leftParen_) {
    error(call.token,
          fmt::format("macro '@{}' takes {} argument{}: '(' must follow its name", macro.name, want,
                      want == 1 ? "" : "s"),
          definedHere);
    unread(open);
    return false;
  }
  for (size_t i = 0; i < want; ++i) {
    Argument arg{{}, call.context, call.library};
    Read t;
    for (size_t nesting = 0;;) {
      readRaw(t);
      if (t.end || t.token.lexeme.type == endOfFileType) {
        error(call.token, fmt::format("the arguments of macro '@{}' have no closing ')'", macro.name), definedHere);
        unread(t);
        return false;
      }
      size_t type = t.token.lexeme.type;
      if (type == leftParen_ || type == leftBracket_)
        ++nesting;
      else if (nesting && (type == rightParen_ || type == rightBracket_))
        --nesting;
      else if (!nesting && (type == rightParen_ || type == comma_))
        break;
      if (isUnterminated(type)) {
        reportUnterminated(t.token);
        continue;
      }
      arg.tokens.push_back(t.token);
    }
    args.push_back(std::move(arg));
    if (t.token.lexeme.type == comma_ && i + 1 == want) {
      error(t.token, fmt::format("too many arguments for macro '@{}': it takes {}", macro.name, want),
            definedHere);
      // The rest of the use, to its ')', goes with it.
      for (size_t nesting = 0;;) {
        Read u;
        readRaw(u);
        if (u.end || u.token.lexeme.type == endOfFileType) {
          unread(u);
          break;
        }
        size_t type = u.token.lexeme.type;
        if (type == leftParen_ || type == leftBracket_)
          ++nesting;
        else if (nesting && (type == rightParen_ || type == rightBracket_))
          --nesting;
        else if (!nesting && type == rightParen_)
          break;
      }
      return false;
    }
    if (t.token.lexeme.type == rightParen_ && i + 1 != want) {
      error(t.token,
            fmt::format("too few arguments for macro '@{}': it takes {}, not {}", macro.name, want, i + 1),
            definedHere);
      return false;
    }
  }
  return true;
}

// An @NAME read where macros expand: a parameter of the body it is in, or a
// macro, is replaced by its tokens (true); anything else is left (false).
bool Preprocessor::invoke(const Read &call) {
  std::string_view name = call.token.text().substr(1);
  auto tooDeep = [&] {
    if (stack_.size() < maxMacroDepth)
      return false;
    error(call.token, fmt::format("macros nest more than {} deep here: the expansion stops", maxMacroDepth));
    stop();
    return true;
  };
  // A parameter: its argument's tokens, read in the context they were
  // written in. (With a name repeated in the parameters, the last one is
  // meant, as in stap.)
  if (call.context != 0) {
    size_t owner = call.context - 1;
    const std::vector<std::string> &params = stack_[owner].macro->params;
    for (size_t i = params.size(); i-- > 0;) {
      if (params[i] != name)
        continue;
      if (tooDeep())
        return true;
      const Argument &arg = stack_[owner].args[i];
      Activation a;
      a.argument = &arg.tokens; // (its owner is below it on the stack, and stays while it does)
      a.argumentContext = arg.context;
      a.library = arg.library;
      stack_.push_back(std::move(a));
      return true;
    }
  }
  // A macro: the file's own, unless in a library macro's body, then the library's.
  const MacroDefinition *macro = call.library ? nullptr : local_.find(name);
  if (!macro && library_)
    macro = library_->find(name);
  if (!macro)
    return false;

  std::vector<Argument> args;
  if (!macro->params.empty() && !collectArguments(call, *macro, args))
    return true; // (the use is dropped)
  if (usesItself(*macro, call.token.expansion)) {
    error(call.token, fmt::format("macro '@{}' uses itself: its expansion would never end", macro->name));
    return true;
  }
  if (tooDeep())
    return true;
  expansions_.push_back({macro, call.token.file, call.token.line, call.token.column, call.token.expansion});
  Activation a;
  a.macro = macro;
  a.expansion = static_cast<uint32_t>(expansions_.size() - 1);
  a.siteLine = call.token.lexeme.line;
  a.siteColumn = call.token.lexeme.column;
  a.args = std::move(args);
  // A use written in the file: the errors a later pass finds in what it
  // expands to are at the use, and name the macro.
  if (call.token.expansion == 0 && !macro->body.empty())
    diags_.addNotesAt(&file_, {a.siteLine, a.siteColumn + 1},
                      {{Severity::Note, macro->file, macro->at,
                        fmt::format("in expansion of macro '@{}' defined at {}", macro->name, macroPlace(*macro))}});
  stack_.push_back(std::move(a));
  return true;
}

// ------------------------------------------------------------ conditionals

// "%(" read where tokens are taken: the condition's tokens up to "%?", evaluated.
void Preprocessor::open(const PreprocessedToken &at) {
  std::vector<PreprocessedToken> condition;
  Read r;
  for (;;) {
    readExpanded(r);
    const PreprocessedToken &t = r.token;
    size_t type = t.lexeme.type;
    if (type == then_)
      break;
    if (type == endOfFileType || type == open_ || type == else_ || type == close_) {
      error(at, "a %( %) conditional without its '%?': write %( CONDITION %? THEN %: ELSE %)");
      // What follows cannot be read reliably.
      stop();
      frames_.clear();
      return;
    }
    condition.push_back(t);
  }
  bool value = false;
  if (condition.empty()) {
    error(at, "a %( %) conditional with an empty condition");
  } else {
    Condition c(condition, context_);
    if (std::optional<bool> v = c.evaluate())
      value = *v;
    else
      error(c.at, c.problem);
  }
  frames_.push_back({at, value});
}

// In a branch not taken: the tokens up to the marker that ends it (the '%:'
// or '%)' of its conditional, or a stray '%?'), heeding nested %( %) only:
// as in stap, what a branch not taken holds is not read, @define and macro
// uses included.
void Preprocessor::skip(Read &r) {
  for (size_t nesting = 0;;) {
    readRaw(r);
    if (r.end) {
      stack_.pop_back();
      continue;
    }
    size_t type = r.token.lexeme.type;
    if (type == endOfFileType)
      return;
    if (type == open_)
      ++nesting;
    else if (type == close_ && nesting)
      --nesting;
    else if (nesting == 0 && (type == close_ || type == else_ || type == then_))
      return;
  }
}

const PreprocessedToken &Preprocessor::next() {
  // Most tokens are read from the file, not in a branch not taken, and are
  // neither an @name nor a marker: they go straight on.
  if (stack_.empty() && !pushedBack_ && active()) {
    PreprocessedToken &t = current_.token;
    t.lexeme = lexer_.next();
    size_t type = t.lexeme.type;
    t.file = &file_;
    t.line = t.lexeme.line;
    t.column = t.lexeme.column;
    t.expansion = 0;
    if (type != StapParser::AtName && type != open_ && type != then_ && type != else_ && type != close_ &&
        type != endOfFileType)
      return t;
    pushedBack_ = t; // (the rest of the way)
  }
  for (;;) {
    if (active())
      readExpanded(current_);
    else
      skip(current_);
    const PreprocessedToken &t = current_.token;
    size_t type = t.lexeme.type;
    if (type != open_ && type != then_ && type != else_ && type != close_ && type != endOfFileType)
      return t;
    if (type == open_) { // (only where tokens are taken: skip() passes nested ones)
      open(t);
      continue;
    }
    if (type == then_) {
      error(t, frames_.empty() ? "'%?' outside a %( %) conditional" : "a second '%?' in one %( %) conditional");
      continue;
    }
    if (type == else_) {
      if (frames_.empty() || frames_.back().inElse)
        error(t, frames_.empty() ? "'%:' outside a %( %) conditional" : "a second '%:' in one %( %) conditional");
      else
        frames_.back().inElse = true;
      continue;
    }
    if (type == close_) {
      if (frames_.empty())
        error(t, "'%)' outside a %( %) conditional");
      else
        frames_.pop_back();
      continue;
    }
    if (type == endOfFileType) {
      if (!frames_.empty())
        error(frames_.front().open, "a %( %) conditional without its '%)'");
      frames_.clear();
      return t;
    }
    return t;
  }
}

} // namespace mstap
