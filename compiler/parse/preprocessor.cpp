#include "parse/preprocessor.h"

#include "parse/literals.h"

#include "StapParser.h"

#include <fmt/format.h>

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
  Condition(const std::vector<Lexeme> &tokens, Lexer &lexer, const ConditionContext &context)
      : tokens_(tokens), lexer_(lexer), context_(context) {}

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
  Lexeme at;

private:
  std::string text(const Lexeme &l) const { return std::string(lexer_.text(l)); }
  bool is(const char *op) const { return pos_ < tokens_.size() && text(tokens_[pos_]) == op; }
  void fail(const Lexeme &where, std::string message) {
    if (!failed_) {
      failed_ = true;
      at = where;
      problem = std::move(message);
    }
  }
  const Lexeme &current() const { return pos_ < tokens_.size() ? tokens_[pos_] : tokens_.back(); }

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
    const Lexeme &operand = tokens_[pos_++];
    std::string name = text(operand);
    if (pos_ >= tokens_.size()) {
      fail(operand, fmt::format("'{}' must be compared with a value in a %( %) condition", name));
      return false;
    }
    const Lexeme &opToken = tokens_[pos_++];
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
    const Lexeme &valueToken = tokens_[pos_++];
    std::optional<std::string> string;
    std::optional<int64_t> number;
    if (valueToken.type == StapParser::StringLiteral && !negative) {
      std::string body = text(valueToken);
      body = body.substr(1, body.size() - 2);
      std::string decoded;
      size_t bad = 0;
      if (!decodeString(body, decoded, bad).empty()) {
        fail(valueToken, "a bad escape in the string of a %( %) condition");
        return false;
      }
      string = decoded;
    } else if (valueToken.type == StapParser::IntegerLiteral) {
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
    if (operand.type == StapParser::DollarHash)
      return compareNumber(static_cast<int64_t>(context_.argCount));
    if (operand.type == StapParser::AtHash)
      return string ? compareText(std::to_string(context_.argCount), false)
                    : compareNumber(static_cast<int64_t>(context_.argCount));
    if (name.rfind("CONFIG_", 0) == 0 && operand.type == StapParser::Identifier) {
      std::optional<std::string> value = context_.config ? context_.config(name) : std::nullopt;
      return compareText(value.value_or(""), false);
    }
    fail(operand, fmt::format("unknown %( %) condition '{}': mstap knows kernel_v, kernel_vr, arch, runtime, "
                              "systemtap_v, systemtap_privilege, guru_mode, CONFIG_NAME, $# and @#",
                              name));
    return false;
  }

  const std::vector<Lexeme> &tokens_;
  Lexer &lexer_;
  const ConditionContext &context_;
  size_t pos_ = 0;
  bool failed_ = false;
};

} // namespace

Preprocessor::Preprocessor(Lexer &lexer, const SourceFile &file, Diagnostics &diags, const ConditionContext &context)
    : lexer_(lexer), file_(file), diags_(diags), context_(context), open_(literalTokenType("%(")),
      then_(literalTokenType("%?")), else_(literalTokenType("%:")), close_(literalTokenType("%)")) {}

void Preprocessor::error(const Lexeme &at, const std::string &message) {
  diags_.error(&file_, {at.line, at.column + 1}, message);
}

// "%(" read: the condition's tokens up to "%?", evaluated unless the
// conditional itself sits in a branch not taken.
void Preprocessor::open(const Lexeme &at) {
  std::vector<Lexeme> condition;
  for (;;) {
    Lexeme l = lexer_.next();
    if (l.type == then_)
      break;
    if (l.type == endOfFileType || l.type == open_ || l.type == else_ || l.type == close_) {
      error(at, "a %( %) conditional without its '%?': write %( CONDITION %? THEN %: ELSE %)");
      // Skip to the end: what follows cannot be read reliably.
      while (lexer_.next().type != endOfFileType) {
      }
      frames_.clear();
      frames_.push_back({at, false, false});
      return;
    }
    condition.push_back(l);
  }
  bool parentActive = active();
  bool value = false;
  if (parentActive) {
    if (condition.empty()) {
      error(at, "a %( %) conditional with an empty condition");
    } else {
      Condition c(condition, lexer_, context_);
      if (std::optional<bool> v = c.evaluate())
        value = *v;
      else
        error(c.at, c.problem);
    }
  }
  frames_.push_back({at, parentActive, value});
}

Lexeme Preprocessor::next() {
  for (;;) {
    Lexeme l = lexer_.next();
    // "@define NAME(ARGS) %( BODY %)": the body is a macro's, not a
    // conditional; mstap has no macros yet, so the tokens go to the parser,
    // which says so.
    if (l.type == StapParser::AtName && lexer_.text(l) == "@define")
      macroPending_ = true;
    if (l.type == open_ && macroPending_) {
      macroPending_ = false;
      macroDepth_ = 1;
      if (active())
        return l;
      continue;
    }
    if (macroDepth_ > 0 && l.type != endOfFileType) {
      macroDepth_ += l.type == open_ ? 1 : l.type == close_ ? -1 : 0;
      if (active())
        return l;
      continue;
    }
    if (l.type == open_) {
      open(l);
      continue;
    }
    if (l.type == then_) {
      error(l, "'%?' outside a %( %) conditional");
      continue;
    }
    if (l.type == else_) {
      if (frames_.empty() || frames_.back().inElse)
        error(l, frames_.empty() ? "'%:' outside a %( %) conditional" : "a second '%:' in one %( %) conditional");
      else
        frames_.back().inElse = true;
      continue;
    }
    if (l.type == close_) {
      if (frames_.empty())
        error(l, "'%)' outside a %( %) conditional");
      else
        frames_.pop_back();
      continue;
    }
    if (l.type == endOfFileType) {
      // The outermost open conditional is the one to close (an inner one
      // may sit in a branch not taken).
      if (!frames_.empty() && frames_.front().parentActive)
        error(frames_.front().open, "a %( %) conditional without its '%)'");
      frames_.clear();
      return l;
    }
    if (active())
      return l;
  }
}

} // namespace mstap
