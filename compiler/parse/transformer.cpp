#include "parse/transformer.h"

#include "parse/lexer.h"
#include "parse/parser.h"

#include <fmt/format.h>

#include <array>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <typeinfo>

using namespace antlr4;

namespace mstap {
namespace {

using P = mstap_grammar::StapParser;
using Node = tree::ParseTree;

// ---------------------------------------------------- reading the tree

[[noreturn]] void unexpectedNode(const Node *node) {
  throw std::logic_error(std::string("pass 1: the parse tree does not have the grammar's shape at a ") +
                         (node ? typeid(*node).name() : "missing node"));
}

// Whether `type` is exactly T: the type_info objects' addresses first (a
// class has one in a statically linked program), then the portable
// comparison, which compares names.
template <class T> bool isExactly(const std::type_info &type) {
  return &type == &typeid(T) || type == typeid(T);
}

// Child `i` of `ctx`, which the grammar says is a T (a rule without labelled
// alternatives, whose node is exactly a T).
template <class T> T *childAs(ParserRuleContext *ctx, size_t i) {
  Node *node = i < ctx->children.size() ? ctx->children[i] : nullptr;
  if (!node || !isExactly<T>(typeid(*node)))
    unexpectedNode(node);
  return static_cast<T *>(node);
}

// Child `i` of `ctx`, whatever it is.
Node *childAt(ParserRuleContext *ctx, size_t i) {
  if (i >= ctx->children.size())
    unexpectedNode(nullptr);
  return ctx->children[i];
}

// The token of a node, or null if the node is a rule's.
Token *tokenOf(Node *node) {
  if (!isExactly<tree::TerminalNodeImpl>(typeid(*node)))
    return nullptr;
  return static_cast<tree::TerminalNode *>(node)->getSymbol();
}

// The token that child `i` of `ctx` is, by the grammar.
Token *tokenAt(ParserRuleContext *ctx, size_t i) {
  Token *token = i < ctx->children.size() ? tokenOf(ctx->children[i]) : nullptr;
  if (!token)
    unexpectedNode(i < ctx->children.size() ? ctx->children[i] : nullptr);
  return token;
}

// Child `i` of `ctx` if it is a node of a rule (or nothing), not a token.
Node *ruleAt(ParserRuleContext *ctx, size_t i) {
  Node *node = i < ctx->children.size() ? ctx->children[i] : nullptr;
  if (!node || tokenOf(node))
    unexpectedNode(node);
  return node;
}

// The labelled alternative a node is, among `Kind`s: found by comparing its
// dynamic type with each alternative's (most frequent first), once a node.
template <class Kind> class Alternatives {
public:
  Alternatives(std::initializer_list<std::pair<const std::type_info *, Kind>> entries) : entries_(entries) {}

  Kind of(const Node *node) const {
    const std::type_info &type = typeid(*node);
    for (const auto &[t, kind] : entries_)
      if (t == &type)
        return kind;
    for (const auto &[t, kind] : entries_)
      if (*t == type)
        return kind;
    unexpectedNode(node);
  }

private:
  std::vector<std::pair<const std::type_info *, Kind>> entries_;
};

// The token types the transformer tells apart: the grammar's literal tokens
// are numbered by ANTLR (T__N), so they are found by their text.
struct TokenTypes {
  size_t minus = literalTokenType("-");
  size_t plus = literalTokenType("+");
  size_t plusPlus = literalTokenType("++");
  size_t minusMinus = literalTokenType("--");
  size_t bang = literalTokenType("!");
  size_t tilde = literalTokenType("~");
  size_t ampersand = literalTokenType("&");
  size_t rightParen = literalTokenType(")");
  size_t question = literalTokenType("?");
  size_t arrow = literalTokenType("->");
  size_t dot = literalTokenType(".");
  size_t leftParen = literalTokenType("(");
  size_t leftBracket = literalTokenType("[");
  size_t kwIf = literalTokenType("if");

  // Operators by token type; entries not set are no operator of the kind.
  static constexpr size_t maxType = 128;
  std::array<std::optional<ast::BinaryOp>, maxType> binary{};
  std::array<std::optional<ast::AssignOp>, maxType> assign{};

  TokenTypes() {
    static const std::pair<const char *, ast::BinaryOp> binaryOps[] = {
        {"*", ast::BinaryOp::Mul},     {"/", ast::BinaryOp::Div},     {"%", ast::BinaryOp::Mod},
        {"+", ast::BinaryOp::Add},     {"-", ast::BinaryOp::Sub},     {".", ast::BinaryOp::Concat},
        {"<<", ast::BinaryOp::Shl},    {">>", ast::BinaryOp::Shr},    {">>>", ast::BinaryOp::UShr},
        {"==", ast::BinaryOp::Eq},
        {"!=", ast::BinaryOp::Ne},     {"<", ast::BinaryOp::Lt},      {"<=", ast::BinaryOp::Le},
        {">", ast::BinaryOp::Gt},      {">=", ast::BinaryOp::Ge},     {"&", ast::BinaryOp::BitAnd},
        {"^", ast::BinaryOp::BitXor},  {"|", ast::BinaryOp::BitOr},   {"&&", ast::BinaryOp::LogAnd},
        {"||", ast::BinaryOp::LogOr},
    };
    static const std::pair<const char *, ast::AssignOp> assignOps[] = {
        {"=", ast::AssignOp::Assign},   {"+=", ast::AssignOp::Add},      {"-=", ast::AssignOp::Sub},
        {"*=", ast::AssignOp::Mul},     {"/=", ast::AssignOp::Div},      {"%=", ast::AssignOp::Mod},
        {"<<=", ast::AssignOp::Shl},    {">>=", ast::AssignOp::Shr},     {"&=", ast::AssignOp::BitAnd},
        {"^=", ast::AssignOp::BitXor},  {"|=", ast::AssignOp::BitOr},    {".=", ast::AssignOp::Concat},
        {"<<<", ast::AssignOp::Aggregate},
    };
    for (const auto &[text, op] : binaryOps)
      binary.at(typeOf(text)) = op;
    for (const auto &[text, op] : assignOps)
      assign.at(typeOf(text)) = op;
  }

  static size_t typeOf(const char *text) {
    size_t type = literalTokenType(text);
    if (type == 0 || type >= maxType)
      throw std::logic_error(std::string("pass 1: the grammar has no token '") + text + "'");
    return type;
  }
};

const TokenTypes &tokenTypes() {
  static const TokenTypes types;
  return types;
}

} // namespace

// ------------------------------------------------------------------ leaves

SourceLoc Transformer::loc(Token *token) const {
  return {static_cast<uint32_t>(token->getLine()),
          static_cast<uint32_t>(token->getCharPositionInLine() + 1), &file_};
}

SourceRange Transformer::range(ParserRuleContext *ctx) const {
  SourceRange r{loc(ctx->getStart()), loc(ctx->getStart())};
  if (ctx->getStop())
    r.end = loc(ctx->getStop());
  return r;
}

template <typename T> static std::unique_ptr<T> node(SourceRange range) {
  auto n = std::make_unique<T>();
  n->range = range;
  return n;
}

ast::ExprPtr Transformer::integerLiteral(Token *token, bool negate) {
  auto lit = std::make_unique<ast::IntLiteral>();
  lit->range = {loc(token), loc(token)};
  int64_t value = 0;
  std::string problem = parseInteger(token->getText(), value);
  if (!problem.empty())
    error(loc(token), problem);
  lit->value = negate ? static_cast<int64_t>(0 - static_cast<uint64_t>(value)) : value;
  return lit;
}

ast::ExprPtr Transformer::stringLiteral(Token *token) {
  auto lit = std::make_unique<ast::StringLiteral>();
  lit->range = {loc(token), loc(token)};
  std::string text = token->getText();
  size_t badColumn = 0;
  std::string problem = decodeString(text.substr(1, text.size() - 2), lit->value, badColumn);
  if (!problem.empty()) {
    SourceLoc at = loc(token);
    at.column += 1 + static_cast<uint32_t>(badColumn);
    error(at, problem);
  }
  return lit;
}

// The word a $N or @N token names, or null after reporting an index out of
// range.
const std::string *Transformer::argumentWord(Token *token) {
  std::string digits = token->getText().substr(1);
  size_t index = digits.size() > 9 ? SIZE_MAX : std::stoul(digits);
  const auto &args = options_.args;
  if (index == 0 || index > args.size()) {
    error(loc(token), fmt::format("command line argument index {} out of range [1-{}]", digits, args.size()));
    return nullptr;
  }
  return &args[index - 1];
}

// $N and @N come from the words after the script, as in stap: $N must be an
// integer, @N is any string; $# and @# count the words.
ast::ExprPtr Transformer::transformArgRef(P::ArgRefContext *ctx) {
  Token *token = tokenAt(ctx, 0);
  size_t type = token->getType();
  SourceRange r = range(ctx);
  const auto &args = options_.args;
  if (type == P::DollarHash) {
    auto lit = node<ast::IntLiteral>(r);
    lit->value = static_cast<int64_t>(args.size());
    return lit;
  }
  if (type == P::AtHash) {
    auto lit = node<ast::StringLiteral>(r);
    lit->value = std::to_string(args.size());
    return lit;
  }
  const std::string *found = argumentWord(token);
  if (!found)
    return node<ast::IntLiteral>(r);
  const std::string &word = *found;
  if (type == P::AtNumber) {
    auto lit = node<ast::StringLiteral>(r);
    lit->value = word;
    return lit;
  }
  auto lit = node<ast::IntLiteral>(r);
  bool negative = !word.empty() && word[0] == '-';
  std::string magnitude = negative || (!word.empty() && word[0] == '+') ? word.substr(1) : word;
  int64_t value = 0;
  if (magnitude.empty() || !parseInteger(magnitude, value).empty()) {
    error(loc(token), fmt::format("command line argument {} is '{}', not a number (use @{} for a string)",
                                  token->getText(), word, token->getText().substr(1)));
    return lit;
  }
  lit->value = negative ? static_cast<int64_t>(0 - static_cast<uint64_t>(value)) : value;
  return lit;
}

// Adjacent string literals and @N/@# glued into one string:
// StringLiteral (StringLiteral | AtNumber | AtHash)* | (AtNumber | AtHash) (...)+
ast::ExprPtr Transformer::transformStrings(P::StringsContext *ctx) {
  auto glued = node<ast::StringLiteral>(range(ctx));
  for (size_t i = 0; i < ctx->children.size(); ++i) {
    Token *token = tokenAt(ctx, i);
    if (token->getType() == P::StringLiteral) {
      ast::ExprPtr piece = stringLiteral(token);
      glued->value += static_cast<ast::StringLiteral &>(*piece).value;
    } else if (token->getType() == P::AtHash) {
      glued->value += std::to_string(options_.args.size());
    } else if (const std::string *word = argumentWord(token)) {
      glued->value += *word;
    }
  }
  return glued;
}

// '-'? IntegerLiteral | strings | '-'? argRef
ast::ExprPtr Transformer::transformLiteral(P::LiteralContext *ctx) {
  Token *first = tokenOf(childAt(ctx, 0));
  bool negate = first && first->getType() == tokenTypes().minus;
  Node *value = ctx->children.at(negate ? 1 : 0);
  if (Token *token = tokenOf(value)) {
    if (token->getType() == P::IntegerLiteral)
      return integerLiteral(token, negate);
    unexpectedNode(value);
  }
  if (auto *strings = dynamic_cast<P::StringsContext *>(value))
    return transformStrings(strings);
  ast::ExprPtr result = transformArgRef(childAs<P::ArgRefContext>(ctx, negate ? 1 : 0));
  if (negate) {
    auto *lit = dynamic_cast<ast::IntLiteral *>(result.get());
    if (!lit)
      error(loc(ctx), "'-' must be followed by a number");
    else
      lit->value = static_cast<int64_t>(0 - static_cast<uint64_t>(lit->value));
  }
  return result;
}

std::string Transformer::transformEmbeddedCode(P::EmbeddedCodeContext *ctx) {
  if (!options_.guru && !options_.embeddedC)
    error(loc(ctx), "embedded C code is allowed only in guru mode: use -g");
  std::string text = tokenAt(ctx, 0)->getText();
  return text.substr(2, text.size() - 4);
}

// ----------------------------------------------------------- declarations

std::unique_ptr<ast::Script> Transformer::startScript() const {
  auto script = std::make_unique<ast::Script>();
  script->file = &file_;
  return script;
}

// topLevel* EOF
void Transformer::transformScript(P::ScriptContext *ctx, ast::Script &script) {
  for (size_t i = 0; i + 1 < ctx->children.size(); ++i)
    transformTopLevel(childAs<P::TopLevelContext>(ctx, i), script);
}

void Transformer::flush() {
  for (auto &[at, message] : errors_)
    diags_.error(&file_, at, std::move(message));
  errors_.clear();
}

// globalDecl | privateDecl | functionDecl | probeDecl | embeddedCode | ';'
void Transformer::transformTopLevel(P::TopLevelContext *ctx, ast::Script &script) {
  Node *child = ctx->children.at(0);
  if (tokenOf(child))
    return; // a stray ';'
  const std::type_info &type = typeid(*child);
  ast::Decl decl;
  decl.file = &file_;
  if (isExactly<P::PrivateDeclContext>(type)) {
    // 'private' (functionDecl | 'global'? globalVar (',' globalVar)*)
    auto *priv = static_cast<P::PrivateDeclContext *>(child);
    if (auto *function = priv->functionDecl()) {
      decl.kind = ast::Decl::Kind::Function;
      decl.function = transformFunctionDecl(function);
      decl.function->privateTo = &file_;
    } else {
      decl.kind = ast::Decl::Kind::Global;
      decl.global = node<ast::GlobalDecl>(range(priv));
      for (P::GlobalVarContext *var : priv->globalVar()) {
        decl.global->vars.push_back(transformGlobalVar(var));
        decl.global->vars.back().privateTo = &file_;
      }
    }
  } else if (isExactly<P::ProbeDeclContext>(type)) {
    decl.kind = ast::Decl::Kind::Probe;
    decl.probe = transformProbeDecl(static_cast<P::ProbeDeclContext *>(child));
  } else if (isExactly<P::AliasDeclContext>(type)) {
    decl.kind = ast::Decl::Kind::Alias;
    decl.alias = transformAliasDecl(static_cast<P::AliasDeclContext *>(child));
  } else if (isExactly<P::FunctionDeclContext>(type)) {
    decl.kind = ast::Decl::Kind::Function;
    decl.function = transformFunctionDecl(static_cast<P::FunctionDeclContext *>(child));
  } else if (isExactly<P::GlobalDeclContext>(type)) {
    decl.kind = ast::Decl::Kind::Global;
    decl.global = transformGlobalDecl(static_cast<P::GlobalDeclContext *>(child));
  } else if (isExactly<P::EmbeddedCodeContext>(type)) {
    decl.kind = ast::Decl::Kind::Embedded;
    decl.embedded = node<ast::EmbeddedDecl>(range(ctx));
    decl.embedded->code = transformEmbeddedCode(static_cast<P::EmbeddedCodeContext *>(child));
  } else {
    unexpectedNode(child);
  }
  script.decls.push_back(std::move(decl));
}

// 'global' globalVar (',' globalVar)*
std::unique_ptr<ast::GlobalDecl> Transformer::transformGlobalDecl(P::GlobalDeclContext *ctx) {
  auto decl = node<ast::GlobalDecl>(range(ctx));
  for (size_t i = 1; i < ctx->children.size(); i += 2)
    decl->vars.push_back(transformGlobalVar(childAs<P::GlobalVarContext>(ctx, i)));
  return decl;
}

// Identifier '%'? ('[' size=literal ']')? ('=' init=literal)?
ast::GlobalVar Transformer::transformGlobalVar(P::GlobalVarContext *ctx) {
  ast::GlobalVar var;
  var.range = range(ctx);
  var.name = tokenAt(ctx, 0)->getText();
  var.wrap = ctx->wrap != nullptr;
  if (ctx->size) {
    ast::ExprPtr size = transformLiteral(ctx->size);
    auto *lit = dynamic_cast<ast::IntLiteral *>(size.get());
    if (!lit || lit->value <= 0)
      error(loc(ctx->size), "an array size must be a positive number");
    else
      var.arraySize = lit->value;
  }
  if (ctx->init)
    var.init = transformLiteral(ctx->init);
  return var;
}

// ':' Identifier
ast::Type Transformer::transformTypeSuffix(P::TypeSuffixContext *ctx) {
  if (!ctx)
    return ast::Type::Unknown;
  Token *token = tokenAt(ctx, 1);
  std::string name = token->getText();
  if (name == "long")
    return ast::Type::Long;
  if (name == "string")
    return ast::Type::String;
  error(loc(token), fmt::format("unknown type '{}': expected 'long' or 'string'", name));
  return ast::Type::Unknown;
}

// Identifier typeSuffix?
ast::Param Transformer::transformParam(P::ParamContext *ctx) {
  ast::Param param;
  param.range = range(ctx);
  param.name = tokenAt(ctx, 0)->getText();
  param.type = transformTypeSuffix(ctx->children.size() > 1 ? childAs<P::TypeSuffixContext>(ctx, 1) : nullptr);
  return param;
}

// 'function' Identifier typeSuffix? '(' (param (',' param)*)? ')' functionBody
std::unique_ptr<ast::FunctionDecl> Transformer::transformFunctionDecl(P::FunctionDeclContext *ctx) {
  auto f = node<ast::FunctionDecl>(range(ctx));
  f->name = tokenAt(ctx, 1)->getText();
  size_t i = 2;
  P::TypeSuffixContext *suffix = nullptr;
  if (!tokenOf(childAt(ctx, i)))
    suffix = childAs<P::TypeSuffixContext>(ctx, i++);
  f->returnType = transformTypeSuffix(suffix);
  size_t bodyIndex = ctx->children.size() - 1;
  // Children i .. bodyIndex-1: '(' param ',' param ... ')'
  for (size_t p = i + 1; p + 1 < bodyIndex; p += 2)
    f->params.push_back(transformParam(childAs<P::ParamContext>(ctx, p)));
  auto *body = childAs<P::FunctionBodyContext>(ctx, bodyIndex);
  Node *inner = ruleAt(body, 0);
  if (isExactly<P::EmbeddedCodeContext>(typeid(*inner)))
    f->embeddedCode = transformEmbeddedCode(static_cast<P::EmbeddedCodeContext *>(inner));
  else
    f->body = transformBlock(childAs<P::BlockContext>(body, 0));
  return f;
}

// 'probe' probePoint (',' probePoint)* block
std::unique_ptr<ast::ProbeDecl> Transformer::transformProbeDecl(P::ProbeDeclContext *ctx) {
  auto probe = node<ast::ProbeDecl>(range(ctx));
  size_t blockIndex = ctx->children.size() - 1;
  for (size_t i = 1; i < blockIndex; i += 2)
    for (ast::ProbePoint &pp : transformProbePoint(childAs<P::ProbePointContext>(ctx, i)))
      probe->points.push_back(std::move(pp));
  probe->body = transformBlock(childAs<P::BlockContext>(ctx, blockIndex));
  return probe;
}

// 'probe' aliasName (',' aliasName)* op=('=' | '+=') probePoint (',' probePoint)* block
std::unique_ptr<ast::AliasDecl> Transformer::transformAliasDecl(P::AliasDeclContext *ctx) {
  auto alias = node<ast::AliasDecl>(range(ctx));
  alias->epilogue = ctx->op->getText() == "+=";
  size_t blockIndex = ctx->children.size() - 1;
  bool left = true;
  for (size_t i = 1; i < blockIndex; i += 2) {
    if (!left) {
      for (ast::ProbePoint &pp : transformProbePoint(childAs<P::ProbePointContext>(ctx, i)))
        alias->points.push_back(std::move(pp));
      continue;
    }
    auto *nameCtx = childAs<P::AliasNameContext>(ctx, i);
    ast::ProbePoint name;
    name.range = range(nameCtx);
    for (size_t c = 0; c < nameCtx->children.size(); c += 2) {
      ast::ProbePoint::Component component = transformProbeComponent(childAs<P::ProbeComponentContext>(nameCtx, c));
      // A name is matched by the points that use it, not a pattern itself.
      if (component.name.find_first_of("*?[") != std::string::npos)
        error(component.loc, fmt::format("an alias name cannot hold a wildcard ('{}')", component.name));
      else if (component.number || component.string)
        error(component.loc, fmt::format("an alias name takes no parameter ('{}')", component.name));
      name.components.push_back(std::move(component));
    }
    alias->names.push_back(std::move(name));
    // The '=' or '+=' follows the last name.
    if (tokenAt(ctx, i + 1) == ctx->op)
      left = false;
  }
  alias->body = transformBlock(childAs<P::BlockContext>(ctx, blockIndex));
  return alias;
}

// probeSegment ('.' probeSegment)* probeMark? ('if' '(' expression ')')?
std::vector<ast::ProbePoint> Transformer::transformProbePoint(P::ProbePointContext *ctx) {
  size_t n = ctx->children.size();
  size_t i = 0;
  std::vector<ast::ProbePoint> points = expandSegments(ctx, 0, i);
  ast::ProbePoint mark;
  if (i < n && !tokenOf(ctx->children[i]))
    applyMark(childAs<P::ProbeMarkContext>(ctx, i++), mark);
  Node *condition = nullptr;
  if (i < n) {
    if (tokenAt(ctx, i)->getType() != tokenTypes().kwIf)
      unexpectedNode(ctx->children[i]);
    condition = ruleAt(ctx, i + 2);
  }
  for (ast::ProbePoint &pp : points) {
    pp.range = range(ctx);
    pp.optional = pp.optional || mark.optional;
    pp.sufficient = pp.sufficient || mark.sufficient;
    // Each expanded point has the condition, as written: its own tree.
    if (condition)
      pp.condition = transformExpression(condition);
  }
  return points;
}

// "probe $1 { }", "probe $1.return", "kernel.{$1,$2}": the argument's text is
// parsed as probe points, as stap substitutes it. Its components take the
// location of the $N they came from.
std::vector<ast::ProbePoint> Transformer::argumentPoints(P::ArgRefContext *ctx) {
  Token *token = tokenAt(ctx, 0);
  size_t type = token->getType();
  if (type != P::DollarNumber && type != P::AtNumber) {
    error(loc(token), fmt::format("'{}' cannot stand in a probe point: it is a count, not a point", token->getText()));
    return {};
  }
  const std::string *found = argumentWord(token);
  if (!found)
    return {};
  const std::string &word = *found;
  // Parsed without arguments of its own: an argument cannot name another.
  SourceFile text(fmt::format("<argument {}>", token->getText()), "probe " + word + " {}\n");
  Diagnostics inner;
  std::unique_ptr<ast::Script> parsed = parseScript(text, ParseOptions{}, inner);
  if (!parsed || parsed->decls.size() != 1 || parsed->decls[0].kind != ast::Decl::Kind::Probe) {
    std::string why;
    for (const auto &d : inner.all())
      if (d.severity == Severity::Error) {
        why = d.message;
        break;
      }
    error(loc(token), fmt::format("argument {} ('{}') is not a probe point{}", token->getText(), word,
                                  why.empty() ? "" : ": " + why));
    return {};
  }
  std::vector<ast::ProbePoint> points = std::move(parsed->decls[0].probe->points);
  for (ast::ProbePoint &pp : points) {
    // Positions point at the $N: the argument's own text is gone after this.
    pp.range = {loc(token), loc(token)};
    for (auto &c : pp.components)
      c.loc = loc(token);
    if (pp.condition) {
      error(loc(token), fmt::format("argument {} ('{}') holds an 'if': write the condition in the script",
                                    token->getText(), word));
      return {};
    }
  }
  return points;
}

void Transformer::applyMark(P::ProbeMarkContext *mark, ast::ProbePoint &pp) {
  if (tokenAt(mark, 0)->getType() == tokenTypes().question)
    pp.optional = true;
  else
    pp.sufficient = true;
}

// Brace expansion multiplies points; past this many from one point as
// written, the script is refused rather than elaborated for minutes.
constexpr size_t kMaxExpandedPoints = 1000;

std::vector<ast::ProbePoint> Transformer::expandSegments(antlr4::ParserRuleContext *ctx, size_t from, size_t &next) {
  std::vector<ast::ProbePoint> result(1);
  size_t n = ctx->children.size();
  size_t i = from;
  for (;; i += 2) {
    auto *segment = childAs<P::ProbeSegmentContext>(ctx, i);
    std::vector<ast::ProbePoint> alternatives;
    if (auto *component = dynamic_cast<P::ProbeComponentContext *>(segment->children[0])) {
      alternatives.emplace_back();
      alternatives.back().components.push_back(transformProbeComponent(component));
    } else if (auto *arg = dynamic_cast<P::ArgRefContext *>(segment->children[0])) {
      alternatives = argumentPoints(arg);
      if (alternatives.empty()) { // reported
        next = n;
        return {};
      }
    } else { // '{' (probeAlternative (',' probeAlternative)*)? '}'
      if (segment->children.size() == 2) {
        error(loc(segment), "'{}' in a probe point: braces list alternatives, as in vfs.{read,write}");
        next = n;
        return {};
      }
      for (size_t a = 1; a + 1 < segment->children.size(); a += 2) {
        auto *alternative = childAs<P::ProbeAlternativeContext>(segment, a);
        size_t after = 0;
        std::vector<ast::ProbePoint> expanded = expandSegments(alternative, 0, after);
        for (ast::ProbePoint &pp : expanded) {
          if (after < alternative->children.size())
            applyMark(childAs<P::ProbeMarkContext>(alternative, after), pp);
          alternatives.push_back(std::move(pp));
        }
      }
    }
    std::vector<ast::ProbePoint> product;
    for (const ast::ProbePoint &head : result)
      for (const ast::ProbePoint &tail : alternatives) {
        if (product.size() == kMaxExpandedPoints) {
          error(loc(segment), fmt::format("brace expansion gives more than {} probe points", kMaxExpandedPoints));
          next = n;
          return {};
        }
        ast::ProbePoint joined;
        joined.components = head.components;
        joined.components.insert(joined.components.end(), tail.components.begin(), tail.components.end());
        joined.optional = head.optional || tail.optional;
        joined.sufficient = head.sufficient || tail.sufficient;
        product.push_back(std::move(joined));
      }
    result = std::move(product);
    Token *dot = i + 1 < n ? tokenOf(ctx->children[i + 1]) : nullptr;
    if (!dot || dot->getType() != tokenTypes().dot || i + 2 >= n || tokenOf(ctx->children[i + 2]))
      break; // no '.' and segment follow
  }
  next = i + 1;
  return result;
}

// probeName ('(' literal ')')?
ast::ProbePoint::Component Transformer::transformProbeComponent(P::ProbeComponentContext *ctx) {
  ast::ProbePoint::Component component;
  component.loc = loc(ctx);
  component.name = transformProbeName(childAs<P::ProbeNameContext>(ctx, 0));
  if (ctx->children.size() > 1) {
    ast::ExprPtr value = transformLiteral(childAs<P::LiteralContext>(ctx, 2));
    if (auto *number = dynamic_cast<ast::IntLiteral *>(value.get()))
      component.number = number->value;
    else if (auto *string = dynamic_cast<ast::StringLiteral *>(value.get()))
      component.string = string->value;
  }
  return component;
}

// "sys*" arrives as two tokens; they must touch, or "kernel. function" and
// "sys *" would silently mean something else.
std::string Transformer::transformProbeName(P::ProbeNameContext *ctx) {
  std::string name;
  Token *previous = nullptr;
  for (size_t i = 0; i < ctx->children.size(); ++i) {
    Token *token = tokenAt(ctx, i);
    if (previous && token->getStartIndex() != previous->getStopIndex() + 1)
      error(loc(token), "a probe point name cannot contain spaces");
    name += token->getText();
    previous = token;
  }
  return name;
}

// ------------------------------------------------------------- statements

namespace {

enum class StatementKind { Expr, If, Block, Empty, Foreach, For, While, Return, Delete, Next, Break, Continue, Try };

const Alternatives<StatementKind> &statementKinds() {
  static const Alternatives<StatementKind> kinds = {
      {&typeid(P::ExprStmtContext), StatementKind::Expr},
      {&typeid(P::IfStmtContext), StatementKind::If},
      {&typeid(P::BlockStmtContext), StatementKind::Block},
      {&typeid(P::EmptyStmtContext), StatementKind::Empty},
      {&typeid(P::ForeachStmtContext), StatementKind::Foreach},
      {&typeid(P::ForStmtContext), StatementKind::For},
      {&typeid(P::WhileStmtContext), StatementKind::While},
      {&typeid(P::ReturnStmtContext), StatementKind::Return},
      {&typeid(P::DeleteStmtContext), StatementKind::Delete},
      {&typeid(P::NextStmtContext), StatementKind::Next},
      {&typeid(P::BreakStmtContext), StatementKind::Break},
      {&typeid(P::ContinueStmtContext), StatementKind::Continue},
      {&typeid(P::TryStmtContext), StatementKind::Try},
  };
  return kinds;
}

} // namespace

// '{' statement* '}'
std::unique_ptr<ast::BlockStmt> Transformer::transformBlock(P::BlockContext *ctx) {
  auto block = node<ast::BlockStmt>(range(ctx));
  for (size_t i = 1; i + 1 < ctx->children.size(); ++i) {
    Node *statement = ruleAt(ctx, i);
    if (statementKinds().of(statement) != StatementKind::Empty) // ';' separates; it is no statement here
      block->statements.push_back(transformStatement(statement));
  }
  return block;
}

ast::StmtPtr Transformer::transformStatement(Node *n) {
  auto *ctx = static_cast<P::StatementContext *>(n); // checked by statementKinds().of
  StatementKind kind = statementKinds().of(n);
  SourceRange r = range(ctx);
  switch (kind) {
  case StatementKind::Block: // block
    return transformBlock(childAs<P::BlockContext>(ctx, 0));
  case StatementKind::Empty: // ';'
    return node<ast::NullStmt>(r);
  case StatementKind::Expr: { // expression ';'?
    auto s = node<ast::ExprStmt>(r);
    s->expr = transformExpression(ruleAt(ctx, 0));
    return s;
  }
  case StatementKind::If: { // 'if' '(' expression ')' statement ('else' statement)?
    auto s = node<ast::IfStmt>(r);
    s->cond = transformExpression(ruleAt(ctx, 2));
    s->then = transformStatement(ruleAt(ctx, 4));
    if (ctx->children.size() > 5)
      s->otherwise = transformStatement(ruleAt(ctx, 6));
    return s;
  }
  case StatementKind::While: { // 'while' '(' expression ')' statement
    auto s = node<ast::WhileStmt>(r);
    s->cond = transformExpression(ruleAt(ctx, 2));
    s->body = transformStatement(ruleAt(ctx, 4));
    return s;
  }
  case StatementKind::For: { // 'for' '(' forInit=expression? ';' forCond=expression? ';' forStep=expression? ')' statement
    auto *c = static_cast<P::ForStmtContext *>(ctx);
    auto s = node<ast::ForStmt>(r);
    if (c->forInit)
      s->init = transformExpression(c->forInit);
    if (c->forCond)
      s->cond = transformExpression(c->forCond);
    if (c->forStep)
      s->step = transformExpression(c->forStep);
    s->body = transformStatement(ruleAt(ctx, ctx->children.size() - 1));
    return s;
  }
  case StatementKind::Foreach:
    return transformForeach(static_cast<P::ForeachStmtContext *>(ctx));
  case StatementKind::Break:
    return node<ast::BreakStmt>(r);
  case StatementKind::Continue:
    return node<ast::ContinueStmt>(r);
  case StatementKind::Next:
    return node<ast::NextStmt>(r);
  case StatementKind::Return: { // 'return' expression? ';'?
    auto s = node<ast::ReturnStmt>(r);
    if (ctx->children.size() > 1 && !tokenOf(ctx->children[1]))
      s->value = transformExpression(ctx->children[1]);
    return s;
  }
  case StatementKind::Delete: { // 'delete' expression ';'?
    auto s = node<ast::DeleteStmt>(r);
    s->target = transformExpression(ruleAt(ctx, 1));
    return s;
  }
  case StatementKind::Try: { // 'try' body=block 'catch' ('(' Identifier ')')? handler=block
    auto *c = static_cast<P::TryStmtContext *>(ctx);
    auto s = node<ast::TryStmt>(r);
    s->body = transformBlock(c->body);
    if (Token *paren = tokenOf(childAt(ctx, 3)); paren && paren->getType() == tokenTypes().leftParen) {
      Token *var = tokenAt(ctx, 4);
      s->catchVar = var->getText();
      s->catchVarLoc = loc(var);
    }
    s->handler = transformBlock(c->handler);
    return s;
  }
  }
  unexpectedNode(n);
}

// '+' | '-'
ast::SortOrder Transformer::transformSortMark(P::SortMarkContext *ctx) {
  if (!ctx)
    return ast::SortOrder::None;
  return tokenAt(ctx, 0)->getType() == tokenTypes().plus ? ast::SortOrder::Ascending : ast::SortOrder::Descending;
}

// 'foreach' '(' foreachHead ')' statement, where foreachHead is
// (valueVar=Identifier valueMark=sortMark? '=')? foreachKeys 'in' array=Identifier aggregate=AtName?
// arrayMark=sortMark? ('limit' limit=expression)?
ast::StmtPtr Transformer::transformForeach(P::ForeachStmtContext *ctx) {
  auto s = node<ast::ForeachStmt>(range(ctx));
  auto *head = childAs<P::ForeachHeadContext>(ctx, 2);
  SourceLoc firstMark;
  auto noteMark = [&](P::SortMarkContext *mark) {
    if (!mark)
      return;
    if (firstMark.valid())
      error(loc(mark), "a foreach can sort by one thing only: remove all but one '+' or '-'");
    else
      firstMark = loc(mark);
  };
  if (head->valueVar) {
    s->valueVar = head->valueVar->getText();
    s->valueLoc = loc(head->valueVar);
    s->valueSort = transformSortMark(head->valueMark);
    noteMark(head->valueMark);
  }
  // foreachKey | '[' foreachKey (',' foreachKey)* ']', where foreachKey is
  // Identifier sortMark?
  auto *keys = head->foreachKeys();
  s->bracketedKeys = tokenOf(childAt(keys, 0)) != nullptr;
  size_t firstKey = s->bracketedKeys ? 1 : 0, endKeys = s->bracketedKeys ? keys->children.size() - 1 : 1;
  for (size_t k = firstKey; k < endKeys; k += 2) {
    auto *key = childAs<P::ForeachKeyContext>(keys, k);
    auto *mark = key->children.size() > 1 ? childAs<P::SortMarkContext>(key, 1) : nullptr;
    ast::ForeachStmt::Key entry;
    entry.name = tokenAt(key, 0)->getText();
    entry.loc = loc(key);
    entry.sort = transformSortMark(mark);
    noteMark(mark);
    s->keys.push_back(std::move(entry));
  }
  s->array = head->array->getText();
  s->arrayLoc = loc(head->array);
  if (head->arrayMark) {
    s->valueSort = transformSortMark(head->arrayMark);
    noteMark(head->arrayMark);
  }
  if (head->aggregate) {
    // stap's words: the extractor must be one of the six, and a '+' or '-'
    // must follow it.
    std::string name = head->aggregate->getText();
    auto op = ast::atOpNamed(name);
    if (!op || (*op != ast::AtOp::Count && *op != ast::AtOp::Sum && *op != ast::AtOp::Min && *op != ast::AtOp::Max &&
                *op != ast::AtOp::Avg && *op != ast::AtOp::Variance))
      error(loc(head->aggregate), fmt::format("expected statistical operation: @count, @sum, @min, @max, @avg or "
                                              "@variance, not '{}'",
                                              name));
    else if (!head->arrayMark)
      error(loc(head->aggregate), fmt::format("expected sort directive: '+' or '-' after {}", name));
    else
      s->sortAggregate = *op;
  }
  if (head->limit)
    s->limit = transformExpression(head->limit);
  s->body = transformStatement(ruleAt(ctx, 4));
  return s;
}

// ------------------------------------------------------------ expressions

namespace {

enum class ExpressionKind { Primary, Binary, Assign, Unary, Postfix, In, Ternary };
enum class PrimaryKind { Call, Symbol, Int, String, Index, Target, At, Paren, ArgRef, MultiIn, Embedded };

const Alternatives<ExpressionKind> &expressionKinds() {
  static const Alternatives<ExpressionKind> kinds = {
      {&typeid(P::PrimaryExprContext), ExpressionKind::Primary},
      {&typeid(P::BinaryExprContext), ExpressionKind::Binary},
      {&typeid(P::AssignExprContext), ExpressionKind::Assign},
      {&typeid(P::UnaryExprContext), ExpressionKind::Unary},
      {&typeid(P::PostfixExprContext), ExpressionKind::Postfix},
      {&typeid(P::InExprContext), ExpressionKind::In},
      {&typeid(P::TernaryExprContext), ExpressionKind::Ternary},
  };
  return kinds;
}

const Alternatives<PrimaryKind> &primaryKinds() {
  static const Alternatives<PrimaryKind> kinds = {
      {&typeid(P::CallExprContext), PrimaryKind::Call},
      {&typeid(P::SymbolExprContext), PrimaryKind::Symbol},
      {&typeid(P::IntLiteralContext), PrimaryKind::Int},
      {&typeid(P::StringLiteralContext), PrimaryKind::String},
      {&typeid(P::IndexExprContext), PrimaryKind::Index},
      {&typeid(P::TargetExprContext), PrimaryKind::Target},
      {&typeid(P::AtExprContext), PrimaryKind::At},
      {&typeid(P::ParenExprContext), PrimaryKind::Paren},
      {&typeid(P::ArgRefExprContext), PrimaryKind::ArgRef},
      {&typeid(P::MultiInExprContext), PrimaryKind::MultiIn},
      {&typeid(P::EmbeddedExprContext), PrimaryKind::Embedded},
  };
  return kinds;
}

} // namespace

ast::ExprList Transformer::transformExpressionList(ParserRuleContext *ctx, size_t from, size_t to) {
  ast::ExprList list;
  for (size_t i = from; i < to; i += 2)
    list.push_back(transformExpression(ruleAt(ctx, i)));
  return list;
}

ast::ExprPtr Transformer::transformExpression(Node *n) {
  ExpressionKind kind = expressionKinds().of(n);
  auto *ctx = static_cast<P::ExpressionContext *>(n); // checked by expressionKinds().of
  if (kind == ExpressionKind::Primary) // primary
    return transformPrimary(ruleAt(ctx, 0));
  SourceRange r = range(ctx);
  switch (kind) {
  case ExpressionKind::Primary:
    break;
  case ExpressionKind::Postfix: { // expression op=('++' | '--')
    auto *c = static_cast<P::PostfixExprContext *>(ctx);
    auto e = node<ast::IncDecExpr>(r);
    e->increment = c->op->getType() == tokenTypes().plusPlus;
    e->prefix = false;
    e->operand = transformExpression(ruleAt(ctx, 0));
    return e;
  }
  case ExpressionKind::Unary: { // op=('++' | '--' | '!' | '~' | '-' | '+') expression
    const TokenTypes &types = tokenTypes();
    size_t op = static_cast<P::UnaryExprContext *>(ctx)->op->getType();
    ast::ExprPtr operand = transformExpression(ruleAt(ctx, 1));
    if (op == types.ampersand) {
      // stap's address-of: of a target variable's member or @cast's.
      auto *target = dynamic_cast<ast::TargetExpr *>(operand.get());
      if (!target || target->addressOf) {
        error(loc(ctx), "'&' takes the address of a target variable or @cast member ('&$p->member', "
                        "'&@cast(p, \"struct T\")->member'), not of other expressions");
        return operand;
      }
      target->addressOf = true;
      target->range = r;
      return operand;
    }
    if (op == types.plusPlus || op == types.minusMinus) {
      auto e = node<ast::IncDecExpr>(r);
      e->increment = op == types.plusPlus;
      e->operand = std::move(operand);
      return e;
    }
    // "-5" is one literal, as in stap: the printer then need not guess.
    if (op == types.minus)
      if (auto *lit = dynamic_cast<ast::IntLiteral *>(operand.get())) {
        lit->value = static_cast<int64_t>(0 - static_cast<uint64_t>(lit->value));
        lit->range = r;
        return operand;
      }
    auto e = node<ast::UnaryExpr>(r);
    e->op = op == types.bang    ? ast::UnaryOp::Not
          : op == types.tilde   ? ast::UnaryOp::BitNot
          : op == types.minus   ? ast::UnaryOp::Negate
                                : ast::UnaryOp::Plus;
    e->operand = std::move(operand);
    return e;
  }
  case ExpressionKind::Binary: { // expression op expression
    Token *op = static_cast<P::BinaryExprContext *>(ctx)->op;
    auto e = node<ast::BinaryExpr>(r);
    size_t type = op->getType();
    if (type >= TokenTypes::maxType || !tokenTypes().binary[type])
      unexpectedNode(ctx->children.at(1));
    e->op = *tokenTypes().binary[type];
    e->lhs = transformExpression(ruleAt(ctx, 0));
    e->rhs = transformExpression(ruleAt(ctx, 2));
    e->range.begin = loc(op); // errors about an operator point at it
    return e;
  }
  case ExpressionKind::In: { // expression 'in' Identifier
    auto e = node<ast::InExpr>(r);
    e->keys.push_back(transformExpression(ruleAt(ctx, 0)));
    e->array = tokenAt(ctx, 2)->getText();
    return e;
  }
  case ExpressionKind::Ternary: { // expression '?' expression ':' expression
    auto e = node<ast::TernaryExpr>(r);
    e->cond = transformExpression(ruleAt(ctx, 0));
    e->then = transformExpression(ruleAt(ctx, 2));
    e->otherwise = transformExpression(ruleAt(ctx, 4));
    return e;
  }
  case ExpressionKind::Assign: { // expression op expression
    size_t type = static_cast<P::AssignExprContext *>(ctx)->op->getType();
    if (type >= TokenTypes::maxType || !tokenTypes().assign[type])
      unexpectedNode(ctx->children.at(1));
    auto e = node<ast::AssignExpr>(r);
    e->op = *tokenTypes().assign[type];
    e->lhs = transformExpression(ruleAt(ctx, 0));
    e->rhs = transformExpression(ruleAt(ctx, 2));
    return e;
  }
  }
  unexpectedNode(n);
}

ast::ExprPtr Transformer::transformPrimary(Node *n) {
  PrimaryKind kind = primaryKinds().of(n);
  auto *ctx = static_cast<P::PrimaryContext *>(n); // checked by primaryKinds().of
  size_t count = ctx->children.size();
  switch (kind) {
  case PrimaryKind::Int: // IntegerLiteral
    return integerLiteral(tokenAt(ctx, 0), false);
  case PrimaryKind::String: // strings
    return transformStrings(childAs<P::StringsContext>(ctx, 0));
  case PrimaryKind::ArgRef: // argRef
    return transformArgRef(childAs<P::ArgRefContext>(ctx, 0));
  case PrimaryKind::Paren: // '(' expression ')'
    return transformExpression(ruleAt(ctx, 1));
  case PrimaryKind::Call: { // Identifier '(' (expression (',' expression)*)? ')'
    auto e = node<ast::CallExpr>(range(ctx));
    e->function = tokenAt(ctx, 0)->getText();
    e->args = transformExpressionList(ctx, 2, count - 1);
    return e;
  }
  case PrimaryKind::Index: { // Identifier '[' expression (',' expression)* ']'
    auto e = node<ast::IndexExpr>(range(ctx));
    e->array = tokenAt(ctx, 0)->getText();
    e->keys = transformExpressionList(ctx, 2, count - 1);
    return e;
  }
  case PrimaryKind::Symbol: { // Identifier
    auto e = node<ast::SymbolRef>(range(ctx));
    e->name = tokenAt(ctx, 0)->getText();
    return e;
  }
  case PrimaryKind::Target: { // TargetName targetSuffix*
    auto e = node<ast::TargetExpr>(range(ctx));
    e->name = tokenAt(ctx, 0)->getText();
    for (size_t i = 1; i < count; ++i)
      e->components.push_back(transformTargetSuffix(childAs<P::TargetSuffixContext>(ctx, i)));
    return e;
  }
  case PrimaryKind::At: { // AtName '(' (expression (',' expression)*)? ')' targetSuffix*
    SourceRange r = range(ctx);
    std::string name = tokenAt(ctx, 0)->getText();
    size_t close = 2;
    while (close < count && !(tokenOf(ctx->children[close]) &&
                              tokenOf(ctx->children[close])->getType() == tokenTypes().rightParen))
      ++close;
    if (close >= count)
      unexpectedNode(ctx);
    ast::ExprList args = close > 2 ? transformExpressionList(ctx, 2, close) : ast::ExprList{};
    if (name == "@cast" || name == "@container_of" || name == "@module_container_of")
      return transformCast(ctx, name, std::move(args), close + 1);
    if (name == "@var") { // @var("name"[, "module"]) and its chain: pass 2 says what it lacks
      auto e = node<ast::TargetExpr>(r);
      e->name = name;
      auto *variable = args.empty() ? nullptr : dynamic_cast<ast::StringLiteral *>(args[0].get());
      if (!variable || args.size() > 2)
        error(loc(ctx), "@var takes a variable's name as a string literal (@var(\"name\"), "
                        "@var(\"name@file.c\")) and optionally a module");
      else
        e->castType = variable->value;
      if (args.size() == 2)
        if (auto *module = dynamic_cast<ast::StringLiteral *>(args[1].get()))
          e->castModule = module->value;
      for (size_t i = close + 1; i < count; ++i)
        e->components.push_back(transformTargetSuffix(childAs<P::TargetSuffixContext>(ctx, i)));
      return e;
    }
    if (close + 1 < count)
      error(loc(childAs<P::TargetSuffixContext>(ctx, close + 1)), fmt::format("'{}' has no members: only a target variable or @cast "
                                                      "is followed by '->', '.' or '[...]'",
                                                      name));
    auto e = node<ast::AtExpr>(r);
    e->args = std::move(args);
    auto op = ast::atOpNamed(name);
    if (!op) {
      error(loc(ctx), fmt::format("unknown operator '{}': mstap knows @count, @sum, @min, @max, "
                                  "@avg, @variance, @hist_log, @hist_linear, @defined, @entry, @cast, @container_of, "
                                  "@module_container_of and @var",
                                  name));
      return node<ast::IntLiteral>(r);
    }
    e->op = *op;
    if (*op == ast::AtOp::Variance) { // @variance(s) or @variance(s, shift)
      if (e->args.size() < 1 || e->args.size() > 2)
        error(loc(ctx), fmt::format("@variance takes 1 or 2 arguments, not {}", e->args.size()));
      else if (e->args.size() == 2 && !dynamic_cast<ast::IntLiteral *>(e->args[1].get()))
        error(e->args[1]->loc(), "expected number: the bit shift of @variance is a number written in the script");
      return e;
    }
    size_t want = *op == ast::AtOp::HistLinear ? 4 : 1;
    if (e->args.size() != want)
      error(loc(ctx), fmt::format("{} takes {} argument{}, not {}", name, want, want == 1 ? "" : "s",
                                  e->args.size()));
    return e;
  }
  case PrimaryKind::MultiIn: { // '[' expression (',' expression)* ']' 'in' Identifier
    auto e = node<ast::InExpr>(range(ctx));
    e->keys = transformExpressionList(ctx, 1, count - 3);
    e->array = tokenAt(ctx, count - 1)->getText();
    return e;
  }
  case PrimaryKind::Embedded: { // embeddedCode
    auto e = node<ast::EmbeddedExpr>(range(ctx));
    e->code = transformEmbeddedCode(childAs<P::EmbeddedCodeContext>(ctx, 0));
    return e;
  }
  }
  unexpectedNode(n);
}

// @cast(PTR, "TYPE"[, "MODULE"]), @container_of(PTR, "TYPE", MEMBER) and
// @module_container_of(PTR, "MODULE", "TYPE", MEMBER), each followed by
// the target suffixes from child `firstSuffix` on.
ast::ExprPtr Transformer::transformCast(P::PrimaryContext *ctx, const std::string &name, ast::ExprList args,
                                        size_t firstSuffix) {
  auto e = node<ast::TargetExpr>(range(ctx));
  e->name = name;
  bool container = name != "@cast", withModule = name == "@module_container_of";
  size_t least = container ? (withModule ? 4 : 3) : 2, most = container ? least : 3;
  if (args.size() < least || args.size() > most) {
    error(loc(ctx), name == "@cast" ? fmt::format("@cast takes a pointer, a type name and optionally a module "
                                                  "(@cast(p, \"struct T\"[, \"kernel\"])), not {} argument{}",
                                                  args.size(), args.size() == 1 ? "" : "s")
                    : withModule ? fmt::format("@module_container_of takes a pointer, a module, a type name and a "
                                               "member (@module_container_of(p, \"ext4\", \"struct T\", "
                                               "member)), not {} argument{}",
                                               args.size(), args.size() == 1 ? "" : "s")
                                 : fmt::format("@container_of takes a pointer, a type name and a member "
                                               "(@container_of(p, \"struct T\", member)), not {} argument{}",
                                               args.size(), args.size() == 1 ? "" : "s"));
    return node<ast::IntLiteral>(range(ctx));
  }
  auto literal = [&](ast::ExprPtr &arg, const char *what, std::string &out) {
    if (auto *text = dynamic_cast<ast::StringLiteral *>(arg.get())) {
      out = text->value;
      return;
    }
    error(arg->loc(), fmt::format("the {} of {} must be a string literal", what, name));
  };
  e->castOperand = std::move(args[0]);
  size_t next = 1;
  if (withModule)
    literal(args[next++], "module", e->castModule);
  literal(args[next++], "type name", e->castType);
  if (container) {
    auto *member = dynamic_cast<ast::SymbolRef *>(args[next].get());
    if (member)
      e->containerMember = member->name;
    else
      error(args[next]->loc(), fmt::format("the member of {} must be a name, as in C's offsetof", name));
  } else if (args.size() == 3) {
    literal(args[2], "module", e->castModule);
  }
  for (size_t i = firstSuffix; i < ctx->children.size(); ++i)
    e->components.push_back(transformTargetSuffix(childAs<P::TargetSuffixContext>(ctx, i)));
  return e;
}

// '->' Identifier | '.' Identifier | '[' expression ']'
ast::TargetExpr::Component Transformer::transformTargetSuffix(P::TargetSuffixContext *ctx) {
  ast::TargetExpr::Component component;
  component.loc = loc(ctx);
  size_t first = tokenAt(ctx, 0)->getType();
  if (first == tokenTypes().arrow || first == tokenTypes().dot) {
    component.member = ctx->getStop()->getText(); // an Identifier, or a keyword used as a name
    component.dot = first == tokenTypes().dot;
  } else
    component.index = transformExpression(ruleAt(ctx, 1));
  return component;
}

} // namespace mstap
